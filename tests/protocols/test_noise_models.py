"""Each noise model inserts the expected instructions into the real memory circuits, at the expected rates."""

from __future__ import annotations

import numpy as np
import pytest
import stim

from protocols.codes import CodeSpec, NoiseHooks, build_memory_circuit, herald_detector_mask, layout
from protocols.errors import NoiseModelError
from protocols.noise import (
    CircuitDepolarizingNoise,
    CodeCapacityNoise,
    ErasureNoise,
    MixtureFractions,
    MixtureNoise,
    PhenomenologicalNoise,
    PhotonicNoise,
    with_parameter,
)

NOISE_NAMES = {
    "HERALDED_ERASE", "HERALDED_PAULI_CHANNEL_1", "PAULI_CHANNEL_1", "DEPOLARIZE1", "DEPOLARIZE2",
    "X_ERROR", "Z_ERROR",
}

PHOTONIC = PhotonicNoise(
    loss_db=0.2, phase_sigma_rad=0.1, gate_error=0.01, detector_efficiency=0.95,
    dark_count_rate_hz=1e5, gate_window_ns=2.0,
)
MODELS = [
    CodeCapacityNoise(p=0.05),
    PhenomenologicalNoise(p=0.01),
    CircuitDepolarizingNoise(p=0.002),
    ErasureNoise(pe=0.02, p=0.003, measurement_erasure=0.01),
    PHOTONIC,
    MixtureNoise(p_total=0.01, fractions=MixtureFractions(erasure=0.5, pauli_z=0.2, gate_depolarizing=0.1,
                                                          pauli_x=0.1, measurement=0.1)),
]


def _noise_ops(c: stim.Circuit) -> list[tuple[str, tuple[float, ...], tuple[int, ...]]]:
    return [
        (op.name, tuple(op.gate_args_copy()), tuple(t.value for t in op.targets_copy()))
        for op in c.flattened()
        if op.name in NOISE_NAMES
    ]


def _spec(model, family: str = "rotated_surface", distance: int = 3, basis: str = "Z") -> CodeSpec:
    return CodeSpec(family, distance, model.rounds_for(distance), basis)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.kind)
def test_hooks_conform_and_circuit_decomposes(model) -> None:
    """Every model's hooks satisfy the protocol and yield a circuit whose errors matching can decompose."""
    assert isinstance(model.hooks(), NoiseHooks)
    for family in ("rotated_surface", "repetition"):
        for basis in ("X", "Z"):
            c = build_memory_circuit(_spec(model, family, 3, basis), model.hooks())
            dem = c.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
            assert dem.num_errors > 0
            # Heralds are the only detectors a noise model adds.
            noiseless = build_memory_circuit(_spec(model, family, 3, basis))
            assert noiseless.num_detectors + int(herald_detector_mask(c).sum()) == c.num_detectors


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.kind)
def test_zero_strength_is_noiseless(model) -> None:
    """At zero sweep value with every other rate zero, the circuit equals the noiseless one."""
    zero = with_parameter(model, model.sweep_parameter, 0.0)
    for name in ("p", "measurement_erasure", "phase_sigma_rad", "gate_error", "dark_count_rate_hz"):
        if name in type(zero).model_fields and name != zero.sweep_parameter:
            zero = with_parameter(zero, name, 0.0)
    if isinstance(zero, PhotonicNoise):
        zero = with_parameter(zero, "detector_efficiency", 1.0)
    spec = _spec(model)
    assert build_memory_circuit(spec, zero.hooks()) == build_memory_circuit(spec)


def test_rounds_for() -> None:
    assert CodeCapacityNoise(p=0.1).rounds_for(7) == 1
    for model in MODELS[1:]:
        assert model.rounds_for(7) == 7
    with pytest.raises(NoiseModelError, match="distance must be a positive integer"):
        PhenomenologicalNoise(p=0.1).rounds_for(0)


