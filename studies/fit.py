"""Threshold estimates from logical error rates at several distances.

Primary method: the finite-size-scaling ansatz of Wang, Harrington and Preskill, "Confinement-Higgs transition in a
disordered gauge theory and the accuracy threshold for quantum memory", Annals of Physics 303, 31 (2003):
near threshold the logical failure rate depends on p and d only through x = (p - p_th) d^(1/nu), and is expanded
to second order, p_L = A + B x + C x^2. The five parameters are fitted by weighted least squares over every
distance and every p inside a window around threshold. The confidence interval comes from a parametric bootstrap
that resamples each point's failure count from its binomial distribution and refits (seeded).

Cross-check: the pairwise-crossing estimate, where the curves of consecutive distances cross (linear
interpolation in p of their difference), with its interval from the same bootstrap resamples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from protocols.errors import StudyError
from studies.points import Points
from studies.rates import RateUnit, logical_rates

#: The ansatz has five free parameters; demand a few more points than that.
MIN_FIT_POINTS = 7


@dataclass(frozen=True)
class ScalingFit:
    """Best-fit parameters of p_L = A + B x + C x^2, x = (p - p_th) d^(1/nu)."""

    p_th: float
    nu: float
    a: float
    b: float
    c: float
    chi2_per_dof: float
    n_points: int


@dataclass(frozen=True)
class ThresholdEstimate:
    """A threshold with its confidence interval, from the scaling fit and from pairwise crossings."""

    p_th: float
    ci_low: float
    ci_high: float
    confidence: float
    fit: ScalingFit
    crossing: float | None
    crossing_ci_low: float | None
    crossing_ci_high: float | None
    crossings: tuple[tuple[int, int, float], ...]
    bootstrap_samples: int
    bootstrap_failures: int
    window: tuple[float, float]
    unit: RateUnit
    ci_scale: float = 1.0

    def to_json(self) -> dict:
        """JSON-ready dict with the method named, for thresholds.json."""
        return {
            "threshold": self.p_th,
            "ci": [self.ci_low, self.ci_high],
            "confidence": self.confidence,
            "method": "finite-size scaling fit p_L = A + B x + C x^2, x = (p - p_th) d^(1/nu) "
            "(Wang, Harrington, Preskill 2003), weighted least squares; CI from parametric bootstrap of the "
            "binomial counts, widened by max(1, sqrt(chi2/dof))",
            "rate": self.unit,
            "ci_scale": self.ci_scale,
            "fit": {
                "nu": self.fit.nu, "A": self.fit.a, "B": self.fit.b, "C": self.fit.c,
                "chi2_per_dof": self.fit.chi2_per_dof, "points": self.fit.n_points,
                "p_window": list(self.window),
            },
            "crossing_check": {
                "threshold": self.crossing,
                "ci": [self.crossing_ci_low, self.crossing_ci_high],
                "method": "median of crossings of consecutive-distance curves (linear interpolation in p)",
                "pairs": [{"d1": a, "d2": b, "p": p} for a, b, p in self.crossings],
            },
            "bootstrap": {"samples": self.bootstrap_samples, "failed_fits": self.bootstrap_failures},
        }


def pairwise_crossings(points: Points, unit: RateUnit = "per_shot") -> list[tuple[int, int, float]]:
    """Crossings (d1, d2, p) of consecutive distances' curves, on the p values both were sampled at."""
    y, _ = logical_rates(points.errors, points.shots, points.rounds, unit)
    out = []
    ds = points.distances
    for d1, d2 in zip(ds, ds[1:]):
        p1, y1 = points.p[points.d == d1], y[points.d == d1]
        p2, y2 = points.p[points.d == d2], y[points.d == d2]
        common, i1, i2 = np.intersect1d(p1, p2, return_indices=True)
        diff = y2[i2] - y1[i1]  # negative below threshold: the larger code fails less
        for k in range(len(common) - 1):
            if diff[k] < 0 <= diff[k + 1]:
                lo, hi = common[k], common[k + 1]
                t = 0.0 if diff[k + 1] == diff[k] else -diff[k] / (diff[k + 1] - diff[k])
                out.append((d1, d2, float(lo + t * (hi - lo))))
    return out


def crossing_estimate(points: Points, unit: RateUnit = "per_shot") -> float | None:
    """Median of the consecutive-distance crossings, or None when no pair of curves crosses."""
    c = pairwise_crossings(points, unit)
    return float(np.median([x[2] for x in c])) if c else None


def _model(theta: np.ndarray, p: np.ndarray, d: np.ndarray) -> np.ndarray:
    p_th, nu, a, b, c = theta
    x = (p - p_th) * np.power(d, 1.0 / nu)
    return a + b * x + c * x * x


