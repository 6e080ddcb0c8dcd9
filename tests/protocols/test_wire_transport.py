"""The ZeroMQ shell with real sockets: order, high-water-mark drops as MISSED_EVENTS, handshake, heartbeats,
commands, reconnects, version refusal and CURVE."""

import threading
import time

import msgpack
import numpy as np
import pytest
import zmq

from protocols.errors import WireError
from protocols.timetags import TIMETAG_DTYPE, RecordType, count_records
from protocols.wire import (
    ChannelMap,
    CodeSpec,
    CommandAck,
    CommandStatus,
    ControlEndpoint,
    ControlSession,
    Curve,
    DataReceiver,
    DataSender,
    ErrorCode,
    FeedbackCommand,
    QueuedRun,
    Refuse,
    Role,
    SessionConfig,
    SessionState,
    SetParameter,
    TimeTagBatch,
    decode,
    encode,
    load_keypair,
    make_keypair,
)

CODE = CodeSpec(family="rotated_surface", distance=3, rounds=3, basis="Z")


@pytest.fixture
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


def tags_for(round_, n, rng):
    t = np.zeros(n, TIMETAG_DTYPE)
    t["channel"] = rng.integers(0, 16, n)
    t["time_ps"] = round_ * 1_000_000 + np.sort(rng.integers(0, 1_000_000, n))
    return t


@pytest.mark.parametrize("scheme", ["ipc", "tcp"])
def test_batches_arrive_in_order_and_intact(ctx, tmp_path, scheme):
    address = f"ipc://{tmp_path}/data" if scheme == "ipc" else "tcp://127.0.0.1:*"
    tx = DataSender(ctx, address, hwm=1000)
    rx = DataReceiver(ctx, tx.address)
    try:
        assert tx.wait_ready()
        rng = np.random.default_rng(3)
        sent = [tags_for(r, int(rng.integers(0, 3000)), rng) for r in range(60)]
        for r, t in enumerate(sent):
            assert tx.send_batch(r, 1, t)
        for r, t in enumerate(sent):
            msg = rx.recv(timeout_ms=5000)
            assert isinstance(msg, TimeTagBatch) and msg.seq == r and msg.first_round == r
            assert np.array_equal(msg.tags, t) and not msg.tags.flags.writeable
        assert rx.recv(timeout_ms=50) is None
        assert rx.stats["seq_gaps"] == 0 and rx.stats["records"] == sum(map(len, sent)) and rx.codec.total_rejected == 0
    finally:
        tx.close()
        rx.close()


def test_high_water_mark_drops_become_missed_events_for_every_tag(ctx):
    tx = DataSender(ctx, "tcp://127.0.0.1:*", hwm=1)
    rx = DataReceiver(ctx, tx.address, hwm=1)
    try:
        assert tx.wait_ready()
        rng = np.random.default_rng(11)
        sent = [tags_for(r, 16384, rng) for r in range(120)]  # 120 x 256 KiB while nobody reads
        ok = [tx.send_batch(r, 1, t) for r, t in enumerate(sent)]
        assert not all(ok), "the high-water mark was never reached; the test did not test anything"
        assert tx.stats["dropped_batches"] == ok.count(False)
        got = []
        while (m := rx.recv(timeout_ms=300)) is not None:
            got.append(m)
        assert tx.flush(len(sent), timeout_s=5.0)
        while (m := rx.recv(timeout_ms=300)) is not None:
            got.append(m)
        all_tags = np.concatenate([m.tags for m in got])
        kinds = all_tags["type"]
        missed = all_tags[kinds == RecordType.MISSED_EVENTS]
        assert len(missed) > 0
        # Every tag ever sent is either received or counted as missed, per channel.
        sent_all = np.concatenate(sent)
        for ch in range(16):
            received = np.count_nonzero((kinds == RecordType.TAG) & (all_tags["channel"] == ch))
            lost = int(missed["missed"][missed["channel"] == ch].sum())
            assert received + lost == np.count_nonzero(sent_all["channel"] == ch)
        assert count_records(all_tags)[1] == tx.stats["dropped_events"] and rx.stats["seq_gaps"] == 0
        assert [m.seq for m in got] == list(range(len(got)))
    finally:
        tx.close()
        rx.close()


