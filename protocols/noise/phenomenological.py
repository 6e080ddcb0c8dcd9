"""Phenomenological noise: data-qubit flips every round and noisy syndrome measurements, ideal gates."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from protocols.codes.hooks import NoiseHooks
from protocols.noise.channel import EffectiveChannel
from protocols.noise.model import NoiseModel, probability


class PhenomenologicalNoise(NoiseModel):
    """Each round, every data qubit flips X with probability p and independently Z with probability p;
    every measurement outcome flips with probability q (q = p unless set), as in Dennis et al. (2002)."""

    sweep_parameter: ClassVar[str] = "p"

    kind: Literal["phenomenological"] = "phenomenological"
    p: float = probability("Per-round probability of an X flip, and independently of a Z flip, per data qubit.")
    q: float | None = Field(
        default=None, ge=0.0, le=1.0, allow_inf_nan=False,
        description="Measurement-flip probability; null means q = p (follows p when p is swept).",
    )

    @property
    def measurement_flip(self) -> float:
        """The measurement-flip probability in force (q, or p when q is unset)."""
        return self.p if self.q is None else self.q

    def effective_channel(self) -> EffectiveChannel:
        """The per-round channel: independent X/Z data flips and measurement flips."""
        p = self.p
        return EffectiveChannel(
            pauli_x=p * (1 - p), pauli_y=p * p, pauli_z=p * (1 - p), measurement_flip=self.measurement_flip
        )

    def hooks(self) -> NoiseHooks:
        """Hooks inserting the per-round channel."""
        return self.effective_channel().hooks()
