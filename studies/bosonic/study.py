"""The bosonic study: single-mode tables, hybrid-code sweeps collected with sinter, thresholds, resources, plots.

Outputs in the threshold study's format (`studies.report`): stats.csv (sinter CSV, resumable), thresholds.json
(per-shot rates), overhead.json (per-round rates; plus a "resources" block of modes and photons), one PNG per
swept noise model; and the bosonic tables and figures (`cat_rates`, `gkp_single_mode`, `surface_gkp_vs_db`,
`thresholds_vs_bias`, `cat_repetition_vs_alpha2`, `resources`, `comparison.csv`).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sinter

from controller.decode import sinter_decoders
from emulator.physics.bosonic import sigma_to_squeezing_db
from studies.bosonic import figures
from studies.bosonic.biased import xzzx_noise_name, xzzx_tasks
from studies.bosonic.cat_repetition import ALPHA_SWEEP, cat_repetition_tasks, cat_round_channel, threshold_noise_name
from studies.bosonic.config import BosonicStudyConfig, SweepSection, load_bosonic_config
from studies.bosonic.dual_rail import dual_rail_noise_name, dual_rail_tasks
from studies.bosonic.gkp_sampler import GKP_DECODERS, gkp_samplers, surface_gkp_circuit
from studies.bosonic.resources import ResourceRow, cat_resources, gkp_mean_photons, surface_resources
from studies.bosonic.single_mode import write_cat_rates, write_gkp_single_mode, write_rows
from studies.collect import STATS_FILE, collect_stats
from studies.plots import plot_error_rates
from studies.points import Points, points_by_noise
from studies.report import (
    CircuitFacts,
    FitSettings,
    NoiseSummary,
    overhead_entry,
    print_result_files,
    rate_description,
    threshold_entry,
)

__all__ = ["BosonicStudyResult", "plan_bosonic_tasks", "run_bosonic_study", "run_study_from_args"]

THRESHOLDS_FILE = "thresholds.json"
OVERHEAD_FILE = "overhead.json"


@dataclass(frozen=True)
class Curve:
    """One swept noise model of the study: its summary for the shared report, fit settings and extra facts."""

    summary: NoiseSummary
    fit: FitSettings
    extra: dict


@dataclass(frozen=True)
class BosonicStudyResult:
    """Where the study put its outputs, and what it found."""

    out_dir: Path
    files: dict[str, Path]
    thresholds: dict
    resources: tuple[ResourceRow, ...]


def _surface_qubits(d: int) -> int:
    return 2 * d * d - 1


def _repetition_qubits(d: int) -> int:
    return 2 * d - 1


def _facts(tasks: list[sinter.Task]) -> tuple[CircuitFacts, ...]:
    seen: dict[int, CircuitFacts] = {}
    for t in tasks:
        d = int(t.json_metadata["d"])
        if d not in seen:
            c = t.circuit
            seen[d] = CircuitFacts(d=d, rounds=int(t.json_metadata["rounds"]), physical_qubits=c.num_qubits,
                                   detectors=c.num_detectors)
    return tuple(seen[d] for d in sorted(seen))


def _fit(cfg: BosonicStudyConfig, window: float | None) -> FitSettings:
    f = cfg.fit
    return FitSettings(rate="per_shot", window=f.window if window is None else window, bootstrap=f.bootstrap,
                       seed=f.seed, confidence=f.confidence)


def _with_budget(tasks: list[sinter.Task], section: SweepSection) -> list[sinter.Task]:
    """The tasks with the section's own shot and error limits, when it sets any."""
    if section.max_shots is None and section.max_errors is None:
        return tasks
    opts = sinter.CollectionOptions(max_shots=section.max_shots, max_errors=section.max_errors)
    return [sinter.Task(circuit=t.circuit, decoder=t.decoder, json_metadata=t.json_metadata, collection_options=opts)
            for t in tasks]


