"""Field types of wire messages: how one field is checked, turned into msgpack values and read back.

Every message field names one of these types in its dataclass metadata. The same type object checks a value
built in Python (`check`), produces its msgpack form (`to_wire`) and validates a decoded msgpack value before
turning it into the Python value (`from_wire`). Struct types (`WireStruct`) compose them.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
from typing import Any, ClassVar

import msgspec
import numpy as np

from protocols.wire.limits import Limits
from protocols.wire.rejections import FrameRejected, RejectReason

_BIN_TYPES = (bytes, memoryview)


def _fail(reason: RejectReason, path: str, message: str) -> FrameRejected:
    return FrameRejected(reason, message, path)


class WireType:
    """One field's wire type; subclasses implement the three conversions."""

    spec: str = "?"

    def check(self, value: Any, path: str) -> None:
        """Raise FrameRejected if a Python value is not valid for this field."""
        raise NotImplementedError

    def to_wire(self, value: Any) -> Any:
        """The msgpack-ready form of a checked value."""
        return value

    def from_wire(self, raw: Any, path: str, limits: Limits) -> Any:
        """Validate a decoded msgpack value and return the Python value."""
        raise NotImplementedError


class Int(WireType):
    """An integer in [lo, hi]; on the wire the shortest msgpack int encoding."""

    def __init__(self, bits: int, signed: bool = False, lo: int | None = None, hi: int | None = None) -> None:
        self.lo = lo if lo is not None else (-(1 << (bits - 1)) if signed else 0)
        self.hi = hi if hi is not None else ((1 << (bits - 1)) - 1 if signed else (1 << bits) - 1)
        self.spec = f"{'i' if signed else 'u'}{bits}"

    def check(self, value: Any, path: str) -> None:
        if type(value) is not int:
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected an integer ({self.spec}), got {type(value).__name__}")
        if not self.lo <= value <= self.hi:
            raise _fail(RejectReason.VALUE_RANGE, path, f"got {value}, allowed: {self.lo}..{self.hi}")

    def from_wire(self, raw: Any, path: str, limits: Limits) -> Any:
        self.check(raw, path)
        return raw


class Float(WireType):
    """A float64 (always msgpack float 64 on the wire), optionally finite and > 0."""

    spec = "f64"

    def __init__(self, positive: bool = False) -> None:
        self.positive = positive

    def check(self, value: Any, path: str) -> None:
        if type(value) is not float:
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected a float (f64), got {type(value).__name__}")
        if self.positive and not (math.isfinite(value) and value > 0.0):
            raise _fail(RejectReason.VALUE_RANGE, path, f"got {value}, allowed: a finite number > 0")

    def from_wire(self, raw: Any, path: str, limits: Limits) -> Any:
        self.check(raw, path)
        return raw


class Str(WireType):
    """A UTF-8 string of at most `max_bytes` bytes, optionally matching a pattern or one of some choices."""

    spec = "str"

    def __init__(self, max_bytes: int | None = None, pattern: str | None = None, choices: tuple[str, ...] = ()) -> None:
        self.max_bytes = max_bytes
        self.pattern = re.compile(pattern) if pattern else None
        self.choices = choices

    def _check(self, value: Any, path: str, max_bytes: int | None) -> None:
        if type(value) is not str:
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected a string, got {type(value).__name__}")
        limit = self.max_bytes if max_bytes is None else min(max_bytes, self.max_bytes or max_bytes)
        if limit is not None and len(value) * 4 > limit and len(value.encode()) > limit:
            raise _fail(RejectReason.STRING_LENGTH, path, f"{len(value.encode())} bytes, allowed: <= {limit}")
        if self.choices and value not in self.choices:
            raise _fail(RejectReason.ENUM_VALUE, path, f"got {value!r}, allowed: {', '.join(self.choices)}")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise _fail(RejectReason.VALUE_RANGE, path, f"got {value!r}, allowed: {self.pattern.pattern}")

    def check(self, value: Any, path: str) -> None:
        self._check(value, path, None)

    def from_wire(self, raw: Any, path: str, limits: Limits) -> Any:
        self._check(raw, path, limits.max_string_bytes)
        return raw