def session(role, name, hb=40, **kw):
    return ControlSession(SessionConfig(endpoint=name, role=role, code=CODE, channel_map=ChannelMap.from_pairs({0: (0, 1)}),
                                        clock_hz=1e6, epoch_ns=0, heartbeat_ms=hb, **kw))


def pump(*endpoints, until, timeout_s=3.0):
    out = {id(e): [] for e in endpoints}
    deadline = time.monotonic() + timeout_s
    while not until():
        assert time.monotonic() < deadline, "condition not reached in time"
        for e in endpoints:
            out[id(e)] += e.poll(5)
    return [out[id(e)] for e in endpoints]


def test_handshake_command_ack_and_heartbeats_over_tcp(ctx):
    dev = ControlEndpoint(ctx, session(Role.DEVICE, "emulator"), "tcp://127.0.0.1:*")
    ctl = ControlEndpoint(ctx, session(Role.CONTROLLER, "controller"), dev.address)
    try:
        ctl.start()
        pump(dev, ctl, until=lambda: ctl.session.established and dev.session.established)
        cmd = ctl.session.command(SetParameter(name="pump_mw", value=3.0), apply_at_round=10, now_ns=time.monotonic_ns())
        ctl.send(cmd)
        (got,), _ = pump(dev, ctl, until=lambda: len(dev.session.inbox) or dev.session.stats["rx_feedback_command"])
        assert got == cmd
        dev.send(dev.session.acknowledge(cmd.command_id, CommandStatus.APPLIED, 10, time.monotonic_ns()))
        _, acks = pump(dev, ctl, until=lambda: not ctl.session.pending)
        assert isinstance(acks[0], CommandAck) and acks[0].command_id == cmd.command_id
        t_end = time.monotonic() + 0.3
        pump(dev, ctl, until=lambda: time.monotonic() > t_end)
        assert dev.session.stats["rx_heartbeat"] >= 3 and ctl.session.stats["rx_heartbeat"] >= 3
        assert ctl.session.established and dev.session.established
    finally:
        dev.close()
        ctl.close()


def test_busy_polling_endpoints_take_a_command_arriving_while_they_look(ctx, tmp_path):
    dev = ControlEndpoint(ctx, session(Role.DEVICE, "emulator", hb=1000), f"ipc://{tmp_path}/control")
    ctl = ControlEndpoint(ctx, session(Role.CONTROLLER, "controller", hb=1000), dev.address)
    try:
        ctl.start()
        pump(dev, ctl, until=lambda: ctl.session.established and dev.session.established)
        cmd = ctl.session.command(SetParameter(name="pump_mw", value=3.0), apply_at_round=10, now_ns=time.monotonic_ns())
        threading.Timer(0.05, ctl.send, args=(cmd,)).start()  # sent while the device looks
        got = []
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            got = dev.poll(1000, busy_poll_ns=2_000_000_000)
        assert got == [cmd]
        t0 = time.monotonic()
        assert dev.poll(30, busy_poll_ns=10**10) == []  # nothing comes: the look ends with the timeout
        assert time.monotonic() - t0 < 5
    finally:
        dev.close()
        ctl.close()


def test_controller_reconnects_after_device_restart(ctx, tmp_path):
    address = f"ipc://{tmp_path}/control"
    dev = ControlEndpoint(ctx, session(Role.DEVICE, "emulator"), address)
    ctl = ControlEndpoint(ctx, session(Role.CONTROLLER, "controller"), address)
    try:
        ctl.start()
        pump(dev, ctl, until=lambda: ctl.session.established)
        dev.close()  # the device dies
        pump(ctl, until=lambda: ctl.reconnects >= 1)
        assert ctl.session.state is SessionState.HELLO_SENT
        dev = ControlEndpoint(ctx, session(Role.DEVICE, "emulator"), address)  # and comes back
        pump(dev, ctl, until=lambda: ctl.session.established and dev.session.established)
        assert ctl.session.stats["timeouts"] >= 1
    finally:
        dev.close()
        ctl.close()


def test_other_version_is_refused_naming_both(ctx):
    dev = ControlEndpoint(ctx, session(Role.DEVICE, "emulator"), "tcp://127.0.0.1:*")
    raw = ctx.socket(zmq.DEALER)
    raw.connect(dev.address)
    try:
        raw.send(msgpack.packb({"v": 2, "kind": 1, "seq": 0, "t_send_ns": 0, "hello": "from the future"}))
        pump(dev, until=lambda: dev.codec.total_rejected == 1)
        assert raw.poll(3000)
        reply = decode(raw.recv())
        assert isinstance(reply, Refuse) and reply.code is ErrorCode.VERSION
        assert "version 2" in reply.message and "version 1" in reply.message
        assert not dev.session.established
    finally:
        raw.close(0)
        dev.close()


