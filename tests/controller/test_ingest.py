"""Ingest turns time tags back into per-round outcomes and erasure flags."""

from __future__ import annotations

import numpy as np
import pytest

from controller.ingest import BOTH_RAILS, INCOMPLETE, NO_CLICK, Ingest
from protocols.channel_map import ChannelMap, dual_rail_map
from protocols.errors import ConfigError, DecodeError
from protocols.timetags import TIMETAG_DTYPE, RecordType

PERIOD = 1_000_000  # 1 us rounds
WINDOW = 2_000


def _tags(rows):
    out = np.zeros(len(rows), dtype=TIMETAG_DTYPE)
    for i, (ty, ch, t, missed) in enumerate(rows):
        out[i] = (ty, 0, missed, ch, t)
    return out


def _encode(cm: ChannelMap, outcomes, lost, rng, jitter_ps=50.0, epoch=0, first_round=0):
    """Clicks of known outcomes: one click on the outcome's rail unless lost; Gaussian jitter."""
    rows = []
    n_rounds, n = outcomes.shape
    for r in range(n_rounds):
        for k in range(n):
            if lost[r, k]:
                continue
            t = epoch + (first_round + r) * PERIOD + cm.slot_ps[k] + int(rng.normal(0, jitter_ps))
            rows.append((RecordType.TAG, cm.rails[k, outcomes[r, k]], t, 0))
    tags = _tags(rows)
    return tags[np.argsort(tags["time_ps"], kind="stable")]


def test_outcomes_and_erasures_are_recovered_through_jitter():
    rng = np.random.default_rng(7)
    cm = dual_rail_map(np.arange(12), PERIOD, 20_000, WINDOW)
    outcomes = rng.integers(0, 2, size=(200, 12)).astype(np.uint8)
    lost = rng.random((200, 12)) < 0.05
    res = Ingest(cm, epoch_ps=123)(_encode(cm, outcomes, lost, rng, epoch=123, first_round=40), 40, 200)
    assert res.first_round == 40 and res.stray_tags == 0 and res.missed_events == 0
    assert np.array_equal(res.flags == NO_CLICK, lost)
    assert np.array_equal(res.outcomes[~lost], outcomes[~lost])


def test_dark_counts_make_two_rail_events_or_strays():
    cm = dual_rail_map([5, 6], PERIOD, 10_000, WINDOW)
    s0, s1 = int(cm.slot_ps[0]), int(cm.slot_ps[1])
    tags = _tags(
        [
            (RecordType.TAG, 0, s0 + 10, 0),  # qubit 5 outcome 0
            (RecordType.TAG, 1, s0 - 30, 0),  # dark count on its other rail inside the window
            (RecordType.TAG, 3, s1, 0),  # qubit 6 outcome 1
            (RecordType.TAG, 3, s1 + 5 * WINDOW, 0),  # dark count outside every window
            (RecordType.TAG, 77, s1, 0),  # a channel that reads no qubit
            (RecordType.TAG, 3, 5 * PERIOD + s1, 0),  # a round outside the batch
        ]
    )
    res = Ingest(cm)(tags, 0, 1)
    assert res.flags.tolist() == [[BOTH_RAILS, 0]]
    assert res.outcomes[0, 1] == 1
    assert res.stray_tags == 3


def test_overflow_and_missed_events_mark_rounds_incomplete():
    cm = dual_rail_map([0], PERIOD, 0, WINDOW)
    s = int(cm.slot_ps[0])
    tags = _tags(
        [
            (RecordType.TAG, 1, s, 0),
            (RecordType.OVERFLOW_BEGIN, 0, 2 * PERIOD + 5, 0),
            (RecordType.OVERFLOW_END, 0, 4 * PERIOD + 5, 0),
            (RecordType.MISSED_EVENTS, 1, 6 * PERIOD + 9, 17),
            (RecordType.ERROR, 0, 8 * PERIOD, 0),
        ]
    )
    res = Ingest(cm)(tags, 0, 10)
    incomplete = (res.flags[:, 0] & INCOMPLETE) != 0
    assert incomplete.nonzero()[0].tolist() == [2, 3, 4, 6, 8]
    assert res.missed_events == 17 and res.incomplete_rounds == 5
    assert res.outcomes[0, 0] == 1 and res.flags[0, 0] == 0


def test_bad_inputs_are_rejected_with_what_was_expected():
    cm = dual_rail_map([0, 1], PERIOD, 0, WINDOW)
    with pytest.raises(DecodeError, match="TIMETAG_DTYPE"):
        Ingest(cm)(np.zeros(4, dtype=np.int64), 0, 1)
    with pytest.raises(ConfigError, match="inside the round"):
        dual_rail_map([0, 1, 2], 10_000, 6_000, 2_000)
    with pytest.raises(ConfigError, match="own non-negative channel"):
        ChannelMap(np.array([0, 1]), np.array([[0, 1], [1, 2]]), np.array([5000, 5000]), PERIOD, WINDOW)


def test_ingest_into_the_callers_rows_matches_a_fresh_result_and_refuses_wrong_arrays():
    rng = np.random.default_rng(11)
    cm = dual_rail_map(np.arange(6), PERIOD, 20_000, WINDOW)
    outcomes = rng.integers(0, 2, size=(9, 6)).astype(np.uint8)
    lost = rng.random((9, 6)) < 0.2
    tags = _encode(cm, outcomes, lost, rng, first_round=30)
    tags = np.concatenate([tags, _tags([(RecordType.TAG, 99, 30 * PERIOD + 5, 0)])])  # one stray
    ingest = Ingest(cm)
    ref = ingest(tags, 30, 9)
    buf_o = np.full((12, 6), 7, np.uint8)
    buf_f = np.full((12, 6), 7, np.uint8)
    counts = ingest.into(tags, 30, buf_o[2:11], buf_f[2:11])
    assert counts == (ref.stray_tags, ref.missed_events, ref.incomplete_rounds) == (1, 0, 0)
    assert np.array_equal(buf_o[2:11], ref.outcomes) and np.array_equal(buf_f[2:11], ref.flags)
    assert (buf_o[[0, 1, 11]] == 7).all() and (buf_f[[0, 1, 11]] == 7).all()  # rows outside untouched
    with pytest.raises(DecodeError, match=r"uint8 \(rounds, 6\)"):
        ingest.into(tags, 30, buf_o[:, :5], buf_f[:, :5])
    with pytest.raises(DecodeError, match="uint8"):
        ingest.into(tags, 30, buf_o.astype(np.int16), buf_f)
    with pytest.raises(DecodeError, match="first_round"):
        ingest.into(tags, -1, buf_o, buf_f)
