"""The time-tag record: the unit of data a time tagger, a DAQ or the emulator streams to the controller.

A batch of time tags is a numpy structured array of dtype `TIMETAG_DTYPE`: 16 bytes per record, little
endian, no padding, the layout of common time-tagger streams (type, reserved, missed, channel, time):

    offset  size  field     type  meaning
    0       1     type      u8    RecordType: TAG, ERROR, OVERFLOW_BEGIN, OVERFLOW_END, MISSED_EVENTS
    1       1     reserved  u8    0
    2       2     missed    u16   for MISSED_EVENTS: how many events on `channel` were dropped; else 0
    4       4     channel   i32   detector channel (see the handshake's channel map)
    8       8     time_ps   i64   picoseconds since the clock epoch agreed in the handshake
"""

from __future__ import annotations

import enum

import numpy as np

TIMETAG_DTYPE = np.dtype(
    [("type", "<u1"), ("reserved", "<u1"), ("missed", "<u2"), ("channel", "<i4"), ("time_ps", "<i8")]
)
assert TIMETAG_DTYPE.itemsize == 16


class RecordType(enum.IntEnum):
    """Values of the `type` field of a time-tag record."""

    TAG = 0
    ERROR = 1
    OVERFLOW_BEGIN = 2
    OVERFLOW_END = 3
    MISSED_EVENTS = 4


def empty_batch(n: int = 0) -> np.ndarray:
    """A zeroed time-tag batch of `n` records."""
    return np.zeros(n, dtype=TIMETAG_DTYPE)


def count_records(tags: np.ndarray) -> tuple[int, int]:
    """(TAG records, events reported lost by MISSED_EVENTS records) in a batch."""
    kinds = tags["type"]
    if not len(kinds) or not kinds.max():
        return len(kinds), 0
    missed = tags["missed"][kinds == RecordType.MISSED_EVENTS]
    return int(np.count_nonzero(kinds == RecordType.TAG)), int(missed.sum(dtype=np.int64))
