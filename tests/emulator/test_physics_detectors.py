"""Detector click statistics against POVMs on QuTiP states.

Model (Hadfield, Nat. Photon. 3, 696 (2009); Loudon, The Quantum Theory of Light, 3rd ed. (2000)):
a detector of efficiency eta is a beam splitter of transmission eta to a vacuum port followed by an ideal
detector. Threshold: no click = vacuum projector on the transmitted mode times the no-dark-count probability.
PNR: the count is the total photon number of the transmitted mode plus an independent Poissonian dark mode.

Truncation: the beam splitter conserves photon number, so with N levels per mode it is exact below N input
photons; the error of each probability is bounded by the input mass at n >= N (and, for the dark mode, by its
Poisson tail). Tolerances are those tails plus 1e-12.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
import qutip
from scipy import stats

from emulator.physics.detectors import (
    DetectorConfig,
    DetectorParams,
    coherent_click_probability,
    dark_count_probability,
    pnr_count_distribution,
    thermal_click_probability,
    threshold_click_probability,
)
from emulator.physics.photon_statistics import thermal_tail

FLOAT_TOL = 1e-12
ETA = 0.87
P_DARK = 0.013


@functools.lru_cache(maxsize=4)
def lossy_unitary(n: int, eta: float) -> qutip.Qobj:
    a = qutip.tensor(qutip.destroy(n), qutip.qeye(n))
    b = qutip.tensor(qutip.qeye(n), qutip.destroy(n))
    return (np.arccos(np.sqrt(eta)) * (a * b.dag() - a.dag() * b)).expm()


def detected_mode(rho: qutip.Qobj, eta: float) -> qutip.Qobj:
    """State reaching the ideal detector after efficiency eta (beam splitter to a vacuum port)."""
    n = rho.shape[0]
    u = lossy_unitary(n, eta)
    return (u * qutip.tensor(rho, qutip.fock_dm(n, 0)) * u.dag()).ptrace(0)


def threshold_click_povm(rho: qutip.Qobj, eta: float, p_dark: float) -> float:
    """1 - P(no click): no photon reaches the ideal detector and no dark count."""
    return 1.0 - (1.0 - p_dark) * qutip.expect(qutip.fock_dm(rho.shape[0], 0), detected_mode(rho, eta))


@pytest.mark.parametrize("n_photons", [0, 1, 2, 4])
def test_threshold_click_for_fock_input(n_photons):
    rho = qutip.fock_dm(8, n_photons)
    assert threshold_click_probability(n_photons, ETA, P_DARK) == pytest.approx(
        threshold_click_povm(rho, ETA, P_DARK), abs=FLOAT_TOL
    )


def test_threshold_click_for_coherent_input():
    cutoff, alpha = 20, 1.0
    tail = stats.poisson.sf(cutoff - 1, alpha**2)
    rho = qutip.coherent_dm(cutoff, alpha, method="analytic")
    assert coherent_click_probability(alpha**2, ETA, P_DARK) == pytest.approx(
        threshold_click_povm(rho, ETA, P_DARK), abs=tail + FLOAT_TOL
    )


def test_threshold_click_for_thermal_input():
    cutoff, mean = 24, 0.3
    rho = qutip.thermal_dm(cutoff, mean)
    assert thermal_click_probability(mean, ETA, P_DARK) == pytest.approx(
        threshold_click_povm(rho, ETA, P_DARK), abs=thermal_tail(mean, cutoff) + FLOAT_TOL
    )


def pnr_povm_distribution(rho: qutip.Qobj, eta: float, dark_mean: float, k_max: int) -> np.ndarray:
    """P(k) of the total photon number of the detected mode and a Poissonian dark mode (QuTiP projectors)."""
    n = rho.shape[0]
    dark = qutip.Qobj(np.diag(stats.poisson.pmf(np.arange(n), dark_mean)))
    both = qutip.tensor(detected_mode(rho, eta), dark)
    out = []
    for k in range(k_max + 1):
        proj = sum(qutip.tensor(qutip.fock_dm(n, j), qutip.fock_dm(n, k - j)) for j in range(k + 1))
        out.append(qutip.expect(proj, both))
    return np.array(out)


@pytest.mark.parametrize("kind", ["fock3", "coherent"])
def test_pnr_count_distribution_matches_projectors(kind):
    cutoff, dark_mean, k_max = 12, 0.05, 6
    dark_tail = stats.poisson.sf(cutoff - 1, dark_mean)
    if kind == "fock3":
        rho, tail = qutip.fock_dm(cutoff, 3), 0.0
        dist = np.eye(cutoff)[3]
    else:
        rho, tail = qutip.coherent_dm(cutoff, 0.8, method="analytic"), stats.poisson.sf(cutoff - 1, 0.64)
        dist = stats.poisson.pmf(np.arange(cutoff), 0.64)
    expected = pnr_povm_distribution(rho, ETA, dark_mean, k_max)
    got = pnr_count_distribution(dist, ETA, dark_mean, k_max)
    np.testing.assert_allclose(got, expected, atol=tail + dark_tail + FLOAT_TOL)
    # A PNR detector read as a threshold detector gives the threshold formula with p_dark = 1 - e^{-R w}.
    if kind == "fock3":
        assert 1.0 - got[0] == pytest.approx(
            threshold_click_probability(3, ETA, dark_count_probability(dark_mean, 1.0)), abs=FLOAT_TOL
        )


def test_dark_count_probability_is_poisson_at_least_one():
    rate, window = 250.0, 2e-9
    assert dark_count_probability(rate, window) == pytest.approx(stats.poisson.sf(0, rate * window), rel=1e-12)


def test_detector_params_are_frozen_and_carry_the_window_dark_probability():
    cfg = DetectorConfig(
        efficiency=0.93, dark_count_rate_hz=10.0, gate_window_ns=2.0, jitter_sigma_ps=20.0, dead_time_ns=30.0
    )
    p = cfg.params()
    assert isinstance(p, DetectorParams)
    assert p.dark_probability == pytest.approx(-np.expm1(-10.0 * 2e-9), rel=1e-12)
    assert not p.photon_number_resolving
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.efficiency = 0.5  # type: ignore[misc]
