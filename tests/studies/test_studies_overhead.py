"""Lambda fit and the distance needed for a target logical error rate."""

import numpy as np
import pytest

from studies.overhead import distance_for_target, fit_lambda
from studies.points import Points


def surface_qubits(d):
    return 2 * d * d - 1


def exact_points(lam, prefactor=0.1, p=0.001, shots=10**9):
    ds = np.array([3, 5, 7])
    y = prefactor / lam ** ((ds + 1) / 2)
    return Points.from_arrays(ds, np.full(3, p), np.full(3, shots), np.round(y * shots), 1)


def test_lambda_recovered_from_exact_rates():
    fit = fit_lambda(exact_points(lam=4.0), 0.001, "per_shot")
    assert fit.lam == pytest.approx(4.0, rel=1e-3)
    assert fit.lam_low < 4.0 < fit.lam_high
    assert fit.predict(9) == pytest.approx(0.1 / 4.0**5, rel=1e-2)


def test_distance_for_target_is_smallest_sufficient_odd_distance():
    fit = fit_lambda(exact_points(lam=4.0), 0.001, "per_shot")
    need = distance_for_target(fit, 1e-9, surface_qubits)
    # 0.1 / 4^k <= 1e-9  <=>  k >= log(1e8)/log(4) = 13.29 -> k = 14 -> d = 27.
    assert need.reachable and need.distance == 27 and need.physical_qubits == 2 * 27**2 - 1
    assert need.predicted_rate <= 1e-9 < fit.predict(25)


def test_at_or_above_threshold_the_target_is_out_of_reach():
    fit = fit_lambda(exact_points(lam=0.8, prefactor=0.01), 0.001, "per_shot")
    need = distance_for_target(fit, 1e-6, surface_qubits)
    assert not need.reachable and need.distance is None and "threshold" in need.reason


def test_too_large_distance_is_out_of_reach():
    fit = fit_lambda(exact_points(lam=1.05), 0.001, "per_shot")
    need = distance_for_target(fit, 1e-12, surface_qubits, max_distance=101)
    assert not need.reachable and "out of reach" in need.reason


def test_needs_two_distances_with_errors():
    pts = Points.from_arrays([3, 5, 7], [0.001] * 3, [1000] * 3, [5, 0, 0], 1)
    assert fit_lambda(pts, 0.001, "per_shot") is None
