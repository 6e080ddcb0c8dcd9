"""The one-pass block decoder against the two-step path (SyndromeExtractor, then ErasureDecoder), block by block."""

from __future__ import annotations

import numpy as np
import pytest

from controller.block_decode import BlockDecoder
from controller.ingest import Ingest
from controller.pipeline import decoders_for
from controller.syndromes import SyndromeExtractor
from emulator.experiment import PhotonicEmulator
from emulator.physics.device import load_device
from emulator.physics.effective import effective_channel
from protocols.channel_map import channel_map_for_code
from protocols.codes import CodeSpec, layout
from protocols.errors import DecodeError


def _parts(device_file: str, spec: CodeSpec):
    device = load_device(device_file)
    period = int(device.clock.round_period_ns * 1e3)
    window = int(device.detectors.gate_window_ns * 1e3 / 2)
    circuit, erasure, _, plain = decoders_for(spec, effective_channel(device))
    lay = layout(spec)
    cm = channel_map_for_code(sorted(lay.data_qubits + lay.x_ancillas + lay.z_ancillas), period, window)
    extractor = SyndromeExtractor(circuit, cm)
    return device, Ingest(cm), extractor, erasure, plain


@pytest.mark.parametrize(("device_file", "distance", "blocks"), [
    ("configs/devices/dual_rail_target.yaml", 3, 1500),
    ("configs/devices/dual_rail_target.yaml", 5, 600),
    ("configs/devices/dual_rail_lossy.yaml", 3, 600),  # many heralds per block
])
def test_every_block_matches_the_two_step_path(device_file, distance, blocks):
    spec = CodeSpec("rotated_surface", distance, distance, "Z")
    device, ingest, extractor, erasure, plain = _parts(device_file, spec)
    em = PhotonicEmulator(device, spec, seed=11 + distance)
    frames = extractor.frames_per_block
    batch = em.next_blocks(blocks)
    res = ingest(batch.tags, 0, blocks * frames)
    outs = res.outcomes.reshape(blocks, frames, -1)
    flags = res.flags.reshape(blocks, frames, -1)
    syn = extractor(outs, flags)
    pred = erasure.decode_batch(syn.detectors)
    block = BlockDecoder(extractor, erasure)
    got = [block(np.ascontiguousarray(outs[b]), np.ascontiguousarray(flags[b])) for b in range(blocks)]
    assert [g.predicted for g in got] == pred[:, 0].tolist()
    assert [g.measured for g in got] == syn.observables[:, 0].astype(int).tolist()
    assert [g.plain_events for g in got] == np.count_nonzero(syn.detectors & plain, axis=1).tolist()
    assert [g.flagged_slots for g in got] == np.count_nonzero(flags.reshape(blocks, -1), axis=1).tolist()
    # The sampled blocks reach fusion-blossom (heralds fired) and decode to both answers.
    assert np.count_nonzero(syn.detectors & ~plain) and len({g.predicted for g in got}) == 2


def test_blocks_without_heralds_match_the_two_step_path():
    # The same sampled outcomes with every slot read as a clean click: no herald fires, PyMatching decodes.
    spec = CodeSpec("rotated_surface", 3, 3, "Z")
    device, ingest, extractor, erasure, plain = _parts("configs/devices/dual_rail_target.yaml", spec)
    em = PhotonicEmulator(device, spec, seed=5)
    frames, blocks = extractor.frames_per_block, 1000
    res = ingest(em.next_blocks(blocks).tags, 0, blocks * frames)
    outs = res.outcomes.reshape(blocks, frames, -1)
    flags = np.zeros_like(outs)
    syn = extractor(outs, flags)
    assert not np.count_nonzero(syn.detectors & ~plain) and np.count_nonzero(syn.detectors)
    pred = erasure.decode_batch(syn.detectors)
    block = BlockDecoder(extractor, erasure)
    got = [block(np.ascontiguousarray(outs[b]), flags[b]) for b in range(blocks)]
    assert [g.predicted for g in got] == pred[:, 0].tolist() and len(set(pred[:, 0].tolist())) == 2
    assert [g.measured for g in got] == syn.observables[:, 0].astype(int).tolist()


def test_an_unexplainable_event_is_refused_by_name():
    spec = CodeSpec("rotated_surface", 3, 3, "Z")
    _, _, extractor, erasure, _ = _parts("configs/devices/dual_rail_target.yaml", spec)
    block = BlockDecoder(extractor, erasure)
    shape = (extractor.frames_per_block, extractor.layout.n_slots)
    with pytest.raises(DecodeError, match="expected .* frame slots"):
        block(np.zeros((1, 3), np.uint8), np.zeros((1, 3), np.uint8))
    # A block with no clicks flags every slot: every herald fires, and it still decodes (no exception).
    r = block(np.zeros(shape, np.uint8), np.ones(shape, np.uint8))
    assert r.flagged_slots == shape[0] * shape[1]