class Enum(WireType):
    """An IntEnum member; on the wire its unsigned integer value."""

    def __init__(self, cls: type[enum.IntEnum]) -> None:
        self.cls = cls
        self.spec = f"u8 enum {cls.__name__}"

    def check(self, value: Any, path: str) -> None:
        if type(value) is not self.cls:
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected a {self.cls.__name__}, got {value!r}")

    def to_wire(self, value: Any) -> Any:
        return int(value)

    def from_wire(self, raw: Any, path: str, limits: Limits) -> Any:
        if type(raw) is not int:
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected an integer ({self.cls.__name__}), got {type(raw).__name__}")
        try:
            return self.cls(raw)
        except ValueError:
            allowed = ", ".join(f"{m.value} ({m.name})" for m in self.cls)
            raise _fail(RejectReason.ENUM_VALUE, path, f"got {raw}, allowed: {allowed}") from None


def _bytes_of(array: np.ndarray) -> memoryview:
    """The raw little-endian bytes of an array, without a copy when it is already contiguous."""
    flat = np.ascontiguousarray(array).reshape(-1)
    return memoryview(flat.view(np.uint8))


class Array(WireType):
    """A numpy array of fixed dtype and trailing shape; on the wire a msgpack bin of its raw bytes.

    The record count is len(bin) / (itemsize * prod(inner)); it is checked against `getattr(limits, limit)`
    before the array is built. Decoded arrays are read-only views of the frame's bytes (np.frombuffer).
    """

    def __init__(self, dtype: np.dtype | str, limit: str, inner: tuple[int, ...] = (), flat_wire: bool = False) -> None:
        self.dtype = np.dtype(dtype)
        self.limit = limit
        self.inner = inner
        self.record_bytes = self.dtype.itemsize * int(np.prod(inner, dtype=np.int64))
        self.flat_wire = flat_wire  # 2-D arrays whose row length follows from other fields (reshaped by the struct)
        self.spec = f"bin: {self.dtype.str} x {self.record_bytes // self.dtype.itemsize} per record"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, np.ndarray):
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected a numpy array of dtype {self.dtype}, got {type(value).__name__}")
        if value.dtype is not self.dtype and value.dtype != self.dtype:  # identity first: dtype == costs µs
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected dtype {self.dtype}, got {value.dtype}")
        ndim = 2 if self.flat_wire else 1 + len(self.inner)
        if value.ndim != ndim or (not self.flat_wire and value.shape[1:] != self.inner):
            want = "(rows, row_bytes)" if self.flat_wire else str((-1, *self.inner))
            raise _fail(RejectReason.ARRAY_LAYOUT, path, f"expected shape {want}, got {value.shape}")

    def to_wire(self, value: Any) -> Any:
        return _bytes_of(value)

    def from_wire(self, raw: Any, path: str, limits: Limits) -> Any:
        if not isinstance(raw, _BIN_TYPES):
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected bin (raw array bytes), got {type(raw).__name__}")
        nbytes = len(raw) if type(raw) is bytes else raw.nbytes
        n, rest = divmod(nbytes, self.record_bytes)
        limit = getattr(limits, self.limit)
        if n > limit:
            raise _fail(RejectReason.ARRAY_LENGTH, path, f"{n} records, allowed: <= {limit} ({self.limit})")
        if rest:
            raise _fail(RejectReason.ARRAY_LAYOUT, path, f"{nbytes} bytes is not a whole number of {self.record_bytes}-byte records")
        array = np.frombuffer(raw, dtype=self.dtype)
        if self.inner:
            array = array.reshape((n, *self.inner))
        array.flags.writeable = False
        return array


