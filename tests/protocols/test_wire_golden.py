"""Golden vectors: the encoder reproduces protocols/wire/golden/*.hex byte for byte and the decoder accepts them."""

import pytest

from protocols.wire import Kind, decode, encode
from protocols.wire.golden import from_hex, golden_messages, golden_path, to_hex

GOLDEN = golden_messages()


def test_one_golden_vector_per_kind():
    assert sorted(GOLDEN) == sorted(k.name.lower() for k in Kind)
    assert {type(m).KIND for m in GOLDEN.values()} == set(Kind)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_encoder_reproduces_golden_bytes(name):
    expected = from_hex(golden_path(name).read_text())
    assert encode(GOLDEN[name]) == expected


@pytest.mark.parametrize("name", sorted(GOLDEN))
@pytest.mark.parametrize("zero_copy_min_bytes", [0, 1 << 30])
def test_decoder_accepts_golden_bytes(name, zero_copy_min_bytes):
    frame = from_hex(golden_path(name).read_text())
    msg = decode(frame, zero_copy_min_bytes=zero_copy_min_bytes)
    assert msg == GOLDEN[name]
    assert encode(msg) == frame


def test_golden_files_are_canonical_hex():
    for name, msg in GOLDEN.items():
        assert golden_path(name).read_text() == to_hex(encode(msg))


def test_envelope_starts_every_frame():
    # SPEC: the first four keys are v, kind, seq, t_send_ns in that order.
    for name in GOLDEN:
        frame = from_hex(golden_path(name).read_text())
        assert frame[1:3] == b"\xa1v" and frame[3] == 1
        assert frame[4:9] == b"\xa4kind" and frame[9] == Kind[name.upper()].value


def test_spec_documents_every_kind_field_and_enum_value():
    import re

    from protocols.wire import ErrorCode, MESSAGE_TYPES
    from protocols.wire.golden import GOLDEN_DIR
    from protocols.wire.wiretypes import Struct, Tagged

    spec = (GOLDEN_DIR.parent / "SPEC.md").read_text()
    keys = set(re.findall(r"`([a-z_]+)`", spec))
    structs = list(MESSAGE_TYPES.values())
    while structs:
        cls = structs.pop()
        for name, t in cls.wire_fields():
            assert name in keys, f"SPEC.md does not document field {cls.__name__}.{name}"
            if isinstance(t, Struct):
                structs.append(t.cls)
            if isinstance(t, Tagged):
                structs.extend(t.options.values())
    for kind, cls in MESSAGE_TYPES.items():
        assert re.search(rf"\| {kind.value}\s+\| `{cls.__name__}`", spec), f"kind {kind.value} {cls.__name__} missing"
    for code in ErrorCode:
        assert re.search(rf"\| {code.name}\s+\| {code.value}\s", spec), f"ErrorCode {code.name} missing"
