"""Qubit overhead below threshold: the error-suppression factor Lambda and the distance a target rate needs.

Below threshold the logical error rate falls exponentially with distance, p_L(d) = C / Lambda^((d+1)/2), so
Lambda = p_L(d) / p_L(d+2) (the convention of Google Quantum AI, "Suppressing quantum errors by scaling a surface
code logical qubit", Nature 614, 676 (2023)). ln p_L is fitted against (d+1)/2 by weighted least squares over the
distances at one physical error rate; the smallest odd d whose extrapolated rate meets the target follows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from studies.points import Points
from studies.rates import RateUnit, logical_rates

#: Beyond this distance an extrapolation is not trusted, and the target is reported as out of reach.
MAX_DISTANCE = 201


@dataclass(frozen=True)
class LambdaFit:
    """Fitted suppression factor at one physical error rate: p_L(d) = prefactor / lam^((d+1)/2)."""

    p: float
    lam: float
    lam_low: float
    lam_high: float
    prefactor: float
    distances: tuple[int, ...]

    def predict(self, d: int) -> float:
        """Extrapolated logical error rate at distance d."""
        return self.prefactor / self.lam ** ((d + 1) / 2)


@dataclass(frozen=True)
class TargetDistance:
    """The distance and qubit count a target logical error rate needs, or why it is out of reach."""

    target: float
    reachable: bool
    distance: int | None
    physical_qubits: int | None
    predicted_rate: float | None
    reason: str


def fit_lambda(points: Points, p: float, unit: RateUnit = "per_round", z: float = 1.96) -> LambdaFit | None:
    """Lambda at physical rate `p` from distances with at least one failure; None if fewer than two such."""
    sel = points.select((points.p == p) & (points.errors > 0))
    if len(sel.distances) < 2:
        return None
    y, sigma = logical_rates(sel.errors, sel.shots, sel.rounds, unit)
    keep = (y > 0) & (y < 0.5)
    if np.count_nonzero(keep) < 2:
        return None
    k = (sel.d[keep] + 1) / 2.0
    ln_y = np.log(y[keep])
    w = (y[keep] / sigma[keep]) ** 2  # 1 / var(ln y) by the delta method
    design = np.stack([np.ones_like(k), k], axis=1)
    cov = np.linalg.inv(design.T @ (design * w[:, None]))
    intercept, slope = cov @ (design.T @ (w * ln_y))
    if np.count_nonzero(keep) > 2:  # scale by the observed scatter when there is a degree of freedom to see it
        chi2 = float(np.sum(w * (ln_y - intercept - slope * k) ** 2)) / (np.count_nonzero(keep) - 2)
        cov = cov * max(chi2, 1.0)
    se = float(np.sqrt(cov[1, 1]))
    return LambdaFit(
        p=float(p), lam=float(np.exp(-slope)), lam_low=float(np.exp(-slope - z * se)),
        lam_high=float(np.exp(-slope + z * se)), prefactor=float(np.exp(intercept)),
        distances=tuple(int(x) for x in sel.d[keep]),
    )


def distance_for_target(
    fit: LambdaFit, target: float, qubits_for: Callable[[int], int], max_distance: int = MAX_DISTANCE
) -> TargetDistance:
    """Smallest odd distance whose extrapolated rate is <= target, with its physical qubit count."""
    if fit.lam <= 1.0:
        return TargetDistance(target, False, None, None, None,
                              f"Lambda = {fit.lam:.3g} <= 1: at or above threshold, larger codes do not help")
    # prefactor / lam^((d+1)/2) <= target  <=>  (d+1)/2 >= ln(prefactor/target) / ln(lam)
    k = max(np.log(fit.prefactor / target) / np.log(fit.lam), 1.0)
    d = int(2 * np.ceil(k) - 1)
    d = max(d, 3)
    if d > max_distance:
        return TargetDistance(target, False, None, None, None,
                              f"needs d = {d} > {max_distance} (Lambda = {fit.lam:.3g}); out of reach")
    note = "Lambda's lower CI bound <= 1: not significantly below threshold" if fit.lam_low <= 1.0 else "ok"
    return TargetDistance(target, True, d, int(qubits_for(d)), fit.predict(d), note)