def test_non_loopback_without_curve_is_refused(ctx):
    for address in ("tcp://0.0.0.0:*", "tcp://*:*"):
        with pytest.raises(WireError, match="not a loopback address and no CURVE keys"):
            DataSender(ctx, address)
    with pytest.raises(WireError, match="not a loopback"):
        DataReceiver(ctx, "tcp://192.0.2.1:5555")


def test_curve_encrypted_data_path(ctx, tmp_path):
    make_keypair(tmp_path / "srv", "device")
    make_keypair(tmp_path / "cli", "controller")
    srv, cli = load_keypair(tmp_path / "srv", "device"), load_keypair(tmp_path / "cli", "controller")
    tx = DataSender(ctx, "tcp://127.0.0.1:*", curve=Curve(srv))
    rx = DataReceiver(ctx, tx.address, curve=Curve(cli, server_public=srv.public))
    wrong = DataReceiver(ctx, tx.address, curve=Curve(cli, server_public=cli.public))  # wrong server key
    try:
        assert tx.wait_ready(5.0)
        t = tags_for(0, 100, np.random.default_rng(0))
        assert tx.send_batch(0, 1, t)
        msg = rx.recv(timeout_ms=5000)
        assert isinstance(msg, TimeTagBatch) and np.array_equal(msg.tags, t)
        assert wrong.recv(timeout_ms=200) is None  # the handshake with a wrong server key never completes
        # The busy-polling receive (libzmq called from compiled code) reads the same decrypted frames.
        assert tx.send_batch(1, 1, t[:50])
        run = rx.recv_run(10, 5000, busy_poll_ns=5_000_000_000)
        assert (run.first_round, run.n_rounds) == (1, 1) and np.array_equal(run.tags, t[:50])
        assert rx.intake_frames == 1
    finally:
        for s in (tx, rx, wrong):
            s.close()


def test_control_send_without_peer_raises(ctx):
    dev = ControlEndpoint(ctx, session(Role.DEVICE, "emulator"), "tcp://127.0.0.1:*")
    try:
        with pytest.raises(WireError, match="no controller connected"):
            dev.send(FeedbackCommand(command_id=1, apply_at_round=1, action=SetParameter(name="x", value=1.0)))
    finally:
        dev.close()


def test_receiver_thread_sees_every_large_batch_in_order(ctx):
    tx = DataSender(ctx, "tcp://127.0.0.1:*", hwm=2)
    rx = DataReceiver(ctx, tx.address, hwm=2)
    rng = np.random.default_rng(5)
    sent = [tags_for(r, 65536, rng) for r in range(20)]
    got = []
    th = threading.Thread(target=lambda: [got.append(rx.recv(5000)) for _ in sent])
    try:
        th.start()
        for r, t in enumerate(sent):
            assert tx.wait_ready(5.0)  # a sender that prefers waiting to dropping checks for room first
            assert tx.send_batch(r, 1, t)
        th.join(10)
        assert [m.first_round for m in got] == list(range(20))
        assert all(np.array_equal(m.tags, t) for m, t in zip(got, sent))
        assert tx.stats["dropped_batches"] == 0 and sum(count_records(m.tags)[1] for m in got) == 0
    finally:
        th.join(10)
        tx.close()
        rx.close()


def test_in_place_batches_are_canonical_frames(ctx):
    tx = DataSender(ctx, "tcp://127.0.0.1:*", hwm=64)
    raw = ctx.socket(zmq.PULL)
    raw.connect(tx.address)
    try:
        assert tx.wait_ready()
        rng = np.random.default_rng(9)
        sent = []
        for r, n in enumerate([70_000, 3_000, 40_000, 70_000]):  # large (in place) and small (packed) batches
            batch = tx.allocate(n)
            src = tags_for(r, n, rng)
            batch[:] = src
            keep = n - 5 if r == 3 else n  # a prefix of an allocated batch is sent in place too
            assert tx.send_batch(r, 1, batch[:keep])
            sent.append(src[:keep])
        for r, src in enumerate(sent):
            assert raw.poll(5000)
            frame = raw.recv()
            msg = decode(frame)
            assert msg.first_round == r and np.array_equal(msg.tags, src)
            assert encode(msg) == frame  # the envelope written in place is the canonical encoding
    finally:
        raw.close(0)
        tx.close()


