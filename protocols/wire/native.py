"""The codec's fast path for well-formed frames: msgspec decodes them against types generated from the schema.

Why: validating a small control message field by field in Python costs several µs, most of a command round
trip; msgspec checks the map's keys, types, integer ranges, enums, choices and patterns in C. What it cannot
express is checked afterwards by the same field types the generic path uses: the limits a `Codec` is given,
UTF-8 byte lengths, that floats travel as float 64, array layouts, and each struct's cross-field checks.
A frame msgspec refuses, or one this module is unsure of, goes to the generic path, which names the precise
reason; so the frames accepted and the errors raised are exactly those of the generic path.
"""

from __future__ import annotations

import struct
from typing import Annotated, Any, Callable, Literal, Union

import msgspec

from protocols.wire.limits import Limits
from protocols.wire.messages import MESSAGE_TYPES, PROTOCOL_VERSION, Kind, Message, TimeTagBatch
from protocols.wire.wiretypes import Array, Enum, Float, Int, NumberMap, Str, Struct, Tagged, WireStruct, WireType

_F64 = struct.Struct(">d").unpack_from
_INT64_MAX = (1 << 63) - 1
Converter = Callable[[Any, str, Limits], Any]  # (decoded msgspec struct, path, limits) -> message, or None


def _field_type(t: WireType) -> Any:
    """The msgspec type that accepts a subset of what `t` accepts (never more)."""
    if isinstance(t, Int):
        if t.hi > _INT64_MAX:  # msgspec bounds are int64; a msgpack integer cannot exceed u64 anyway
            assert t.hi == (1 << 64) - 1, t.spec
            return Annotated[int, msgspec.Meta(ge=t.lo)]
        return Annotated[int, msgspec.Meta(ge=t.lo, le=t.hi)]
    if isinstance(t, Float):
        return msgspec.Raw  # msgspec turns ints into floats; the wire form is checked in the converter
    if isinstance(t, Str):
        if t.choices:
            return Literal[t.choices]  # type: ignore[valid-type]
        meta: dict[str, Any] = {}
        if t.max_bytes is not None:
            meta["max_length"] = t.max_bytes  # characters: a bound of the byte length, which is checked after
        if t.pattern is not None:
            meta["pattern"] = rf"^(?:{t.pattern.pattern})\Z"  # msgspec searches; the schema means a full match
        return Annotated[str, msgspec.Meta(**meta)] if meta else str
    if isinstance(t, Enum):
        return t.cls
    if isinstance(t, Array):
        return memoryview  # a view of the frame: the converter checks length and layout, then wraps it
    if isinstance(t, Struct):
        return _mirror(t.cls)
    if isinstance(t, Tagged):
        return msgspec.Raw  # decoded (and remembered) on its own by _TaggedCache
    if isinstance(t, NumberMap):
        return dict[str, Union[int, float]]
    raise TypeError(f"no msgspec form for wire type {type(t).__name__}")


_MIRRORS: dict[tuple[type, Any], type[msgspec.Struct]] = {}
_CONVERTERS: dict[type, Converter] = {}  # msgspec struct type -> converter into our message


def _mirror(cls: type[WireStruct], tag: tuple[str, int] | None = None) -> type[msgspec.Struct]:
    """The msgspec struct with the wire layout of `cls` (for a message: v and kind first)."""
    key = (cls, tag)
    m = _MIRRORS.get(key)
    if m is None:
        fields: list[tuple[str, Any]] = []
        if issubclass(cls, Message):
            fields += [("v", Literal[PROTOCOL_VERSION]), ("kind", Literal[int(cls.KIND)])]
        fields += [(name, _field_type(t)) for name, t in cls.wire_fields()]
        kw: dict[str, Any] = {"forbid_unknown_fields": True}
        if tag is not None:
            kw.update(tag_field=tag[0], tag=tag[1])
        m = _MIRRORS[key] = msgspec.defstruct(f"Wire{cls.__name__}", fields, **kw)
        _CONVERTERS[m] = _converter(cls)
    return m


def _converter(cls: type[WireStruct]) -> Converter:
    """Generated straight-line code: the checks msgspec could not make, then the message object."""
    fields = cls.wire_fields()
    env: dict[str, Any] = {"_cls": cls, "_new": object.__new__, "_F64": _F64, "_INF": float("inf"), "_CONV": _CONVERTERS}
    lines = ["def convert(m, path, limits):"]
    for i, (name, t) in enumerate(fields):
        v = f"f{i}"
        env[f"_T{i}"] = t
        lines.append(f"    {v} = m.{name}")
        if isinstance(t, Str) and (t.max_bytes is not None or not t.choices):
            cap = "limits.max_string_bytes" if t.max_bytes is None else f"min(limits.max_string_bytes, {t.max_bytes})"
            lines.append(f"    if len({v}) * 4 > {cap} and len({v}.encode()) > {cap}: return None")
        elif isinstance(t, Float):
            lines.append(f"    b = bytes({v})")
            lines.append("    if len(b) != 9 or b[0] != 0xCB: return None")  # float 32 and ints: generic path
            lines.append(f"    {v} = _F64(b, 1)[0]")
            if t.positive:
                lines.append(f"    if not 0.0 < {v} < _INF: return None")
        elif isinstance(t, (Array, NumberMap)):
            lines.append(f"    {v} = _T{i}.from_wire({v}, path + {name!r}, limits)")
        elif isinstance(t, Struct):
            lines.append(f"    {v} = _CONV[type({v})]({v}, path + {name + '.'!r}, limits)")
            lines.append(f"    if {v} is None: return None")
        elif isinstance(t, Tagged):
            env[f"_TC{i}"] = _TaggedCache(t, name)
            # The cache's hit path inline: on a round trip each Python call costs µs (cold caches).
            lines.append(f"    hit = _TC{i}.seen.get(bytes({v})) if limits is _TC{i}.limits else None")
            lines.append(f"    {v} = hit if hit is not None else _TC{i}({v}, path, limits)")
            lines.append(f"    if {v} is None: return None")
    lines += ["    obj = _new(_cls)",
              "    obj.__dict__.update({" + ", ".join(f"{name!r}: f{i}" for i, (name, _) in enumerate(fields)) + "})"]
    if cls._finish is not WireStruct._finish:  # only structs with cross-field checks pay for the call
        lines.append("    obj._finish(path)")
    lines.append("    return obj")
    exec(compile("\n".join(lines) + "\n", f"<native {cls.__name__}>", "exec"), env)  # noqa: S102 - from our own schema
    return env["convert"]


