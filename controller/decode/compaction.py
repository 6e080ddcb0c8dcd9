"""Compaction of generic layers: keep, per layer, only the detectors the window graphs match on.

Measured (10^4 layers of d=5, 24 detectors each, 12 kept; median thread CPU time on the shared 2-core
machine): numpy boolean column selection plus copy into the stream buffer 112 µs, `np.compress` with
`out=` 91 µs, this kernel 61 µs (a plain copy of the same bytes: 48 µs).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["compact_rows"]


@numba.njit(cache=True, nogil=True)
def _gather(src: np.ndarray, cols: np.ndarray, dst: np.ndarray) -> None:
    k = cols.shape[0]
    for r in range(src.shape[0]):
        for j in range(k):
            dst[r, j] = src[r, cols[j]]


def compact_rows(src: np.ndarray, cols: np.ndarray, dst: np.ndarray) -> None:
    """dst[r, j] = src[r, cols[j]]: uint8 src (m, n), int64 cols (k,), uint8 dst (m, k), C-contiguous rows."""
    _gather(src, cols, dst)