def test_ipc_address_in_private_temp_dir(ctx):
    import os
    import stat

    from protocols.wire import ipc_address

    address = ipc_address("data")
    directory = os.path.dirname(address[len("ipc://"):])
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    tx = DataSender(ctx, address)
    rx = DataReceiver(ctx, address)
    try:
        assert tx.wait_ready() and tx.send_batch(0, 1, np.zeros(3, TIMETAG_DTYPE))
        assert isinstance(rx.recv(5000), TimeTagBatch)
    finally:
        tx.close()
        rx.close()
        import shutil

        shutil.rmtree(directory, ignore_errors=True)
    with pytest.raises(WireError, match="without '/'"):
        ipc_address("a/b")


def test_syndrome_frames_in_order_and_drops_seen_as_round_gaps(ctx):
    from protocols.wire import SyndromeFrame

    tx = DataSender(ctx, "tcp://127.0.0.1:*", hwm=1)
    rx = DataReceiver(ctx, tx.address, hwm=1)
    rng = np.random.default_rng(2)
    try:
        assert tx.wait_ready()
        bits = [(rng.random((10, 20000)) < 0.5, rng.random((10, 20000)) < 0.01) for _ in range(3)]
        frames = [SyndromeFrame.from_bits(10 * k, *bits[k % 3])
                  for k in range(300)]  # 300 x 50 KB while nobody reads: some must be dropped
        ok = [tx.send_syndromes(f) for f in frames]
        assert not all(ok) and tx.stats["dropped_rounds"] == 10 * ok.count(False)
        got = []
        while (m := rx.recv(timeout_ms=300)) is not None:
            got.append(m)
        assert [m.first_round for m in got] == [f.first_round for f, sent in zip(frames, ok) if sent]
        sent_frames = [f for f, sent in zip(frames, ok) if sent]
        assert all(np.array_equal(m.measurements, f.measurements) and np.array_equal(m.erasures, f.erasures)
                   for m, f in zip(got, sent_frames))
        last = got[-1].first_round + 10
        assert rx.stats["round_gaps"] + rx.stats["rounds"] + got[0].first_round == last
        assert rx.stats["seq_gaps"] == 0
    finally:
        tx.close()
        rx.close()


def _frames_for_run(rng):
    """A device's queue: rounds 0-2, a junk frame, round 3 valid but with its envelope keys out of order (not
    for the fast path), round 4 as a large batch, rounds 5-6 in one batch, then round 8 (a gap) and round 9."""
    def frame(r, n_rounds, n_tags, seq):
        return encode(TimeTagBatch(first_round=r, n_rounds=n_rounds, tags=tags_for(r, n_tags, rng), seq=seq,
                                   t_send_ns=1_000 + seq))
    frames = [frame(0, 1, 40, 0), frame(1, 1, 40, 1), frame(2, 1, 0, 2), b"\x00\x01"]
    canonical = frame(3, 1, 40, 3)
    body = msgpack.unpackb(canonical)
    frames.append(msgpack.packb({"kind": body.pop("kind"), **body}, use_bin_type=True))
    frames += [frame(4, 1, 3000, 4), frame(5, 2, 80, 5), frame(8, 1, 40, 6), frame(9, 1, 40, 7)]
    return frames, canonical


