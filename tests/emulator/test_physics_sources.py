"""Source photon statistics against QuTiP: two-mode squeezed vacuum for SPDC, g2 for a quantum dot.

SPDC: S2(r) = exp(r (a^dag b^dag - a b)) on vacuum leaves each mode thermal with mean sinh^2 r (Loudon,
The Quantum Theory of Light, 3rd ed. (2000), ch. 9; Christ & Silberhorn, Phys. Rev. A 85, 023829 (2012)
for heralded multi-photon statistics). The herald is a threshold detector on the idler, whose no-click POVM
(1 - p_dark)(1 - eta)^n is checked against a beam-splitter model in test_physics_detectors.py.

Truncation bound: with N levels per mode, the truncated generator K_N differs from K only through
the -a b term acting on |N, N>, so d/ds (psi_N - Pi psi) = K_N (psi_N - Pi psi) + N c_N(s) |N-1, N-1> with
|c_N(s)| = tanh^N(s) / cosh(s). K_N is anti-Hermitian, hence ||psi_N(r) - Pi psi(r)|| <= eps = r N tanh^N(r),
and every probability is off by at most 2 eps.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import qutip

from emulator.physics.sources import (
    QuantumDotSource,
    SPDCSource,
    quantum_dot_distribution,
    spdc_herald_probability,
    spdc_heralded_distribution,
    spdc_heralded_multi_photon_probability,
    spdc_heralded_single_photon_probability,
)
from emulator.physics.photon_statistics import thermal_distribution

FLOAT_TOL = 1e-12


@functools.lru_cache(maxsize=4)
def tmsv(mean: float, cutoff: int) -> tuple[qutip.Qobj, float]:
    """Two-mode squeezed vacuum (signal, idler) of mean photon number `mean` per mode, and its error bound."""
    r = np.arcsinh(np.sqrt(mean))
    a = qutip.tensor(qutip.destroy(cutoff), qutip.qeye(cutoff))
    b = qutip.tensor(qutip.qeye(cutoff), qutip.destroy(cutoff))
    psi = (r * (a.dag() * b.dag() - a * b)).expm() * qutip.tensor(qutip.basis(cutoff, 0), qutip.basis(cutoff, 0))
    return psi, 2.0 * r * cutoff * np.tanh(r) ** cutoff


@pytest.mark.parametrize("mean", [0.05, 0.3])
def test_spdc_marginal_is_thermal(mean):
    cutoff = 28 if mean > 0.1 else 20
    psi, bound = tmsv(mean, cutoff)
    for mode in (0, 1):
        diag = psi.ptrace(mode).diag().real
        np.testing.assert_allclose(diag, thermal_distribution(mean, cutoff - 1), atol=bound + FLOAT_TOL)


@pytest.mark.parametrize("mean, eta_h, p_dark", [(0.05, 0.9, 0.0), (0.3, 0.6, 0.01), (0.1, 0.25, 1e-4)])
def test_heralded_statistics_match_herald_povm_on_tmsv(mean, eta_h, p_dark):
    cutoff = 28 if mean > 0.1 else 20
    psi, bound = tmsv(mean, cutoff)
    n_idler = qutip.tensor(qutip.qeye(cutoff), qutip.num(cutoff))
    no_click = (1.0 - p_dark) * qutip.Qobj(np.diag((1.0 - eta_h) ** n_idler.diag().real), dims=n_idler.dims)
    click = qutip.tensor(qutip.qeye(cutoff), qutip.qeye(cutoff)) - no_click
    rho = psi.proj()
    p_herald = qutip.expect(click, rho)
    assert spdc_herald_probability(mean, eta_h, p_dark) == pytest.approx(p_herald, abs=2 * bound + FLOAT_TOL)
    signal = (click * rho).ptrace(0).diag().real / p_herald
    tol = 4 * bound / p_herald + FLOAT_TOL
    assert spdc_heralded_single_photon_probability(mean, eta_h, p_dark) == pytest.approx(signal[1], abs=tol)
    assert spdc_heralded_multi_photon_probability(mean, eta_h, p_dark) == pytest.approx(signal[2:].sum(), abs=tol)
    dist = spdc_heralded_distribution(mean, eta_h, p_dark, n_max=8)
    np.testing.assert_allclose(dist[:8], signal[:8], atol=tol)


def test_spdc_multi_photon_probability_without_dark_counts():
    # p_dark = 0: P_h = eta mu / (1 + eta mu), P(1 | h) = (1 + eta mu) / (1 + mu)^2, so
    # P(>=2 | h) = mu (2 - eta + mu) / (1 + mu)^2 (Christ & Silberhorn 2012 discuss the same trade-off).
    for mu, eta in [(1e-4, 0.7), (0.05, 0.9), (0.5, 0.3)]:
        assert spdc_heralded_multi_photon_probability(mu, eta) == pytest.approx(
            mu * (2 - eta + mu) / (1 + mu) ** 2, abs=FLOAT_TOL
        )


def test_quantum_dot_distribution_reproduces_g2_and_mean_in_qutip():
    # g2(0) = <a^dag a^dag a a> / <a^dag a>^2 (Loudon 2000), evaluated on the diagonal state.
    for b, g2 in [(0.57, 0.021), (0.9, 0.1), (0.3, 0.0)]:
        p = quantum_dot_distribution(b, g2)
        rho = qutip.Qobj(np.diag(p))
        a = qutip.destroy(3)
        mean = qutip.expect(a.dag() * a, rho)
        assert mean == pytest.approx(b, abs=FLOAT_TOL)
        assert qutip.expect(a.dag() * a.dag() * a * a, rho) / mean**2 == pytest.approx(g2, abs=FLOAT_TOL)
        assert p.sum() == pytest.approx(1.0, abs=FLOAT_TOL) and (p >= 0).all()


def test_source_configs_deliver_normalised_distributions():
    qd = QuantumDotSource(kind="quantum_dot", efficiency=0.57, g2=0.021, indistinguishability=0.975, rep_rate_hz=8e7)
    spdc = SPDCSource(
        kind="spdc", mean_photon_number=0.05, herald_efficiency=0.9, signal_efficiency=0.8,
        indistinguishability=0.95, rep_rate_hz=1e8,
    )
    for src in (qd, spdc):
        p = src.photon_number_distribution()
        assert p.sum() == pytest.approx(1.0, abs=1e-12) and (p >= -1e-15).all()
    # Signal coupling is binomial loss: the mean heralded photon number scales by eta_s exactly.
    n = np.arange(9)
    heralded = spdc_heralded_distribution(0.05, 0.9, 0.0, n_max=8)
    assert spdc.photon_number_distribution() @ n == pytest.approx(0.8 * (heralded @ n), rel=1e-12)
