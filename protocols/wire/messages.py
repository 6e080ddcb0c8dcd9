"""The wire messages: one frozen dataclass per kind, each field tagged with its wire type.

Every message travels as the envelope {v, kind, seq, t_send_ns, ...payload}; `v` and `kind` come from the
class, `seq` and `t_send_ns` are fields of every message. See SPEC.md for the byte layout.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import ClassVar

import numpy as np

from protocols.timetags import TIMETAG_DTYPE
from protocols.wire.rejections import FrameRejected, RejectReason
from protocols.wire.wiretypes import (
    Array,
    Enum,
    Float,
    Int,
    NumberMap,
    Str,
    Struct,
    Tagged,
    WireStruct,
    wire,
)

PROTOCOL_VERSION = 1
MIN_PROTOCOL_VERSION = 1

_U16, _U32, _U64, _I64 = Int(16), Int(32), Int(64), Int(64, signed=True)
_ROUND = Int(64, signed=True, lo=-1)  # -1 = none / unknown
_TEXT = Str(max_bytes=1024)


class Kind(enum.IntEnum):
    """Envelope `kind`: which message a frame holds."""

    HELLO = 1
    HELLO_ACK = 2
    REFUSE = 3
    TIMETAG_BATCH = 4
    SYNDROME_FRAME = 5
    FEEDBACK_COMMAND = 6
    COMMAND_ACK = 7
    HEARTBEAT = 8
    TELEMETRY = 9
    ERROR = 10
    GOODBYE = 11


class Role(enum.IntEnum):
    """What an endpoint is: the controller, a device (emulator, FPGA, DAQ, replay) or a read-only monitor."""

    CONTROLLER = 1
    DEVICE = 2
    MONITOR = 3


class ActionKind(enum.IntEnum):
    """The action a feedback command carries."""

    PAULI_FRAME = 1
    SWITCH_CODE = 2
    SET_PARAMETER = 3


class Pauli(enum.IntEnum):
    """A Pauli-frame entry: bit 0 = X component, bit 1 = Z component."""

    I = 0  # noqa: E741
    X = 1
    Z = 2
    Y = 3


class CommandStatus(enum.IntEnum):
    """Outcome of a feedback command."""

    APPLIED = 0
    REJECTED = 1
    LATE = 2  # apply_at_round had already passed when the command arrived
    UNSUPPORTED = 3


class ErrorCode(enum.IntEnum):
    """Codes of Error and Refuse messages."""

    VERSION = 1
    MALFORMED = 2
    LIMIT = 3
    NOT_READY = 4  # a message that needs a session arrived before the handshake
    ROLE = 5
    CODE_MISMATCH = 6
    CHANNEL_MAP = 7
    TIMEOUT = 8
    INTERNAL = 9
    BUSY = 10  # the device already serves a live controller


@dataclasses.dataclass(frozen=True, eq=False)
class CodeSpec(WireStruct):
    """The QEC code an experiment runs: family name, distance, rounds per shot, memory basis ('X' or 'Z')."""

    family: str = wire(Str(max_bytes=32, pattern=r"[a-z][a-z0-9_]*"))
    distance: int = wire(Int(16, lo=1))
    rounds: int = wire(Int(32, lo=1))
    basis: str = wire(Str(max_bytes=1, choices=("X", "Z")))


@dataclasses.dataclass(frozen=True, eq=False)
class ChannelMap(WireStruct):
    """Qubit -> its two rail channels. qubits: int32[n]; rails: int32[n, 2] (rail 0 = outcome 0, rail 1 = outcome 1).

    Qubit ids are distinct; the 2n channels are distinct. An empty map (n = 0) in a Hello means "use yours".
    """

    qubits: np.ndarray = wire(Array("<i4", "max_qubits"))
    rails: np.ndarray = wire(Array("<i4", "max_qubits", inner=(2,)))

    def _finish(self, path: str) -> None:
        if len(self.qubits) != len(self.rails):
            raise FrameRejected(RejectReason.INCONSISTENT, f"{len(self.qubits)} qubits but {len(self.rails)} rail pairs", path + "rails")
        if len(np.unique(self.qubits)) != len(self.qubits):
            raise FrameRejected(RejectReason.INCONSISTENT, "qubit ids are not distinct", path + "qubits")
        if len(np.unique(self.rails)) != self.rails.size:
            raise FrameRejected(RejectReason.INCONSISTENT, "rail channels are not distinct", path + "rails")

    @classmethod
    def from_pairs(cls, pairs: dict[int, tuple[int, int]]) -> ChannelMap:
        """Build a channel map from {qubit: (rail0_channel, rail1_channel)}."""
        q = np.array(list(pairs), dtype="<i4")
        r = np.array([pairs[k] for k in pairs], dtype="<i4").reshape(-1, 2)
        return cls(qubits=q, rails=r)


@dataclasses.dataclass(frozen=True, eq=False)
class Message(WireStruct):
    """Base of all messages: the envelope fields every message carries."""

    KIND: ClassVar[Kind]
    seq: int = wire(_U64, default=0, kw_only=True)  # per sender and socket, +1 per message
    t_send_ns: int = wire(_U64, default=0, kw_only=True)  # sender's wall clock (Unix ns) when sent



@dataclasses.dataclass(frozen=True, eq=False)
class Hello(Message):
    """Opens a session: who I am, the code I run or expect, the channel map and the clock."""

    KIND: ClassVar[Kind] = Kind.HELLO
    endpoint: str = wire(Str(max_bytes=64))
    role: Role = wire(Enum(Role))
    code: CodeSpec = wire(Struct(CodeSpec))
    channel_map: ChannelMap = wire(Struct(ChannelMap))
    clock_hz: float = wire(Float(positive=True))  # round clock: round k starts at time_ps = k * 1e12 / clock_hz
    epoch_ns: int = wire(_I64)  # Unix ns of time_ps = 0 and round 0
    heartbeat_ms: int = wire(Int(32, lo=1, hi=600_000))


@dataclasses.dataclass(frozen=True, eq=False)
class HelloAck(Message):
    """Accepts a session; carries the responder's own code, map and clock (authoritative for a device)."""

    KIND: ClassVar[Kind] = Kind.HELLO_ACK
    endpoint: str = wire(Str(max_bytes=64))
    role: Role = wire(Enum(Role))
    code: CodeSpec = wire(Struct(CodeSpec))
    channel_map: ChannelMap = wire(Struct(ChannelMap))
    clock_hz: float = wire(Float(positive=True))
    epoch_ns: int = wire(_I64)
    heartbeat_ms: int = wire(Int(32, lo=1, hi=600_000))  # agreed interval: the larger of both


