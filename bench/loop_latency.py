"""Loop latency for one-round messages at d=5, against a bare pyzmq ping-pong of the same sizes, same run.

The bench plays the device itself (this process) and runs the real controller as a separate process
(`quantacore control`). Every round of a d=5 memory block travels as its own TimeTagBatch; after the block's
last round the device waits for the controller's feedback (the Pauli-frame update that depends on that block)
and times the wait. `latency_us_*` is that reaction time as the device sees it: from handing the last round
to ZeroMQ to receiving the feedback, round trip included, like the ping-pong it is compared with. The device
stamps at its sockets (`DataSender.last_send_ns`, `ControlEndpoint.last_recv_ns`), as a hardware endpoint
stamps at its port: its own encoding of the round and decoding of the command, which the ping-pong does not
have either, are outside the window; everything the controller does is inside it.
`pingpong_us_p50` is a bare pyzmq exchange between the same two kinds of sockets (PUSH -> PULL out,
ROUTER <- DEALER back) over the same transport (ipc) with frames of the same sizes as ours, to a child
process that only echoes.
`controller_us_p50` is the controller's own end-to-end figure (arrival of the round -> feedback sent).
`pingpong_block_pattern_us_p50` is context: the same bare exchange with our message pattern (a block's frames
sent back to back, the last one answered), i.e. what the transport alone costs for this pattern.
The controller runs as a lab runs a real-time controller on a core of its own: `controller.busy_poll_us` =
BUSY_POLL_US (it looks for the next batch that long before sleeping; `latency_busy_poll_us` reports it), and
the ping-pong's echo, which stands where the controller stands, waits the same way; the device side of both
sleeps in its receive. `latency_sleeping_us_p50` and `pingpong_sleeping_us_p50` are context: both exchanges
with every side sleeping in its receive at once. `latency_endpoints_only_us_p50` is context too: the same
exchange with the controller replaced by our protocol endpoints alone (session, busy-polling compiled receive,
command path) answering each block at once, with no ingest, decoding or policy: what this repository's
Python endpoints and ZeroMQ cost before the controller does any work.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
import zmq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator.experiment import PhotonicEmulator  # noqa: E402
from emulator.physics.device import load_device  # noqa: E402
from protocols.codes import CodeSpec  # noqa: E402
from protocols.endpoints import data_address  # noqa: E402
from protocols.run_config import load_run_config  # noqa: E402
from protocols.wire import (  # noqa: E402
    ChannelMap,
    CommandStatus,
    ControlEndpoint,
    ControlSession,
    DataSender,
    FeedbackCommand,
    Role,
    SessionConfig,
    TimeTagBatch,
    code_to_wire,
    encode,
)

BLOCKS = 400
WARMUP = 40
BUSY_POLL_US = 300  # longer than the controller's wait from its feedback to the next block's first round


def _echo(ping_addr: str, pong_addr: str, reply_size: int, n: int, burst: int, busy_poll_us: float) -> None:
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.connect(ping_addr)
    dealer = ctx.socket(zmq.DEALER)
    dealer.connect(pong_addr)
    reply = b"x" * reply_size
    dealer.send(b"hello")
    spin_ns = int(busy_poll_us * 1000)
    for _ in range(n):
        for _ in range(burst):
            if spin_ns:  # the controller's discipline (controller.busy_poll_us): look, then sleep
                end = time.perf_counter_ns() + spin_ns
                while not pull.get(zmq.EVENTS) & zmq.POLLIN and time.perf_counter_ns() < end:
                    os.sched_yield()
            pull.recv()
        dealer.send(reply)
    ctx.destroy(0)


class _Child:
    """A function in a spawned process, behind the part of Popen's interface the loop uses."""

    def __init__(self, target, *args) -> None:  # noqa: ANN001 - a bench helper
        self._p = mp.get_context("spawn").Process(target=target, args=args)
        self._p.start()

    def poll(self) -> int | None:
        return self._p.exitcode

    def wait(self, timeout: float) -> None:
        self._p.join(timeout)

    def kill(self) -> None:
        self._p.kill()


