"""ErasureDecoder: herald map against injected errors, paired comparison with erasure-unaware matching."""

from __future__ import annotations

import numpy as np
import pymatching
import pytest
import scipy.stats
import stim
from test_decode_heralds import depolarizing_circuit, with_data_heralds

from controller.decode import ErasureDecoder, MatchingDecoder
from controller.decode.heralds import circuit_dem
from protocols.codes import CodeSpec, build_memory_circuit
from protocols.errors import DecodeError
from protocols.noise import EffectiveChannel

#: Significance level of the paired sign test; strict because the verdict must not depend on luck.
ALPHA = 1e-6


def contract_circuit(family: str, distance: int, basis: str = "Z") -> stim.Circuit:
    """A flat memory circuit from the project's builder: heralded data and measurement erasures, false heralds."""
    channel = EffectiveChannel(
        erasure=0.05, false_herald=0.01, measurement_erasure=0.01, gate_depolarizing=1e-3, measurement_flip=1e-3
    )
    return build_memory_circuit(CodeSpec(family, distance, 3, basis), channel.hooks()).flattened()


def _possible_paulis(op: stim.CircuitInstruction) -> list[str]:
    if op.name == "HERALDED_ERASE":
        return ["X_ERROR", "Y_ERROR", "Z_ERROR"]
    _, px, py, pz = op.gate_args_copy()  # HERALDED_PAULI_CHANNEL_1(pI, pX, pY, pZ)
    return [name for name, q in (("X_ERROR", px), ("Y_ERROR", py), ("Z_ERROR", pz)) if q > 0]


def _injected_shot(circuit: stim.Circuit, site: int, pauli: str) -> tuple[np.ndarray, np.ndarray]:
    """Detection events and observable flips of flat `circuit` with only the heralded channel at `site`, as `pauli`.

    All other noise is dropped. Detection events are relative to the noiseless reference, so the fired
    herald is set by the caller.
    """
    injected = stim.Circuit()
    for j, op in enumerate(circuit):
        if j == site:
            injected.append(pauli, op.targets_copy(), 1.0)
            injected.append("MPAD", [0])
        elif op.name.startswith("HERALDED_"):
            injected.append("MPAD", [0] * len(op.targets_copy()))
        elif stim.gate_data(op.name).produces_measurements:
            injected.append(op.name, op.targets_copy())  # without a flip probability
        elif not stim.gate_data(op.name).is_noisy_gate:
            injected.append(op)
    dets, obs = injected.compile_detector_sampler().sample(1, separate_observables=True)
    return dets[0], obs[0]


@pytest.mark.parametrize(
    "circuit",
    [
        with_data_heralds(depolarizing_circuit(3, 2, 0.0), 0.05).flattened(),
        contract_circuit("rotated_surface", 3),
        contract_circuit("xzzx", 3, "X"),
    ],
    ids=["stim-generated", "rotated_surface", "xzzx"],
)
def test_known_erasure_opens_the_edges_it_flips_and_is_corrected(circuit: stim.Circuit) -> None:
    """For every herald: each Pauli its channel can apply flips only detectors on that herald's edges, and a
    shot with that single error and its herald is decoded exactly (the herald's edges cost nothing)."""
    dec = ErasureDecoder(circuit_dem(circuit))
    model, graph = dec.model, dec.graph
    sites = [k for k, op in enumerate(circuit) if op.name.startswith("HERALDED_")]
    assert len(sites) == dec.num_heralds > 0
    flips_observable = 0
    for h, site in enumerate(sites):
        edges = graph.edges_of_herald(h)
        endpoints = set(graph.u[edges].tolist()) | set(graph.v[edges][graph.v[edges] >= 0].tolist())
        for pauli in _possible_paulis(circuit[site]):
            dets, obs = _injected_shot(circuit, site, pauli)
            dets[model.herald_detectors[h]] = 1
            flipped = {int(model.compact_index[d]) for d in np.flatnonzero(dets) if model.compact_index[d] >= 0}
            assert flipped <= endpoints, (h, pauli)
            pred = dec.decode_batch(dets[None, :].astype(np.uint8))
            assert np.array_equal(pred[0], obs.astype(np.uint8)), (h, pauli)
            flips_observable += int(obs.any())
    assert flips_observable > 0  # some erasures hit the logical support, so the check has teeth