def test_take_run_joins_queued_batches_as_taking_them_one_by_one_would(ctx, tmp_path):
    from protocols.wire.limits import DEFAULT_LIMITS
    from protocols.wire.native import timetag_batch_fields

    frames, canonical = _frames_for_run(np.random.default_rng(5))
    assert timetag_batch_fields(frames[4], DEFAULT_LIMITS) is None
    assert timetag_batch_fields(canonical, DEFAULT_LIMITS) is not None
    assert decode(frames[4]) == decode(canonical)  # the generic path accepts what the shortcut leaves to it
    receivers, pushers = [], []
    for name in ("run", "one_by_one", "recv_run"):
        push = ctx.socket(zmq.PUSH)
        push.bind(f"ipc://{tmp_path}/{name}")
        rx = DataReceiver(ctx, f"ipc://{tmp_path}/{name}")
        pushers.append(push)
        receivers.append(rx)
    try:
        time.sleep(0.2)
        for push in pushers:
            for f in frames:
                push.send(f)
        time.sleep(0.3)  # all queued at the receivers
        run_rx, ref_rx, recv_run_rx = receivers
        first = run_rx.recv(2000)
        assert first.first_round == 0
        run = run_rx.take_run(1, 100)
        assert run.n_rounds == 6 and len(run.t_send_ns) == 5
        assert isinstance(run.held, TimeTagBatch) and run.held.first_round == 8
        assert not run.tags.flags.writeable
        rest = run_rx.take_queued()
        assert rest.first_round == 9 and run_rx.take_queued() is None

        ref = [m for m in iter(lambda: ref_rx.recv(500), None)]
        assert [m.first_round for m in ref] == [0, 1, 2, 3, 4, 5, 8, 9]
        assert run.tags.tobytes() == np.concatenate([m.tags for m in ref[1:6]]).tobytes()
        assert run.t_send_ns == [m.t_send_ns for m in ref[1:6]]
        assert dict(run_rx.stats) == dict(ref_rx.stats)  # batches, records, rejected, seq gaps: all alike
        assert run_rx.stats["rejected"] == 1 and run_rx.stats["batches"] == 8
        assert (run_rx.codec.accepted, run_rx.codec.total_rejected) == (ref_rx.codec.accepted, ref_rx.codec.total_rejected)

        # recv_run: the first batch and the run behind it in one call, as recv then take_run give them.
        both = recv_run_rx.recv_run(100, 2000)
        assert isinstance(both, QueuedRun) and (both.first_round, both.n_rounds) == (0, 7)
        assert both.tags.tobytes() == np.concatenate([m.tags for m in ref[:6]]).tobytes()
        assert both.t_send_ns == [m.t_send_ns for m in ref[:6]] and not both.tags.flags.writeable
        assert isinstance(both.held, TimeTagBatch) and both.held.first_round == 8
        nxt = recv_run_rx.recv_run(100, 2000)
        assert isinstance(nxt, QueuedRun) and (nxt.first_round, nxt.n_rounds, nxt.held) == (9, 1, None)
        assert nxt.tags.tobytes() == ref[7].tags.tobytes()
        assert recv_run_rx.recv_run(100, 50) is None  # nothing more: None after the timeout
        t0 = time.monotonic()
        assert recv_run_rx.recv_run(100, 50, busy_poll_ns=10**10) is None  # the look ends with the timeout
        assert time.monotonic() - t0 < 5
        assert dict(recv_run_rx.stats) == dict(ref_rx.stats)
        assert recv_run_rx.codec.accepted == ref_rx.codec.accepted
    finally:
        for s in (*pushers,):
            s.close(0)
        for rx in receivers:
            rx.close()


def test_recv_run_hands_over_what_starts_no_run_as_a_message(ctx, tmp_path):
    from protocols.wire import SyndromeFrame

    rng = np.random.default_rng(7)
    push = ctx.socket(zmq.PUSH)
    push.bind(f"ipc://{tmp_path}/data")
    rx = DataReceiver(ctx, f"ipc://{tmp_path}/data")
    try:
        bits = np.zeros((1, 1), np.uint8)
        frames = [
            encode(SyndromeFrame(first_round=0, n_rounds=1, n_measurements=4, measurements=bits, erasures=bits,
                                 seq=0, t_send_ns=0)),
            encode(TimeTagBatch(first_round=1, n_rounds=1, tags=tags_for(1, 3000, rng), seq=1, t_send_ns=0)),  # large
            encode(TimeTagBatch(first_round=2, n_rounds=8, tags=tags_for(2, 40, rng), seq=2, t_send_ns=0)),  # > max
            b"\x00\x01",  # junk: counted and skipped
            encode(TimeTagBatch(first_round=10, n_rounds=1, tags=tags_for(10, 40, rng), seq=3, t_send_ns=7)),
        ]
        time.sleep(0.2)
        threading.Timer(0.05, lambda: [push.send(f) for f in frames]).start()  # arrives while it looks
        got = [rx.recv_run(4, 2000, busy_poll_ns=2_000_000_000) for _ in range(4)]
        assert isinstance(got[0], SyndromeFrame)
        assert isinstance(got[1], TimeTagBatch) and got[1].first_round == 1 and len(got[1].tags) == 3000
        assert isinstance(got[2], TimeTagBatch) and (got[2].first_round, got[2].n_rounds) == (2, 8)
        assert isinstance(got[3], QueuedRun) and (got[3].first_round, got[3].n_rounds, got[3].t_send_ns) == (10, 1, [7])
        assert rx.stats["rejected"] == 1 and rx.stats["batches"] == 3 and rx.stats["frames"] == 1
    finally:
        push.close(0)
        rx.close()


