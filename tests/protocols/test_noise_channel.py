"""EffectiveChannel: validation and the exact instructions its hooks insert."""

from __future__ import annotations

import numpy as np
import pytest
import stim

from protocols.codes.hooks import NoiseHooks, herald_detector_mask
from protocols.config import validate
from protocols.errors import ConfigError
from protocols.noise import EffectiveChannel


def _toy_circuit(hooks: NoiseHooks, rounds: int = 2, final_basis: str = "Z") -> stim.Circuit:
    """Two data qubits (with coordinates) and one ancilla (without), `rounds` rounds of CX-CX-MR."""
    c = stim.Circuit()
    c.append("QUBIT_COORDS", [0], [1, 2])
    c.append("QUBIT_COORDS", [1], [3, 4])
    c.append("R", [0, 1, 2])
    hooks.after_reset(c, [0, 1, 2], "Z", "data")
    for r in range(rounds):
        hooks.round_start(c, [0, 1], r)
        c.append("CX", [0, 2, 1, 2])
        hooks.after_2q_layer(c, [(0, 2), (1, 2)], [])
        hooks.before_measure(c, [2], "Z", "ancilla")
        c.append("MR", [2])
        hooks.after_reset(c, [2], "Z", "ancilla")
        c.append("SHIFT_COORDS", [], [0, 0, 1])
    hooks.before_measure(c, [0, 1], final_basis, "data")
    c.append("M" if final_basis == "Z" else "MX", [0, 1])
    return c


def _ops(c: stim.Circuit) -> list[tuple[str, tuple[float, ...], tuple[int, ...]]]:
    return [
        (op.name, tuple(op.gate_args_copy()), tuple(t.value for t in op.targets_copy()))
        for op in c  # the toy circuit has no REPEAT blocks
    ]


def test_zero_channel_inserts_nothing() -> None:
    noisy = _toy_circuit(EffectiveChannel().hooks())
    assert noisy.num_detectors == 0
    assert {name for name, _, _ in _ops(noisy)} == {"QUBIT_COORDS", "R", "CX", "MR", "SHIFT_COORDS", "M"}


def test_each_field_inserts_its_instruction() -> None:
    ch = EffectiveChannel(
        erasure=0.08, false_herald=0.01, pauli_x=0.001, pauli_y=0.002, pauli_z=0.03,
        gate_depolarizing=0.004, measurement_flip=0.05, measurement_erasure=0.06, reset_flip=0.007,
    )
    ops = _ops(_toy_circuit(ch.hooks(), rounds=2, final_basis="X"))
    names = [n for n, _, _ in ops]
    assert ops[names.index("HERALDED_PAULI_CHANNEL_1")][1] == pytest.approx((0.03, 0.02, 0.02, 0.02))
    assert names.count("HERALDED_PAULI_CHANNEL_1") == 2 * 2  # two data qubits, two rounds, one per qubit
    assert ("PAULI_CHANNEL_1", (0.001, 0.002, 0.03), (0, 1)) in ops
    assert ("DEPOLARIZE2", (0.004,), (0, 2, 1, 2)) in ops
    assert ("X_ERROR", (0.007,), (0, 1, 2)) in ops  # after the Z-basis reset
    assert ("X_ERROR", (0.05,), (2,)) in ops  # before the Z-basis ancilla measurement
    assert ("Z_ERROR", (0.05,), (0, 1)) in ops  # before the X-basis data measurement
    assert names.count("HERALDED_ERASE") == 2 + 2  # ancilla in both rounds, two data qubits at the end
    # Every herald is followed at once by its detector on rec[-1].
    for k, name in enumerate(names):
        if name.startswith("HERALDED"):
            assert ops[k + 1][0] == "DETECTOR"


def test_herald_detector_coordinates_are_absolute() -> None:
    ch = EffectiveChannel(erasure=0.1, measurement_erasure=0.1)
    c = _toy_circuit(ch.hooks(), rounds=2)
    coords = c.get_detector_coordinates()
    assert herald_detector_mask(c).all()
    # Round 0: data qubits 0, 1 at their QUBIT_COORDS, ancilla 2 without coordinates at (2, 0).
    assert [coords[k] for k in range(3)] == [[1, 2, 0, -1], [3, 4, 0, -1], [2, 0, 0, -1]]
    # Round 1 despite SHIFT_COORDS(0, 0, 1) in the circuit: absolute t is the round index.
    assert [coords[k] for k in range(3, 6)] == [[1, 2, 1, -1], [3, 4, 1, -1], [2, 0, 1, -1]]
    # The final data measurement follows the last round: t = rounds, like the builders' final detectors.
    assert [coords[k] for k in range(6, 8)] == [[1, 2, 2, -1], [3, 4, 2, -1]]
    assert c.num_detectors == 8