class WireStruct:
    """Base of the frozen dataclasses that travel on the wire: checks fields at construction, compares arrays."""

    _wire_cache: ClassVar[dict[type, tuple[tuple[str, WireType], ...]]] = {}

    def __post_init__(self) -> None:
        compiled(type(self))[0](self)  # every field's check, then _finish (see compiled.py)

    @classmethod
    def create(cls, **values: Any) -> Any:
        """Construct with every field given by keyword: the same checks as __init__, without its per-field
        frozen-attribute overhead (for messages built on a hot path)."""
        fast = _CREATE.get(cls)
        if fast is None:
            fast = _CREATE[cls] = (len(cls.wire_fields()), compiled(cls)[0])
        if len(values) != fast[0]:
            missing = [n for n, _ in cls.wire_fields() if n not in values]
            raise TypeError(f"{cls.__name__}.create: every field is required; missing {missing}, got {sorted(values)}")
        obj = object.__new__(cls)
        obj.__dict__.update(values)
        fast[1](obj)
        return obj

    def _finish(self, path: str) -> None:
        """Cross-field checks (and reshaping of decoded arrays); runs after construction and after decoding."""

    @classmethod
    def wire_fields(cls) -> tuple[tuple[str, WireType], ...]:
        """(wire key, type) of every field, in wire order."""
        cached = WireStruct._wire_cache.get(cls)
        if cached is None:
            cached = tuple((f.name, f.metadata["wire"]) for f in dataclasses.fields(cls))  # type: ignore[arg-type]
            WireStruct._wire_cache[cls] = cached
        return cached

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(_equal(getattr(self, n), getattr(other, n)) for n, _ in self.wire_fields())

    __hash__ = None  # type: ignore[assignment]


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))
    if type(a) is float:
        return type(b) is float and (a == b or (math.isnan(a) and math.isnan(b)))
    if type(a) is dict:
        return type(b) is dict and list(a) == list(b) and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def wire(t: WireType, **kwargs: Any) -> Any:
    """A dataclass field that travels on the wire with type `t`."""
    return dataclasses.field(metadata={"wire": t}, **kwargs)


_COMPILED: dict[type, tuple[Any, Any, Any]] = {}
_CREATE: dict[type, tuple[int, Any]] = {}  # struct class -> (field count, generated check), for create()


def compiled(cls: type[WireStruct]) -> tuple[Any, Any, Any]:
    """The generated (check, to_wire, from_wire) functions of a struct class, built on first use."""
    c = _COMPILED.get(cls)
    if c is None:
        from protocols.wire.compiled import compile_struct

        c = _COMPILED[cls] = compile_struct(cls)
    return c


def struct_to_wire(obj: WireStruct) -> dict[str, Any]:
    """The msgpack map of a struct, keys in wire order."""
    return compiled(type(obj))[1](obj)


def struct_from_wire(cls: type[WireStruct], raw: Any, path: str, limits: Limits) -> Any:
    """Validate a decoded msgpack map field by field and build the struct without re-checking."""
    if type(raw) is not dict:
        raise _fail(RejectReason.FIELD_TYPE, path.rstrip("."), f"expected a map ({cls.__name__}), got {type(raw).__name__}")
    fields = cls.wire_fields()
    values: dict[str, Any] = {}
    for name, t in fields:
        if name not in raw:
            raise _fail(RejectReason.MISSING_FIELD, path + name, f"required field of {cls.__name__} is missing")
        values[name] = t.from_wire(raw[name], path + name, limits)
    if len(raw) != len(fields):
        unknown = sorted(repr(k) for k in raw if k not in values)
        raise _fail(RejectReason.UNKNOWN_FIELD, path.rstrip("."), f"unknown field(s) {', '.join(unknown)} in {cls.__name__}")
    obj = object.__new__(cls)
    obj.__dict__.update(values)
    obj._finish(path)
    return obj


class Struct(WireType):
    """A nested struct; on the wire a msgpack map with its fields."""

    def __init__(self, cls: type[WireStruct]) -> None:
        self.cls = cls
        self.spec = f"map {cls.__name__}"

    def check(self, value: Any, path: str) -> None:
        if type(value) is not self.cls:
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected a {self.cls.__name__}, got {type(value).__name__}")

    def to_wire(self, value: Any) -> Any:
        return struct_to_wire(value)

    def from_wire(self, raw: Any, path: str, limits: Limits) -> Any:
        return compiled(self.cls)[2](raw, path + ".", limits)


_PACKED = "_packed"  # key of a struct's cached msgpack form in its __dict__ (not a field: never compared or shown)


