"""Logical error rates from binomial counts, per shot or per round, with their standard errors.

A shot of a memory experiment spans `rounds` rounds. Its logical observable flips when an odd number of rounds
flipped it, so with a per-round flip probability q the per-shot failure is p = (1 - (1 - 2q)^r) / 2. Inverting:
q = (1 - (1 - 2p)^(1/r)) / 2, which for small p agrees with 1 - (1 - p)^(1/r) to first order and stays defined up
to p = 0.5 (a fully randomised observable). Beyond 0.5 the map is continued by symmetry, q = 1 - q(1 - p), as
sinter's `shot_error_rate_to_piece_error_rate` does, so curves stay monotone through saturation.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

RateUnit = Literal["per_shot", "per_round"]

#: Text stored in outputs so a reader knows exactly what a per-round rate means.
PER_ROUND_FORMULA = "p_round = (1 - (1 - 2 p_shot)^(1/rounds)) / 2, mirrored as 1 - p_round(1 - p_shot) above 0.5"


def per_round_rate(p_shot: np.ndarray | float, rounds: np.ndarray | int) -> np.ndarray:
    """Per-round logical error rate from per-shot rate(s) over `rounds` rounds (float64, same shape)."""
    p = np.asarray(p_shot, dtype=np.float64)
    r = np.asarray(rounds, dtype=np.float64)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"per-shot rates must lie in [0, 1], got {p[(p < 0) | (p > 1)]}")
    if np.any(r <= 0):
        raise ValueError(f"rounds must be positive, got {r}")
    low = np.minimum(p, 1.0 - p)
    q = 0.5 * (1.0 - np.power(np.clip(1.0 - 2.0 * low, 0.0, 1.0), 1.0 / r))
    return np.where(p > 0.5, 1.0 - q, q)


def _per_round_slope(p_shot: np.ndarray, rounds: np.ndarray) -> np.ndarray:
    """Derivative d p_round / d p_shot, used to carry standard errors through the conversion."""
    low = np.clip(np.minimum(p_shot, 1.0 - p_shot), 0.0, 0.5 - 1e-9)
    return np.power(1.0 - 2.0 * low, 1.0 / rounds - 1.0) / rounds


def logical_rates(
    errors: np.ndarray, shots: np.ndarray, rounds: np.ndarray, unit: RateUnit
) -> tuple[np.ndarray, np.ndarray]:
    """Rate estimates and standard errors (both float64, shape of `errors`) in `unit`.

    The standard error uses (k + 1/2) / (n + 1) in place of k / n so that points with zero or all failures
    keep a non-zero weight (a Jeffreys-style regularisation) instead of an infinite one.
    """
    k = np.asarray(errors, dtype=np.float64)
    n = np.asarray(shots, dtype=np.float64)
    if np.any(n <= 0):
        raise ValueError("every point needs at least one shot")
    p = k / n
    p_reg = (k + 0.5) / (n + 1.0)
    sigma = np.sqrt(p_reg * (1.0 - p_reg) / n)
    if unit == "per_shot":
        return p, sigma
    if unit == "per_round":
        r = np.asarray(rounds, dtype=np.float64)
        return per_round_rate(p, r), sigma * _per_round_slope(p_reg, r)
    raise ValueError(f"rate unit must be 'per_shot' or 'per_round', got {unit!r}")