def test_hooks_satisfy_protocol() -> None:
    assert isinstance(EffectiveChannel(pauli_z=0.1).hooks(), NoiseHooks)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"erasure": -0.1}, "erasure"),
        ({"measurement_flip": 1.5}, "measurement_flip"),
        ({"pauli": 0.1}, "pauli"),
    ],
)
def test_invalid_channel_names_field(data: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=rf"chan\.yaml: {field}: "):
        validate(EffectiveChannel, data, "chan.yaml")


def test_disjoint_probabilities_must_sum_to_at_most_one() -> None:
    with pytest.raises(ConfigError, match="pauli_x \\+ pauli_y \\+ pauli_z must be <= 1"):
        validate(EffectiveChannel, {"pauli_x": 0.5, "pauli_y": 0.3, "pauli_z": 0.3}, "chan.yaml")
    with pytest.raises(ConfigError, match="erasure \\+ false_herald"):
        validate(EffectiveChannel, {"erasure": 0.9, "false_herald": 0.2}, "chan.yaml")


def _xor(*ps: float) -> float:
    """Probability that an odd number of independent events with probabilities `ps` happen."""
    out = 0.0
    for p in ps:
        out = out * (1 - p) + p * (1 - out)
    return out


def _assert_rate(hits: np.ndarray, expected: float, label: str) -> None:
    """Observed mean of Bernoulli trials within 5 binomial standard errors of `expected`."""
    n = hits.size
    assert n > 0, label
    sigma = np.sqrt(expected * (1 - expected) / n)
    assert abs(hits.mean() - expected) <= 5 * sigma + 1e-12, (label, hits.mean(), expected, n)


@pytest.mark.parametrize("basis", ["Z", "X"])
def test_sampled_rates_match_channel(basis: str) -> None:
    """Herald rates and conditional flip rates of sampled shots match the configured probabilities."""
    ch = EffectiveChannel(
        erasure=0.12, false_herald=0.03, pauli_x=0.02, pauli_y=0.01, pauli_z=0.04,
        measurement_flip=0.05, measurement_erasure=0.08, reset_flip=0.03,
    )
    n, shots = 100, 3000
    qubits = list(range(n))
    hooks = ch.hooks()
    c = stim.Circuit()
    c.append("R" if basis == "Z" else "RX", qubits)
    hooks.after_reset(c, qubits, basis, "data")
    hooks.round_start(c, qubits, 0)
    hooks.before_measure(c, qubits, basis, "data")
    c.append("M" if basis == "Z" else "MX", qubits)
    rec = c.compile_sampler(seed=20240611).sample(shots)
    # Record layout: n round-start heralds, n measurement heralds, n outcomes (qubit order each).
    h_round, h_meas, flipped = rec[:, :n].ravel(), rec[:, n : 2 * n].ravel(), rec[:, 2 * n :].ravel()
    # X and Y flip a Z-basis outcome; Z and Y flip an X-basis outcome.
    pauli_flip = ch.pauli_x + ch.pauli_y if basis == "Z" else ch.pauli_z + ch.pauli_y
    erased_flip = (ch.erasure / 2) / (ch.erasure + ch.false_herald)  # 2 of the 4 random Paulis flip
    _assert_rate(h_round, ch.erasure + ch.false_herald, "round-start herald")
    _assert_rate(h_meas, ch.measurement_erasure, "measurement herald")
    quiet = ~h_round & ~h_meas
    _assert_rate(flipped[quiet], _xor(ch.reset_flip, pauli_flip, ch.measurement_flip), "flip, no herald")
    _assert_rate(
        flipped[h_round & ~h_meas],
        _xor(ch.reset_flip, erased_flip, pauli_flip, ch.measurement_flip),
        "flip after round-start herald",
    )
    _assert_rate(flipped[h_meas], 0.5, "flip after measurement herald")


def test_sampled_two_qubit_depolarizing() -> None:
    """DEPOLARIZE2(p): 8 of the 15 Paulis flip the first qubit's Z outcome, 4 flip both."""
    p, pairs, shots = 0.15, 100, 3000
    hooks = EffectiveChannel(gate_depolarizing=p).hooks()
    c = stim.Circuit()
    c.append("R", range(2 * pairs))
    hooks.after_2q_layer(c, [(2 * k, 2 * k + 1) for k in range(pairs)], [])
    c.append("M", range(2 * pairs))
    rec = c.compile_sampler(seed=7).sample(shots)
    first, second = rec[:, 0::2].ravel(), rec[:, 1::2].ravel()
    _assert_rate(first, 8 * p / 15, "first qubit flipped")
    _assert_rate(second, 8 * p / 15, "second qubit flipped")
    _assert_rate(first & second, 4 * p / 15, "both flipped")
