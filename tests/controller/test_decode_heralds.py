"""Splitting a heralded DEM: herald detection, twin model against an explicit twin circuit, herald map."""

from __future__ import annotations

import numpy as np
import pymatching
import pytest
import stim

from controller.decode.heralds import circuit_dem, herald_mask_from_dem, split_heralded_dem
from protocols.codes import CodeSpec, build_memory_circuit
from protocols.codes.hooks import HERALD_COORD, herald_detector_mask
from protocols.errors import DecodeError
from protocols.noise import EffectiveChannel


def depolarizing_circuit(d: int, rounds: int, p: float) -> stim.Circuit:
    """Rotated surface code memory Z with circuit-level depolarizing p (stim's generator)."""
    return stim.Circuit.generated(
        "surface_code:rotated_memory_z",
        distance=d,
        rounds=rounds,
        after_clifford_depolarization=p,
        before_round_data_depolarization=p,
        before_measure_flip_probability=p,
        after_reset_flip_probability=p,
    )


def with_data_heralds(circuit: stim.Circuit, p_erase: float) -> stim.Circuit:
    """`circuit` with HERALDED_ERASE(p_erase) on every data qubit after each ancilla measurement layer.

    Each herald is declared at once as DETECTOR(x, y, layer, -1) rec[-1] (protocols/codes/hooks.py);
    the other detectors' lookbacks are rewritten to skip the inserted herald records.
    """
    flat = circuit.flattened()
    coords = flat.get_final_qubit_coordinates()
    data = [t.value for t in [i for i in flat if i.name == "M"][-1].targets_copy()]
    out = stim.Circuit()
    new_index: list[int] = []
    layer = 0
    for inst in flat:
        if inst.name in ("DETECTOR", "OBSERVABLE_INCLUDE"):
            m = out.num_measurements
            targets = [stim.target_rec(new_index[len(new_index) + t.value] - m) for t in inst.targets_copy()]
            out.append(inst.name, targets, inst.gate_args_copy())
            continue
        base = out.num_measurements
        out.append(inst)
        new_index.extend(range(base, out.num_measurements))
        if inst.name == "MR":
            for q in data:
                out.append("HERALDED_ERASE", [q], p_erase)
                out.append("DETECTOR", [stim.target_rec(-1)], [*coords[q][:2], layer, HERALD_COORD])
            layer += 1
    return out


def twin_circuit(circuit: stim.Circuit) -> stim.Circuit:
    """HERALDED_ERASE(p) -> its unheralded twin, a constant record (MPAD) in place of the herald.

    stim enters HERALDED_ERASE's Pauli branches as mechanisms of probability p/4 each, and
    PAULI_CHANNEL_1(a, a, a) as independent mechanisms of probability (1 - sqrt(1 - 4a)) / 2 each (its
    exact disjoint-to-independent conversion); a = p/4 - p**2/16 makes a single branch equal.
    """
    out = stim.Circuit()
    for inst in circuit.flattened():
        if inst.name == "HERALDED_ERASE":
            p = inst.gate_args_copy()[0]
            a = p / 4 - p * p / 16
            for t in inst.targets_copy():
                out.append("PAULI_CHANNEL_1", [t], [a, a, a])
                out.append("MPAD", [0])
        else:
            out.append(inst)
    return out


def test_herald_mask_from_dem_equals_circuit_mask() -> None:
    circuit = with_data_heralds(depolarizing_circuit(3, 2, 1e-3), 0.05)
    dem = circuit_dem(circuit)
    mask = herald_mask_from_dem(dem)
    assert np.array_equal(mask, herald_detector_mask(circuit))
    assert mask.sum() == 9 * 2  # 9 data qubits, erased after each of the 2 ancilla layers


def test_twin_model_equals_the_twin_circuit_graph() -> None:
    """Stripping heralds from the DEM gives the matching graph of the circuit with unheralded twins.

    Edges and observables must be identical. Probabilities differ only where two branches of one
    erasure flip the same edge: the herald's branches are disjoint (stim sums them: p/2), the twin's
    independent (2q - 2q**2 = p/2 - p**2/8 with q = p/4). Merging with other mechanisms,
    x -> x(1-y) + y(1-x), has slope |1 - 2y| <= 1, so an edge that k erasures reach differs by at most
    k p**2 / 8.
    """
    p = 0.05
    circuit = with_data_heralds(depolarizing_circuit(3, 3, 1e-3), p)
    model = split_heralded_dem(circuit_dem(circuit))
    ours = pymatching.Matching.from_detector_error_model(model.twin)
    ref = pymatching.Matching.from_detector_error_model(
        twin_circuit(circuit).detector_error_model(decompose_errors=True)
    )
    keep = model.kept_detectors
    reached: dict[tuple, int] = {}
    for comps in model.herald_components:
        for comp in comps:
            key = (int(keep[comp[0]]), None if len(comp) == 1 else int(keep[comp[1]]))
            reached[key] = reached.get(key, 0) + 1
    a = {(int(keep[u]), None if v is None else int(keep[v])): attr for u, v, attr in ours.edges()}
    b = {(u, v): attr for u, v, attr in ref.edges()}
    assert a.keys() == b.keys()
    assert set(reached) <= a.keys()
    for k in a:
        assert a[k]["fault_ids"] == b[k]["fault_ids"], k
        bound = reached.get(k, 0) * p * p / 8 + 1e-12
        assert abs(a[k]["error_probability"] - b[k]["error_probability"]) <= bound, k


