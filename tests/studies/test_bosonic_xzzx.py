"""XZZX surface code under biased Pauli noise: the matching threshold rises with the bias.

Reference: Bonilla Ataides, Tuckett, Bartlett, Flammia, Brown, "The XZZX surface code", Nat. Commun. 12, 2172
(2021): under Z-biased noise the XZZX code's threshold rises from its depolarizing value towards 50 % at infinite
bias. At eta = 1/2 (depolarizing) each data qubit's detectable marginal is 2p/3, so matching reaches the 10.3 %
independent-noise threshold (Wang, Harrington, Preskill 2003) at p = 1.5 x 10.3 % = 15.5 %.
"""

from __future__ import annotations

import math

import numpy as np
import pymatching
import pytest

from protocols.errors import ConfigError
from studies.bosonic.biased import biased_channel, biased_memory_task
from studies.fit import estimate_threshold
from studies.points import Points


def _failures(family: str, basis: str, d: int, p: float, eta: float, n: int, seed: int) -> int:
    c = biased_memory_task(family, d, p, eta, "code_capacity", basis, "t").circuit
    m = pymatching.Matching.from_detector_error_model(c.detector_error_model(decompose_errors=True))
    det, obs = c.compile_detector_sampler(seed=seed).sample(n, separate_observables=True)
    return int(np.count_nonzero(m.decode_batch(det)[:, 0] != obs[:, 0]))


def _z(k1: int, k2: int, n: int) -> float:
    p = (k1 + k2) / (2 * n)
    return (k2 - k1) / n / math.sqrt(2 * p * (1 - p) / n)


def test_biased_channel_splits_p_by_eta() -> None:
    ch = biased_channel(0.3, 10.0)
    assert ch.pauli_z / (ch.pauli_x + ch.pauli_y) == pytest.approx(10.0)
    assert ch.pauli_x == ch.pauli_y
    assert ch.pauli_x + ch.pauli_y + ch.pauli_z == pytest.approx(0.3)
    with pytest.raises(ConfigError, match="eta"):
        biased_channel(0.1, 0.0)


@pytest.mark.parametrize(
    ("eta", "p", "larger_is_better"),
    [
        (0.5, 0.18, False),  # threshold(0.5) ~ 0.155 < 0.18
        (3.0, 0.18, True),  # ... < 0.18 < threshold(3)
        (3.0, 0.28, False),  # threshold(3) < 0.28
        (30.0, 0.28, True),  # ... < 0.28 < threshold(30)
    ],
)
def test_threshold_brackets_rise_with_bias(eta: float, p: float, larger_is_better: bool) -> None:
    # Together the four cases bracket threshold(0.5) < 0.18 < threshold(3) < 0.28 < threshold(30): three biases,
    # strictly rising thresholds. Each comparison must clear 4 binomial standard errors.
    n = 10000
    k5 = _failures("xzzx", "Z", 5, p, eta, n, seed=int(100 * eta + 1000 * p))
    k13 = _failures("xzzx", "Z", 13, p, eta, n, seed=int(100 * eta + 1000 * p) + 1)
    z = _z(k5, k13, n)
    assert (z < -4) if larger_is_better else (z > 4), (k5, k13, z)


def test_css_code_gains_nothing_from_bias_in_its_weak_basis() -> None:
    # Control: the CSS code's X memory sees Z and Y errors, whose share grows with the bias; at eta = 30 and
    # p = 0.28 (below the XZZX threshold there) its larger code is worse.
    n = 4000
    k5 = _failures("rotated_surface", "X", 5, 0.28, 30.0, n, seed=5)
    k13 = _failures("rotated_surface", "X", 13, 0.28, 30.0, n, seed=6)
    assert _z(k5, k13, n) > 4


@pytest.mark.slow
def test_fitted_xzzx_thresholds_rise_with_bias() -> None:
    # Fits at eta = 0.5, 3, 10 with disjoint CIs; at eta = 30 the threshold nears 0.5, where no sweep can bracket
    # it, so there the larger code must still win at a p above the eta = 10 CI.
    sweeps = {0.5: [0.125, 0.135, 0.145, 0.155, 0.165, 0.175], 3.0: [0.19, 0.205, 0.22, 0.235, 0.25, 0.265],
              10.0: [0.26, 0.28, 0.30, 0.32, 0.34, 0.36]}
    n = 50000
    est = {}
    for eta, ps in sweeps.items():
        d_, p_, k_ = [], [], []
        for d in (5, 9, 13):
            for j, p in enumerate(ps):
                d_.append(d)
                p_.append(p)
                k_.append(_failures("xzzx", "Z", d, p, eta, n, seed=100 * d + j))
        est[eta] = estimate_threshold(Points.from_arrays(d_, p_, [n] * len(d_), k_, 1), "per_shot", window=0.15,
                                      bootstrap=100, seed=0)
    etas = sorted(est)
    for a, b in zip(etas, etas[1:]):
        assert est[a].ci_high < est[b].ci_low, (a, est[a], b, est[b])
    # Depolarizing limit against 1.5 x 10.3 %; 0.01 allows the finite-size drift of crossings at d <= 13.
    assert est[0.5].ci_low - 0.01 <= 0.155 <= est[0.5].ci_high + 0.01
    p30 = 0.42
    assert p30 > est[10.0].ci_high
    assert _z(_failures("xzzx", "Z", 5, p30, 30.0, n, seed=1), _failures("xzzx", "Z", 13, p30, 30.0, n, seed=2), n) < -4


def test_phenomenological_model_repeats_rounds_with_measurement_flips() -> None:
    t = biased_memory_task("xzzx", 3, 0.01, 10.0, "phenomenological", "Z", "t")
    assert t.json_metadata["rounds"] == 3
    text = str(t.circuit)
    assert text.count("PAULI_CHANNEL_1") == 3  # one data channel per round
    assert "X_ERROR(0.01)" in text or "Z_ERROR(0.01)" in text  # measurement flips at p
    # Far below threshold the decoder corrects nearly everything: p_L well under p.
    assert _failures_of(t, 4000, seed=3) / 4000 < 0.01


def _failures_of(task, n: int, seed: int) -> int:  # noqa: ANN001 - a sinter.Task
    c = task.circuit
    m = pymatching.Matching.from_detector_error_model(c.detector_error_model(decompose_errors=True))
    det, obs = c.compile_detector_sampler(seed=seed).sample(n, separate_observables=True)
    return int(np.count_nonzero(m.decode_batch(det)[:, 0] != obs[:, 0]))
