"""Compiled intake of small time-tag batches: ZeroMQ's receive and the envelope check in one compiled loop.

Why: a device that sends one round per message sends a million small frames a second, and in Python each
one costs a receive, an envelope check, the accounting and a few list operations: 5-10 µs per frame on a
loaded machine, several times the frame's own work, paid in series by a real-time loop before it can react
to a block's last round. Here a Numba kernel calls libzmq (the copy pyzmq loaded) itself: it receives every
queued frame, checks that it is a canonical TimeTagBatch continuing the run (the exact bytes
`codec.timetag_batch_head` writes, the limits `decode` applies), copies its records after the run's, and
looks again, yielding the CPU while nothing is queued, until the run is complete or the look's time is up.
A frame it does not take whole (another message, a non-canonical or large one, a gap, anything it is unsure
of) it leaves received but unread for the caller, who decodes it the usual way, so the frames accepted,
the errors raised and the accounting are exactly those of the Python path (tests/protocols/
test_wire_intake.py compares them frame by frame).

Available where the libzmq pyzmq uses can be told for sure (Linux: among the loaded libraries in
/proc/self/maps; elsewhere pyzmq's bundled copy); `Intake.available()` says so, and a receiver without it
keeps the Python path.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import glob
import os
import time

import numba
import numpy as np
import zmq

from protocols.timetags import TIMETAG_DTYPE
from protocols.wire.codec import _TT_KEY_BYTES, _TT_OPEN, _TT_TAGS
from protocols.wire.limits import Limits

__all__ = ["Intake"]

_I64 = ctypes.c_int64
_REC = TIMETAG_DTYPE.itemsize
_HEAD_MAX = 96  # longest canonical envelope: 87 bytes (every integer in its 9-byte form)
_MSG_BYTES = 64  # sizeof(zmq_msg_t)
_ZMQ_DONTWAIT = 1
_EAGAIN, _EINTR = errno.EAGAIN, errno.EINTR
_CLOCK_MONOTONIC = getattr(time, "CLOCK_MONOTONIC", 1)  # the clock time.monotonic_ns() reads

# Status of a kernel call.
NOTHING, RUN, HELD, ERROR = 0, 1, 2, 3
# State vector shared with the kernel (int64): inputs first, then what the call found.
(_S_NEXT, _S_ROUNDS, _S_MAX, _S_UNTIL, _S_DEADLINE, _S_FRAMES, _S_USED, _S_EXPECT, _S_GAPS, _S_RESTARTS,
 _S_RECORDS, _S_FIRST, _S_HELD_SIZE, _S_HELD_ADDR, _S_ERRNO, _S_MAX_FRAME, _S_SMALL, _S_MAX_TAGS) = range(18)
_S_LEN = 18
_BIG = 1 << 62


def _find_libzmq() -> str | None:
    """The path of the libzmq this process's pyzmq uses (None if it cannot be told: then the Python path)."""
    try:
        with open("/proc/self/maps") as maps:  # Linux: the copy actually loaded
            for line in maps:
                path = line.rsplit(None, 1)[-1]
                if "libzmq" in os.path.basename(path):
                    return path
    except OSError:
        pass
    # Elsewhere only pyzmq's own bundled copy is safe: a system libzmq found by name may not be pyzmq's,
    # and a socket of one copy must never be handed to the other.
    here = os.path.dirname(zmq.__file__)
    bundled = glob.glob(os.path.join(os.path.dirname(here), "pyzmq.libs", "libzmq*")) + glob.glob(
        os.path.join(here, ".dylibs", "libzmq*"))
    return bundled[0] if len(bundled) == 1 else None


