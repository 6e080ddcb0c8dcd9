"""Erasure-dominated noise: heralded erasures of data qubits, with optional residual Pauli and readout erasure."""

from __future__ import annotations

from typing import ClassVar, Literal

from protocols.codes.hooks import NoiseHooks
from protocols.noise.channel import EffectiveChannel
from protocols.noise.model import NoiseModel, probability


class ErasureNoise(NoiseModel):
    """Every data qubit is erased (heralded, then a uniformly random Pauli) with probability pe per round;
    optionally a residual unheralded depolarizing error p per round (X, Y, Z each p/3) and heralded erasure
    of measured qubits with probability measurement_erasure."""

    sweep_parameter: ClassVar[str] = "pe"

    kind: Literal["erasure"] = "erasure"
    pe: float = probability("Per-round heralded erasure probability of each data qubit.")
    p: float = probability("Per-round residual (unheralded) depolarizing probability of each data qubit.", 0.0)
    measurement_erasure: float = probability("Heralded erasure probability of each measured qubit.", 0.0)

    def effective_channel(self) -> EffectiveChannel:
        """The per-round channel of this model."""
        return EffectiveChannel(
            erasure=self.pe,
            pauli_x=self.p / 3, pauli_y=self.p / 3, pauli_z=self.p / 3,
            measurement_erasure=self.measurement_erasure,
        )

    def hooks(self) -> NoiseHooks:
        """Hooks inserting the per-round channel."""
        return self.effective_channel().hooks()
