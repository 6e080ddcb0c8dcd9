"""Protocol logic of one control connection: handshake, heartbeats, commands and acks, without sockets.

The socket loop (transport.py) is a thin shell around `ControlSession`: it feeds every decoded message to
`handle(msg, now_ns)` and every rejected frame to `on_rejected(error)`, calls `tick(now_ns)` regularly, and
sends whatever those return. Times are monotonic nanoseconds passed in by the caller, so tests need no clock.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import time
from typing import Callable

from protocols.errors import WireError
from protocols.wire.messages import (
    MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    Action,
    ChannelMap,
    CodeSpec,
    CommandAck,
    CommandStatus,
    Error,
    ErrorCode,
    FeedbackCommand,
    Goodbye,
    Heartbeat,
    Hello,
    HelloAck,
    Kind,
    Message,
    Refuse,
    Role,
    Telemetry,
)
from protocols.wire.rejections import FrameRejected, RejectReason, VersionMismatch

_MS = 1_000_000
_I64_MAX = (1 << 63) - 1
_new = object.__new__


@dataclasses.dataclass(frozen=True)
class SessionConfig:
    """What this endpoint announces in its Hello/HelloAck, and its heartbeat timing."""

    endpoint: str
    role: Role
    code: CodeSpec
    channel_map: ChannelMap
    clock_hz: float
    epoch_ns: int
    heartbeat_ms: int = 500
    missed_heartbeats: int = 3  # the peer is gone after this many heartbeat intervals of silence

    def __post_init__(self) -> None:
        if self.role is Role.MONITOR:
            raise WireError("SessionConfig.role: MONITOR endpoints do not hold control sessions; allowed: CONTROLLER, DEVICE")
        if not 1 <= self.heartbeat_ms <= 600_000 or not 1 <= self.missed_heartbeats <= 100:
            raise WireError(
                f"SessionConfig: heartbeat_ms={self.heartbeat_ms} (allowed 1..600000), "
                f"missed_heartbeats={self.missed_heartbeats} (allowed 1..100)"
            )


class SessionState(enum.Enum):
    """Where a control session stands."""

    IDLE = "idle"  # nothing sent or received yet
    HELLO_SENT = "hello_sent"  # controller: waiting for HelloAck
    ESTABLISHED = "established"
    REFUSED = "refused"  # controller: the device refused; see `refusal`
    TIMED_OUT = "timed_out"  # the peer fell silent; the controller reconnects, the device waits for a Hello
    CLOSED = "closed"  # a Goodbye was sent or received


_RX_KEY = {k: f"rx_{k.name.lower()}" for k in Kind}  # stats keys, built once (hot path)
_ACK_KEY = {s: f"ack_{s.name.lower()}" for s in CommandStatus}
# Enum members as module constants: reading one through its class costs ~0.2 µs each in CPython 3.11, and the
# command/ack round trip reads several.
_ESTABLISHED = SessionState.ESTABLISHED
_DEVICE = Role.DEVICE
_U64_MAX = (1 << 64) - 1
_ACTION_TYPES = tuple(dict(FeedbackCommand.wire_fields())["action"].by_cls)  # the choices of FeedbackCommand.action


class ControlSession:
    """State of one control connection; `handle`, `tick` and `on_rejected` return the messages to send."""

    def __init__(self, config: SessionConfig, wall_ns: Callable[[], int] = time.time_ns, max_remembered_acks: int = 4096) -> None:
        self.config = config
        self.state = SessionState.IDLE
        self.peer: Hello | HelloAck | None = None
        self.refusal: Refuse | None = None
        self.heartbeat_ms = config.heartbeat_ms
        self.last_round = -1  # set by the application; sent in heartbeats
        self.inbox: collections.deque[Message] = collections.deque()  # messages for the application
        self.pending: dict[int, tuple[FeedbackCommand, int]] = {}  # controller: command id -> (command, sent ns)
        self.stats: collections.Counter[str] = collections.Counter()
        self._acks: collections.OrderedDict[int, CommandAck] = collections.OrderedDict()  # device: sent acks
        self._max_acks = max_remembered_acks
        self._wall_ns = wall_ns
        self._seq = 0
        self._next_command_id = 1
        self._last_rx = 0
        self._last_tx = 0

    # -- helpers ---------------------------------------------------------------------------------------
    def _env(self, now_ns: int) -> dict[str, int]:
        seq, self._seq = self._seq, self._seq + 1
        self._last_tx = now_ns
        return {"seq": seq, "t_send_ns": self._wall_ns()}

    def _announce(self, cls: type[Hello] | type[HelloAck], now_ns: int, channel_map: ChannelMap | None = None) -> Message:
        c = self.config
        return cls(endpoint=c.endpoint, role=c.role, code=c.code, channel_map=channel_map or c.channel_map,
                   clock_hz=c.clock_hz, epoch_ns=c.epoch_ns, heartbeat_ms=self.heartbeat_ms, **self._env(now_ns))

    def _error(self, code: ErrorCode, text: str, ref_seq: int, now_ns: int) -> Error:
        self.stats[f"error_sent_{code.name.lower()}"] += 1
        return Error(code=code, message=text[:1024], ref_seq=ref_seq, **self._env(now_ns))

    def _refuse(self, code: ErrorCode, text: str, now_ns: int) -> Refuse:
        self.stats[f"refused_{code.name.lower()}"] += 1
        return Refuse(code=code, message=text[:1024], min_version=MIN_PROTOCOL_VERSION, max_version=PROTOCOL_VERSION,
                      **self._env(now_ns))

    @property
    def established(self) -> bool:
        """True once the handshake has completed and the peer is alive."""
        return self.state is _ESTABLISHED

    def peer_alive(self, now_ns: int) -> bool:
        """Whether the peer has been heard from within the timeout."""
        return now_ns - self._last_rx <= self.heartbeat_ms * self.config.missed_heartbeats * _MS

    # -- initiating (controller) -----------------------------------------------------------------------
    def connect(self, now_ns: int) -> list[Message]:
        """Start (or restart after a reconnect) the handshake: the Hello to send."""
        if self.config.role is not Role.CONTROLLER:
            raise WireError(f"connect: only a CONTROLLER initiates the handshake, this endpoint is {self.config.role.name}")
        self.state = SessionState.HELLO_SENT
        self.refusal = None
        self._last_rx = now_ns  # the timeout for the answer starts now
        self.stats["hello_sent"] += 1
        return [self._announce(Hello, now_ns)]

    def command(self, action: Action, apply_at_round: int, now_ns: int) -> FeedbackCommand:
        """A new feedback command to send (controller); remembered until its ack arrives."""
        if self.state is not _ESTABLISHED:
            raise WireError(f"command: no session (state {self.state.value}); wait for the handshake to complete")
        seq, self._seq, self._last_tx = self._seq, self._seq + 1, now_ns  # _env, inline: the hot path
        command_id, wall = self._next_command_id, self._wall_ns()
        if (type(action) in _ACTION_TYPES and type(apply_at_round) is int and 0 <= apply_at_round <= _U64_MAX
                and type(wall) is int and 0 <= wall <= _U64_MAX and command_id <= _U64_MAX and seq <= _U64_MAX):
            # The checks FeedbackCommand.create would make, inline (an action's own fields were checked when
            # it was built; the command checks its type).
            cmd = _new(FeedbackCommand)
            cmd.__dict__.update({"seq": seq, "t_send_ns": wall, "command_id": command_id,
                                 "apply_at_round": apply_at_round, "action": action})
        else:
            cmd = FeedbackCommand.create(command_id=command_id, apply_at_round=apply_at_round, action=action,
                                         seq=seq, t_send_ns=wall)
        self._next_command_id = command_id + 1
        self.pending[command_id] = (cmd, now_ns)
        return cmd

    # -- answering (device) ----------------------------------------------------------------------------
    def acknowledge(self, command_id: int, status: CommandStatus, applied_round: int, now_ns: int, detail: str = "") -> CommandAck:
        """The ack to send for a command taken from the inbox (device); remembered to re-ack duplicates."""
        seq, self._seq, self._last_tx = self._seq, self._seq + 1, now_ns  # _env, inline: the hot path
        wall = self._wall_ns()
        if (type(command_id) is int and 0 <= command_id <= _U64_MAX and type(status) is CommandStatus
                and type(applied_round) is int and -1 <= applied_round <= _I64_MAX and detail == ""
                and type(wall) is int and 0 <= wall <= _U64_MAX and seq <= _U64_MAX):
            ack = _new(CommandAck)  # the checks CommandAck.create would make, inline (the usual empty detail)
            ack.__dict__.update({"seq": seq, "t_send_ns": wall, "command_id": command_id, "status": status,
                                 "applied_round": applied_round, "detail": ""})
        else:
            ack = CommandAck.create(command_id=command_id, status=status, applied_round=applied_round, detail=detail,
                                    seq=seq, t_send_ns=wall)
        acks = self._acks
        acks[command_id] = ack
        if len(acks) > self._max_acks:
            acks.popitem(last=False)
        self.stats[_ACK_KEY[status]] += 1
        return ack

    def telemetry(self, values: dict[str, int | float], now_ns: int) -> Telemetry:
        """A telemetry message to send."""
        return Telemetry(values=values, **self._env(now_ns))

    def goodbye(self, reason: str, now_ns: int) -> Goodbye:
        """Close the session on purpose: the Goodbye to send."""
        self.state = SessionState.CLOSED
        return Goodbye(reason=reason, **self._env(now_ns))

    # -- the state machine ----------------------------------------------------------------------------
    def handle(self, msg: Message, now_ns: int) -> list[Message]:
        """Process one decoded message from the peer; return the replies to send."""
        self.stats[_RX_KEY[msg.KIND]] += 1
        kind = type(msg)
        if kind is FeedbackCommand or kind is CommandAck:  # the hot pair first
            self._last_rx = now_ns
            if self.state is not _ESTABLISHED:
                return [self._error(ErrorCode.NOT_READY, f"{kind.__name__} before the handshake completed", msg.seq, now_ns)]
            # Inline rather than one more call each: every Python call on the round trip costs µs.
            if kind is CommandAck:
                if self.pending.pop(msg.command_id, None) is None:  # type: ignore[attr-defined]
                    self.stats["ack_unknown_id"] += 1
                else:
                    self.inbox.append(msg)
                return []
            if self.config.role is _DEVICE and msg.command_id not in self._acks:  # type: ignore[attr-defined]
                self.inbox.append(msg)  # a new command: the common case of _on_command
                return []
            return self._on_command(msg, now_ns)  # type: ignore[arg-type]
        if not isinstance(msg, Hello):  # a Hello may come from another controller: alive only once accepted
            self._last_rx = now_ns
        if isinstance(msg, Hello):
            return self._on_hello(msg, now_ns)
        if isinstance(msg, HelloAck):
            return self._on_hello_ack(msg, now_ns)
        if isinstance(msg, Refuse):
            self.refusal = msg
            self.state = SessionState.REFUSED
            self.inbox.append(msg)
            return []
        if isinstance(msg, Goodbye):
            self.state = SessionState.CLOSED
            self.inbox.append(msg)
            return []
        if isinstance(msg, Heartbeat):
            return []
        if isinstance(msg, Error):
            self.inbox.append(msg)
            return []
        if not self.established:
            return [self._error(ErrorCode.NOT_READY, f"{type(msg).__name__} before the handshake completed", msg.seq, now_ns)]
        self.inbox.append(msg)  # Telemetry, batches or frames sent on the control path
        return []

    def _on_hello(self, hello: Hello, now_ns: int) -> list[Message]:
        c = self.config
        if c.role is not Role.DEVICE:
            return [self._refuse(ErrorCode.ROLE, f"this endpoint is a {c.role.name}; only a DEVICE answers Hello", now_ns)]
        if hello.role is not Role.CONTROLLER:
            return [self._refuse(ErrorCode.ROLE, f"peer role {hello.role.name}; allowed: CONTROLLER", now_ns)]
        if self.established and self.peer is not None and self.peer.endpoint != hello.endpoint and self.peer_alive(now_ns):
            return [self._refuse(ErrorCode.BUSY, f"serving controller {self.peer.endpoint!r}; retry after it leaves", now_ns)]
        if hello.code != c.code:
            return [self._refuse(ErrorCode.CODE_MISMATCH, f"peer expects code {hello.code!r}, this device runs {c.code!r}", now_ns)]
        if len(hello.channel_map.qubits) and hello.channel_map != c.channel_map:
            return [self._refuse(ErrorCode.CHANNEL_MAP, "peer's channel map differs from this device's; send an empty map to adopt it", now_ns)]
        self.peer = hello
        self._last_rx = now_ns
        self.heartbeat_ms = max(c.heartbeat_ms, hello.heartbeat_ms)
        self.state = SessionState.ESTABLISHED
        self.stats["sessions"] += 1
        return [self._announce(HelloAck, now_ns)]

    def _on_hello_ack(self, ack: HelloAck, now_ns: int) -> list[Message]:
        if self.state is not SessionState.HELLO_SENT:
            self.stats["unexpected_hello_ack"] += 1
            return []
        if ack.role is not Role.DEVICE or ack.code != self.config.code:
            self.state = SessionState.CLOSED
            return [Goodbye(reason=f"HelloAck from {ack.role.name} with code {ack.code!r}; expected a DEVICE running {self.config.code!r}",
                            **self._env(now_ns))]
        self.peer = ack
        self.heartbeat_ms = ack.heartbeat_ms
        self.state = SessionState.ESTABLISHED
        self.stats["sessions"] += 1
        # Commands in flight when the link broke are sent again (same id, new seq); the device re-acks
        # duplicates instead of applying them twice.
        self.stats["commands_resent"] += len(self.pending)
        return [dataclasses.replace(cmd, **self._env(now_ns)) for cmd, _ in self.pending.values()]

    def _on_command(self, cmd: FeedbackCommand, now_ns: int) -> list[Message]:
        if self.config.role is not _DEVICE:
            return [self._error(ErrorCode.ROLE, "FeedbackCommand sent to a CONTROLLER", cmd.seq, now_ns)]
        done = self._acks.get(cmd.command_id)
        if done is not None:  # a duplicate (resent after a reconnect): answer again, do not apply twice
            self.stats["duplicate_commands"] += 1
            return [dataclasses.replace(done, **self._env(now_ns))]
        self.inbox.append(cmd)
        return []

    def tick(self, now_ns: int) -> list[Message]:
        """Heartbeats that are due and timeout detection; call at least every heartbeat interval."""
        interval = self.heartbeat_ms * _MS
        if self.state is SessionState.ESTABLISHED:
            if not self.peer_alive(now_ns):
                self.state = SessionState.TIMED_OUT
                self.stats["timeouts"] += 1
                return []
            if now_ns - self._last_tx >= interval:
                return [Heartbeat.create(last_round=self.last_round, **self._env(now_ns))]
        elif self.state is SessionState.HELLO_SENT and not self.peer_alive(now_ns):
            self.state = SessionState.TIMED_OUT
            self.stats["timeouts"] += 1
        return []

    def on_rejected(self, error: FrameRejected, now_ns: int) -> list[Message]:
        """Replies to a frame the codec refused: Refuse for another version, else Error (never silence)."""
        if isinstance(error, VersionMismatch):
            return [self._refuse(ErrorCode.VERSION, str(error), now_ns)]
        code = ErrorCode.LIMIT if error.reason in (RejectReason.FRAME_SIZE, RejectReason.ARRAY_LENGTH,
                                                   RejectReason.STRING_LENGTH, RejectReason.DEPTH) else ErrorCode.MALFORMED
        return [self._error(code, str(error), -1, now_ns)]
