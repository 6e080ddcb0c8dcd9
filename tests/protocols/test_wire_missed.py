"""The drop ledger turns dropped batches into MISSED_EVENTS records that account for every event."""

import numpy as np

from protocols.timetags import TIMETAG_DTYPE, RecordType, count_records
from protocols.wire import DropLedger


def batch(rng, n, channels=8):
    t = np.zeros(n, TIMETAG_DTYPE)
    t["channel"] = rng.integers(0, channels, n)
    t["time_ps"] = np.sort(rng.integers(0, 10**9, n))
    return t


def test_every_dropped_tag_is_reported_per_channel():
    rng = np.random.default_rng(7)
    ledger = DropLedger()
    dropped = [batch(rng, 1000), batch(rng, 500)]
    for b in dropped:
        ledger.drop(b)
    recs = ledger.take()
    assert (recs["type"] == RecordType.MISSED_EVENTS).all()
    assert np.all(np.diff(recs["time_ps"]) >= 0)
    allc = np.concatenate([b["channel"] for b in dropped])
    for ch in range(8):
        assert recs["missed"][recs["channel"] == ch].sum() == np.count_nonzero(allc == ch)
        first = np.concatenate([b["time_ps"][b["channel"] == ch] for b in dropped]).min()
        assert recs["time_ps"][recs["channel"] == ch][0] == first
    assert ledger.pending_events == 0 and ledger.dropped_events == int(recs["missed"].sum()) == 1500


def test_counts_above_u16_are_split_and_carried_records_keep_counts():
    ledger = DropLedger()
    big = np.zeros(70_000, TIMETAG_DTYPE)
    big["channel"] = 3
    ledger.drop(big)
    carried = np.zeros(2, TIMETAG_DTYPE)
    carried["type"] = [RecordType.MISSED_EVENTS, RecordType.OVERFLOW_BEGIN]
    carried["missed"] = [5, 0]
    carried["channel"] = [3, 3]
    ledger.drop(carried)  # a dropped batch that itself carried a MISSED_EVENTS record
    recs = ledger.take()
    assert recs["missed"].tolist() == [65535, 70_005 - 65535]
    assert ledger.dropped_markers == 1 and ledger.dropped_events == 70_000 and ledger.take().size == 0


def test_count_records_separates_tags_from_reported_losses():
    rng = np.random.default_rng(3)
    ledger = DropLedger()
    ledger.drop(batch(rng, 70_000, channels=2))  # more than 65,535 on a channel: split records
    tags = batch(rng, 300)
    tags[5]["type"] = RecordType.OVERFLOW_BEGIN  # neither a TAG nor a loss count
    mixed = np.concatenate([ledger.take(), tags])
    assert count_records(mixed) == (299, 70_000)
    assert count_records(tags[:0]) == (0, 0) and count_records(batch(rng, 10)) == (10, 0)
