"""PNG plots of logical error rate against physical error rate, one curve per distance, with error bars."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from studies.fit import ThresholdEstimate  # noqa: E402
from studies.points import Points  # noqa: E402
from studies.rates import RateUnit, logical_rates  # noqa: E402


def plot_error_rates(
    points: Points,
    path: Path,
    *,
    title: str,
    parameter: str,
    unit: RateUnit,
    estimate: ThresholdEstimate | None = None,
) -> Path:
    """Write a log-log PNG of p_L vs the swept parameter to `path`; error bars are +-1 binomial standard error."""
    y, sigma = logical_rates(points.errors, points.shots, points.rounds, unit)
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    try:
        for d in points.distances:
            m = (points.d == d) & (points.errors > 0)
            if not np.any(m):
                continue
            ax.errorbar(points.p[m], y[m], yerr=np.minimum(sigma[m], y[m] * 0.999), marker="o", ms=4,
                        capsize=3, label=f"d = {d}")
        if estimate is not None:
            ax.axvspan(estimate.ci_low, estimate.ci_high, color="grey", alpha=0.25,
                       label=f"threshold {estimate.p_th:.4g} [{estimate.ci_low:.4g}, {estimate.ci_high:.4g}]")
            ax.axvline(estimate.p_th, color="black", lw=1, ls="--")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"physical error rate ({parameter})")
        ax.set_ylabel(f"logical error rate ({unit.replace('_', ' ')})")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    except BaseException:
        plt.close(fig)
        raise
    return save_figure(fig, path)


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Lay out `fig`, write it to `path` (folders created) and close it, whatever happens."""
    try:
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
