"""Decoding cost: our decoders against bare PyMatching on the same samples; prints one JSON object.

Erasure-free points: rotated surface code memory Z, d = 3, 5, 7, rounds = d, circuit-level
depolarizing p = 1e-3 and 5e-3 (stim's generated circuits with every noise knob at p). Bit-packed
shots; `MatchingDecoder.decode_batch(bit_packed=True)` and bare
`pymatching.Matching.decode_batch(bit_packed_shots=True, bit_packed_predictions=True)` are timed
alternately in the same process and the medians compared (`max_overhead_ratio` must be <= 1.10).

Single-shot calls: µs per `decode_batch` call on a one-shot batch (a streaming window), d = 5.

Erasure point: d = 5, rounds = 5, the project's memory circuit with depolarizing 1e-3 plus heralded erasure
of every data qubit every round (`heralded_circuit`): erasure-aware decoding (fusion-blossom on heralded shots), the PyMatching graph-editing
alternative, and erasure-unaware matching, with their logical error rates on the same samples.
Times are thread CPU time: the machine is shared, and wall time would mostly measure the neighbours.

`--erasure-table` instead measures fusion-blossom against PyMatching graph editing for d = 3, 5, 7
at erasure rates 1 %, 5 %, 10 % (the table in `controller/decode/erasure.py`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pymatching
import stim

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from controller.decode import ErasureDecoder, MatchingDecoder  # noqa: E402
from controller.decode.heralds import circuit_dem  # noqa: E402
from protocols.codes import CodeSpec, build_memory_circuit  # noqa: E402
from protocols.noise import EffectiveChannel  # noqa: E402

SEED = 20260601


def depolarizing_circuit(d: int, p: float) -> stim.Circuit:
    """Rotated surface code memory Z, rounds = d, circuit-level depolarizing p."""
    return stim.Circuit.generated(
        "surface_code:rotated_memory_z",
        distance=d,
        rounds=d,
        after_clifford_depolarization=p,
        before_round_data_depolarization=p,
        before_measure_flip_probability=p,
        after_reset_flip_probability=p,
    )


def heralded_circuit(d: int, p: float, p_erase: float) -> stim.Circuit:
    """The project's memory circuit (Z, rounds = d): heralded erasure p_erase of every data qubit every round on
    top of depolarizing p (Pauli p/3 each per round, two-qubit depolarizing, reset and measurement flips)."""
    channel = EffectiveChannel(
        erasure=p_erase, pauli_x=p / 3, pauli_y=p / 3, pauli_z=p / 3,
        gate_depolarizing=p, measurement_flip=p, reset_flip=p,
    )
    return build_memory_circuit(CodeSpec("rotated_surface", d, d, "Z"), channel.hooks())


def _timed(fn) -> tuple[float, float]:
    """(thread CPU seconds, wall seconds) of one call."""
    c0, w0 = time.thread_time(), time.perf_counter()
    fn()
    return time.thread_time() - c0, time.perf_counter() - w0


def overhead_point(d: int, p: float, shots: int, repeats: int) -> dict:
    """Median µs per shot of ours vs bare PyMatching at one erasure-free point.

    The ratio uses thread CPU time: on a shared machine wall time mostly measures who else ran
    (wall medians are reported too).
    """
    circuit = depolarizing_circuit(d, p)
    dem = circuit_dem(circuit)
    dets, _ = circuit.compile_detector_sampler(seed=SEED).sample(shots, separate_observables=True, bit_packed=True)
    ours = MatchingDecoder(dem)
    bare = pymatching.Matching.from_detector_error_model(dem)
    a = ours.decode_batch(dets, bit_packed=True)
    b = bare.decode_batch(dets, bit_packed_shots=True, bit_packed_predictions=True)
    if not np.array_equal(a, b):
        raise SystemExit(f"d={d} p={p}: our predictions differ from bare PyMatching")

    def run_ours() -> None:
        ours.decode_batch(dets, bit_packed=True)

    def run_bare() -> None:
        bare.decode_batch(dets, bit_packed_shots=True, bit_packed_predictions=True)

    t_ours, t_bare = [], []
    for k in range(repeats):
        # Alternate which goes first so drifts of a shared machine hit both alike.
        if k % 2:
            t_bare.append(_timed(run_bare))
            t_ours.append(_timed(run_ours))
        else:
            t_ours.append(_timed(run_ours))
            t_bare.append(_timed(run_bare))
    cpu_ours = statistics.median(t[0] for t in t_ours) / shots * 1e6
    cpu_bare = statistics.median(t[0] for t in t_bare) / shots * 1e6
    wall_ours = statistics.median(t[1] for t in t_ours) / shots * 1e6
    wall_bare = statistics.median(t[1] for t in t_bare) / shots * 1e6
    return {
        "d": d,
        "p": p,
        "rounds": d,
        "shots": shots,
        "us_per_shot_ours": round(cpu_ours, 4),
        "us_per_shot_bare": round(cpu_bare, 4),
        "us_per_round_ours": round(cpu_ours / d, 4),
        "us_per_round_bare": round(cpu_bare / d, 4),
        "wall_us_per_shot_ours": round(wall_ours, 4),
        "wall_us_per_shot_bare": round(wall_bare, 4),
        "ratio": round(cpu_ours / cpu_bare, 4),
    }


def single_shot_calls(d: int, p: float, calls: int) -> dict:
    """µs per `decode_batch` call on a batch of one shot (a streaming window), ours vs bare."""
    circuit = depolarizing_circuit(d, p)
    dem = circuit_dem(circuit)
    dets, _ = circuit.compile_detector_sampler(seed=SEED).sample(1, separate_observables=True, bit_packed=True)
    ours = MatchingDecoder(dem)
    bare = pymatching.Matching.from_detector_error_model(dem)
    t_ours, t_bare = [], []
    for _ in range(9):
        c0 = time.thread_time()
        for _ in range(calls):
            ours.decode_batch(dets, bit_packed=True)
        c1 = time.thread_time()
        for _ in range(calls):
            bare.decode_batch(dets, bit_packed_shots=True, bit_packed_predictions=True)
        c2 = time.thread_time()
        t_ours.append((c1 - c0) / calls)
        t_bare.append((c2 - c1) / calls)
    us_ours, us_bare = statistics.median(t_ours) * 1e6, statistics.median(t_bare) * 1e6
    return {"d": d, "p": p, "us_per_call_ours": round(us_ours, 3), "us_per_call_bare": round(us_bare, 3),
            "overhead_us": round(us_ours - us_bare, 3)}


def graph_edit_decode(decoder: ErasureDecoder, dets: np.ndarray) -> tuple[np.ndarray, float]:
    """The rejected alternative: per heralded shot, zero the erased edges of a PyMatching graph, decode, restore.

    Returns (unpacked predictions of the heralded shots, seconds spent on them).
    """
    g = decoder.graph
    m = pymatching.Matching()
    w = g.weights()
    fids = [{k for k in range(64) if g.observables[e] >> k & 1} for e in range(g.num_edges)]

    def put(e: int, weight: float, strategy: str) -> None:
        if g.v[e] < 0:
            m.add_boundary_edge(int(g.u[e]), fault_ids=fids[e], weight=weight, merge_strategy=strategy)
        else:
            m.add_edge(int(g.u[e]), int(g.v[e]), fault_ids=fids[e], weight=weight, merge_strategy=strategy)

    for e in range(g.num_edges):
        put(e, float(w[e]), "disallow")
    compact = dets[:, decoder.model.kept_detectors]
    heralds = dets[:, decoder.model.herald_detectors]
    rows = np.flatnonzero(heralds.any(axis=1))
    out = np.zeros((len(rows), decoder.num_observables), dtype=np.uint8)
    t0 = time.thread_time()
    for i, r in enumerate(rows):
        erased = np.unique(np.concatenate([g.edges_of_herald(h) for h in np.flatnonzero(heralds[r])]))
        for e in erased:
            put(int(e), 0.0, "replace")
        out[i] = m.decode(compact[r])
        for e in erased:
            put(int(e), float(w[e]), "replace")
    return out, time.thread_time() - t0


def erasure_point(d: int, p: float, p_erase: float, shots: int, edit_shots: int) -> dict:
    """Erasure-aware vs graph-editing vs unaware decoding on the same heralded samples."""
    circuit = heralded_circuit(d, p, p_erase)
    dem = circuit_dem(circuit)
    b0 = time.thread_time()
    aware = ErasureDecoder(dem)
    build_s = time.thread_time() - b0
    unaware = MatchingDecoder(dem)
    dets, obs = circuit.compile_detector_sampler(seed=SEED).sample(shots, separate_observables=True)
    heralded = dets[:, aware.model.herald_detectors].any(axis=1)
    t0 = time.thread_time()
    pa = aware.decode_batch(dets)
    t_aware = time.thread_time() - t0
    t0 = time.thread_time()
    pu = unaware.decode_batch(dets)
    t_unaware = time.thread_time() - t0
    pe, t_edit = graph_edit_decode(aware, dets[:edit_shots])
    fail_a = (pa != obs).any(axis=1)
    fail_u = (pu != obs).any(axis=1)
    n_edit = int(heralded[:edit_shots].sum())
    return {
        "d": d,
        "rounds": d,
        "p_depolarizing": p,
        "p_erasure": p_erase,
        "shots": shots,
        "heralded_shot_fraction": round(float(heralded.mean()), 4),
        "build_ms": round(build_s * 1e3, 2),
        "us_per_shot_erasure_aware": round(t_aware / shots * 1e6, 3),
        "us_per_round_erasure_aware": round(t_aware / shots / d * 1e6, 3),
        "us_per_heralded_shot_pymatching_graph_edit": round(t_edit / max(n_edit, 1) * 1e6, 2),
        "graph_edit_agrees_with_aware": round(float((pe == pa[:edit_shots][heralded[:edit_shots]]).all(axis=1).mean()), 4),
        "us_per_shot_erasure_unaware": round(t_unaware / shots * 1e6, 3),
        "logical_error_rate_aware": round(float(fail_a.mean()), 5),
        "logical_error_rate_unaware": round(float(fail_u.mean()), 5),
    }


def erasure_table() -> dict:
    """fusion-blossom vs PyMatching graph editing, µs per heralded shot, d = 3, 5, 7 x erasure 1, 5, 10 %."""
    rows = []
    for d in (3, 5, 7):
        for pe in (0.01, 0.05, 0.10):
            circuit = heralded_circuit(d, 1e-3, pe)
            dec = ErasureDecoder(circuit_dem(circuit))
            dets, _ = circuit.compile_detector_sampler(seed=SEED).sample(2000, separate_observables=True)
            her = dets[:, dec.model.herald_detectors].any(axis=1)
            dets = dets[her]
            fb = []
            for _ in range(5):
                t0 = time.thread_time()
                dec.decode_batch(dets)
                fb.append((time.thread_time() - t0) / len(dets))
            _, t_edit = graph_edit_decode(dec, dets[: 300 if d < 7 else 100])
            n_edit = min(len(dets), 300 if d < 7 else 100)
            rows.append({
                "d": d,
                "p_erasure": pe,
                "us_fusion_blossom": round(statistics.median(fb) * 1e6, 1),
                "us_pymatching_graph_edit": round(t_edit / n_edit * 1e6, 1),
            })
    return {"benchmark": "erasure_solver_table", "rows": rows}


def main() -> None:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--erasure-table", action="store_true", help="fusion-blossom vs graph editing table")
    args = parser.parse_args()
    if args.erasure_table:
        print(json.dumps(erasure_table()))
        return
    t0 = time.perf_counter()
    points = []
    # Shot counts chosen so that one call takes ~30-60 ms: long against timer and call overheads.
    shots = {(3, 1e-3): 300_000, (3, 5e-3): 80_000, (5, 1e-3): 50_000, (5, 5e-3): 10_000,
             (7, 1e-3): 20_000, (7, 5e-3): 2_500}
    for (d, p), n in shots.items():
        points.append(overhead_point(d, p, n, repeats=31))
    single = single_shot_calls(5, 1e-3, calls=5000)
    erasure = erasure_point(5, 1e-3, 0.05, shots=20_000, edit_shots=400)
    print(json.dumps({
        "benchmark": "decode",
        "points": points,
        "max_overhead_ratio": max(pt["ratio"] for pt in points),
        "single_shot_call": single,
        "erasure": erasure,
        "seconds": round(time.perf_counter() - t0, 1),
    }))


if __name__ == "__main__":
    main()
