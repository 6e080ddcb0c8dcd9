"""`backend: qecsim` studies: plan tasks, collect them on every core, then the shared analysis and outputs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from protocols.errors import ConfigError
from studies.points import points_by_noise
from studies.qecsim_backend.codes import build_code, physical_qubits
from studies.qecsim_backend.config import QecsimStudyConfig, load_qecsim_config
from studies.qecsim_backend.runner import STATS_FILE, collect_qecsim
from studies.qecsim_backend.tasks import QecsimTask
from studies.report import CircuitFacts, FitSettings, NoiseSummary, write_outputs

if TYPE_CHECKING:  # studies.thresholds dispatches here, so it is imported only when run
    from studies.thresholds import StudyResult

BACKENDS: tuple[str, ...] = ("stim", "qecsim")


def backend_of(config_path: str | Path) -> str:
    """The `backend` a study YAML names ("stim" when absent); an unknown one is a ConfigError."""
    try:
        data = yaml.safe_load(Path(config_path).read_text())
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{config_path}: cannot read study config: {e}") from e
    backend = data.get("backend", "stim") if isinstance(data, dict) else "stim"
    if backend not in BACKENDS:
        raise ConfigError(f"{config_path}: backend: {backend!r} is unknown; allowed: {list(BACKENDS)}")
    return str(backend)


def plan_qecsim(cfg: QecsimStudyConfig) -> tuple[list[QecsimTask], list[NoiseSummary]]:
    """Every task of the study (entry x p x d) and, per entry, what the shared analysis needs."""
    tasks, summaries = [], []
    for e in cfg.noise:
        family = e.code or cfg.code.family
        dec = e.decoder or cfg.decoder
        facts = []
        for d in cfg.code.distances:
            q = build_code(family, d)
            facts.append(CircuitFacts(d=d, rounds=1, physical_qubits=q.n + q.num_checks, detectors=q.num_checks))
        for p in e.sweep:
            for d in cfg.code.distances:
                tasks.append(QecsimTask(cfg.name, e.name, family, d, float(p), e.error_model, dec))
        summaries.append(NoiseSummary(
            name=e.name, kind=f"code_capacity {e.error_model.label()} on {family}", parameter="p",
            decoder=f"qecsim:{dec.label()}", facts=tuple(facts), qubits_for=physical_qubits(family),
        ))
    return tasks, summaries


def run_qecsim_study(
    config_path: str | Path,
    out_dir: str | Path,
    *,
    num_workers: int | None = None,
    print_progress: bool = True,
) -> StudyResult:
    """Run (or resume) a `backend: qecsim` study; same outputs as the stim backend (stats.csv, JSON, PNGs)."""
    from studies.thresholds import StudyResult

    cfg = load_qecsim_config(config_path)
    tasks, summaries = plan_qecsim(cfg)
    out_dir = Path(out_dir)
    stats = collect_qecsim(tasks, out_dir, max_shots=cfg.max_shots, max_errors=cfg.max_errors,
                           chunk_shots=cfg.chunk_shots, seed=cfg.seed, num_workers=num_workers,
                           print_progress=print_progress)
    # Code capacity has one round, so per-shot and per-round rates coincide; report per shot.
    files = write_outputs(points_by_noise(stats), summaries, out_dir, study=cfg.name, unit="per_shot",
                          target=cfg.target_logical_error_rate, fit=FitSettings(**cfg.fit.model_dump()))
    files["stats"] = out_dir / STATS_FILE
    return StudyResult(out_dir, files, tuple(stats))
