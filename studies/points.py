"""Collected statistics as plain arrays: one point per (noise model, distance, physical error rate)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
import sinter

from protocols.errors import StudyError


@dataclass(frozen=True)
class Points:
    """Counts of one noise model's sweep; all arrays have shape (n,) and index the same points.

    `d` int64 code distance, `p` float64 swept physical parameter, `shots` and `errors` int64 counts,
    `rounds` int64 syndrome rounds per shot.
    """

    d: np.ndarray
    p: np.ndarray
    shots: np.ndarray
    errors: np.ndarray
    rounds: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.d)
        for name in ("p", "shots", "errors", "rounds"):
            if len(getattr(self, name)) != n:
                raise StudyError(f"Points.{name} has {len(getattr(self, name))} entries, expected {n}")
        if np.any(self.errors > self.shots) or np.any(self.errors < 0):
            raise StudyError("Points: errors must lie in [0, shots]")

    @property
    def distances(self) -> list[int]:
        """The distinct distances, ascending."""
        return sorted(int(x) for x in np.unique(self.d))

    def select(self, mask: np.ndarray) -> Points:
        """The subset of points where `mask` (bool, shape (n,)) is True."""
        return Points(self.d[mask], self.p[mask], self.shots[mask], self.errors[mask], self.rounds[mask])

    def with_errors(self, errors: np.ndarray) -> Points:
        """The same points with resampled error counts (int64, shape (n,))."""
        return Points(self.d, self.p, self.shots, np.asarray(errors, dtype=np.int64), self.rounds)

    @staticmethod
    def from_arrays(d: ArrayLike, p: ArrayLike, shots: ArrayLike, errors: ArrayLike, rounds: ArrayLike) -> Points:
        """Build from array-likes, casting to the documented dtypes and sorting by (d, p)."""
        d = np.asarray(d, dtype=np.int64)
        p = np.asarray(p, dtype=np.float64)
        order = np.lexsort((p, d))
        return Points(
            d[order],
            p[order],
            np.asarray(shots, dtype=np.int64)[order],
            np.asarray(errors, dtype=np.int64)[order],
            np.broadcast_to(np.asarray(rounds, dtype=np.int64), d.shape)[order].copy(),
        )


def points_by_noise(stats: Iterable[sinter.TaskStats]) -> dict[str, Points]:
    """Group sinter stats by json_metadata['noise'] and merge repeated (d, p) rows into one point each."""
    acc: dict[str, dict[tuple[int, float, int], list[int]]] = {}
    for s in stats:
        m = s.json_metadata
        if not isinstance(m, dict) or not {"noise", "d", "p", "rounds"} <= m.keys():
            raise StudyError(f"task metadata lacks noise/d/p/rounds: {m!r}")
        key = (int(m["d"]), float(m["p"]), int(m["rounds"]))
        row = acc.setdefault(str(m["noise"]), {}).setdefault(key, [0, 0])
        row[0] += s.shots - s.discards
        row[1] += s.errors
    out = {}
    for noise, rows in acc.items():
        keys = [k for k in rows if rows[k][0] > 0]  # a task whose shots were all discarded carries no rate
        out[noise] = Points.from_arrays(
            [k[0] for k in keys], [k[1] for k in keys], [rows[k][0] for k in keys],
            [rows[k][1] for k in keys], [k[2] for k in keys],
        )
    return out
