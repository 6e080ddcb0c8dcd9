"""Single-mode tables: cat flip rates against |alpha|^2 and GKP per-quadrature error against squeezing (CSV + PNG)."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from emulator.physics.bosonic import (  # noqa: E402
    CatNoise,
    cat_rates_grid,
    phase_flip_estimate,
    quadrature_error_probability,
    squeezing_db_to_sigma,
)
from emulator.physics.bosonic.cat import EIGEN_ATOL  # noqa: E402
from studies.bosonic.config import CatSection, GkpSection  # noqa: E402

__all__ = ["cat_rate_table", "gkp_table", "write_cat_rates", "write_gkp_single_mode", "write_rows"]


def cat_rate_table(section: CatSection) -> list[dict]:
    """Rows of alpha2, bit_flip, phase_flip, phase_flip_estimate, bias, gap, cutoff, bit_flip_resolved (kappa_2 units)."""
    noise = CatNoise(kappa_1=section.kappa_1, n_th=section.n_th, kappa_phi=section.kappa_phi)
    g = cat_rates_grid(np.array(section.alpha2), noise)
    rows = []
    for i, a2 in enumerate(g["alpha2"]):
        bit, phase = float(g["bit_flip"][i]), float(g["phase_flip"][i])
        rows.append({
            "alpha2": float(a2), "bit_flip": bit, "phase_flip": phase,
            "phase_flip_estimate": phase_flip_estimate(float(a2), noise),
            "bias": phase / bit if bit > 0 else float("inf"), "gap": float(g["gap"][i]), "cutoff": int(g["cutoff"][i]),
            # Below the eigensolver's absolute resolution a bit-flip rate is an upper bound, not a value.
            "bit_flip_resolved": bool(bit > EIGEN_ATOL),
        })
    return rows


def gkp_table(section: GkpSection) -> list[dict]:
    """Rows (squeezing_db, sigma, p_quadrature, p_pauli_any) of a square GKP qubit without analog information."""
    rows = []
    for db in section.squeezing_db:
        s = float(squeezing_db_to_sigma(db))
        p = float(quadrature_error_probability(s))
        rows.append({"squeezing_db": db, "sigma": s, "p_quadrature": p, "p_pauli_any": 1.0 - (1.0 - p) ** 2})
    return rows


def write_rows(rows: list[dict], path: Path) -> Path:
    """Write dict rows as CSV with a header from the first row's keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def write_cat_rates(section: CatSection, out_dir: Path) -> dict[str, Path]:
    """cat_rates.csv and cat_rates.png: Liouvillian flip rates against |alpha|^2 (cached QuTiP results)."""
    rows = cat_rate_table(section)
    a2 = np.array([r["alpha2"] for r in rows])
    bit = np.array([r["bit_flip"] for r in rows])
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    try:
        keep = np.array([r["bit_flip_resolved"] for r in rows])
        ax.semilogy(a2[keep], bit[keep], "o-", label="bit flip (Liouvillian)")
        ax.semilogy(a2, [r["phase_flip"] for r in rows], "s-", label="phase flip (Liouvillian)")
        ax.semilogy(a2, [r["phase_flip_estimate"] for r in rows], "k--", lw=1,
                    label=r"$\kappa_1 (1+2n_{th}) |\alpha|^2$")
        ax.set_xlabel(r"$|\alpha|^2$ (mean photon number)")
        ax.set_ylabel(r"flip rate (units of $\kappa_2$)")
        ax.set_title(f"stabilised cat: kappa_1/kappa_2={section.kappa_1:g}, n_th={section.n_th:g}, "
                     f"kappa_phi/kappa_2={section.kappa_phi:g}", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        out_dir.mkdir(parents=True, exist_ok=True)
        fig.savefig(out_dir / "cat_rates.png")
    finally:
        plt.close(fig)
    return {"cat_rates": write_rows(rows, out_dir / "cat_rates.csv"), "plot:cat_rates": out_dir / "cat_rates.png"}


def write_gkp_single_mode(section: GkpSection, out_dir: Path) -> dict[str, Path]:
    """gkp_single_mode.csv and .png: per-quadrature logical error probability against squeezing in dB."""
    rows = gkp_table(section)
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    try:
        ax.semilogy([r["squeezing_db"] for r in rows], [r["p_quadrature"] for r in rows], "o-",
                    label="per quadrature (X or Z)")
        ax.semilogy([r["squeezing_db"] for r in rows], [r["p_pauli_any"] for r in rows], "s--",
                    label="any Pauli error")
        ax.set_xlabel("GKP squeezing (dB, sigma^2 = 10^(-dB/10)/2)")
        ax.set_ylabel("logical error probability per round")
        ax.set_title("square GKP qubit, Gaussian displacement noise, no analog information", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        out_dir.mkdir(parents=True, exist_ok=True)
        fig.savefig(out_dir / "gkp_single_mode.png")
    finally:
        plt.close(fig)
    return {"gkp_single_mode": write_rows(rows, out_dir / "gkp_single_mode.csv"),
            "plot:gkp_single_mode": out_dir / "gkp_single_mode.png"}
