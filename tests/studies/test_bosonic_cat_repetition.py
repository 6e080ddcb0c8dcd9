"""Repetition code of stabilised cat qubits: logical error against |alpha|^2.

Physics (Guillaud & Mirrahimi, PRX 9, 041053 (2019)): the cat's bit-flip rate falls like exp(-2|alpha|^2) while
its phase-flip rate grows like kappa_1 |alpha|^2. The repetition (phase-flip) code corrects the phase flips, so
where bit flips dominate, a larger |alpha|^2 lowers the logical error per round.
"""

from __future__ import annotations

import numpy as np
import pymatching
import pytest

from studies.bosonic.cat_repetition import bit_part, cat_round_channel, combine_parts, repetition_task
from studies.bosonic.config import CatSection
from studies.rates import per_round_rate


def _total(alpha2: float, d: int, n: int, seed: int) -> tuple[float, float]:
    """Per-round total failure and its standard error (phase part sampled, bit part exact)."""
    ch = cat_round_channel(alpha2, 2e-3, CatSection(), 5.0)
    c = repetition_task(d, ch, "t", alpha2, 2e-3).circuit
    m = pymatching.Matching.from_detector_error_model(c.detector_error_model(decompose_errors=True))
    det, obs = c.compile_detector_sampler(seed=seed).sample(n, separate_observables=True)
    k = int(np.count_nonzero(m.decode_batch(det)[:, 0] != obs[:, 0]))
    phase = float(per_round_rate(k / n, d))
    se = max(np.sqrt(max(k, 1)) / n / d, 1.0 / n / d)  # Poisson error of the per-shot count, per round
    bit = float(bit_part(ch.p_x + ch.p_y, d))
    return float(combine_parts(phase, bit)), se


def test_bit_part_is_the_odd_parity_probability() -> None:
    # Exact for d independent flips: (1 - (1-2p)^d)/2; check against brute-force enumeration at d = 3.
    p = 0.1
    odd = 3 * p * (1 - p) ** 2 + p**3
    assert float(bit_part(p, 3)) == pytest.approx(odd)


def test_logical_error_falls_with_alpha2_where_bit_flips_dominate() -> None:
    n = 20000
    totals = [_total(a2, 5, n, seed=int(10 * a2)) for a2 in (0.5, 1.0, 1.5)]
    for (hi, se_hi), (lo, se_lo) in zip(totals, totals[1:]):
        assert hi - lo > 5 * np.hypot(se_hi, se_lo), totals


def test_parameters_outside_the_cat_model_name_the_section_and_values() -> None:
    # kappa_1 = 0.08 kappa_2 at |alpha|^2 = 2 leaves no protected manifold (phase decay ~ gap).
    from protocols.errors import ConfigError

    with pytest.raises(ConfigError, match=r"cat_repetition: \|alpha\|\^2=2, kappa_1=0.08"):
        cat_round_channel(2.0, 0.08, CatSection(), 5.0)
