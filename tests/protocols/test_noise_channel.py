"""EffectiveChannel: validation and the exact instructions its hooks insert."""

from __future__ import annotations

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
