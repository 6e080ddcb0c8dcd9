"""The bosonic study end to end: config validation, `quantacore study bosonic`, outputs in the study format."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sinter

from protocols.errors import ConfigError
from studies.bosonic.config import load_bosonic_config
from studies.bosonic.resources import gkp_mean_photons

TINY = """
name: tiny
max_shots: 400
max_errors: 60
num_workers: 1
target_logical_error_rate: 1.0e-3
fit: {window: 0.3, bootstrap: 20, seed: 0}
cat: {kappa_1: 1.0e-3, alpha2: [1, 2]}
gkp: {squeezing_db: [4, 8]}
surface_gkp: {distances: [3, 5], sigma: [0.5, 0.6, 0.7], operating_sigma: [0.45]}
dual_rail: {distances: [3, 5], loss_db: {qc-erasure: [0.6, 1.2, 1.8]}, operating_loss_db: [0.6]}
"""


def test_unknown_key_and_out_of_range_values_name_the_field(tmp_path: Path) -> None:
    f = tmp_path / "b.yaml"
    f.write_text(TINY.replace("operating_sigma: [0.45]", "operating_sigma: [0.45], sigmas: [1]"))
    with pytest.raises(ConfigError, match=r"surface_gkp.sigmas: unknown key"):
        load_bosonic_config(f)
    f.write_text(TINY.replace("distances: [3, 5], sigma", "distances: [3, 4], sigma"))
    with pytest.raises(ConfigError, match=r"surface_gkp.distances.*distance 4 is out of range"):
        load_bosonic_config(f)
    f.write_text(TINY.replace("{qc-erasure: [", "{magic: ["))
    with pytest.raises(ConfigError, match=r"dual_rail.loss_db.*'magic'"):
        load_bosonic_config(f)


def test_gkp_photon_number_follows_the_envelope_width() -> None:
    # n = 1/(2 Delta^2) - 1/2 with Delta^2 = 2 sigma^2 (Tzitrin et al., PRA 101, 032315 (2020)): 10 dB is
    # Delta^2 = 0.1, n = 4.5.
    sigma = (0.1 / 2) ** 0.5
    assert gkp_mean_photons(sigma) == pytest.approx(4.5)


def test_cli_writes_the_threshold_study_outputs(tmp_path: Path) -> None:
    cfg = tmp_path / "bosonic.yaml"
    cfg.write_text(TINY)
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "quantacore", "study", "bosonic", "--config", str(cfg), "--out",
                          str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    with (out / "stats.csv").open() as f:
        header = f.readline().strip()
    assert header == sinter.CSV_HEADER.strip()
    stats = sinter.read_stats_from_csv_files(out / "stats.csv")
    decoders = {s.decoder for s in stats}
    assert decoders == {"gkp-analog", "gkp-uniform", "qc-erasure"}
    thresholds = json.loads((out / "thresholds.json").read_text())
    assert set(thresholds["noise"]) == {"surface-gkp-analog", "surface-gkp-uniform", "dual-rail-qc-erasure"}
    overhead = json.loads((out / "overhead.json").read_text())
    assert {r["code"] for r in overhead["resources"]["rows"]} == {
        "surface-gkp-analog", "surface-gkp-uniform", "dual-rail-qc-erasure"}
    rows = list(csv.DictReader((out / "cat_rates.csv").open()))
    assert [float(r["alpha2"]) for r in rows] == [1.0, 2.0]
    assert float(rows[1]["bit_flip"]) < float(rows[0]["bit_flip"])  # exp(-2|alpha|^2) suppression
    for png in ("cat_rates", "gkp_single_mode", "surface-gkp-analog", "surface_gkp_vs_db"):
        assert (out / f"{png}.png").stat().st_size > 1000
    # Resuming adds no shots: every task already met its limits.
    again = subprocess.run([sys.executable, "-m", "quantacore", "study", "bosonic", "--config", str(cfg), "--out",
                            str(out)], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    total = sum(s.shots for s in sinter.read_stats_from_csv_files(out / "stats.csv"))
    assert total == sum(s.shots for s in stats)
