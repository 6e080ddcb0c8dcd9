"""Syndrome extraction rebuilds the measurement record from frames and converts it to detection events."""

from __future__ import annotations

import numpy as np
import pytest

from controller.ingest import BOTH_RAILS, NO_CLICK
from controller.syndromes import SyndromeExtractor
from protocols.channel_map import dual_rail_map
from protocols.codes import CodeSpec, build_memory_circuit, layout
from protocols.errors import DecodeError
from protocols.noise import EffectiveChannel


@pytest.mark.parametrize("basis", ["Z", "X"])
def test_frames_from_a_sampled_record_give_stims_detection_events(basis):
    spec = CodeSpec("rotated_surface", 3, 4, basis)
    ch = EffectiveChannel(erasure=0.05, pauli_z=0.01, pauli_x=0.01, measurement_erasure=0.03, measurement_flip=0.01)
    circuit = build_memory_circuit(spec, ch.hooks())
    lay = layout(spec)
    cm = dual_rail_map(sorted(lay.data_qubits + lay.x_ancillas + lay.z_ancillas), 1_000_000, 0, 1000)
    ex = SyndromeExtractor(circuit, cm)
    record = circuit.compile_sampler(seed=11).sample(400).astype(np.uint8)
    outcomes, heralds = ex.layout.to_frames(record)
    # What a detector delivers: an erased slot shows no click (its outcome bit is lost), some show two clicks.
    rng = np.random.default_rng(2)
    flags = np.where(heralds == 1, np.where(rng.random(heralds.shape) < 0.5, NO_CLICK, BOTH_RAILS), 0).astype(np.uint8)
    got = ex(outcomes, flags)
    # Reference: stim's converter on the same record with the outcome bits of erased slots zeroed.
    ref_record = ex.layout.to_record(np.where(heralds == 1, 0, outcomes).astype(np.uint8), heralds)
    dets, obs = circuit.compile_m2d_converter().convert(
        measurements=ref_record.astype(bool), separate_observables=True
    )
    assert np.array_equal(got.detectors, dets) and np.array_equal(got.observables, obs)
    assert ex.frames_per_block == spec.rounds + 1
    assert got.detectors.any()  # the test sees real events, not an all-zero record


def test_wrong_shapes_are_rejected():
    spec = CodeSpec("rotated_surface", 3, 2, "Z")
    circuit = build_memory_circuit(spec)
    lay = layout(spec)
    cm = dual_rail_map(sorted(lay.data_qubits + lay.x_ancillas + lay.z_ancillas), 1_000_000, 0, 1000)
    ex = SyndromeExtractor(circuit, cm)
    with pytest.raises(DecodeError, match=r"shape \(blocks, 3, 17\)"):
        ex(np.zeros((2, 3, 16), np.uint8), np.zeros((2, 3, 16), np.uint8))


def test_few_block_path_equals_stims_converter():
    """One or two blocks at a time (the real-time path) give exactly what stim's converter gives for many."""
    spec = CodeSpec("rotated_surface", 5, 5, "X")
    ch = EffectiveChannel(erasure=0.05, gate_depolarizing=0.01, measurement_erasure=0.02, measurement_flip=0.01)
    circuit = build_memory_circuit(spec, ch.hooks())
    lay = layout(spec)
    cm = dual_rail_map(sorted(lay.data_qubits + lay.x_ancillas + lay.z_ancillas), 1_000_000, 0, 1000)
    ex = SyndromeExtractor(circuit, cm)
    record = circuit.compile_sampler(seed=4).sample(60).astype(np.uint8)
    o, h = ex.layout.to_frames(record)
    many = ex(o, h)
    few = [ex(o[i : i + 2], h[i : i + 2]) for i in range(0, 60, 2)]
    assert np.array_equal(many.detectors, np.concatenate([f.detectors for f in few]))
    assert np.array_equal(many.observables, np.concatenate([f.observables for f in few]))
    assert many.detectors.any() and many.observables.any()