@dataclasses.dataclass(frozen=True, eq=False)
class Refuse(Message):
    """Refuses a session (or a frame of another version), naming the versions this endpoint speaks."""

    KIND: ClassVar[Kind] = Kind.REFUSE
    code: ErrorCode = wire(Enum(ErrorCode))
    message: str = wire(_TEXT)
    min_version: int = wire(_U16)
    max_version: int = wire(_U16)


@dataclasses.dataclass(frozen=True, eq=False)
class TimeTagBatch(Message):
    """Time tags of rounds [first_round, first_round + n_rounds). tags: TIMETAG_DTYPE[n], read-only when decoded."""

    KIND: ClassVar[Kind] = Kind.TIMETAG_BATCH
    first_round: int = wire(_U64)
    n_rounds: int = wire(_U32)
    tags: np.ndarray = wire(Array(TIMETAG_DTYPE, "max_tags"))


@dataclasses.dataclass(frozen=True, eq=False)
class SyndromeFrame(Message):
    """Per-round measurement bits and erasure flags, packed.

    measurements, erasures: uint8[n_rounds, ceil(n_measurements / 8)], bit j of round r at byte [r, j // 8],
    bit (j % 8) counted from the least significant bit (np.packbits(..., bitorder="little")); padding bits are 0.
    An erasure flag 1 means measurement j of round r had no click or two clicks (its bit is then 0).
    """

    KIND: ClassVar[Kind] = Kind.SYNDROME_FRAME
    first_round: int = wire(_U64)
    n_rounds: int = wire(_U32)
    n_measurements: int = wire(_U32)
    measurements: np.ndarray = wire(Array("u1", "max_syndrome_bytes", flat_wire=True))
    erasures: np.ndarray = wire(Array("u1", "max_syndrome_bytes", flat_wire=True))

    def _finish(self, path: str) -> None:
        row = (self.n_measurements + 7) // 8
        shape = (self.n_rounds, row)
        for name in ("measurements", "erasures"):
            a: np.ndarray = getattr(self, name)
            if a.ndim == 1:  # decoded: flat bytes, shape follows from n_rounds and n_measurements
                if a.size != self.n_rounds * row:
                    raise FrameRejected(
                        RejectReason.ARRAY_LAYOUT,
                        f"{a.size} bytes, expected n_rounds * ceil(n_measurements / 8) = {self.n_rounds} * {row}",
                        path + name,
                    )
                a = a.reshape(shape)
                object.__setattr__(self, name, a)
            elif a.shape != shape:
                raise FrameRejected(RejectReason.ARRAY_LAYOUT, f"shape {a.shape}, expected {shape}", path + name)
            if self.n_measurements % 8 and a.size and np.any(a[:, -1] >> (self.n_measurements % 8)):
                raise FrameRejected(RejectReason.INCONSISTENT, "padding bits beyond n_measurements are not 0", path + name)

    @classmethod
    def from_bits(cls, first_round: int, measurements: np.ndarray, erasures: np.ndarray, **envelope: int) -> SyndromeFrame:
        """Pack bool/uint8 arrays of shape (n_rounds, n_measurements) into a frame."""
        m = np.asarray(measurements, dtype=bool)
        e = np.asarray(erasures, dtype=bool)
        if m.shape != e.shape or m.ndim != 2:
            raise FrameRejected(RejectReason.ARRAY_LAYOUT, f"measurements {m.shape} and erasures {e.shape} must share a 2-D shape")
        return cls(
            first_round=first_round,
            n_rounds=m.shape[0],
            n_measurements=m.shape[1],
            measurements=np.packbits(m, axis=1, bitorder="little"),
            erasures=np.packbits(e, axis=1, bitorder="little"),
            **envelope,
        )


