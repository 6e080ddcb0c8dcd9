"""Readout statistics against closed forms, overflow accounting and determinism.

Tolerances are 5 standard errors of the estimator under the stated model (binomial, Poisson, renewal
process, sample moments), or a Kolmogorov-Smirnov p-value above 1e-6 (about 5 sigma).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from emulator.physics.detectors import DetectorConfig
from emulator.readout import ReadoutStage
from protocols.errors import ConfigError
from protocols.timetags import RecordType
from test_readout_binning import bin_time_tags

Z = 5.0  # standard errors allowed
KS_P = 1e-6  # KS p-value floor (about 5 sigma)


def dual_rail_map(n_meas: int) -> np.ndarray:
    """Channels 2q (rail 0) and 2q + 1 (rail 1) for measurement q."""
    return np.arange(2 * n_meas, dtype=np.int32).reshape(n_meas, 2)


def within_binomial(k: int, n: int, p: float) -> bool:
    return abs(k - n * p) <= Z * math.sqrt(n * p * (1 - p))


def test_click_probabilities_of_present_and_lost_photons():
    # Threshold detector: P(click | 1 photon) = 1 - (1 - eta)(1 - p_dark), P(click | 0) = p_dark, with
    # p_dark = 1 - exp(-R w) for a Poisson dark stream (Hadfield, Nat. Photon. 3, 696 (2009)).
    n_meas, n_rounds, period, w = 8, 20_000, 1_000_000, 2_000
    eta, rate = 0.7, 2.0e7
    cmap = dual_rail_map(n_meas)
    slots = np.arange(n_meas) * 100_000 + 50_000
    rng = np.random.default_rng(1)
    outcomes = rng.integers(0, 2, (n_rounds, n_meas), dtype=np.uint8)
    present = rng.random((n_rounds, n_meas)) < 0.6
    stage = ReadoutStage(cmap, slots, period, efficiency=eta, dark_rate_hz=rate, jitter_sigma_ps=50.0, seed=2)
    hit = bin_time_tags(stage.emit(outcomes, present), cmap, slots, period, w, n_rounds) > 0
    right = np.take_along_axis(hit, outcomes[..., None].astype(np.intp), axis=2)[..., 0]
    wrong = np.take_along_axis(hit, 1 - outcomes[..., None].astype(np.intp), axis=2)[..., 0]
    p_dark = -math.expm1(-rate * w * 1e-12)
    n_p, n_l = int(present.sum()), int((~present).sum())
    assert within_binomial(int(right[present].sum()), n_p, 1 - (1 - eta) * (1 - p_dark))
    assert within_binomial(int(wrong[present].sum()), n_p, p_dark)
    assert within_binomial(int(hit[~present].sum()), 2 * n_l, p_dark)


def test_dark_counts_are_poisson_anywhere_in_the_round():
    # A homogeneous Poisson process of rate R: N(T) ~ Poisson(R T), exponential gaps, uniform phase in the
    # round, and P(>= 1 count in a window w) = 1 - exp(-R w) (Feller, An Introduction to Probability, vol. 1).
    n_meas, n_rounds, period, rate = 2, 20_000, 1_000_000, 1.0e6
    cmap = dual_rail_map(n_meas)
    slots = np.array([200_000, 700_000])
    stage = ReadoutStage(cmap, slots, period, dark_rate_hz=rate, seed=3)
    zeros = np.zeros((n_rounds, n_meas), dtype=np.uint8)
    tags = stage.emit(zeros, zeros)
    mean_per_channel = rate * n_rounds * period * 1e-12
    counts = np.bincount(tags["channel"], minlength=4)
    assert np.all(np.abs(counts - mean_per_channel) <= Z * math.sqrt(mean_per_channel))
    phase = tags["time_ps"] % period
    assert within_binomial(int((phase < period // 2).sum()), len(tags), 0.5)
    gaps = np.diff(tags["time_ps"][tags["channel"] == 0]).astype(np.float64)
    assert stats.kstest(gaps, stats.expon(scale=1e12 / rate).cdf).pvalue > KS_P
    w = 100_000
    hit = bin_time_tags(tags, cmap, slots, period, w, n_rounds) > 0
    assert within_binomial(int(hit.sum()), hit.size, -math.expm1(-rate * w * 1e-12))


def test_dark_rate_follows_the_per_round_scale():
    # A piecewise-constant intensity: no counts where the scale is 0, Poisson(3 R T/2) where it is 3.
    n_rounds, period, rate = 10_000, 1_000_000, 1.0e6
    stage = ReadoutStage(dual_rail_map(1), np.array([0]), period, dark_rate_hz=rate, seed=4)
    scale = np.where(np.arange(n_rounds) < n_rounds // 2, 0.0, 3.0)
    zeros = np.zeros((n_rounds, 1), dtype=np.uint8)
    tags = stage.emit(zeros, zeros, dark_scale=scale)
    assert tags["time_ps"].min() >= (n_rounds // 2) * period
    mean = 2 * 3.0 * rate * (n_rounds // 2) * period * 1e-12
    assert abs(len(tags) - mean) <= Z * math.sqrt(mean)


def test_jitter_is_gaussian_around_the_slot():
    # Tag time - (round start + slot) ~ N(0, sigma^2): sample mean SE sigma/sqrt(n), sample std SE
    # sigma/sqrt(2n) (normal theory); integer-ps rounding adds 1/12 ps^2 of variance, negligible here.
    n_meas, n_rounds, period, sigma = 8, 5_000, 1_000_000, 80.0
    slots = np.arange(n_meas) * 100_000 + 10_000
    stage = ReadoutStage(dual_rail_map(n_meas), slots, period, jitter_sigma_ps=sigma, seed=6)
    outcomes = np.random.default_rng(7).integers(0, 2, (n_rounds, n_meas), dtype=np.uint8)
    tags = stage.emit(outcomes)
    assert len(tags) == outcomes.size
    res = (tags["time_ps"] - slots[tags["channel"] // 2] + period // 2) % period - period // 2
    n = len(res)
    assert abs(res.mean()) <= Z * sigma / math.sqrt(n)
    assert abs(res.std(ddof=1) - sigma) <= Z * sigma / math.sqrt(2 * n)
    assert stats.kstest(res.astype(np.float64), stats.norm(scale=sigma).cdf).pvalue > KS_P
    assert np.all(np.diff(tags["time_ps"]) >= 0)


def test_dead_time_is_non_paralyzable():
    # Non-paralyzable dead time tau: gaps are tau + Exp(R), so rate_out = R / (1 + R tau) (Knoll, Radiation
    # Detection and Measurement, 4th ed. 2010, sec. 4.VII); the count in T is a renewal count with mean
    # T/mu and variance T s^2/mu^3, mu = tau + 1/R, s = 1/R (Cox, Renewal Theory, 1962).
    period, n_rounds, rate, tau = 1_000_000, 2_500, 1.0e7, 50_000
    stage = ReadoutStage(dual_rail_map(1), np.array([0]), period, dark_rate_hz=rate, dead_time_ps=tau, seed=8)
    zeros = np.zeros((n_rounds, 1), dtype=np.uint8)
    tags = np.concatenate([stage.emit(zeros, zeros) for _ in range(4)])  # dead time carries across batches
    r = rate * 1e-12
    total_t = 4 * n_rounds * period
    mu = tau + 1 / r
    for ch in (0, 1):
        t = tags["time_ps"][tags["channel"] == ch]
        assert np.diff(t).min() >= tau
        assert abs(len(t) - total_t / mu) <= Z * math.sqrt(total_t / r**2 / mu**3)


def test_afterpulses_follow_each_click_with_their_probability():
    # Each click (afterpulses too) is followed by an afterpulse with probability p at dead time + Exp(mean m):
    # clicks per photon are geometric, mean 1/(1 - p), variance p/(1 - p)^2.
    period, n_rounds, p, tau, m = 10_000_000, 20_000, 0.1, 10_000, 100_000.0
    stage = ReadoutStage(
        dual_rail_map(1), np.array([0]), period, dead_time_ps=tau, afterpulse_prob=p, afterpulse_delay_ps=m, seed=9
    )
    outcomes = np.zeros((n_rounds, 1), dtype=np.uint8)
    tags = stage.emit(outcomes)
    assert abs(len(tags) - n_rounds / (1 - p)) <= Z * math.sqrt(n_rounds * p) / (1 - p)
    gaps = np.diff(tags["time_ps"])
    delays = (gaps[gaps < period // 2] - tau).astype(np.float64)
    assert abs(delays.mean() - m) <= Z * m / math.sqrt(len(delays))
    assert stats.kstest(delays, stats.expon(scale=m).cdf).pvalue > KS_P


def test_afterpulses_due_after_a_batch_arrive_in_the_next():
    # A photon in the last round of every 10-round batch; its afterpulses (mean delay = one batch) land in
    # later batches, so the geometric count holds only if pending afterpulses are carried over.
    period, n_batches, p, m = 100_000, 4_000, 0.3, 1.0e6
    stage = ReadoutStage(dual_rail_map(1), np.array([0]), period, afterpulse_prob=p, afterpulse_delay_ps=m, seed=10)
    batch = np.zeros((10, 1), dtype=np.uint8)
    present = np.zeros((10, 1), dtype=np.uint8)
    present[-1] = 1
    n_tags = sum(len(stage.emit(batch, present)) for _ in range(n_batches))
    n_tags += len(stage.emit(np.zeros((10_000, 1), dtype=np.uint8), np.zeros((10_000, 1), dtype=np.uint8)))
    assert abs(n_tags - n_batches / (1 - p)) <= Z * math.sqrt(n_batches * p) / (1 - p)


def test_overflow_records_account_for_every_missed_tag():
    period, n_rounds, max_tags = 1_000_000, 1_000, 1_000
    cmap = dual_rail_map(2)
    rates = np.array([1.0e8, 1.0e6, 1.0e6, 1.0e6])  # channel 0 misses > 65535 clicks: two MISSED records
    outcomes = np.random.default_rng(12).integers(0, 2, (n_rounds, 2), dtype=np.uint8)
    args = (cmap, np.array([0, 500_000]), period)
    kw = dict(dark_rate_hz=rates, jitter_sigma_ps=30.0, dead_time_ps=1_000.0, afterpulse_prob=0.05,
              afterpulse_delay_ps=5_000.0, seed=13)
    full = ReadoutStage(*args, **kw).emit(outcomes)
    capped = ReadoutStage(*args, max_tags=max_tags, **kw).emit(outcomes)
    assert np.all(full["type"] == RecordType.TAG)
    assert capped[:max_tags].tobytes() == full[:max_tags].tobytes()
    rec = capped[max_tags:]
    assert rec["type"][0] == RecordType.OVERFLOW_BEGIN and rec["time_ps"][0] == full["time_ps"][max_tags]
    assert rec["type"][1] == RecordType.OVERFLOW_END and rec["time_ps"][1] == full["time_ps"][-1]
    missed = rec[2:]
    assert np.all(missed["type"] == RecordType.MISSED_EVENTS)
    per_channel = np.bincount(missed["channel"], weights=missed["missed"], minlength=4)
    np.testing.assert_array_equal(per_channel, np.bincount(full["channel"][max_tags:], minlength=4))
    assert (missed["channel"] == 0).sum() == 2
    assert np.all(np.diff(capped["time_ps"]) >= 0)


def test_same_seed_same_bytes_and_other_seed_other_bytes():
    rng = np.random.default_rng(14)
    outcomes = rng.integers(0, 2, (3, 500, 6), dtype=np.uint8)
    present = rng.random((3, 500, 6)) < 0.9

    def run(seed: int) -> bytes:
        stage = ReadoutStage(dual_rail_map(6), np.arange(6) * 1_000, 100_000, efficiency=0.9, dark_rate_hz=1e5,
                             jitter_sigma_ps=20.0, dead_time_ps=30_000.0, afterpulse_prob=0.01,
                             afterpulse_delay_ps=10_000.0, seed=seed)
        return b"".join(stage.emit(o, p).tobytes() for o, p in zip(outcomes, present))

    assert run(21) == run(21)
    assert run(21) != run(22)


def test_from_detector_converts_units():
    det = DetectorConfig(efficiency=0.93, dark_count_rate_hz=10.0, gate_window_ns=2.0, jitter_sigma_ps=20.0,
                         dead_time_ns=30.0, afterpulse_probability=0.01, afterpulse_delay_ns=50.0).params()
    stage = ReadoutStage.from_detector(det, dual_rail_map(2), np.array([0, 10]), 1_000_000)
    assert stage.dead_time_ps.tolist() == [30_000.0] * 4 and stage.afterpulse_delay_ps.tolist() == [50_000.0] * 4
    assert stage.efficiency.tolist() == [0.93] * 4 and stage.afterpulse_prob.tolist() == [0.01] * 4


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (dict(efficiency=1.5), ["efficiency", "1.5", "[0.0, 1.0]"]),
        (dict(dark_rate_hz=np.array([1.0, 2.0, 3.0])), ["dark_rate_hz", "(3,)", "(2,)"]),
        (dict(round_period_ps=0), ["round_period_ps", "> 0"]),
        (dict(slot_ps=np.array([100_000])), ["slot_ps", "100000"]),
    ],
)
def test_bad_parameters_name_the_field_and_range(kwargs, words):
    args = dict(channel_map=dual_rail_map(1), slot_ps=np.array([0]), round_period_ps=100_000) | kwargs
    with pytest.raises(ConfigError) as e:
        ReadoutStage(**args)
    assert all(w in str(e.value) for w in words)


def test_bad_batches_are_rejected():
    stage = ReadoutStage(dual_rail_map(2), np.array([0, 10]), 1_000)
    with pytest.raises(ConfigError, match="value 2"):
        stage.emit(np.full((3, 2), 2, dtype=np.uint8))
    with pytest.raises(ConfigError, match=r"expected \(n_rounds, 2\)"):
        stage.emit(np.zeros((3, 5), dtype=np.uint8))
    with pytest.raises(ConfigError, match="dark_scale"):
        stage.emit(np.zeros((3, 2), dtype=np.uint8), dark_scale=np.ones(4))


@pytest.mark.parametrize(
    "slots", [np.full(100, 500_000), 500_000 + np.arange(100) * 10, 500_000 + np.repeat([0, 40], 50)]
)
def test_tags_are_sorted_whatever_the_slot_spacing(slots):
    # 100 simultaneous slots (sorted as one large group), slots 10 ps apart under 80 ps jitter (groups that
    # interleave), and two groups 40 ps apart: every tag must come out once, in time order, at its own slot.
    n_rounds, period, sigma = 200, 1_000_000, 80.0
    stage = ReadoutStage(dual_rail_map(100), slots, period, jitter_sigma_ps=sigma, seed=15)
    outcomes = np.random.default_rng(16).integers(0, 2, (n_rounds, 100), dtype=np.uint8)
    tags = stage.emit(outcomes)
    assert len(tags) == outcomes.size and np.all(np.diff(tags["time_ps"]) >= 0)
    q = tags["channel"] // 2
    rounds = tags["time_ps"] // period
    np.testing.assert_array_equal(np.sort(outcomes[rounds, q] + 2 * q), np.sort(tags["channel"]))
    res = tags["time_ps"] - rounds * period - slots[q]
    assert abs(res.mean()) <= Z * sigma / math.sqrt(len(res))


def test_stray_light_adds_a_dark_rate_in_its_rounds():
    # Superposed Poisson processes: counts in the lit rounds ~ Poisson((R + R_extra) T_lit), elsewhere R T.
    n_rounds, period, rate, extra = 10_000, 1_000_000, 1.0e5, 2.0e6
    stage = ReadoutStage(dual_rail_map(1), np.array([0]), period, dark_rate_hz=rate, seed=17)
    lit = (np.arange(n_rounds) // 1_000) % 2 == 1
    zeros = np.zeros((n_rounds, 1), dtype=np.uint8)
    tags = stage.emit(zeros, zeros, dark_extra_hz=np.where(lit, extra, 0.0))
    in_lit = lit[tags["time_ps"] // period]
    t_lit = lit.sum() * period * 1e-12
    t_dark = (~lit).sum() * period * 1e-12
    for n, mean in ((in_lit.sum(), 2 * (rate + extra) * t_lit), ((~in_lit).sum(), 2 * rate * t_dark)):
        assert abs(n - mean) <= Z * math.sqrt(mean)


@pytest.mark.slow
@pytest.mark.parametrize("rate_tau", [0.05, 0.5, 2.0, 8.0])
def test_dead_time_law_holds_from_light_to_heavy_saturation(rate_tau):
    # The renewal law of test_dead_time_is_non_paralyzable over two decades of R tau, 1e6 input counts each.
    tau, period = 50_000, 1_000_000
    rate = rate_tau / (tau * 1e-12)
    n_rounds = int(1e6 / (rate * period * 1e-12))
    stage = ReadoutStage(dual_rail_map(1), np.array([0]), period, dark_rate_hz=rate, dead_time_ps=tau, seed=18)
    zeros = np.zeros((n_rounds, 1), dtype=np.uint8)
    t = stage.emit(zeros, zeros)
    t = t["time_ps"][t["channel"] == 0]
    r = rate * 1e-12
    mu = tau + 1 / r
    total_t = n_rounds * period
    assert np.diff(t).min() >= tau
    assert abs(len(t) - total_t / mu) <= Z * math.sqrt(total_t / r**2 / mu**3)


@pytest.mark.parametrize(("n_slots", "sigma"), [(49, 2.0), (49, 15.0), (49, 3000.0), (70, 2.0)])
def test_simultaneous_slots_come_out_in_time_order_with_ties_in_slot_order(n_slots, sigma):
    # Every run of simultaneous slots takes one of the kernel's sorts: counting sort (narrow jitter: at 2 ps
    # most tags tie with another), ranks (3 ns jitter spreads a run wider than the counting sort takes) or
    # a stable argsort (more than 64 slots). Whichever, tags are in time order and equal times in slot order.
    n_rounds, period = 300, 1_000_000
    stage = ReadoutStage(dual_rail_map(n_slots), np.full(n_slots, 500_000), period, jitter_sigma_ps=sigma, seed=17)
    outcomes = np.random.default_rng(18).integers(0, 2, (n_rounds, n_slots), dtype=np.uint8)
    tags = stage.emit(outcomes)
    assert len(tags) == outcomes.size
    t, q = tags["time_ps"], tags["channel"] // 2
    tie = np.diff(t) == 0
    assert np.all(np.diff(t) >= 0) and np.all(np.diff(q)[tie] > 0)
    if sigma == 2.0:
        assert tie.mean() > 0.5  # the tie rule was exercised
    per_round = np.bincount(t // period, minlength=n_rounds)
    assert np.all(per_round == n_slots)  # each tag in its own round, none lost or doubled
