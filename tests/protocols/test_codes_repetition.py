"""Repetition code memory circuits against stim's generated `repetition_code:memory` (stim 1.16)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import stim

from protocols.codes import CodeSpec, NoNoise, build_memory_circuit, layout

P_CLIFFORD, P_DATA, P_MEAS, P_RESET = 0.004, 0.003, 0.005, 0.002


class StimLikeNoise:
    """Test hooks that place noise exactly where stim's generated circuits place it."""

    def after_reset(self, c: stim.Circuit, qubits: Sequence[int], basis: str, role: str) -> None:
        c.append("X_ERROR" if basis == "Z" else "Z_ERROR", qubits, P_RESET)

    def round_start(self, c: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        c.append("DEPOLARIZE1", data_qubits, P_DATA)

    def after_1q_layer(self, c: stim.Circuit, qubits: Sequence[int], idle: Sequence[int]) -> None:
        c.append("DEPOLARIZE1", qubits, P_CLIFFORD)

    def after_2q_layer(self, c: stim.Circuit, pairs: Sequence[tuple[int, int]], idle: Sequence[int]) -> None:
        c.append("DEPOLARIZE2", [q for pair in pairs for q in pair], P_CLIFFORD)

    def before_measure(self, c: stim.Circuit, qubits: Sequence[int], basis: str, role: str) -> None:
        c.append("X_ERROR" if basis == "Z" else "Z_ERROR", qubits, P_MEAS)


class DataPauli(NoNoise):
    """Only a Pauli `kind` error on every data qubit at the start of every round."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def round_start(self, c: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        c.append(f"{self.kind}_ERROR", data_qubits, 0.01)


def errors_by_coords(circuit: stim.Circuit, to_xyt) -> dict[tuple[frozenset, frozenset], float]:
    coords = {k: to_xyt(tuple(v)) for k, v in circuit.get_detector_coordinates().items()}
    out: dict[tuple[frozenset, frozenset], float] = {}
    for inst in circuit.detector_error_model(decompose_errors=False).flattened():
        if inst.type == "error":
            t = inst.targets_copy()
            key = (
                frozenset(coords[x.val] for x in t if x.is_relative_detector_id()),
                frozenset(x.val for x in t if x.is_logical_observable_id()),
            )
            p, q = inst.args_copy()[0], out.get(key, 0.0)
            out[key] = round(q * (1 - p) + p * (1 - q), 12)
    return out


@pytest.mark.parametrize("d", [2, 3, 5, 7])
def test_bit_flip_code_matches_stim_generated(d: int) -> None:
    ours = build_memory_circuit(CodeSpec("repetition", d, d, "Z"), StimLikeNoise())
    ref = stim.Circuit.generated(
        "repetition_code:memory",
        distance=d,
        rounds=d,
        after_clifford_depolarization=P_CLIFFORD,
        before_round_data_depolarization=P_DATA,
        before_measure_flip_probability=P_MEAS,
        after_reset_flip_probability=P_RESET,
    )
    assert ours.num_detectors == ref.num_detectors == d * (d - 1) + (d - 1)
    assert ours.num_observables == ref.num_observables == 1
    assert len(ours.shortest_graphlike_error()) == d == len(ref.shortest_graphlike_error())
    # stim's repetition-code detectors carry (x, t); ours (x, y=0, t).
    assert errors_by_coords(ours, lambda c: c) == errors_by_coords(ref, lambda c: (c[0], 0.0, c[1]))


@pytest.mark.parametrize("d", [2, 3, 6])
@pytest.mark.parametrize("basis", ["X", "Z"])
def test_noiseless_deterministic_and_distance(d: int, basis: str) -> None:
    spec = CodeSpec("repetition", d, 3, basis)
    circuit = build_memory_circuit(spec)
    dets = circuit.compile_detector_sampler(seed=5).sample(128, append_observables=True)
    assert not dets.any()
    noisy = build_memory_circuit(spec, StimLikeNoise())
    assert len(noisy.shortest_graphlike_error()) == d


@pytest.mark.parametrize("basis", ["X", "Z"])
def test_protects_only_against_its_error_type(basis: str) -> None:
    """Bit-flip code (Z basis) detects X errors and ignores Z; the phase-flip code (X basis) the reverse."""
    spec = CodeSpec("repetition", 5, 2, basis)
    caught, ignored = ("X", "Z") if basis == "Z" else ("Z", "X")
    dem = build_memory_circuit(spec, DataPauli(caught)).detector_error_model()
    assert dem.num_errors > 0
    assert len(build_memory_circuit(spec, DataPauli(caught)).shortest_graphlike_error()) == 5
    # The other error type neither trips a detector nor flips the stored logical: no mechanism at all.
    assert build_memory_circuit(spec, DataPauli(ignored)).detector_error_model().num_errors == 0


def test_layout() -> None:
    lay = layout(CodeSpec("repetition", 4, 1, "Z"))
    assert lay.data_qubits == (0, 2, 4, 6) and lay.z_ancillas == (1, 3, 5) and lay.x_ancillas == ()
    assert lay.num_physical_qubits == 7
    assert len(lay.schedule) == 2
    assert lay.check_support(3) == ((2, "Z"), (4, "Z"))
    assert layout(CodeSpec("repetition", 4, 1, "X")).x_ancillas == (1, 3, 5)
