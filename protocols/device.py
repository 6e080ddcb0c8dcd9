"""The device side of the loop as one interface: the emulator, a replay of a recording and a real instrument
all implement `Device`, and the wire server serves any of them (which one is a config choice)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from protocols.channel_map import ChannelMap
from protocols.codes import CodeSpec


@dataclass(frozen=True)
class DeviceBatch:
    """Rounds [first_round, first_round + n_rounds) as time tags (TIMETAG_DTYPE, sorted by time_ps)."""

    first_round: int
    n_rounds: int
    tags: np.ndarray


@runtime_checkable
class Device(Protocol):
    """A source of time-tag batches and a sink of commands."""

    name: str
    round_period_ps: int

    @property
    def spec(self) -> CodeSpec:
        """The code the device runs now."""

    @property
    def channel_map(self) -> ChannelMap:
        """Rails and slots of the current code."""

    @property
    def next_round(self) -> int:
        """The first round not produced yet (always a block boundary)."""

    def frames_per_block(self) -> int:
        """Rounds per memory block of the current code."""

    def next_batch(self, max_blocks: int) -> DeviceBatch | None:
        """Up to `max_blocks` more blocks, or None when the device has nothing more to give."""

    def switch_code(self, spec: CodeSpec, apply_at_round: int) -> None:
        """Run `spec` from the first block boundary at or after `apply_at_round` (or raise QuantaCoreError)."""

    def set_parameter(self, name: str, value: float, apply_at_round: int) -> None:
        """Set a device parameter at that boundary (or raise QuantaCoreError)."""
