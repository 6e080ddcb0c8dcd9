"""Scenarios: components against their closed forms, random access and determinism, episode statistics, configs.

Statistical checks use 5 standard errors, or a Kolmogorov-Smirnov p-value above 1e-6 (about 5 sigma).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from emulator.experiment import EXCESS_LOSS, device_with
from emulator.physics import load_device
from emulator.scenario import Scenario, ScenarioConfig, device_value, load_scenario
from protocols.config import validate
from protocols.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "configs" / "scenarios"
DEVICE = ROOT / "configs" / "devices" / "dual_rail_default.yaml"
Z = 5.0
KS_P = 1e-6


def scenario(components: list[dict], seed: int = 1, **sched) -> Scenario:
    cfg = validate(
        ScenarioConfig,
        {"name": "t", "seed": seed, "parameters": {"p": {"combine": "replace", "components": components, **sched}}},
    )
    return Scenario(cfg)


def test_deterministic_components_match_their_formulas():
    r = np.arange(1_000, 3_000, dtype=np.float64)
    sc = scenario(
        [
            {"kind": "constant", "value": 2.0},
            {"kind": "linear_drift", "rate_per_round": 0.01, "start_round": 1_500, "stop_round": 2_500},
            {"kind": "periodic", "amplitude": 0.5, "period_rounds": 400.0, "phase_rad": 0.3},
            {"kind": "steps", "steps": [{"at_round": 1_200, "value": 1.0}, {"at_round": 2_000, "value": -4.0}]},
        ]
    )
    expected = (
        2.0
        + 0.01 * (np.clip(r, 1_500, 2_500) - 1_500)
        + 0.5 * np.sin(2 * np.pi * r / 400.0 + 0.3)
        + np.where(r >= 2_000, -4.0, np.where(r >= 1_200, 1.0, 0.0))
    )
    np.testing.assert_allclose(sc.values(1_000, 2_000)["p"], expected, rtol=0, atol=1e-12)


def test_bounds_clip_the_sum():
    sc = scenario([{"kind": "linear_drift", "rate_per_round": -1.0}], min=-5.0, max=3.0)
    v = sc.values(0, 20)["p"]
    assert v.min() == -5.0 and v[:6].tolist() == [0.0, -1.0, -2.0, -3.0, -4.0, -5.0]


RANDOM = [
    {"kind": "random_walk", "step_sigma": 0.1, "reversion_per_round": 0.001, "start_round": 300},
    {"kind": "bursts", "mean_interval_rounds": 500.0, "mean_duration_rounds": 60.0, "amplitude": 2.0},
]
EVERY_KIND = [
    *RANDOM,
    {"kind": "bursts", "mean_interval_rounds": 50.0, "mean_duration_rounds": 200.0, "amplitude": 0.1},  # overlaps
    {"kind": "periodic", "amplitude": 0.3, "period_rounds": 777.0, "phase_rad": 1.0},
    {"kind": "linear_drift", "rate_per_round": 1e-4, "start_round": 100, "stop_round": 15_000},
    {"kind": "steps", "steps": [{"at_round": 5, "value": 0.7}, {"at_round": 9_000, "value": -0.2}]},
    {"kind": "constant", "value": 0.01},
]


def test_any_window_in_any_order_gives_the_same_values():
    whole = scenario(EVERY_KIND, seed=5, min=-1.0, max=2.5).values(0, 20_000)["p"]
    sc = scenario(EVERY_KIND, seed=5, min=-1.0, max=2.5)
    for start, n in [(15_000, 5_000), (0, 10), (4_090, 20), (8_000, 7_000), (299, 3)]:
        np.testing.assert_array_equal(sc.values(start, n)["p"], whole[start : start + n])
    rounds = np.random.default_rng(0).integers(0, 20_000, 300)
    one_at_a_time = [sc.values(int(r), 1)["p"][0] for r in rounds]  # the emulator's block-by-block path
    np.testing.assert_array_equal(one_at_a_time, whole[rounds])
    assert not np.array_equal(scenario(EVERY_KIND, seed=6, min=-1.0, max=2.5).values(0, 20_000)["p"], whole)
    walk = scenario(RANDOM[:1], seed=5).values(0, 301)["p"]
    assert np.all(walk[:300] == 0.0) and walk[300] != 0.0  # the walk starts at its start_round


def test_random_walk_steps_are_gaussian_across_block_seams():
    # x_r - x_(r-1) = N(0, sigma^2) for a pure random walk; a badly stitched block would jump by ~sigma sqrt(4096).
    sigma, n = 0.2, 400_000
    x = scenario([{"kind": "random_walk", "step_sigma": sigma}]).values(0, n)["p"]
    d = np.diff(x) / sigma
    assert abs(d.mean()) <= Z / math.sqrt(len(d)) and abs(d.std() - 1) <= Z / math.sqrt(2 * len(d))
    assert np.abs(d).max() < 7.0  # P(any |z| > 7 in 4e5 draws) ~ 1e-6
    assert stats.kstest(d, "norm").pvalue > KS_P


def test_mean_reverting_walk_has_the_ar1_stationary_variance():
    # AR(1) x_r = phi x_(r-1) + e_r: Var = s^2 / (1 - phi^2); the sample variance has relative SE
    # sqrt(2 (1 + phi^2) / (n (1 - phi^2))) (Bartlett 1946; Box & Jenkins, Time Series Analysis, 1976).
    sigma, theta, n, burn = 1.0, 0.01, 1_000_000, 2_000
    x = scenario([{"kind": "random_walk", "step_sigma": sigma, "reversion_per_round": theta}]).values(0, n + burn)["p"]
    phi = 1 - theta
    var = sigma**2 / (1 - phi**2)
    rel_se = math.sqrt(2 * (1 + phi**2) / (n * (1 - phi**2)))
    assert abs(x[burn:].var() / var - 1) <= Z * rel_se


def test_bursts_are_poisson_timed_with_their_durations_and_amplitude():
    # Starts form a Poisson process (count ~ Poisson(N / interval), exponential gaps); durations are
    # exponential; the value is the amplitude times the number of episodes covering the round.
    interval, duration, amp, n = 200.0, 30.0, 1.5, 400_000
    sc = scenario([{"kind": "bursts", "mean_interval_rounds": interval, "mean_duration_rounds": duration,
                    "amplitude": amp}], seed=9)
    v = sc.values(0, n)["p"]
    eps = sc.timeline().episodes
    starts = np.array([e.start_round for e in eps])
    ends = np.array([e.end_round for e in eps])
    n_started = int((starts < n).sum())
    assert abs(n_started - n / interval) <= Z * math.sqrt(n / interval)
    assert stats.kstest(np.diff(starts), stats.expon(scale=interval).cdf).pvalue > KS_P
    assert stats.kstest(ends - starts, stats.expon(scale=duration).cdf).pvalue > KS_P
    r = np.arange(n)
    covering = ((np.ceil(starts)[:, None] <= r[None, ::97]) & (r[None, ::97] < np.ceil(ends)[:, None])).sum(axis=0)
    np.testing.assert_array_equal(v[::97], amp * covering)


def test_timeline_is_the_truth_that_was_served():
    sc = scenario(RANDOM, seed=3)
    served = np.concatenate([sc.values(k * 1_000, 1_000)["p"] for k in range(12)])
    tl = sc.timeline()
    assert (tl.start_round, tl.n_rounds) == (0, 12_000)
    np.testing.assert_array_equal(tl.values["p"], served)
    assert all(e.end_round > 0 and e.start_round < 12_000 for e in tl.episodes)
    assert all(e.kind == "burst" and e.amplitude == 2.0 for e in tl.episodes) and len(tl.episodes) > 5
    part = sc.timeline(5_000, 1_000)
    np.testing.assert_array_equal(part.values["p"], served[5_000:6_000])
    assert all(e.end_round > 5_000 and e.start_round < 6_000 for e in part.episodes)


@pytest.mark.parametrize("name", ["loss_drift", "dark_count_bursts", "phase_noise_episodes"])
def test_shipped_scenarios_load_and_apply_to_the_default_device(name):
    device = load_device(DEVICE)
    sc = Scenario.from_device(load_scenario(SCENARIOS / f"{name}.yaml"), device)
    values = sc.values(0, 2_000_000)
    for param, v in values.items():
        assert np.all(np.isfinite(v)) and v.shape == (2_000_000,)
        moved = device_with(device, {param: float(v.max())})
        assert device_value(moved, param) == pytest.approx(v.max()) or param == EXCESS_LOSS


def test_excess_loss_adds_to_the_per_round_path():
    device = load_device(DEVICE)
    assert device_with(device, {EXCESS_LOSS: 3.0}).channel.loss_db() == pytest.approx(device.channel.loss_db() + 3.0)


def test_config_errors_name_file_field_and_range(tmp_path):
    bad = tmp_path / "bad.yaml"
    head = "name: x\nseed: 1\nparameters:\n  a.b:\n    components:\n"
    bad.write_text(head + "      - {kind: periodic, amplitude: 1, period_rounds: 0}\n")
    with pytest.raises(ConfigError) as e:
        load_scenario(bad)
    assert "bad.yaml" in str(e.value) and "period_rounds" in str(e.value) and "gt 0" in str(e.value)
    bad.write_text(head + "      - {kind: constant, value: 1, colour: red}\n")
    with pytest.raises(ConfigError, match="colour"):
        load_scenario(bad)
    cfg = validate(
        ScenarioConfig,
        {"name": "x", "seed": 1, "parameters": {"a.b": {"components": [{"kind": "constant", "value": 1}]}}},
    )
    with pytest.raises(ConfigError, match="combine 'add' needs"):
        Scenario(cfg)
    with pytest.raises(ConfigError, match="no field 'a'"):
        Scenario.from_device(cfg, load_device(DEVICE))
    with pytest.raises(ConfigError, match="dark_count_rate_hz"):
        device_with(load_device(DEVICE), {"detectors.dark_count_rate_hz": -1.0})
