"""Raw 16-byte time-tag files: the record layout of `protocols.timetags` (the layout Swabian-style time-tag
streams use: type u8, reserved u8, missed events u16, channel i32, time i64 in ps, little endian), one record
after another with no header. The emulator can write them and the controller can replay them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from protocols.errors import WireError
from protocols.timetags import TIMETAG_DTYPE, RecordType

_VALID_TYPES = np.array([int(t) for t in RecordType], dtype=np.uint8)


def validate_tags(tags: np.ndarray, where: str) -> None:
    """Raise WireError naming `where` if a batch has unknown record types or non-zero reserved bytes."""
    bad = ~np.isin(tags["type"], _VALID_TYPES)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise WireError(f"{where}: record {i} has unknown type {int(tags['type'][i])} (allowed 0..4)")
    if (tags["reserved"] != 0).any():
        i = int(np.flatnonzero(tags["reserved"] != 0)[0])
        raise WireError(f"{where}: record {i} has reserved byte {int(tags['reserved'][i])}, expected 0")


def write_raw16(path: str | Path, tags: np.ndarray, append: bool = False) -> None:
    """Write a TIMETAG_DTYPE batch to `path` as raw 16-byte records."""
    if tags.dtype != TIMETAG_DTYPE:
        raise TypeError(f"expected a TIMETAG_DTYPE array, got dtype {tags.dtype}")
    with open(path, "ab" if append else "wb") as f:
        f.write(np.ascontiguousarray(tags).tobytes())


def read_raw16(path: str | Path) -> np.ndarray:
    """Read a whole raw 16-byte time-tag file into one validated batch."""
    path = Path(path)
    size = path.stat().st_size
    if size % TIMETAG_DTYPE.itemsize:
        raise WireError(f"{path}: size {size} bytes is not a multiple of the 16-byte record; truncated?")
    tags = np.fromfile(path, dtype=TIMETAG_DTYPE)
    validate_tags(tags, str(path))
    return tags


def iter_raw16(path: str | Path, batch_records: int = 1 << 20) -> Iterator[np.ndarray]:
    """Yield a raw 16-byte time-tag file as validated batches of at most `batch_records` records."""
    path = Path(path)
    size = path.stat().st_size
    if size % TIMETAG_DTYPE.itemsize:
        raise WireError(f"{path}: size {size} bytes is not a multiple of the 16-byte record; truncated?")
    mm = np.memmap(path, dtype=TIMETAG_DTYPE, mode="r") if size else np.zeros(0, TIMETAG_DTYPE)
    for start in range(0, len(mm), batch_records):
        batch = np.array(mm[start : start + batch_records])
        validate_tags(batch, f"{path} (records from {start})")
        yield batch
