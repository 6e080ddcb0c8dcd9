"""Photon-number distributions of single modes: thermal, Poissonian, and binomial loss of any distribution."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats


def thermal_distribution(mean: float, n_max: int) -> np.ndarray:
    """P(n) = mean^n / (1 + mean)^(n+1) of a thermal mode for n = 0..n_max, float64 shape (n_max + 1,)."""
    n = np.arange(n_max + 1)
    return (1.0 / (1.0 + mean)) * (mean / (1.0 + mean)) ** n


def thermal_tail(mean: float, n: int) -> float:
    """P(N >= n) = (mean / (1 + mean))^n of a thermal mode (the mass a cutoff at n discards)."""
    return float((mean / (1.0 + mean)) ** n)


def poisson_distribution(mean: float, n_max: int) -> np.ndarray:
    """P(n) of a Poissonian (coherent-state or dark-count) photon number for n = 0..n_max, shape (n_max + 1,)."""
    return stats.poisson.pmf(np.arange(n_max + 1), mean)


def binomial_loss(distribution: ArrayLike, transmission: float) -> np.ndarray:
    """Photon-number distribution after a loss of transmission T: P'(k) = sum_n P(n) C(n, k) T^k (1 - T)^(n - k).

    `distribution` has shape (..., n_max + 1) over n = 0..n_max; the result has the same shape and the same
    total mass (loss never adds photons, so nothing leaves the support).
    """
    p = np.asarray(distribution, dtype=np.float64)
    n_max = p.shape[-1] - 1
    n = np.arange(n_max + 1)
    # kernel[n, k] = C(n, k) T^k (1 - T)^(n - k), zero for k > n.
    kernel = stats.binom.pmf(n[None, :], n[:, None], transmission)
    return p @ kernel

