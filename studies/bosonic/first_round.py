"""Code-capacity hooks for any effective channel: the data-qubit channel acts once, before round 0."""

from __future__ import annotations

from collections.abc import Sequence

import stim

from protocols.codes import NoiseHooks
from protocols.noise import ChannelHooks, EffectiveChannel

__all__ = ["first_round_hooks"]


class _FirstRound(ChannelHooks):
    def round_start(self, circuit: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        """Apply the data-qubit channel in round 0 only."""
        if round_index == 0:
            super().round_start(circuit, data_qubits, round_index)


def first_round_hooks(channel: EffectiveChannel) -> NoiseHooks:
    """Hooks inserting `channel`'s data-qubit errors at the start of round 0 only (code capacity)."""
    return _FirstRound(channel)
