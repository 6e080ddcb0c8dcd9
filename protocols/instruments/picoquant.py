"""PicoQuant TTTR files (PTU T2/T3 of PicoHarp, HydraHarp, TimeHarp 260, MultiHarp; legacy HydraHarp `.ht3` 2.0)
read into the protocol's time-tag batches (`protocols.timetags.TIMETAG_DTYPE`).

Record layouts and overflow rules follow PicoQuant's published format documentation:

    PicoHarp T2   0x00010203  time 0-27, channel 28-31; channel 15 = special: low 4 bits 0 -> overflow
                              (one wrap of 210698240 units), otherwise marker bits
    PicoHarp T3   0x00010303  nsync 0-15, dtime 16-27, channel 28-31; channel 15 = special: dtime 0 ->
                              overflow (one wrap of 65536 syncs), otherwise marker bits in dtime
    HydraHarp V1  0x000103x4  T2: time 0-24 | T3: nsync 0-9, dtime 10-24; channel 25-30; special bit 31;
                              special channel 63 = one overflow (T2 wrap 33552000 units, T3 1024 syncs)
    HydraHarp V2  0x010103x4  as V1, but an overflow record carries its number of wraps in the time/nsync field
    and later     (0 counts as 1; T2 wrap 33554432 units); TimeHarp 260 and "generic" (MultiHarp) types too

Channel numbers in the output: photons keep the raw channel field (as ptufile, phconvert and tttrlib report
it); a T2 sync record becomes `SYNC_CHANNEL`; marker bit m (1-based) becomes `MARKER_CHANNEL_BASE - m`.
Overflow records produce no output record; they only advance the time base.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from protocols.errors import WireError
from protocols.instruments.ptu_header import PTU_MAGIC, FileHeader, read_ht3_header, read_ptu_header
from protocols.timetags import TIMETAG_DTYPE, RecordType

SYNC_CHANNEL = -1
MARKER_CHANNEL_BASE = -100


@dataclass(frozen=True)
class RecordFormat:
    """How to decode one family of 32-bit PicoQuant records."""

    name: str
    mode: str  # "T2" or "T3"
    family: str  # "picoharp" or "hydraharp"
    wrap: int  # T2: time units per wrap; T3: syncs per wrap
    counted_overflow: bool  # True: an overflow record carries its wrap count (0 counts as 1)


FORMATS: dict[int, RecordFormat] = {
    0x00010203: RecordFormat("PicoHarp T2", "T2", "picoharp", 210_698_240, False),
    0x00010303: RecordFormat("PicoHarp T3", "T3", "picoharp", 65_536, False),
    0x00010204: RecordFormat("HydraHarp V1 T2", "T2", "hydraharp", 33_552_000, False),
    0x00010304: RecordFormat("HydraHarp V1 T3", "T3", "hydraharp", 1_024, False),
    0x01010204: RecordFormat("HydraHarp V2 T2", "T2", "hydraharp", 33_554_432, True),
    0x01010304: RecordFormat("HydraHarp V2 T3", "T3", "hydraharp", 1_024, True),
    0x00010205: RecordFormat("TimeHarp 260N T2", "T2", "hydraharp", 33_554_432, True),
    0x00010305: RecordFormat("TimeHarp 260N T3", "T3", "hydraharp", 1_024, True),
    0x00010206: RecordFormat("TimeHarp 260P T2", "T2", "hydraharp", 33_554_432, True),
    0x00010306: RecordFormat("TimeHarp 260P T3", "T3", "hydraharp", 1_024, True),
    0x00010207: RecordFormat("Generic T2", "T2", "hydraharp", 33_554_432, True),
    0x00010307: RecordFormat("Generic T3", "T3", "hydraharp", 1_024, True),
}


@dataclass(frozen=True)
class RecordCounts:
    """Whole-file classification of records, as the reference tables of recorded files give them."""

    records: int
    photons: int
    overflow_records: int
    wraps: int
    markers: int
    syncs: int


@dataclass(frozen=True)
class Recording:
    """One decoded file: time tags (photons, markers, syncs in file order) and, for T3, nsync and dtime."""

    header: FileHeader
    format: RecordFormat
    tags: np.ndarray  # TIMETAG_DTYPE, shape (n,), time_ps since the start of the recording
    nsync: np.ndarray | None  # T3 only: int64 (n,), overflow-corrected sync count of each tag
    dtime: np.ndarray | None  # T3 only: int32 (n,), TCSPC bin of each tag
    time_units: np.ndarray | None  # T2 only: int64 (n,), overflow-corrected time in file units
    counts: RecordCounts


@dataclass(frozen=True)
class _Decoded:
    keep: np.ndarray
    channel: np.ndarray
    coarse: np.ndarray  # T2: time units; T3: nsync (both overflow-corrected)
    dtime: np.ndarray | None
    wraps_end: int
    n_overflow: int
    n_marker: int
    n_sync: int


def _decode(records: np.ndarray, fmt: RecordFormat, wraps_before: int) -> _Decoded:
    """Decode a block of uint32 records, continuing from `wraps_before` wraps."""
    r = records.astype(np.int64)
    if fmt.family == "picoharp":
        channel = (r >> 28) & 0xF
        special = channel == 15
        if fmt.mode == "T2":
            low = r & 0x0FFFFFFF
            marker_bits = np.where(special, r & 0xF, 0)
            dtime = None
        else:
            low = r & 0xFFFF
            dt = (r >> 16) & 0xFFF
            marker_bits = np.where(special, dt, 0)
            dtime = dt
        overflow = special & (marker_bits == 0)
        marker = special & (marker_bits != 0)
        sync = np.zeros_like(special)
        wraps = overflow.astype(np.int64)
    else:
        special = (r >> 31) != 0
        channel = (r >> 25) & 0x3F
        if fmt.mode == "T2":
            low = r & 0x1FFFFFF
            dtime = None
        else:
            low = r & 0x3FF
            dtime = (r >> 10) & 0x7FFF
        overflow = special & (channel == 63)
        marker = special & (channel >= 1) & (channel <= 15)
        sync = special & (channel == 0) & (fmt.mode == "T2")
        marker_bits = np.where(marker, channel, 0)
        if fmt.counted_overflow:
            wraps = np.where(overflow, np.where(low == 0, 1, low), 0)
        else:
            wraps = overflow.astype(np.int64)
    cum = np.cumsum(wraps) + wraps_before
    coarse = cum * fmt.wrap + low
    out_channel = np.where(sync, SYNC_CHANNEL, channel)
    # A marker record can set several marker bits; we report the lowest set bit as the marker number
    # (files seen in practice set one bit per record).
    if marker.any():
        lowest_bit = np.zeros_like(marker_bits)
        for b in range(15, -1, -1):
            lowest_bit = np.where((marker_bits >> b) & 1, b + 1, lowest_bit)
        out_channel = np.where(marker, MARKER_CHANNEL_BASE - lowest_bit, out_channel)
    keep = ~overflow
    return _Decoded(
        keep=keep,
        channel=out_channel,
        coarse=coarse,
        dtime=dtime,
        wraps_end=int(cum[-1]) if len(cum) else wraps_before,
        n_overflow=int(overflow.sum()),
        n_marker=int(marker.sum()),
        n_sync=int(sync.sum()),
    )


def _time_ps(header: FileHeader, fmt: RecordFormat, coarse: np.ndarray, dtime: np.ndarray | None) -> np.ndarray:
    """Convert overflow-corrected coarse times (and T3 dtime bins) to integer picoseconds."""
    if fmt.mode == "T2":
        unit_ps = header.global_resolution_s * 1e12
        if abs(unit_ps - round(unit_ps)) < 1e-6 and round(unit_ps) > 0:
            return coarse * int(round(unit_ps))  # exact in int64 for ~106 days at 1 ps
        return np.rint(coarse * unit_ps).astype(np.int64)
    sync_ps = header.global_resolution_s * 1e12
    bin_ps = header.resolution_s * 1e12
    assert dtime is not None
    return np.rint(coarse * sync_ps + dtime * bin_ps).astype(np.int64)


def open_header(path: str | Path) -> tuple[FileHeader, RecordFormat, mmap.mmap]:
    """Open a PicoQuant file: its parsed header, record format and a read-only memory map."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as e:
        raise WireError(f"{path}: cannot open time-tag file ({e})") from e
    if mm[:8] == PTU_MAGIC:
        header = read_ptu_header(path, mm)
    elif mm[:9] == b"HydraHarp":
        header = read_ht3_header(path, mm)
    else:
        raise WireError(f"{path}: neither a PTU (magic {PTU_MAGIC!r}) nor a HydraHarp .ht3 file")
    fmt = FORMATS.get(header.record_type)
    if fmt is None:
        known = ", ".join(f"0x{k:08x}" for k in FORMATS)
        raise WireError(f"{path}: record type 0x{header.record_type:08x} not supported (supported: {known})")
    available = (len(mm) - header.data_offset) // 4
    if header.n_records > available:
        raise WireError(
            f"{path}: header announces {header.n_records} records but the file holds {available}; truncated?"
        )
    return header, fmt, mm


