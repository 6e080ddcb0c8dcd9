"""`quantacore emulate --describe` prints the effective channel table; without --describe it says what to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from emulator.physics.describe import describe_device
from emulator.physics.device import load_device
from protocols.noise import EffectiveChannel

DEVICE = Path(__file__).resolve().parents[2] / "configs" / "devices" / "dual_rail_default.yaml"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "quantacore", "emulate", *args], capture_output=True, text=True)


def test_describe_prints_every_component_and_field():
    out = run("--describe", "--config", str(DEVICE))
    assert out.returncode == 0, out.stderr
    for row in ("source", "channel", "gates", "detector efficiency", "detector dark counts", "total (joint)"):
        assert row in out.stdout
    for field in EffectiveChannel.model_fields:
        assert field in out.stdout


def test_describe_total_row_is_the_effective_channel():
    text = describe_device(load_device(DEVICE))
    total = text.splitlines()[-1].split()
    from emulator.physics.effective import effective_channel

    ch = effective_channel(load_device(DEVICE))
    assert [float(x) for x in total[2:]] == [float(f"{getattr(ch, f):.3e}") for f in EffectiveChannel.model_fields]


def test_serving_a_device_file_is_an_error_that_names_the_fix():
    # Without --describe the command serves a run config; a bare device file is refused with the fix.
    out = run("--config", str(DEVICE))
    assert out.returncode == 2
    assert "not a run config" in out.stderr and "configs/default.yaml" in out.stderr


def test_describe_accepts_a_run_config():
    out = run("--describe", "--config", "configs/default.yaml")
    assert out.returncode == 0 and "dual_rail_target" in out.stdout


def test_bad_config_exits_2_naming_the_file(tmp_path):
    bad = tmp_path / "dev.yaml"
    bad.write_text(DEVICE.read_text().replace("efficiency: 0.93", "efficiency: 1.93"))
    out = run("--describe", "--config", str(bad))
    assert out.returncode == 2
    assert str(bad) in out.stderr and "detectors.efficiency" in out.stderr
