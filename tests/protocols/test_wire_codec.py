"""Round trips, specific rejections and counting of the frame codec."""

import math

import msgpack
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols.errors import WireError
from protocols.timetags import TIMETAG_DTYPE
from protocols.wire import (
    ActionKind,
    ChannelMap,
    Codec,
    CodeSpec,
    CommandAck,
    CommandStatus,
    Error,
    ErrorCode,
    FeedbackCommand,
    Goodbye,
    Heartbeat,
    Hello,
    HelloAck,
    Limits,
    PauliFrameUpdate,
    Refuse,
    RejectReason,
    Role,
    SetParameter,
    SwitchCode,
    SyndromeFrame,
    Telemetry,
    TimeTagBatch,
    VersionMismatch,
    decode,
    encode,
)
from protocols.wire.codec import timetag_batch_head
from protocols.wire.rejections import FrameRejected
from protocols.wire.golden import golden_messages

U64 = st.integers(0, 2**64 - 1)
ROUND = st.integers(-1, 2**63 - 1)
TEXT = st.text(max_size=40)
ENV = {"seq": U64, "t_send_ns": U64}

codes = st.builds(
    CodeSpec,
    family=st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True),
    distance=st.integers(1, 2**16 - 1),
    rounds=st.integers(1, 2**32 - 1),
    basis=st.sampled_from(["X", "Z"]),
)


@st.composite
def channel_maps(draw):
    n = draw(st.integers(0, 20))
    q = draw(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=n, max_size=n, unique=True))
    ch = draw(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=2 * n, max_size=2 * n, unique=True))
    return ChannelMap(qubits=np.array(q, "<i4"), rails=np.array(ch, "<i4").reshape(n, 2))


@st.composite
def tag_arrays(draw):
    n = draw(st.integers(0, 50))
    raw = draw(st.binary(min_size=16 * n, max_size=16 * n))
    return np.frombuffer(raw, dtype=TIMETAG_DTYPE).copy()


@st.composite
def syndrome_frames(draw):
    r, m = draw(st.integers(0, 12)), draw(st.integers(0, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return SyndromeFrame.from_bits(draw(U64), rng.random((r, m)) < 0.5, rng.random((r, m)) < 0.1,
                                   seq=draw(U64), t_send_ns=draw(U64))


@st.composite
def pauli_updates(draw):
    n = draw(st.integers(0, 20))
    q = draw(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=n, max_size=n))
    p = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return PauliFrameUpdate(qubits=np.array(q, "<i4"), paulis=np.array(p, "u1"))


actions = st.one_of(
    pauli_updates(),
    st.builds(SwitchCode, code=codes),
    st.builds(SetParameter, name=st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,30}", fullmatch=True),
              value=st.floats(allow_nan=True)),
)
numbers = st.one_of(st.integers(-(2**63), 2**64 - 1), st.floats())
hello_kw = dict(endpoint=st.text(max_size=16), role=st.sampled_from(Role), code=codes, channel_map=channel_maps(),
                clock_hz=st.floats(min_value=1e-3, max_value=1e12), epoch_ns=st.integers(-(2**63), 2**63 - 1),
                heartbeat_ms=st.integers(1, 600_000), **ENV)

messages = st.one_of(
    st.builds(Hello, **hello_kw),
    st.builds(HelloAck, **hello_kw),
    st.builds(Refuse, code=st.sampled_from(ErrorCode), message=TEXT, min_version=st.integers(0, 65535),
              max_version=st.integers(0, 65535), **ENV),
    st.builds(TimeTagBatch, first_round=U64, n_rounds=st.integers(0, 2**32 - 1), tags=tag_arrays(), **ENV),
    syndrome_frames(),
    st.builds(FeedbackCommand, command_id=U64, apply_at_round=U64, action=actions, **ENV),
    st.builds(CommandAck, command_id=U64, status=st.sampled_from(CommandStatus), applied_round=ROUND,
              detail=TEXT, **ENV),
    st.builds(Heartbeat, last_round=ROUND, **ENV),
    st.builds(Telemetry, values=st.dictionaries(st.text(max_size=12), numbers, max_size=8), **ENV),
    st.builds(Error, code=st.sampled_from(ErrorCode), message=TEXT, ref_seq=ROUND, **ENV),
    st.builds(Goodbye, reason=TEXT, **ENV),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages, st.sampled_from([0, 1 << 30]))