@pytest.fixture
def data_pair(ctx, tmp_path):
    """A connected DataSender (high-water mark 100) and DataReceiver over ipc, closed afterwards."""
    tx = DataSender(ctx, f"ipc://{tmp_path}/data", hwm=100)
    rx = DataReceiver(ctx, tx.address)
    try:
        assert tx.wait_ready(5.0)
        yield tx, rx
    finally:
        tx.close()
        rx.close()


@pytest.mark.parametrize("ender", ["max_rounds", "no_rounds", "syndrome_frame", "nothing_queued"])
def test_take_run_stops_at_what_does_not_continue_the_run(data_pair, ender):
    from protocols.wire import SyndromeFrame

    rng = np.random.default_rng(6)
    tx, rx = data_pair
    for r in range(3):
        assert tx.send_batch(r, 1, tags_for(r, 10, rng))
    if ender == "no_rounds":
        assert tx.send_batch(3, 0, tags_for(3, 4, rng))
    elif ender == "syndrome_frame":
        bits = np.zeros((1, 1), np.uint8)
        assert tx.send_syndromes(SyndromeFrame(first_round=3, n_rounds=1, n_measurements=4, measurements=bits,
                                               erasures=bits, seq=0, t_send_ns=0))
    time.sleep(0.3)
    assert rx.recv(2000).first_round == 0
    run = rx.take_run(1, 1 if ender == "max_rounds" else 100)
    if ender == "max_rounds":
        assert (run.n_rounds, run.held) == (1, None)
        assert rx.take_queued().first_round == 2  # left queued
    else:
        assert run.n_rounds == 2
        if ender == "nothing_queued":
            assert run.held is None
        elif ender == "no_rounds":
            assert isinstance(run.held, TimeTagBatch) and run.held.n_rounds == 0
        else:
            assert isinstance(run.held, SyndromeFrame)


@pytest.mark.parametrize("sizes", [(5000,), (10, 5000), (5000, 10)])
def test_a_run_continued_by_large_batches_gives_time_tag_records(data_pair, sizes):
    # Large batches (the emulator's default: many blocks per message) take the message path; a run made of
    # them, alone or with small ones, must still come back as TIMETAG_DTYPE records, in order.
    rng = np.random.default_rng(8)
    tx, rx = data_pair
    sent = [tags_for(r, n, rng) for r, n in enumerate((10, *sizes))]
    for r, t in enumerate(sent):
        assert tx.send_batch(r, 1, t)
    time.sleep(0.3)
    assert rx.recv(2000).first_round == 0
    run = rx.take_run(1, 100)
    assert run.n_rounds == len(sizes) and run.tags.dtype == TIMETAG_DTYPE
    assert np.array_equal(run.tags, np.concatenate(sent[1:]))


@pytest.mark.parametrize("n_tags", [10, 5000])
def test_sender_never_drops_what_a_consumer_keeping_up_has_room_for(ctx, tmp_path, n_tags):
    # One batch in flight at a time, far below the high-water mark: every send must be queued. (A non-blocking
    # send alone can see the room the receiver freed only late: ZeroMQ hands the sender the peer's credit as
    # commands it processes now and then, so a sender that never asks ZMQ_EVENTS would drop here.)
    rng = np.random.default_rng(8)
    tx = DataSender(ctx, f"ipc://{tmp_path}/data", hwm=4)
    rx = DataReceiver(ctx, tx.address, hwm=4)
    try:
        assert tx.wait_ready(5.0)
        batch = tags_for(0, n_tags, rng)
        for r in range(300):
            assert tx.send_batch(r, 1, batch), f"batch {r} dropped: {tx.stats}"
            msg = rx.recv(2000)
            assert msg is not None and msg.first_round == r
    finally:
        tx.close()
        rx.close()


