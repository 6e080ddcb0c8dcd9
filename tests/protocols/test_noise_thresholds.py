"""The models reproduce the known threshold regimes of the rotated surface code under matching.

Published minimum-weight-matching thresholds: code capacity with independent X/Z flips about 10.3% and
phenomenological noise (q = p) about 2.9% (Wang, Harrington, Preskill, Ann. Phys. 303, 31 (2003); Dennis et al.,
J. Math. Phys. 43, 4452 (2002)); uniform circuit-level depolarizing noise just under 1% (Fowler, Mariantoni,
Martinis, Cleland, PRA 86, 032324 (2012): 0.57%). Well below threshold the larger code must fail less often,
well above it more often; each comparison must hold by at least 5 combined binomial standard errors.
"""

from __future__ import annotations

import numpy as np
import pymatching
import pytest

from protocols.codes import CodeSpec, build_memory_circuit
from protocols.noise import CircuitDepolarizingNoise, CodeCapacityNoise, PhenomenologicalNoise


def _logical_error_rate(model, distance: int, shots: int, seed: int) -> tuple[float, float]:
    """(rate, binomial standard error) of Z-memory logical errors decoded by matching."""
    spec = CodeSpec("rotated_surface", distance, model.rounds_for(distance), "Z")
    c = build_memory_circuit(spec, model.hooks())
    matching = pymatching.Matching.from_detector_error_model(c.detector_error_model(decompose_errors=True))
    det, obs = c.compile_detector_sampler(seed=seed).sample(shots, separate_observables=True)
    rate = float(np.mean(matching.decode_batch(det)[:, 0] != obs[:, 0]))
    return rate, float(np.sqrt(max(rate * (1 - rate), 1.0 / shots) / shots))


@pytest.mark.parametrize(
    ("model", "small", "large", "below"),
    [
        (CodeCapacityNoise(p=0.05), 3, 7, True),
        (CodeCapacityNoise(p=0.15), 3, 7, False),
        (PhenomenologicalNoise(p=0.01), 3, 5, True),
        (PhenomenologicalNoise(p=0.05), 3, 5, False),
        (CircuitDepolarizingNoise(p=0.002), 3, 5, True),
        (CircuitDepolarizingNoise(p=0.02), 3, 5, False),
    ],
    ids=lambda v: getattr(v, "kind", None) and f"{v.kind}-{v.p}",
)
def test_threshold_side(model, small: int, large: int, below: bool) -> None:
    shots = 20_000 if below else 10_000  # below threshold the rates are small: more shots for the same margin
    p_small, se_small = _logical_error_rate(model, small, shots, seed=101)
    p_large, se_large = _logical_error_rate(model, large, shots, seed=202)
    gap = (p_small - p_large) if below else (p_large - p_small)
    assert gap > 5 * np.hypot(se_small, se_large), (p_small, p_large)


def _crossing(model_at, distances: tuple[int, int], grid: np.ndarray, shots: int) -> float:
    """Physical error rate where the two distances' logical error rates cross (linear interpolation)."""
    diff = []
    for k, p in enumerate(grid):
        small = _logical_error_rate(model_at(p), distances[0], shots, seed=1000 + k)[0]
        large = _logical_error_rate(model_at(p), distances[1], shots, seed=2000 + k)[0]
        diff.append(large - small)
    diff = np.array(diff)
    k = int(np.flatnonzero(np.diff(np.sign(diff)) > 0)[0])
    return float(grid[k] - diff[k] * (grid[k + 1] - grid[k]) / (diff[k + 1] - diff[k]))


@pytest.mark.slow
def test_code_capacity_threshold_value() -> None:
    """d = 9 / 15 crossing near the published 10.3%.

    Finite-size crossings approach it from below (measured here: 9.5% for d = 5 / 9, 9.9% for d = 9 / 15), hence
    the 1% tolerance; the statistical uncertainty of the crossing is about 0.1%.
    """
    p_th = _crossing(lambda p: CodeCapacityNoise(p=p), (9, 15), np.linspace(0.08, 0.12, 5), 50_000)
    assert abs(p_th - 0.103) < 0.01, p_th


@pytest.mark.slow
def test_phenomenological_threshold_value() -> None:
    """d = 5 / 9 crossing near the published 2.9% (within 0.4%)."""
    p_th = _crossing(lambda p: PhenomenologicalNoise(p=p), (5, 9), np.linspace(0.02, 0.04, 5), 40_000)
    assert abs(p_th - 0.029) < 0.004, p_th