def _bind() -> tuple | None:
    """ctypes functions the kernel calls (pointers as 64-bit integers: the same in the C calling convention)."""
    path = _find_libzmq()
    if path is None or ctypes.sizeof(ctypes.c_void_p) != 8:
        return None
    try:
        lz, libc = ctypes.CDLL(path), ctypes.CDLL(ctypes.util.find_library("c"))
    except OSError:
        return None
    if zmq.zmq_version_info() < (4, 0, 0):
        return None

    def fn(lib: ctypes.CDLL, name: str, args: list, res: type) -> object:
        f = getattr(lib, name)
        f.argtypes, f.restype = args, res
        return f

    return (fn(lz, "zmq_msg_init", [_I64], ctypes.c_int), fn(lz, "zmq_msg_recv", [_I64, _I64, ctypes.c_int], ctypes.c_int),
            fn(lz, "zmq_msg_data", [_I64], _I64), fn(lz, "zmq_msg_size", [_I64], _I64),
            fn(lz, "zmq_msg_close", [_I64], ctypes.c_int), fn(lz, "zmq_errno", [], ctypes.c_int),
            fn(libc, "memcpy", [_I64, _I64, _I64], _I64), fn(libc, "sched_yield", [], ctypes.c_int),
            fn(libc, "clock_gettime", [ctypes.c_int, _I64], ctypes.c_int))


_FNS = _bind()
_KERNEL = None


