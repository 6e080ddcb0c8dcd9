"""Checks a live device endpoint against this protocol: handshake, refusals, heartbeats, data frames.

A C, FPGA or DAQ implementation that passes these checks and reproduces the golden vectors speaks the
protocol. `check_device` opens its own sockets and leaves the device as it found it (it says Goodbye).
"""

from __future__ import annotations

import dataclasses
import time

import msgpack
import numpy as np
import zmq

from protocols.wire.codec import Codec, encode
from protocols.wire.messages import (
    PROTOCOL_VERSION,
    CommandAck,
    PauliFrameUpdate,
    Error,
    ErrorCode,
    Heartbeat,
    HelloAck,
    Message,
    Refuse,
    Role,
    SyndromeFrame,
    TimeTagBatch,
)
from protocols.wire.rejections import FrameRejected
from protocols.wire.security import Curve
from protocols.wire.session import ControlSession, SessionConfig
from protocols.wire.transport import DataReceiver, _attach, _socket


@dataclasses.dataclass(frozen=True)
class Check:
    """One conformance check: its name, whether it passed, and what was seen."""

    name: str
    passed: bool
    detail: str


@dataclasses.dataclass(frozen=True)
class ConformanceReport:
    """All checks run against one endpoint."""

    control: str
    data: str | None
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True if every check passed."""
        return all(c.passed for c in self.checks)

    def lines(self) -> list[str]:
        """One human-readable line per check."""
        return [f"{'PASS' if c.passed else 'FAIL'}  {c.name}: {c.detail}" for c in self.checks]


def _recv(sock: zmq.Socket, codec: Codec, timeout_s: float) -> Message | FrameRejected | None:
    if not sock.poll(int(timeout_s * 1000)):
        return None
    try:
        return codec.decode(sock.recv())
    except FrameRejected as e:
        return e


def _expect(sock: zmq.Socket, codec: Codec, want: type, timeout_s: float) -> Message | FrameRejected | None:
    """The first message of type `want` within the timeout (heartbeats and others are skipped)."""
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        got = _recv(sock, codec, left)
        if got is None or isinstance(got, (want, FrameRejected)):
            return got
    return None


def check_device(control: str, config: SessionConfig, *, data: str | None = None, timeout_s: float = 3.0,
                 curve: Curve | None = None) -> ConformanceReport:
    """Run the conformance checks against the device whose control (and optionally data) endpoint is given."""
    if config.role is not Role.CONTROLLER:
        raise ValueError(f"check_device: config.role must be CONTROLLER, got {config.role.name}")
    ctx = zmq.Context()
    checks: list[Check] = []
    codec = Codec()
    session = ControlSession(config)
    sock = _socket(ctx, zmq.DEALER, 1000, 1000)
    probe = _socket(ctx, zmq.DEALER, 10, 10)
    try:
        _attach(sock, control, False, curve, "conformance control")
        _attach(probe, control, False, curve, "conformance probe")
        now = time.monotonic_ns
        # 1. Handshake
        for m in session.connect(now()):
            sock.send(encode(m))
        got = _expect(sock, codec, (HelloAck, Refuse), timeout_s)  # type: ignore[arg-type]
        if isinstance(got, (HelloAck, Refuse)):
            session.handle(got, now())
        ok = isinstance(got, HelloAck) and session.established
        checks.append(Check("handshake", ok, f"answer to Hello: {type(got).__name__ if got else 'nothing'}"
                            + (f" ({got.message})" if isinstance(got, Refuse) else "")))
        # 2. Another version is refused, naming both versions, in a version this side can read
        probe.send(msgpack.packb({"v": PROTOCOL_VERSION + 1, "kind": 1, "seq": 0, "t_send_ns": 0}))
        got = _recv(probe, Codec(), timeout_s)
        ok = (isinstance(got, Refuse) and got.code is ErrorCode.VERSION and str(PROTOCOL_VERSION) in got.message
              and str(PROTOCOL_VERSION + 1) in got.message)
        checks.append(Check("version_refused", ok, f"answer to v={PROTOCOL_VERSION + 1}: {got!r:.200}"))
        # 3. A malformed frame is answered with an Error, and the session survives
        sock.send(b"\xc1 not msgpack")
        got = _expect(sock, codec, Error, timeout_s)
        ok = isinstance(got, Error) and got.code in (ErrorCode.MALFORMED, ErrorCode.LIMIT)
        checks.append(Check("malformed_answered", ok, f"answer to a malformed frame: {got!r:.200}"))
        # 4. Heartbeats arrive within the agreed interval (with slack for scheduling)
        wait = 2.5 * session.heartbeat_ms / 1000
        got = _expect(sock, codec, Heartbeat, max(wait, timeout_s))
        checks.append(Check("heartbeat", isinstance(got, Heartbeat),
                            f"within {max(wait, timeout_s):.2f} s: {type(got).__name__ if got else 'nothing'}"))
        # 5. A feedback command is acknowledged with its id, and a resent duplicate gets the same answer
        if session.established:
            far = 2**40  # a round far in the future: never late, whatever the device has produced
            cmd = session.command(PauliFrameUpdate(qubits=np.zeros(0, "<i4"), paulis=np.zeros(0, "u1")), far, now())
            sock.send(encode(cmd))
            first = _expect(sock, codec, CommandAck, timeout_s)
            sock.send(encode(dataclasses.replace(cmd, seq=cmd.seq + 1000)))
            again = _expect(sock, codec, CommandAck, timeout_s)
            ok = (isinstance(first, CommandAck) and first.command_id == cmd.command_id
                  and isinstance(again, CommandAck) and again.command_id == cmd.command_id
                  and again.status == first.status and again.applied_round == first.applied_round)
            checks.append(Check("command_acknowledged", ok,
                                f"ack {first!r:.120}; duplicate answered {'the same' if ok else repr(again)[:120]}"))
        else:
            checks.append(Check("command_acknowledged", False, "no session, so no command could be sent"))
        # 6. Data frames decode, with consecutive seq and ordered times
        if data is not None:
            rx = DataReceiver(ctx, data, curve=curve)
            try:
                msgs = [m for m in (rx.recv(int(timeout_s * 1000)) for _ in range(3)) if m is not None]
            finally:
                rx.close()
            ok = len(msgs) == 3 and rx.codec.total_rejected == 0
            detail = f"{len(msgs)} of 3 frames, {rx.codec.total_rejected} rejected"
            if ok:
                seqs = [m.seq for m in msgs]
                ok = seqs == list(range(seqs[0], seqs[0] + 3))
                for m in msgs:
                    if isinstance(m, TimeTagBatch) and len(m.tags) > 1:
                        ok = ok and bool(np.all(np.diff(m.tags["time_ps"]) >= 0))
                    ok = ok and isinstance(m, (TimeTagBatch, SyndromeFrame))
                detail += f", seq {seqs}"
            checks.append(Check("data_frames", ok, detail))
        sock.send(encode(session.goodbye("conformance check done", now())))
    finally:
        sock.close(0)
        probe.close(0)
        ctx.destroy(0)
    return ConformanceReport(control=control, data=data, checks=tuple(checks))