@dataclasses.dataclass(frozen=True, eq=False)
class PauliFrameUpdate(WireStruct):
    """XOR these Paulis into the frame. qubits: int32[n]; paulis: uint8[n] with values of `Pauli` (0..3)."""

    qubits: np.ndarray = wire(Array("<i4", "max_qubits"))
    paulis: np.ndarray = wire(Array("u1", "max_qubits"))

    def _finish(self, path: str) -> None:
        if len(self.qubits) != len(self.paulis):
            raise FrameRejected(RejectReason.INCONSISTENT, f"{len(self.qubits)} qubits but {len(self.paulis)} paulis", path + "paulis")
        top = max(self.paulis.tobytes(), default=0)  # bytes' max: no numpy call overhead on the usual few qubits
        if top > 3:
            raise FrameRejected(RejectReason.ENUM_VALUE, f"got {top}, allowed: 0..3 (I, X, Z, Y)", path + "paulis")


@dataclasses.dataclass(frozen=True, eq=False)
class SwitchCode(WireStruct):
    """Switch to another code or distance at the command's round."""

    code: CodeSpec = wire(Struct(CodeSpec))


@dataclasses.dataclass(frozen=True, eq=False)
class SetParameter(WireStruct):
    """Set a named device parameter (e.g. 'pump_power_mw') to a value."""

    name: str = wire(Str(max_bytes=64, pattern=r"[A-Za-z_][A-Za-z0-9_.]*"))
    value: float = wire(Float())


Action = PauliFrameUpdate | SwitchCode | SetParameter


@dataclasses.dataclass(frozen=True, eq=False)
class FeedbackCommand(Message):
    """Apply `action` at the boundary before round `apply_at_round`; acknowledged by a CommandAck with the same id."""

    KIND: ClassVar[Kind] = Kind.FEEDBACK_COMMAND
    command_id: int = wire(_U64)
    apply_at_round: int = wire(_U64)
    action: Action = wire(
        Tagged(
            "type",
            {
                ActionKind.PAULI_FRAME: PauliFrameUpdate,
                ActionKind.SWITCH_CODE: SwitchCode,
                ActionKind.SET_PARAMETER: SetParameter,
            },
        )
    )


@dataclasses.dataclass(frozen=True, eq=False)
class CommandAck(Message):
    """The outcome of command `command_id`; applied_round = -1 when it was not applied."""

    KIND: ClassVar[Kind] = Kind.COMMAND_ACK
    command_id: int = wire(_U64)
    status: CommandStatus = wire(Enum(CommandStatus))
    applied_round: int = wire(_ROUND)
    detail: str = wire(_TEXT)


@dataclasses.dataclass(frozen=True, eq=False)
class Heartbeat(Message):
    """I am alive; last_round = the latest round I produced or consumed (-1 if none)."""

    KIND: ClassVar[Kind] = Kind.HEARTBEAT
    last_round: int = wire(_ROUND)


@dataclasses.dataclass(frozen=True, eq=False)
class Telemetry(Message):
    """A flat name -> number map (counters, rates, latencies); units are part of the name (e.g. 'decode_p50_us')."""

    KIND: ClassVar[Kind] = Kind.TELEMETRY
    values: dict[str, int | float] = wire(NumberMap())


@dataclasses.dataclass(frozen=True, eq=False)
class Error(Message):
    """Something the peer sent could not be handled; ref_seq = its seq, or -1 when unknown."""

    KIND: ClassVar[Kind] = Kind.ERROR
    code: ErrorCode = wire(Enum(ErrorCode))
    message: str = wire(_TEXT)
    ref_seq: int = wire(_ROUND)


@dataclasses.dataclass(frozen=True, eq=False)
class Goodbye(Message):
    """Closes the session on purpose."""

    KIND: ClassVar[Kind] = Kind.GOODBYE
    reason: str = wire(_TEXT)


MESSAGE_TYPES: dict[Kind, type[Message]] = {
    cls.KIND: cls
    for cls in (Hello, HelloAck, Refuse, TimeTagBatch, SyndromeFrame, FeedbackCommand, CommandAck, Heartbeat, Telemetry, Error, Goodbye)
}