def test_code_capacity_flips_data_once_with_perfect_measurement() -> None:
    p = 0.05
    spec = CodeSpec("rotated_surface", 3, 3, "Z")
    ops = _noise_ops(build_memory_circuit(spec, CodeCapacityNoise(p=p).hooks()))
    # Independent X and Z flips: X alone p(1-p), both (= Y) p^2, Z alone p(1-p); on the 9 data qubits, once.
    data = tuple(layout(spec).data_qubits)
    assert ops == [("PAULI_CHANNEL_1", pytest.approx((p * (1 - p), p * p, p * (1 - p))), data)]


def test_code_capacity_sampled_flip_rate() -> None:
    """Each data qubit's final Z outcome flips with probability p (X-flip part of the channel)."""
    p, shots = 0.05, 4000
    c = build_memory_circuit(CodeSpec("repetition", 25, 1, "Z"), CodeCapacityNoise(p=p).hooks())
    data_outcomes = c.compile_sampler(seed=3).sample(shots)[:, -25:]
    rate, n = data_outcomes.mean(), data_outcomes.size
    assert abs(rate - p) <= 5 * np.sqrt(p * (1 - p) / n)


def test_phenomenological_instructions() -> None:
    p, rounds = 0.01, 3
    spec = CodeSpec("rotated_surface", 3, rounds, "Z")
    ops = _noise_ops(build_memory_circuit(spec, PhenomenologicalNoise(p=p).hooks()))
    data = tuple(layout(spec).data_qubits)
    assert ops.count(("PAULI_CHANNEL_1", pytest.approx((p * (1 - p), p * p, p * (1 - p))), data)) == rounds
    flips = [op for op in ops if op[0] == "X_ERROR"]
    # One flip per ancilla measurement round plus one for the final data measurement, all q = p.
    assert len(flips) == rounds + 1 and {op[1] for op in flips} == {(p,)}
    assert {op[0] for op in ops} == {"PAULI_CHANNEL_1", "X_ERROR"}


def test_phenomenological_q_overrides_and_follows_p() -> None:
    m = PhenomenologicalNoise(p=0.01)
    assert m.effective_channel().measurement_flip == 0.01
    assert with_parameter(m, "p", 0.02).effective_channel().measurement_flip == 0.02  # q follows p
    m = PhenomenologicalNoise(p=0.01, q=0.05)
    assert with_parameter(m, "p", 0.02).effective_channel().measurement_flip == 0.05


def test_circuit_depolarizing_instructions() -> None:
    p = 0.002
    spec = CodeSpec("rotated_surface", 3, 2, "X")
    noisy = build_memory_circuit(spec, CircuitDepolarizingNoise(p=p).hooks())
    ops = _noise_ops(noisy)
    assert {op[1] for op in ops} == {(p,)}
    names = {op[0] for op in ops}
    assert names == {"DEPOLARIZE1", "DEPOLARIZE2", "X_ERROR", "Z_ERROR"}
    # Every CX/CZ pair is followed by DEPOLARIZE2 on the same targets.
    gates = [op for op in noisy.flattened() if op.name in ("CX", "CZ")]
    dep2 = [op for op in noisy.flattened() if op.name == "DEPOLARIZE2"]
    gate_targets = sorted(t.value for g in gates for t in g.targets_copy())
    assert gate_targets == sorted(t.value for d in dep2 for t in d.targets_copy())
    # X-basis data: Z_ERROR after RX and before MX; ancillas (Z basis) get X_ERROR.
    data = tuple(layout(spec).data_qubits)
    assert [op for op in ops if op[0] == "Z_ERROR"] == [("Z_ERROR", (p,), data)] * 2
    # In every gate layer each of the 17 qubits gets exactly one depolarizing channel.
    layer_counts = []
    for layer in str(noisy).split("TICK")[1:]:
        c = stim.Circuit(layer)
        if any(op.name in ("H", "CX", "CZ") for op in c):
            n = sum(len(op.targets_copy()) for op in c if op.name == "DEPOLARIZE1")
            n += sum(len(op.targets_copy()) for op in c if op.name == "DEPOLARIZE2")
            layer_counts.append(n)
    assert layer_counts and set(layer_counts) == {17}


