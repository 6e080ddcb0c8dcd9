"""Collecting qecsim-backend tasks on every core into a sinter-format stats.csv, resumable like sinter.

Each task runs in chunks of shots; every chunk has its own seed, derived from the study seed, the task's
strong id and the number of shots the task had before the chunk, so a resumed study draws fresh samples and
an identical re-run draws identical ones. Each finished chunk is appended to stats.csv at once (one
TaskStats row), so an interrupted run loses at most the chunks in flight.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sinter

from protocols.errors import BackendError, StudyError
from studies.qecsim_backend.codes import build_code
from studies.qecsim_backend.decoders import LogicalFailures, build_decoder
from studies.qecsim_backend.sampling import sample_errors, to_decoding_frame
from studies.qecsim_backend.tasks import QecsimTask

STATS_FILE = "stats.csv"

_DECODERS: dict[str, LogicalFailures] = {}  # per worker process: configure once, call many


@dataclass(frozen=True)
class ChunkResult:
    """Counts of one chunk of one task."""

    strong_id: str
    shots: int
    errors: int
    seconds: float


def run_chunk(task: QecsimTask, shots: int, seed: int) -> ChunkResult:
    """Sample `shots` errors with `seed`, decode them and count logical failures (in this process)."""
    t0 = time.perf_counter()
    decode = _DECODERS.get(task.strong_id)
    if decode is None:
        qcode = build_code(task.family, task.d)
        decode = _DECODERS[task.strong_id] = build_decoder(task.decoder, qcode, task.model, task.p)
    rng = np.random.default_rng(seed)
    errors = to_decoding_frame(decode.qcode, sample_errors(decode.qcode, task.model, task.p, shots, rng))
    failures = decode(errors)
    return ChunkResult(task.strong_id, shots, int(failures.sum()), time.perf_counter() - t0)


def chunk_seed(study_seed: int, task: QecsimTask, shots_before: int) -> int:
    """The seed of a task's chunk that starts after `shots_before` shots (64-bit)."""
    ss = np.random.SeedSequence([study_seed, int(task.strong_id[:16], 16), shots_before])
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def existing_counts(path: Path) -> dict[str, list[int]]:
    """[shots, errors] per strong id already in stats.csv (empty if the file does not exist)."""
    if not path.exists() or path.stat().st_size == 0:
        return {}
    try:
        rows = sinter.read_stats_from_csv_files(path)
    except (ValueError, OSError) as e:
        raise StudyError(f"cannot resume from {path}: {e}; move the file away to start afresh") from e
    counts: dict[str, list[int]] = {}
    for r in rows:
        c = counts.setdefault(r.strong_id, [0, 0])
        c[0] += r.shots
        c[1] += r.errors
    return counts


def collect_qecsim(
    tasks: Sequence[QecsimTask],
    out_dir: Path,
    *,
    max_shots: int,
    max_errors: int,
    chunk_shots: int,
    seed: int,
    num_workers: int | None = None,
    print_progress: bool = True,
) -> list[sinter.TaskStats]:
    """Run every task until max_shots or max_errors (counting rows already in stats.csv); return its stats."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / STATS_FILE
    counts = existing_counts(path)
    state = {t.strong_id: list(counts.get(t.strong_id, [0, 0])) for t in tasks}
    inflight = {t.strong_id: 0 for t in tasks}
    by_id = {t.strong_id: t for t in tasks}
    workers = num_workers or os.cpu_count() or 1
    if not path.exists() or path.stat().st_size == 0:
        path.write_text(sinter.CSV_HEADER + "\n")

    def next_chunk() -> tuple[QecsimTask, int, int] | None:
        for t in tasks:  # small distances first in plan order; fill every free worker
            shots, errors = state[t.strong_id]
            planned = shots + inflight[t.strong_id]
            if errors < max_errors and planned < max_shots:
                n = min(chunk_shots, max_shots - planned)
                return t, n, chunk_seed(seed, t, planned)
        return None

    if next_chunk() is None:  # every task already complete: nothing to start
        return _merged(path, set(by_id))
    # spawn: no inherited threads or locks from the parent; one worker runs in this process (no start-up cost)
    pool: cf.Executor = (_InProcess() if workers == 1 else
                         cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")))
    with pool, path.open("a") as f:
        running: dict[cf.Future, tuple[str, int]] = {}
        while True:
            while len(running) < 2 * workers:  # two chunks per worker keep every core busy
                job = next_chunk()
                if job is None:
                    break
                t, n, s = job
                inflight[t.strong_id] += n
                running[pool.submit(run_chunk, t, n, s)] = (t.strong_id, n)
            if not running:
                break
            done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                sid, n = running.pop(fut)
                inflight[sid] -= n
                try:
                    r = fut.result()
                except BackendError:
                    pool.shutdown(cancel_futures=True)
                    raise
                except Exception as e:  # a worker crash (e.g. killed) is a study failure naming the task
                    pool.shutdown(cancel_futures=True)
                    raise StudyError(f"qecsim backend worker failed on {by_id[sid].json_metadata()}: {e}") from e
                state[sid][0] += r.shots
                state[sid][1] += r.errors
                t = by_id[sid]
                row = sinter.TaskStats(strong_id=sid, decoder=t.decoder_name, json_metadata=t.json_metadata(),
                                       shots=r.shots, errors=r.errors, discards=0, seconds=r.seconds)
                print(row.to_csv_line(), file=f, flush=True)
                if print_progress:
                    m = t.json_metadata()
                    print(f"qecsim {m['noise']} d={t.d} p={t.p:g}: {state[sid][1]}/{state[sid][0]} failures",
                          file=sys.stderr)
    return _merged(path, set(by_id))


def _merged(path: Path, wanted: set[str]) -> list[sinter.TaskStats]:
    """One TaskStats per wanted strong id, summing its rows in stats.csv."""
    merged: dict[str, sinter.TaskStats] = {}
    for s in sinter.read_stats_from_csv_files(path):
        if s.strong_id in wanted:
            merged[s.strong_id] = merged[s.strong_id] + s if s.strong_id in merged else s
    return list(merged.values())


class _InProcess(cf.Executor):
    """An executor running each call at submit time in this process (the one-worker case)."""

    def submit(self, fn, /, *args, **kwargs):  # noqa: ANN001, ANN201 - concurrent.futures signature
        """Run fn now; return a finished future holding its result or exception."""
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - delivered through the future, like a process pool
            fut.set_exception(e)
        return fut
