"""The compiled intake (busy-polling recv_run) gives exactly what the Python path gives, frame by frame."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator

import msgpack
import numpy as np
import pytest
import zmq

from protocols.timetags import TIMETAG_DTYPE
from protocols.wire import DataReceiver, QueuedRun, SyndromeFrame, TimeTagBatch, decode, encode
from protocols.wire.codec import timetag_batch_head
from protocols.wire.intake import Intake, _find_libzmq

LOOK_NS = 2_000_000_000  # longer than any test waits: a look that ends early is the behaviour under test


@pytest.fixture
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(0)


def tags_for(r: int, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.zeros(n, TIMETAG_DTYPE)
    t["time_ps"] = np.sort(rng.integers(r * 1_000_000, (r + 1) * 1_000_000, n))
    t["channel"] = rng.integers(0, 50, n)
    return t


def _batch(r: int, n_rounds: int, tags: np.ndarray, seq: int) -> bytes:
    return encode(TimeTagBatch(first_round=r, n_rounds=n_rounds, tags=tags, seq=seq, t_send_ns=1_000 + seq))


def _queue(rng: np.random.Generator) -> list[bytes]:
    """Every kind of frame a run meets: canonical one-round batches, a junk frame, a valid batch the kernel
    leaves to Python (keys out of order; integers in wider forms than needed), a large batch, a two-round
    batch, a gap in seq and in rounds, a sender restart, a batch of no rounds, another message, a batch
    over max_rounds, and one whose seq is too large for the kernel."""
    bits = np.zeros((1, 1), np.uint8)
    out = [_batch(0, 1, tags_for(0, 40, rng), 0), _batch(1, 1, tags_for(1, 40, rng), 1),
           _batch(2, 1, tags_for(2, 0, rng), 2), b"\x00\x01"]
    body = msgpack.unpackb(_batch(3, 1, tags_for(3, 40, rng), 3))
    out.append(msgpack.packb({"kind": body.pop("kind"), **body}, use_bin_type=True))
    t4 = tags_for(4, 20, rng)  # seq 4 as a u64 (0xcf): valid, not the shortest form
    head = timetag_batch_head(4, 1, 4, 1_004, t4.nbytes)
    out.append(head.replace(b"\xa3seq\x04", b"\xa3seq\xcf" + (4).to_bytes(8, "big")) + t4.tobytes())
    out += [_batch(5, 1, tags_for(5, 3000, rng), 5),  # large: the Python path views it
            _batch(6, 2, tags_for(6, 80, rng), 6),
            _batch(9, 1, tags_for(9, 40, rng), 9),  # seq 7, 8 and rounds 8 never sent
            _batch(10, 1, tags_for(10, 40, rng), 3),  # the sender restarted (seq back to 3)
            _batch(11, 0, tags_for(11, 0, rng), 4),  # no rounds: ends the run
            encode(SyndromeFrame(first_round=11, n_rounds=1, n_measurements=4, measurements=bits, erasures=bits,
                                 seq=5, t_send_ns=0)),
            _batch(12, 1, tags_for(12, 40, rng), 6), _batch(13, 50, tags_for(13, 40, rng), 7),  # over max_rounds
            _batch(63, 1, tags_for(63, 8, rng), (1 << 63) - 1), _batch(64, 1, tags_for(64, 8, rng), 1 << 63),
            _batch(65, 1, tags_for(65, 8, rng), 5)]
    return out


def _as_plain(got: object) -> tuple:
    if isinstance(got, QueuedRun):
        return ("run", got.first_round, got.n_rounds, got.tags.tobytes(), tuple(got.t_send_ns), _as_plain(got.held),
                got.tags.flags.writeable)
    if got is None:
        return (None,)
    return (type(got).__name__, encode(got))


@contextlib.contextmanager
def both_paths(ctx: zmq.Context, tmp_path, frames: list[bytes], **rx_kw) -> Iterator[tuple[DataReceiver, DataReceiver]]:
    """Two receivers, Python path and compiled, each with `frames` queued; closed afterwards."""
    pushers, receivers = [], []
    try:
        for name in ("python", "compiled"):
            push = ctx.socket(zmq.PUSH)
            push.setsockopt(zmq.SNDHWM, 0)
            push.bind(f"ipc://{tmp_path}/{name}")
            pushers.append(push)
            receivers.append(DataReceiver(ctx, f"ipc://{tmp_path}/{name}", hwm=1000, **rx_kw))
        assert receivers[1].prepare_intake()
        time.sleep(0.2)
        for push in pushers:
            for f in frames:
                push.send(f)
        time.sleep(0.3)  # all queued at both receivers
        yield receivers[0], receivers[1]
    finally:
        for s in pushers:
            s.close(0)
        for rx in receivers:
            rx.close()


def test_intake_is_available_exactly_where_pyzmq_s_libzmq_can_be_told():
    found = _find_libzmq()
    assert Intake.available() == (found is not None)
    if sys.platform.startswith("linux"):  # the loaded libraries are listed there: always found
        assert found is not None and "libzmq" in found


def test_busy_polling_recv_run_takes_what_the_python_path_takes(ctx, tmp_path):
    frames = _queue(np.random.default_rng(11))
    with both_paths(ctx, tmp_path, frames) as (py, compiled):
        ours = [_as_plain(compiled.recv_run(4, 2000, busy_poll_ns=LOOK_NS)) for _ in range(6)]
        ref = [_as_plain(py.recv_run(4, 2000)) for _ in range(6)]
        ours.append(_as_plain(compiled.recv_run(4, 50, busy_poll_ns=LOOK_NS)))
        ref.append(_as_plain(py.recv_run(4, 50)))
        assert ours == ref
        # Runs of at most 4 rounds: ended by max_rounds, a gap, a batch of no rounds (held), a batch over
        # max_rounds (held); the junk frame skipped; the syndrome frame as itself; then nothing.
        assert [r[0] if r[0] != "run" else r[1:3] for r in ref] == [
            (0, 4), (4, 4), (9, 2), "SyndromeFrame", (12, 1), (63, 3), None]
        assert ref[2][5][0] == ref[4][5][0] == "TimeTagBatch" and ref[0][5] == ref[1][5] == ref[5][5] == (None,)
        assert not any(r[6] for r in ref if r[0] == "run")  # read-only records
        assert dict(compiled.stats) == dict(py.stats)
        assert compiled.stats["rejected"] == 1 and compiled.stats["seq_gaps"] and compiled.stats["sender_restarts"]
        assert (compiled.codec.accepted, compiled.codec.total_rejected) == (py.codec.accepted, py.codec.total_rejected)
        assert compiled._expect_seq == py._expect_seq
        # Taken in the kernel: rounds 0, 1, 2, 4 (a wide seq is still canonical enough), 6, 9, 10, 12.
        assert compiled.intake_frames == 8 and py.intake_frames == 0


def test_a_run_waits_within_its_look_for_the_round_that_completes_it(ctx, tmp_path):
    rng = np.random.default_rng(3)
    push = ctx.socket(zmq.PUSH)
    push.bind(f"ipc://{tmp_path}/data")
    rx = DataReceiver(ctx, f"ipc://{tmp_path}/data")
    frames = [_batch(r, 1, tags_for(r, 30, rng), r) for r in range(12)]

    def send_slowly() -> None:
        for f in frames:
            push.send(f)
            time.sleep(0.01)  # far longer than a receive: without until_round the run would end at once

    try:
        time.sleep(0.2)
        threading.Thread(target=send_slowly).start()
        first = rx.recv_run(100, 2000, busy_poll_ns=LOOK_NS, until_round=6)
        assert isinstance(first, QueuedRun) and (first.first_round, first.n_rounds) == (0, 6)
        second = rx.recv_run(100, 2000, busy_poll_ns=LOOK_NS, until_round=12)
        assert (second.first_round, second.n_rounds) == (6, 6)
        assert np.array_equal(np.concatenate([first.tags, second.tags]), np.concatenate([decode_tags(f) for f in frames]))
        t0 = time.monotonic()
        assert rx.recv_run(100, 100, busy_poll_ns=30_000_000, until_round=20) is None  # nothing more comes
        assert 0.09 < time.monotonic() - t0 < 5
        # A run that cannot reach until_round within the look is handed over as it is.
        push.send(_batch(12, 1, tags_for(12, 5, rng), 12))
        t0 = time.monotonic()
        part = rx.recv_run(100, 2000, busy_poll_ns=50_000_000, until_round=18)
        assert (part.first_round, part.n_rounds) == (12, 1) and 0.04 < time.monotonic() - t0 < 5
        assert rx.stats["batches"] == 13 and not rx.stats["seq_gaps"]
    finally:
        push.close(0)
        rx.close()


def decode_tags(frame: bytes) -> np.ndarray:
    return decode(frame).tags


def test_the_kernel_applies_the_receivers_limits_as_the_codec_does(ctx, tmp_path):
    from protocols.wire.limits import Limits

    limits = Limits(max_tags=16, max_frame_bytes=400)
    rng = np.random.default_rng(9)
    frames = [_batch(0, 1, tags_for(0, 10, rng), 0), _batch(1, 1, tags_for(1, 20, rng), 1),  # over max_tags
              _batch(2, 1, tags_for(2, 16, rng), 2), _batch(3, 1, tags_for(3, 8, rng), 3)]
    assert len(frames[1]) <= 400 < len(_batch(9, 1, tags_for(9, 30, rng), 9))
    frames.insert(2, _batch(9, 1, tags_for(9, 30, rng), 9))  # over max_frame_bytes
    with both_paths(ctx, tmp_path, frames, limits=limits) as (py, compiled):
        ours = [_as_plain(compiled.recv_run(8, 200, busy_poll_ns=LOOK_NS)) for _ in range(3)]
        ref = [_as_plain(py.recv_run(8, 200)) for _ in range(3)]
        assert ours == ref
        # The two refused frames are skipped (counted); round 1 was one of them, so round 2 ends the first run.
        assert [r[1:3] if r[0] == "run" else r[0] for r in ref] == [(0, 1), (3, 1), None]
        assert ref[0][5][0] == "TimeTagBatch" and decode(ref[0][5][1]).first_round == 2
        assert compiled.stats["rejected"] == py.stats["rejected"] == 2 and dict(compiled.stats) == dict(py.stats)
        assert compiled.intake_frames == 2  # rounds 0 and 3; round 2 ends a run, so it is built as a message


def _random_queue(rng: np.random.Generator, n: int) -> list[bytes]:
    """n frames a device might send: mostly small batches that continue, with gaps, repeats, restarts,
    junk, non-canonical forms, large batches, no-round batches and other messages mixed in."""
    bits = np.zeros((1, 1), np.uint8)
    out, r, seq = [], 0, 0
    for _ in range(n):
        kind = rng.choice(["small"] * 8 + ["gap", "back", "junk", "keys", "large", "empty", "syndrome", "multi"])
        if kind == "gap":
            r += int(rng.integers(1, 4))
        elif kind == "back":
            r = max(0, r - int(rng.integers(1, 3)))
        if kind == "junk":
            out.append(bytes(rng.integers(0, 256, int(rng.integers(1, 40)), dtype=np.uint8)))
            continue
        if kind == "syndrome":
            out.append(encode(SyndromeFrame(first_round=r, n_rounds=1, n_measurements=4, measurements=bits,
                                            erasures=bits, seq=seq, t_send_ns=seq)))
            seq += 1
            continue
        n_rounds = 0 if kind == "empty" else int(rng.integers(2, 4)) if kind == "multi" else 1
        frame = _batch(r, n_rounds, tags_for(r, 3000 if kind == "large" else int(rng.integers(0, 60)), rng), seq)
        if kind == "keys":
            body = msgpack.unpackb(frame)
            frame = msgpack.packb({"kind": body.pop("kind"), **body}, use_bin_type=True)
        out.append(frame)
        seq = seq + 1 if rng.random() > 0.05 else max(0, seq - 3)
        r += n_rounds
    return out


@pytest.mark.parametrize("seed", range(8))
def test_random_queues_come_out_alike_on_both_paths(ctx, tmp_path, seed):
    rng = np.random.default_rng(100 + seed)
    frames = _random_queue(rng, 60)
    max_rounds = int(rng.integers(1, 8))
    with both_paths(ctx, tmp_path, frames) as (py, compiled):
        ref, ours = [], []
        while True:
            a = _as_plain(py.recv_run(max_rounds, 30))
            b = _as_plain(compiled.recv_run(max_rounds, 30, busy_poll_ns=LOOK_NS))
            ref.append(a)
            ours.append(b)
            if a == (None,) or b == (None,):
                break
        assert ours == ref
        assert dict(compiled.stats) == dict(py.stats) and compiled.codec.accepted == py.codec.accepted
        assert compiled.intake_frames > 0
