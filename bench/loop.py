"""Controller loop cost; prints one JSON object. This module's part: decoding throughput (`decode_metrics`).

Stream. Rotated surface code memory Z under circuit-level depolarizing p = 1e-3 (the controller's belief
equals the sampling model), blocks of BLOCK_ROUNDS rounds sampled by stim (sampling excluded from every
timing), pushed to `StreamingDecoder` in batches of BATCH_ROUNDS rounds (events batched), commit =
buffer = gap = d. Times are thread CPU seconds (a shared machine's wall clock mostly measures who else
ran), medians over REPEATS runs.

- `rounds_per_s[dK]`: committed rounds per CPU second of the whole streaming path (push: layer
  compaction, A windows, artificial defects, B windows, frame; finish_block: tail window, outcome),
  i.e. the mean service rate. No backlog growth is checked, not assumed: replaying the measured batch
  times against batches arriving at 90 % of that rate (Lindley's recursion), the largest backlog,
  in batches, is `max_backlog_batches_at_90pct_rate` (bounded, well under one batch = no growth);
  `max_batch_ms` is the slowest batch, the latency a batch can add.
- `decode_ratio` (d=5): bare `pymatching.Matching.decode_batch` time over streaming time for the SAME
  windows: every batch of window shots the stream handed to its decoders (recorded once, artificial
  defects applied) is decoded again by the bare PyMatching graph of that window, one call per batch,
  exactly as the stream batched them. The replay of a pushed batch's windows runs right before or
  right after that push (alternating between runs), so both sides of the ratio are measured within
  milliseconds of each other; ratio per run, mean of each before/after pair, median over pairs.
  1.0 means no cost beyond PyMatching's; `d5_decode_ratios` lists the runs.
- `d5_bare_whole_block1000_rounds_per_s`: context, bare `decode_batch` on whole 1000-round blocks (full
  block DEM, all detectors, every block in one call).
- `d5_erasure_1pct`: context, the erasure-aware path (heralded erasure 1 % per data qubit per round plus
  the depolarizing channels at p, blocks of 100 rounds pushed whole) against the same stream decoded with
  `use_heralds=False`: rounds/s and failed blocks of each.
- `d5_one_round_push_us`: context for the latency path, wall µs of `push` with one round each (most
  complete no window; "committing" ones complete an A or B window batch of one).
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pymatching
import stim

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from controller.decode.heralds import circuit_dem  # noqa: E402
from controller.decode.streaming import StreamingDecoder  # noqa: E402
from protocols.codes import CodeSpec, build_memory_circuit  # noqa: E402
from protocols.noise import CircuitDepolarizingHooks, EffectiveChannel  # noqa: E402

SEED = 20261126
P = 1e-3
BLOCK_ROUNDS = 100_000
BATCH_ROUNDS = 10_000
SMALL_BATCH_ROUNDS = 1_000
BLOCKS = {3: 4, 5: 3, 7: 2}
WHOLE_BLOCK_ROUNDS = 1_000
REPEATS = 6  # even: as many runs with the bare replay first as second
ERASURE_BLOCKS = 40
ERASURE_ROUNDS = 100
ONE_ROUND_PUSHES = 20_000


def _program(spec: CodeSpec, hooks: CircuitDepolarizingHooks) -> list[str]:
    """Program lines of the memory circuit with detector coordinates dropped (they hold the round index)."""
    text = str(build_memory_circuit(spec, hooks))
    return [re.sub(r"^DETECTOR\([^)]*\)", "DETECTOR", line) for line in text.splitlines()]


def long_memory_circuit(d: int, rounds: int, hooks: CircuitDepolarizingHooks) -> stim.Circuit:
    """`build_memory_circuit` of `rounds` rounds (coordinates dropped), its generic round as a REPEAT block.

    Building 10^5 rounds directly takes minutes; the circuits of 6 and 7 rounds differ by one inserted
    round, which is repeated. Checked: flattened, it equals the directly built circuit of 9 rounds.
    """
    short = _program(CodeSpec("rotated_surface", d, 6), hooks)
    longer = _program(CodeSpec("rotated_surface", d, 7), hooks)
    head = 0
    while short[head] == longer[head]:
        head += 1
    tail = 0
    while tail < len(short) - head and short[-1 - tail] == longer[-1 - tail]:
        tail += 1
    body = longer[head : len(longer) - tail]

    def assemble(n: int) -> stim.Circuit:
        return stim.Circuit("\n".join([*short[:head], f"REPEAT {n - 6} {{", *body, "}", *short[len(short) - tail :]]))

    direct = stim.Circuit("\n".join(_program(CodeSpec("rotated_surface", d, 9), hooks)))
    if assemble(9).flattened() != direct.flattened():
        raise SystemExit(f"d={d}: the repeated-round circuit differs from the built one")
    return assemble(rounds)


def _cuts(dec: StreamingDecoder, rounds: int, batch: int) -> list[int]:
    """Detector offsets splitting a block into pushes of `batch` layers (the last push ends the block)."""
    sizes = dec.detectors_per_layer
    stops = list(range(batch, rounds + 1, batch))
    if not stops or stops[-1] != rounds + 1:
        stops.append(rounds + 1)
    return [0] + [sizes.offset(t) if t <= rounds else sizes.total(rounds) for t in stops]


def _stream(dec: StreamingDecoder, dets: np.ndarray, obs: np.ndarray, cuts: list[int],
            bare: list[list[tuple[pymatching.Matching, np.ndarray]]] | None = None,
            bare_first: bool = False) -> tuple[list[float], float]:
    """Push every block through `dec`: thread CPU seconds of each batch (push, and finish_block after the
    last), and of the bare replay: with `bare` (the window shots each batch handed to PyMatching, from a
    recording run), each batch's shots are decoded by bare `decode_batch` right before or after the batch
    itself, so the two are measured at the same moment (a shared machine drifts within milliseconds)."""
    times, bare_s, j = [], 0.0, 0
    for s in range(len(dets)):
        ev = dets[s]
        for i in range(len(cuts) - 1):
            if bare is not None and bare_first:
                bare_s += _bare(bare[j])
            t0 = time.thread_time()
            dec.push(ev[cuts[i] : cuts[i + 1]])
            if i == len(cuts) - 2:
                dec.finish_block(int(obs[s]))
            times.append(time.thread_time() - t0)
            if bare is not None and not bare_first:
                bare_s += _bare(bare[j])
            j += 1
    return times, bare_s


def _bare(batches: list[tuple[pymatching.Matching, np.ndarray]]) -> float:
    """Thread CPU seconds of bare `decode_batch` on recorded window batches, one call per batch."""
    t0 = time.thread_time()
    for matching, shots in batches:
        matching.decode_batch(shots)
    return time.thread_time() - t0


def _max_backlog(times: list[float], interval: float) -> float:
    """Largest backlog (s) when batches arrive every `interval` s and take `times` (Lindley's recursion)."""
    wait, worst = 0.0, 0.0
    for t in times:
        wait = max(0.0, wait + t - interval)
        worst = max(worst, wait)
    return worst


def _point(d: int, blocks: int, with_ratio: bool) -> dict:
    hooks = CircuitDepolarizingHooks(P)
    spec = CodeSpec("rotated_surface", d, BLOCK_ROUNDS)
    circuit = long_memory_circuit(d, BLOCK_ROUNDS, hooks)
    dets, obs = circuit.compile_detector_sampler(seed=SEED + d).sample(blocks, separate_observables=True)
    dets, obs = dets.view(np.uint8), obs[:, 0].view(np.uint8)
    dec = StreamingDecoder(spec, hooks, d, d)
    out: dict = {}
    for batch in (BATCH_ROUNDS, SMALL_BATCH_ROUNDS) if with_ratio else (BATCH_ROUNDS,):
        cuts = _cuts(dec, BLOCK_ROUNDS, batch)
        _stream(dec, dets[:1], obs[:1], cuts)  # builds every window graph (configure once)
        recorded: list[list[tuple[pymatching.Matching, np.ndarray]]] | None = None
        if with_ratio:
            # One recording run: the window shots of each batch, as the stream handed them to PyMatching.
            recorded = [[] for _ in range(len(dets) * (len(cuts) - 1))]
            at = iter(recorded)
            current: list = []

            def keep(graph, shots) -> None:  # noqa: ANN001 - the stream's instrumentation hook
                current.append((graph.decoder.matching, shots.copy()))

            dec.on_batch = keep
            for s in range(len(dets)):
                for i in range(len(cuts) - 1):
                    current = next(at)
                    dec.push(dets[s][cuts[i] : cuts[i + 1]])
                    if i == len(cuts) - 2:
                        dec.finish_block(int(obs[s]))
            dec.on_batch = None
        ours_t, bare_t, runs = [], [], []
        for k in range(REPEATS):
            # Alternate which of a pair goes first, so that neither always finds the caches the other left.
            times, bare_s = _stream(dec, dets, obs, cuts, recorded, bare_first=bool(k % 2))
            ours_t.append(sum(times))
            bare_t.append(bare_s)
            runs.append(times)
        rounds = blocks * BLOCK_ROUNDS
        rate = rounds / statistics.median(ours_t)
        median_run = runs[ours_t.index(statistics.median_low(ours_t))]
        # Rounds arriving at 90 % of the rate: batches every batch / (0.9 rate) seconds.
        backlog = _max_backlog(median_run, batch / (0.9 * rate))
        point = {
            "rounds_per_s": rate,
            "max_batch_ms": max(median_run) * 1e3,
            "backlog_batches_at_90pct": backlog / (batch / (0.9 * rate)),
        }
        if with_ratio:
            # Which goes first shifts the ratio a little (the one going second finds the shared graph in the
            # caches): the mean of each pair of orders, then the median over pairs.
            r = [b / o for b, o in zip(bare_t, ours_t)]
            point["decode_ratio"] = statistics.median((r[k] + r[k + 1]) / 2 for k in range(0, REPEATS - 1, 2))
            point["decode_ratios"] = [round(b / o, 3) for b, o in zip(bare_t, ours_t)]
            point["bare_windows_rounds_per_s"] = rounds / statistics.median(bare_t)
        out[batch] = point
    if with_ratio:
        short = build_memory_circuit(CodeSpec("rotated_surface", d, WHOLE_BLOCK_ROUNDS), hooks)
        n_short = max(1, blocks * BLOCK_ROUNDS // WHOLE_BLOCK_ROUNDS // 10)
        sdets, _ = short.compile_detector_sampler(seed=SEED).sample(n_short, separate_observables=True)
        whole = pymatching.Matching.from_detector_error_model(circuit_dem(short))
        t0 = time.thread_time()
        whole.decode_batch(sdets)
        out["bare_whole_block_rounds_per_s"] = n_short * WHOLE_BLOCK_ROUNDS / (time.thread_time() - t0)
    return out


def _erasure_point(d: int, erasure: float, blocks: int, rounds: int) -> dict:
    """Rounds/s of erasure-aware and herald-ignoring streaming on the same heralded samples, and their failures."""
    third = P / 3
    channel = EffectiveChannel(
        erasure=erasure, gate_depolarizing=P, measurement_flip=P, reset_flip=P,
        pauli_x=third, pauli_y=third, pauli_z=third,
    )
    spec = CodeSpec("rotated_surface", d, rounds)
    circuit = build_memory_circuit(spec, channel.hooks())
    dets, obs = circuit.compile_detector_sampler(seed=SEED).sample(blocks, separate_observables=True)
    dets, obs = dets.view(np.uint8), obs[:, 0].view(np.uint8)
    out = {}
    for name, use in (("aware", True), ("unaware", False)):
        dec = StreamingDecoder(spec, channel, d, d, use_heralds=use)
        cuts = _cuts(dec, rounds, rounds)
        _stream(dec, dets[:1], obs[:1], cuts)
        fails = 0
        t0 = time.thread_time()
        for s in range(blocks):
            dec.push(dets[s])
            fails += dec.finish_block(int(obs[s])).outcome
        out[name] = {"rounds_per_s": round(blocks * rounds / (time.thread_time() - t0)), "failed_blocks": fails}
    return out


def _one_round_pushes(d: int, rounds: int) -> dict:
    """Wall µs per `push` of a single round (the latency path): p50, p99, and of pushes that commit."""
    hooks = CircuitDepolarizingHooks(P)
    spec = CodeSpec("rotated_surface", d, rounds)
    sampler = long_memory_circuit(d, rounds, hooks).compile_detector_sampler(seed=SEED)
    ev = sampler.sample(1)[0].view(np.uint8)
    dec = StreamingDecoder(spec, hooks, d, d)
    sizes = dec.detectors_per_layer
    dec.push(ev[: sizes.first])
    took, committing = [], []
    for t in range(1, rounds):
        chunk = ev[sizes.offset(t) : sizes.offset(t + 1)]
        t0 = time.perf_counter()
        res = dec.push(chunk)
        dt = (time.perf_counter() - t0) * 1e6
        took.append(dt)
        if res.n_regions:
            committing.append(dt)
    return {
        "p50": round(float(np.percentile(took, 50)), 2),
        "p99": round(float(np.percentile(took, 99)), 2),
        "committing_p50": round(float(np.percentile(committing, 50)), 2),
        "committing_p99": round(float(np.percentile(committing, 99)), 2),
    }


def decode_metrics() -> dict:
    """Decoding keys of the loop benchmark: decode_ratio, rounds_per_s per distance, and their context."""
    points = {d: _point(d, n, with_ratio=(d == 5)) for d, n in BLOCKS.items()}
    d5, d5_small = points[5][BATCH_ROUNDS], points[5][SMALL_BATCH_ROUNDS]
    return {
        "decode_ratio": round(d5["decode_ratio"], 3),
        "rounds_per_s": {f"d{d}": round(pt[BATCH_ROUNDS]["rounds_per_s"]) for d, pt in points.items()},
        "decode_detail": {
            "p": P,
            "block_rounds": BLOCK_ROUNDS,
            "batch_rounds": BATCH_ROUNDS,
            "commit_buffer_gap": "d, d, d",
            "blocks": {f"d{d}": n for d, n in BLOCKS.items()},
            "max_batch_ms": {f"d{d}": round(pt[BATCH_ROUNDS]["max_batch_ms"], 3) for d, pt in points.items()},
            "max_backlog_batches_at_90pct_rate": {
                f"d{d}": round(pt[BATCH_ROUNDS]["backlog_batches_at_90pct"], 3) for d, pt in points.items()
            },
            "d5_decode_ratios": d5["decode_ratios"],
            "d5_bare_windows_rounds_per_s": round(d5["bare_windows_rounds_per_s"]),
            f"d5_batch{SMALL_BATCH_ROUNDS}_decode_ratio": round(d5_small["decode_ratio"], 3),
            f"d5_batch{SMALL_BATCH_ROUNDS}_rounds_per_s": round(d5_small["rounds_per_s"]),
            f"d5_bare_whole_block{WHOLE_BLOCK_ROUNDS}_rounds_per_s": round(points[5]["bare_whole_block_rounds_per_s"]),
            "d5_erasure_1pct": _erasure_point(5, 0.01, ERASURE_BLOCKS, ERASURE_ROUNDS),
            "d5_one_round_push_us": _one_round_pushes(5, ONE_ROUND_PUSHES),
        },
    }


def main() -> None:
    """Print one JSON object merging the metric groups of this benchmark."""
    from loop_latency import latency_metrics  # bench/loop_latency.py: the end-to-end latency keys

    result: dict = {}
    result.update(decode_metrics())
    result.update(latency_metrics())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
