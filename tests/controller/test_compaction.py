"""Layer compaction: the kernel compiled for one code's columns gathers what numpy's selection gathers."""

from __future__ import annotations

import numpy as np
import pytest

from controller.decode.compaction import Compactor


@pytest.mark.parametrize("width,cols", [(24, [2, 4, 6, 7, 9, 11, 12, 14, 16, 17, 19, 21]), (8, [0, 7]), (5, [3]),
                                        (6, [0, 1, 2, 3, 4, 5])])
def test_compactor_gathers_the_kept_columns(width, cols):
    rng = np.random.default_rng(width)
    src = rng.integers(0, 2, (1000, width), dtype=np.uint8)
    want = src[:, cols]
    got = np.full((1000, len(cols)), 7, np.uint8)
    Compactor(np.array(cols), width)(src, got)
    assert np.array_equal(got, want)
    again = np.empty_like(got)
    Compactor(np.array(cols), width)(src, again)  # the kernel kept for this pattern, reused
    assert np.array_equal(again, want)
    empty = np.empty((0, len(cols)), np.uint8)
    Compactor(np.array(cols), width)(src[:0], empty)  # no rows: nothing to do


def test_compactor_refuses_shapes_its_unchecked_loop_would_overrun():
    c = Compactor(np.array([1, 3]), 4)
    with pytest.raises(ValueError, match=r"expected \(m, 4\) and \(m, 2\)"):
        c(np.zeros((3, 3), np.uint8), np.zeros((3, 2), np.uint8))
    with pytest.raises(ValueError, match="expected"):
        c(np.zeros((3, 4), np.uint8), np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match="increasing and within 0..3"):
        Compactor(np.array([3, 1]), 4)
    with pytest.raises(ValueError, match="increasing and within 0..3"):
        Compactor(np.array([1, 4]), 4)