def plan_bosonic_tasks(cfg: BosonicStudyConfig) -> tuple[list[sinter.Task], list[Curve]]:
    """Every sinter task of the configured sections and the curves they form."""
    tasks: list[sinter.Task] = []
    curves: list[Curve] = []

    def add(group: list[sinter.Task], name: str, kind: str, parameter: str, decoder: str,  # noqa: ANN001
            qubits, fit, extra):
        mine = [t for t in group if t.json_metadata["noise"] == name]
        summary = NoiseSummary(name=name, kind=kind, parameter=parameter, decoder=decoder, facts=_facts(mine),
                               qubits_for=qubits)
        curves.append(Curve(summary, fit, extra))

    if (g := cfg.surface_gkp) is not None:
        sigmas = sorted(set(g.sigma) | set(g.operating_sigma))
        group = []
        for dec in GKP_DECODERS:
            name = f"surface-gkp-{dec.removeprefix('gkp-')}"
            for d in g.distances:
                circuit = None
                for s in sigmas:
                    circuit = surface_gkp_circuit(d, s)
                    meta = {"noise": name, "d": d, "p": s, "rounds": 1, "family": "rotated_surface"}
                    group.append(sinter.Task(circuit=circuit, decoder=dec, json_metadata=meta))
        for dec in GKP_DECODERS:
            name = f"surface-gkp-{dec.removeprefix('gkp-')}"
            add(group, name, "surface-GKP code capacity", "sigma", dec, _surface_qubits, _fit(cfg, g.fit_window),
                {"analog": GKP_DECODERS[dec]})
        tasks += _with_budget(group, g)
    if (x := cfg.xzzx) is not None:
        group = xzzx_tasks(x)
        fams = [("xzzx", "XZZX")] + ([("rotated_surface", "CSS (X memory)")] if x.compare_css else [])
        for fam, label in fams:
            for b in x.biases:
                add(group, xzzx_noise_name(fam, b.eta), f"{label} {x.model}, bias eta={b.eta:g}", "p", "pymatching",
                    _surface_qubits, _fit(cfg, x.fit_window), {"family": fam, "eta": b.eta})
        tasks += _with_budget(group, x)
    if (c := cfg.cat_repetition) is not None:
        group = cat_repetition_tasks(c, cfg.cat)
        for a2 in c.threshold_alpha2:
            add(group, threshold_noise_name(a2), f"repetition-cat phase part, |alpha|^2={a2:g}", "kappa_1/kappa_2",
                "pymatching", _repetition_qubits, _fit(cfg, c.fit_window), {"alpha2": a2})
        tasks += _with_budget(group, c)
    if (r := cfg.dual_rail) is not None:
        group = dual_rail_tasks(r)
        for dec in r.loss_db:
            add(group, dual_rail_noise_name(dec), "dual-rail surface code, loss as erasure", "loss dB per round",
                dec, _surface_qubits, _fit(cfg, r.fit_window), {})
        tasks += _with_budget(group, r)
    return tasks, curves


def _threshold_extras(curve: Curve, entry: dict, cfg: BosonicStudyConfig) -> dict:
    """Bosonic facts about a threshold: its squeezing in dB, the cat's bias there, the erasure probability."""
    th, ci = entry.get("threshold"), entry.get("ci")
    out = dict(curve.extra)
    if th is None:
        return out
    name = curve.summary.name
    if name.startswith("surface-gkp"):
        out["threshold_squeezing_db"] = float(sigma_to_squeezing_db(th))
        out["threshold_squeezing_db_ci"] = sorted(float(sigma_to_squeezing_db(v)) for v in ci)
    elif name.startswith("cat-rep-a") and cfg.cat_repetition is not None:
        ch = cat_round_channel(curve.extra["alpha2"], float(np.clip(th, 1e-6, 0.1)), cfg.cat,
                               cfg.cat_repetition.round_time)
        out.update({"p_z_at_threshold": ch.p_z, "p_bit_at_threshold": ch.p_x + ch.p_y, "bias_at_threshold": ch.bias})
    elif name.startswith("dual-rail"):
        out["erasure_probability_at_threshold"] = 1.0 - 10.0 ** (-th / 10.0)
    return out


