"""The device process: serves the wire protocol over ZeroMQ in front of any `Device` (the emulator or a replay).

It binds the control socket (ROUTER) and the data socket (PUSH, see protocols.endpoints), prints one JSON
line with both addresses, waits for a controller's Hello, then streams memory blocks as time-tag batches.
Feedback commands are applied at the first block boundary at or after their round and acknowledged; a
command whose round has already been produced is answered LATE. With pace "max" the server waits for room
at the high-water mark (the fastest a consumer can take); with pace "realtime" it keeps the device's clock
and drops what does not fit, which the receiver sees as MISSED_EVENTS records (never silent loss).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import zmq

from emulator.device import Recorder, device_from_config
from protocols.affinity import pin_process
from protocols.device import Device
from protocols.endpoints import data_address, resolve_bind
from protocols.errors import QuantaCoreError, WireError
from protocols.run_config import RunConfig
from protocols.wire import (
    ChannelMap as WireChannelMap,
)
from protocols.wire import (
    CommandStatus,
    ControlEndpoint,
    ControlSession,
    DataSender,
    FeedbackCommand,
    Goodbye,
    PauliFrameUpdate,
    Role,
    SessionConfig,
    SessionState,
    SetParameter,
    SwitchCode,
    code_from_wire,
    code_to_wire,
)
from protocols.wire.security import Curve


#: Batches queued on each side of the data path. Small on purpose: what is in flight bounds how far ahead of
#: the controller the device runs, and so how early a code switch must be requested.
DATA_PATH_HWM = 4


@dataclass
class ServerStats:
    """What the server did."""

    rounds_sent: int = 0
    batches_sent: int = 0
    batches_dropped: int = 0
    commands: int = 0
    commands_late: int = 0
    acks_undeliverable: int = 0


class EmulatorServer:
    """Serve one controller session from a Device; `serve()` returns when the rounds are sent."""

    def __init__(
        self,
        cfg: RunConfig,
        bind: str,
        *,
        rounds: int | None = None,
        curve: Curve | None = None,
        device: Device | None = None,
        record: str | None = None,
    ) -> None:
        """Bind the sockets (control at `bind`, data next to it) in front of `device` (default: from cfg)."""
        self.cfg = cfg
        self.dev: Device = device if device is not None else device_from_config(cfg)
        self.rounds = int(rounds if rounds is not None else cfg.rounds)
        self.recorder = Recorder(record, self.dev.spec, self.dev.round_period_ps) if record else None
        self.stats = ServerStats()
        self.ctx = zmq.Context()
        control = resolve_bind(bind)
        cm = self.dev.channel_map
        session = ControlSession(
            SessionConfig(
                endpoint=self.dev.name[:64],
                role=Role.DEVICE,
                code=code_to_wire(self.dev.spec),
                channel_map=WireChannelMap(qubits=cm.qubits.copy(), rails=cm.rails.copy()),
                clock_hz=1e12 / self.dev.round_period_ps,
                epoch_ns=time.time_ns(),
                heartbeat_ms=1000,
                missed_heartbeats=5,
            )
        )
        try:
            self.control = ControlEndpoint(self.ctx, session, control, curve=curve)
            self.data = DataSender(self.ctx, data_address(self.control.address), bind=True, curve=curve, hwm=DATA_PATH_HWM)
        except BaseException:
            self.ctx.destroy(0)
            raise
        self.addresses = {"control": self.control.address, "data": self.data.address}

    def _handle(self, cmd: FeedbackCommand) -> None:
        """Apply (schedule) one feedback command and acknowledge it."""
        s = self.control.session
        now = time.monotonic_ns()
        self.stats.commands += 1
        em = self.dev
        frames = em.frames_per_block()
        if isinstance(cmd.action, PauliFrameUpdate):
            # Frame updates are the controller's bookkeeping of corrections: never late, nothing to apply.
            ack = s.acknowledge(cmd.command_id, CommandStatus.APPLIED, int(cmd.apply_at_round), now)
        elif cmd.apply_at_round < em.next_round:
            self.stats.commands_late += 1
            ack = s.acknowledge(cmd.command_id, CommandStatus.LATE, -1, now,
                                f"round {cmd.apply_at_round} already produced (device at {em.next_round})")
        else:
            k = -(-(cmd.apply_at_round - em.next_round) // frames)
            boundary = em.next_round + k * frames
            action = cmd.action
            try:
                if isinstance(action, SwitchCode):
                    em.switch_code(code_from_wire(action.code), boundary)
                elif isinstance(action, SetParameter):
                    em.set_parameter(action.name, action.value, boundary)
                elif not isinstance(action, PauliFrameUpdate):  # frame updates are the controller's bookkeeping
                    raise QuantaCoreError(f"unsupported action {type(action).__name__}")
                ack = s.acknowledge(cmd.command_id, CommandStatus.APPLIED, boundary, now)
            except QuantaCoreError as e:
                ack = s.acknowledge(cmd.command_id, CommandStatus.REJECTED, -1, now, str(e))
        try:
            self.control.send(ack)
        except WireError:
            self.stats.acks_undeliverable += 1  # the controller left; counted in session stats too

    def _poll_control(self, timeout_ms: int = 0) -> None:
        for msg in self.control.poll(timeout_ms):
            if isinstance(msg, FeedbackCommand):
                self._handle(msg)

    def serve(self, hello_timeout_s: float = 60.0, linger_s: float = 600.0) -> ServerStats:
        """Wait for a controller, stream the configured rounds, say goodbye."""
        deadline = time.monotonic() + hello_timeout_s
        while not self.control.session.established:
            if time.monotonic() > deadline:
                raise QuantaCoreError(f"no controller said Hello on {self.addresses['control']} within {hello_timeout_s} s")
            self._poll_control(50)
        while not self.data.wait_ready(0.05):
            self._poll_control(0)
            if time.monotonic() > deadline:
                raise QuantaCoreError(f"no controller connected to the data path {self.addresses['data']}")
        em, st = self.dev, self.stats
        realtime = self.cfg.emulator.pace == "realtime"
        t_start = time.monotonic_ns()
        round0 = em.next_round
        session = self.control.session
        while em.next_round < self.rounds and session.state is not SessionState.CLOSED:
            self._poll_control(0)
            frames = em.frames_per_block()
            left_blocks = -(-(self.rounds - em.next_round) // frames)
            batch = em.next_batch(min(self.cfg.emulator.blocks_per_batch, left_blocks))
            if batch is None:
                break  # a replay ran out of recorded rounds
            if not realtime:
                while not self.data.wait_ready(0.05):  # back-pressure: the fastest the consumer takes
                    self._poll_control(0)
                    if session.state is SessionState.CLOSED:
                        break  # the controller said goodbye: nobody will take this batch
            if self.data.send_batch(batch.first_round, batch.n_rounds, batch.tags):
                st.batches_sent += 1
            else:
                st.batches_dropped += 1
            if self.recorder is not None:
                self.recorder.add(batch)
            st.rounds_sent = batch.first_round + batch.n_rounds
            self.control.session.last_round = st.rounds_sent - 1
            if realtime:
                due = t_start + (st.rounds_sent - round0) * em.round_period_ps // 1000
                while time.monotonic_ns() < due:
                    self._poll_control(0)
        if self.recorder is not None:
            self.recorder.close()
        self.data.flush(st.rounds_sent)
        # Stay until the controller has consumed the stream and says goodbye (or falls silent): its last
        # commands still get answered.
        s = self.control.session
        t_end = time.monotonic() + linger_s
        while s.state is SessionState.ESTABLISHED and time.monotonic() < t_end:
            self._poll_control(20)
        try:
            self.control.send(s.goodbye("all rounds sent", time.monotonic_ns()))
        except QuantaCoreError:
            pass  # the controller already left; nothing is lost by not saying goodbye
        return st

    def close(self) -> None:
        """Close sockets and the context."""
        self.data.close()
        self.control.close()
        self.ctx.destroy(0)


def main(cfg: RunConfig, bind: str, rounds: int | None = None, curve: Curve | None = None,
         endpoint: str | None = None, record: str | None = None) -> int:
    """Run the server: print the bound addresses as one JSON line, serve, print the stats."""
    pin_process(cfg.emulator.cpus, "emulator.cpus")  # before the ZeroMQ context: its I/O thread inherits it
    server = EmulatorServer(cfg, bind, rounds=rounds, curve=curve, device=device_from_config(cfg, endpoint),
                            record=record)
    try:
        print(json.dumps({"event": "ready", **server.addresses}), flush=True)
        st = server.serve()
        print(json.dumps({"event": "done", **st.__dict__, **server.data.stats}), flush=True)
    finally:
        server.close()
    return 0

