"""Emulator throughput: stim sampling + readout to time tags, against bare stim sampling; prints one JSON object.

Workload: rotated surface code memory Z, d = 5, `rounds` QEC rounds per shot, after-Clifford
depolarizing 1e-3 (stim's generated circuit), sampled with `compile_sampler`. Each shot is one readout
row: its measurement slots are the circuit's measurements, ancilla layer k at k x round period + period/2
and the final data layer after the last round, on channels 2q (rail 0) and 2q + 1 (rail 1) of qubit q.
Detectors and clock are the default device's (configs/devices/dual_rail_default.yaml); a photon reaches
its detector with the device's arrival probability (source x channel transmission), sampled with numpy
per measurement and included in the timed work.

`tags_per_s` = time tags / (stim sampling + arrival sampling + readout) time; `ratio_vs_stim` = QEC
rounds per second of that pipeline over rounds per second of bare stim sampling of the same circuit.
The two are timed alternately in the same process, batch by batch, after a warm-up that compiles the
Numba kernel. Times are thread CPU time (one core): the machine is shared, and wall time would mostly
measure the neighbours.

The headline `tags_per_s` / `ratio_vs_stim` are those of the whole transport-free emulator
(`PhotonicEmulator.next_blocks`: the project's memory circuit with heralded erasures from the device's
effective channel, frames, ground truth and readout) on the default run config's device, against bare stim
sampling of that same circuit; `present_day_device` repeats it on the present-day device, whose heavy
losses leave fewer clicks per round, and `readout_only` is the stim + readout measurement described above.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import stim

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator.experiment import PhotonicEmulator  # noqa: E402
from emulator.physics import effective_channel, load_device  # noqa: E402
from emulator.readout import ReadoutStage  # noqa: E402
from protocols.codes import CodeSpec, build_memory_circuit  # noqa: E402

SEED = 20261126


def measurement_layout(circuit: stim.Circuit, period_ps: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(channel_map (n_meas, 2), slot_ps (n_meas,), row period ps) of one shot of `circuit`."""
    qubits: list[int] = []
    layers: list[int] = []
    layer = 0
    for inst in circuit.flattened():
        if inst.name in ("M", "MR", "MX", "MY", "MRX", "MRY", "MZ", "MRZ"):
            targets = [t.value for t in inst.targets_copy()]
            qubits.extend(targets)
            layers.extend([layer] * len(targets))
            layer += 1
    q = np.asarray(qubits, dtype=np.int64)
    cmap = np.stack([2 * q, 2 * q + 1], axis=1).astype(np.int32)
    slots = np.asarray(layers, dtype=np.int64) * period_ps + period_ps // 2
    return cmap, slots, layer * period_ps


