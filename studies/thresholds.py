"""The threshold study: plan tasks from a config, collect with sinter on every core, fit, extrapolate, plot."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import sinter

from protocols.errors import ConfigError
from studies.collect import STATS_FILE, collect_stats
from studies.config import load_study_config
from studies.points import points_by_noise
from studies.qecsim_backend.study import backend_of, run_qecsim_study
from studies.report import FitSettings, print_result_files, write_outputs
from studies.tasks import plan_study


@dataclass(frozen=True)
class StudyResult:
    """Where a finished study put its outputs, and the stats it analysed."""

    out_dir: Path
    files: dict[str, Path]
    stats: tuple[sinter.TaskStats, ...]


def available_decoders() -> dict[str, sinter.Decoder]:
    """The project's sinter decoders by name (sinter's built-in ones, e.g. "pymatching", need no entry)."""
    from controller.decode import sinter_decoders

    return sinter_decoders()


def run_threshold_study(
    config_path: str | Path,
    out_dir: str | Path,
    *,
    num_workers: int | None = None,
    print_progress: bool = True,
) -> StudyResult:
    """Run (or resume) the study in `config_path`, writing stats.csv, thresholds.json, overhead.json, PNGs."""
    if backend_of(config_path) == "qecsim":  # second simulation backend, own config schema: studies/qecsim_backend
        return run_qecsim_study(config_path, out_dir, num_workers=num_workers, print_progress=print_progress)
    cfg = load_study_config(config_path)
    plan = plan_study(cfg, config_path)
    custom = available_decoders()
    unknown = [d for d in plan.decoders if d not in custom and d not in sinter.BUILT_IN_DECODERS]
    if unknown:
        allowed = sorted(set(custom) | set(sinter.BUILT_IN_DECODERS))
        raise ConfigError(f"{config_path}: decoder: unknown decoder(s) {unknown}; allowed: {allowed}")
    out_dir = Path(out_dir)
    stats = collect_stats(
        plan.tasks, out_dir, max_shots=cfg.max_shots, max_errors=cfg.max_errors,
        custom_decoders=custom, num_workers=num_workers, print_progress=print_progress,
    )
    files = write_outputs(
        points_by_noise(stats), plan.summaries, out_dir, study=cfg.name, unit=cfg.rate,
        target=cfg.target_logical_error_rate, fit=FitSettings(**cfg.fit.model_dump()),
    )
    files["stats"] = out_dir / STATS_FILE
    return StudyResult(out_dir, files, tuple(stats))


def run_study_from_args(args: argparse.Namespace) -> int:
    """CLI body of `quantacore study thresholds`: run, then print where the results are."""
    result = run_threshold_study(args.config, args.out)
    print_result_files("study", result.out_dir, result.files)
    return 0