def test_base_model_has_no_erasure_terms() -> None:
    circuit = depolarizing_circuit(3, 3, 1e-3)
    heralded = with_data_heralds(circuit, 0.05)
    model = split_heralded_dem(circuit_dem(heralded))
    plain = circuit_dem(circuit)
    # Without heralds the base model is the plain circuit's: same number of error terms, same total weight.
    terms = [i for i in model.base.flattened() if i.type == "error"]
    ref = [i for i in plain.flattened() if i.type == "error"]
    assert len(terms) == len(ref)
    assert sum(i.args_copy()[0] for i in terms) == pytest.approx(sum(i.args_copy()[0] for i in ref), rel=1e-12)


def test_herald_components_match_injected_paulis() -> None:
    """Each herald's components are exactly the detectors an X and a Z on that qubit there flip (stim frames)."""
    circuit = with_data_heralds(depolarizing_circuit(3, 2, 0.0), 0.05)
    model = split_heralded_dem(circuit_dem(circuit))
    erase_sites = [(k, inst) for k, inst in enumerate(circuit) if inst.name == "HERALDED_ERASE"]
    assert len(erase_sites) == model.num_heralds
    for h, (k, inst) in enumerate(erase_sites):
        flipped: set[int] = set()
        for pauli in ("X_ERROR", "Z_ERROR"):
            # Noiseless copy: this erasure replaced by a certain Pauli and a fired herald, the others by silence.
            injected = stim.Circuit()
            for j, op in enumerate(circuit):
                if j == k:
                    injected.append(pauli, op.targets_copy(), 1.0)
                    injected.append("MPAD", [0])  # detectors report flips against the noiseless reference
                elif op.name == "HERALDED_ERASE":
                    injected.append("MPAD", [0] * len(op.targets_copy()))
                else:
                    injected.append(op)
            events = injected.compile_detector_sampler().sample(1)[0]
            flipped |= {int(model.compact_index[d]) for d in np.flatnonzero(events) if model.compact_index[d] >= 0}
        covered = {d for comp in model.herald_components[h] for d in comp}
        assert covered == flipped, h


def test_herald_flip_probability_given_the_herald() -> None:
    """Exact conditional flip probabilities of the effective channel's heralded mechanisms.

    Data qubits: HERALDED_PAULI_CHANNEL_1(f + e/4, e/4, e/4, e/4) with e the erasure and f the false
    herald probability; an edge is flipped by two of the three Paulis (X and Y, or Z and Y), so given
    the herald q = (e/4 + e/4) / (e + f). Measured qubits: HERALDED_ERASE, which flips the outcome
    under X or Y: q = 1/2.
    """
    e, f = 0.05, 0.01
    channel = EffectiveChannel(erasure=e, false_herald=f, measurement_erasure=0.02, gate_depolarizing=1e-3)
    circuit = build_memory_circuit(CodeSpec("rotated_surface", 3, 2, "Z"), channel.hooks())
    model = split_heralded_dem(circuit_dem(circuit))
    kinds = [op.name for op in circuit.flattened() if op.name.startswith("HERALDED_")]
    assert len(kinds) == model.num_heralds
    seen = set()
    for kind, probs in zip(kinds, model.herald_flip_probability, strict=True):
        expected = (e / 2) / (e + f) if kind == "HERALDED_PAULI_CHANNEL_1" else 0.5
        for q in probs:
            assert q == pytest.approx(expected, rel=1e-9), kind
            seen.add(kind)
    assert seen == {"HERALDED_PAULI_CHANNEL_1", "HERALDED_ERASE"}


def test_split_is_cached_and_frozen() -> None:
    dem = circuit_dem(with_data_heralds(depolarizing_circuit(3, 2, 1e-3), 0.05))
    model = split_heralded_dem(dem)
    assert split_heralded_dem(dem.copy()) is model  # equal DEM text: the cached split
    with pytest.raises(ValueError, match="read-only"):
        model.compact_index[0] = 5


def test_two_heralds_in_one_term_is_rejected() -> None:
    dem = stim.DetectorErrorModel(
        """
        detector(0, 0, 0, -1) D0
        detector(1, 0, 0, -1) D1
        detector(2, 0, 0) D2
        error(0.1) D0 D1 D2
        """
    )
    with pytest.raises(DecodeError, match="herald detectors"):
        split_heralded_dem(dem)
