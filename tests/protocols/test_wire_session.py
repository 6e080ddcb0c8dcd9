"""The control-session state machine, driven message by message without sockets."""

import numpy as np
import pytest

from protocols.errors import WireError
from protocols.wire import (
    ChannelMap,
    CodeSpec,
    CommandAck,
    CommandStatus,
    ControlSession,
    Error,
    ErrorCode,
    FeedbackCommand,
    Goodbye,
    Heartbeat,
    Hello,
    HelloAck,
    Refuse,
    RejectReason,
    Role,
    SessionConfig,
    SessionState,
    PauliFrameUpdate,
    SetParameter,
    SwitchCode,
    Telemetry,
    VersionMismatch,
    decode,
    encode,
)
from protocols.wire.rejections import FrameRejected

MS = 1_000_000
CODE = CodeSpec(family="rotated_surface", distance=3, rounds=3, basis="Z")
CMAP = ChannelMap.from_pairs({0: (0, 1), 1: (2, 3)})


def config(role, **kw):
    base = dict(endpoint=f"{role.name.lower()}-1", role=role, code=CODE, channel_map=CMAP, clock_hz=1e6, epoch_ns=0,
                heartbeat_ms=100)
    base.update(kw)
    return SessionConfig(**base)


def wire(msgs):
    """Every message crosses an encode/decode, as on a socket."""
    return [decode(encode(m)) for m in msgs]


def handshake(t=0):
    ctl, dev = ControlSession(config(Role.CONTROLLER)), ControlSession(config(Role.DEVICE, heartbeat_ms=200))
    (hello,) = wire(ctl.connect(t))
    assert isinstance(hello, Hello) and ctl.state is SessionState.HELLO_SENT
    (ack,) = wire(dev.handle(hello, t))
    assert isinstance(ack, HelloAck)
    assert wire(ctl.handle(ack, t)) == []
    return ctl, dev


def test_handshake_agrees_on_the_larger_heartbeat():
    ctl, dev = handshake()
    assert ctl.established and dev.established
    assert ctl.heartbeat_ms == dev.heartbeat_ms == 200
    assert isinstance(ctl.peer, HelloAck) and ctl.peer.endpoint == "device-1"
    assert isinstance(dev.peer, Hello) and dev.peer.role is Role.CONTROLLER


def test_command_ack_round_trip_and_duplicate_is_not_applied_twice():
    ctl, dev = handshake()
    cmd = ctl.command(SetParameter(name="pump_mw", value=2.5), apply_at_round=40, now_ns=1)
    assert cmd.command_id in ctl.pending
    assert wire(dev.handle(decode(encode(cmd)), 2)) == []
    (got,) = list(dev.inbox)
    assert got == cmd
    ack = dev.acknowledge(cmd.command_id, CommandStatus.APPLIED, 40, now_ns=3)
    assert wire(ctl.handle(decode(encode(ack)), 4)) == []
    assert list(ctl.inbox) == [ack] and not ctl.pending
    # The same command again (e.g. resent after a reconnect) is answered from memory, not queued again.
    dev.inbox.clear()
    (again,) = wire(dev.handle(decode(encode(cmd)), 5))
    assert isinstance(again, CommandAck) and again.command_id == cmd.command_id and again.applied_round == 40
    assert not dev.inbox and dev.stats["duplicate_commands"] == 1


def test_messages_before_handshake_get_not_ready_error():
    dev = ControlSession(config(Role.DEVICE))
    cmd = FeedbackCommand(command_id=1, apply_at_round=1, action=SetParameter(name="x", value=1.0), seq=9)
    (err,) = dev.handle(cmd, 0)
    assert isinstance(err, Error) and err.code is ErrorCode.NOT_READY and err.ref_seq == 9
    with pytest.raises(WireError, match="no session"):
        ControlSession(config(Role.CONTROLLER)).command(SetParameter(name="x", value=1.0), 1, 0)


