"""Ingest: a batch of time tags -> per-round measurement outcomes and erasure flags of every readout slot.

Tolerant of what real detectors produce: jitter (a click counts if it falls within the slot's window), dark
counts (on an empty rail they make a two-rail event, flagged; outside any window they are counted as stray),
afterpulses within a window (a rail counts once), tags on channels that read no qubit (stray), and the
time tagger's own records: overflow intervals, missed-event and error records mark the affected rounds
`INCOMPLETE` rather than being silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from protocols.channel_map import ChannelMap
from protocols.errors import DecodeError
from protocols.timetags import TIMETAG_DTYPE

#: Flag bits of `IngestResult.flags`.
NO_CLICK = np.uint8(1)  # neither rail clicked: the photon was lost (heralded erasure)
BOTH_RAILS = np.uint8(2)  # both rails clicked: dark count or multi-photon event (false herald)
INCOMPLETE = np.uint8(4)  # the tagger reported overflow, missed events or an error during this round
_U8 = np.dtype(np.uint8)  # compared by identity first: a dtype comparison costs more than the check


@dataclass(frozen=True)
class IngestResult:
    """Outcomes of rounds [first_round, first_round + n_rounds) for every slot of the channel map."""

    first_round: int
    outcomes: np.ndarray  # uint8 (n_rounds, n_slots): 1 where rail 1 clicked alone, else 0
    flags: np.ndarray  # uint8 (n_rounds, n_slots): OR of NO_CLICK, BOTH_RAILS, INCOMPLETE
    stray_tags: int  # TAG records on unmapped channels, outside every window, or outside the rounds
    missed_events: int  # sum of the `missed` fields of MISSED_EVENTS records
    incomplete_rounds: int = 0  # rounds flagged INCOMPLETE


@numba.njit(cache=True, nogil=True)
def _ingest_kernel(tags, lut, slot_ps, params, outcomes, flags):  # pragma: no cover - compiled
    """Bin tags into clicks per (round, slot), then write outcomes and flags.

    params = (round period, window, epoch, first round), ps and rounds. Returns (stray tags, missed events,
    incomplete rounds). The record array is passed whole: one argument to type-check per call instead of four
    field views, which is most of the cost of a one-round call.
    """
    period, window, epoch, first_round = params[0], params[1], params[2], params[3]
    n_rounds, n_slots = outcomes.shape
    clicks = np.zeros((n_rounds, n_slots), dtype=np.uint8)
    incomplete = np.zeros(n_rounds, dtype=np.uint8)
    stray = 0
    missed = 0
    overflow_start = -1
    in_overflow = False
    for i in range(tags.shape[0]):
        ty = tags[i].type
        rel = tags[i].time_ps - epoch
        r = rel // period - first_round
        if ty == 0:  # TAG
            ch = tags[i].channel
            if ch < 0 or ch >= lut.shape[0] or lut[ch] < 0 or r < 0 or r >= n_rounds:
                stray += 1
                continue
            code = lut[ch]
            slot = code >> 1
            off = rel - (r + first_round) * period
            if abs(off - slot_ps[slot]) > window:
                stray += 1
                continue
            clicks[r, slot] |= np.uint8(1 << (code & 1))
        elif ty == 2:  # OVERFLOW_BEGIN
            in_overflow = True
            overflow_start = r
        elif ty == 3:  # OVERFLOW_END
            lo = max(overflow_start if in_overflow else r, 0)
            for k in range(lo, min(r + 1, n_rounds)):
                incomplete[k] = 1
            in_overflow = False
        else:  # ERROR or MISSED_EVENTS: the round it falls in cannot be trusted
            if ty == 4:
                missed += tags[i].missed
            if 0 <= r < n_rounds:
                incomplete[r] = 1
    if in_overflow:
        for k in range(max(overflow_start, 0), n_rounds):
            incomplete[k] = 1
    n_incomplete = 0
    for r in range(n_rounds):
        extra = 4 if incomplete[r] else 0
        n_incomplete += incomplete[r]
        for k in range(n_slots):
            c = clicks[r, k]
            outcomes[r, k] = 1 if c == 2 else 0
            flags[r, k] = (1 if c == 0 else (2 if c == 3 else 0)) | extra
    return stray, missed, n_incomplete


class Ingest:
    """Configure once with a channel map and clock epoch; call on each time-tag batch."""

    def __init__(self, channel_map: ChannelMap, epoch_ps: int = 0) -> None:
        """Prepare the channel lookup for `channel_map`; times are ps since `epoch_ps`."""
        self.channel_map = channel_map
        self.epoch_ps = int(epoch_ps)
        self._lut = channel_map.channel_lookup()
        self._slot_ps = np.ascontiguousarray(channel_map.slot_ps, dtype=np.int64)
        self.n_slots = channel_map.n_slots
        self._params = np.array([channel_map.round_period_ps, channel_map.window_ps, self.epoch_ps, 0], dtype=np.int64)

    def __call__(self, tags: np.ndarray, first_round: int, n_rounds: int) -> IngestResult:
        """Bin `tags` (TIMETAG_DTYPE, any order) into rounds [first_round, first_round + n_rounds)."""
        if not isinstance(tags, np.ndarray) or (tags.dtype is not TIMETAG_DTYPE and tags.dtype != TIMETAG_DTYPE):
            got = getattr(tags, "dtype", type(tags).__name__)
            raise DecodeError(f"ingest expects a TIMETAG_DTYPE array, got {got}")
        if n_rounds < 0 or first_round < 0:
            raise DecodeError(f"ingest: first_round ({first_round}) and n_rounds ({n_rounds}) must be >= 0")
        n_slots = self.n_slots
        outcomes = np.empty((n_rounds, n_slots), dtype=np.uint8)
        flags = np.empty((n_rounds, n_slots), dtype=np.uint8)
        stray, missed, incomplete = self.into(tags, first_round, outcomes, flags)
        return IngestResult(int(first_round), outcomes, flags, stray, missed, incomplete)

    def into(self, tags: np.ndarray, first_round: int, outcomes: np.ndarray, flags: np.ndarray) -> tuple[int, int, int]:
        """Bin `tags` into rounds [first_round, first_round + len(outcomes)), writing the caller's uint8
        (rounds, slots) C-contiguous arrays; returns (stray tags, missed events, incomplete rounds)."""
        if tags.dtype is not TIMETAG_DTYPE and tags.dtype != TIMETAG_DTYPE:
            raise DecodeError(f"ingest expects a TIMETAG_DTYPE array, got {tags.dtype}")
        if first_round < 0:
            raise DecodeError(f"ingest: first_round ({first_round}) must be >= 0")
        if (outcomes.shape != flags.shape or outcomes.ndim != 2 or outcomes.shape[1] != self.n_slots
                or (outcomes.dtype is not _U8 and outcomes.dtype != _U8) or (flags.dtype is not _U8 and flags.dtype != _U8)):
            raise DecodeError(f"ingest: outcomes and flags must be uint8 (rounds, {self.n_slots}) arrays, got "
                              f"{outcomes.dtype}{outcomes.shape} and {flags.dtype}{flags.shape}")
        params = self._params
        params[3] = first_round
        stray, missed, incomplete = _ingest_kernel(tags, self._lut, self._slot_ps, params, outcomes, flags)
        return int(stray), int(missed), int(incomplete)
