"""The bosonic study's own figures and comparison table (the per-curve plots come from `studies.plots`)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from emulator.physics.bosonic import sigma_to_squeezing_db  # noqa: E402
from studies.bosonic.cat_repetition import ALPHA_SWEEP, bit_part, cat_round_channel, combine_parts  # noqa: E402
from studies.bosonic.config import BosonicStudyConfig  # noqa: E402
from studies.bosonic.resources import ResourceRow  # noqa: E402
from studies.plots import save_figure  # noqa: E402
from studies.points import Points  # noqa: E402
from studies.rates import logical_rates  # noqa: E402

__all__ = ["cat_total_rates", "comparison_rows", "write_figures"]


def cat_total_rates(cfg: BosonicStudyConfig, phase: Points) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per distance: (alpha2, total per-round failure, its standard error) from the simulated phase part + bit part."""
    sec = cfg.cat_repetition
    assert sec is not None
    y, se = logical_rates(phase.errors, phase.shots, phase.rounds, "per_round")
    out = {}
    for d in phase.distances:
        m = phase.d == d
        a2 = phase.p[m]
        pb = np.array([(lambda ch: ch.p_x + ch.p_y)(cat_round_channel(float(a), sec.operating_kappa_1, cfg.cat,
                                                                        sec.round_time)) for a in a2])
        bit = bit_part(pb, d)
        out[d] = (a2, combine_parts(y[m], bit), se[m] * (1.0 - bit))
    return out


