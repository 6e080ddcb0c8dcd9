"""Frames <-> messages: `encode(msg) -> bytes`, `decode(frame) -> Message`, and a `Codec` that counts rejections.

A frame is one msgpack map {v, kind, seq, t_send_ns, ...payload} (SPEC.md). Decoding validates before use:
frame size, msgpack well-formedness with per-type length limits taken from the headers, nesting depth, the
version, the kind, then every field's type, range and array layout. Arrays come back as read-only views.
"""

from __future__ import annotations

import collections
import threading
import struct
from typing import Any

import msgpack

from protocols.timetags import TIMETAG_DTYPE
from protocols.wire.limits import DEFAULT_LIMITS, Limits
from protocols.wire.messages import MESSAGE_TYPES, PROTOCOL_VERSION, Kind, Message
from protocols.wire.rejections import FrameRejected, RejectReason, VersionMismatch, shown
from protocols.wire.compiled import compile_struct
from protocols.wire.native import PACK, decode_canonical, pack
from protocols.wire.wiretypes import Array, compiled

# Frames at least this long are scanned for top-level bin fields without copying them (see _scan_flat_map);
# below it the C msgpack unpacker is faster than any saving.
ZERO_COPY_MIN_BYTES = 32 * 1024
# Top-level arrays at least this long are appended to the frame as they are, not copied through msgpack's buffer
# (and a sender puts such a batch in a reusable frame buffer; below it, copying the records is cheaper).
APPEND_MIN_BYTES = 32 * 1024
_STREAM_MAX_BYTES = 64 * 1024  # frames up to this size go through a reused Unpacker

_TRAILING: dict[type, tuple[str, ...]] = {}


def _trailing_arrays(cls: type[Message]) -> tuple[str, ...]:
    """Names of the top-level array fields at the end of the schema (those that can be appended raw)."""
    names = _TRAILING.get(cls)
    if names is None:
        out: list[str] = []
        for name, t in reversed(cls.wire_fields()):
            if not isinstance(t, Array):
                break
            out.insert(0, name)
        names = _TRAILING[cls] = tuple(out)
    return names


_ENCODERS: dict[type, Any] = {}


def _envelope_encoder(cls: type[Message]) -> Any:
    """The generated function giving the whole envelope map {v, kind, seq, t_send_ns, ...} of a message."""
    enc = _ENCODERS.get(cls)
    if enc is None:
        enc = _ENCODERS[cls] = compile_struct(cls, {"v": PROTOCOL_VERSION, "kind": int(cls.KIND)})[1]
    return enc


def _bin_header(n: int) -> bytes:
    if n < 0x100:
        return b"\xc4" + n.to_bytes(1, "big")
    if n < 0x10000:
        return b"\xc5" + n.to_bytes(2, "big")
    return b"\xc6" + n.to_bytes(4, "big")


def encode_parts(msg: Message) -> list[Any]:
    """The frame of `msg` as a list of bytes-like pieces whose concatenation is `encode(msg)`.

    Large trailing arrays are returned as memoryviews of the message's own arrays (no copy), so that a
    sender can assemble the frame in a buffer of its own (see DataSender) instead of a fresh allocation.
    """
    body = _envelope_encoder(type(msg))(msg)
    trailing = _trailing_arrays(type(msg))
    if not trailing or sum(body[n].nbytes for n in trailing) < APPEND_MIN_BYTES:
        return [pack(body)]
    # Pack the head, then key + bin header + the array's own bytes: the same bytes packb would give.
    tail: list[Any] = []
    for name in trailing:
        mv = body.pop(name)
        tail += [*_array_key(name, mv.nbytes), mv]
    return [*_fixmap_head(body, len(trailing)), *tail]


def _fixmap_head(body: dict[str, Any], n_trailing: int) -> list[Any]:
    """The packed map `body` with its header counting `n_trailing` more entries that follow it."""
    head = pack(body)
    n_keys = len(body) + n_trailing
    assert n_keys <= 15 and head[0] == 0x80 | len(body), "trailing-array fast path needs a fixmap envelope"
    return [bytes((0x80 | n_keys,)), memoryview(head)[1:]]


def _array_key(name: str, nbytes: int) -> list[bytes]:
    """Key and bin header of a trailing array of `nbytes` bytes (its bytes follow)."""
    return [pack(name), _bin_header(nbytes)]


