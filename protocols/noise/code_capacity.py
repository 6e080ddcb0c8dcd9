"""Code-capacity noise: independent X and Z flips on data qubits once, perfect syndrome measurement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

import stim

from protocols.codes.hooks import NoiseHooks
from protocols.noise.channel import ChannelHooks, EffectiveChannel
from protocols.noise.model import NoiseModel, check_distance, probability


class CodeCapacityNoise(NoiseModel):
    """Each data qubit suffers X with probability p and, independently, Z with probability p, before round 0.

    Independent flips give PAULI_CHANNEL_1(p(1-p), p^2, p(1-p)). Syndrome measurement is perfect and one
    round suffices, so `rounds_for` is 1; if a circuit has more rounds, only round 0 gets the errors.
    """

    sweep_parameter: ClassVar[str] = "p"

    kind: Literal["code_capacity"] = "code_capacity"
    p: float = probability("Probability of an X flip, and independently of a Z flip, on each data qubit.")

    def effective_channel(self) -> EffectiveChannel:
        """The data-qubit Pauli channel of this model (applied in round 0 only by `hooks`)."""
        p = self.p
        return EffectiveChannel(pauli_x=p * (1 - p), pauli_y=p * p, pauli_z=p * (1 - p))

    def hooks(self) -> NoiseHooks:
        """Hooks inserting the data-qubit flips at the start of round 0 and nothing else."""
        return _FirstRoundHooks(self.effective_channel())

    def rounds_for(self, distance: int) -> int:
        """One round: with perfect measurements, repeating the syndrome measurement adds nothing."""
        check_distance(distance)
        return 1


class _FirstRoundHooks(ChannelHooks):
    """Channel hooks whose data-qubit noise acts in round 0 only."""

    def round_start(self, circuit: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        """Apply the data-qubit channel in round 0 only."""
        if round_index == 0:
            super().round_start(circuit, data_qubits, round_index)
