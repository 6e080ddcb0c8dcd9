"""Which detector channels read out which qubit, and when: the map both sides agree on in the handshake.

A dual-rail qubit is read out by two detector channels: a click on rail 0 means outcome 0, a click on rail 1
outcome 1. No click on either rail means the photon was lost (an erasure); clicks on both mean a dark count
or a multi-photon event (a false herald). Every round lasts `round_period_ps`; qubit k is read out at
`slot_ps[k]` after the round starts, and a click counts for it when it falls within `window_ps` of that slot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from protocols.errors import ConfigError


@dataclass(frozen=True, eq=False)
class ChannelMap:
    """Rail channels and readout slots of every measured qubit (arrays are read-only)."""

    qubits: np.ndarray  # int32 (n,): stim qubit index of each readout slot
    rails: np.ndarray  # int32 (n, 2): detector channel of rail 0 and rail 1
    slot_ps: np.ndarray  # int64 (n,): readout time of the slot after the start of a round, ps
    round_period_ps: int  # duration of one round, ps
    window_ps: int  # half-width of the acceptance window around a slot, ps

    def __post_init__(self) -> None:
        q = np.ascontiguousarray(self.qubits, dtype=np.int32)
        r = np.ascontiguousarray(self.rails, dtype=np.int32)
        s = np.ascontiguousarray(self.slot_ps, dtype=np.int64)
        n = len(q)
        if r.shape != (n, 2):
            raise ConfigError(f"channel map: rails must have shape ({n}, 2), got {r.shape}")
        if s.shape != (n,):
            raise ConfigError(f"channel map: slot_ps must have shape ({n},), got {s.shape}")
        if len(np.unique(r)) != r.size or (r < 0).any():
            raise ConfigError("channel map: every rail needs its own non-negative channel number")
        if self.round_period_ps <= 0 or self.window_ps <= 0:
            raise ConfigError(
                f"channel map: round_period_ps ({self.round_period_ps}) and window_ps ({self.window_ps}) "
                "must be positive"
            )
        if n and ((s - self.window_ps < 0).any() or (s + self.window_ps >= self.round_period_ps).any()):
            raise ConfigError(
                f"channel map: every slot +- window_ps ({self.window_ps}) must lie inside the round "
                f"[0, {self.round_period_ps}) ps"
            )
        for name, arr in (("qubits", q), ("rails", r), ("slot_ps", s)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_slots(self) -> int:
        """Number of readout slots per round."""
        return len(self.qubits)

    def channel_lookup(self) -> np.ndarray:
        """int32 array indexed by channel: 2*slot + rail, or -1 for channels that read no qubit."""
        lut = np.full(int(self.rails.max(initial=-1)) + 1, -1, dtype=np.int32)
        for k in range(self.n_slots):
            lut[self.rails[k, 0]] = 2 * k
            lut[self.rails[k, 1]] = 2 * k + 1
        return lut

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChannelMap):
            return NotImplemented
        return (
            np.array_equal(self.qubits, other.qubits)
            and np.array_equal(self.rails, other.rails)
            and np.array_equal(self.slot_ps, other.slot_ps)
            and self.round_period_ps == other.round_period_ps
            and self.window_ps == other.window_ps
        )

    __hash__ = None  # type: ignore[assignment]


def dual_rail_map(
    qubits: np.ndarray | list[int], round_period_ps: int, slot_spacing_ps: int, window_ps: int
) -> ChannelMap:
    """The default map: qubit slot k on channels (2k, 2k+1), slots `slot_spacing_ps` apart from the first."""
    q = np.asarray(qubits, dtype=np.int32)
    n = len(q)
    rails = np.arange(2 * n, dtype=np.int32).reshape(n, 2)
    slots = window_ps + slot_spacing_ps * np.arange(n, dtype=np.int64)
    return ChannelMap(q, rails, slots, round_period_ps, window_ps)


def channel_map_for_code(qubits: np.ndarray | list[int], round_period_ps: int, window_ps: int) -> ChannelMap:
    """The map both sides derive from a code: every qubit read at mid-round on rails (2k, 2k+1), qubits sorted."""
    q = np.sort(np.asarray(qubits, dtype=np.int32))
    n = len(q)
    rails = np.arange(2 * n, dtype=np.int32).reshape(n, 2)
    slots = np.full(n, round_period_ps // 2, dtype=np.int64)
    return ChannelMap(q, rails, slots, int(round_period_ps), int(window_ps))
