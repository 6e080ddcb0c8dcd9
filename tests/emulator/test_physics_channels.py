"""Channel loss and phase noise against QuTiP: a beam splitter to a vacuum port, and Gaussian dephasing.

Reference: Loudon, The Quantum Theory of Light, 3rd ed. (2000) (beam splitter with a vacuum input:
binomial photon-number loss; a coherent state stays coherent with amplitude sqrt(T) alpha; a thermal state stays
thermal with mean T m).

Truncation: the beam-splitter generator a b^dag - a^dag b conserves the total photon number, so with the
environment in vacuum and N Fock levels per mode the truncated unitary is exact on every input component with
fewer than N photons. The only error is the input mass at n >= N, which bounds the error of every output
probability; tolerances are that tail plus 1e-12 for floating point.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import qutip
from scipy import integrate, stats

from emulator.physics.channels import (
    ChannelConfig,
    linewidth_phase_variance,
    loss_db,
    phase_flip_probability,
    transmission_from_db,
)
from emulator.physics.photon_statistics import binomial_loss, poisson_distribution, thermal_distribution, thermal_tail

FLOAT_TOL = 1e-12


@functools.lru_cache(maxsize=8)
def beam_splitter(n: int, transmission: float) -> qutip.Qobj:
    """exp(theta (a b^dag - a^dag b)) on two modes of n levels, cos^2 theta = T."""
    a = qutip.tensor(qutip.destroy(n), qutip.qeye(n))
    b = qutip.tensor(qutip.qeye(n), qutip.destroy(n))
    theta = np.arccos(np.sqrt(transmission))
    return (theta * (a * b.dag() - a.dag() * b)).expm()


def beam_splitter_loss(rho: qutip.Qobj, transmission: float) -> qutip.Qobj:
    """Mode a after the beam splitter with mode b in vacuum (QuTiP, exact below the cutoff)."""
    n = rho.shape[0]
    u = beam_splitter(n, transmission)
    full = qutip.tensor(rho, qutip.fock_dm(n, 0))
    return (u * full * u.dag()).ptrace(0)


@pytest.fixture(scope="module")
def channel() -> ChannelConfig:
    # 12 km of 0.2 dB/km fibre plus two 0.5 dB couplers: 3.4 dB.
    return ChannelConfig(fibre_length_km=12.0, fibre_loss_db_per_km=0.2, insertion_losses_db=[0.5, 0.5])


def test_loss_db_adds_fibre_and_insertion_losses(channel):
    assert channel.loss_db() == pytest.approx(12 * 0.2 + 1.0, abs=1e-12)
    assert channel.transmission() == pytest.approx(10 ** (-0.34), rel=1e-12)
    # dB add, so transmissions multiply.
    assert transmission_from_db(loss_db(1.0, 3.0, [2.0])) == pytest.approx(
        transmission_from_db(3.0) * transmission_from_db(2.0), rel=1e-12
    )


@pytest.mark.parametrize("n_photons", [0, 1, 2, 3, 5])
def test_fock_state_loss_is_binomial(channel, n_photons):
    cutoff = 8  # > n_photons: exact
    t = channel.transmission()
    out = beam_splitter_loss(qutip.fock_dm(cutoff, n_photons), t).diag().real
    fock = np.zeros(cutoff)
    fock[n_photons] = 1.0
    np.testing.assert_allclose(out, binomial_loss(fock, t), atol=FLOAT_TOL)
    binomial = stats.binom.pmf(np.arange(n_photons + 1), n_photons, t)
    np.testing.assert_allclose(out[: n_photons + 1], binomial, atol=FLOAT_TOL)


def test_coherent_state_stays_coherent_with_sqrt_t_amplitude(channel):
    cutoff, alpha = 20, 1.0
    t = channel.transmission()
    tail = stats.poisson.sf(cutoff - 1, abs(alpha) ** 2)
    out = beam_splitter_loss(qutip.coherent_dm(cutoff, alpha, method="analytic"), t)
    np.testing.assert_allclose(out.diag().real, poisson_distribution(t * alpha**2, cutoff - 1), atol=tail + FLOAT_TOL)
    expected = qutip.coherent(cutoff, np.sqrt(t) * alpha, method="analytic")
    assert qutip.expect(out, expected) == pytest.approx(1.0, abs=2 * tail + FLOAT_TOL)


def test_thermal_state_stays_thermal_with_mean_t_m(channel):
    cutoff, mean = 24, 0.3
    t = channel.transmission()
    tail = thermal_tail(mean, cutoff)
    out = beam_splitter_loss(qutip.thermal_dm(cutoff, mean), t).diag().real
    np.testing.assert_allclose(out, thermal_distribution(t * mean, cutoff - 1), atol=tail + FLOAT_TOL)


@pytest.mark.parametrize("sigma", [0.0, 0.05, 0.3, 1.0])
def test_gaussian_phase_noise_is_z_error_with_closed_form_probability(sigma):
    # Dual-rail |+> = (|1,0> + |0,1>)/sqrt 2; a phase phi on rail b, averaged over phi ~ N(0, sigma^2) by
    # 80-point Gauss-Hermite quadrature (exact for polynomials of degree 159; the Taylor remainder of
    # e^{i phi} beyond that is below 1e-100 for sigma <= 1).
    n = 2
    b = qutip.tensor(qutip.qeye(n), qutip.destroy(n))
    zero, one = qutip.tensor(qutip.basis(n, 1), qutip.basis(n, 0)), qutip.tensor(qutip.basis(n, 0), qutip.basis(n, 1))
    plus, minus = (zero + one).unit(), (zero - one).unit()
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    rho = sum(w * (1j * sigma * x * b.dag() * b).expm() * plus.proj() * (-1j * sigma * x * b.dag() * b).expm()
              for x, w in zip(nodes, weights))
    p_minus = qutip.expect(rho, minus)
    assert p_minus == pytest.approx(float(phase_flip_probability(sigma)), abs=FLOAT_TOL)
    # A Z error leaves the populations alone: it is a pure Z channel.
    assert qutip.expect(rho, zero) == pytest.approx(0.5, abs=FLOAT_TOL)


@pytest.mark.parametrize("linewidth_hz, delay_ns", [(1e6, 1.0), (1e5, 25.0), (3e6, 10.0)])
def test_linewidth_convention_matches_lorentzian_coherence(linewidth_hz, delay_ns):
    # |g1(tau)| of a Lorentzian line of FWHM dnu is the Fourier transform of its spectrum (Wiener-Khinchin,
    # Loudon 2000, ch. 3): g1 = 2 int_0^inf S(nu) cos(2 pi nu tau) dnu with S = (dnu/2pi) / (nu^2 + (dnu/2)^2).
    tau = delay_ns * 1e-9
    half = linewidth_hz / 2.0
    # Substitute nu = half x so the integrand is O(1); QAWF (Fourier integral) is accurate to ~1e-10.
    g1, err = integrate.quad(
        lambda x: 1.0 / (np.pi * (x**2 + 1.0)), 0, np.inf, weight="cos", wvar=2 * np.pi * half * tau
    )
    g1 *= 2.0
    sigma2 = float(linewidth_phase_variance(linewidth_hz, tau))
    assert g1 == pytest.approx(np.exp(-sigma2 / 2.0), abs=10 * err + 1e-9)
    cfg = ChannelConfig(
        fibre_length_km=0, fibre_loss_db_per_km=0, laser_linewidth_hz=linewidth_hz, interferometer_delay_ns=delay_ns
    )
    assert cfg.phase_flip_probability() == pytest.approx((1.0 - g1) / 2.0, abs=10 * err + 1e-9)
