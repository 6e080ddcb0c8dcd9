"""The controller as a process: connects to a device over ZeroMQ and runs the pipeline on its stream.

A thin shell (the logic is in `controller.pipeline`): Hello/HelloAck on the control path, then for every
time-tag batch: stamp arrival, run the pipeline, send its feedback (Pauli-frame updates, code switches) as
FeedbackCommands, stamp the send; acknowledgements of switches go back to the pipeline. The endpoint can be
any device that speaks the protocol: the emulator, a replay, or an FPGA/DAQ.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import zmq

from controller.latency import load_budget
from controller.pipeline import ControllerPipeline, FrameUpdate, SwitchRequest

#: Batches queued on each side of the data path (see emulator.server: the two must agree for the lead below).
DATA_PATH_HWM = 4
#: Heartbeats: a Python controller may be busy for a second (a decoder built for a new code); allow for it.
HEARTBEAT_MS = 1000
MISSED_HEARTBEATS = 5
CONTROL_SERVICE_NS = 1_000_000  # the control path is serviced at least this often, however busy the data path
MAX_COALESCED_ROUNDS = 4096  # rounds of queued batches taken in one pass (bounds the first one's wait)
from policies import build_policy
from protocols.affinity import available_cpus, pin_process
from protocols.channel_map import channel_map_for_code
from protocols.codes import CodeSpec, layout
from protocols.endpoints import data_address
from protocols.errors import QuantaCoreError, WireError
from protocols.run_config import RunConfig
from protocols.wire import (
    ChannelMap as WireChannelMap,
)
from protocols.wire import (
    CommandAck,
    CommandStatus,
    ControlEndpoint,
    Error,
    ControlSession,
    DataReceiver,
    Goodbye,
    Message,
    Pauli,
    PauliFrameUpdate,
    QueuedRun,
    Refuse,
    Role,
    SessionConfig,
    SessionState,
    SwitchCode,
    TimeTagBatch,
    code_to_wire,
)
from protocols.wire.security import Curve


class ControllerProcess:
    """One controller session against the device whose control socket is at `connect`."""

    def __init__(self, cfg: RunConfig, connect: str, *, rounds: int | None = None, curve: Curve | None = None) -> None:
        """Open the sockets; the handshake happens in `run`."""
        self.cfg = cfg
        self.rounds = int(rounds if rounds is not None else cfg.rounds)
        self.spec = cfg.code.spec()
        self.ctx = zmq.Context()
        session = ControlSession(
            SessionConfig(
                endpoint=f"controller:{cfg.name}",
                role=Role.CONTROLLER,
                code=code_to_wire(self.spec),
                channel_map=WireChannelMap(qubits=np.zeros(0, "<i4"), rails=np.zeros((0, 2), "<i4")),
                clock_hz=1e6,  # nominal: the device's HelloAck carries the authoritative clock
                epoch_ns=0,
                heartbeat_ms=HEARTBEAT_MS,
                missed_heartbeats=MISSED_HEARTBEATS,
            )
        )
        try:
            self.control = ControlEndpoint(self.ctx, session, connect, curve=curve)
            self.data = DataReceiver(self.ctx, data_address(connect), curve=curve, hwm=DATA_PATH_HWM)
        except BaseException:
            self.ctx.destroy(0)
            raise
        self.switches: dict[int, SwitchRequest] = {}
        self.acks = {"applied": 0, "rejected": 0, "late": 0, "unsupported": 0}
        self.commands_sent = 0
        self.unsent = 0
        self._actions: dict[tuple[int, str], tuple[np.ndarray, PauliFrameUpdate]] = {}
        self._actions_by_value: dict[tuple[bytes, str], PauliFrameUpdate] = {}
        self._held: Message | None = None  # taken from the data path but not part of the last coalesced run
        self.errors: list[str] = []

    def _specs(self) -> list[CodeSpec]:
        """The configured code and every code the policy may switch to."""
        s = self.spec
        out = [s]
        for d in (self.cfg.controller.policy or {}).get("distances", []):
            spec = CodeSpec(s.family, d, d if s.rounds == s.distance else s.rounds, s.basis)
            if spec not in out:
                out.append(spec)
        return out

    def prepare(self) -> None:
        """Before the handshake (the session must not fall silent later): build every decoder the run may
        need and compile the kernels, through a throw-away pipeline on a nominal clock."""
        c = self.cfg.controller
        warm = ControllerPipeline(self.spec, belief=c.belief, round_period_ps=1_000_000, window_ps=c.window_ps)
        for spec in self._specs()[1:]:
            warm.prepare(spec)
        if c.busy_poll_us:
            self.data.prepare_intake()  # the compiled receive busy polling uses

    def _handshake(self, timeout_s: float) -> ControllerPipeline:
        s = self.control.session
        self.control.start()
        deadline = time.monotonic() + timeout_s
        while s.state is not SessionState.ESTABLISHED:
            for msg in self.control.poll(50):
                if isinstance(msg, Refuse):
                    raise WireError(f"device refused the session: {msg.message} (code {msg.code.name})")
            if s.state in (SessionState.CLOSED, SessionState.REFUSED):
                raise WireError(f"handshake failed: session {s.state.value}")
            if time.monotonic() > deadline:
                raise WireError(f"no HelloAck from the device within {timeout_s} s")
        ack = s.peer
        period_ps = int(round(1e12 / ack.clock_hz))
        lay = layout(self.spec)
        expected = channel_map_for_code(
            sorted(lay.data_qubits + lay.x_ancillas + lay.z_ancillas), period_ps, self.cfg.controller.window_ps
        )
        if not (np.array_equal(ack.channel_map.qubits, expected.qubits) and np.array_equal(ack.channel_map.rails, expected.rails)):
            raise WireError("the device's channel map differs from the code's standard map (qubit k on rails 2k, 2k+1)")
        c = self.cfg.controller
        return ControllerPipeline(
            self.spec,
            belief=c.belief,
            round_period_ps=period_ps,
            window_ps=c.window_ps,
            epoch_ps=0,  # time_ps counts from the device's epoch: round k starts at k periods
            decoder=c.decoder,
            budget=load_budget(c.budget),
            policy=build_policy(c.policy, source="controller.policy") if c.policy else None,
            policy_window_blocks=c.policy_window_blocks,
            # In flight: up to DATA_PATH_HWM batches on each side plus the kernel's socket buffers.
            switch_lead_rounds=(3 * DATA_PATH_HWM + 2) * self.cfg.emulator.blocks_per_batch * (self.spec.rounds + 1),
        )

    def _send_feedback(self, pipe: ControllerPipeline, feedback: list) -> None:
        s = self.control.session
        for f in feedback:
            if not s.established:
                # The control session is re-establishing: a frame update is bookkeeping and is counted as
                # unsent; a switch request is answered as refused so the pipeline keeps the current code.
                self.unsent += 1
                if isinstance(f, SwitchRequest):
                    self._send_feedback(pipe, pipe.on_switch_answer(False))
                continue
            now = time.monotonic_ns()
            if isinstance(f, FrameUpdate):
                cmd = s.command(self._frame_action(f), f.apply_at_round, now)
            else:
                cmd = s.command(SwitchCode(code=code_to_wire(f.spec)), f.apply_at_round, now)
                self.switches[cmd.command_id] = f
            self.control.send(cmd)
            self.commands_sent += 1

    def _take_contiguous(self, pipe: ControllerPipeline, msg: TimeTagBatch) -> tuple[int, int, np.ndarray]:
        """The rounds of `msg` and of the batches already queued right behind it (first round, rounds, tags).

        Under a backlog one pass over several rounds costs far less than one pass per message, so queued
        batches that continue the same run of rounds are taken together (up to MAX_COALESCED_ROUNDS);
        anything else (a gap, a batch of MISSED_EVENTS records only) is held for the next turn.
        """
        first, n = int(msg.first_round), int(msg.n_rounds)
        record = pipe.latency.record
        # receive: from the device's send stamp to the message taken here (same host clocks).
        if not n or n >= MAX_COALESCED_ROUNDS:
            record("receive", float(max(0, time.time_ns() - msg.t_send_ns)))
            return first, n, msg.tags
        run = self.data.take_run(first + n, MAX_COALESCED_ROUNDS - n)
        self._held = run.held
        now = time.time_ns()
        record("receive", float(max(0, now - msg.t_send_ns)))
        for t in run.t_send_ns:
            record("receive", float(max(0, now - t)))
        if not run.n_rounds:
            return first, n, msg.tags
        return first, n + run.n_rounds, np.concatenate([msg.tags, run.tags])

    def _frame_action(self, f: FrameUpdate) -> PauliFrameUpdate:
        """The wire action of a frame update; built once per distinct update (a code has few: its logical
        support or nothing) since actions are immutable."""
        # Keyed by the identity of a read-only array (the pipeline hands out one per code and outcome),
        # checked against the array kept with the entry, which also keeps the identity from being reused.
        q = f.qubits
        hit = self._actions.get((id(q), f.pauli))
        if hit is not None and hit[0] is q:
            return hit[1]
        key = (f.qubits.tobytes(), f.pauli)
        action = self._actions_by_value.get(key)
        if action is None:
            pauli = Pauli.X if f.pauli == "X" else Pauli.Z
            qubits, paulis = f.qubits.astype("<i4"), np.full(len(f.qubits), int(pauli), "u1")
            qubits.setflags(write=False)  # immutable, so the codec packs the action once for every command
            paulis.setflags(write=False)
            action = PauliFrameUpdate(qubits=qubits, paulis=paulis)
            self._actions_by_value[key] = action
        if not q.flags.writeable and len(self._actions) < 64:  # a run has a few such arrays (read-only)
            self._actions[(id(q), f.pauli)] = (q, action)
        return action

    def _on_control(self, pipe: ControllerPipeline, msgs: list) -> bool:
        """Handle control messages; True when the device said goodbye."""
        bye = False
        for msg in msgs:
            if isinstance(msg, CommandAck):
                self.acks[msg.status.name.lower()] += 1
                req = self.switches.pop(msg.command_id, None)
                if req is not None:
                    fb = pipe.on_switch_answer(msg.status is CommandStatus.APPLIED and msg.applied_round == req.apply_at_round)
                    self._send_feedback(pipe, fb)
            elif isinstance(msg, Goodbye):
                bye = True
            elif isinstance(msg, Error):
                self.errors.append(f"{msg.code.name}: {msg.message}")
        return bye

    def run(self, handshake_timeout_s: float = 30.0, idle_timeout_s: float = 30.0) -> dict:
        """Handshake, process the stream until the rounds are done or the device leaves; the summary."""
        self.prepare()
        pipe = self._handshake(handshake_timeout_s)
        for spec in self._specs()[1:]:
            pipe.prepare(spec)
        bye = False
        last_data = time.monotonic()
        serviced = 0
        busy_poll_ns = int(self.cfg.controller.busy_poll_us * 1000)
        t_start = time.perf_counter()
        while pipe.expected_round < self.rounds:
            msg, self._held = self._held, None
            if msg is None:
                # Busy polling: the receive also waits (within its look) for the rest of the block.
                msg = self.data.recv_run(MAX_COALESCED_ROUNDS, 20, busy_poll_ns,
                                         pipe.next_block_end if busy_poll_ns else None)
            if msg is not None:
                last_data = time.monotonic()
                run = type(msg) is QueuedRun
                if run or isinstance(msg, TimeTagBatch):
                    stamps = None
                    if run:
                        self._held = msg.held
                        first, n, tags = msg.first_round, msg.n_rounds, msg.tags
                        received, stamps = time.time_ns(), msg.t_send_ns
                    else:
                        first, n, tags = self._take_contiguous(pipe, msg)
                    t_arr = time.perf_counter_ns()
                    fb = pipe.on_batch(first, n, tags, t_arr)
                    t_send = time.perf_counter_ns()
                    self._send_feedback(pipe, fb)
                    if fb:
                        pipe.latency.record("send", float(time.perf_counter_ns() - t_send))
                    if stamps:  # bookkeeping, after the feedback is out: the receive stage of each batch
                        record = pipe.latency.record
                        for t in stamps:
                            record("receive", max(0, received - t))
                    if pipe.decoded_rounds:
                        # The feedback just sent depends on every round of the blocks it decoded; the last
                        # event they needed arrived with this batch.
                        pipe.record_sent(t_arr, time.perf_counter_ns(), pipe.decoded_rounds)
                    self.control.session.last_round = pipe.expected_round - 1
            now = time.monotonic_ns()
            if msg is None or self.switches or now - serviced >= CONTROL_SERVICE_NS or not self.data.queued():
                # While rounds wait on the data path, acknowledgements of frame updates (bookkeeping) wait up
                # to CONTROL_SERVICE_NS for them: handling one costs more than a round. A switch's answer
                # does not wait (rounds are held for it), nor do heartbeats (they have ms granularity).
                serviced = now
                bye |= self._on_control(pipe, self.control.poll(0))
            if msg is None and (bye or time.monotonic() - last_data > idle_timeout_s):
                break
        # Answers to commands still in flight.
        t_end = time.monotonic() + 2.0
        while (self.switches or self.control.session.pending) and time.monotonic() < t_end:
            self._on_control(pipe, self.control.poll(20))
        elapsed = time.perf_counter() - t_start
        summary = pipe.summary()
        summary["rounds_lost"] += max(0, self.rounds - pipe.expected_round) if not bye else 0
        summary.update(
            {
                "code": {"family": self.spec.family, "distance": self.spec.distance, "rounds": self.spec.rounds,
                         "basis": self.spec.basis},
                "elapsed_s": elapsed,
                "rounds_per_s": pipe.stats.rounds / elapsed if elapsed > 0 else None,
                "commands_sent": self.commands_sent,
                "feedback_unsent": self.unsent,
                "device_errors": {"count": len(self.errors), "first": self.errors[:5]},
                "acks": dict(self.acks),
                "commands_unanswered": len(self.control.session.pending),
                "transport": {**{k: int(v) for k, v in self.data.stats.items()},
                              "intake_frames": self.data.intake_frames},
                "control": {k: int(v) for k, v in self.control.session.stats.items()},
                "within_budget": pipe.latency.within_budget(),
                "cpus": sorted(available_cpus()),  # where this controller ran (controller.cpus pins it)
            }
        )
        try:
            self.control.send(self.control.session.goodbye("done", time.monotonic_ns()))
        except QuantaCoreError:
            pass  # the device already closed its side
        return summary

    def close(self) -> None:
        """Close sockets and the context."""
        self.data.close()
        self.control.close()
        self.ctx.destroy(0)


def print_human_summary(s: dict) -> None:
    """A few lines a person reads after a run."""
    ler = s["logical_error_rate"]
    lo, hi = ler["interval_95"]
    e2e = s["latency_us"].get("end_to_end", {})
    rate = ler["per_block"]
    print(
        f"rounds {s['rounds']} (lost {s['rounds_lost']}), blocks {s['blocks']}, logical errors {s['logical_errors']}"
        + (f" -> {rate:.2e} per block [95% {lo:.2e}, {hi:.2e}]" if rate is not None else "")
    )
    if e2e:
        print(f"latency end to end: p50 {e2e['p50']:.1f} us, p99 {e2e['p99']:.1f} us, p99.9 {e2e['p999']:.1f} us; "
              f"deadline misses {s['deadline_misses']}; degradations {s['degradations']}")
    print(f"missed events {s['missed_events']}, decisions {len(s['decisions'])}, rounds/s {s['rounds_per_s']:.3g}")


def main(cfg: RunConfig, connect: str, rounds: int | None = None, summary_path: str | None = None,
         curve: Curve | None = None) -> int:
    """Run a controller session, write the JSON summary, print the human one."""
    pin_process(cfg.controller.cpus, "controller.cpus")  # before the ZeroMQ context: its I/O thread inherits it
    proc = ControllerProcess(cfg, connect, rounds=rounds, curve=curve)
    try:
        summary = proc.run()
    finally:
        proc.close()
    if summary_path:
        Path(summary_path).parent.mkdir(parents=True, exist_ok=True)
        Path(summary_path).write_text(json.dumps(summary, indent=2))
    print_human_summary(summary)
    return 0 if summary["rounds_lost"] == 0 else 1
