"""Analysis helper for the readout tests: time tags -> per-round clicks per rail, by gate-window binning.

This is a test/analysis tool, not the controller's ingest (which the controller owns): it bins TAG records
into windows [slot - w/2, slot + w/2) around each measurement's expected arrival and counts clicks per rail.
Its own tests check that noiseless readout round-trips exactly.
"""

from __future__ import annotations

import numpy as np

from emulator.readout import ReadoutStage
from protocols.timetags import TIMETAG_DTYPE, RecordType


def bin_time_tags(
    tags: np.ndarray,
    channel_map: np.ndarray,
    slot_ps: np.ndarray,
    round_period_ps: int,
    window_ps: int,
    n_rounds: int,
    start_round: int = 0,
) -> np.ndarray:
    """Clicks per (round, measurement, rail): uint32 (n_rounds, n_meas, 2), counted inside each gate window."""
    tags = tags[tags["type"] == RecordType.TAG]
    cmap = np.asarray(channel_map)
    counts = np.zeros((n_rounds, cmap.shape[0], 2), dtype=np.uint32)
    t_rel = tags["time_ps"] - np.int64(start_round) * round_period_ps
    for q in range(cmap.shape[0]):
        for rail in range(2):
            on = tags["channel"] == cmap[q, rail]
            u = t_rel[on] - slot_ps[q] + window_ps // 2
            k = np.floor_divide(u, round_period_ps)
            inside = (u - k * round_period_ps < window_ps) & (k >= 0) & (k < n_rounds)
            np.add.at(counts[:, q, rail], k[inside], 1)
    return counts


def outcomes_from_clicks(clicks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(outcomes uint8, erased bool), each (n_rounds, n_meas): one click -> its rail; none or both -> erased."""
    hit = clicks > 0
    erased = hit[..., 0] == hit[..., 1]
    return hit[..., 1].astype(np.uint8), erased


def test_noiseless_readout_round_trips():
    rng = np.random.default_rng(11)
    cmap = np.array([[3, 4], [7, 1], [10, 11]])
    slots = np.array([500, 200_000, 200_000])
    stage = ReadoutStage(cmap, slots, 1_000_000, jitter_sigma_ps=30.0, seed=5, start_round=17)
    outcomes = rng.integers(0, 2, (400, 3), dtype=np.uint8)
    present = rng.random((400, 3)) < 0.8
    tags = stage.emit(outcomes, present)
    assert tags.dtype == TIMETAG_DTYPE
    got, erased = outcomes_from_clicks(bin_time_tags(tags, cmap, slots, 1_000_000, 2_000, 400, start_round=17))
    np.testing.assert_array_equal(erased, ~present)
    np.testing.assert_array_equal(got[present], outcomes[present])


def test_clicks_outside_windows_are_not_counted():
    cmap = np.array([[0, 1]])
    tags = np.zeros(3, dtype=TIMETAG_DTYPE)
    tags["channel"] = [1, 1, 0]
    tags["time_ps"] = [1_000 + 999, 1_000 - 1_001, 3 * 10_000 + 1_000]
    clicks = bin_time_tags(tags, cmap, np.array([1_000]), 10_000, 2_000, 3)
    assert clicks[0, 0, 1] == 1 and clicks.sum() == 1
