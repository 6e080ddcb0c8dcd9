"""A recorded stream replays through the controller to the same outcomes and decisions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml


def _run(cfg: Path, summary: Path, *extra: str) -> dict:
    p = subprocess.run(
        [sys.executable, "-m", "quantacore", "run", "--config", str(cfg), "--rounds", "2400",
         "--summary", str(summary), "--timeout", "240", *extra],
        capture_output=True, text=True, timeout=300,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(summary.read_text())


def test_recorded_run_replays_to_the_same_results(tmp_path):
    cfg = yaml.safe_load(Path("configs/default.yaml").read_text())
    cfg["code"].update(distance=3, rounds=3)
    cfg["controller"]["policy"] = {}
    budget = tmp_path / "lenient.yaml"
    # No degradation in either run: results must depend on the data only, not on the machine's load.
    budget.write_text("name: lenient\ndeadline_us: 1.0e7\np50_us: 1.0e7\np99_us: 1.0e7\n"
                      "max_deadline_miss_fraction: 1\ndegrade_at_fraction: 1\n")
    cfg["controller"]["budget"] = str(budget)
    live_cfg = tmp_path / "live.yaml"
    live_cfg.write_text(yaml.safe_dump(cfg))
    rec = tmp_path / "rec"
    live = _run(live_cfg, tmp_path / "live.json", "--record", str(rec))
    assert (rec / "tags.bin").stat().st_size > 0
    cfg["controller"]["endpoint"] = f"replay:{rec}"
    replay_cfg = tmp_path / "replay.yaml"
    replay_cfg.write_text(yaml.safe_dump(cfg))
    again = _run(replay_cfg, tmp_path / "replay.json")
    for key in ("rounds", "rounds_lost", "blocks", "logical_errors", "decisions", "missed_events", "stray_tags"):
        assert again[key] == live[key], key
    assert live["blocks"] == 600 and live["degradations"] == again["degradations"] == {"matching_decoder": 0, "skip_policy": 0}