def write_figures(
    cfg: BosonicStudyConfig, pts: dict[str, Points], thresholds: dict, resources: list[ResourceRow], out: Path
) -> dict[str, Path]:
    """surface_gkp_vs_db.png, thresholds_vs_bias.png, cat_repetition_vs_alpha2.png and resources.png."""
    files: dict[str, Path] = {}
    gkp = [n for n in ("surface-gkp-analog", "surface-gkp-uniform") if n in pts]
    if gkp:
        fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
        for name, style in zip(gkp, ("-", "--")):
            p = pts[name]
            y, se = logical_rates(p.errors, p.shots, p.rounds, "per_shot")
            for d in p.distances:
                m = (p.d == d) & (p.errors > 0)
                ax.errorbar(sigma_to_squeezing_db(p.p[m]), y[m], yerr=np.minimum(se[m], 0.999 * y[m]), ls=style,
                            marker="o", ms=3, capsize=2, label=f"{name.removeprefix('surface-gkp-')} d={d}")
        ax.set_yscale("log")
        ax.set_xlabel("GKP squeezing (dB)")
        ax.set_ylabel("logical error rate per shot")
        ax.set_title("surface-GKP code capacity: analog (solid) vs uniform (dashed) weights", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        files["plot:surface_gkp_vs_db"] = save_figure(fig, out / "surface_gkp_vs_db.png")
    biased = {k: v for k, v in thresholds.items() if k.startswith(("xzzx-eta", "rotated_surface-eta"))}
    cat = {k: v for k, v in thresholds.items() if k.startswith("cat-rep-a")}
    if biased or cat:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), dpi=110)
        for prefix, label in (("xzzx-eta", "XZZX"), ("rotated_surface-eta", "CSS surface (X memory)")):
            rows = [(v["bosonic"]["eta"], v["threshold"], v["ci"]) for k, v in biased.items()
                    if k.startswith(prefix) and v.get("threshold") is not None]
            if rows:
                rows.sort()
                eta, th, ci = zip(*rows)
                err = np.abs(np.array(ci).T - np.array(th))
                axes[0].errorbar(eta, th, yerr=err, marker="o", capsize=3, label=label)
        axes[0].set_xscale("log")
        axes[0].set_xlabel("bias eta = p_Z / (p_X + p_Y)")
        axes[0].set_ylabel("threshold (total p), 95% CI")
        axes[0].set_title("biased Pauli noise, matching", fontsize=9)
        axes[0].grid(True, which="both", alpha=0.3)
        if axes[0].get_legend_handles_labels()[0]:
            axes[0].legend(fontsize=8)
        rows = [(v["bosonic"]["alpha2"], v["threshold"], v["ci"], v["bosonic"].get("bias_at_threshold"))
                for v in cat.values() if v.get("threshold") is not None]
        if rows:
            rows.sort()
            a2, th, ci, bias = zip(*rows)
            err = np.abs(np.array(ci).T - np.array(th))
            axes[1].errorbar(a2, th, yerr=err, marker="s", capsize=3, label="repetition-cat (phase part)")
            for x, t, b in zip(a2, th, bias):
                axes[1].annotate(f"eta={b:.2g}", (x, t), fontsize=7, textcoords="offset points", xytext=(4, 4))
        axes[1].set_yscale("log")
        axes[1].set_xlabel("|alpha|^2")
        axes[1].set_ylabel("threshold kappa_1/kappa_2, 95% CI")
        axes[1].set_title("repetition code of cat qubits", fontsize=9)
        axes[1].grid(True, which="both", alpha=0.3)
        if axes[1].get_legend_handles_labels()[0]:
            axes[1].legend(fontsize=8)
        files["plot:thresholds_vs_bias"] = save_figure(fig, out / "thresholds_vs_bias.png")
    if ALPHA_SWEEP in pts and cfg.cat_repetition is not None:
        fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
        for d, (a2, tot, se) in cat_total_rates(cfg, pts[ALPHA_SWEEP]).items():
            ax.errorbar(a2, tot, yerr=np.minimum(se, 0.999 * tot), marker="o", capsize=2, label=f"d={d}")
        ax.axhline(cfg.target_logical_error_rate, color="grey", ls=":", label="target")
        ax.set_yscale("log")
        ax.set_xlabel("|alpha|^2")
        ax.set_ylabel("logical error rate per round (phase + bit part)")
        ax.set_title(f"repetition-cat at kappa_1/kappa_2 = {cfg.cat_repetition.operating_kappa_1:g}", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        files["plot:cat_repetition_vs_alpha2"] = save_figure(fig, out / "cat_repetition_vs_alpha2.png")
    ok = [r for r in resources if r.reachable]
    if ok:
        best: dict[str, ResourceRow] = {}
        for r in ok:
            if r.code not in best or (r.photons or 0) < (best[r.code].photons or 0):
                best[r.code] = r
        fig, ax = plt.subplots(figsize=(7.2, 4.4), dpi=110)
        names = list(best)
        ax.bar(np.arange(len(names)) - 0.2, [best[n].modes for n in names], width=0.4, label="modes")
        ax.bar(np.arange(len(names)) + 0.2, [best[n].photons for n in names], width=0.4, label="mean photons")
        short = {"loss dB per round": "dB/round"}
        ax.set_xticks(np.arange(len(names)),
                      [f"{n}\n{short.get(best[n].parameter, best[n].parameter)}={best[n].value:g}\nd={best[n].distance}"
                       for n in names], fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel(f"per logical qubit at p_L = {cfg.target_logical_error_rate:g} per round")
        ax.grid(True, axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=8)
        files["plot:resources"] = save_figure(fig, out / "resources.png")
    return files


def comparison_rows(cfg: BosonicStudyConfig, thresholds: dict, resources: list[ResourceRow]) -> list[dict]:
    """One row per swept curve: threshold with CI and its bosonic reading; resources where computed."""
    res = {r.code: r for r in resources if r.reachable}
    rows = []
    for name, v in thresholds.items():
        b = v.get("bosonic", {})
        r = res.get(name)
        rows.append({
            "curve": name, "parameter": v.get("parameter"), "threshold": v.get("threshold"),
            "ci_low": (v.get("ci") or [None, None])[0], "ci_high": (v.get("ci") or [None, None])[1],
            "threshold_db": b.get("threshold_squeezing_db"), "eta": b.get("eta", b.get("bias_at_threshold")),
            "erasure_at_threshold": b.get("erasure_probability_at_threshold"),
            "status": v.get("status"),
            "distance_at_target": r.distance if r else None, "modes_at_target": r.modes if r else None,
            "photons_at_target": r.photons if r else None,
        })
    return rows