def _immutable(obj: Any) -> bool:
    """Whether a struct's wire form can never change: every field a plain value, an immutable struct, or a
    read-only array whose memory nothing else can write (it owns it, or it views a bytes object)."""
    for name, _ in obj.wire_fields():
        v = obj.__dict__[name]
        if isinstance(v, np.ndarray):
            if v.flags.writeable or not (v.base is None or type(v.base) is bytes):
                return False
        elif isinstance(v, WireStruct):
            if not _immutable(v):
                return False
        elif type(v) not in (int, float, str, bool) and not isinstance(v, enum.Enum):
            return False
    return True


class Tagged(WireType):
    """One of several structs, told apart by an enum under key `tag` inside the same map."""

    def __init__(self, tag: str, options: dict[enum.IntEnum, type[WireStruct]]) -> None:
        self.tag = tag
        self.options = options
        self.by_cls = {cls: key for key, cls in options.items()}
        self._by_value = {int(key): cls for key, cls in options.items()}
        self.tag_type = Enum(type(next(iter(options))))
        self.spec = "map {" + tag + ": u8, ...}"

    def check(self, value: Any, path: str) -> None:
        if type(value) not in self.by_cls:
            names = ", ".join(c.__name__ for c in self.options.values())
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected one of {names}, got {type(value).__name__}")

    def to_wire(self, value: Any) -> Any:
        # An immutable choice (the controller sends the same few frame updates over and over) is packed once:
        # its msgpack bytes are kept on the object and spliced into every frame that carries it.
        packed = value.__dict__.get(_PACKED)
        if packed is not None:
            return packed
        out: dict[str, Any] = {self.tag: int(self.by_cls[type(value)])}
        out.update(struct_to_wire(value))
        if _immutable(value):
            from protocols.wire.native import pack  # the codec's packer (native imports this module)

            packed = value.__dict__[_PACKED] = msgspec.Raw(pack(out))
            return packed
        return out

    def from_wire(self, raw: Any, path: str, limits: Limits) -> Any:
        if type(raw) is dict:  # fast path; anything odd goes through the checks below for a precise error
            tag = raw.get(self.tag)
            cls = self._by_value.get(tag) if type(tag) is int else None
            if cls is not None:
                rest = dict(raw)
                del rest[self.tag]
                return compiled(cls)[2](rest, path + ".", limits)
        if type(raw) is not dict:
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected a map, got {type(raw).__name__}")
        if self.tag not in raw:
            raise _fail(RejectReason.MISSING_FIELD, f"{path}.{self.tag}", "required field is missing")
        key = self.tag_type.from_wire(raw[self.tag], f"{path}.{self.tag}", limits)
        rest = {k: v for k, v in raw.items() if k != self.tag}
        return compiled(self.options[key])[2](rest, path + ".", limits)


class NumberMap(WireType):
    """A flat map of name (str) -> number (int in i64/u64 range, or f64)."""

    spec = "map str -> int|f64"
    _key = Str(max_bytes=64)

    def check(self, value: Any, path: str) -> None:
        if type(value) is not dict:
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected a dict of name -> number, got {type(value).__name__}")
        for k, v in value.items():
            self._key.check(k, f"{path}[key]")
            if type(v) is int:
                if not -(1 << 63) <= v < (1 << 64):
                    raise _fail(RejectReason.VALUE_RANGE, f"{path}.{k}", f"got {v}, allowed: -2**63..2**64-1")
            elif type(v) is not float:
                raise _fail(RejectReason.FIELD_TYPE, f"{path}.{k}", f"expected an int or float, got {type(v).__name__}")

    def from_wire(self, raw: Any, path: str, limits: Limits) -> Any:
        if type(raw) is not dict:
            raise _fail(RejectReason.FIELD_TYPE, path, f"expected a map, got {type(raw).__name__}")
        if len(raw) > limits.max_map_entries:
            raise _fail(RejectReason.ARRAY_LENGTH, path, f"{len(raw)} entries, allowed: <= {limits.max_map_entries}")
        for k in raw:
            if type(k) is not str:
                raise _fail(RejectReason.FIELD_TYPE, f"{path}[key]", f"expected a string key, got {type(k).__name__}")
        self.check(raw, path)
        return raw
