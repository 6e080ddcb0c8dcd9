"""Uniform circuit-level depolarizing noise: every operation, and every idle qubit, errs with the same p."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

import stim

from protocols.codes.hooks import Basis, NoiseHooks, Role
from protocols.noise.channel import flip_instruction
from protocols.noise.model import NoiseModel, probability


class CircuitDepolarizingNoise(NoiseModel):
    """Standard uniform circuit noise with one parameter p (not SI1000: no per-operation scaling).

    DEPOLARIZE1(p) after single-qubit gates and on qubits idle during any gate layer, DEPOLARIZE2(p) after
    each two-qubit gate, a flip with probability p after each reset and before each measurement.
    """

    sweep_parameter: ClassVar[str] = "p"

    kind: Literal["circuit_depolarizing"] = "circuit_depolarizing"
    p: float = probability("Error probability of every operation and of every idle qubit per gate layer.")

    def hooks(self) -> NoiseHooks:
        """Hooks inserting uniform depolarizing noise with strength p."""
        return CircuitDepolarizingHooks(self.p)


class CircuitDepolarizingHooks:
    """NoiseHooks of uniform circuit depolarizing noise; nothing is appended when p = 0."""

    def __init__(self, p: float) -> None:
        self.p = p

    def after_reset(self, circuit: stim.Circuit, qubits: Sequence[int], basis: Basis, role: Role) -> None:
        """Flip freshly reset qubits with probability p."""
        if self.p > 0 and len(qubits):
            circuit.append(flip_instruction(basis), list(qubits), self.p)

    def round_start(self, circuit: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        """Append nothing: idling is charged per gate layer."""

    def after_1q_layer(self, circuit: stim.Circuit, qubits: Sequence[int], idle: Sequence[int]) -> None:
        """DEPOLARIZE1(p) on the gated and on the idle qubits."""
        targets = [*qubits, *idle]
        if self.p > 0 and targets:
            circuit.append("DEPOLARIZE1", targets, self.p)

    def after_2q_layer(
        self, circuit: stim.Circuit, pairs: Sequence[tuple[int, int]], idle: Sequence[int]
    ) -> None:
        """DEPOLARIZE2(p) on each pair, DEPOLARIZE1(p) on the idle qubits."""
        if self.p <= 0:
            return
        if len(pairs):
            circuit.append("DEPOLARIZE2", [int(q) for pair in pairs for q in pair], self.p)
        if len(idle):
            circuit.append("DEPOLARIZE1", list(idle), self.p)

    def before_measure(self, circuit: stim.Circuit, qubits: Sequence[int], basis: Basis, role: Role) -> None:
        """Flip the measured qubits with probability p."""
        if self.p > 0 and len(qubits):
            circuit.append(flip_instruction(basis), list(qubits), self.p)
