"""Why a frame was rejected: the reasons a decoder counts, and the errors that carry them."""

from __future__ import annotations

import enum

from protocols.errors import WireError


class RejectReason(enum.Enum):
    """The reason a frame was refused by the decoder (the key of the rejection counters)."""

    FRAME_SIZE = "frame_size"  # frame longer than Limits.max_frame_bytes (or empty)
    MALFORMED = "malformed"  # not one complete msgpack object (truncated, trailing bytes, bad UTF-8, ext type)
    DEPTH = "depth"  # maps/arrays nested deeper than Limits.max_depth
    NOT_A_MAP = "not_a_map"  # the top-level object is not a map
    VERSION = "version"  # envelope `v` is not a version this endpoint speaks
    UNKNOWN_KIND = "unknown_kind"  # envelope `kind` is not a known message kind
    MISSING_FIELD = "missing_field"
    UNKNOWN_FIELD = "unknown_field"
    FIELD_TYPE = "field_type"  # a field has the wrong msgpack type
    ENUM_VALUE = "enum_value"  # an enum field holds a value outside its enum
    VALUE_RANGE = "value_range"  # an integer or float outside the field's range
    STRING_LENGTH = "string_length"  # a string longer than its field allows
    ARRAY_LENGTH = "array_length"  # an array longer than its limit (checked before the array is built)
    ARRAY_LAYOUT = "array_layout"  # byte length not a whole number of records, or shape disagrees with fields
    INCONSISTENT = "inconsistent"  # fields that disagree with each other (duplicates, counts)


class FrameRejected(WireError):
    """A frame or message was refused; `reason` says why, `path` names the field (e.g. 'code.distance')."""

    def __init__(self, reason: RejectReason, message: str, path: str = "") -> None:
        self.reason = reason
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{message} [{reason.value}]")


def shown(value: object) -> str:
    """A value as an error message names it: scalars by repr (at most 40 characters), others by type."""
    if value is None or isinstance(value, (bool, int, float, str)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return f"a {type(value).__name__}"


class VersionMismatch(FrameRejected):
    """The peer speaks another protocol version; both versions are named, and the peer's seq kept for a reply."""

    def __init__(self, peer_version: object, our_version: int, seq: int | None = None) -> None:
        self.peer_version = peer_version
        self.our_version = our_version
        self.seq = seq
        super().__init__(
            RejectReason.VERSION,
            f"peer speaks protocol version {shown(peer_version)}, this endpoint speaks version {our_version}; "
            "upgrade one side so that both speak the same version",
            "v",
        )
