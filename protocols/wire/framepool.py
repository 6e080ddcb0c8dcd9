"""Reusable frame buffers for large data batches, sent by ZeroMQ without copying them."""

from __future__ import annotations

from typing import Any

import numpy as np

from protocols.timetags import TIMETAG_DTYPE

HEADROOM = 128  # bytes reserved before a batch's records for its envelope (at most ~90 bytes are needed)


class FramePool:
    """Reusable frame buffers for large batches, handed to ZeroMQ without a copy (copy=False, track=True) and
    reused once ZeroMQ has let go. Why: a fresh 1 MiB allocation per batch costs page faults that are dearer
    than the copy itself, and a buffer the producer writes into directly needs no copy at all."""

    def __init__(self, size: int) -> None:
        self._bufs: list[bytearray] = [bytearray() for _ in range(size)]
        self._trackers: list[Any] = [None] * size
        self._records: list[np.ndarray | None] = [None] * size  # each buffer's records after HEADROOM, made once
        self._addr: list[int] = [0] * size  # address of those records
        self._lent: dict[int, int] = {}  # payload address -> slot, for buffers handed out by `lend`
        self._lent_slots: set[int] = set()
        self._lent_arrays: dict[int, tuple[int, np.ndarray]] = {}  # id of a lent array -> (slot, the array)
        self._lent_ids: dict[int, int] = {}  # slot -> id of its lent array
        self._next = 0

    def _free_slot(self, nbytes: int) -> int:
        for _ in range(len(self._bufs)):
            i = self._next
            self._next = (i + 1) % len(self._bufs)
            t = self._trackers[i]
            if i not in self._lent_slots and (t is None or t.done):
                break
        else:  # every buffer is in flight or lent: add one rather than wait
            i = len(self._bufs)
            self._bufs.append(bytearray())
            self._trackers.append(None)
            self._records.append(None)
            self._addr.append(0)
        self._trackers[i] = None
        if len(self._bufs[i]) < nbytes:
            self._bufs[i] = bytearray(max(nbytes, 2 * len(self._bufs[i])))
            self._records[i] = None
        return i

    def lend(self, n: int) -> np.ndarray:
        """A writable TIMETAG_DTYPE[n] array inside a frame buffer, after HEADROOM bytes for the envelope."""
        i = self._free_slot(HEADROOM + 16 * n)
        records = self._records[i]
        if records is None:  # building a structured view costs µs: once per buffer, then slices of it
            buf = self._bufs[i]
            records = self._records[i] = np.frombuffer(buf, TIMETAG_DTYPE, (len(buf) - HEADROOM) // 16, HEADROOM)
            self._addr[i] = records.ctypes.data
        self._lent[self._addr[i]] = i
        self._lent_slots.add(i)
        lent = records[:n]
        self._lent_arrays[id(lent)] = (i, lent)  # the array itself, usually passed back as it is
        self._lent_ids[i] = id(lent)
        return lent

    def lent_slot(self, tags: np.ndarray) -> int | None:
        """The slot of a lent array (or of a prefix of it), else None."""
        if not self._lent:
            return None
        hit = self._lent_arrays.get(id(tags))
        if hit is not None and hit[1] is tags:
            return hit[0]
        if not tags.flags.c_contiguous:
            return None
        return self._lent.get(tags.ctypes.data)  # not __array_interface__: µs dearer for structured dtypes

    def give_back(self, tags: np.ndarray) -> None:
        """Return a lent buffer that will not be sent."""
        if self._lent:
            slot = self._lent.get(tags.ctypes.data)
            if slot is not None:
                self._end_loan(slot)

    def _end_loan(self, slot: int) -> None:
        if slot in self._lent_slots:
            self._lent_slots.discard(slot)
            del self._lent[self._addr[slot]]
            del self._lent_arrays[self._lent_ids.pop(slot)]

    def frame_in_place(self, slot: int, head: list[Any], payload_bytes: int) -> memoryview:
        """Write the envelope just before the lent records and return the frame (no copy of the records)."""
        head_bytes = b"".join(head)
        start = HEADROOM - len(head_bytes)
        view = memoryview(self._bufs[slot])
        view[start:HEADROOM] = head_bytes
        return view[start : HEADROOM + payload_bytes]

    def assemble(self, parts: list[Any]) -> tuple[memoryview, int]:
        """Copy the parts of one frame into a free buffer; return a view of the frame and the buffer's slot."""
        sizes = [memoryview(p).nbytes for p in parts]
        i = self._free_slot(sum(sizes))
        view = memoryview(self._bufs[i])
        pos = 0
        for p, n in zip(parts, sizes):
            view[pos : pos + n] = p
            pos += n
        return view[:pos], i

    def sent(self, slot: int, tracker: Any, lent: bool = False) -> None:
        """Remember the tracker of the frame sent from `slot` (and end the loan of that slot if `lent`)."""
        self._trackers[slot] = tracker
        if lent:
            self._end_loan(slot)
