"""The places where a noise model is inserted into a noiseless syndrome-extraction circuit.

Circuit builders in this package emit only ideal operations and call a `NoiseHooks` object at each
place where hardware noise acts. A noise model (see `protocols.noise`) implements those hooks by
appending stim noise instructions. The builders never compute measurement-record lookbacks from
their own counts: they read `circuit.num_measurements`, so hooks may append measurements of their own
(heralds of `HERALDED_ERASE` / `HERALDED_PAULI_CHANNEL_1`).

Conventions every hook implementation and every consumer relies on:

- Qubits are stim qubit indices; the code object gives their coordinates and roles.
- A herald that a hook appends is declared at once as a detector on `rec[-1]` with four coordinates
  `(x, y, t, HERALD_COORD)`; ordinary detectors carry three coordinates `(x, y, t)`. Decoders find
  heralds with `herald_detector_mask`.
- `basis` is "X" or "Z"; `role` is "data" or "ancilla".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import stim

Basis = Literal["X", "Z"]
Role = Literal["data", "ancilla"]

#: Fourth detector coordinate that marks a detector as the herald of an erasure (or a false herald).
HERALD_COORD = -1.0


@runtime_checkable
class NoiseHooks(Protocol):
    """Callbacks a circuit builder makes at every place noise acts; each appends to `circuit`."""

    def after_reset(self, circuit: stim.Circuit, qubits: Sequence[int], basis: Basis, role: Role) -> None:
        """Noise right after qubits are prepared (preparation errors)."""

    def round_start(self, circuit: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        """Noise on data qubits at the start of round `round_index` (0-based): memory, loss, phase noise."""

    def after_1q_layer(self, circuit: stim.Circuit, qubits: Sequence[int], idle: Sequence[int]) -> None:
        """Noise after a layer of single-qubit gates on `qubits`, with `idle` qubits waiting."""

    def after_2q_layer(
        self, circuit: stim.Circuit, pairs: Sequence[tuple[int, int]], idle: Sequence[int]
    ) -> None:
        """Noise after a layer of two-qubit (entangling) gates on `pairs`, with `idle` qubits waiting."""

    def before_measure(self, circuit: stim.Circuit, qubits: Sequence[int], basis: Basis, role: Role) -> None:
        """Noise right before qubits are measured in `basis` (measurement flips, detector erasures)."""


class NoNoise:
    """The noiseless model: every hook appends nothing."""

    def after_reset(self, circuit: stim.Circuit, qubits: Sequence[int], basis: Basis, role: Role) -> None:
        """Append nothing."""

    def round_start(self, circuit: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        """Append nothing."""

    def after_1q_layer(self, circuit: stim.Circuit, qubits: Sequence[int], idle: Sequence[int]) -> None:
        """Append nothing."""

    def after_2q_layer(
        self, circuit: stim.Circuit, pairs: Sequence[tuple[int, int]], idle: Sequence[int]
    ) -> None:
        """Append nothing."""

    def before_measure(self, circuit: stim.Circuit, qubits: Sequence[int], basis: Basis, role: Role) -> None:
        """Append nothing."""


def herald_detector_mask(circuit: stim.Circuit) -> np.ndarray:
    """Boolean array of shape (num_detectors,): True where the detector is an erasure herald."""
    coords = circuit.get_detector_coordinates()
    mask = np.zeros(circuit.num_detectors, dtype=np.bool_)
    for k, c in coords.items():
        if len(c) >= 4 and c[3] == HERALD_COORD:
            mask[k] = True
    return mask