def emulator_pipeline(device, rounds: int, blocks: int, batches: int) -> dict:
    """tags/s of PhotonicEmulator.next_blocks at d=5 and its rounds/s over bare stim on the same circuit."""
    spec = CodeSpec("rotated_surface", 5, rounds, "Z")
    em = PhotonicEmulator(device, spec, seed=SEED)
    circuit = build_memory_circuit(spec, effective_channel(device, include_detectors=False).hooks())
    bare = circuit.compile_sampler(seed=SEED)
    em.next_blocks(blocks)
    bare.sample(blocks)
    t_ours = t_bare = 0.0
    n_tags = n_rounds = 0
    for _ in range(max(1, batches // 4)):
        t = time.thread_time()
        batch = em.next_blocks(blocks)
        t_ours += time.thread_time() - t
        n_tags += len(batch.tags)
        n_rounds += batch.n_rounds
        t = time.thread_time()
        bare.sample(blocks)
        t_bare += time.thread_time() - t
    return {
        "tags_per_s": round(n_tags / t_ours),
        "rounds_per_s": round(n_rounds / t_ours),
        "ratio_vs_stim": round(t_bare / t_ours, 4),
        "tags_per_round": round(n_tags / n_rounds, 2),
    }


def main() -> None:
    """Run the benchmark and print one JSON object."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="QEC rounds per stim shot")
    ap.add_argument("--shots", type=int, default=2_000, help="shots per batch")
    ap.add_argument("--batches", type=int, default=40, help="timed batches of each kind")
    ap.add_argument("--device", default=str(ROOT / "configs/devices/dual_rail_default.yaml"),
                    help="present-day device for the readout-only measurement")
    ap.add_argument("--config", default=str(ROOT / "configs/default.yaml"), help="run config whose device is the default")
    args = ap.parse_args()

    from protocols.run_config import load_run_config

    default_device = load_device(ROOT / load_run_config(args.config).emulator.device)
    device = load_device(args.device)
    period_ps = int(round(device.clock.round_period_ns * 1e3))
    p_arrive = float(device.source.photon_number_distribution()[1:].sum() * device.channel.transmission())
    circuit = stim.Circuit.generated(
        "surface_code:rotated_memory_z", distance=5, rounds=args.rounds, after_clifford_depolarization=1e-3
    )
    cmap, slots, row_period = measurement_layout(circuit, period_ps)
    stage = ReadoutStage.from_detector(device.detectors.params(), cmap, slots, row_period, seed=SEED)
    bare = circuit.compile_sampler(seed=SEED)
    ours = circuit.compile_sampler(seed=SEED + 1)
    rng = np.random.default_rng(SEED)
    u = np.empty((args.shots, cmap.shape[0]), dtype=np.float32)
    present = np.empty(u.shape, dtype=np.bool_)

    def pipeline() -> int:
        outcomes = ours.sample(args.shots)
        rng.random(dtype=np.float32, out=u)
        np.less(u, p_arrive, out=present)
        return len(stage.emit(outcomes, present))

    for _ in range(3):  # warm-up: Numba compile or cache load, allocator, stim tables
        pipeline()
        bare.sample(args.shots)
    t_ours = t_bare = 0.0
    n_tags = 0
    for _ in range(args.batches):
        t = time.thread_time()
        n_tags += pipeline()
        t_ours += time.thread_time() - t
        t = time.thread_time()
        bare.sample(args.shots)
        t_bare += time.thread_time() - t
    rounds = args.batches * args.shots * args.rounds
    full = emulator_pipeline(default_device, args.rounds, args.shots, args.batches)
    present_day = emulator_pipeline(device, args.rounds, args.shots, args.batches)
    print(
        json.dumps(
            {
                "bench": "emulator",
                "code": "rotated_surface_code d=5 memory_z",
                "rounds_per_shot": args.rounds,
                # Headline: the whole transport-free emulator (PhotonicEmulator.next_blocks) on the default run
                # config's device, one core, against bare stim sampling of the same circuit.
                "device": default_device.name,
                "tags_per_s": full["tags_per_s"],
                "ratio_vs_stim": full["ratio_vs_stim"],
                "rounds_per_s": full["rounds_per_s"],
                "tags_per_round": full["tags_per_round"],
                "target_tags_per_s": 10_000_000,
                "present_day_device": {"device": device.name, **present_day},
                "readout_only": {
                    "what": "stim's generated d=5 circuit sampled + numpy photon arrival + Numba readout",
                    "device": device.name,
                    "measurements_per_shot": int(cmap.shape[0]),
                    "photon_arrival_probability": round(p_arrive, 4),
                    "tags": n_tags,
                    "tags_per_measurement": round(n_tags / (args.batches * args.shots * cmap.shape[0]), 4),
                    "tags_per_s": round(n_tags / t_ours),
                    "rounds_per_s": round(rounds / t_ours),
                    "stim_rounds_per_s": round(rounds / t_bare),
                    "ratio_vs_stim": round(t_bare / t_ours, 4),
                },
                "clock": "thread CPU time",
            }
        )
    )

if __name__ == "__main__":
    main()
