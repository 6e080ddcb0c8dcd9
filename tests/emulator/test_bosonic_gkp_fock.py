"""Finite-energy GKP states in QuTiP against the Gaussian-displacement closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
import qutip as qt

from emulator.physics.bosonic.fock_channels import apply_kraus, loss_kraus, loss_then_amplify, truncation_loss
from emulator.physics.bosonic.gkp import SQRT_PI, quadrature_error_probability
from emulator.physics.bosonic.gkp_fock import decoded_error_probability, gkp_state, peak_variance
from protocols.errors import ConfigError

DELTA, CUTOFF = 0.35, 100


def _tolerance(sigma: float) -> float:
    # The closed form treats the exp(-Delta^2 n) state as ideal peaks of variance tanh(Delta^2)/2. Its peaks are
    # also pulled in by sech(Delta^2), a relative shift of ~Delta^4/2 of every distance to a bin edge; the Gaussian
    # tail P(x) with x = (sqrt(pi)/2)/sigma has log-derivative d ln P / d ln x ~ x^2, so the relative error is
    # about (Delta^4/2) x^2, plus 1e-3 for the truncation.
    x = (SQRT_PI / 2) / sigma
    return DELTA**4 / 2 * x * x + 1e-3


@pytest.fixture(scope="module")
def zero() -> qt.Qobj:
    return qt.ket2dm(gkp_state(0, DELTA, CUTOFF))


@pytest.mark.parametrize("eta", [0.95, 0.9, 0.85])
def test_amplified_loss_on_gkp_matches_closed_form(zero: qt.Qobj, eta: float) -> None:
    # Albert et al., PRA 97, 032346 (2018); Noh, Albert, Jiang 2019: loss eta then amplification 1/eta is Gaussian
    # displacement noise sigma^2 = (1-eta)/eta; with the state's own peak variance the q-error is P(sigma_total)
    # (GKP 2001 nearest-lattice decoding, the erfc sum).
    out = loss_then_amplify(zero, eta)
    assert truncation_loss(out) < 1e-8
    sigma = math.sqrt(peak_variance(DELTA) + (1 - eta) / eta)
    closed = float(quadrature_error_probability(sigma))
    assert decoded_error_probability(out, 0) == pytest.approx(closed, rel=_tolerance(sigma))


def test_unamplified_loss_with_rescaled_lattice(zero: qt.Qobj) -> None:
    # Without amplification the lattice shrinks by sqrt(eta); decoding on the shrunken lattice sees
    # sigma^2 = tanh(Delta^2)/2 + (1-eta)/(2 eta) in the original units (gkp.loss_sigma, amplified=False).
    eta = 0.9
    out = apply_kraus(zero, loss_kraus(eta, CUTOFF))
    sigma = math.sqrt(peak_variance(DELTA) + (1 - eta) / (2 * eta))
    closed = float(quadrature_error_probability(sigma))
    assert decoded_error_probability(out, 0, scale=math.sqrt(eta)) == pytest.approx(closed, rel=_tolerance(sigma))


def test_logical_one_and_intrinsic_error() -> None:
    # The finite-energy codewords alone: |1> decodes to 1 except for its own peak width.
    one = gkp_state(1, 0.3, 130)
    sigma = math.sqrt(peak_variance(0.3))
    closed = float(quadrature_error_probability(sigma))
    got = decoded_error_probability(one, 1)
    assert got == pytest.approx(closed, rel=0.3**4 / 2 * ((SQRT_PI / 2) / sigma) ** 2 + 1e-3)
    assert abs(qt.expect(qt.num(130), one) - (1 / (2 * 0.3**2) - 0.5)) < 0.5  # mean photon ~ 1/(2 Delta^2) - 1/2


def test_converged_in_cutoff(zero: qt.Qobj) -> None:
    # Convergence in the Fock cutoff: the decoded error of the noisy state moves by < 1e-6 relative at N + 20.
    bigger = qt.ket2dm(gkp_state(0, DELTA, CUTOFF + 20))
    p1 = decoded_error_probability(loss_then_amplify(zero, 0.9), 0)
    p2 = decoded_error_probability(loss_then_amplify(bigger, 0.9), 0)
    assert p1 == pytest.approx(p2, rel=1e-6)


def test_too_small_cutoff_is_refused() -> None:
    with pytest.raises(ConfigError, match="truncates"):
        gkp_state(0, 0.25, 60)
    with pytest.raises(ConfigError, match="mu"):
        gkp_state(2, 0.3, 100)


@pytest.mark.slow
@pytest.mark.parametrize(("delta", "cutoff"), [(0.3, 130), (0.25, 180)])
@pytest.mark.parametrize("eta", [0.97, 0.9, 0.8])
def test_closed_form_tightens_as_squeezing_grows(delta: float, cutoff: int, eta: float) -> None:
    # Same comparison as the CI test at higher squeezing (10.5 and 12 dB): the finite-envelope tolerance
    # (Delta^4/2) x^2 shrinks with Delta, so the closed form must hold ever more tightly.
    rho = qt.ket2dm(gkp_state(0, delta, cutoff))
    out = loss_then_amplify(rho, eta)
    assert truncation_loss(out) < 1e-8
    sigma = math.sqrt(peak_variance(delta) + (1 - eta) / eta)
    x = (SQRT_PI / 2) / sigma
    closed = float(quadrature_error_probability(sigma))
    assert decoded_error_probability(out, 0) == pytest.approx(closed, rel=delta**4 / 2 * x * x + 1e-3)