def _endpoints_only(connect: str, blocks: int, frames: int, busy_poll_us: float) -> None:
    """A controller with no work: our protocol endpoints (session, compiled busy-polling receive, command
    path) answering each block's last round at once with a Pauli-frame update. Context for how much of the
    reaction time the controller's own work takes."""
    from protocols.wire import DataReceiver, PauliFrameUpdate, QueuedRun

    ctx = zmq.Context()
    session = ControlSession(SessionConfig(
        endpoint="endpoints-only", role=Role.CONTROLLER, code=code_to_wire(CodeSpec("rotated_surface", 5, 5, "Z")),
        channel_map=ChannelMap(qubits=np.zeros(0, "<i4"), rails=np.zeros((0, 2), "<i4")),
        clock_hz=1e6, epoch_ns=0, heartbeat_ms=1000, missed_heartbeats=10,
    ))
    control = ControlEndpoint(ctx, session, connect)
    data = DataReceiver(ctx, data_address(connect), hwm=4)
    data.prepare_intake()
    control.start()
    while not session.established:
        control.poll(50)
    action = PauliFrameUpdate(qubits=np.zeros(0, "<i4"), paulis=np.zeros(0, "u1"))
    spin, expected = int(busy_poll_us * 1000), 0
    while expected < blocks * frames:
        msg = data.recv_run(4096, 20, spin, (expected // frames + 1) * frames)
        if type(msg) is QueuedRun and msg.n_rounds:
            expected = msg.first_round + msg.n_rounds
            if expected % frames == 0:
                control.send(session.command(action, expected, time.monotonic_ns()))
        control.poll(0)
    t_end = time.monotonic() + 2
    while session.pending and time.monotonic() < t_end:
        control.poll(20)
    data.close()
    control.close()
    ctx.destroy(0)


def pingpong(ping_size: int, pong_size: int, n: int, burst: int = 1, busy_poll_us: float = 0) -> np.ndarray:
    """Round trips (us) of a bare PUSH->PULL ping and DEALER->ROUTER pong with a child process. With `burst`
    > 1 each ping is the last of `burst` frames sent back to back (the echo answers the last one), timed from
    that last frame: the message pattern of a block of one-round messages, with no work on either side."""
    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    router = ctx.socket(zmq.ROUTER)
    tmp = tempfile.mkdtemp(prefix="quantacore-pingpong-")  # ipc, as the loop's device and controller talk
    ping_addr, pong_addr = f"ipc://{tmp}/ping", f"ipc://{tmp}/pong"
    push.bind(ping_addr)
    router.bind(pong_addr)
    child = mp.get_context("spawn").Process(
        target=_echo, args=(ping_addr, pong_addr, pong_size, n, burst, busy_poll_us)
    )
    child.start()
    peer, _ = router.recv_multipart()
    ping = b"y" * ping_size
    out = np.empty(n)
    for i in range(n):
        for _ in range(burst - 1):
            push.send(ping)
        t0 = time.perf_counter_ns()
        push.send(ping)
        router.recv_multipart()
        out[i] = (time.perf_counter_ns() - t0) / 1e3
    child.join(10)
    ctx.destroy(0)
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def loop_latency(blocks: int = BLOCKS, decoder: str = "erasure", busy_poll_us: float = BUSY_POLL_US,
                 endpoints_only: bool = False) -> dict:
    """Reaction times (us) of the real controller process to one-round messages, d=5 (with
    `endpoints_only`: of `_endpoints_only`, our endpoints doing no controller work)."""
    cfg = yaml.safe_load((ROOT / "configs/default.yaml").read_text())
    cfg["code"].update(distance=5, rounds=5)
    cfg["controller"].update(decoder=decoder, policy={}, busy_poll_us=busy_poll_us)
    cfg["emulator"]["device"] = str(ROOT / cfg["emulator"]["device"])
    cfg["controller"]["budget"] = str(ROOT / cfg["controller"]["budget"])
    tmp = tempfile.mkdtemp(prefix="quantacore-bench-")
    cfg_path = Path(tmp) / "bench.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    run_cfg = load_run_config(cfg_path)
    spec = CodeSpec("rotated_surface", 5, 5, "Z")
    em = PhotonicEmulator(load_device(run_cfg.emulator.device), spec, seed=run_cfg.seed)
    F = em.frames_per_block()
    total = blocks + WARMUP
    batch = em.next_blocks(total)
    period = em.round_period_ps
    bounds = np.searchsorted(batch.tags["time_ps"], np.arange(total * F + 1) * period)
    rounds = [batch.tags[bounds[r] : bounds[r + 1]] for r in range(total * F)]
    ctx = zmq.Context()
    cm = em.channel_map
    session = ControlSession(SessionConfig(
        endpoint="bench-device", role=Role.DEVICE,
        code=code_to_wire(spec),
        channel_map=ChannelMap(qubits=cm.qubits.copy(), rails=cm.rails.copy()),
        clock_hz=1e12 / period, epoch_ns=time.time_ns(), heartbeat_ms=1000, missed_heartbeats=10,
    ))
    control = ControlEndpoint(ctx, session, f"ipc://{tmp}/dev")
    data = DataSender(ctx, data_address(control.address), bind=True)
    summary = Path(tmp) / "summary.json"
    if endpoints_only:
        ctl = _Child(_endpoints_only, control.address, total, F, busy_poll_us)
    else:
        ctl = subprocess.Popen(
            [sys.executable, "-m", "quantacore", "control", "--config", str(cfg_path), "--connect", control.address,
             "--rounds", str(total * F), "--summary", str(summary)],
            stdout=subprocess.DEVNULL,
        )
    lat = []
    try:
        t_end = time.monotonic() + 120
        while not session.established and time.monotonic() < t_end:
            control.poll(50)
        while not data.wait_ready(0.05):
            control.poll(0)
        for b in range(total):
            for f in range(F):
                r = b * F + f
                data.send_batch(r, 1, rounds[r])
            t0 = data.last_send_ns  # the last round handed to ZeroMQ (after its encoding)
            got = None
            deadline = time.monotonic() + 30
            while got is None:
                if time.monotonic() > deadline or ctl.poll() is not None:
                    raise SystemExit(f"no feedback for block {b} within 30 s (controller exit code {ctl.poll()}); "
                                     f"device data path: {data.stats}")
                for m in control.poll(1):
                    if isinstance(m, FeedbackCommand):
                        got = m
                        t1 = control.last_recv_ns  # its frame received (before the device decoded it)
            control.send(session.acknowledge(got.command_id, CommandStatus.APPLIED, got.apply_at_round, 0))
            if b >= WARMUP:
                lat.append((t1 - t0) / 1e3)
        ctl.wait(60)
        s = json.loads(summary.read_text()) if not endpoints_only else None
    finally:
        if ctl.poll() is None:
            ctl.kill()
        data.close()
        control.close()
        ctx.destroy(0)
    round_frame = len(encode(TimeTagBatch(first_round=0, n_rounds=1, tags=rounds[-1])))
    fb = len(encode(got))
    return {"latencies": np.asarray(lat), "round_frame_bytes": round_frame, "feedback_frame_bytes": fb,
            "controller_us_p50": s["latency_us"]["end_to_end"]["p50"] if s else None,
            "rounds_lost": s["rounds_lost"] if s else None, "frames_per_block": F}


def latency_metrics(blocks: int = BLOCKS) -> dict:
    """latency_us_p50/p99 of the loop and pingpong_us_p50 of bare pyzmq, same run, same frame sizes."""
    ours = loop_latency(blocks)
    sleeping = loop_latency(blocks // 2, busy_poll_us=0)
    bare_ends = loop_latency(blocks // 2, endpoints_only=True)
    sizes = (ours["round_frame_bytes"], ours["feedback_frame_bytes"])
    pp = pingpong(*sizes, 2000, busy_poll_us=BUSY_POLL_US)
    pattern = pingpong(*sizes, 1000, burst=ours["frames_per_block"], busy_poll_us=BUSY_POLL_US)
    pp_sleeping = pingpong(*sizes, 1000)
    lat = ours["latencies"]
    return {
        "latency_us_p50": round(float(np.percentile(lat, 50)), 1),
        "latency_us_p99": round(float(np.percentile(lat, 99)), 1),
        "pingpong_us_p50": round(float(np.percentile(pp, 50)), 1),
        "latency_over_pingpong": round(float(np.percentile(lat, 50) / np.percentile(pp, 50)), 3),
        "controller_us_p50": round(float(ours["controller_us_p50"]), 1),
        "pingpong_block_pattern_us_p50": round(float(np.percentile(pattern, 50)), 1),
        # The floor of any controller under this pattern (it must take all of a block's frames before it can
        # answer), over the ping-pong the 1.5x target is set against.
        "block_pattern_over_pingpong": round(float(np.percentile(pattern, 50) / np.percentile(pp, 50)), 3),
        "latency_busy_poll_us": BUSY_POLL_US,
        "latency_sleeping_us_p50": round(float(np.percentile(sleeping["latencies"], 50)), 1),
        "latency_endpoints_only_us_p50": round(float(np.percentile(bare_ends["latencies"], 50)), 1),
        "pingpong_sleeping_us_p50": round(float(np.percentile(pp_sleeping, 50)), 1),
        "latency_blocks": len(lat),
        "latency_code": "rotated_surface d=5, 5 rounds + readout per block, one round per message",
        "latency_decoder": "erasure-aware (default config)",
        "latency_rounds_lost": ours["rounds_lost"],
    }


if __name__ == "__main__":
    print(json.dumps(latency_metrics()))