def test_erasure_instructions_and_heralds() -> None:
    pe, p, pm, rounds = 0.02, 0.003, 0.01, 3
    spec = CodeSpec("rotated_surface", 3, rounds, "Z")
    c = build_memory_circuit(spec, ErasureNoise(pe=pe, p=p, measurement_erasure=pm).hooks())
    ops = _noise_ops(c)
    heralded = [op for op in ops if op[0] == "HERALDED_PAULI_CHANNEL_1"]
    assert len(heralded) == 9 * rounds and all(op[1] == pytest.approx((pe / 4,) * 4) for op in heralded)
    assert [op for op in ops if op[0] == "PAULI_CHANNEL_1"][0][1] == pytest.approx((p / 3,) * 3)
    erase = [op for op in ops if op[0] == "HERALDED_ERASE"]
    assert len(erase) == 8 * rounds + 9  # ancillas every round, data at the end
    coords = c.get_detector_coordinates()
    herald_t = sorted({coords[k][2] for k in np.flatnonzero(herald_detector_mask(c))})
    assert herald_t == [0, 1, 2, 3]  # rounds 0..2 and the final data measurement at t = rounds
    assert int(herald_detector_mask(c).sum()) == len(heralded) + len(erase)


def test_erasure_sampled_herald_rate() -> None:
    pe, rounds, shots = 0.05, 5, 2000
    c = build_memory_circuit(CodeSpec("rotated_surface", 5, rounds, "Z"), ErasureNoise(pe=pe).hooks())
    det = c.compile_detector_sampler(seed=11).sample(shots)
    heralds = det[:, herald_detector_mask(c)]
    assert heralds.shape[1] == 25 * rounds
    assert abs(heralds.mean() - pe) <= 5 * np.sqrt(pe * (1 - pe) / heralds.size)


def test_mixture_splits_the_total() -> None:
    f = MixtureFractions(erasure=0.4, pauli_z=0.3, pauli_x=0.1, gate_depolarizing=0.1, measurement=0.1)
    ch = MixtureNoise(p_total=0.02, fractions=f).effective_channel()
    assert (ch.erasure, ch.pauli_z, ch.pauli_x, ch.gate_depolarizing, ch.measurement_flip) == pytest.approx(
        (0.008, 0.006, 0.002, 0.002, 0.002)
    )
    assert sum(ch.model_dump().values()) == pytest.approx(0.02)


def test_photonic_hooks_insert_its_effective_channel() -> None:
    ch = PHOTONIC.effective_channel()
    c = build_memory_circuit(CodeSpec("repetition", 3, 2, "Z"), PHOTONIC.hooks())
    ops = _noise_ops(c)
    data = tuple(layout(CodeSpec("repetition", 3, 2, "Z")).data_qubits)
    assert ("PAULI_CHANNEL_1", (0.0, 0.0, pytest.approx(ch.pauli_z)), data) in ops
    assert ops.count(("HERALDED_PAULI_CHANNEL_1", pytest.approx((ch.erasure / 4,) * 4), data[:1])) == 2
    assert any(op[0] == "DEPOLARIZE2" and op[1] == pytest.approx((ch.gate_depolarizing,)) for op in ops)
    assert any(op[0] == "HERALDED_ERASE" and op[1] == pytest.approx((ch.measurement_erasure,)) for op in ops)
    assert any(op[0] == "X_ERROR" and op[1] == pytest.approx((ch.measurement_flip,)) for op in ops)


def test_hooks_follow_a_new_circuit() -> None:
    """One hooks object reused for a second circuit restarts its round count for heralds."""
    hooks = ErasureNoise(pe=0.1).hooks()
    spec = CodeSpec("repetition", 3, 2, "Z")
    first = build_memory_circuit(spec, hooks)
    second = build_memory_circuit(spec, hooks)
    assert first == second
