"""Wire transport cost: our data and control paths against bare pyzmq in the same run; prints one JSON object.

Two processes on one machine, tcp loopback (127.0.0.1, OS-chosen ports): this process sends, a spawned
child process receives (data path) or answers (control path), as the emulator and controller do.

- `throughput_ratio`: time tags/s through DataSender -> DataReceiver (encode + send + recv + decode of
  TimeTagBatch, 65,536 tags = 1 MiB per batch; the sender waits for room instead of dropping) over a bare
  PUSH/PULL that sends a prebuilt frame of the same size (copy=False on both ends). Target >= 0.8.
- `rtt_overhead_us_p50`: p50 of FeedbackCommand -> CommandAck through two ControlEndpoints (DEALER/ROUTER,
  handshake done, session logic on both sides) minus p50 of a bare DEALER/ROUTER ping-pong of frames of the
  same sizes. Target <= 20. Every receive of both exchanges, on both sides, waits the same way: it looks
  for its frame for up to BUSY_POLL_US before sleeping (`ControlEndpoint.poll(..., busy_poll_ns)`; the bare
  sockets poll ZMQ_EVENTS), as a real-time control path runs on cores of its own (an FPGA never sleeps).
- `rtt_overhead_sleeping_us_p50`: context, the same pairs with every receive sleeping at once. A thread
  woken from a blocking receive on a loaded 2-core host runs late and on cold caches, and pays that for
  each of our Python steps, so this difference grows with the host's wake-up cost, not with the protocol.
- `encode_us` / `decode_us`: per message for the small messages (golden vectors), in this process, best of 5.
Bare and ours are measured by turns (`--repeats` pairs, the same child processes; the round trips turn by
turn, a bare one then one of ours); the ratio and the difference are medians over pairs, which cancels most
of the load of a shared machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import zmq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from protocols.timetags import TIMETAG_DTYPE  # noqa: E402
from protocols.wire import (  # noqa: E402
    ChannelMap,
    CodeSpec,
    CommandAck,
    CommandStatus,
    ControlEndpoint,
    ControlSession,
    DataReceiver,
    DataSender,
    FeedbackCommand,
    Role,
    SessionConfig,
    SetParameter,
    TimeTagBatch,
    decode,
    encode,
)
from protocols.wire.golden import golden_messages  # noqa: E402

BATCH = 65536
WARMUP = 5
DISTINCT = 16  # distinct batches cycled through by both paths
BUSY_POLL_US = 300  # how long each receive of the round trips looks for its frame before sleeping
HWM = 16  # batches queued per direction on both paths
CODE = CodeSpec(family="rotated_surface", distance=5, rounds=5, basis="Z")


def make_tags(n: int, seed: int = 0) -> np.ndarray:
    """A realistic batch: 64 channels, increasing times."""
    rng = np.random.default_rng(seed)
    t = np.zeros(n, TIMETAG_DTYPE)
    t["channel"] = rng.integers(0, 64, n)
    t["time_ps"] = np.cumsum(rng.integers(1, 2000, n))
    return t


# -- child processes: one receiver and one responder, each serving the bare and our path by turns ----------
def _child_receiver(bare_address: str, wire_address: str, conn) -> None:
    ctx = zmq.Context()
    bare = ctx.socket(zmq.PULL)
    bare.setsockopt(zmq.RCVHWM, 16)
    bare.connect(bare_address)
    rx = DataReceiver(ctx, wire_address, hwm=16)
    conn.send("ready")
    while (job := conn.recv()) is not None:
        which, n = job
        t0 = 0.0
        for i in range(WARMUP + n):
            if which == "bare":
                bare.recv(copy=False)
            else:
                msg = rx.recv(timeout_ms=30_000)
                assert msg is not None and len(msg.tags) == BATCH
                msg = None  # done with it, as a consumer is: its frame buffer goes back at once
                msg = None
            if i == WARMUP - 1:
                t0 = time.perf_counter()
        conn.send(time.perf_counter() - t0)
    bare.close(0)
    rx.close()
    ctx.term()


def _session(role: Role, name: str) -> ControlSession:
    return ControlSession(SessionConfig(endpoint=name, role=role, code=CODE, channel_map=ChannelMap.from_pairs({0: (0, 1)}),
                                        clock_hz=1e6, epoch_ns=0, heartbeat_ms=500))


def _look(sock: zmq.Socket, busy_poll_ns: int) -> None:
    """Look for a frame for up to `busy_poll_ns` before the receive that follows (busy poll)."""
    if busy_poll_ns:
        end = time.perf_counter_ns() + busy_poll_ns
        while not sock.get(zmq.EVENTS) & zmq.POLLIN and time.perf_counter_ns() < end:
            os.sched_yield()


def _child_responder(reply_size: int, conn) -> None:
    ctx = zmq.Context()
    bare = ctx.socket(zmq.ROUTER)
    bare.setsockopt(zmq.LINGER, 0)
    port = bare.bind_to_random_port("tcp://127.0.0.1")
    dev = ControlEndpoint(ctx, _session(Role.DEVICE, "bench-device"))
    conn.send((f"tcp://127.0.0.1:{port}", dev.address))
    reply = bytes(reply_size)
    while (job := conn.recv()) is not None:
        which, n, spin = job
        if which == "handshake":
            while not dev.session.established:
                dev.poll(100)
        else:  # n turns, each a bare round trip then one of ours (the parent keeps the same order)
            for _ in range(n):
                _look(bare, spin)
                ident, _frame = bare.recv_multipart()
                bare.send_multipart([ident, reply])
                answered = False
                while not answered:
                    for m in dev.poll(1000, spin):
                        if isinstance(m, FeedbackCommand):
                            now = time.monotonic_ns()
                            dev.send(dev.session.acknowledge(m.command_id, CommandStatus.APPLIED, m.apply_at_round, now))
                            answered = True
        conn.send("done")
    bare.close(0)
    dev.close()
    ctx.term()


# -- measurements -----------------------------------------------------------------------------------------
def throughput_pairs(ctx: zmq.Context, tags: list[np.ndarray], n: int, repeats: int) -> dict[str, list[float]]:
    """Tags/s of three ways to stream the same distinct batches, measured by turns.

    In all three the producer's records are copied once into the buffer that is sent, as a producer that
    writes each batch once must do:
    - bare: the records are written into a prebuilt frame buffer (a ring of them, reused when ZeroMQ's
      tracker says it let go) and sent with copy=False; the receiver only receives.
    - wire_in_place: the records are written into DataSender.allocate(n) and sent with send_batch (the
      envelope is written before them; no further copy); DataReceiver decodes and accounts.
    - wire_copying: send_batch of the producer's own array (the encoder makes the one copy).
    """
    bare = ctx.socket(zmq.PUSH)
    bare.setsockopt(zmq.SNDHWM, HWM)
    bare.setsockopt(zmq.LINGER, 0)
    bare_address = f"tcp://127.0.0.1:{bare.bind_to_random_port('tcp://127.0.0.1')}"
    tx = DataSender(ctx, "tcp://127.0.0.1:*", hwm=HWM)
    a, b = mp.Pipe()
    p = mp.get_context("spawn").Process(target=_child_receiver, args=(bare_address, tx.address, b))
    p.start()
    a.recv()
    header = len(encode(TimeTagBatch(first_round=0, n_rounds=1, tags=tags[0]))) - tags[0].nbytes
    # Twice the high-water mark of frame buffers: the bare sender never waits for ZeroMQ to let one go (as our
    # frame pool, which adds a buffer rather than wait), so neither side is handicapped by its buffer count.
    ring = [bytearray(encode(TimeTagBatch(first_round=0, n_rounds=1, tags=tags[k % len(tags)]))) for k in range(2 * HWM)]
    # Producers write bytes: plain uint8 views make every copy below a memcpy (structured assignment is not).
    ring_records = [np.frombuffer(buf, np.uint8, offset=header) for buf in ring]
    tag_bytes = [t.view(np.uint8) for t in tags]
    trackers: list = [None] * len(ring)
    out: dict[str, list[float]] = {"bare": [], "wire_in_place": [], "wire_copying": []}
    r = 0
    for _ in range(repeats):
        a.send(("bare", n))
        for i in range(WARMUP + n):
            k = i % len(ring)
            if trackers[k] is not None:
                trackers[k].wait()
            ring_records[k][:] = tag_bytes[i % len(tags)]
            trackers[k] = bare.send(memoryview(ring[k]), copy=False, track=True)
        out["bare"].append(n * BATCH / a.recv())
        for mode in ("wire_in_place", "wire_copying"):
            a.send(("wire", n))
            for _ in range(WARMUP + n):
                src = tags[r % len(tags)]
                if mode == "wire_in_place":
                    batch = tx.allocate(len(src))
                    batch.view(np.uint8)[:] = tag_bytes[r % len(tags)]
                else:
                    batch = src
                tx.wait_ready(30.0)  # the benchmark measures capacity, so it waits for room instead of dropping
                assert tx.send_batch(r, 1, batch)
                r += 1
            out[mode].append(n * BATCH / a.recv())
    a.send(None)
    p.join()
    assert tx.stats["dropped_batches"] == 0
    tx.close()
    bare.close(0)
    return out


def rtt_pairs(ctx: zmq.Context, request_size: int, reply_size: int, n: int, repeats: int,
              busy_poll_us: float = 0) -> tuple[list[float], list[float]]:
    """p50 round trips (us): bare DEALER/ROUTER ping-pong and FeedbackCommand -> CommandAck, by turns; with
    `busy_poll_us`, every receive on both sides of both looks for its frame that long before sleeping."""
    spin = int(busy_poll_us * 1000)
    a, b = mp.Pipe()
    p = mp.get_context("spawn").Process(target=_child_responder, args=(reply_size, b))
    p.start()
    bare_address, dev_address = a.recv()
    bare = ctx.socket(zmq.DEALER)
    bare.setsockopt(zmq.LINGER, 0)
    bare.connect(bare_address)
    ctl = ControlEndpoint(ctx, _session(Role.CONTROLLER, "bench-controller"), dev_address)
    req = bytes(request_size)
    action = SetParameter(name="pump_power_mw", value=2.5)
    bare_p50, wire_p50 = [], []
    a.send(("handshake", 0, 0))
    ctl.start()
    while not ctl.session.established:
        ctl.poll(100)
    a.recv()
    for _ in range(repeats):
        # Turn by turn, a bare round trip then one of ours: both see the same moment of a shared machine.
        a.send(("turns", n + 100, spin))
        bare_out, wire_out = [], []
        for i in range(n + 100):
            t0 = time.perf_counter_ns()
            bare.send(req)
            _look(bare, spin)
            bare.recv()
            t1 = time.perf_counter_ns()
            cmd = ctl.session.command(action, apply_at_round=1000 + i, now_ns=time.monotonic_ns())
            ctl.send(cmd)
            while not (got := [m for m in ctl.poll(1000, spin) if isinstance(m, CommandAck)]):
                pass
            t2 = time.perf_counter_ns()
            assert got[0].command_id == cmd.command_id
            bare_out.append((t1 - t0) / 1000)
            wire_out.append((t2 - t1) / 1000)
        a.recv()
        bare_p50.append(statistics.median(bare_out[100:]))
        wire_p50.append(statistics.median(wire_out[100:]))
    a.send(None)
    p.join()
    bare.close(0)
    ctl.close()
    return bare_p50, wire_p50


def codec_us(reps: int, rounds: int = 5) -> tuple[dict[str, float], dict[str, float]]:
    """Encode and decode time per message (us) of every golden message: best of `rounds` runs of `reps`."""
    enc, dec = {}, {}
    for name, msg in golden_messages().items():
        frame = encode(msg)
        for label, fn, arg, out in (("enc", encode, msg, enc), ("dec", decode, frame, dec)):
            best = float("inf")
            for _ in range(rounds):
                t0 = time.perf_counter()
                for _ in range(reps):
                    fn(arg)
                best = min(best, (time.perf_counter() - t0) / reps)
            out[name] = round(best * 1e6, 2)
    return enc, dec


def main() -> int:
    """Run every measurement and print the JSON result."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=300, help="timed batches of 65,536 tags per throughput run")
    ap.add_argument("--round-trips", type=int, default=1000, help="timed round trips per RTT run")
    ap.add_argument("--repeats", type=int, default=15, help="bare/ours pairs per measurement (their median is reported)")
    args = ap.parse_args()
    t_start = time.perf_counter()
    ctx = zmq.Context()
    tags = [make_tags(BATCH, seed) for seed in range(DISTINCT)]
    cmd_size = len(encode(FeedbackCommand(command_id=1000, apply_at_round=2000, seq=5, t_send_ns=time.time_ns(),
                                          action=SetParameter(name="pump_power_mw", value=2.5))))
    ack_size = len(encode(CommandAck(command_id=1000, status=CommandStatus.APPLIED, applied_round=2000, detail="",
                                     seq=5, t_send_ns=time.time_ns())))
    tp = throughput_pairs(ctx, tags, args.batches, args.repeats)
    bare_rtt, wire_rtt = rtt_pairs(ctx, cmd_size, ack_size, args.round_trips, args.repeats, BUSY_POLL_US)
    bare_sleeping, wire_sleeping = rtt_pairs(ctx, cmd_size, ack_size, args.round_trips, args.repeats)
    enc, dec = codec_us(1000)
    ctx.term()
    # Ratios of runs measured back to back, then the median: cancels most of the load of a shared machine.
    ratios = {m: [w / b for w, b in zip(tp[m], tp["bare"])] for m in ("wire_in_place", "wire_copying")}
    result = {
        "setup": "two processes, tcp loopback 127.0.0.1; sender/controller in the parent, receiver/device in a spawned child",
        "throughput_ratio": round(statistics.median(ratios["wire_in_place"]), 3),
        "throughput_ratio_copying": round(statistics.median(ratios["wire_copying"]), 3),
        "throughput_ratios": [round(x, 3) for x in ratios["wire_in_place"]],
        "throughput_tags_per_s": round(statistics.median(tp["wire_in_place"])),
        "throughput_copying_tags_per_s": round(statistics.median(tp["wire_copying"])),
        "bare_throughput_tags_per_s": round(statistics.median(tp["bare"])),
        "batch_tags": BATCH,
        "rtt_overhead_us_p50": round(statistics.median([w - b for w, b in zip(wire_rtt, bare_rtt)]), 1),
        "rtt_us_p50": round(statistics.median(wire_rtt), 1),
        "bare_rtt_us_p50": round(statistics.median(bare_rtt), 1),
        "rtt_busy_poll_us": BUSY_POLL_US,
        "rtt_overhead_sleeping_us_p50": round(statistics.median([w - b for w, b in zip(wire_sleeping, bare_sleeping)]), 1),
        "rtt_sleeping_us_p50": round(statistics.median(wire_sleeping), 1),
        "bare_rtt_sleeping_us_p50": round(statistics.median(bare_sleeping), 1),
        "command_frame_bytes": cmd_size,
        "ack_frame_bytes": ack_size,
        "encode_us": enc,
        "decode_us": dec,
        "repeats": args.repeats,
        "runtime_s": round(time.perf_counter() - t_start, 1),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
