"""Dual-rail surface code: photon loss as heralded erasure; decoding with the heralds beats ignoring them.

Erasure-aware matching (Delfosse & Zemor, "Linear-time maximum likelihood decoding of surface codes over the
quantum erasure channel", PRR 2, 033042 (2020) for the principle) knows where errors may be; at 0.5 dB per round
(11 % erasure per photon per round) the heralds make the difference between working below and above threshold.
"""

from __future__ import annotations

import math

import numpy as np

from controller.decode import ErasureDecoder, MatchingDecoder
from protocols.codes import CodeSpec, build_memory_circuit
from studies.bosonic.dual_rail import dual_rail_effective_channel


def test_loss_db_maps_to_erasure_probability() -> None:
    ch = dual_rail_effective_channel(3.0103)
    assert abs(ch.erasure - 0.5) < 1e-4 and ch.measurement_erasure == ch.erasure


def test_heralds_lower_the_logical_error_at_half_a_db() -> None:
    c = build_memory_circuit(CodeSpec("rotated_surface", 5, 5, "Z"), dual_rail_effective_channel(0.5).hooks())
    n = 2000
    det, obs = c.compile_detector_sampler(seed=7).sample(n, separate_observables=True)
    k_er = int(np.count_nonzero(ErasureDecoder.from_circuit(c).decode_batch(det)[:, 0] != obs[:, 0]))
    k_m = int(np.count_nonzero(MatchingDecoder.from_circuit(c).decode_batch(det)[:, 0] != obs[:, 0]))
    p = (k_er + k_m) / (2 * n)
    z = (k_m - k_er) / n / math.sqrt(2 * p * (1 - p) / n)
    assert z > 5, (k_er, k_m)