def _to_tags(header: FileHeader, fmt: RecordFormat, d: _Decoded) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    coarse = d.coarse[d.keep]
    dtime = d.dtime[d.keep] if d.dtime is not None else None
    tags = np.zeros(len(coarse), dtype=TIMETAG_DTYPE)
    tags["type"] = RecordType.TAG
    tags["channel"] = d.channel[d.keep]
    tags["time_ps"] = _time_ps(header, fmt, coarse, dtime)
    return tags, coarse, dtime


def read_picoquant(path: str | Path) -> Recording:
    """Read a whole PicoQuant PTU or `.ht3` file into one time-tag batch."""
    header, fmt, mm = open_header(path)
    try:
        raw = np.frombuffer(mm, dtype="<u4", count=header.n_records, offset=header.data_offset)
        d = _decode(raw, fmt, 0)
        del raw
    finally:
        mm.close()
    tags, coarse, dtime = _to_tags(header, fmt, d)
    counts = RecordCounts(
        records=header.n_records,
        photons=int(len(tags) - d.n_marker - d.n_sync),
        overflow_records=d.n_overflow,
        wraps=d.wraps_end,
        markers=d.n_marker,
        syncs=d.n_sync,
    )
    return Recording(
        header=header,
        format=fmt,
        tags=tags,
        nsync=coarse if fmt.mode == "T3" else None,
        dtime=dtime.astype(np.int32) if dtime is not None else None,
        time_units=coarse if fmt.mode == "T2" else None,
        counts=counts,
    )


def iter_picoquant(path: str | Path, batch_records: int = 1 << 20) -> Iterator[np.ndarray]:
    """Yield a PicoQuant file as consecutive time-tag batches of at most `batch_records` input records."""
    if batch_records <= 0:
        raise ValueError(f"batch_records must be positive, got {batch_records}")
    header, fmt, mm = open_header(path)
    try:
        wraps = 0
        for start in range(0, header.n_records, batch_records):
            n = min(batch_records, header.n_records - start)
            raw = np.frombuffer(mm, dtype="<u4", count=n, offset=header.data_offset + 4 * start)
            d = _decode(raw, fmt, wraps)
            del raw
            wraps = d.wraps_end
            yield _to_tags(header, fmt, d)[0]
    finally:
        mm.close()