def test_decode_encode_round_trip(msg, zero_copy_min_bytes):
    frame = encode(msg)
    back = decode(frame, zero_copy_min_bytes=zero_copy_min_bytes)
    assert back == msg
    assert encode(back) == frame  # canonical: re-encoding gives the same bytes


def test_large_batch_round_trip_is_zero_copy_and_read_only():
    rng = np.random.default_rng(1)
    tags = np.zeros(65536, TIMETAG_DTYPE)
    tags["channel"] = rng.integers(0, 64, tags.size)
    tags["time_ps"] = np.cumsum(rng.integers(1, 1000, tags.size))
    frame = encode(TimeTagBatch(first_round=3, n_rounds=100, tags=tags, seq=1))
    assert frame == msgpack.packb(
        {"v": 1, "kind": 4, "seq": 1, "t_send_ns": 0, "first_round": 3, "n_rounds": 100, "tags": tags.tobytes()}
    )  # the append fast path gives exactly msgpack's bytes
    buf = bytearray(frame)
    msg = decode(memoryview(buf))
    assert np.array_equal(msg.tags, tags)
    assert not msg.tags.flags.writeable
    assert np.shares_memory(msg.tags, np.frombuffer(buf, np.uint8))  # a view of the frame, no copy
    with pytest.raises(ValueError):
        msg.tags["channel"][0] = 1


def test_version_mismatch_names_both_versions():
    frame = msgpack.packb({"v": 2, "kind": 8, "seq": 17, "t_send_ns": 0, "last_round": 1})
    codec = Codec()
    with pytest.raises(VersionMismatch) as e:
        codec.decode(frame)
    assert isinstance(e.value, WireError)
    assert "version 2" in str(e.value) and "version 1" in str(e.value)
    assert e.value.peer_version == 2 and e.value.our_version == 1 and e.value.seq == 17
    assert codec.rejected[RejectReason.VERSION] == 1


def _frame(**fields):
    body = {"v": 1, "kind": 8, "seq": 0, "t_send_ns": 0, "last_round": 0}
    body.update(fields)
    return msgpack.packb({k: v for k, v in body.items() if v is not _DROP}, use_bin_type=True)


_DROP = object()


@pytest.mark.parametrize(
    ("frame", "reason", "needle"),
    [
        (b"", RejectReason.FRAME_SIZE, "0 bytes"),
        (b"\x81\xa1v", RejectReason.MALFORMED, "msgpack"),
        (_frame() + b"\x00", RejectReason.MALFORMED, "msgpack"),
        (msgpack.packb([1, 2]), RejectReason.NOT_A_MAP, "list"),
        (_frame(kind=99), RejectReason.UNKNOWN_KIND, "99"),
        (_frame(kind="hb"), RejectReason.FIELD_TYPE, "kind"),
        (_frame(last_round=_DROP), RejectReason.MISSING_FIELD, "last_round"),
        (_frame(extra=1), RejectReason.UNKNOWN_FIELD, "'extra'"),
        (_frame(last_round=1.5), RejectReason.FIELD_TYPE, "float"),
        (_frame(last_round=True), RejectReason.FIELD_TYPE, "bool"),
        (_frame(last_round=-2), RejectReason.VALUE_RANGE, "-1.."),
        (_frame(seq=-1), RejectReason.VALUE_RANGE, "seq"),
        (_frame(last_round={"a": {"b": {"c": 1}}}), RejectReason.DEPTH, "deeper than 3"),
        (_frame(kind=7, command_id=1, status=9, applied_round=1, detail="", last_round=_DROP),
         RejectReason.ENUM_VALUE, "9"),
        (_frame(kind=4, first_round=0, n_rounds=1, tags=b"\x00" * 17, last_round=_DROP),
         RejectReason.ARRAY_LAYOUT, "17 bytes"),
        (_frame(kind=11, reason="x" * 2000, last_round=_DROP), RejectReason.STRING_LENGTH, "1024"),
    ],
)
def test_specific_rejections_are_named_and_counted(frame, reason, needle):
    codec = Codec()
    with pytest.raises(WireError) as e:
        codec.decode(frame)
    assert e.value.reason is reason
    assert needle in str(e.value)
    assert codec.rejected == {reason: 1} and codec.accepted == 0


