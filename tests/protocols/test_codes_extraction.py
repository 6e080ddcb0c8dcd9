"""The builder calls every hook at the documented places with consistent arguments."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import stim

from protocols.codes import CodeSpec, NoiseHooks, build_memory_circuit, layout


class Recorder:
    """Hooks that append nothing and record every call with the circuit's size at that moment."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def after_reset(self, c: stim.Circuit, qubits: Sequence[int], basis: str, role: str) -> None:
        self.calls.append(("after_reset", tuple(qubits), basis, role))

    def round_start(self, c: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        self.calls.append(("round_start", tuple(data_qubits), round_index))

    def after_1q_layer(self, c: stim.Circuit, qubits: Sequence[int], idle: Sequence[int]) -> None:
        self.calls.append(("after_1q_layer", tuple(qubits), tuple(idle)))

    def after_2q_layer(self, c: stim.Circuit, pairs: Sequence[tuple[int, int]], idle: Sequence[int]) -> None:
        self.calls.append(("after_2q_layer", tuple(map(tuple, pairs)), tuple(idle)))

    def before_measure(self, c: stim.Circuit, qubits: Sequence[int], basis: str, role: str) -> None:
        self.calls.append(("before_measure", tuple(qubits), basis, role, c.num_measurements))


@pytest.mark.parametrize(
    "spec",
    [
        CodeSpec("rotated_surface", 3, 3, "X"),
        CodeSpec("repetition", 3, 2, "Z"),
        CodeSpec("repetition", 3, 2, "X"),
        CodeSpec("xzzx", 5, 2, "Z"),
    ],
    ids=repr,
)
def test_hook_calls(spec: CodeSpec) -> None:
    rec = Recorder()
    assert isinstance(rec, NoiseHooks)
    circuit = build_memory_circuit(spec, rec)
    lay = layout(spec)
    everyone = set(lay.all_qubits)
    kinds = [c[0] for c in rec.calls]
    assert [c[2] for c in rec.calls if c[0] == "round_start"] == list(range(spec.rounds))
    assert all(set(c[1]) == set(lay.data_qubits) for c in rec.calls if c[0] == "round_start")
    # Resets: data once at the start, ancillas at the start and after each measure-and-reset.
    resets = [c for c in rec.calls if c[0] == "after_reset"]
    assert {q for c in resets if c[3] == "data" for q in c[1]} == set(lay.data_qubits)
    assert sum(1 for c in resets if c[3] == "ancilla") == spec.rounds + 1
    assert all(set(c[1]) == set(lay.ancillas) for c in resets if c[3] == "ancilla")
    # Every layer's active and idle qubits partition the code's qubits.
    for c in rec.calls:
        if c[0] == "after_2q_layer":
            active = [q for pair in c[1] for q in pair]
            assert len(active) == len(set(active)) and set(active) | set(c[2]) == everyone
            assert not set(active) & set(c[2])
        if c[0] == "after_1q_layer":
            assert set(c[1]) | set(c[2]) == everyone and not set(c[1]) & set(c[2])
    assert kinds.count("after_2q_layer") == len(lay.schedule) * spec.rounds
    # Measurements: ancillas once per round, then every data qubit once, in its own basis.
    measures = [c for c in rec.calls if c[0] == "before_measure"]
    assert [c[4] for c in measures[: spec.rounds]] == [k * len(lay.ancillas) for k in range(spec.rounds)]
    assert sorted(q for c in measures[spec.rounds :] for q in c[1]) == sorted(lay.data_qubits)
    assert all(c[3] == "data" for c in measures[spec.rounds :])
    assert circuit.num_measurements == spec.rounds * len(lay.ancillas) + len(lay.data_qubits)
