"""A counter-free, explicitly seeded random generator for Numba kernels (xoshiro256**, splitmix64 seeding).

Why not `np.random` inside `@njit`: Numba keeps that generator as hidden per-thread global state, so a
result would depend on whatever other compiled code drew from it before. Here the whole state is a
`uint64[4]` array owned by the caller: the same seed gives the same stream on every platform and Numba
version, and a C or HDL port can reproduce it bit for bit (Blackman & Vigna, "Scrambled linear
pseudorandom number generators", ACM TOMS 2021).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


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


@njit(cache=True, inline="always")
def normal_pair(s: np.ndarray) -> tuple[float, float]:
    """Two independent standard normal variates (Marsaglia polar method: no trigonometric calls)."""
    while True:
        u = 2.0 * uniform(s) - 1.0
        v = 2.0 * uniform(s) - 1.0
        q = u * u + v * v
        if 0.0 < q < 1.0:
            f = math.sqrt(-2.0 * math.log(q) / q)
            return u * f, v * f
