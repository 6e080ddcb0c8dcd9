"""The sandwich schedule of a memory block: open "A" windows, closed "B" windows between them, a closing tail.

Parallel window decoding (Skoric et al. 2023, "Parallel window decoding enables scalable fault tolerant
quantum computation"; Tan et al. 2023, "Scalable surface code decoders with parallelization in time"):
with period P = commit + gap, A window k commits layers [kP, kP + commit) and sees `buffer` layers on
each side (clipped at the block start); B window k is the gap [kP + commit, (k+1)P) between two
committed A regions. A windows are independent of each other, so all that are complete decode in one
batch; then the B windows whose neighbours are both done. The last A window is the last that fits
the block with its right buffer; the tail after its commit region is one closed window ending at the
final data readout. A block too short for any A window is one closed window: whole-block decoding.

Layers are detector time layers: a block of R rounds has L = R + 1 (see `controller.decode.windows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from protocols.errors import DecodeError

__all__ = ["Schedule", "WindowKey", "window_key"]


@dataclass(frozen=True)
class WindowKey:
    """What fixes a window's graph: reference rounds, layers, commit region and kind, in reference layers."""

    ref_rounds: int
    a: int
    b: int
    c0: int
    c1: int
    kind: str


def window_key(rounds: int, a: int, b: int, c0: int, c1: int, kind: str) -> WindowKey:
    """Key of window [a, b) committing [c0, c1) in a block of `rounds` rounds (shifted to its reference)."""
    # Generic: the layers and both outer neighbours lie in 1..R-1, so the graph is translation invariant.
    if a >= 2 and b <= rounds - 1:
        ref, shift = (b - a) + 3, a - 2
    elif b <= rounds - 1:
        ref, shift = b + 1, 0
    elif a >= 2:
        ref, shift = rounds - a + 2, a - 2
    else:
        ref, shift = rounds, 0
    return WindowKey(ref, a - shift, b - shift, c0 - shift, c1 - shift, kind)


@dataclass(frozen=True)
class Schedule:
    """Windows of one block; all arrays int64, layers half-open [start, stop)."""

    rounds: int
    #: (K, 4): a, b, c0, c1 of each A window
    a_windows: np.ndarray
    #: (K - 1, 2): start, stop of each B window (the gap after A window k)
    b_windows: np.ndarray
    #: start, stop of the closing tail window (stop = rounds + 1; empty if start == stop)
    tail: tuple[int, int]

    @classmethod
    def build(cls, rounds: int, commit: int, buffer: int, gap: int) -> Schedule:
        """Schedule of a block of `rounds` rounds; commit >= 1, buffer >= 0, gap >= 1 layers."""
        for name, value, low in (("commit", commit, 1), ("buffer", buffer, 0), ("gap", gap, 1), ("rounds", rounds, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise DecodeError(f"window schedule: {name} = {value!r} is out of range; allowed: integer >= {low}")
        n_layers = rounds + 1
        period = commit + gap
        # A window k fits when kP + commit + buffer <= L.
        count = 0 if commit + buffer > n_layers else (n_layers - commit - buffer) // period + 1
        k = np.arange(count, dtype=np.int64)
        starts = k * period
        a_windows = np.stack(
            [np.maximum(starts - buffer, 0), starts + commit + buffer, starts, starts + commit], axis=1
        ).reshape(count, 4)
        b_windows = np.stack([starts[:-1] + commit, starts[1:]], axis=1).reshape(max(count - 1, 0), 2)
        tail_start = int(starts[-1] + commit) if count else 0
        return cls(rounds, a_windows, b_windows, (tail_start, n_layers))
