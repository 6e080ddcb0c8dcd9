"""ZeroMQ transport: the data path (PUSH -> PULL) and the control path (DEALER <-> ROUTER).

Thin shells around the codec, the drop ledger and the control session; see SPEC.md sections 7, 9 and 13.
Every socket has explicit high-water marks and linger 0; sends never block: a data batch that meets the
high-water mark is dropped and reported in MISSED_EVENTS records of the next batch, a control message that
cannot be queued raises WireError. Addresses must be loopback unless CURVE keys are given.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import tempfile
import time
from typing import Any

import numpy as np
import zmq

from protocols.errors import WireError
from protocols.timetags import TIMETAG_DTYPE
from protocols.wire.codec import APPEND_MIN_BYTES, Codec, encode, encode_parts, timetag_batch_head
from protocols.wire.limits import DEFAULT_LIMITS, Limits
from protocols.wire.messages import Error, ErrorCode, Hello, HelloAck, Message, Role, SyndromeFrame, TimeTagBatch
from protocols.wire.framepool import FramePool
from protocols.wire.intake import Intake
from protocols.wire.missed import DropLedger
from protocols.wire.native import timetag_batch_fields
from protocols.wire.rejections import FrameRejected
from protocols.wire.security import Curve, apply_curve, check_address
from protocols.wire.session import ControlSession, SessionState

LOOPBACK = "tcp://127.0.0.1:*"  # bind here by default: loopback, port chosen by the OS
DATA_HWM = 16  # batches queued per direction before the sender drops (about 16 MiB at 64k tags)
CONTROL_HWM = 1000
_TICK_NS = 1_000_000
_NOBLOCK, _SNDMORE, _RCVTIMEO = int(zmq.NOBLOCK), int(zmq.SNDMORE), int(zmq.RCVTIMEO)  # plain ints: enum ops cost µs
_EVENTS, _POLLOUT, _POLLIN = int(zmq.EVENTS), int(zmq.POLLOUT), int(zmq.POLLIN)
_sched_yield = getattr(os, "sched_yield", lambda: None)  # not on every platform
_TIMED_OUT = SessionState.TIMED_OUT  # enum members read through their class cost ~0.2 µs each


def ipc_address(name: str, directory: str | None = None) -> str:
    """An ipc:// address in `directory`, or in a new private (mode 0700) temporary directory."""
    if not name or "/" in name:
        raise WireError(f"ipc_address: name {name!r} must be a non-empty file name without '/'")
    if directory is None:
        directory = tempfile.mkdtemp(prefix="quantacore-")  # mkdtemp creates it with mode 0700
    return f"ipc://{os.path.join(directory, name)}"


