"""Analysis of collected stats into the study's outputs: thresholds.json, overhead.json and the plots."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from protocols.errors import StudyError
from studies.fit import ThresholdEstimate, estimate_threshold
from studies.overhead import TargetDistance, distance_for_target, fit_lambda
from studies.plots import plot_error_rates
from studies.points import Points
from studies.rates import PER_ROUND_FORMULA, RateUnit

THRESHOLDS_FILE = "thresholds.json"
OVERHEAD_FILE = "overhead.json"


@dataclass(frozen=True)
class CircuitFacts:
    """Size of one distance's circuit: physical qubits, detectors (heralds included) and rounds."""

    d: int
    rounds: int
    physical_qubits: int
    detectors: int


@dataclass(frozen=True)
class NoiseSummary:
    """What the analysis needs to know about one swept noise model besides its counts."""

    name: str
    kind: str
    parameter: str
    decoder: str
    facts: tuple[CircuitFacts, ...]
    qubits_for: Callable[[int], int]


@dataclass(frozen=True)
class FitSettings:
    """Threshold-fit settings (see studies.config.FitSection)."""

    rate: RateUnit = "per_shot"
    window: float | None = 0.5
    bootstrap: int = 200
    seed: int = 0
    confidence: float = 0.95


def rate_description(unit: RateUnit) -> dict:
    """The 'rate' block every output carries, so no reader mistakes per-shot for per-round."""
    if unit == "per_round":
        return {"unit": "per_round", "formula": PER_ROUND_FORMULA}
    return {"unit": "per_shot", "formula": "p_shot = errors / shots (one shot = all rounds of one memory run)"}


def threshold_entry(
    points: Points, summary: NoiseSummary, unit: RateUnit, fit: FitSettings
) -> tuple[dict, ThresholdEstimate | None]:
    """thresholds.json entry of one noise model; a failed fit is reported with its reason, not raised."""
    base = {"kind": summary.kind, "parameter": summary.parameter, "decoder": summary.decoder,
            "distances": points.distances, "rate": unit}
    try:
        est = estimate_threshold(points, unit, window=fit.window, bootstrap=fit.bootstrap, seed=fit.seed,
                                 confidence=fit.confidence)
    except StudyError as e:
        return {**base, "threshold": None, "ci": None, "status": f"no threshold estimate: {e}"}, None
    return {**base, **est.to_json(), "status": "ok"}, est


def overhead_entry(
    points: Points, summary: NoiseSummary, unit: RateUnit, target: float, threshold: ThresholdEstimate | None = None
) -> dict:
    """overhead.json entry: circuit size per d, and per swept p the Lambda fit and the d the target needs.

    A p that is not below the fitted threshold's CI, or whose per-shot rates do not fall with d, is reported
    out of reach even if its per-round Lambda exceeds 1: per-round rates with rounds = d fall like 1/d even
    when every code fails equally often per shot.
    """
    per_p = []
    for p in np.unique(points.p):
        lam = fit_lambda(points, float(p), unit)
        if lam is None:
            per_p.append({"p": float(p), "lambda": None, "reachable": False,
                          "reason": "fewer than two distances with observed logical errors; collect more shots"})
            continue
        need = distance_for_target(lam, target, summary.qubits_for)
        shot = lam if unit == "per_shot" else fit_lambda(points, float(p), "per_shot")
        if shot is not None and shot.lam <= 1.0 and need.reachable:
            need = TargetDistance(target, False, None, None, None,
                                  f"per-shot rates do not fall with d (per-shot Lambda = {shot.lam:.3g}); a per-round "
                                  "fall then only reflects the longer runs (rounds = d) of larger codes")
        if threshold is not None and p >= threshold.ci_low and need.reachable:
            need = TargetDistance(target, False, None, None, None,
                                  f"p = {p:.4g} is not below the fitted threshold (CI lower end "
                                  f"{threshold.ci_low:.4g}); Lambda = {lam.lam:.3g} does not imply suppression")
        per_p.append({
            "p": float(p), "lambda": lam.lam, "lambda_ci": [lam.lam_low, lam.lam_high],
            "lambda_per_shot": None if shot is None else shot.lam,
            "fitted_distances": list(lam.distances), "reachable": need.reachable,
            "distance_needed": need.distance, "physical_qubits_needed": need.physical_qubits,
            "predicted_logical_error_rate": need.predicted_rate, "reason": need.reason,
        })
    return {
        "kind": summary.kind, "parameter": summary.parameter, "decoder": summary.decoder,
        "per_distance": [
            {"d": f.d, "physical_qubits_per_logical_qubit": f.physical_qubits,
             "detectors_per_logical_qubit": f.detectors, "rounds": f.rounds}
            for f in summary.facts
        ],
        "target_logical_error_rate": target,
        "extrapolation": "p_L(d) = C / Lambda^((d+1)/2), Lambda = p_L(d)/p_L(d+2), weighted fit of ln p_L over d "
        "at each p; 95% CI on Lambda from the fit's standard error",
        "per_p": per_p,
    }


def write_outputs(
    points_by_noise: dict[str, Points],
    summaries: Sequence[NoiseSummary],
    out_dir: Path,
    *,
    study: str,
    unit: RateUnit,
    target: float,
    fit: FitSettings,
) -> dict[str, Path]:
    """Fit, extrapolate and plot every noise model; write thresholds.json, overhead.json and PNGs to out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    thresholds, overhead, files = {}, {}, {}
    for s in summaries:
        points = points_by_noise.get(s.name)
        if points is None or len(points.d) == 0:
            thresholds[s.name] = {"threshold": None, "status": "no statistics collected"}
            continue
        thresholds[s.name], est = threshold_entry(points, s, fit.rate, fit)
        overhead[s.name] = overhead_entry(points, s, unit, target, est)
        title = f"{study}: {s.name} ({s.kind}, decoder {s.decoder})"
        files[f"plot:{s.name}"] = plot_error_rates(
            points, out_dir / f"{s.name}.png", title=title, parameter=s.parameter, unit=fit.rate, estimate=est,
        )
        if unit != fit.rate:  # the threshold band belongs to the fit's unit; the reported unit gets its own plot
            files[f"plot:{s.name}:{unit}"] = plot_error_rates(
                points, out_dir / f"{s.name}_{unit}.png", title=title, parameter=s.parameter, unit=unit,
            )
    files["thresholds"] = _write_json(out_dir / THRESHOLDS_FILE, {
        "study": study, "rate": rate_description(fit.rate), "noise": thresholds})
    files["overhead"] = _write_json(out_dir / OVERHEAD_FILE, {
        "study": study, "rate": rate_description(unit), "noise": overhead})
    return files


def _write_json(path: Path, data: dict) -> Path:
    """Write JSON atomically (temp file then rename) so a reader never sees half a file."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_finite(data), indent=2, allow_nan=False) + "\n")
    tmp.replace(path)
    return path


def _finite(x: object) -> object:
    """Replace NaN and infinities by None: JSON has no such numbers."""
    if isinstance(x, float):
        return x if np.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def print_result_files(label: str, out_dir: Path, files: dict[str, Path]) -> None:
    """Tell the user where a study wrote its outputs: one line per file."""
    print(f"{label} results in {Path(out_dir).resolve()}:")
    width = max((len(k) for k in files), default=0)
    for name, path in sorted(files.items()):
        print(f"  {name:>{width}}: {path}")