def _resources(cfg: BosonicStudyConfig, pts: dict[str, Points], thresholds: dict) -> list[ResourceRow]:
    rows: list[ResourceRow] = []

    def ci_low(name: str) -> float | None:
        ci = thresholds.get(name, {}).get("ci")
        return None if not ci else float(ci[0])

    target = cfg.target_logical_error_rate
    if (g := cfg.surface_gkp) is not None:
        for dec in GKP_DECODERS:
            name = f"surface-gkp-{dec.removeprefix('gkp-')}"
            for s in g.operating_sigma:
                if name in pts:
                    rows.append(surface_resources(pts[name], name, "sigma", s, target, gkp_mean_photons(s),
                                                  threshold_ci_low=ci_low(name)))
    if (r := cfg.dual_rail) is not None:
        for dec in r.loss_db:
            name = dual_rail_noise_name(dec)
            for db in r.operating_loss_db:
                if name in pts:
                    rows.append(surface_resources(pts[name], name, "loss dB per round", db, target, 1.0,
                                                  modes_per_qubit=2, threshold_ci_low=ci_low(name)))
    if (c := cfg.cat_repetition) is not None and ALPHA_SWEEP in pts:
        p_bit = {}
        for a2 in c.alpha2:
            ch = cat_round_channel(a2, c.operating_kappa_1, cfg.cat, c.round_time)
            p_bit[float(a2)] = ch.p_x + ch.p_y
        rows += cat_resources(pts[ALPHA_SWEEP], p_bit, target)
    return rows


def _write_json(path: Path, data: dict) -> Path:
    """Write JSON atomically (temp file then rename); NaN and infinities become null."""
    def finite(x: object) -> object:
        if isinstance(x, float):
            return x if np.isfinite(x) else None
        if isinstance(x, dict):
            return {k: finite(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [finite(v) for v in x]
        return x

    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(finite(data), indent=2, allow_nan=False) + "\n")
    tmp.replace(path)
    return path


def run_bosonic_study(
    config_path: str | Path, out_dir: str | Path, *, num_workers: int | None = None, print_progress: bool = True
) -> BosonicStudyResult:
    """Run (or resume) the bosonic study in `config_path` and write every output to `out_dir`."""
    cfg = load_bosonic_config(config_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    files |= write_cat_rates(cfg.cat, out)
    files |= write_gkp_single_mode(cfg.gkp, out)
    tasks, curves = plan_bosonic_tasks(cfg)
    thresholds: dict = {}
    overhead: dict = {}
    pts: dict[str, Points] = {}
    if tasks:
        stats = collect_stats(
            tasks, out, max_shots=cfg.max_shots, max_errors=cfg.max_errors,
            custom_decoders={**sinter_decoders(), **gkp_samplers()},
            num_workers=num_workers or cfg.num_workers, print_progress=print_progress,
        )
        files["stats"] = out / STATS_FILE
        pts = points_by_noise(stats)
    for curve in curves:
        s = curve.summary
        points = pts.get(s.name)
        if points is None or len(points.d) == 0:
            thresholds[s.name] = {"threshold": None, "status": "no statistics collected"}
            continue
        entry, est = threshold_entry(points, s, "per_shot", curve.fit)
        thresholds[s.name] = {**entry, "bosonic": _threshold_extras(curve, entry, cfg)}
        overhead[s.name] = overhead_entry(points, s, "per_round", cfg.target_logical_error_rate, est)
        files[f"plot:{s.name}"] = plot_error_rates(
            points, out / f"{s.name}.png", title=f"{cfg.name}: {s.name} ({s.kind}, decoder {s.decoder})",
            parameter=s.parameter, unit="per_shot", estimate=est,
        )
    resources = _resources(cfg, pts, thresholds)
    files["thresholds"] = _write_json(out / THRESHOLDS_FILE, {
        "study": cfg.name, "rate": rate_description("per_shot"), "noise": thresholds})
    files["overhead"] = _write_json(out / OVERHEAD_FILE, {
        "study": cfg.name, "rate": rate_description("per_round"), "noise": overhead,
        "resources": {"target_logical_error_rate": cfg.target_logical_error_rate,
                      "counting": "see studies/bosonic/resources.py", "rows": [r.to_json() for r in resources]},
    })
    if resources:
        files["resources"] = write_rows([r.to_json() for r in resources], out / "resources.csv")
    files |= figures.write_figures(cfg, pts, thresholds, resources, out)
    comparison = figures.comparison_rows(cfg, thresholds, resources)
    if comparison:
        files["comparison"] = write_rows(comparison, out / "comparison.csv")
    return BosonicStudyResult(out, files, thresholds, tuple(resources))


def run_study_from_args(args: argparse.Namespace) -> int:
    """CLI body of `quantacore study bosonic`: run, then print where the results are."""
    result = run_bosonic_study(args.config, args.out)
    print_result_files("bosonic study", result.out_dir, result.files)
    return 0