def test_syndrome_sender_never_drops_what_a_consumer_keeping_up_has_room_for(ctx, tmp_path):
    # As for time-tag batches: one frame in flight, far below the high-water mark, so none may be refused.
    from protocols.wire import SyndromeFrame

    rng = np.random.default_rng(9)
    tx = DataSender(ctx, f"ipc://{tmp_path}/data", hwm=4)
    rx = DataReceiver(ctx, tx.address, hwm=4)
    try:
        assert tx.wait_ready(5.0)
        bits = rng.random((2, 24)) < 0.5
        for r in range(300):
            assert tx.send_syndromes(SyndromeFrame.from_bits(2 * r, bits, ~bits)), f"frame {r} dropped: {tx.stats}"
            msg = rx.recv(2000)
            assert msg is not None and msg.first_round == 2 * r
    finally:
        tx.close()
        rx.close()


@pytest.mark.parametrize("hwm", [2, 4])
def test_control_path_never_refuses_what_a_peer_keeping_up_has_room_for(ctx, tmp_path, hwm):
    # Commands and acks one at a time, far below the high-water mark: no send may fail (each side's sends
    # act on the credit its peer's reads gave; a send that does not ask ZMQ_EVENTS can see it late).
    address = f"ipc://{tmp_path}/control"
    dev = ControlEndpoint(ctx, session(Role.DEVICE, "emulator", hb=10_000), address, hwm=hwm)
    ctl = ControlEndpoint(ctx, session(Role.CONTROLLER, "controller", hb=10_000), address, hwm=hwm)
    try:
        ctl.start()
        pump(dev, ctl, until=lambda: ctl.session.established and dev.session.established)
        action = SetParameter(name="pump_mw", value=3.0)
        for i in range(300):
            cmd = ctl.session.command(action, apply_at_round=i, now_ns=time.monotonic_ns())
            ctl.send(cmd)
            ((got,),) = pump(dev, until=lambda: dev.session.stats["rx_feedback_command"] > i)
            dev.send(dev.session.acknowledge(got.command_id, CommandStatus.APPLIED, i, time.monotonic_ns()))
            pump(ctl, until=lambda: not ctl.session.pending)
        assert ctl.session.stats["control_send_failed"] == dev.session.stats["control_send_failed"] == 0
    finally:
        dev.close()
        ctl.close()


def test_endpoints_stamp_the_frames_they_hand_to_and_take_from_zeromq(ctx, tmp_path):
    """The wire stamps a device times its controller's reaction with (bench/loop_latency.py): a data send
    stamps only a frame ZeroMQ took, a control receive stamps the frame before it is decoded."""
    dev = ControlEndpoint(ctx, session(Role.DEVICE, "emulator", hb=1000), f"ipc://{tmp_path}/control")
    ctl = ControlEndpoint(ctx, session(Role.CONTROLLER, "controller", hb=1000), dev.address)
    tx = DataSender(ctx, f"ipc://{tmp_path}/data", bind=True, hwm=1)
    rx = DataReceiver(ctx, tx.address, hwm=1)  # never reads: the queue fills
    try:
        assert tx.last_send_ns == 0 and dev.last_recv_ns == 0
        assert tx.wait_ready(5)
        t0 = time.monotonic_ns()
        assert tx.send_batch(0, 1, tags_for(0, 3, np.random.default_rng(1)))
        t1 = time.monotonic_ns()
        assert t0 <= tx.last_send_ns <= t1
        stamped = tx.last_send_ns
        while tx.send_batch(1, 1, tags_for(1, 3, np.random.default_rng(2))):
            stamped = tx.last_send_ns  # queued until the high-water mark refuses one
        assert tx.last_send_ns == stamped and tx.stats["dropped_batches"] == 1  # the refused frame left it alone
        ctl.start()
        pump(dev, ctl, until=lambda: ctl.session.established and dev.session.established)
        cmd = ctl.session.command(SetParameter(name="pump_mw", value=3.0), apply_at_round=10, now_ns=time.monotonic_ns())
        t_sent = time.monotonic_ns()
        ctl.send(cmd)
        got = []
        while not got:
            got = dev.poll(1000)
            t_back = time.monotonic_ns()
        assert got == [cmd] and t_sent <= dev.last_recv_ns <= t_back
        ctl.send(cmd)  # the same frame again (never acknowledged, so the device takes it again): stamped too
        t_dup = time.monotonic_ns()
        pump(dev, until=lambda: dev.last_recv_ns > t_dup, timeout_s=5)
    finally:
        rx.close()
        tx.close()
        dev.close()
        ctl.close()