_U64_MAX, _U32_MAX = (1 << 64) - 1, (1 << 32) - 1


_UINT_FORMS = ((0x100, struct.Struct(">BB").pack, 0xCC), (0x10000, struct.Struct(">BH").pack, 0xCD),
               (0x100000000, struct.Struct(">BI").pack, 0xCE), (1 << 64, struct.Struct(">BQ").pack, 0xCF))
_FIXINTS = [bytes((i,)) for i in range(0x80)]


def _uint(v: int) -> bytes:
    """The shortest msgpack form of a non-negative integer below 2**64 (as the packer writes it)."""
    if v < 0x80:
        return _FIXINTS[v]
    for bound, fmt, marker in _UINT_FORMS:
        if v < bound:
            return fmt(marker, v)
    raise ValueError(v)


# The envelope of a TimeTagBatch is fixed but for four integers and the records' length: its constant pieces,
# packed once by the codec's own packer, in the schema's order.
_TT_KEYS = ("seq", "t_send_ns", "first_round", "n_rounds")
# fixmap of v, kind, the four integers and tags
_TT_OPEN = (bytes((0x80 | (2 + len(_TT_KEYS) + 1),)) + pack("v") + pack(PROTOCOL_VERSION) + pack("kind")
            + pack(int(Kind.TIMETAG_BATCH)))
_TT_KEY_BYTES = [pack(k) for k in _TT_KEYS]
_TT_TAGS = pack("tags")


def timetag_batch_head(first_round: int, n_rounds: int, seq: int, t_send_ns: int, nbytes: int) -> bytes | None:
    """The bytes of `encode(TimeTagBatch(...))` before its `nbytes` of records, for a sender that writes the
    records itself (in place, or right after); None when a value is not a plain in-range integer (build the
    message instead: it names the problem). The same canonical bytes as the general encoder, without
    building the message (a one-round batch is sent a million times a second)."""
    if not (type(first_round) is int and type(n_rounds) is int and type(seq) is int and type(t_send_ns) is int
            and 0 <= first_round <= _U64_MAX and 0 <= n_rounds <= _U32_MAX and 0 <= seq <= _U64_MAX
            and 0 <= t_send_ns <= _U64_MAX and 0 <= nbytes and nbytes % TIMETAG_DTYPE.itemsize == 0):
        return None
    k = _TT_KEY_BYTES
    return b"".join((_TT_OPEN, k[0], _uint(seq), k[1], _uint(t_send_ns), k[2], _uint(first_round), k[3],
                     _uint(n_rounds), _TT_TAGS, _bin_header(nbytes)))


_NO_TRAILING: dict[type, Any] = {}  # frame encoders (message -> bytes) of the types without trailing arrays


def encode(msg: Message) -> bytes:
    """Encode a message into one frame (canonical: fields in SPEC order, shortest msgpack forms)."""
    cls = type(msg)
    enc = _NO_TRAILING.get(cls)
    if enc is not None:  # control messages: one map, packed at once by the generated encoder
        return enc(msg)
    if not _trailing_arrays(cls):
        _NO_TRAILING[cls] = compile_struct(cls, {"v": PROTOCOL_VERSION, "kind": int(cls.KIND)}, pack=PACK)[1]
    parts = encode_parts(msg)
    return parts[0] if len(parts) == 1 else b"".join(parts)


_U = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q"}
_BIN = {0xC4: ">B", 0xC5: ">H", 0xC6: ">I"}


def _scan_flat_map(mv: memoryview) -> dict[str, Any] | None:
    """Parse a map of str keys -> int/bin values, giving bins as views into `mv`; None if the frame is not
    of that simple form (the full unpacker then decides, and reports errors)."""
    n = len(mv)
    b0 = mv[0]
    if 0x80 <= b0 <= 0x8F:
        count, pos = b0 & 0x0F, 1
    elif b0 == 0xDE and n >= 3:
        count, pos = struct.unpack_from(">H", mv, 1)[0], 3
    else:
        return None
    out: dict[str, Any] = {}
    try:
        for _ in range(count):
            k = mv[pos]
            if not 0xA0 <= k <= 0xBF:
                return None
            klen = k & 0x1F
            key = bytes(mv[pos + 1 : pos + 1 + klen]).decode("ascii")
            pos += 1 + klen
            t = mv[pos]
            if t <= 0x7F:
                out[key], pos = t, pos + 1
            elif t >= 0xE0:
                out[key], pos = t - 0x100, pos + 1
            elif t in _U:
                fmt = _U[t]
                out[key] = struct.unpack_from(fmt, mv, pos + 1)[0]
                pos += 1 + struct.calcsize(fmt)
            elif t in _BIN:
                fmt = _BIN[t]
                size = struct.unpack_from(fmt, mv, pos + 1)[0]
                start = pos + 1 + struct.calcsize(fmt)
                if start + size > n:
                    return None
                out[key], pos = mv[start : start + size], start + size
            else:
                return None
    except (IndexError, struct.error, UnicodeDecodeError):
        return None
    return out if pos == n else None


