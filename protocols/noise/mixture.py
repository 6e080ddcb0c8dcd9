"""One total physical error rate split over error mechanisms, to compare error distributions at equal strength."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import pydantic

from protocols.codes.hooks import NoiseHooks
from protocols.config import StrictModel
from protocols.noise.channel import EffectiveChannel
from protocols.noise.model import NoiseModel, probability


class MixtureFractions(StrictModel):
    """Fractions of the total error rate per mechanism; they must sum to 1."""

    erasure: float = probability("Fraction going to heralded data-qubit erasure.", 0.0)
    pauli_z: float = probability("Fraction going to unheralded Z errors on data qubits.", 0.0)
    pauli_x: float = probability("Fraction going to unheralded X errors on data qubits.", 0.0)
    gate_depolarizing: float = probability("Fraction going to two-qubit depolarizing after entangling gates.", 0.0)
    measurement: float = probability("Fraction going to measurement flips.", 0.0)

    @pydantic.model_validator(mode="after")
    def _sum_to_one(self) -> MixtureFractions:
        total = sum(self.model_dump().values())
        if not math.isclose(total, 1.0, rel_tol=0.0, abs_tol=1e-9):
            raise ValueError(f"fractions must sum to 1 (got {total!r})")
        return self


class MixtureNoise(NoiseModel):
    """Total rate p_total split over mechanisms: each mechanism's probability is fraction * p_total.

    "Total physical error rate" is the sum of the per-mechanism probabilities (per data qubit per round for
    erasure and Paulis, per entangling gate, per measurement), so mixtures with equal p_total are compared
    at equal error budget.
    """

    sweep_parameter: ClassVar[str] = "p_total"

    kind: Literal["mixture"] = "mixture"
    p_total: float = probability("Total physical error rate shared by the mechanisms.")
    fractions: MixtureFractions

    def effective_channel(self) -> EffectiveChannel:
        """The per-round channel: each mechanism at fraction * p_total."""
        f, p = self.fractions, self.p_total
        return EffectiveChannel(
            erasure=f.erasure * p,
            pauli_z=f.pauli_z * p,
            pauli_x=f.pauli_x * p,
            gate_depolarizing=f.gate_depolarizing * p,
            measurement_flip=f.measurement * p,
        )

    def hooks(self) -> NoiseHooks:
        """Hooks inserting the per-round channel."""
        return self.effective_channel().hooks()