@pytest.mark.parametrize(
    ("hello_kw", "code"),
    [
        (dict(role=Role.DEVICE), ErrorCode.ROLE),
        (dict(code=CodeSpec(family="repetition", distance=5, rounds=3, basis="Z")), ErrorCode.CODE_MISMATCH),
        (dict(channel_map=ChannelMap.from_pairs({0: (9, 8)})), ErrorCode.CHANNEL_MAP),
    ],
)
def test_incompatible_hello_is_refused(hello_kw, code):
    dev = ControlSession(config(Role.DEVICE))
    kw = dict(endpoint="c", role=Role.CONTROLLER, code=CODE, channel_map=CMAP, clock_hz=1e6, epoch_ns=0, heartbeat_ms=100)
    kw.update(hello_kw)
    (reply,) = dev.handle(Hello(**kw), 0)
    assert isinstance(reply, Refuse) and reply.code is code and not dev.established
    ctl = ControlSession(config(Role.CONTROLLER))
    ctl.connect(0)
    ctl.handle(reply, 1)
    assert ctl.state is SessionState.REFUSED and ctl.refusal == reply


def test_empty_channel_map_adopts_the_devices():
    dev = ControlSession(config(Role.DEVICE))
    ctl = ControlSession(config(Role.CONTROLLER, channel_map=ChannelMap.from_pairs({})))
    (ack,) = dev.handle(ctl.connect(0)[0], 0)
    ctl.handle(ack, 0)
    assert ctl.established and ctl.peer.channel_map == CMAP


def test_second_controller_is_refused_while_first_is_alive():
    ctl, dev = handshake()
    other = ControlSession(config(Role.CONTROLLER, endpoint="controller-2"))
    (r,) = dev.handle(other.connect(10 * MS)[0], 10 * MS)
    assert isinstance(r, Refuse) and r.code is ErrorCode.BUSY
    # Once the first has been silent for 3 heartbeats (3 * 200 ms), the second may take over.
    (r,) = dev.handle(other.connect(700 * MS)[0], 700 * MS)
    assert isinstance(r, HelloAck) and dev.peer.endpoint == "controller-2"


def test_heartbeats_due_and_timeout():
    ctl, dev = handshake(t=0)
    assert ctl.tick(100 * MS) == []  # 200 ms interval not yet elapsed
    ctl.last_round = 77
    (hb,) = ctl.tick(200 * MS)
    assert isinstance(hb, Heartbeat) and hb.last_round == 77
    assert ctl.tick(250 * MS) == []  # just sent one
    dev.handle(hb, 200 * MS)
    assert dev.tick(600 * MS) != [] and dev.established  # silent 400 ms < 600 ms: alive
    dev.tick(801 * MS)
    assert dev.state is SessionState.TIMED_OUT and dev.stats["timeouts"] == 1
    ctl.tick(601 * MS)
    assert ctl.state is SessionState.TIMED_OUT


def test_reconnect_resends_pending_commands_with_new_seq():
    ctl, dev = handshake()
    cmd = ctl.command(SetParameter(name="x", value=1.0), 5, now_ns=0)
    (hello,) = ctl.connect(1)
    (ack,) = dev.handle(hello, 1)
    (resent,) = ctl.handle(ack, 2)
    assert isinstance(resent, FeedbackCommand) and resent.command_id == cmd.command_id and resent.seq > cmd.seq


def test_rejected_frames_answered_not_ignored():
    dev = ControlSession(config(Role.DEVICE))
    (r,) = dev.on_rejected(VersionMismatch(2, 1, seq=4), 0)
    assert isinstance(r, Refuse) and r.code is ErrorCode.VERSION
    assert "version 2" in r.message and "version 1" in r.message and (r.min_version, r.max_version) == (1, 1)
    (e,) = dev.on_rejected(FrameRejected(RejectReason.ARRAY_LENGTH, "too long"), 0)
    assert isinstance(e, Error) and e.code is ErrorCode.LIMIT
    (e,) = dev.on_rejected(FrameRejected(RejectReason.FIELD_TYPE, "bad"), 0)
    assert e.code is ErrorCode.MALFORMED


