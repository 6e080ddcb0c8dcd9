"""Hooks that append measurements of their own (erasure heralds) do not disturb the code's detectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
import stim

from protocols.codes import (
    HERALD_COORD,
    CodeSpec,
    NoiseHooks,
    NoNoise,
    build_memory_circuit,
    herald_detector_mask,
    layout,
)


class Depolarizing(NoNoise):
    """Plain Pauli noise on data at every round start and on every two-qubit gate."""

    def round_start(self, c: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        c.append("DEPOLARIZE1", data_qubits, 0.01)

    def after_2q_layer(self, c: stim.Circuit, pairs: Sequence[tuple[int, int]], idle: Sequence[int]) -> None:
        c.append("DEPOLARIZE2", [q for pair in pairs for q in pair], 0.01)


class Heralding:
    """HERALDED_ERASE(p) + herald DETECTOR(x, y, t, -1) at round start and before every measurement."""

    def __init__(self, p: float, inner: NoiseHooks | None = None) -> None:
        self.p = p
        self.inner = inner if inner is not None else NoNoise()
        self.t = 0
        self.herald_detectors: list[int] = []  # detector index of every herald appended

    def _herald(self, c: stim.Circuit, qubits: Sequence[int], t: int) -> None:
        xy = c.get_final_qubit_coordinates()
        for q in qubits:
            c.append("HERALDED_ERASE", [q], self.p)
            self.herald_detectors.append(c.num_detectors)
            c.append("DETECTOR", [stim.target_rec(-1)], [*xy[q], t, HERALD_COORD])

    def after_reset(self, c: stim.Circuit, qubits: Sequence[int], basis: str, role: str) -> None:
        self.inner.after_reset(c, qubits, basis, role)

    def round_start(self, c: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        self.t = round_index
        self._herald(c, data_qubits, round_index)
        self.inner.round_start(c, data_qubits, round_index)

    def after_1q_layer(self, c: stim.Circuit, qubits: Sequence[int], idle: Sequence[int]) -> None:
        self.inner.after_1q_layer(c, qubits, idle)

    def after_2q_layer(self, c: stim.Circuit, pairs: Sequence[tuple[int, int]], idle: Sequence[int]) -> None:
        self.inner.after_2q_layer(c, pairs, idle)

    def before_measure(self, c: stim.Circuit, qubits: Sequence[int], basis: str, role: str) -> None:
        self.inner.before_measure(c, qubits, basis, role)
        self._herald(c, qubits, self.t + (1 if role == "data" else 0))


SPECS = [
    CodeSpec("rotated_surface", 3, 3, "Z"),
    CodeSpec("rotated_surface", 5, 2, "X"),
    CodeSpec("repetition", 4, 3, "Z"),
    CodeSpec("repetition", 3, 2, "X"),
    CodeSpec("xzzx", 3, 3, "Z"),
    CodeSpec("xzzx", 5, 2, "X"),
]


def ordinary_dem(circuit: stim.Circuit) -> set[tuple[frozenset, frozenset, float]]:
    """Error mechanisms over ordinary detectors (named by coordinates), heralds left out."""
    coords = {k: tuple(v) for k, v in circuit.get_detector_coordinates().items()}
    out = set()
    dem = circuit.detector_error_model(decompose_errors=False, approximate_disjoint_errors=True)
    for inst in dem.flattened():
        if inst.type == "error":
            t = inst.targets_copy()
            dets = frozenset(
                coords[x.val] for x in t if x.is_relative_detector_id() and len(coords[x.val]) == 3
            )
            obs = frozenset(x.val for x in t if x.is_logical_observable_id())
            out.add((dets, obs, round(inst.args_copy()[0], 12)))
    return out


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_heralds_found_and_detectors_unchanged(spec: CodeSpec) -> None:
    hooks = Heralding(0.0, Depolarizing())
    circuit = build_memory_circuit(spec, hooks)
    mask = herald_detector_mask(circuit)
    assert np.flatnonzero(mask).tolist() == hooks.herald_detectors
    lay = layout(spec)
    plain = build_memory_circuit(spec, Depolarizing())
    n_data, n_anc = len(lay.data_qubits), len(lay.ancillas)
    assert mask.sum() == spec.rounds * (n_data + n_anc) + n_data
    assert circuit.num_detectors == plain.num_detectors + mask.sum()
    # Every ordinary detector sees exactly the same error mechanisms as without the heralds: a
    # lookback shifted by an interleaved herald would change or lose its errors.
    assert ordinary_dem(circuit) == ordinary_dem(plain)
    noiseless = build_memory_circuit(spec, Heralding(0.0))
    dets = noiseless.compile_detector_sampler(seed=2).sample(128, append_observables=True)
    assert not dets.any()


@pytest.mark.parametrize("spec", SPECS[:3], ids=repr)
def test_herald_rate_and_clean_shots(spec: CodeSpec) -> None:
    p, shots = 0.02, 20_000
    circuit = build_memory_circuit(spec, Heralding(p))
    circuit.detector_error_model(approximate_disjoint_errors=True)  # still a valid, deterministic circuit
    mask = herald_detector_mask(circuit)
    dets, obs = circuit.compile_detector_sampler(seed=3).sample(shots, separate_observables=True)
    heralds = dets[:, mask]
    n = heralds.size
    # Each herald fires independently with probability p: binomial, 5 standard errors.
    assert abs(heralds.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)
    # Erasure is the only noise: shots without any herald have no detection event at all, while
    # erased shots do show detection events (a random Pauli hit the erased qubit).
    clean = ~heralds.any(axis=1)
    assert clean.sum() > 1000
    assert not dets[clean][:, ~mask].any() and not obs[clean].any()
    assert dets[~clean][:, ~mask].any(axis=1).mean() > 0.3
