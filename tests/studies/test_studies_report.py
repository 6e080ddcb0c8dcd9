"""Overhead entries: what counts as a reachable target."""

import numpy as np

from studies.points import Points
from studies.report import CircuitFacts, NoiseSummary, overhead_entry

SUMMARY = NoiseSummary(
    name="n", kind="phenomenological", parameter="p", decoder="pymatching",
    facts=tuple(CircuitFacts(d, d, 2 * d * d - 1, 0) for d in (3, 5, 7)), qubits_for=lambda d: 2 * d * d - 1,
)


def test_equal_per_shot_rates_are_not_suppression_even_if_per_round_rates_fall():
    # Every code fails 10% of shots; with rounds = d the per-round rate still falls like 1/d.
    pts = Points.from_arrays([3, 5, 7], [0.03] * 3, [10**6] * 3, [10**5] * 3, [3, 5, 7])
    (row,) = overhead_entry(pts, SUMMARY, "per_round", 1e-9)["per_p"]
    assert row["lambda"] > 1.2 and abs(row["lambda_per_shot"] - 1.0) < 0.01
    assert not row["reachable"] and "per-shot rates do not fall" in row["reason"]


def test_falling_rates_give_a_distance_and_qubit_count():
    shot_rates = 0.1 / 3.0 ** ((np.array([3, 5, 7]) + 1) / 2)
    pts = Points.from_arrays([3, 5, 7], [0.01] * 3, [10**8] * 3, np.round(shot_rates * 1e8), [3, 5, 7])
    entry = overhead_entry(pts, SUMMARY, "per_round", 1e-9)
    (row,) = entry["per_p"]
    assert row["reachable"] and row["lambda_ci"][0] > 1
    assert row["physical_qubits_needed"] == 2 * row["distance_needed"] ** 2 - 1
    assert [r["physical_qubits_per_logical_qubit"] for r in entry["per_distance"]] == [17, 49, 97]