def _look(sock: zmq.Socket, busy_poll_ns: int, timeout_ms: int) -> int:
    """Look for a frame on `sock` for up to `busy_poll_ns` (within `timeout_ms`), yielding the CPU to any
    thread that wants it; the timeout (ms) left for the receive that follows."""
    # Why: a thread woken from a blocking receive waits for the scheduler and then runs on cold caches; on a
    # loaded 2-core host that costs more than the work of a round (bench/loop_latency.py, bench/transport.py).
    if sock.get(_EVENTS) & _POLLIN:
        return timeout_ms
    t0 = time.perf_counter_ns()
    end = t0 + min(busy_poll_ns, timeout_ms * 1_000_000)
    while not sock.get(_EVENTS) & _POLLIN:
        if time.perf_counter_ns() >= end:
            return max(0, timeout_ms - (end - t0) // 1_000_000)
        _sched_yield()
    return timeout_ms  # a frame is there: the receive returns at once, with the socket's timeout unchanged


def _socket(ctx: zmq.Context, kind: int, sndhwm: int, rcvhwm: int) -> zmq.Socket:
    s = ctx.socket(kind)
    s.setsockopt(zmq.SNDHWM, sndhwm)
    s.setsockopt(zmq.RCVHWM, rcvhwm)
    s.setsockopt(zmq.LINGER, 0)
    return s


def _attach(sock: zmq.Socket, address: str, bind: bool, curve: Curve | None, what: str) -> str:
    check_address(address, curve, what)
    apply_curve(sock, curve, server=bind)
    try:
        if bind:
            sock.bind(address)
            return sock.getsockopt_string(zmq.LAST_ENDPOINT)
        sock.connect(address)
    except zmq.ZMQError as e:
        sock.close(0)
        raise WireError(f"{what}: cannot {'bind' if bind else 'connect'} {address!r}: {e}") from e
    return address


class DataSender:
    """PUSH side of the data path: sends TimeTagBatch (or SyndromeFrame) messages without ever blocking."""

    def __init__(self, ctx: zmq.Context, address: str = LOOPBACK, *, bind: bool = True, hwm: int = DATA_HWM,
                 curve: Curve | None = None) -> None:
        self._sock = _socket(ctx, zmq.PUSH, hwm, hwm)
        self.address = _attach(self._sock, address, bind, curve, "data sender")
        self._poller = zmq.Poller()
        self._poller.register(self._sock, zmq.POLLOUT)
        self.ledger = DropLedger()
        self._pool = FramePool(hwm + 4)
        self.seq = 0  # advances only when a batch was queued: a seq gap at the receiver is transport loss
        self.sent_batches = 0
        self.sent_tags = 0
        self.sent_frames = 0
        self.dropped_frames = 0
        self.dropped_rounds = 0
        # When the latest frame was handed to ZeroMQ (time.monotonic_ns; 0: none yet): where a device that
        # times its controller's reaction starts the clock, after its own encoding (ControlEndpoint.last_recv_ns).
        self.last_send_ns = 0

    def allocate(self, n: int) -> np.ndarray:
        """A writable TIMETAG_DTYPE[n] batch inside a frame buffer: fill it and pass it (or a prefix of it) to
        send_batch, which then sends without copying the records. Do not touch it after send_batch."""
        return self._pool.lend(n)

    def wait_ready(self, timeout_s: float = 2.0) -> bool:
        """Wait until a receiver is connected and the queue has room (sends before that are dropped)."""
        if self._sock.get(_EVENTS) & _POLLOUT:
            return True
        return bool(self._poller.poll(int(timeout_s * 1000)))

    def send_batch(self, first_round: int, n_rounds: int, tags: np.ndarray) -> bool:
        """Queue one batch (TIMETAG_DTYPE[n]); False if it was dropped at the high-water mark (then counted)."""
        if self.ledger.pending_events:
            self._pool.give_back(tags)  # prepending the records copies the batch anyway
            tags = np.concatenate([self.ledger.take(), tags])
        lent = self._pool.lent_slot(tags)
        plain = (type(tags) is np.ndarray and (tags.dtype is TIMETAG_DTYPE or tags.dtype == TIMETAG_DTYPE)
                 and tags.ndim == 1)
        if lent is not None and not plain:
            lent = None  # a view of a lent buffer as something else: the general path checks and names it
        head = parts = None
        if lent is not None or (plain and tags.nbytes < APPEND_MIN_BYTES and tags.flags.c_contiguous):
            # The envelope straight from the fields: for a lent buffer written before its records, for a small
            # batch (a one-round message) joined with them. Both are the canonical encoding (codec tests).
            # Cheap enough that a full queue is found by the send itself (zmq.Again below), not asked first.
            head = timetag_batch_head(first_round, n_rounds, self.seq, time.time_ns(), tags.nbytes)
        if head is None:
            if not self._sock.get(_EVENTS) & _POLLOUT:
                self.ledger.drop(tags)  # full (or no peer yet): do not even encode
                self._pool.give_back(tags)
                return False
            try:
                parts = encode_parts(TimeTagBatch.create(first_round=first_round, n_rounds=n_rounds, tags=tags,
                                                         seq=self.seq, t_send_ns=time.time_ns()))
            except Exception:
                self._pool.give_back(tags)  # a refused batch does not keep its buffer lent
                raise
        try:
            if head is not None and lent is not None:  # records already in a frame buffer: envelope just before them
                frame = self._pool.frame_in_place(lent, [head], tags.nbytes)
                self._pool.sent(lent, self._send_checked(frame, copy=False, track=True), lent=True)
            elif head is not None:
                self._send_checked(b"".join((head, tags)))
            else:  # a small or caller-owned batch: encoded (and checked) as a message
                self._send_parts(parts)
                self._pool.give_back(tags)
        except zmq.Again:
            self.ledger.drop(tags)
            self._pool.give_back(tags)
            return False
        self.seq += 1
        self.sent_batches += 1
        self.sent_tags += len(tags)
        return True

    def _send_checked(self, frame: Any, copy: bool = True, track: bool = False) -> Any:
        """A non-blocking send that raises zmq.Again only when the queue is really full.

        Why: a send alone acts on the room ZeroMQ last heard of; the receiver's reads reach the sender as
        commands it processes only now and then, so a send can find the pipe "full" long after it drained.
        Asking ZMQ_EVENTS processes them: done only after a refusal, it costs nothing on the common path.
        """
        t = time.monotonic_ns()
        try:
            out = self._sock.send(frame, _NOBLOCK, copy=copy, track=track)
        except zmq.Again:
            if not self._sock.get(_EVENTS) & _POLLOUT:
                raise
            t = time.monotonic_ns()
            out = self._sock.send(frame, _NOBLOCK, copy=copy, track=track)
        self.last_send_ns = t  # only a frame ZeroMQ took
        return out

    def _send_parts(self, parts: list[Any]) -> None:
        """Send one encoded frame: small ones as they are, large ones from a reusable buffer without a copy."""
        if len(parts) == 1:
            self._send_checked(parts[0])
        else:
            frame, slot = self._pool.assemble(parts)
            self._pool.sent(slot, self._send_checked(frame, copy=False, track=True))

    def send_syndromes(self, frame: SyndromeFrame) -> bool:
        """Queue a syndrome frame (seq and t_send_ns are set here); False if dropped at the high-water mark,
        then counted in `dropped_frames`/`dropped_rounds` and visible to the receiver as a gap in rounds."""
        if self._sock.get(_EVENTS) & _POLLOUT:
            msg = SyndromeFrame.create(first_round=frame.first_round, n_rounds=frame.n_rounds,
                                       n_measurements=frame.n_measurements, measurements=frame.measurements,
                                       erasures=frame.erasures, seq=self.seq, t_send_ns=time.time_ns())
            try:
                self._send_parts(encode_parts(msg))
            except zmq.Again:
                pass
            else:
                self.seq += 1
                self.sent_frames += 1
                return True
        self.dropped_frames += 1
        self.dropped_rounds += frame.n_rounds
        return False

    def flush(self, round_: int, timeout_s: float = 1.0) -> bool:
        """Send an empty batch carrying pending MISSED_EVENTS records, retrying until `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while self.ledger.pending_events:
            if self.send_batch(round_, 0, np.zeros(0, TIMETAG_DTYPE)):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)
        return True

    @property
    def stats(self) -> dict[str, int]:
        """Counters of this sender."""
        return {"sent_batches": self.sent_batches, "sent_tags": self.sent_tags,
                "dropped_batches": self.ledger.dropped_batches, "dropped_events": self.ledger.dropped_events,
                "dropped_markers": self.ledger.dropped_markers, "pending_missed": self.ledger.pending_events,
                "sent_frames": self.sent_frames, "dropped_frames": self.dropped_frames,
                "dropped_rounds": self.dropped_rounds}

    def close(self) -> None:
        """Close the socket (pending batches are discarded: linger 0)."""
        self._sock.close(0)


_NO_TAGS = np.zeros(0, TIMETAG_DTYPE)
_NO_TAGS.flags.writeable = False


@dataclasses.dataclass(frozen=True)
class QueuedRun:
    """What `DataReceiver.take_run` took: the joined records of `n_rounds` consecutive rounds from
    `first_round`, each batch's send stamp (ns since the epoch, in arrival order), and the message that ended
    the run, if any."""

    tags: np.ndarray
    n_rounds: int
    t_send_ns: list[int]
    held: Message | None
    first_round: int = 0


def _queued_run(records: list[Any], rounds: int, sent: list[int], held: Message | None, first_round: int) -> QueuedRun:
    """The QueuedRun of `records` (record bytes of any bytes-like form: a frame's memoryview, a message's
    uint8 view, the intake's read-only TIMETAG_DTYPE copy) joined."""
    if not records:
        return QueuedRun(_NO_TAGS, 0, sent, held, first_round)
    one = records[0]
    if len(records) == 1 and type(one) is np.ndarray and one.dtype is TIMETAG_DTYPE:  # the intake's own copy
        return QueuedRun(one, rounds, sent, held, first_round)
    tags = np.frombuffer(one if len(records) == 1 else b"".join(records), TIMETAG_DTYPE)
    tags.flags.writeable = False
    return QueuedRun(tags, rounds, sent, held, first_round)


class DataReceiver:
    """PULL side of the data path: validated messages out, rejections and sequence gaps counted."""

    def __init__(self, ctx: zmq.Context, address: str, *, bind: bool = False, hwm: int = DATA_HWM,
                 curve: Curve | None = None, limits: Limits = DEFAULT_LIMITS) -> None:
        self._sock = _socket(ctx, zmq.PULL, hwm, hwm)
        self.address = _attach(self._sock, address, bind, curve, "data receiver")
        self._rcvtimeo = -1
        self.codec = Codec(limits)
        self.stats: collections.Counter[str] = collections.Counter()
        self.last_error: FrameRejected | None = None
        self._expect_seq: int | None = None
        self._expect_round: int | None = None
        self._intake: Intake | None = None  # built by the first busy-polling recv_run, or by prepare_intake
        self.intake_frames = 0  # frames the compiled intake took (the rest took the Python path)

    def prepare_intake(self) -> bool:
        """Build (and compile, about a second, once per process) the compiled intake that busy-polling
        `recv_run` uses; False where it is not available. A real-time loop calls this before its stream."""
        if self._intake is None and Intake.available():
            self._intake = Intake(self.codec.limits, self.codec.zero_copy_min_bytes)
        return self._intake is not None

    def queued(self) -> bool:
        """True when a frame is waiting to be received (never waits)."""
        return bool(self._sock.get(_EVENTS) & _POLLIN)

    def take_queued(self) -> Message | None:
        """The next valid message if one is already queued, else None at once (never waits)."""
        while self._sock.get(_EVENTS) & _POLLIN:
            try:
                msg = self._accept(self._sock.recv(_NOBLOCK, copy=False))
            except zmq.Again:
                return None
            if msg is not None:
                return msg
        return None

    def take_run(self, next_round: int, max_rounds: int) -> QueuedRun:
        """The time-tag batches already queued that continue the rounds from `next_round`, up to `max_rounds`
        rounds, joined into one array; the first queued message that does not continue them is returned as
        `held` (and the run stops there). Never waits.

        Why: a device that sends one round per message queues several while the consumer works, and taking
        each as a TimeTagBatch costs more than its records; a small well-formed batch is checked as
        `decode` checks it (native.timetag_batch_fields) without building the message. Anything else takes
        the usual path: rejections are counted and skipped, and accounting is the same either way.
        """
        return self._take(next_round, max_rounds, [], [], 0)

    def recv_run(self, max_rounds: int, timeout_ms: int = 1000, busy_poll_ns: int = 0,
                 until_round: int | None = None) -> QueuedRun | Message | None:
        """The next valid message, or None after `timeout_ms`; a small time-tag batch of at most `max_rounds`
        rounds comes as a QueuedRun joined with the batches queued behind it that continue its rounds (as
        `take_run` takes them; max_rounds 0: every message as itself).

        With `busy_poll_ns`, looks for a frame that long (yielding the CPU to any thread that wants it) before
        sleeping in the receive; the look and the take then run compiled (`protocols.wire.intake`) where
        libzmq can be bound, and a run that has not reached `until_round` (say, the end of the block the
        caller is assembling) keeps looking for its continuation within the same time. (A frame of at least
        `zero_copy_min_bytes` that arrives during the look is copied once on its way to the codec.)

        The real-time loop's receive: one call from a one-round message's arrival to its records, with no
        message built for it."""
        sock = self._sock
        deadline = time.monotonic() + timeout_ms / 1000
        if busy_poll_ns and max_rounds and (self._intake is not None or self.prepare_intake()):
            got = self._intake_run(max_rounds, min(busy_poll_ns, timeout_ms * 1_000_000), until_round)
            if got is not None:
                return got
            left = max(0, int((deadline - time.monotonic()) * 1000))
        else:
            left = _look(sock, busy_poll_ns, timeout_ms) if busy_poll_ns else timeout_ms
        while True:
            if left != self._rcvtimeo:  # callers mostly pass the same timeout: set it only when it changes
                sock.setsockopt(_RCVTIMEO, left)
                self._rcvtimeo = left
            try:
                # A blocking receive returns a queued frame at once; looking first (ZMQ_EVENTS) would cost a
                # system call more per frame.
                frame = sock.recv(copy=False)
            except zmq.Again:
                return None
            fields = self._starts_run(frame, max_rounds) if max_rounds else None
            if fields is not None:
                t_send_ns, first_round, n_rounds, tags = fields
                return self._take(first_round, max_rounds, [tags], [t_send_ns], n_rounds)
            if (msg := self._accept(frame)) is not None:
                return msg
            left = max(0, int((deadline - time.monotonic()) * 1000))  # after a rejected frame: what is left

    def _starts_run(self, frame: zmq.Frame | bytes, max_rounds: int) -> tuple[int, int, int, Any] | None:
        """(send stamp, first round, rounds, record bytes) of a small canonical batch of 1 to `max_rounds`
        rounds, accounted as _accept would; None for any other frame (nothing accounted)."""
        if len(frame) >= self.codec.zero_copy_min_bytes:
            return None  # large: decoded as a message, viewing the frame (Frame.bytes would copy it)
        fields = timetag_batch_fields(frame if type(frame) is bytes else frame.bytes, self.codec.limits)
        if fields is None or not 0 < fields[3] <= max_rounds:
            return None
        seq, t_send_ns, first_round, n_rounds, tags = fields
        self.codec.accepted += 1
        self._account_batch(seq, len(tags) // TIMETAG_DTYPE.itemsize)
        return t_send_ns, first_round, n_rounds, tags

    def _take(self, first_round: int, max_rounds: int, records: list[Any], sent: list[int], rounds: int) -> QueuedRun:
        """take_run from a run already holding `records` (`rounds` rounds from `first_round`)."""
        sock = self._sock
        next_round = first_round + rounds
        held: Message | None = None
        while rounds < max_rounds and sock.get(_EVENTS) & _POLLIN:
            try:
                frame = sock.recv(_NOBLOCK, copy=False)
            except zmq.Again:
                break
            step = self._continues(frame, next_round, rounds, max_rounds)
            if step is None:
                continue  # rejected: counted, skipped
            if type(step) is not tuple:
                held = step
                break
            records.append(step[2])
            sent.append(step[0])
            rounds += step[1]
            next_round += step[1]
        return _queued_run(records, rounds, sent, held, first_round)

    def _continues(self, frame: zmq.Frame | bytes, next_round: int, rounds: int,
                   max_rounds: int) -> tuple[int, int, Any] | Message | None:
        """How `frame` extends a run of `rounds` rounds that goes on at `next_round`: (its send stamp, rounds,
        record bytes), accounted; the message that ends the run instead; or None if it was rejected."""
        small = len(frame) < self.codec.zero_copy_min_bytes  # a large frame is never copied (Frame.bytes copies)
        data = frame if type(frame) is bytes or not small else frame.bytes
        fields = timetag_batch_fields(data, self.codec.limits) if small else None
        msg: Message | None = None
        if fields is None:  # large, not canonical, another message or refused: the usual path
            msg = self._accept(frame)
            if msg is None:
                return None
            if type(msg) is not TimeTagBatch:
                return msg
            seq, t_send_ns, batch_first, n_rounds, tags = (msg.seq, msg.t_send_ns, msg.first_round, msg.n_rounds,
                                                           msg.tags.view(np.uint8))
        else:
            seq, t_send_ns, batch_first, n_rounds, tags = fields
        if batch_first != next_round or not n_rounds or rounds + n_rounds > max_rounds:
            return msg if msg is not None else self._accept(frame)  # wanted as a message: built as usual
        if msg is None:  # taken without a message: accounted here as _accept would
            self.codec.accepted += 1
            self._account_batch(seq, len(tags) // TIMETAG_DTYPE.itemsize)
        return t_send_ns, n_rounds, tags

    def _intake_run(self, max_rounds: int, look_ns: int, until_round: int | None) -> QueuedRun | Message | None:
        """recv_run's look and take through the compiled intake; None if nothing came within `look_ns`."""
        intake = self._intake
        end = time.monotonic_ns() + look_ns
        records: list[Any] = []
        sent: list[int] = []
        rounds = next_round = 0
        first: int | None = None
        while True:
            tags, stamps, run_first, run_rounds, n_records, gaps, restarts, expect, frame = intake.take(
                self._sock, next_round, rounds, max_rounds, until_round, end, self._expect_seq)
            if stamps:  # taken in the kernel: accounted as _accept would
                n, st = len(stamps), self.stats
                self.intake_frames += n
                self.codec.accepted += n
                st["batches"] += n
                st["records"] += n_records
                if gaps:
                    st["seq_gaps"] += gaps
                if restarts:
                    st["sender_restarts"] += restarts
                self._expect_seq = expect
                if first is None:
                    first = run_first
                records.append(tags)
                sent += stamps
                rounds += run_rounds
                next_round = first + rounds
            if frame is None:
                return None if first is None else _queued_run(records, rounds, sent, None, first)
            if first is None:  # the run's first frame, as recv_run takes it
                fields = self._starts_run(frame, max_rounds)
                if fields is not None:  # canonical, but not for the kernel (say, a huge seq)
                    t_send_ns, first, rounds, tags = fields
                    records.append(tags)
                    sent.append(t_send_ns)
                    next_round = first + rounds
                    continue
                if (msg := self._accept(frame)) is not None:
                    return msg
                continue  # rejected: counted; look on until the deadline
            step = self._continues(frame, next_round, rounds, max_rounds)
            if step is None:
                continue
            if type(step) is not tuple:
                return _queued_run(records, rounds, sent, step, first)
            records.append(step[2])
            sent.append(step[0])
            rounds += step[1]
            next_round += step[1]

    def recv(self, timeout_ms: int = 1000) -> Message | None:
        """The next valid message, or None after `timeout_ms` (rejected frames are counted and skipped)."""
        return self.recv_run(0, timeout_ms)  # a run of at most 0 rounds: every batch comes as its message

    def _accept(self, frame: zmq.Frame | bytes) -> Message | None:
        """Decode and account one frame; None (counted) if it was rejected."""
        try:
            msg = self.codec.decode(frame if type(frame) is bytes else frame.buffer)
        except FrameRejected as e:
            self.last_error = e
            self.stats["rejected"] += 1
            return None
        self._account(msg)
        return msg

    def _account_seq(self, seq: int) -> None:
        if self._expect_seq is not None and seq != self._expect_seq:
            if seq > self._expect_seq:
                self.stats["seq_gaps"] += seq - self._expect_seq
            else:
                self.stats["sender_restarts"] += 1
        self._expect_seq = seq + 1

    def _account_batch(self, seq: int, n_records: int) -> None:
        # The transport never reads the records (a pass over a 1 MiB batch costs more than receiving it):
        # MISSED_EVENTS records are counted by the consumer that reads them anyway (controller ingest,
        # `protocols.timetags.count_records`).
        self._account_seq(seq)
        stats = self.stats
        stats["batches"] += 1
        stats["records"] += n_records

    def _account(self, msg: Message) -> None:
        if isinstance(msg, TimeTagBatch):
            self._account_batch(msg.seq, len(msg.tags))
            return
        self._account_seq(msg.seq)
        if isinstance(msg, SyndromeFrame):
            self.stats["frames"] += 1
            self.stats["rounds"] += msg.n_rounds
            if self._expect_round is not None and msg.first_round > self._expect_round:
                self.stats["round_gaps"] += msg.first_round - self._expect_round  # frames the sender dropped
            self._expect_round = msg.first_round + msg.n_rounds

    def close(self) -> None:
        """Close the socket."""
        self._sock.close(0)


class ControlEndpoint:
    """The control path of one endpoint: a ROUTER (device, binds) or DEALER (controller, connects) around a
    ControlSession. `poll` receives, handles, sends replies and heartbeats, reconnects, and returns the
    messages meant for the application (commands on a device; acks, telemetry and errors on a controller)."""

    def __init__(self, ctx: zmq.Context, session: ControlSession, address: str = LOOPBACK, *, hwm: int = CONTROL_HWM,
                 curve: Curve | None = None, limits: Limits = DEFAULT_LIMITS) -> None:
        self.session = session
        self.codec = Codec(limits)
        self.is_device = session.config.role is Role.DEVICE
        self.reconnects = 0
        self._ctx, self._hwm, self._curve, self._requested = ctx, hwm, curve, address
        self._peer_id: bytes | None = None
        # When the latest frame arrived (time.monotonic_ns, taken as the receive returns, before decoding;
        # 0: none yet): where the reaction to a command's sender is stopped (DataSender.last_send_ns).
        self.last_recv_ns = 0
        self._sock = self._open(address)

    def _open(self, address: str) -> zmq.Socket:
        sock = _socket(self._ctx, zmq.ROUTER if self.is_device else zmq.DEALER, self._hwm, self._hwm)
        if self.is_device:
            sock.setsockopt(zmq.ROUTER_MANDATORY, 1)  # unroutable replies raise instead of vanishing
        self.address = _attach(sock, address, self.is_device, self._curve, "control endpoint")
        self._rcvtimeo = -1
        self._last_tick = 0
        return sock

    def start(self) -> None:
        """Controller: send the Hello (the device only listens)."""
        if not self.is_device:
            self._send_all(self.session.connect(time.monotonic_ns()), None)

    def _send_all(self, msgs: list[Message], to: bytes | None) -> None:
        for m in msgs:
            self.send(m, to)

    def send(self, msg: Message, to: bytes | None = None) -> None:
        """Send one message to the peer; raise WireError if it cannot be queued (never dropped silently)."""
        frame = encode(msg)
        sock = self._sock
        if self.is_device:
            peer = to if to is not None else self._peer_id
            if peer is None:
                raise WireError(f"control: no controller connected to send {type(msg).__name__} to")
        try:
            try:
                if self.is_device:
                    sock.send(peer, _NOBLOCK | _SNDMORE)  # a refusal comes here (ROUTER_MANDATORY), before any part is queued
                    sock.send(frame, _NOBLOCK)
                else:
                    sock.send(frame, _NOBLOCK)
            except zmq.Again:
                # A send acts on the room ZeroMQ last heard of (see DataSender._send_checked): asking
                # ZMQ_EVENTS brings the peer's reads in; only a pipe that is still full is a refusal.
                # (The same sends again, inline: a helper would cost calls on every send of the round trip.)
                if not sock.get(_EVENTS) & _POLLOUT:
                    raise
                if self.is_device:
                    sock.send(peer, _NOBLOCK | _SNDMORE)
                sock.send(frame, _NOBLOCK)
        except zmq.ZMQError as e:  # Again (high-water mark) or EHOSTUNREACH (peer gone)
            self.session.stats["control_send_failed"] += 1
            raise WireError(f"control: cannot queue {type(msg).__name__} (seq {msg.seq}): {e}") from e

    def _send_quietly(self, msgs: list[Message], to: bytes | None) -> None:
        """Protocol replies and heartbeats: a failure is counted (session.stats) and the loop goes on."""
        for m in msgs:
            try:
                self.send(m, to)
            except WireError:
                pass  # counted in send(); heartbeats/timeouts recover the session

    def poll(self, timeout_ms: int = 0, busy_poll_ns: int = 0) -> list[Message]:
        """Handle at most one frame arriving within `timeout_ms`, send replies and due heartbeats, reconnect if
        the peer timed out; return the messages meant for the application (often none). With
        `busy_poll_ns`, looks for a frame that long (yielding the CPU to any thread that wants it) before
        sleeping in the receive, as DataReceiver.recv_run does."""
        # One frame per call (the next call gets the next one at once). A blocking receive with a timeout
        # (ZMQ_RCVTIMEO) wakes up faster than poll-then-receive, and control frames are small enough that
        # copying them beats zero-copy Frame objects. The command/ack round trip runs through here on both
        # sides, so this is written flat: each Python call costs a fraction of a µs.
        sock = self._sock
        f = None
        if timeout_ms == 0:  # a non-blocking look (the data loop's case): no exception when nothing waits
            if sock.get(_EVENTS) & _POLLIN:
                try:
                    f = sock.recv(_NOBLOCK, copy=False)
                except zmq.Again:
                    pass
            flags = _NOBLOCK
        else:
            if busy_poll_ns:
                timeout_ms = _look(sock, busy_poll_ns, timeout_ms)
            if timeout_ms != self._rcvtimeo:
                sock.setsockopt(_RCVTIMEO, timeout_ms)
                self._rcvtimeo = timeout_ms
            try:
                f = sock.recv(0, copy=False)
            except zmq.Again:
                pass
            flags = 0
        now = time.monotonic_ns()
        if f is not None:
            self.last_recv_ns = now
            parts = [f.bytes]
            while f.more:  # each part's flag from its Frame: asking the socket (ZMQ_RCVMORE) costs µs
                f = sock.recv(flags, copy=False)
                parts.append(f.bytes)
            self._on_frames(parts, now)
        if now - self._last_tick >= _TICK_NS:  # heartbeats and timeouts have millisecond granularity
            self._last_tick = now
            due = self.session.tick(now)
            if due:
                self._send_quietly(due, self._peer_id)
            if self.session.state is _TIMED_OUT:
                if self.is_device:
                    self._peer_id = None
                else:
                    self.reconnect()
        inbox = self.session.inbox
        if not inbox:
            return []
        out = list(inbox)
        inbox.clear()
        return out

    def _on_frames(self, parts: list[Any], now: int) -> None:
        is_device = self.is_device
        if len(parts) != (2 if is_device else 1):
            self.session.stats["bad_multipart"] += 1
            return
        peer = parts[0] if is_device else None
        try:
            msg = self.codec.decode(parts[-1])
        except FrameRejected as e:
            self._send_quietly(self.session.on_rejected(e, now), peer)
            return
        if is_device and peer != self._peer_id and type(msg) is not Hello:
            # Not the controller this device serves: answer it, but keep it out of the session.
            self.session.stats["foreign_peer"] += 1
            err = Error(code=ErrorCode.NOT_READY, message="no session with this peer; send Hello first",
                        ref_seq=msg.seq, seq=0, t_send_ns=time.time_ns())
            self._send_quietly([err], peer)
            return
        replies = self.session.handle(msg, now)
        if replies:
            if is_device and any(type(r) is HelloAck for r in replies):
                self._peer_id = peer
            self._send_quietly(replies, peer)

    def reconnect(self) -> None:
        """Controller: close the socket, open a fresh one to the same address and say Hello again."""
        self._sock.close(0)
        self._sock = self._open(self._requested)
        self.reconnects += 1
        self.start()

    def close(self) -> None:
        """Close the socket."""
        self._sock.close(0)