def test_array_limit_checked_before_building_the_array():
    limits = Limits(max_tags=10, max_frame_bytes=1 << 20)
    frame = encode(TimeTagBatch(first_round=0, n_rounds=1, tags=np.zeros(11, TIMETAG_DTYPE)))
    with pytest.raises(WireError, match=r"11 records, allowed: <= 10 \(max_tags\)") as e:
        decode(frame, limits)
    assert e.value.reason is RejectReason.ARRAY_LENGTH
    big = encode(TimeTagBatch(first_round=0, n_rounds=1, tags=np.zeros(70000, TIMETAG_DTYPE)))
    with pytest.raises(WireError) as e:
        decode(big, limits)  # the bin header already exceeds every array limit
    assert e.value.reason in (RejectReason.ARRAY_LENGTH, RejectReason.FRAME_SIZE)
    with pytest.raises(WireError, match="allowed: 1..100") as e:
        decode(big, Limits(max_frame_bytes=100, max_tags=6))
    assert e.value.reason is RejectReason.FRAME_SIZE


def test_syndrome_frame_layout_and_padding_checked():
    ok = SyndromeFrame.from_bits(0, np.ones((2, 10), bool), np.zeros((2, 10), bool))
    assert ok.measurements.shape == (2, 2) and ok.measurements[0, 1] == 0b11
    body = msgpack.unpackb(encode(ok))
    bad = dict(body, measurements=b"\xff\x03\xff\x07")  # bit 10 set: beyond n_measurements
    with pytest.raises(WireError, match="padding") as e:
        decode(msgpack.packb(bad))
    assert e.value.reason is RejectReason.INCONSISTENT
    short = dict(body, erasures=b"\x00\x00\x00")
    with pytest.raises(WireError, match="n_rounds") as e:
        decode(msgpack.packb(short))
    assert e.value.reason is RejectReason.ARRAY_LAYOUT


def test_channel_map_duplicates_rejected():
    with pytest.raises(WireError, match="rail channels are not distinct"):
        ChannelMap.from_pairs({0: (1, 2), 1: (2, 3)})
    with pytest.raises(WireError, match="expected dtype int32"):
        ChannelMap(qubits=np.array([0], "i8"), rails=np.array([[0, 1]], "<i4"))


def test_construction_checks_ranges_and_types():
    with pytest.raises(WireError, match=r"distance: got 0, allowed: 1\.\.65535"):
        CodeSpec(family="repetition", distance=0, rounds=1, basis="Z")
    with pytest.raises(WireError, match="basis.*allowed: X, Z"):
        CodeSpec(family="repetition", distance=3, rounds=1, basis="Y")
    with pytest.raises(WireError, match="clock_hz"):
        Hello(endpoint="a", role=Role.CONTROLLER, code=CodeSpec(family="x", distance=1, rounds=1, basis="Z"),
              channel_map=ChannelMap.from_pairs({}), clock_hz=math.inf, epoch_ns=0, heartbeat_ms=100)
    with pytest.raises(WireError, match="paulis"):
        PauliFrameUpdate(qubits=np.array([0], "<i4"), paulis=np.array([4], "u1"))
    with pytest.raises(WireError, match="expected one of"):
        FeedbackCommand(command_id=1, apply_at_round=1, action=CodeSpec(family="x", distance=1, rounds=1, basis="Z"))


def test_tagged_action_enum_checked():
    body = msgpack.unpackb(encode(golden_messages()["feedback_command"]))
    body["action"]["type"] = 9
    with pytest.raises(WireError, match="action.type: got 9") as e:
        decode(msgpack.packb(body))
    assert e.value.reason is RejectReason.ENUM_VALUE
    assert int(ActionKind.SET_PARAMETER) == 3


