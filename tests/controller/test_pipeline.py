"""The controller pipeline on the emulator's stream, in one process (the process shells are tested apart)."""

from __future__ import annotations

import numpy as np
import pytest

from controller.pipeline import ControllerPipeline, FrameUpdate, SwitchRequest, wilson_interval
from emulator.experiment import PhotonicEmulator, device_with
from emulator.physics.device import load_device
from emulator.physics.effective import effective_channel
from policies import build_policy
from protocols.codes import CodeSpec

DEVICE = "configs/devices/dual_rail_target.yaml"


def _pipeline(device, spec, **kw):
    return ControllerPipeline(
        spec,
        belief=effective_channel(device),
        round_period_ps=int(device.clock.round_period_ns * 1e3),
        window_ps=int(device.detectors.gate_window_ns * 1e3 / 2),
        **kw,
    )


def _drive(em, pipe, batches, blocks_per_batch):
    """Feed emulator batches to the pipeline; answer switch requests as the device does."""
    out = []
    for _ in range(batches):
        b = em.next_blocks(blocks_per_batch)
        fb = pipe.on_batch(b.first_round, b.n_rounds, b.tags)
        for f in fb:
            if isinstance(f, SwitchRequest):
                assert f.apply_at_round >= em.next_round
                em.switch_code(f.spec, f.apply_at_round)
                fb += pipe.on_switch_answer(True)
        out.append((b, fb))
    return out


def test_logical_outcomes_match_the_ground_truth_and_no_round_is_lost():
    device = load_device(DEVICE)
    spec = CodeSpec("rotated_surface", 3, 3, "Z")
    em = PhotonicEmulator(device, spec, seed=4)
    pipe = _pipeline(device, spec)
    runs = _drive(em, pipe, 5, 200)
    s = pipe.summary()
    assert s["rounds"] == 5 * 200 * 4 and s["rounds_lost"] == 0 and s["blocks"] == 1000
    # The measured observable the controller reconstructs equals the device's truth except where the
    # detectors themselves erased or flipped a data readout; the decoded failure rate is small.
    assert s["logical_errors"] < 0.02 * s["blocks"]
    updates = [f for _, fb in runs for f in fb if isinstance(f, FrameUpdate)]
    assert len(updates) == 5 and updates[-1].apply_at_round == 4000
    assert set(s["latency_us"]) >= {"ingest", "decode", "policy"}


def test_next_block_end_is_the_round_that_completes_the_block_being_assembled():
    device = load_device(DEVICE)
    spec = CodeSpec("rotated_surface", 3, 3, "Z")  # 3 rounds + readout: 4 frames per block
    em = PhotonicEmulator(device, spec, seed=6)
    pipe = _pipeline(device, spec)
    b = em.next_blocks(3)
    per_round = np.searchsorted(b.tags["time_ps"], np.arange(13) * em.round_period_ps)
    ends = [pipe.next_block_end]
    for r in range(12):
        fb = pipe.on_batch(r, 1, b.tags[per_round[r] : per_round[r + 1]])
        assert bool(fb) == ((r + 1) % 4 == 0)  # the block's feedback comes with the round next_block_end named
        ends.append(pipe.next_block_end)
    assert ends == [4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12, 16]
    pipe.on_batch(15, 1, b.tags[:0])  # rounds 12-14 lost: the partial block is dropped, the next one ends at 20
    assert pipe.next_block_end == 20


def test_lost_batch_is_counted_and_the_stream_realigns():
    device = load_device(DEVICE)
    spec = CodeSpec("rotated_surface", 3, 3, "Z")
    em = PhotonicEmulator(device, spec, seed=5)
    pipe = _pipeline(device, spec)
    b0, b1, b2 = em.next_blocks(10), em.next_blocks(10), em.next_blocks(10)
    pipe.on_batch(b0.first_round, b0.n_rounds, b0.tags)
    pipe.on_batch(b2.first_round, b2.n_rounds, b2.tags)  # b1 never arrives
    s = pipe.summary()
    assert s["rounds_lost"] == b1.n_rounds and s["blocks"] == 20