def fit_scaling(points: Points, unit: RateUnit = "per_shot", start: np.ndarray | None = None) -> ScalingFit:
    """Weighted least-squares fit of the scaling ansatz to every point given (choose the window first)."""
    if len(points.d) < MIN_FIT_POINTS or len(points.distances) < 2:
        raise StudyError(
            f"threshold fit needs >= {MIN_FIT_POINTS} points over >= 2 distances near threshold, got "
            f"{len(points.d)} points over distances {points.distances}; add sweep values near the threshold"
        )
    y, sigma = logical_rates(points.errors, points.shots, points.rounds, unit)
    p = points.p
    d = points.d.astype(np.float64)
    if start is None:
        p0 = crossing_estimate(points, unit)
        if p0 is None:
            p0 = float(np.median(p))
        nu0 = 1.3
        x0 = (p - p0) * np.power(d, 1.0 / nu0)
        design = np.stack([np.ones_like(x0), x0, x0 * x0], axis=1) / sigma[:, None]
        abc = np.linalg.lstsq(design, y / sigma, rcond=None)[0]
        start = np.array([p0, nu0, *abc])
    lo = np.array([p.min(), 0.2, -np.inf, -np.inf, -np.inf])
    hi = np.array([p.max(), 10.0, np.inf, np.inf, np.inf])
    start = np.clip(start, lo + 1e-12 * (hi - lo).clip(max=1), hi - 1e-12 * (hi - lo).clip(max=1))
    res = least_squares(
        lambda th: (_model(th, p, d) - y) / sigma, start, bounds=(lo, hi), x_scale="jac", method="trf"
    )
    if not res.success:
        raise StudyError(f"threshold fit did not converge: {res.message}")
    dof = max(len(y) - 5, 1)
    return ScalingFit(*map(float, res.x), chi2_per_dof=float(np.sum(res.fun**2) / dof), n_points=len(y))


def fit_window(points: Points, center: float, half_width: float) -> Points:
    """Points with |p - center| <= half_width * center (relative window around a threshold guess)."""
    return points.select(np.abs(points.p - center) <= half_width * center * (1 + 1e-12))


def estimate_threshold(
    points: Points,
    unit: RateUnit = "per_shot",
    window: float | None = None,
    bootstrap: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
) -> ThresholdEstimate:
    """Threshold by the scaling fit, its bootstrap CI, and the pairwise-crossing cross-check.

    `window` is the relative half-width around the crossing estimate within which points enter the fit
    (None: all points). `bootstrap` resamples of the binomial counts, drawn with numpy seed `seed`.
    """
    center = crossing_estimate(points, unit)
    used = points
    if window is not None:
        used = fit_window(points, center if center is not None else float(np.median(points.p)), window)
    best = fit_scaling(used, unit)
    span = float(used.p.max() - used.p.min())
    if min(best.p_th - used.p.min(), used.p.max() - best.p_th) <= 1e-6 * span:
        raise StudyError(
            f"fitted threshold {best.p_th:.4g} sits at the edge of the fitted range [{used.p.min():.4g}, "
            f"{used.p.max():.4g}]: the curves do not cross inside it; extend the sweep past the crossing"
        )
    theta = np.array([best.p_th, best.nu, best.a, best.b, best.c])
    in_window = _mask_of(points, used)
    rng = np.random.default_rng(seed)
    th_samples, cross_samples, failures = [], [], 0
    for _ in range(bootstrap):
        k_all = rng.binomial(points.shots, points.errors / points.shots)
        resampled = points.with_errors(k_all)
        c = crossing_estimate(resampled, unit)
        if c is not None:
            cross_samples.append(c)
        try:
            th_samples.append(fit_scaling(resampled.select(in_window), unit, start=theta).p_th)
        except StudyError:
            failures += 1
    if not th_samples:
        raise StudyError("every bootstrap refit of the threshold failed; collect more shots near threshold")
    q = [(1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100]
    lo, hi = np.percentile(th_samples, q)
    # The bootstrap sees only counting noise; when the ansatz fits worse than that (chi2/dof > 1), widen the
    # interval by sqrt(chi2/dof), the usual scale factor for model misfit.
    scale = max(1.0, float(np.sqrt(best.chi2_per_dof)))
    lo, hi = best.p_th - scale * (best.p_th - lo), best.p_th + scale * (hi - best.p_th)
    c_lo, c_hi = np.percentile(cross_samples, q) if cross_samples else (None, None)
    return ThresholdEstimate(
        p_th=best.p_th, ci_low=float(lo), ci_high=float(hi), confidence=confidence, fit=best,
        crossing=center,
        crossing_ci_low=None if c_lo is None else float(c_lo),
        crossing_ci_high=None if c_hi is None else float(c_hi),
        crossings=tuple(pairwise_crossings(points, unit)),
        bootstrap_samples=len(th_samples), bootstrap_failures=failures,
        window=(float(used.p.min()), float(used.p.max())), unit=unit, ci_scale=scale,
    )


def _mask_of(points: Points, subset: Points) -> np.ndarray:
    """Boolean mask over `points` of the (d, p) pairs present in `subset`."""
    keys = set(zip(subset.d.tolist(), subset.p.tolist()))
    return np.array([(a, b) in keys for a, b in zip(points.d.tolist(), points.p.tolist())])
