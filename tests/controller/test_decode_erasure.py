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
from protocols.errors import DecodeError

#: Significance level of the paired sign test; strict because the verdict must not depend on luck.
ALPHA = 1e-6


def _injected_shot(circuit: stim.Circuit, site: int, pauli: str) -> tuple[np.ndarray, np.ndarray]:
    """Detection events and observable flips of `circuit` with only erasure `site` happening, as `pauli`.

    Detection events are relative to the noiseless reference, so the fired herald is set by the caller.
    """
    injected = stim.Circuit()
    for j, op in enumerate(circuit):
        if j == site:
            injected.append(pauli, op.targets_copy(), 1.0)
            injected.append("MPAD", [0])
        elif op.name == "HERALDED_ERASE":
            injected.append("MPAD", [0] * len(op.targets_copy()))
        else:
            injected.append(op)
    dets, obs = injected.compile_detector_sampler().sample(1, separate_observables=True)
    return dets[0], obs[0]


def test_known_erasure_opens_the_edges_it_flips_and_is_corrected() -> None:
    """For every herald: an X, Y or Z there flips only detectors on that herald's edges, and is decoded exactly."""
    circuit = with_data_heralds(depolarizing_circuit(3, 2, 0.0), 0.05)
    dec = ErasureDecoder(circuit_dem(circuit))
    model, graph = dec.model, dec.graph
    sites = [k for k, op in enumerate(circuit) if op.name == "HERALDED_ERASE"]
    assert len(sites) == dec.num_heralds == 18
    flips_observable = 0
    for h, site in enumerate(sites):
        edges = graph.edges_of_herald(h)
        assert len(edges) > 0
        endpoints = set(graph.u[edges].tolist()) | set(graph.v[edges][graph.v[edges] >= 0].tolist())
        for pauli in ("X_ERROR", "Y_ERROR", "Z_ERROR"):
            dets, obs = _injected_shot(circuit, site, pauli)
            dets[model.herald_detectors[h]] = 1
            flipped = {int(model.compact_index[d]) for d in np.flatnonzero(dets) if model.compact_index[d] >= 0}
            assert flipped <= endpoints, (h, pauli)
            pred = dec.decode_batch(dets[None, :].astype(np.uint8))
            assert np.array_equal(pred[0], obs.astype(np.uint8)), (h, pauli)
            flips_observable += int(obs.any())
    assert flips_observable > 0  # some erasures hit the logical support, so the check has teeth


def test_erasure_aware_beats_unaware_on_the_same_samples() -> None:
    """Paired sign test (McNemar, exact binomial) on shots where exactly one decoder fails.

    Under the null hypothesis that both decoders are equally good, each discordant shot is equally
    likely to be a failure of either one; reject at ALPHA if the unaware decoder's share is too large.
    Model: d=3, rounds=3, circuit-level depolarizing 1e-3 plus heralded erasure 5 % of each data qubit
    per round (erasure-dominated).
    """
    circuit = with_data_heralds(depolarizing_circuit(3, 3, 1e-3), 0.05)
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
