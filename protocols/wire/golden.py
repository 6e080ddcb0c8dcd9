"""Golden vectors: one fixed example message per kind, and the hex files that pin their encoding.

`python -m protocols.wire.golden` rewrites protocols/wire/golden/<kind>.hex; a test checks that the encoder
still produces them byte for byte and that the decoder accepts them. Change them only with a version bump.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np

from protocols.timetags import TIMETAG_DTYPE, RecordType
from protocols.wire.codec import encode
from protocols.wire.messages import (
    ChannelMap,
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
    Message,
    PauliFrameUpdate,
    Refuse,
    Role,
    SyndromeFrame,
    Telemetry,
    TimeTagBatch,
)

GOLDEN_DIR = pathlib.Path(__file__).with_name("golden")
_T0 = 1_700_000_000_000_000_000  # a fixed Unix time in ns


def golden_messages() -> dict[str, Message]:
    """One deterministic example per message kind, keyed by the kind's lower-case name."""
    code = CodeSpec(family="rotated_surface", distance=3, rounds=3, basis="Z")
    cmap = ChannelMap.from_pairs({0: (0, 1), 1: (2, 3), 2: (4, 5)})
    tags = np.zeros(4, dtype=TIMETAG_DTYPE)
    tags["type"] = [RecordType.TAG, RecordType.TAG, RecordType.TAG, RecordType.MISSED_EVENTS]
    tags["missed"] = [0, 0, 0, 7]
    tags["channel"] = [0, 3, 5, 2]
    tags["time_ps"] = [1_000, 1_250, 1_000_500, 1_000_900]
    bits = np.array([[1, 0, 1, 1, 0, 0, 0, 0, 1, 0], [0, 1, 0, 0, 0, 0, 0, 1, 0, 1]], dtype=bool)
    erased = np.zeros_like(bits)
    erased[1, 2] = True
    env = {"t_send_ns": _T0}
    hello = dict(code=code, channel_map=cmap, clock_hz=1.0e6, epoch_ns=_T0 - 5_000_000, heartbeat_ms=500)
    msgs: list[Message] = [
        Hello(endpoint="controller-a", role=Role.CONTROLLER, seq=0, **hello, **env),
        HelloAck(endpoint="emulator-1", role=Role.DEVICE, seq=0, **hello, **env),
        Refuse(code=ErrorCode.VERSION, message="peer speaks protocol version 2, this endpoint speaks version 1",
               min_version=1, max_version=1, seq=1, **env),
        TimeTagBatch(first_round=42, n_rounds=2, tags=tags, seq=7, **env),
        SyndromeFrame.from_bits(42, bits, erased, seq=8, **env),
        FeedbackCommand(command_id=5, apply_at_round=50,
                        action=PauliFrameUpdate(qubits=np.array([1, 2], "<i4"), paulis=np.array([1, 3], "u1")),
                        seq=3, **env),
        CommandAck(command_id=5, status=CommandStatus.APPLIED, applied_round=50, detail="", seq=9, **env),
        Heartbeat(last_round=49, seq=10, **env),
        Telemetry(values={"rounds": 1000, "decode_p50_us": 4.5}, seq=11, **env),
        Error(code=ErrorCode.MALFORMED, message="not one complete msgpack object", ref_seq=12, seq=12, **env),
        Goodbye(reason="run finished", seq=13, **env),
    ]
    return {m.KIND.name.lower(): m for m in msgs}


def golden_path(name: str) -> pathlib.Path:
    """The hex file of one golden vector."""
    return GOLDEN_DIR / f"{name}.hex"


def to_hex(frame: bytes) -> str:
    """Hex text of a frame: lower-case, 32 bytes per line, trailing newline."""
    h = frame.hex()
    return "".join(h[i : i + 64] + "\n" for i in range(0, len(h), 64))


def from_hex(text: str) -> bytes:
    """Bytes of a golden hex file (whitespace ignored)."""
    return bytes.fromhex("".join(text.split()))


def write_golden(directory: pathlib.Path = GOLDEN_DIR) -> list[pathlib.Path]:
    """Write every golden vector as <kind>.hex into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for name, msg in golden_messages().items():
        p = directory / f"{name}.hex"
        p.write_text(to_hex(encode(msg)))
        out.append(p)
    return out


if __name__ == "__main__":
    for p in write_golden(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN_DIR):
        print(p)