def test_messages_are_frozen_and_unhashable_values():
    m = Heartbeat(last_round=1)
    with pytest.raises(AttributeError):
        m.last_round = 2  # type: ignore[misc]
    assert m == Heartbeat(last_round=1) and m != Heartbeat(last_round=2) and m != Goodbye(reason="")


# Every msgpack form of an unsigned integer, at both ends of its range, in every field.
@pytest.mark.parametrize("values", [(0, 1, 0, 0), (2**64 - 1, 2**32 - 1, 2**64 - 1, 2**64 - 1), (300, 70_000, 5, 1_700_000_000_123_456_789),
                                    (127, 128, 255, 256), (65535, 65536, 2**32 - 1, 2**32), (2**32, 0, 128, 127)])
def test_timetag_head_written_in_place_is_the_canonical_envelope(values):
    first_round, n_rounds, seq, t = values
    # Every bin header form: empty, 1-byte, 2-byte and 4-byte lengths (64 KiB is sent in place).
    for n in (0, 1, 15, 16, 4095, 4096, 70_000):
        tags = np.zeros(n, TIMETAG_DTYPE)
        frame = encode(TimeTagBatch(first_round=first_round, n_rounds=n_rounds, tags=tags, seq=seq, t_send_ns=t))
        assert timetag_batch_head(first_round, n_rounds, seq, t, tags.nbytes) == frame[: len(frame) - tags.nbytes]


def test_timetag_head_declines_what_the_message_would_refuse():
    ok = (0, 1, 0, 0, 1 << 16)
    for i, bad in [(0, -1), (1, 2**32), (2, np.int64(3)), (3, 2**64)]:
        args = list(ok)
        args[i] = bad
        assert timetag_batch_head(*args) is None
    assert timetag_batch_head(0, 1, 0, 0, (1 << 16) + 3) is None  # not whole records
    assert timetag_batch_head(0, 1, 0, 0, -16) is None


def _read_only(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def test_an_immutable_action_is_packed_once_into_the_same_bytes():
    def cmd(action):
        return FeedbackCommand(command_id=7, apply_at_round=12, seq=3, t_send_ns=99, action=action)

    frozen = PauliFrameUpdate(qubits=_read_only(np.array([0, 4, 8], "<i4")), paulis=_read_only(np.full(3, 1, "u1")))
    fresh = PauliFrameUpdate(qubits=np.array([0, 4, 8], "<i4"), paulis=np.full(3, 1, "u1"))
    first = encode(cmd(frozen))
    assert first == encode(cmd(fresh)) == encode(cmd(frozen))  # cached bytes equal the uncached encoding
    assert "_packed" in frozen.__dict__ and frozen == fresh  # the cache is not a field: equality unchanged
    assert decode(first) == cmd(frozen)
    # A writable array could change after encoding: such an action is packed anew every time.
    qubits = np.array([0, 4, 8], "<i4")
    writable = PauliFrameUpdate(qubits=qubits, paulis=np.full(3, 1, "u1"))
    before = encode(cmd(writable))
    qubits[0] = 2
    assert "_packed" not in writable.__dict__ and encode(cmd(writable)) != before
    # A read-only view of writable memory is not immutable either.
    base = np.array([0, 4, 8], "<i4")
    view = PauliFrameUpdate(qubits=_read_only(base[:]), paulis=_read_only(np.full(3, 1, "u1")))
    before = encode(cmd(view))
    base[0] = 2
    assert encode(cmd(view)) != before


def test_a_remembered_action_is_judged_again_under_other_limits():
    """The fast path remembers decoded actions by their bytes, one table per Limits: an action accepted under
    generous limits must still be refused under tighter ones, and accepted again after."""
    frame = encode(FeedbackCommand(command_id=3, apply_at_round=9, seq=1, t_send_ns=2,
                                   action=SetParameter(name="pump_power_mw", value=2.5)))
    generous, tight = Codec(), Codec(Limits(max_string_bytes=8))
    for _ in range(2):
        assert generous.decode(frame).action.name == "pump_power_mw"
        with pytest.raises(FrameRejected) as e:
            tight.decode(frame)
        assert e.value.reason is RejectReason.STRING_LENGTH
    assert generous.accepted == 2 and tight.rejected[RejectReason.STRING_LENGTH] == 2