@pytest.mark.parametrize(
    "circuit",
    [with_data_heralds(depolarizing_circuit(3, 3, 1e-3), 0.05), contract_circuit("rotated_surface", 3)],
    ids=["stim-generated", "rotated_surface"],
)
def test_erasure_aware_beats_unaware_on_the_same_samples(circuit: stim.Circuit) -> None:
    """Paired sign test (McNemar, exact binomial) on shots where exactly one decoder fails.

    Under the null hypothesis that both decoders are equally good, each discordant shot is equally
    likely to be a failure of either one; reject at ALPHA if the unaware decoder's share is too large.
    Models (erasure-dominated), d=3, rounds=3: circuit-level depolarizing 1e-3 plus heralded erasure 5 %
    of each data qubit per round; and the project's surface code with the effective channel of
    `contract_circuit`.
    """
    dem = circuit_dem(circuit)
    dets, obs = circuit.compile_detector_sampler(seed=2026).sample(6000, separate_observables=True)
    fail_aware = (ErasureDecoder(dem).decode_batch(dets) != obs).any(axis=1)
    fail_unaware = (MatchingDecoder(dem).decode_batch(dets) != obs).any(axis=1)
    only_unaware = int(np.sum(fail_unaware & ~fail_aware))
    only_aware = int(np.sum(fail_aware & ~fail_unaware))
    n = only_unaware + only_aware
    assert n > 0
    p_value = scipy.stats.binomtest(only_unaware, n, 0.5, alternative="greater").pvalue
    assert p_value < ALPHA, (only_unaware, only_aware, p_value)


def test_shots_without_heralds_use_the_base_graph() -> None:
    circuit = with_data_heralds(depolarizing_circuit(3, 3, 5e-3), 0.01)
    dem = circuit_dem(circuit)
    dec = ErasureDecoder(dem)
    dets, _ = circuit.compile_detector_sampler(seed=8).sample(3000, separate_observables=True)
    quiet = ~dets[:, dec.model.herald_detectors].any(axis=1)
    assert 0 < quiet.sum() < len(dets)
    pred = dec.decode_batch(dets)
    base = pymatching.Matching.from_detector_error_model(dec.model.base)
    assert np.array_equal(pred[quiet], base.decode_batch(dets[quiet][:, dec.model.kept_detectors]))
    packed = dec.decode_batch(np.packbits(dets, axis=1, bitorder="little"), bit_packed=True)
    assert np.array_equal(np.unpackbits(packed, axis=1, count=1, bitorder="little"), pred)


def test_without_heralds_equals_bare_pymatching() -> None:
    circuit = depolarizing_circuit(3, 3, 5e-3)
    dem = circuit_dem(circuit)
    packed, _ = circuit.compile_detector_sampler(seed=4).sample(3000, separate_observables=True, bit_packed=True)
    bare = pymatching.Matching.from_detector_error_model(dem)
    assert np.array_equal(
        ErasureDecoder(dem).decode_batch(packed, bit_packed=True),
        bare.decode_batch(packed, bit_packed_shots=True, bit_packed_predictions=True),
    )


def test_wrong_width_raises() -> None:
    circuit = with_data_heralds(depolarizing_circuit(3, 2, 1e-3), 0.05)
    dec = ErasureDecoder(circuit_dem(circuit))
    with pytest.raises(DecodeError, match=rf"shape \(shots, {dec.num_detectors}\).*got dtype uint8 and shape \(2, 5\)"):
        dec.decode_batch(np.zeros((2, 5), dtype=np.uint8))


def test_unmatchable_shots_raise_and_the_decoder_recovers() -> None:
    """A syndrome with no matching (odd parity, no boundary) raises DecodeError on both paths, not a panic."""
    dem = stim.DetectorErrorModel(
        """
        detector(0, 0, 0) D0
        detector(1, 0, 0) D1
        detector(0, 0, 0, -1) D2
        error(0.01) D0 D1 L0
        error(0.05) D0 D1 D2 L0
        error(0.05) D2
        """
    )
    dec = ErasureDecoder(dem)
    assert dec.num_heralds == 1
    for shot in ([1, 0, 0], [1, 0, 1]):  # without and with the herald
        with pytest.raises(DecodeError, match="matching"):
            dec.decode_batch(np.array([shot], dtype=np.uint8))
    pred = dec.decode_batch(np.array([[1, 1, 1], [1, 1, 0], [0, 0, 1]], dtype=np.uint8))
    assert np.array_equal(pred, [[1], [1], [0]])


def test_one_shot_at_a_time_equals_the_batch_path():
    """The real-time path (a few shots, compiled herald union) predicts what the batched sparse path does."""
    circuit = contract_circuit("rotated_surface", 5)
    dec = ErasureDecoder.from_circuit(circuit)
    dets, _ = circuit.compile_detector_sampler(seed=8).sample(200, separate_observables=True)
    batch = dec.decode_batch(dets)
    single = np.concatenate([dec.decode_batch(dets[i : i + 1]) for i in range(len(dets))])
    assert np.array_equal(batch, single)
    assert (dets[:, dec._herald_cols].sum(axis=1) > 1).sum() > 50  # many shots open several heralds at once
