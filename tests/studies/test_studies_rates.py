"""Per-shot to per-round conversion and binomial standard errors."""

import numpy as np
import pytest
import sinter

from studies.rates import logical_rates, per_round_rate


@pytest.mark.parametrize("p_shot", [0.0, 1e-6, 0.01, 0.2, 0.49, 0.5, 0.6, 0.99])
@pytest.mark.parametrize("rounds", [1, 3, 7, 25])
def test_per_round_matches_sinter(p_shot, rounds):
    assert per_round_rate(p_shot, rounds) == pytest.approx(
        sinter.shot_error_rate_to_piece_error_rate(p_shot, pieces=rounds), rel=1e-9, abs=1e-15
    )


def test_per_round_inverts_xor_of_rounds():
    # r independent rounds flipping with q compose to (1 - (1 - 2q)^r) / 2 per shot.
    q, r = 0.013, 9
    p_shot = (1 - (1 - 2 * q) ** r) / 2
    assert per_round_rate(p_shot, r) == pytest.approx(q, rel=1e-12)


def test_small_rates_agree_with_the_simple_formula():
    p, r = 1e-4, 5
    assert per_round_rate(p, r) == pytest.approx(1 - (1 - p) ** (1 / r), rel=1e-3)


def test_monotone_through_one_half():
    p = np.linspace(0, 1, 1001)
    assert np.all(np.diff(per_round_rate(p, 7)) > 0)


def test_rejects_rates_outside_unit_interval():
    with pytest.raises(ValueError, match="per-shot rates"):
        per_round_rate(1.2, 3)


def test_standard_error_is_binomial_and_never_zero():
    y, s = logical_rates(np.array([100, 0]), np.array([10_000, 10_000]), np.array([1, 1]), "per_shot")
    assert y[0] == 0.01 and s[0] == pytest.approx(np.sqrt(0.01 * 0.99 / 10_000), rel=0.01)
    assert y[1] == 0 and s[1] > 0
    yr, sr = logical_rates(np.array([100]), np.array([10_000]), np.array([5]), "per_round")
    assert yr[0] == pytest.approx(per_round_rate(0.01, 5)) and sr[0] < s[0]
