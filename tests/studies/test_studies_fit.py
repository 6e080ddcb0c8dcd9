"""Threshold fit on synthetic data drawn from the scaling ansatz with a known threshold.

The ansatz p_L = A + B x + C x^2, x = (p - p_th) d^(1/nu) is that of Wang, Harrington, Preskill (2003); here
data are drawn from it with binomial noise, so the fit must recover p_th within its own confidence interval.
"""

import numpy as np
import pytest

from protocols.errors import StudyError
from studies.fit import estimate_threshold, fit_scaling, pairwise_crossings
from studies.points import Points

TRUE = dict(p_th=0.1, nu=1.4, a=0.15, b=1.2, c=1.0)


def synthetic(seed, shots=20_000, ps=np.linspace(0.08, 0.12, 7), ds=(3, 5, 7), rounds=1):
    rng = np.random.default_rng(seed)
    d, p = np.meshgrid(np.array(ds), ps, indexing="ij")
    d, p = d.ravel(), p.ravel()
    x = (p - TRUE["p_th"]) * d ** (1 / TRUE["nu"])
    y = TRUE["a"] + TRUE["b"] * x + TRUE["c"] * x * x
    # Far from threshold the quadratic leaves [0, 1]; clipping there is what a fit window must exclude.
    return Points.from_arrays(d, p, np.full(d.shape, shots), rng.binomial(shots, np.clip(y, 0, 1)), rounds)


def test_recovers_known_threshold_within_ci():
    est = estimate_threshold(synthetic(seed=1), window=None, bootstrap=200, seed=7)
    assert est.ci_low <= TRUE["p_th"] <= est.ci_high
    # The interval must be informative: binomial noise at 20k shots pins p_th to a few 0.1%.
    assert est.ci_high - est.ci_low < 0.01
    assert est.fit.nu == pytest.approx(TRUE["nu"], rel=0.3)
    assert est.crossing_ci_low <= TRUE["p_th"] <= est.crossing_ci_high
    assert est.bootstrap_failures == 0


def test_ci_coverage_over_independent_data_sets():
    # Of 12 independent data sets, a 95% interval misses the truth in 0.6 on average; allowing 3 misses,
    # the binomial(12, 0.05) tail P(>= 4 misses) = 0.002 bounds the chance of a false failure.
    misses = 0
    for seed in range(12):
        est = estimate_threshold(synthetic(seed=100 + seed), window=None, bootstrap=100, seed=seed)
        misses += not (est.ci_low <= TRUE["p_th"] <= est.ci_high)
    assert misses <= 3


def test_is_deterministic_for_a_seed():
    a = estimate_threshold(synthetic(seed=3), bootstrap=50, seed=11)
    b = estimate_threshold(synthetic(seed=3), bootstrap=50, seed=11)
    assert a == b


def test_window_keeps_points_near_the_crossing():
    pts = synthetic(seed=4, ps=np.linspace(0.05, 0.15, 11))
    est = estimate_threshold(pts, window=0.25, bootstrap=50, seed=0)
    assert est.window[0] >= 0.075 - 1e-12 and est.window[1] <= 0.125 + 1e-12
    assert est.ci_low <= TRUE["p_th"] <= est.ci_high


def test_pairwise_crossings_of_consecutive_distances():
    pairs = pairwise_crossings(synthetic(seed=5, shots=10**7))
    assert {(a, b) for a, b, _ in pairs} == {(3, 5), (5, 7)}
    for _, _, p in pairs:
        assert p == pytest.approx(TRUE["p_th"], abs=0.002)


def test_too_few_points_is_a_study_error():
    pts = synthetic(seed=6, ps=np.array([0.09, 0.11]), ds=(3, 5))
    with pytest.raises(StudyError, match="needs >= 7 points"):
        fit_scaling(pts)
