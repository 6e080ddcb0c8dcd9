"""Running sinter over a study's tasks on every core, resumable from the stats CSV of an earlier run."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import sinter

from protocols.errors import StudyError

STATS_FILE = "stats.csv"


def collect_stats(
    tasks: Sequence[sinter.Task],
    out_dir: Path,
    *,
    max_shots: int,
    max_errors: int,
    custom_decoders: Mapping[str, sinter.Decoder] | None = None,
    num_workers: int | None = None,
    print_progress: bool = True,
) -> list[sinter.TaskStats]:
    """Sample and decode `tasks` until each reaches max_shots or max_errors; rows go to out_dir/stats.csv.

    Stats already in out_dir/stats.csv count towards the limits, so an interrupted study resumes where it
    stopped. Returns the merged stats of exactly these tasks (rows of tasks no longer configured are ignored).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / STATS_FILE
    try:
        stats = sinter.collect(
            num_workers=num_workers or os.cpu_count() or 1,
            tasks=list(tasks),
            max_shots=max_shots,
            max_errors=max_errors,
            save_resume_filepath=path,
            custom_decoders=dict(custom_decoders or {}),
            print_progress=print_progress,
            hint_num_tasks=len(tasks),
        )
    except (ValueError, RuntimeError, OSError) as e:
        raise StudyError(f"sinter collection into {path} failed: {e}") from e
    wanted = {_task_key(t.decoder, t.json_metadata) for t in tasks}
    return merge_stats([s for s in stats if _task_key(s.decoder, s.json_metadata) in wanted])


def _task_key(decoder: str | None, metadata: object) -> str:
    """Identity of a task by decoder and metadata (which names the full noise model), as canonical JSON."""
    return json.dumps([decoder, metadata], sort_keys=True)


def merge_stats(stats: Sequence[sinter.TaskStats]) -> list[sinter.TaskStats]:
    """One TaskStats per (strong_id), summing repeated rows."""
    merged: dict[str, sinter.TaskStats] = {}
    for s in stats:
        merged[s.strong_id] = merged[s.strong_id] + s if s.strong_id in merged else s
    return list(merged.values())