def _check_depth(obj: Any, max_depth: int) -> None:
    stack = [(obj, 1)]
    while stack:
        o, depth = stack.pop()
        if depth > max_depth:
            raise FrameRejected(RejectReason.DEPTH, f"maps/arrays nested deeper than {max_depth}")
        for child in o.values() if type(o) is dict else o:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))


def _header_limits(limits: Limits) -> dict[str, Any]:
    return dict(
        raw=False,
        strict_map_key=True,
        use_list=True,
        max_bin_len=limits.max_bin_bytes,
        max_str_len=limits.max_string_bytes,
        max_array_len=limits.max_map_entries,
        max_map_len=max(limits.max_map_entries, 16),
        max_ext_len=0,
    )


class _Unpacker:
    """A reusable msgpack.Unpacker for one frame at a time: its keyword-parsing cost is paid once, not per
    frame (µs per small message). Rebuilt after any error, so no state survives a bad frame."""

    def __init__(self, limits: Limits) -> None:
        self._kw = _header_limits(limits)
        self._kw["max_buffer_size"] = limits.max_frame_bytes
        self._u = msgpack.Unpacker(**self._kw)

    def unpack(self, frame: Any, size: int) -> Any:
        u = self._u
        start = u.tell()
        try:
            u.feed(frame)
            obj = u.unpack()
        except BaseException:
            self._u = msgpack.Unpacker(**self._kw)
            raise
        if u.tell() - start != size:
            self._u = msgpack.Unpacker(**self._kw)
            raise msgpack.ExtraData(obj, b"")
        return obj


_LOCAL = threading.local()  # module-level decode(): one unpacker per thread and Limits


def _thread_unpacker(limits: Limits) -> _Unpacker:
    cache = getattr(_LOCAL, "unpackers", None)
    if cache is None:
        cache = _LOCAL.unpackers = {}
    u = cache.get(limits)
    if u is None:
        u = cache[limits] = _Unpacker(limits)
    return u


def _unpack(frame: Any, size: int, limits: Limits, unpacker: _Unpacker | None = None) -> Any:
    try:
        if size > _STREAM_MAX_BYTES:  # large frames: no copy into the unpacker's buffer
            return msgpack.unpackb(frame, **_header_limits(limits))
        return (unpacker or _thread_unpacker(limits)).unpack(frame, size)
    except msgpack.StackError as e:
        raise FrameRejected(RejectReason.DEPTH, f"nesting beyond the unpacker's stack ({e})") from e
    except ValueError as e:
        text = str(e)
        if "exceeds max_bin_len" in text:
            raise FrameRejected(RejectReason.ARRAY_LENGTH, f"bin field longer than {limits.max_bin_bytes} bytes") from e
        if "exceeds max_str_len" in text:
            raise FrameRejected(RejectReason.STRING_LENGTH, f"string longer than {limits.max_string_bytes} bytes") from e
        if "exceeds max_" in text:
            raise FrameRejected(RejectReason.ARRAY_LENGTH, f"map/array too long: {text}") from e
        raise FrameRejected(RejectReason.MALFORMED, f"not one complete msgpack object: {text}") from e
    except Exception as e:  # msgpack's other errors (OutOfData, FormatError, ...) mean the same for us
        raise FrameRejected(RejectReason.MALFORMED, f"not one complete msgpack object: {type(e).__name__}: {e}") from e