class _TaggedCache:
    """Decodes one Tagged field from its raw msgpack bytes, remembering immutable results by those bytes.

    Why: a device receives the same few actions over and over (the controller's frame updates), and
    building one costs several µs. A result is kept only when its arrays view a private bytes copy (so
    nothing can change it), per Limits, and the table is bounded (cleared when full).
    """

    MAX_ENTRIES = 256

    def __init__(self, t: Tagged, name: str) -> None:
        self._decoder = msgspec.msgpack.Decoder(
            Union[tuple(_mirror(cls, (t.tag, int(key))) for key, cls in t.options.items())])  # type: ignore[arg-type]
        self._suffix = name + "."
        self._tables: dict[Limits, dict[bytes, Any]] = {}
        # The Limits of the last call and its table (read by the generated converters): hashing Limits costs µs.
        self.limits: Limits | None = None
        self.seen: dict[bytes, Any] = {}

    def __call__(self, raw: msgspec.Raw, path: str, limits: Limits) -> Any:
        if limits is not self.limits:
            self.seen = self._tables.setdefault(limits, {})
            self.limits = limits
        key = bytes(raw)
        hit = self.seen.get(key)
        if hit is not None:
            return hit
        try:
            m = self._decoder.decode(key)  # arrays come back as views of this bytes object: immutable
        except Exception:  # noqa: BLE001 - the generic path reports it
            return None
        value = _CONVERTERS[type(m)](m, path + self._suffix, limits)
        if value is not None:
            if len(self.seen) >= self.MAX_ENTRIES:
                self.seen.clear()
            self.seen[key] = value
        return value


# kind -> (msgspec decoder, converter), for every message type
_DECODERS: dict[int, tuple[msgspec.msgpack.Decoder, Converter]] = {}
for _kind, _cls in MESSAGE_TYPES.items():
    _m = _mirror(_cls)
    _DECODERS[int(_kind)] = (msgspec.msgpack.Decoder(_m), _CONVERTERS[_m])

_PREFIX = b"\xa1v" + bytes((PROTOCOL_VERSION,)) + b"\xa4kind"  # after the fixmap byte: "v": current, "kind":


def decode_canonical(frame: Any, limits: Limits) -> Message | None:
    """The message of a well-formed frame whose envelope starts {v: current, kind: K, ...}; None for anything
    else (the generic path then decides and names the reason). Raises FrameRejected only for the checks
    that follow a successful msgspec decode, with the generic path's message."""
    if frame[1:9] != _PREFIX or len(frame) < 10 or not 0x80 <= frame[0] <= 0x8F:
        return None
    entry = _DECODERS.get(frame[9])
    if entry is None:
        return None
    try:
        m = entry[0].decode(frame)
    except Exception:  # noqa: BLE001 - DecodeError, or e.g. UnicodeDecodeError for a bad key: the generic path reports it
        return None
    return entry[1](m, "", limits)


_TIMETAG_KIND = int(Kind.TIMETAG_BATCH)
_TIMETAG_DECODER = _DECODERS[_TIMETAG_KIND][0]
_TAGS = dict(TimeTagBatch.wire_fields())["tags"]
assert isinstance(_TAGS, Array) and not _TAGS.inner


def timetag_batch_fields(frame: bytes, limits: Limits) -> tuple[int, int, int, int, memoryview] | None:
    """(seq, t_send_ns, first_round, n_rounds, record bytes) of a frame that `decode_canonical` would decode
    into a TimeTagBatch, without building the message (a receiver joining many small batches into one
    array needs only these); None for anything else (decode it as usual: it is another message, not
    canonical, or refused, and the codec says which)."""
    if (not 10 <= len(frame) <= limits.max_frame_bytes or frame[9] != _TIMETAG_KIND or frame[1:9] != _PREFIX
            or not 0x80 <= frame[0] <= 0x8F):
        return None
    try:
        m = _TIMETAG_DECODER.decode(frame)
    except Exception:  # noqa: BLE001 - the codec's generic path reports it
        return None
    n, rest = divmod(len(m.tags), _TAGS.record_bytes)  # the checks of Array.from_wire
    if rest or n > getattr(limits, _TAGS.limit):
        return None
    return m.seq, m.t_send_ns, m.first_round, m.n_rounds, m.tags


_ENCODER = msgspec.msgpack.Encoder()
PACK = _ENCODER.encode  # pack() as a C method, for generated code (one Python call less per frame)


def pack(obj: Any) -> bytes:
    """msgpack bytes of plain values (dicts in insertion order, shortest forms): the same bytes as
    msgpack.packb(obj, use_bin_type=True), a few times faster."""
    return _ENCODER.encode(obj)
