"""Headers of PicoQuant time-tagged files: the tagged PTU container and the legacy HydraHarp `.ht3` 2.0 header.

PTU layout (PicoQuant's published format description): 8-byte magic `PQTTTR\\0\\0`, 8-byte version string,
then tags of 48 bytes each -- ident char[32], index i32, type u32, value 8 bytes -- until the tag
`Header_End`. Strings and blobs store their byte length in the value field and follow the tag.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protocols.errors import WireError

PTU_MAGIC = b"PQTTTR\x00\x00"

_TY_EMPTY8 = 0xFFFF0008
_TY_BOOL8 = 0x00000008
_TY_INT8 = 0x10000008
_TY_BITSET64 = 0x11000008
_TY_COLOR8 = 0x12000008
_TY_FLOAT8 = 0x20000008
_TY_TDATETIME = 0x21000008
_TY_FLOAT8ARRAY = 0x2001FFFF
_TY_ANSISTRING = 0x4001FFFF
_TY_WIDESTRING = 0x4002FFFF
_TY_BINARYBLOB = 0xFFFFFFFF

# Guards so that a corrupt header cannot make us allocate or loop without bound.
_MAX_TAGS = 100_000
_MAX_TAG_PAYLOAD = 16 * 1024 * 1024


@dataclass(frozen=True)
class FileHeader:
    """What a reader needs from a PicoQuant header, plus every tag for reference."""

    path: str
    container: str  # "ptu" or "ht3"
    record_type: int  # TTResultFormat_TTTRRecType code, e.g. 0x01010204
    n_records: int
    data_offset: int  # byte offset of the first record
    global_resolution_s: float  # T2: time-tag unit; T3: sync period
    resolution_s: float  # T3: dtime bin width
    tags: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def _err(path: Path, msg: str) -> WireError:
    return WireError(f"{path}: {msg}")


def read_ptu_header(path: str | Path, data: bytes) -> FileHeader:
    """Parse the tagged header of a PTU file held in `data`."""
    path = Path(path)
    if data[:8] != PTU_MAGIC:
        raise _err(path, f"not a PTU file: magic {data[:8]!r}, expected {PTU_MAGIC!r}")
    tags: dict[str, Any] = {}
    pos = 16
    for _ in range(_MAX_TAGS):
        if pos + 48 > len(data):
            raise _err(path, f"header truncated at byte {pos} before Header_End")
        ident = data[pos : pos + 32].split(b"\x00", 1)[0].decode("ascii", "replace")
        idx, typ = struct.unpack_from("<iI", data, pos + 32)
        raw = data[pos + 40 : pos + 48]
        pos += 48
        name = ident if idx < 0 else f"{ident}({idx})"
        if typ in (_TY_EMPTY8,):
            value: Any = None
        elif typ in (_TY_BOOL8,):
            value = struct.unpack("<q", raw)[0] != 0
        elif typ in (_TY_INT8, _TY_BITSET64, _TY_COLOR8):
            value = struct.unpack("<q", raw)[0]
        elif typ in (_TY_FLOAT8, _TY_TDATETIME):
            value = struct.unpack("<d", raw)[0]
        elif typ in (_TY_FLOAT8ARRAY, _TY_ANSISTRING, _TY_WIDESTRING, _TY_BINARYBLOB):
            n = struct.unpack("<q", raw)[0]
            if not 0 <= n <= _MAX_TAG_PAYLOAD or pos + n > len(data):
                raise _err(path, f"tag {ident!r} claims {n} payload bytes at byte {pos}")
            blob = data[pos : pos + n]
            pos += n
            if typ == _TY_ANSISTRING:
                value = blob.split(b"\x00", 1)[0].decode("latin-1")
            elif typ == _TY_WIDESTRING:
                value = blob.decode("utf-16-le", "replace").split("\x00", 1)[0]
            else:
                value = blob
        else:
            raise _err(path, f"tag {ident!r} has unknown type 0x{typ:08x} at byte {pos - 48}")
        tags[name] = value
        if ident == "Header_End":
            break
    else:
        raise _err(path, f"no Header_End within {_MAX_TAGS} tags")
    for key in ("TTResultFormat_TTTRRecType", "TTResult_NumberOfRecords", "MeasDesc_GlobalResolution"):
        if key not in tags:
            raise _err(path, f"PTU header lacks {key}; is this a TTTR (not histogram) file?")
    return FileHeader(
        path=str(path),
        container="ptu",
        record_type=int(tags["TTResultFormat_TTTRRecType"]),
        n_records=int(tags["TTResult_NumberOfRecords"]),
        data_offset=pos,
        global_resolution_s=float(tags["MeasDesc_GlobalResolution"]),
        resolution_s=float(tags.get("MeasDesc_Resolution", tags["MeasDesc_GlobalResolution"])),
        tags=tags,
    )


# Legacy HydraHarp .ht3, file format 2.0 (PicoQuant HydraHarp file format documentation, HT3 demo code):
# a fixed part, then per-input settings, input rates, and the tail that ends with nRecords (i64).
_HT3_FIXED = struct.Struct(
    "<16s6s18s12s18s2s256s"  # Ident, FormatVersion, CreatorName, CreatorVersion, FileTime, CRLF, Comment
    "6i d 10i"  # NumberOfCurves..Binning, Resolution(ps), Offset..DispCountAxisTo
    "16i 9f 4i 20s"  # DispCurves[8](MapTo, Show), Params[3](Start, Step, End), Repeat*, ScriptName
    "16s8s i i 20i"  # HardwareIdent, HardwarePartNo, HardwareSerial, NumberOfModules, ModuleInfo[10]
    "d q 8i"  # BaseResolution, InputsEnabled, InpChansPresent..SyncOffset
)


def read_ht3_header(path: str | Path, data: bytes) -> FileHeader:
    """Parse the binary header of a legacy HydraHarp `.ht3` file (format version 2.0)."""
    path = Path(path)
    if len(data) < _HT3_FIXED.size:
        raise _err(path, f"file of {len(data)} bytes is shorter than the .ht3 header ({_HT3_FIXED.size})")
    f = _HT3_FIXED.unpack_from(data, 0)
    ident = f[0].split(b"\x00", 1)[0].decode("ascii", "replace")
    version = f[1].split(b"\x00", 1)[0].decode("ascii", "replace").strip()
    if ident != "HydraHarp":
        raise _err(path, f"not a HydraHarp .ht3 file: ident {ident!r}")
    if version != "2.0":
        raise _err(path, f".ht3 format version {version!r} is not supported (supported: '2.0')")
    measurement_mode = f[10]
    resolution_ps = f[13]
    n_inputs = f[-8]
    sync_divider = f[-4]
    if measurement_mode != 3:
        raise _err(path, f".ht3 MeasurementMode {measurement_mode} is not T3 (3)")
    if not 0 < n_inputs <= 64:
        raise _err(path, f".ht3 InpChansPresent {n_inputs} outside 1..64")
    pos = _HT3_FIXED.size + 16 * n_inputs  # per input: ModuleIdx, CFDLevel, CFDZeroCross, Offset
    input_rates = struct.unpack_from(f"<{n_inputs}i", data, pos)
    pos += 4 * n_inputs
    sync_rate, stop_after, stop_reason, img_hdr_size = struct.unpack_from("<4i", data, pos)
    pos += 16
    (n_records,) = struct.unpack_from("<q", data, pos)
    pos += 8 + 4 * img_hdr_size
    if sync_rate <= 0 or sync_divider <= 0:
        raise _err(path, f".ht3 SyncRate {sync_rate} / SyncDivider {sync_divider} must be positive")
    tags = {
        "Ident": ident,
        "FormatVersion": version,
        "MeasurementMode": measurement_mode,
        "HardwareIdent": f[54].split(b"\x00", 1)[0].decode("ascii", "replace"),
        "HardwareSerial": f[56],
        "Resolution_ps": resolution_ps,
        "InpChansPresent": n_inputs,
        "InputRate": list(input_rates),
        "SyncRate": sync_rate,
        "SyncDivider": sync_divider,
        "StopAfter": stop_after,
        "StopReason": stop_reason,
    }
    return FileHeader(
        path=str(path),
        container="ht3",
        record_type=0x01010304,  # HT3 2.0 records follow the HydraHarp V2 T3 layout and overflow rule
        n_records=int(n_records),
        data_offset=pos,
        global_resolution_s=sync_divider / sync_rate,
        resolution_s=resolution_ps * 1e-12,
        tags=tags,
    )