def decode(frame: Any, limits: Limits = DEFAULT_LIMITS, *, zero_copy_min_bytes: int = ZERO_COPY_MIN_BYTES,
           native: bool = True, _unpacker: _Unpacker | None = None) -> Message:
    """Validate one frame (bytes-like) and return its message; raise FrameRejected (a WireError) otherwise.

    Arrays in the result are read-only views of `frame`'s memory for frames >= `zero_copy_min_bytes`
    (keep the frame alive and unchanged while they are used) and of a copy below that. `native=False`
    skips the msgspec fast path (native.py); results and errors are the same either way.
    """
    if type(frame) is bytes and len(frame) < zero_copy_min_bytes:
        mv, size = frame, len(frame)  # small frames: straight to the unpacker
    else:
        mv = frame if type(frame) is memoryview else memoryview(frame)
        if mv.format != "B" or mv.ndim != 1:
            mv = mv.cast("B")
        size = mv.nbytes
    if not 0 < size <= limits.max_frame_bytes:
        raise FrameRejected(RejectReason.FRAME_SIZE, f"frame of {size} bytes, allowed: 1..{limits.max_frame_bytes}")
    # Small frames given as a writable buffer are copied first: their arrays must not alias the caller's memory.
    if native:
        msg = decode_canonical(mv if type(mv) is bytes or size >= zero_copy_min_bytes else bytes(mv), limits)
        if msg is not None:
            return msg
    raw = _scan_flat_map(mv) if size >= zero_copy_min_bytes else None
    if raw is None:
        raw = _unpack(mv, size, limits, _unpacker)
    if type(raw) is not dict:
        raise FrameRejected(RejectReason.NOT_A_MAP, f"top level is {type(raw).__name__}, expected a map (the envelope)")
    try:
        return _decode_envelope(raw, limits)
    except FrameRejected:
        # Nesting never reaches the schema's fields unchecked (each field tests its type), so depth is only
        # classified here, when the frame is refused anyway: too deep is reported as DEPTH.
        _check_depth(raw, limits.max_depth)
        raise


def _decode_envelope(raw: dict[str, Any], limits: Limits) -> Message:
    v = raw.pop("v", None)
    if v != PROTOCOL_VERSION or type(v) is not int:
        if v is None:
            raise FrameRejected(RejectReason.MISSING_FIELD, "envelope field is missing", "v")
        seq = raw.get("seq")
        raise VersionMismatch(v, PROTOCOL_VERSION, seq if type(seq) is int else None)
    kind = raw.pop("kind", None)
    if type(kind) is not int:
        reason = RejectReason.MISSING_FIELD if kind is None else RejectReason.FIELD_TYPE
        raise FrameRejected(reason, f"expected an integer message kind, got {shown(kind)}", "kind")
    cls = MESSAGE_TYPES.get(kind)  # type: ignore[call-overload]
    if cls is None:
        allowed = ", ".join(f"{k.value} ({k.name})" for k in Kind)
        raise FrameRejected(RejectReason.UNKNOWN_KIND, f"got {kind}, allowed: {allowed}", "kind")
    return compiled(cls)[2](raw, "", limits)


class Codec:
    """Encoder/decoder with fixed limits that counts accepted frames and rejections by reason."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS, *, zero_copy_min_bytes: int = ZERO_COPY_MIN_BYTES) -> None:
        self.limits = limits
        self.zero_copy_min_bytes = zero_copy_min_bytes
        self.accepted = 0
        self.rejected: collections.Counter[RejectReason] = collections.Counter()
        self._unpacker = _Unpacker(limits)  # a Codec belongs to one thread (one socket)

    def encode(self, msg: Message) -> bytes:
        """Encode a message into one frame."""
        return encode(msg)

    def decode(self, frame: Any) -> Message:
        """Decode one frame, counting it as accepted or rejected (by reason) before returning or raising."""
        if type(frame) is bytes and 0 < len(frame) < self.zero_copy_min_bytes and len(frame) <= self.limits.max_frame_bytes:
            # A small control frame (the command/ack round trip): straight to the fast path, as decode() would.
            try:
                msg = decode_canonical(frame, self.limits)
            except FrameRejected as e:
                self.rejected[e.reason] += 1
                raise
            if msg is not None:
                self.accepted += 1
                return msg
            native = False  # not canonical: the generic path decides, without trying the fast path again
        else:
            native = True
        try:
            msg = decode(frame, self.limits, zero_copy_min_bytes=self.zero_copy_min_bytes, native=native,
                         _unpacker=self._unpacker)
        except FrameRejected as e:
            self.rejected[e.reason] += 1
            raise
        self.accepted += 1
        return msg

    @property
    def total_rejected(self) -> int:
        """How many frames were rejected, whatever the reason."""
        return sum(self.rejected.values())
