"""Effective qubit channels of bosonic qubits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emulator.physics.bosonic.cat import CatNoise, converged_cat_rates
from emulator.physics.bosonic.channels import (
    DualRailChannel,
    GkpQubitChannel,
    cat_channel,
    dual_rail_channel,
    gkp_channel,
)
from emulator.physics.bosonic.gkp import quadrature_error_probability
from protocols.errors import ConfigError
from protocols.noise import EffectiveChannel


def test_cat_channel_is_strongly_biased_and_grows_with_alpha() -> None:
    # Guillaud & Mirrahimi 2019: phase flips grow linearly with |alpha|^2 while bit flips fall exponentially,
    # so the bias eta = p_Z / (p_X + p_Y) rises steeply with |alpha|^2.
    noise = CatNoise(kappa_1=1e-3)
    low, high = cat_channel(4.0, noise, 1.0), cat_channel(8.0, noise, 1.0)
    assert high.bias > 1e3 * low.bias > 1e3
    assert high.p_z > low.p_z


def test_cat_channel_probabilities_follow_the_rates() -> None:
    noise = CatNoise(kappa_1=1e-2)
    rates = converged_cat_rates(3.0, noise)
    ch = cat_channel(3.0, noise, 2.0, rates=rates)
    # <X> decays as exp(-2 phase_flip t): probability of a net Z-type flip is (1 - e^(-2 G t))/2.
    assert ch.p_z + ch.p_y == pytest.approx((1 - math.exp(-2 * rates.phase_flip * 2.0)) / 2)
    assert ch.p_x + ch.p_y == pytest.approx((1 - math.exp(-2 * rates.bit_flip * 2.0)) / 2)
    eff = ch.to_effective_channel()
    assert isinstance(eff, EffectiveChannel)
    assert (eff.pauli_x, eff.pauli_y, eff.pauli_z) == (ch.p_x, ch.p_y, ch.p_z)


def test_gkp_channel_combines_squeezing_and_loss() -> None:
    ch = gkp_channel(squeezing_db=10.0, eta=0.95)
    assert ch.sigma_q**2 == pytest.approx(0.05 + 0.05 / 0.95)
    assert ch.p_q == pytest.approx(float(quadrature_error_probability(ch.sigma_q)))
    eff = ch.to_effective_channel()
    assert eff.pauli_x + eff.pauli_y == pytest.approx(ch.p_q)
    unamp = gkp_channel(sigma=0.2, eta=0.95, amplified=False)
    assert unamp.sigma_q**2 == pytest.approx(0.04 + 0.05 / (2 * 0.95))


def test_gkp_sample_is_seeded_and_shaped() -> None:
    ch = GkpQubitChannel(0.55, 0.45)
    a = ch.sample((100, 9), seed=7)
    b = ch.sample((100, 9), seed=7)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
        assert x.shape == (100, 9)
    assert a[0].dtype == np.uint8 and a[1].dtype == np.float64
    # q noise is larger than p noise: more X flips than Z flips on 900 x 2 quadratures, in expectation.
    assert a[1].mean() > a[3].mean()


def test_dual_rail_erasure() -> None:
    assert dual_rail_channel(loss_db=10.0).p_erasure == pytest.approx(0.9)
    assert dual_rail_channel(kappa_t=0.01).p_erasure == pytest.approx(1 - math.exp(-0.01))
    assert dual_rail_channel(loss_db=0.2).to_effective_channel().erasure == pytest.approx(1 - 10 ** -0.02)
    with pytest.raises(ConfigError, match="transmission"):
        DualRailChannel(1.5)
    with pytest.raises(ConfigError, match="exactly one"):
        dual_rail_channel()
