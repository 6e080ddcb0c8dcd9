"""GKP closed forms: squeezing convention, per-quadrature error, Monte Carlo and the analog syndrome."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import norm

from emulator.physics.bosonic.gkp import (
    SQRT_PI,
    analog_outcome,
    conditional_error_probability,
    edge_weight,
    logical_flips,
    loss_sigma,
    measured_syndrome,
    pauli_probabilities,
    quadrature_error_probability,
    sample_displacements,
    sigma_to_squeezing_db,
    squeezing_db_to_sigma,
)
from protocols.errors import ConfigError


def test_squeezing_convention() -> None:
    # Fukui et al., PRX 8, 021054 (2018): s_dB = -10 log10(2 sigma^2), vacuum variance 1/2 is 0 dB.
    assert squeezing_db_to_sigma(0.0) == pytest.approx(math.sqrt(0.5))
    assert squeezing_db_to_sigma(10.0) ** 2 == pytest.approx(0.05)
    db = np.array([1.0, 5.5, 12.0])
    np.testing.assert_allclose(sigma_to_squeezing_db(squeezing_db_to_sigma(db)), db, rtol=1e-12)


@pytest.mark.parametrize("sigma", [0.2, 0.45, 0.6, 1.2])
def test_error_probability_equals_integral_over_odd_bins(sigma: float) -> None:
    # Gottesman, Kitaev, Preskill, PRA 64, 012310 (2001): nearest-lattice decoding errs when the displacement lies
    # nearer an odd multiple of sqrt(pi). Independent check of the erfc sum by adaptive quadrature of the density.
    total = 0.0
    for j in range(-41, 42, 2):  # odd bins, far beyond where N(0, sigma^2) has weight
        lo, hi = (j - 0.5) * SQRT_PI, (j + 0.5) * SQRT_PI
        total += quad(lambda u: norm.pdf(u, scale=sigma), lo, hi, epsabs=1e-15)[0]
    assert float(quadrature_error_probability(sigma)) == pytest.approx(total, rel=1e-9, abs=1e-300)


def test_error_probability_limits_and_known_thresholds() -> None:
    assert float(quadrature_error_probability(1e-3)) == 0.0
    assert float(quadrature_error_probability(8.0)) == pytest.approx(0.5, abs=1e-12)
    # Leading term erfc(sqrt(pi)/(2 sqrt(2) sigma)) for narrow noise.
    s = 0.25
    assert float(quadrature_error_probability(s)) == pytest.approx(math.erfc(SQRT_PI / (2 * math.sqrt(2) * s)))
    # Vuillot et al., PRA 99, 032344 (2019): the analog-blind toric-GKP threshold sigma ~ 0.54 is where the
    # per-quadrature error reaches the matching threshold of ~10.3% for independent X/Z noise.
    assert float(quadrature_error_probability(0.54)) == pytest.approx(0.103, abs=0.003)
    # Monotone in sigma.
    p = quadrature_error_probability(np.linspace(0.1, 2.0, 50))
    assert p.shape == (50,) and np.all(np.diff(p) > 0)


@pytest.mark.parametrize("sigma", [0.3, 0.5, 0.8])
def test_monte_carlo_matches_closed_form(sigma: float) -> None:
    # Binomial tolerance: 5 standard errors of the sampled error fraction.
    n = 400_000
    flips = logical_flips(sample_displacements(sigma, n, seed=11))
    p = float(quadrature_error_probability(sigma))
    assert abs(flips.mean() - p) <= 5 * math.sqrt(p * (1 - p) / n)


def test_syndrome_and_flip_are_consistent() -> None:
    u = sample_displacements(0.9, (300, 7), seed=3)
    m = measured_syndrome(u)
    assert m.shape == u.shape and np.all(m >= -SQRT_PI / 2) and np.all(m < SQRT_PI / 2)
    shift = np.rint((u - m) / SQRT_PI).astype(np.int64)
    np.testing.assert_allclose(u - m, shift * SQRT_PI, atol=1e-12)
    np.testing.assert_array_equal(logical_flips(u), (shift & 1).astype(np.uint8))


def test_conditional_error_probability_is_calibrated() -> None:
    # The soft information of Fukui et al. 2018 / Vuillot et al. 2019 is a posterior: among shots where it says p,
    # a fraction p are errors. Checked in deciles of p, each within 5 binomial standard errors.
    sigma, n = 0.6, 400_000
    flips, p_err = analog_outcome(sample_displacements(sigma, n, seed=5), sigma)
    assert flips.dtype == np.uint8 and p_err.dtype == np.float64
    edges = np.quantile(p_err, np.linspace(0, 1, 11))
    which = np.clip(np.searchsorted(edges, p_err, side="right") - 1, 0, 9)
    for b in range(10):
        sel = which == b
        expected = p_err[sel].mean()
        se = math.sqrt(np.mean(p_err[sel] * (1 - p_err[sel])) / sel.sum())
        assert abs(flips[sel].mean() - expected) <= 5 * se + 1e-12
    # Law of total probability: the average posterior is the prior error probability.
    assert abs(p_err.mean() - float(quadrature_error_probability(sigma))) <= 5 * math.sqrt(0.25 / n)


def test_conditional_error_probability_shape() -> None:
    sigma = 0.5
    m = np.linspace(-SQRT_PI / 2, SQRT_PI / 2 - 1e-9, 101)
    p = conditional_error_probability(m, sigma)
    assert p[50] == pytest.approx(float(p.min()))  # most confident at the lattice point
    assert p[0] == pytest.approx(0.5, abs=1e-6)  # halfway between two cosets: a coin flip
    np.testing.assert_allclose(p, p[::-1], atol=1e-6)  # symmetric in m (up to the open end of the interval)
    assert edge_weight(np.array([0.5]))[0] == pytest.approx(0.0, abs=1e-12)
    assert edge_weight(np.array([0.1]))[0] == pytest.approx(math.log(9.0))


def test_loss_sigma() -> None:
    # Albert et al., PRA 97, 032346 (2018); Noh, Albert, Jiang, IEEE TIT 65, 2563 (2019).
    assert loss_sigma(0.9) ** 2 == pytest.approx(0.1 / 0.9)
    assert loss_sigma(0.9, amplified=False) ** 2 == pytest.approx(0.05 / 0.9)
    assert loss_sigma(1.0) == 0.0


def test_pauli_probabilities_independent_quadratures() -> None:
    px, py, pz = pauli_probabilities(0.5)
    p = float(quadrature_error_probability(0.5))
    assert (px + py, pz + py) == pytest.approx((p, p))
    assert py == pytest.approx(p * p)


def test_bad_inputs_name_the_value() -> None:
    with pytest.raises(ConfigError, match="sigma"):
        quadrature_error_probability(-0.1)
    with pytest.raises(ConfigError, match="eta"):
        loss_sigma(0.0)
    with pytest.raises(ConfigError, match="dB"):
        squeezing_db_to_sigma(100.0)