def test_closed_loop_distance_switch_under_rising_loss():
    """Loss drifts upward; the density rule raises the distance; the new code decodes as offline decoding does."""
    from emulator.scenario import Scenario, ScenarioConfig

    base = load_device(DEVICE)
    spec = CodeSpec("rotated_surface", 3, 3, "Z")
    # Excess loss drifts from 0 up to 0.1 dB over rounds 800..1200, then holds (a slow coupler drift).
    drift = ScenarioConfig(
        name="drift",
        seed=1,
        parameters={
            "channel.excess_loss_db": {
                "components": [{"kind": "linear_drift", "rate_per_round": 2.5e-4, "start_round": 800,
                                "stop_round": 1200}],
                "min": 0.0,
            }
        },
    )
    em = PhotonicEmulator(base, spec, seed=6, scenario=Scenario.from_device(drift, base))
    pipe = _pipeline(
        base,
        spec,
        # Density of detection events on this device: ~0.04 before the drift, ~0.07-0.09 after.
        policy=build_policy({"distances": [3, 5], "raise_above": 0.06}),
        policy_window_blocks=200,
        switch_lead_rounds=400,
    )
    _drive(em, pipe, 8, 100)
    s = pipe.summary()
    assert [d["distance"] for d in s["decisions"]] == [5] and s["decisions"][0]["accepted"]
    assert s["decisions"][0]["round"] > 1200  # after the drift, and every d=5 block sees the drifted device
    assert s["rounds_lost"] == 0
    # After the switch, the logical error rate of the new code matches offline decoding of the same device.
    from controller.decode import ErasureDecoder
    from controller.decode.heralds import circuit_dem
    from protocols.codes import build_memory_circuit

    d5 = s["per_distance"]["5"]
    assert d5["blocks"] >= 200
    drifted = device_with(base, {"channel.excess_loss_db": 0.1})
    circuit = build_memory_circuit(CodeSpec("rotated_surface", 5, 5, "Z"), effective_channel(drifted).hooks())
    dets, obs = circuit.compile_detector_sampler(seed=1).sample(20_000, separate_observables=True)
    offline = (ErasureDecoder(circuit_dem(circuit)).decode_batch(dets)[:, 0] != obs[:, 0]).mean()
    lo, hi = wilson_interval(d5["logical_errors"], d5["blocks"], z=4.0)
    assert lo <= offline <= hi + 4 * np.sqrt(offline * (1 - offline) / 20_000), (d5, offline)


def test_wilson_interval_covers_and_handles_edges():
    assert wilson_interval(0, 0) == (None, None)
    lo, hi = wilson_interval(0, 100)
    assert lo == 0.0 and 0.03 < hi < 0.04
    lo, hi = wilson_interval(50, 100)
    assert lo < 0.5 < hi


def test_long_blocks_stream_through_sliding_windows_like_whole_block_decoding():
    """Blocks of 12 rounds at d=3 go through the streaming decoder, frame by frame as batches arrive; on the
    same time tags, its failures match whole-block decoding's (paired: few blocks differ)."""
    device = device_with(load_device(DEVICE), {"channel.excess_loss_db": 0.1})
    spec = CodeSpec("rotated_surface", 3, 12, "Z")
    em = PhotonicEmulator(device, spec, seed=8)
    streamed = _pipeline(device, spec)
    whole = _pipeline(device, spec, streaming_rounds_per_distance=0)
    assert streamed.code.streaming is not None and whole.code.streaming is None
    for _ in range(6):
        b = em.next_blocks(100)
        # Deliver in uneven pieces that cut through blocks, as a transport would.
        cuts = [b.first_round, b.first_round + 7, b.first_round + 500, b.first_round + b.n_rounds]
        for lo, hi in zip(cuts, cuts[1:]):
            i0, i1 = np.searchsorted(b.tags["time_ps"], np.array([lo, hi]) * 1_000_000)
            streamed.on_batch(lo, hi - lo, b.tags[i0:i1])
        whole.on_batch(b.first_round, b.n_rounds, b.tags)
    s, w = streamed.summary(), whole.summary()
    assert s["blocks"] == w["blocks"] == 600 and s["rounds_lost"] == 0
    assert w["logical_errors"] > 5  # the comparison sees real failures
    # Both decoders see the same events; windows (commit = buffer = d) differ from whole-block matching
    # only rarely. 4-sigma band for the difference of two correlated counts.
    assert abs(s["logical_errors"] - w["logical_errors"]) <= 4 * np.sqrt(w["logical_errors"]) + 2
