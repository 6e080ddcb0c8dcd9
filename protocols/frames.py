"""How a memory experiment's measurement record maps onto readout frames (rounds) and slots (qubits).

The emulator turns each record entry into clicks at a round and slot; the controller rebuilds the record from
the clicks it ingests and hands it to stim's measurement-to-detection-event converter. Both derive this
layout from the same circuit, so they agree by construction.

A *frame* is one round of readout: it opens at the first record entry after a measurement layer that was
followed by a TICK, or at an entry for a qubit that already has one of the same kind in the current frame. Each frame gives every slot (a measured qubit of the channel map) at most one *outcome*
(an M/MX/MR... result) and at most one *herald* (from HERALDED_ERASE / HERALDED_PAULI_CHANNEL_1). In a
syndrome round, data-qubit slots carry only the herald of the erasure check, ancilla slots carry the outcome
and the herald of the measurement's own erasure; in the final frame data-qubit slots carry the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import stim

from protocols.errors import CodeError

_MEASURE = {"M", "MX", "MY", "MR", "MRX", "MRY", "MZ", "MRZ"}
_HERALD = {"HERALDED_ERASE", "HERALDED_PAULI_CHANNEL_1"}


@dataclass(frozen=True, eq=False)
class FrameLayout:
    """Record index of the outcome and of the herald of every (frame, slot); -1 where there is none."""

    outcome_index: np.ndarray  # int32 (n_frames, n_slots)
    herald_index: np.ndarray  # int32 (n_frames, n_slots)
    qubits: np.ndarray  # int32 (n_slots,): stim qubit of each slot
    num_measurements: int  # length of the circuit's measurement record

    @property
    def n_frames(self) -> int:
        """Frames (readout rounds) in one run of the circuit."""
        return self.outcome_index.shape[0]

    @property
    def n_slots(self) -> int:
        """Slots (measured qubits) per frame."""
        return self.outcome_index.shape[1]

    @classmethod
    def from_circuit(cls, circuit: stim.Circuit, qubits: np.ndarray | list[int] | None = None) -> FrameLayout:
        """Derive the layout of `circuit`; slots are `qubits` in that order (default: every measured qubit)."""
        entries: list[tuple[int, int, bool]] = []  # (frame, qubit, is_herald) per record entry
        frame = -1
        closed = True  # the next record entry opens a new frame
        measured_since_tick = False
        seen: set[tuple[int, bool]] = set()
        for inst in circuit.flattened():
            name = inst.name
            if name == "TICK":
                if measured_since_tick:
                    closed = True
                    measured_since_tick = False
                continue
            is_measure = name in _MEASURE
            if not is_measure and name not in _HERALD:
                continue
            targets = inst.targets_copy()
            for t in targets:
                if not t.is_qubit_target:
                    raise CodeError(f"frame layout: {name} on a non-qubit target {t!r} is not supported")
            # A qubit read twice (or heralded twice) without a TICK in between also opens a new frame.
            if closed or any((t.value, not is_measure) in seen for t in targets):
                frame += 1
                closed = False
                seen = set()
            for t in targets:
                entries.append((frame, t.value, not is_measure))
                seen.add((t.value, not is_measure))
            measured_since_tick |= is_measure
        if len(entries) != circuit.num_measurements:
            raise CodeError(
                f"frame layout: found {len(entries)} record entries but the circuit has "
                f"{circuit.num_measurements} measurements (unsupported measurement instruction?)"
            )
        measured = sorted({q for _, q, _ in entries})
        slots = np.asarray(measured if qubits is None else qubits, dtype=np.int32)
        slot_of = {int(q): k for k, q in enumerate(slots)}
        n_frames = frame + 1
        outcome = np.full((n_frames, len(slots)), -1, dtype=np.int32)
        herald = np.full((n_frames, len(slots)), -1, dtype=np.int32)
        for i, (f, q, is_herald) in enumerate(entries):
            if q not in slot_of:
                raise CodeError(f"frame layout: qubit {q} is measured but has no slot in the channel map")
            target = herald if is_herald else outcome
            if target[f, slot_of[q]] != -1:
                kind = "herald" if is_herald else "outcome"
                raise CodeError(f"frame layout: qubit {q} has two {kind}s in frame {f}")
            target[f, slot_of[q]] = i
        for a in (outcome, herald):
            a.setflags(write=False)
        slots.setflags(write=False)
        return cls(outcome, herald, slots, circuit.num_measurements)

    def to_frames(self, record: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split measurement records (shots, num_measurements) into outcomes and heralds (shots, frames, slots).

        Slots without an outcome (or herald) in a frame read 0.
        """
        record = np.asarray(record, dtype=np.uint8)
        if record.ndim != 2 or record.shape[1] != self.num_measurements:
            raise CodeError(f"expected records of shape (shots, {self.num_measurements}), got {record.shape}")
        padded = np.concatenate([record, np.zeros((record.shape[0], 1), np.uint8)], axis=1)
        return padded[:, self.outcome_index], padded[:, self.herald_index]

    def to_record(self, outcomes: np.ndarray, heralds: np.ndarray) -> np.ndarray:
        """Rebuild measurement records (shots, num_measurements) uint8 from (shots, frames, slots) arrays."""
        shots = outcomes.shape[0]
        if outcomes.shape[1:] != self.outcome_index.shape or heralds.shape != outcomes.shape:
            raise CodeError(
                f"expected (shots, {self.n_frames}, {self.n_slots}) outcomes and heralds, "
                f"got {outcomes.shape} and {heralds.shape}"
            )
        record = np.zeros((shots, self.num_measurements + 1), dtype=np.uint8)
        record[:, self.outcome_index.ravel()] = outcomes.reshape(shots, -1)
        record[:, self.herald_index.ravel()] = heralds.reshape(shots, -1)
        return record[:, : self.num_measurements]
