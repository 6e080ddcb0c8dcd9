"""Accounting for time tags a sender had to drop, as MISSED_EVENTS records for its next batch."""

from __future__ import annotations

import numpy as np

from protocols.timetags import TIMETAG_DTYPE, RecordType

_MAX_MISSED = 0xFFFF  # the `missed` field is u16: larger counts are split over several records


class DropLedger:
    """Counts dropped events per channel and hands them back as MISSED_EVENTS records (state object, no I/O).

    A dropped TAG counts 1 on its channel; a dropped MISSED_EVENTS record carries its `missed` count forward;
    other records (ERROR, OVERFLOW_*) are counted in `dropped_markers` only. Each MISSED_EVENTS record has
    time_ps = the earliest dropped time on its channel, so records sort before the tags that follow.
    """

    def __init__(self) -> None:
        self._count: dict[int, int] = {}
        self._first_ps: dict[int, int] = {}
        self.dropped_batches = 0
        self.dropped_events = 0  # TAG records dropped (counts carried by dropped MISSED_EVENTS are not new)
        self.dropped_markers = 0

    def drop(self, tags: np.ndarray) -> None:
        """Account for one batch (TIMETAG_DTYPE[n]) that could not be sent."""
        self.dropped_batches += 1
        kind = tags["type"]
        is_tag = kind == RecordType.TAG
        is_missed = kind == RecordType.MISSED_EVENTS
        counted = is_tag | is_missed
        self.dropped_markers += int(len(tags) - np.count_nonzero(counted))
        if not counted.any():
            return
        channels = tags["channel"][counted]
        weights = np.where(is_tag[counted], 1, tags["missed"][counted].astype(np.int64))
        times = tags["time_ps"][counted]
        uniq, inverse = np.unique(channels, return_inverse=True)
        totals = np.zeros(len(uniq), np.int64)
        np.add.at(totals, inverse, weights)
        firsts = np.full(len(uniq), np.iinfo(np.int64).max, np.int64)
        np.minimum.at(firsts, inverse, times)
        for ch, n, t in zip(uniq.tolist(), totals.tolist(), firsts.tolist()):
            self._count[ch] = self._count.get(ch, 0) + n
            self._first_ps[ch] = min(self._first_ps.get(ch, t), t)
        self.dropped_events += int(np.count_nonzero(is_tag))

    @property
    def pending_events(self) -> int:
        """Dropped events not yet handed back as records."""
        return sum(self._count.values())

    def take(self) -> np.ndarray:
        """MISSED_EVENTS records (TIMETAG_DTYPE, sorted by time_ps) for every pending count; clears them."""
        chans = [ch for ch, n in self._count.items() if n > 0]
        reps = [-(-self._count[ch] // _MAX_MISSED) for ch in chans]
        out = np.zeros(sum(reps), TIMETAG_DTYPE)
        out["type"] = RecordType.MISSED_EVENTS
        i = 0
        for ch, r in zip(chans, reps):
            n = self._count[ch]
            counts = [_MAX_MISSED] * (r - 1) + [n - _MAX_MISSED * (r - 1)]
            out["missed"][i : i + r] = counts
            out["channel"][i : i + r] = ch
            out["time_ps"][i : i + r] = self._first_ps[ch]
            i += r
        self._count.clear()
        self._first_ps.clear()
        return out[np.argsort(out["time_ps"], kind="stable")]
