"""XZZX surface code memory circuits.

Reference: Bonilla Ataides, Tuckett, Bartlett, Flammia, Brown, "The XZZX surface code",
Nat. Commun. 12, 2172 (2021).

What is checked, and why it holds:
- The circuit is deterministic without noise and has circuit distance d under circuit-level
  depolarizing noise (hook-safe schedule), like the CSS rotated surface code.
- Pure Z noise (infinite bias), code capacity (one round, Z_ERROR on data at round start, perfect
  readout): a Z error on data qubit (i, j) flips only the two checks on its main diagonal, where the
  check has X (the paper's reduction to repetition codes along diagonals). In the d x d layout every
  diagonal but the main one ends on a boundary check at one end, so its errors are identified by their
  syndrome; the main diagonal is open at both ends and is a repetition code of length d whose failure
  flips the logical Z. Hence in a Z-basis memory the shortest logical error has length d and the
  logical error rate under MWPM is exactly the majority-vote failure of a length-d repetition code,
  P_L = sum_{k > d/2} C(d, k) p^k (1-p)^(d-k) (threshold 50%), while the CSS surface code under the
  same noise is above its ~10.3% code-capacity threshold (Dennis et al., J. Math. Phys. 43, 4452
  (2002)) at p = 0.3 and gets worse with d. In an X-basis memory no pure-Z error is a logical error.
  (The d^2 effective distance of the paper needs twisted / co-prime boundaries, not this layout.)
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb

import numpy as np
import pymatching
import pytest
import stim

from protocols.codes import CodeSpec, NoNoise, build_memory_circuit, layout


class Depolarizing(NoNoise):
    """Circuit-level depolarizing noise at every hook (the parameters of stim's generated circuits)."""

    p = 0.001

    def after_reset(self, c: stim.Circuit, qubits: Sequence[int], basis: str, role: str) -> None:
        c.append("X_ERROR" if basis == "Z" else "Z_ERROR", qubits, self.p)

    def round_start(self, c: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        c.append("DEPOLARIZE1", data_qubits, self.p)

    def after_1q_layer(self, c: stim.Circuit, qubits: Sequence[int], idle: Sequence[int]) -> None:
        c.append("DEPOLARIZE1", qubits, self.p)

    def after_2q_layer(self, c: stim.Circuit, pairs: Sequence[tuple[int, int]], idle: Sequence[int]) -> None:
        c.append("DEPOLARIZE2", [q for pair in pairs for q in pair], self.p)

    def before_measure(self, c: stim.Circuit, qubits: Sequence[int], basis: str, role: str) -> None:
        c.append("X_ERROR" if basis == "Z" else "Z_ERROR", qubits, self.p)


class DataZ(NoNoise):
    """Pure dephasing: Z_ERROR(p) on every data qubit at the start of every round, nothing else."""

    def __init__(self, p: float) -> None:
        self.p = p

    def round_start(self, c: stim.Circuit, data_qubits: Sequence[int], round_index: int) -> None:
        c.append("Z_ERROR", data_qubits, self.p)


def logical_error_rate(circuit: stim.Circuit, shots: int, seed: int) -> float:
    matching = pymatching.Matching.from_detector_error_model(circuit.detector_error_model())
    dets, obs = circuit.compile_detector_sampler(seed=seed).sample(shots, separate_observables=True)
    return float(np.mean(matching.decode_batch(dets)[:, 0] != obs[:, 0]))


@pytest.mark.parametrize("d", [3, 5, 7])
@pytest.mark.parametrize("basis", ["X", "Z"])
def test_noiseless_deterministic_and_circuit_distance_d(d: int, basis: str) -> None:
    spec = CodeSpec("xzzx", d, d, basis)
    noiseless = build_memory_circuit(spec)
    noiseless.detector_error_model()
    assert not noiseless.compile_detector_sampler(seed=4).sample(128, append_observables=True).any()
    noisy = build_memory_circuit(spec, Depolarizing())
    assert noisy.num_detectors == (d * d - 1) // 2 * 2 + (d * d - 1) * (d - 1)
    assert len(noisy.shortest_graphlike_error()) == d


def test_circuit_uses_xzzx_checks() -> None:
    spec = CodeSpec("xzzx", 3, 1, "Z")
    circuit, lay = build_memory_circuit(spec), layout(spec)
    h_layers = [inst for inst in circuit if inst.name == "H"]
    assert len(h_layers) == 2
    assert all(sorted(t.value for t in h.targets_copy()) == list(lay.ancillas) for h in h_layers)
    # Every ancilla applies X, Z, Z, X in time order: the four entangling layers are CX, CZ, CZ, CX.
    assert [inst.name for inst in circuit if inst.name in ("CX", "CZ")] == ["CX", "CZ", "CZ", "CX"]
    # Data on the i = j (mod 2) checkerboard start in |+>, the rest in |0>: 5 and 4 of 9 for d = 3.
    assert [len(inst.targets_copy()) for inst in circuit if inst.name == "RX"] == [5]


@pytest.mark.parametrize("rounds", [1, 5])
def test_pure_z_noise_shortest_logical_error_is_main_diagonal(rounds: int) -> None:
    d = 5
    circuit = build_memory_circuit(CodeSpec("xzzx", d, rounds, "Z"), DataZ(0.01))
    assert len(circuit.shortest_graphlike_error()) == d
    # In the X-basis memory no pure-Z error pattern is undetectable and logical.
    x_memory = build_memory_circuit(CodeSpec("xzzx", d, rounds, "X"), DataZ(0.01))
    assert x_memory.detector_error_model().num_errors > 0
    with pytest.raises(ValueError):
        x_memory.shortest_graphlike_error()


def test_pure_z_noise_logical_error_rate_is_repetition_code() -> None:
    p, shots = 0.3, 20_000
    rates = {}
    for d in (3, 5, 7):
        circuit = build_memory_circuit(CodeSpec("xzzx", d, 1, "Z"), DataZ(p))
        rate = logical_error_rate(circuit, shots, seed=d)
        expected = sum(comb(d, k) * p**k * (1 - p) ** (d - k) for k in range(d // 2 + 1, d + 1))
        assert abs(rate - expected) < 5 * np.sqrt(expected * (1 - expected) / shots)
        rates[d] = rate
    assert rates[3] > rates[5] > rates[7]
    # Same noise, CSS surface code, X-basis memory: above its threshold, so a larger code is worse.
    css = []
    for d, seed in ((3, 13), (7, 17)):
        circuit = build_memory_circuit(CodeSpec("rotated_surface", d, 1, "X"), DataZ(p))
        css.append(logical_error_rate(circuit, shots, seed))
    assert css[1] - css[0] > 5 * np.sqrt(0.25 * 2 / shots)
    # The X-basis XZZX memory identifies every pure-Z error pattern from its syndrome.
    x_memory = build_memory_circuit(CodeSpec("xzzx", 5, 1, "X"), DataZ(p))
    assert logical_error_rate(x_memory, shots, seed=20) == 0.0
