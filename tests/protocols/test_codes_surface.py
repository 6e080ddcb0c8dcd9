"""Rotated surface code memory circuits against stim's own generated circuits (stim 1.16).

Reference: C. Gidney, "Stim: a fast stabilizer circuit simulator", Quantum 5, 497 (2021); its
`stim.Circuit.generated("surface_code:rotated_memory_{x,z}")` circuits are the community reference
for circuit-level rotated surface code memories, with circuit distance d under its noise parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pymatching
import pytest
import stim

from protocols.codes import CodeSpec, NoNoise, build_memory_circuit, layout

P_CLIFFORD, P_DATA, P_MEAS, P_RESET = 0.004, 0.003, 0.005, 0.002


class StimLikeNoise:
    """Test hooks that place noise exactly where stim's generated circuits place it."""

    def __init__(self, p_clifford: float, p_data: float, p_meas: float, p_reset: float) -> None:
        self.p = (p_clifford, p_data, p_meas, p_reset)

    def after_reset(self, c: stim.Circuit, qubits: Sequence[int], basis: str, role: str) -> None:
        c.append("X_ERROR" if basis == "Z" else "Z_ERROR", qubits, self.p[3])

    def round_start(self, c: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        c.append("DEPOLARIZE1", data_qubits, self.p[1])

    def after_1q_layer(self, c: stim.Circuit, qubits: Sequence[int], idle: Sequence[int]) -> None:
        c.append("DEPOLARIZE1", qubits, self.p[0])

    def after_2q_layer(self, c: stim.Circuit, pairs: Sequence[tuple[int, int]], idle: Sequence[int]) -> None:
        c.append("DEPOLARIZE2", [q for pair in pairs for q in pair], self.p[0])

    def before_measure(self, c: stim.Circuit, qubits: Sequence[int], basis: str, role: str) -> None:
        c.append("X_ERROR" if basis == "Z" else "Z_ERROR", qubits, self.p[2])


def stim_reference(d: int, rounds: int, basis: str) -> stim.Circuit:
    return stim.Circuit.generated(
        f"surface_code:rotated_memory_{basis.lower()}",
        distance=d,
        rounds=rounds,
        after_clifford_depolarization=P_CLIFFORD,
        before_round_data_depolarization=P_DATA,
        before_measure_flip_probability=P_MEAS,
        after_reset_flip_probability=P_RESET,
    )


def canonical_dem(circuit: stim.Circuit) -> dict[tuple[frozenset, frozenset], float]:
    """Error mechanisms keyed by (detector coordinates, observables), equal-symptom errors merged."""
    coords = {k: tuple(v) for k, v in circuit.get_detector_coordinates().items()}
    out: dict[tuple[frozenset, frozenset], float] = {}
    for inst in circuit.detector_error_model(decompose_errors=False).flattened():
        if inst.type != "error":
            continue
        dets = frozenset(coords[t.val] for t in inst.targets_copy() if t.is_relative_detector_id())
        obs = frozenset(t.val for t in inst.targets_copy() if t.is_logical_observable_id())
        p = inst.args_copy()[0]
        q = out.get((dets, obs), 0.0)
        out[(dets, obs)] = q * (1 - p) + p * (1 - q)
    return out


def assert_same_dem(ours: stim.Circuit, ref: stim.Circuit) -> None:
    a, b = canonical_dem(ours), canonical_dem(ref)
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("d", [3, 5, 7])
@pytest.mark.parametrize("basis", ["X", "Z"])
def test_matches_stim_generated_circuit(d: int, basis: str) -> None:
    noise = StimLikeNoise(P_CLIFFORD, P_DATA, P_MEAS, P_RESET)
    ours = build_memory_circuit(CodeSpec("rotated_surface", d, d, basis), noise)
    ref = stim_reference(d, d, basis)
    assert ours.num_detectors == ref.num_detectors
    assert ours.num_observables == ref.num_observables == 1
    assert ours.num_qubits == ref.num_qubits
    assert len(ours.shortest_graphlike_error()) == d
    assert len(ref.shortest_graphlike_error()) == d
    # Same qubits, same detectors (by coordinates), same error mechanisms with the same probabilities.
    assert_same_dem(ours, ref)


@pytest.mark.parametrize("d", [3, 5, 7])
@pytest.mark.parametrize("basis", ["X", "Z"])
def test_noiseless_circuit_is_deterministic(d: int, basis: str) -> None:
    circuit = build_memory_circuit(CodeSpec("rotated_surface", d, 3, basis))
    circuit.detector_error_model()  # raises if a detector or the observable is not deterministic
    dets, obs = circuit.compile_detector_sampler(seed=1).sample(256, separate_observables=True)
    assert not dets.any() and not obs.any()
    # Explicit hooks must be the same as none at all.
    assert build_memory_circuit(CodeSpec("rotated_surface", d, 3, basis), NoNoise()) == circuit


def test_circuit_structure() -> None:
    spec = CodeSpec("rotated_surface", 3, 4, "Z")
    circuit = build_memory_circuit(spec)
    lay = layout(spec)
    cx_layers = [inst for inst in circuit if inst.name == "CX"]
    assert len(cx_layers) == 4 * spec.rounds
    assert sum(1 for inst in circuit if inst.name == "MR") == spec.rounds
    # Every round and the final data readout are separate TICK-delimited time steps.
    names = [inst.name for inst in circuit]
    final_m = names.index("M")
    assert "TICK" in names[max(i for i, n in enumerate(names) if n == "MR") : final_m]
    coords = circuit.get_detector_coordinates()
    assert all(len(c) == 3 for c in coords.values())
    assert sorted({c[2] for c in coords.values()}) == [0, 1, 2, 3, 4]
    assert circuit.get_final_qubit_coordinates() == {q: list(xy) for q, xy in lay.coords.items()}


def test_logical_error_rate_matches_stim_generated() -> None:
    """Logical error rates of ours and stim's circuit agree within 5 binomial standard errors."""
    d, shots = 3, 20_000
    noise = StimLikeNoise(3 * P_CLIFFORD, 3 * P_DATA, 3 * P_MEAS, 3 * P_RESET)
    ours = build_memory_circuit(CodeSpec("rotated_surface", d, d, "Z"), noise)
    ref = stim.Circuit.generated(
        "surface_code:rotated_memory_z",
        distance=d,
        rounds=d,
        after_clifford_depolarization=3 * P_CLIFFORD,
        before_round_data_depolarization=3 * P_DATA,
        before_measure_flip_probability=3 * P_MEAS,
        after_reset_flip_probability=3 * P_RESET,
    )
    rates = []
    for seed, circuit in ((11, ours), (12, ref)):
        dem = circuit.detector_error_model(decompose_errors=True)
        matching = pymatching.Matching.from_detector_error_model(dem)
        dets, obs = circuit.compile_detector_sampler(seed=seed).sample(shots, separate_observables=True)
        rates.append(np.mean(matching.decode_batch(dets)[:, 0] != obs[:, 0]))
    p1, p2 = rates
    assert 0.005 < p1 < 0.2  # the comparison is informative: failures occur but are not saturated
    sigma = np.sqrt(p1 * (1 - p1) / shots + p2 * (1 - p2) / shots)
    assert abs(p1 - p2) < 5 * sigma
