"""A counter-free, explicitly seeded random generator for Numba kernels (xoshiro256**, splitmix64 seeding).

Why not `np.random` inside `@njit`: Numba keeps that generator as hidden per-thread global state, so a
result would depend on whatever other compiled code drew from it before. Here the whole state is a
`uint64[4]` array owned by the caller: the same seed gives the same stream on every platform and Numba
version, and a C or HDL port can reproduce it bit for bit (Blackman & Vigna, "Scrambled linear
pseudorandom number generators", ACM TOMS 2021).

Editing this file: Numba's on-disk cache of a caller (the kernel in `_kernel.py`) is keyed on the caller's
own source file only, so after a change here touch `_kernel.py` (or delete `__pycache__`) before measuring.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

@njit(cache=True, inline="always")
def _rotl(x: np.uint64, k: int) -> np.uint64:
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True)
def seed_state(seed: np.uint64) -> np.ndarray:
    """A fresh xoshiro256** state, uint64[4], expanded from `seed` with splitmix64."""
    s = np.empty(4, dtype=np.uint64)
    z = np.uint64(seed)
    for i in range(4):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        x = z
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        s[i] = x ^ (x >> np.uint64(31))
    return s


@njit(cache=True, inline="always")
def next_u64(s: np.ndarray) -> np.uint64:
    """The next 64 random bits; advances the state `s` in place."""
    result = _rotl(s[1] * np.uint64(5), 7) * np.uint64(9)
    t = s[1] << np.uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


@njit(cache=True, inline="always")
def uniform(s: np.ndarray) -> float:
    """A float64 uniform on [0, 1) with 53 random bits."""
    return float(next_u64(s) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def exponential(s: np.ndarray) -> float:
    """A unit-mean exponential variate (inversion; 1 - U lies in (0, 1], so the log is finite)."""
    return -math.log(1.0 - uniform(s))


def _ziggurat_tables(c: int = 128, r: float = 3.442619855899, v: float = 9.91256303526217e-3):
    """Layer edges x[0..c] and ratios x[i+1]/x[i] of the 128-layer normal ziggurat (Doornik 2005, ZIGNOR)."""
    x = np.zeros(c + 1)
    f = math.exp(-0.5 * r * r)
    x[0] = v / f
    x[1] = r
    for i in range(2, c):
        x[i] = math.sqrt(-2.0 * math.log(v / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    ratio = x[1:] / x[:-1]
    return x, ratio


_ZIG_X, _ZIG_RATIO = _ziggurat_tables()
_ZIG_R = 3.442619855899


@njit(cache=True, inline="always")
def normal(s: np.ndarray) -> float:
    """A standard normal variate: Marsaglia & Tsang's ziggurat (J. Stat. Softw. 5(8), 2000) in Doornik's
    ZIGNOR form (2005), which takes the layer and the abscissa from disjoint bits of one draw."""
    while True:
        bits = next_u64(s)
        i = int(bits & np.uint64(0x7F))
        u = 2.0 * (float(bits >> np.uint64(11)) * (1.0 / 9007199254740992.0)) - 1.0
        if abs(u) < _ZIG_RATIO[i]:
            return u * _ZIG_X[i]  # inside the layer's rectangle: about 99 % of draws
        if i == 0:  # the base layer's tail beyond r (Marsaglia 1964)
            while True:
                x = -math.log(1.0 - uniform(s)) / _ZIG_R
                y = -math.log(1.0 - uniform(s))
                if 2.0 * y >= x * x:
                    return -(_ZIG_R + x) if u < 0.0 else _ZIG_R + x
        x = u * _ZIG_X[i]
        f0 = math.exp(-0.5 * (_ZIG_X[i] * _ZIG_X[i] - x * x))
        f1 = math.exp(-0.5 * (_ZIG_X[i + 1] * _ZIG_X[i + 1] - x * x))
        if f1 + uniform(s) * (f0 - f1) < 1.0:
            return x