def _envelope_constants() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The canonical envelope's fixed bytes, as the codec packs them: opening, the four keys, their lengths,
    the tags key (compiled into the kernel as constants)."""
    width = max(len(k) for k in _TT_KEY_BYTES)
    keys = np.zeros((len(_TT_KEY_BYTES), width), np.uint8)
    for i, k in enumerate(_TT_KEY_BYTES):
        keys[i, : len(k)] = np.frombuffer(k, np.uint8)
    return (np.frombuffer(_TT_OPEN, np.uint8).copy(), keys, np.array([len(k) for k in _TT_KEY_BYTES], np.int64),
            np.frombuffer(_TT_TAGS, np.uint8).copy())


def _build_kernel():  # noqa: C901 - one compiled loop
    """Compile the kernel around the bound functions (once per process, on first use)."""
    msg_init, msg_recv, msg_data, msg_size, msg_close, zmq_errno, memcpy, sched_yield, clock_gettime = _FNS
    opening, keys, key_len, tags_key = _envelope_constants()

    @numba.njit(nogil=True)
    def _uint(h, pos, n, wide):  # pragma: no cover - compiled
        """(value, next pos) of the msgpack unsigned integer at h[pos]; value -1 if not one (or, unless
        `wide`, above 2**32 - 1; always: above 2**63 - 1, which the Python path takes)."""
        if pos >= n:
            return -1, pos
        b = np.int64(h[pos])
        if b < 0x80:
            return b, pos + 1
        if b == 0xCC:
            width = 1
        elif b == 0xCD:
            width = 2
        elif b == 0xCE:
            width = 4
        elif b == 0xCF and wide:
            width = 8
        else:
            return -1, pos
        if pos + 1 + width > n or (width == 8 and h[pos + 1] >= 0x80):
            return -1, pos
        v = np.int64(0)
        for i in range(width):
            v = (v << 8) | np.int64(h[pos + 1 + i])
        return v, pos + 1 + width

    @numba.njit(nogil=True)
    def _fields(h, n, size, max_tags, out):  # pragma: no cover - compiled
        """Envelope of a canonical TimeTagBatch in h[:n] (of a `size`-byte frame): out = (seq, t_send_ns,
        first_round, n_rounds, header bytes, record bytes); False if the frame is anything else."""
        m = len(opening)
        if n < m:
            return False
        for i in range(m):
            if h[i] != opening[i]:
                return False
        pos = m
        for k in range(4):
            kl = key_len[k]
            if pos + kl > n:
                return False
            for i in range(kl):
                if h[pos + i] != keys[k, i]:
                    return False
            v, pos = _uint(h, pos + kl, n, k != 3)  # n_rounds is a u32
            if v < 0:
                return False
            out[k] = v
        tl = len(tags_key)
        if pos + tl + 2 > n:
            return False
        for i in range(tl):
            if h[pos + i] != tags_key[i]:
                return False
        pos += tl
        b = h[pos]
        width = 1 if b == 0xC4 else 2 if b == 0xC5 else 4 if b == 0xC6 else 0
        if width == 0 or pos + 1 + width > n:
            return False
        nbytes = np.int64(0)
        for i in range(width):
            nbytes = (nbytes << 8) | np.int64(h[pos + 1 + i])
        pos += 1 + width
        if pos + nbytes != size or nbytes % _REC or nbytes // _REC > max_tags:
            return False  # trailing bytes, a short frame, a partial record or too many records
        out[4] = pos
        out[5] = nbytes
        return True

    @numba.njit(nogil=True)
    def kernel(sock, msg, head, out, sent, st):  # pragma: no cover - compiled
        """Take canonical continuing batches into out/sent until the queue is empty and the run is complete
        (st[_S_UNTIL]) or the deadline passes; see the module docstring. Returns NOTHING, RUN, HELD (a frame
        left in `msg` for the caller) or ERROR (errno in st)."""
        m = msg.ctypes.data
        hp = head.ctypes.data
        max_frame, small, max_tags = st[_S_MAX_FRAME], st[_S_SMALL], st[_S_MAX_TAGS]
        ts = np.zeros(2, np.int64)
        fields = np.zeros(6, np.int64)
        cap = len(out)
        while True:
            if st[_S_FRAMES] == len(sent) or st[_S_USED] + small > cap or st[_S_ROUNDS] >= st[_S_MAX]:
                return RUN  # no room for another frame: the caller takes this run and comes back
            msg_init(m)
            if msg_recv(m, sock, _ZMQ_DONTWAIT) < 0:
                err = zmq_errno()
                msg_close(m)
                if err == _EINTR:  # a signal: pyzmq retries too
                    continue
                if err != _EAGAIN:  # EAGAIN: nothing queued; anything else (a closed socket): the caller decides
                    st[_S_ERRNO] = err
                    return ERROR
                clock_gettime(_CLOCK_MONOTONIC, ts.ctypes.data)
                now = ts[0] * 1_000_000_000 + ts[1]
                if st[_S_ROUNDS] and (st[_S_UNTIL] < 0 or st[_S_NEXT] >= st[_S_UNTIL]):  # a run, complete
                    return RUN
                if now >= st[_S_DEADLINE]:
                    return RUN if st[_S_FRAMES] else NOTHING
                sched_yield()
                continue
            size = msg_size(m)
            data = msg_data(m)
            ok = 10 <= size <= max_frame and size < small
            if ok:
                n = min(size, len(head))
                memcpy(hp, data, n)
                ok = _fields(head, n, size, max_tags, fields)
            if ok:
                rounds = fields[3]
                if st[_S_ROUNDS] == 0:  # a new run (the caller may already hold the start of this one)
                    ok = 0 < rounds <= st[_S_MAX]
                else:
                    ok = fields[2] == st[_S_NEXT] and 0 < rounds and st[_S_ROUNDS] + rounds <= st[_S_MAX]
                # No overflow below: the Python path takes huge values (and every frame after a huge seq: -2).
                ok = ok and fields[0] < _BIG and fields[2] < _BIG and st[_S_EXPECT] != -2
            if not ok:
                st[_S_HELD_SIZE] = size
                st[_S_HELD_ADDR] = data
                return HELD
            nbytes = fields[5]
            memcpy(out.ctypes.data + st[_S_USED], data + fields[4], nbytes)
            msg_close(m)
            seq = fields[0]
            if st[_S_EXPECT] >= 0 and seq != st[_S_EXPECT]:  # DataReceiver._account_seq
                if seq > st[_S_EXPECT]:
                    st[_S_GAPS] += seq - st[_S_EXPECT]
                else:
                    st[_S_RESTARTS] += 1
            st[_S_EXPECT] = seq + 1
            if st[_S_ROUNDS] == 0:
                st[_S_FIRST] = fields[2]
            sent[st[_S_FRAMES]] = fields[1]
            st[_S_FRAMES] += 1
            st[_S_USED] += nbytes
            st[_S_RECORDS] += nbytes // _REC
            st[_S_ROUNDS] += rounds
            st[_S_NEXT] = fields[2] + rounds

    return kernel


class Intake:
    """Compiled receive of one PULL socket's small time-tag batches (see the module docstring)."""

    def __init__(self, limits: Limits, small_bytes: int, max_frames: int = 512) -> None:
        """Buffers for runs of up to `max_frames` frames, each below `small_bytes` (the codec's zero-copy
        threshold: larger frames take the Python path, which views them without a copy)."""
        global _KERNEL
        if _FNS is None:
            raise RuntimeError("compiled intake: libzmq not found among the loaded libraries")
        if _KERNEL is None:
            _KERNEL = _build_kernel()
        self._msg = np.zeros(_MSG_BYTES, np.uint8)
        self._head = np.zeros(_HEAD_MAX, np.uint8)
        self._out = np.empty(max_frames * small_bytes // 8, np.uint8)  # a run of a few hundred one-round frames
        self._sent = np.zeros(max_frames, np.int64)
        self._st = np.zeros(_S_LEN, np.int64)
        self._fixed = (limits.max_frame_bytes, min(small_bytes, len(self._out)), limits.max_tags)
        # Compiled now, not at the first frame (the kernel calls ctypes pointers, so it cannot be cached).
        _KERNEL.compile(tuple(numba.typeof(a) for a in (0, self._msg, self._head, self._out, self._sent, self._st)))

    @staticmethod
    def available() -> bool:
        """True when libzmq could be bound (else the receiver keeps its Python path)."""
        return _FNS is not None

    def take(self, sock: zmq.Socket, next_round: int, rounds: int, max_rounds: int, until_round: int | None,
             deadline_ns: int, expect_seq: int | None) -> tuple:
        """Take queued batches continuing a run of `rounds` rounds ending before `next_round` (rounds 0: a new
        run) up to `max_rounds` rounds, looking until `deadline_ns` (time.monotonic_ns) for more while the
        run is empty or has not reached `until_round`.

        Returns (records taken: a fresh read-only TIMETAG_DTYPE array, their send stamps, first round, rounds
        taken, records, seq gaps, sender restarts, next expected seq, the frame left for the caller as bytes
        or None); one tuple, since this runs once per block of a real-time loop."""
        st = self._st
        st[:] = 0
        st[_S_NEXT], st[_S_ROUNDS], st[_S_MAX] = next_round, rounds, max_rounds
        st[_S_UNTIL] = -1 if until_round is None else until_round
        st[_S_DEADLINE] = deadline_ns
        st[_S_EXPECT] = -1 if expect_seq is None else expect_seq if expect_seq < _BIG else -2
        st[_S_MAX_FRAME], st[_S_SMALL], st[_S_MAX_TAGS] = self._fixed
        status = _KERNEL(sock.underlying, self._msg, self._head, self._out, self._sent, st)
        v = st.tolist()
        if status == ERROR:
            raise zmq.ZMQError(v[_S_ERRNO])
        held = None
        if status == HELD:
            held = ctypes.string_at(v[_S_HELD_ADDR], v[_S_HELD_SIZE])
            _FNS[4](self._msg.ctypes.data)  # zmq_msg_close: the frame is the caller's copy now
        frames = v[_S_FRAMES]
        if not frames:
            return _NO_TAGS, [], 0, 0, 0, 0, 0, v[_S_EXPECT], held
        tags = self._out[: v[_S_USED]].view(TIMETAG_DTYPE).copy()
        tags.flags.writeable = False
        return (tags, self._sent[:frames].tolist(), v[_S_FIRST], v[_S_ROUNDS] - rounds, v[_S_RECORDS], v[_S_GAPS],
                v[_S_RESTARTS], v[_S_EXPECT], held)


_NO_TAGS = np.zeros(0, TIMETAG_DTYPE)
_NO_TAGS.flags.writeable = False
