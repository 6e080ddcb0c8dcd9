"""Photonic model: physical units to effective channel, against closed forms, QuTiP and direct simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import qutip
import scipy.stats
import stim

from protocols.config import validate
from protocols.errors import ConfigError
from protocols.noise import (
    PhotonicNoise,
    dark_count_probability,
    dephasing_probability,
    dual_rail_readout,
    transmission,
)

BASE = dict(
    loss_db=1.0, phase_sigma_rad=0.3, gate_error=0.02, detector_efficiency=0.9,
    dark_count_rate_hz=2e6, gate_window_ns=50.0,
)


def test_closed_forms() -> None:
    """Effective channel of BASE, computed by hand from the formulas in the module docstring."""
    ch = PhotonicNoise(**BASE).effective_channel()
    t = 10 ** (-0.1)  # 1 dB
    d = 1 - math.exp(-2e6 * 50e-9)  # mean 0.1 dark counts per window
    eta = 0.9
    e_meas = (1 - eta) * ((1 - d) ** 2 + d**2) + eta * d
    f_meas = (1 - eta) * d * (1 - d)
    assert ch.erasure == pytest.approx(1 - t, rel=1e-12)
    assert ch.pauli_z == pytest.approx((1 - math.exp(-0.045)) / 2, rel=1e-12)
    assert ch.gate_depolarizing == 0.02
    assert ch.measurement_erasure == pytest.approx(e_meas, rel=1e-12)
    assert ch.measurement_flip == pytest.approx(f_meas / (1 - e_meas), rel=1e-12)
    assert ch.measurement_flip == pytest.approx((1 - eta) * d / (eta + 2 * d * (1 - eta)), rel=1e-12)
    assert (ch.pauli_x, ch.pauli_y, ch.false_herald, ch.reset_flip) == (0, 0, 0, 0)


def test_known_values() -> None:
    assert transmission(3.0) == pytest.approx(0.501187, rel=1e-6)  # 3 dB is half the power
    assert transmission(0.0) == 1.0
    assert dephasing_probability(0.0) == 0.0
    assert dephasing_probability(1e3) == pytest.approx(0.5)  # fully random phase: Z with probability 1/2
    # Dark counts are Poisson: P(at least one) from scipy's Poisson survival function.
    assert dark_count_probability(1e4, 1e3) == pytest.approx(scipy.stats.poisson.sf(0, 1e-2), rel=1e-12)
    assert dual_rail_readout(1.0, 0.0) == (0.0, 0.0)  # ideal detectors
    assert dual_rail_readout(0.0, 0.0) == (1.0, 0.0)  # blind detectors: every outcome flagged


def test_dephasing_against_qutip() -> None:
    """Gaussian phase between the rails, averaged by Gauss-Hermite quadrature in QuTiP, is Z dephasing.

    Closed form: E[cos phi] = exp(-sigma^2/2) for phi ~ N(0, sigma^2) (characteristic function of the normal).
    """
    sigma = 0.7
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)  # weight exp(-x^2/2)
    weights = weights / weights.sum()
    plus = (qutip.basis(2, 0) + qutip.basis(2, 1)).unit()
    rho = qutip.ket2dm(plus)
    out = sum(
        w * (-1j * sigma * x * qutip.sigmaz() / 2).expm() * rho * (1j * sigma * x * qutip.sigmaz() / 2).expm()
        for x, w in zip(nodes, weights, strict=True)
    )
    minus = (qutip.basis(2, 0) - qutip.basis(2, 1)).unit()
    p_z = qutip.expect(qutip.ket2dm(minus), out)
    assert p_z == pytest.approx(dephasing_probability(sigma), abs=1e-12)


def test_loss_against_qutip_beam_splitter() -> None:
    """A photon meeting a beam splitter of transmission T (vacuum in the other port) stays with probability T."""
    loss_db = 2.5
    t = transmission(loss_db)
    n = 3
    a = qutip.tensor(qutip.destroy(n), qutip.qeye(n))
    b = qutip.tensor(qutip.qeye(n), qutip.destroy(n))
    theta = math.acos(math.sqrt(t))
    u = (theta * (a.dag() * b - a * b.dag())).expm()
    out = u * qutip.tensor(qutip.basis(n, 1), qutip.basis(n, 0))
    kept = qutip.expect(a.dag() * a, out)
    assert kept == pytest.approx(t, abs=1e-12)


def test_readout_derivation_by_direct_simulation() -> None:
    """Simulate the two rail detectors photon by photon; flagged and wrong-outcome rates match E and F."""
    eta, d, n = 0.7, 0.2, 400_000
    rng = np.random.default_rng(12345)
    photon_rail = rng.integers(0, 2, n)
    detected = rng.random(n) < eta
    dark = rng.random((n, 2)) < d
    clicks = dark.copy()
    clicks[np.arange(n), photon_rail] |= detected
    flagged = clicks[:, 0] == clicks[:, 1]  # no click or two clicks
    wrong = ~flagged & (clicks[:, 1] != (photon_rail == 1))  # one click, on the other rail
    e_expected, f_expected = dual_rail_readout(eta, d)
    for observed, expected in ((flagged.mean(), e_expected), (wrong.mean(), f_expected)):
        assert abs(observed - expected) <= 5 * math.sqrt(expected * (1 - expected) / n)


def test_sampled_circuit_reproduces_readout() -> None:
    """In the stim circuit, P(herald) = E and P(no herald and flipped) = F, as derived."""
    model = PhotonicNoise(**{**BASE, "detector_efficiency": 0.6, "dark_count_rate_hz": 1e7, "gate_window_ns": 30})
    e_expected, f_expected = dual_rail_readout(0.6, dark_count_probability(1e7, 30))
    n, shots = 100, 3000
    hooks = model.hooks()
    c = stim.Circuit()
    c.append("R", range(n))
    hooks.before_measure(c, list(range(n)), "Z", "ancilla")
    c.append("M", range(n))
    rec = c.compile_sampler(seed=99).sample(shots)
    herald, flipped = rec[:, :n].ravel(), rec[:, n:].ravel()
    for observed, expected in ((herald.mean(), e_expected), ((~herald & flipped).mean(), f_expected)):
        assert abs(observed - expected) <= 5 * math.sqrt(expected * (1 - expected) / herald.size)


def test_contributions_compose_to_the_total() -> None:
    model = PhotonicNoise(**BASE)
    parts = model.contributions()
    assert set(parts) == {"loss", "phase_noise", "gate", "detector"}
    total = model.effective_channel().model_dump()
    for field, value in total.items():
        shares = [p.model_dump()[field] for p in parts.values()]
        assert sum(shares) == pytest.approx(value)
        assert sum(s > 0 for s in shares) <= 1  # each mechanism comes from one component
    assert parts["loss"].erasure > 0 and parts["detector"].measurement_flip > 0


@pytest.mark.parametrize(
    ("field", "value", "range_text"),
    [
        ("loss_db", -1.0, "greater than or equal to 0"),
        ("phase_sigma_rad", -0.1, "greater than or equal to 0"),
        ("gate_error", 1.2, "less than or equal to 1"),
        ("detector_efficiency", 1.01, "less than or equal to 1"),
        ("dark_count_rate_hz", -5.0, "greater than or equal to 0"),
        ("gate_window_ns", 0.0, "greater than 0"),
        ("loss_db", float("nan"), "finite number"),
    ],
)
def test_out_of_range_rejected(field: str, value: float, range_text: str) -> None:
    with pytest.raises(ConfigError) as err:
        validate(PhotonicNoise, {**BASE, field: value}, "photonic.yaml")
    assert f"photonic.yaml: {field}: " in str(err.value)
    assert range_text in str(err.value)
