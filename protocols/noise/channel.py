"""The effective per-qubit, per-round noise channel every noise model reduces to, and its circuit hooks."""

from __future__ import annotations

from collections.abc import Sequence

import pydantic
import stim
from pydantic import Field

from protocols.codes.hooks import Basis, NoiseHooks, Role
from protocols.config import StrictModel
from protocols.noise.heralds import HeraldWriter


def _prob(description: str) -> pydantic.fields.FieldInfo:
    return Field(default=0.0, ge=0.0, le=1.0, description=description)


class EffectiveChannel(StrictModel):
    """Per-qubit, per-round probabilities of each error mechanism, as stim inserts them (all default 0).

    Mechanisms are applied independently of each other, in circuit order: reset flips after every reset,
    heralded erasure / false herald then Pauli errors on data qubits at the start of every round, two-qubit
    depolarizing after every entangling gate, then heralded measurement erasure and measurement flips right
    before every measurement.
    """

    erasure: float = _prob(
        "Heralded erasure of each data qubit per round; the erased qubit gets a uniformly random Pauli (I, X, Y, Z)."
    )
    false_herald: float = _prob("Herald without error on each data qubit per round (disjoint from erasure).")
    pauli_x: float = _prob("Unheralded X error on each data qubit per round.")
    pauli_y: float = _prob("Unheralded Y error on each data qubit per round.")
    pauli_z: float = _prob("Unheralded Z error on each data qubit per round.")
    gate_depolarizing: float = _prob("Two-qubit depolarizing probability after each entangling gate.")
    measurement_flip: float = _prob("Unheralded flip of each measurement outcome (X_ERROR/Z_ERROR before it).")
    measurement_erasure: float = _prob(
        "Heralded erasure of each measured qubit right before measurement (detector inefficiency): random outcome."
    )
    reset_flip: float = _prob("Flip of each qubit right after its reset (X_ERROR/Z_ERROR by reset basis).")

    @pydantic.model_validator(mode="after")
    def _check_sums(self) -> EffectiveChannel:
        # Both sums are one stim instruction's disjoint outcome probabilities, which stim requires to be <= 1.
        if self.erasure + self.false_herald > 1.0:
            raise ValueError(
                f"erasure + false_herald must be <= 1 (got {self.erasure} + {self.false_herald})"
            )
        pauli = self.pauli_x + self.pauli_y + self.pauli_z
        if pauli > 1.0:
            raise ValueError(f"pauli_x + pauli_y + pauli_z must be <= 1 (got {pauli})")
        return self

    def hooks(self) -> NoiseHooks:
        """Noise hooks that insert exactly this channel into a circuit builder's output."""
        return ChannelHooks(self)


def flip_instruction(basis: Basis) -> str:
    """The Pauli error that flips a measurement or reset in `basis` ("X_ERROR" for Z basis, "Z_ERROR" for X)."""
    return "X_ERROR" if basis == "Z" else "Z_ERROR"


class ChannelHooks:
    """NoiseHooks inserting an `EffectiveChannel`; instructions whose probability is 0 are omitted."""

    def __init__(self, channel: EffectiveChannel) -> None:
        self.channel = channel
        self._heralds = HeraldWriter()

    def after_reset(self, circuit: stim.Circuit, qubits: Sequence[int], basis: Basis, role: Role) -> None:
        """Flip freshly reset qubits with probability reset_flip."""
        if self.channel.reset_flip > 0 and len(qubits):
            circuit.append(flip_instruction(basis), list(qubits), self.channel.reset_flip)

    def round_start(self, circuit: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        """Heralded erasure / false herald, then Pauli errors, on every data qubit."""
        self._heralds.set_round(circuit, round_index)
        ch = self.channel
        if not len(data_qubits):
            return
        if ch.erasure > 0 or ch.false_herald > 0:
            e4 = ch.erasure / 4
            self._heralds.append(
                circuit, "HERALDED_PAULI_CHANNEL_1", data_qubits, [ch.false_herald + e4, e4, e4, e4]
            )
        if ch.pauli_x > 0 or ch.pauli_y > 0 or ch.pauli_z > 0:
            circuit.append("PAULI_CHANNEL_1", list(data_qubits), [ch.pauli_x, ch.pauli_y, ch.pauli_z])

    def after_1q_layer(self, circuit: stim.Circuit, qubits: Sequence[int], idle: Sequence[int]) -> None:
        """Append nothing: the effective channel charges single-qubit gates to the per-round Pauli rates."""

    def after_2q_layer(
        self, circuit: stim.Circuit, pairs: Sequence[tuple[int, int]], idle: Sequence[int]
    ) -> None:
        """Two-qubit depolarizing on every entangling pair."""
        if self.channel.gate_depolarizing > 0 and len(pairs):
            targets = [int(q) for pair in pairs for q in pair]
            circuit.append("DEPOLARIZE2", targets, self.channel.gate_depolarizing)

    def before_measure(self, circuit: stim.Circuit, qubits: Sequence[int], basis: Basis, role: Role) -> None:
        """Heralded erasure of the measured qubits, then measurement flips."""
        ch = self.channel
        if not len(qubits):
            return
        if ch.measurement_erasure > 0:
            # Data qubits are measured after the last round, where the builders put the final detectors
            # (t = rounds); their heralds take that t too. Ancilla heralds keep the current round.
            offset = 1 if role == "data" else 0
            self._heralds.append(circuit, "HERALDED_ERASE", qubits, [ch.measurement_erasure], offset)
        if ch.measurement_flip > 0:
            circuit.append(flip_instruction(basis), list(qubits), ch.measurement_flip)