def test_seq_increases_per_message_and_goodbye_closes():
    ctl, dev = handshake()
    t = ctl.telemetry({"rate_hz": 1.5}, 0)
    g = ctl.goodbye("done", 0)
    assert isinstance(t, Telemetry) and g.seq == t.seq + 1 and ctl.state is SessionState.CLOSED
    dev.handle(g, 0)
    assert dev.state is SessionState.CLOSED and isinstance(dev.inbox[-1], Goodbye)


def test_config_rejects_monitor_and_bad_timing():
    with pytest.raises(WireError, match="MONITOR"):
        config(Role.MONITOR)
    with pytest.raises(WireError, match="heartbeat_ms=0"):
        config(Role.DEVICE, heartbeat_ms=0)
    assert np.array_equal(CMAP.rails, [[0, 1], [2, 3]])


def test_commands_and_acks_built_inline_equal_create_and_refuse_the_same_values():
    """command() and acknowledge() build the hot pair without create(); the result and the errors must be
    create()'s: every field checked, bad values refused naming the field."""
    clock = iter(range(10**9, 10**9 + 100))
    ctl, dev = handshake()
    ctl._wall_ns = dev._wall_ns = lambda: next(clock)
    for action in (SetParameter(name="pump_power_mw", value=2.5),
                   PauliFrameUpdate(qubits=np.array([1, 2], "<i4"), paulis=np.array([1, 3], "u1")),
                   SwitchCode(code=CodeSpec(family="rotated_surface", distance=5, rounds=5, basis="Z"))):
        cmd = ctl.command(action, apply_at_round=2**64 - 1, now_ns=5)
        assert cmd == FeedbackCommand.create(command_id=cmd.command_id, apply_at_round=2**64 - 1, action=action,
                                             seq=cmd.seq, t_send_ns=cmd.t_send_ns)
        assert decode(encode(cmd)) == cmd and ctl.pending[cmd.command_id] == (cmd, 5)
    for bad, field in ((-1, "apply_at_round"), (2**64, "apply_at_round"), (3.0, "apply_at_round"), (True, "apply_at_round")):
        with pytest.raises(FrameRejected, match=field):
            ctl.command(SetParameter(name="x", value=1.0), apply_at_round=bad, now_ns=0)
    with pytest.raises(FrameRejected, match="action"):
        ctl.command("X on qubit 3", apply_at_round=1, now_ns=0)
    ctl._wall_ns = lambda: -5  # a wall clock gone wrong is refused, not sent
    with pytest.raises(FrameRejected, match="t_send_ns"):
        ctl.command(SetParameter(name="x", value=1.0), apply_at_round=1, now_ns=0)

    for status, applied, detail in ((CommandStatus.APPLIED, 7, ""), (CommandStatus.LATE, -1, "round 7 had passed")):
        ack = dev.acknowledge(42, status, applied, now_ns=0, detail=detail)
        assert ack == CommandAck.create(command_id=42, status=status, applied_round=applied, detail=detail,
                                        seq=ack.seq, t_send_ns=ack.t_send_ns)
        assert decode(encode(ack)) == ack
    for kw, field in ((dict(command_id=-1), "command_id"), (dict(status=0), "status"), (dict(applied_round=-2), "applied_round"),
                      (dict(applied_round=2**63), "applied_round"), (dict(detail="x" * 2000), "detail")):
        args = dict(command_id=1, status=CommandStatus.APPLIED, applied_round=1, now_ns=0) | kw
        with pytest.raises(FrameRejected, match=field):
            dev.acknowledge(**args)


def test_remembered_acks_are_bounded():
    ctl, dev = handshake()
    dev._max_acks = 3
    for i in range(10):
        dev.acknowledge(i, CommandStatus.APPLIED, i, now_ns=0)
    assert list(dev._acks) == [7, 8, 9]
