"""The emulator as a whole: deterministic, and the syndrome statistics read back from its time tags agree with
the effective channel it was built from."""

from __future__ import annotations

import numpy as np
import pytest

from controller.ingest import Ingest
from controller.syndromes import SyndromeExtractor
from emulator.experiment import PhotonicEmulator, device_with
from emulator.physics.device import load_device
from emulator.physics.effective import effective_channel
from protocols.codes import CodeSpec, build_memory_circuit
from protocols.errors import ConfigError
from protocols.frames import FrameLayout

DEVICE = "configs/devices/dual_rail_target.yaml"


@pytest.fixture(scope="module")
def device():
    # Dark counts raised so that their effect is measurable in a CI-sized sample.
    return device_with(load_device(DEVICE), {"detectors.dark_count_rate_hz": 2e5, "channel.excess_loss_db": 0.2})


def test_same_seed_same_bytes_and_other_seed_differs(device):
    spec = CodeSpec("rotated_surface", 3, 3, "Z")
    a = PhotonicEmulator(device, spec, seed=5).next_blocks(50)
    b = PhotonicEmulator(device, spec, seed=5).next_blocks(50)
    c = PhotonicEmulator(device, spec, seed=6).next_blocks(50)
    assert a.tags.tobytes() == b.tags.tobytes()
    assert np.array_equal(a.truth.observables, b.truth.observables)
    assert a.tags.tobytes() != c.tags.tobytes()


def test_erasure_check_flags_match_the_closed_form(device):
    """Flag rate of data-qubit erasure checks = upstream loss and detector misses and dark counts combined."""
    spec = CodeSpec("rotated_surface", 3, 3, "Z")
    em = PhotonicEmulator(device, spec, seed=11)
    batch = em.next_blocks(4000)
    res = Ingest(em.channel_map)(batch.tags, batch.first_round, batch.n_rounds)
    ch = batch.truth.channels[0]
    circuit = build_memory_circuit(spec, ch.hooks())
    lay = FrameLayout.from_circuit(circuit, em.channel_map.qubits)
    check = (lay.herald_index >= 0) & (lay.outcome_index < 0)  # (frames, slots): erasure-check slots
    F = lay.n_frames
    flags = res.flags.reshape(-1, F, lay.n_slots)[:, check]
    observed = (flags != 0).mean()
    e = ch.erasure + ch.false_herald
    det = device.detectors
    pd = 1 - np.exp(-det.dark_count_rate_hz * det.gate_window_ns * 1e-9)  # dark count per rail and window
    c0 = 1 - (1 - det.efficiency) * (1 - pd)  # rail 0 clicks when the photon is there
    one_click_present = c0 * (1 - pd) + (1 - c0) * pd
    one_click_lost = 2 * pd * (1 - pd)
    expected = e * (1 - one_click_lost) + (1 - e) * (1 - one_click_present)
    n = flags.size
    sigma = np.sqrt(expected * (1 - expected) / n)
    assert abs(observed - expected) < 5 * sigma, (observed, expected, sigma)


def test_detection_event_density_matches_the_full_effective_channel(device):
    """Non-herald detection events from the tags vs stim sampling the full channel (detectors included)."""
    spec = CodeSpec("rotated_surface", 3, 3, "Z")
    em = PhotonicEmulator(device, spec, seed=12)
    n = 4000
    batch = em.next_blocks(n)
    full = effective_channel(device)  # the detectors folded in as measurement erasure and flips
    circuit = build_memory_circuit(spec, full.hooks())
    ex = SyndromeExtractor(circuit, em.channel_map)
    res = Ingest(em.channel_map)(batch.tags, batch.first_round, batch.n_rounds)
    F, S = ex.layout.n_frames, ex.layout.n_slots
    ours = ex(res.outcomes.reshape(n, F, S), res.flags.reshape(n, F, S)).detectors
    # Reference: the same circuit sampled by stim, erased outcomes zeroed as the controller does.
    record = circuit.compile_sampler(seed=3).sample(n).astype(np.uint8)
    o, h = ex.layout.to_frames(record)
    ref = ex(o, h * np.uint8(1)).detectors
    herald = np.array([len(c) == 4 for c in circuit.get_detector_coordinates().values()])
    a = ours[:, ~herald].mean(axis=1)
    b = ref[:, ~herald].mean(axis=1)
    se = np.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
    assert abs(a.mean() - b.mean()) < 5 * se, (a.mean(), b.mean(), se)
    assert a.mean() > 0.01  # events are really there


def test_code_switch_applies_at_the_next_block_boundary(device):
    em = PhotonicEmulator(device, CodeSpec("rotated_surface", 3, 3, "Z"), seed=1)
    first = em.next_blocks(2)
    assert first.n_rounds == 2 * 4
    em.switch_code(CodeSpec("rotated_surface", 5, 5, "Z"), apply_at_round=first.n_rounds + 1)
    b = em.next_blocks(3)
    # The block starting at round 8 still runs d=3; the switch lands at the boundary after round 9.
    assert [s.distance for s in b.truth.specs] == [3, 5, 5]
    assert b.n_rounds == 4 + 2 * 6
    assert em.channel_map.n_slots == 49


def test_scenario_drives_the_channel_block_by_block(device):
    from emulator.scenario import Scenario, load_scenario

    scen = Scenario.from_device(load_scenario("configs/scenarios/loss_drift.yaml"), device)
    em = PhotonicEmulator(device, CodeSpec("rotated_surface", 3, 3, "Z"), seed=2, scenario=scen)
    b = em.next_blocks(3)
    assert len(b.truth.channels) == 3
    # A step in the excess loss shows in the erasure rate of the block that starts after it.
    em2 = PhotonicEmulator(device, CodeSpec("rotated_surface", 3, 3, "Z"), seed=2)
    em2.set_parameter("channel.excess_loss_db", 3.0, apply_at_round=4)
    b2 = em2.next_blocks(2)
    assert b2.truth.channels[1].erasure > 5 * b2.truth.channels[0].erasure


def test_bad_parameters_are_rejected(device):
    em = PhotonicEmulator(device, CodeSpec("rotated_surface", 3, 3, "Z"), seed=1)
    with pytest.raises(ConfigError, match="unknown device parameter"):
        em.set_parameter("loss", 1.0, 0)
    with pytest.raises(ConfigError):
        em.set_parameter("detectors.efficiency", 1.5, 0)
    with pytest.raises(ConfigError, match="unknown device parameter"):
        em.set_parameter("detectors.kind", 1.0, 0)
    with pytest.raises(ConfigError, match="n_blocks"):
        em.next_blocks(0)


def test_observable_columns_give_stims_observables(device):
    from emulator.experiment import observable_columns

    ch = effective_channel(device)
    circuit = build_memory_circuit(CodeSpec("rotated_surface", 3, 3, "X"), ch.hooks())
    record = circuit.compile_sampler(seed=9).sample(500).view(np.uint8)
    cols = observable_columns(circuit)
    ours = np.stack([np.bitwise_xor.reduce(record[:, c], axis=1) for c in cols], axis=1) != 0
    _, ref = circuit.compile_m2d_converter().convert(measurements=record.astype(bool), separate_observables=True)
    assert np.array_equal(ours, ref) and ref.any()
