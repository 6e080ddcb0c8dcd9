"""Device configs: the shipped ones load; bad ones are ConfigErrors naming the file, the field and the range."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from emulator.physics.detectors import DetectorParams
from emulator.physics.device import DeviceConfig, load_device
from protocols.errors import ConfigError

DEVICES = Path(__file__).resolve().parents[2] / "configs" / "devices"
SHIPPED = sorted(DEVICES.glob("*.yaml"))


def test_the_three_documented_devices_ship():
    assert {p.stem for p in SHIPPED} >= {"dual_rail_default", "dual_rail_lossy", "spdc_heralded"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_devices_load(path):
    device = load_device(path)
    assert isinstance(device, DeviceConfig)
    assert device.name == path.stem
    assert 0.0 < device.channel.transmission() <= 1.0
    assert isinstance(device.detectors.params(), DetectorParams)


def _write_modified(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load((DEVICES / "dual_rail_default.yaml").read_text())
    edit(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "edit, field, bound",
    [
        (lambda d: d["detectors"].update(efficeincy=0.9), "detectors.efficeincy", "unknown key"),
        (lambda d: d["channel"]["insertion_losses_db"].append(-0.5), "channel.insertion_losses_db.3", "ge 0"),
        (lambda d: d["channel"].update(fibre_loss_db_per_km=-0.2), "channel.fibre_loss_db_per_km", "ge 0"),
        (lambda d: d["detectors"].update(efficiency=1.2), "detectors.efficiency", "le 1"),
        (lambda d: d["source"].update(efficiency=1.5), "source.quantum_dot.efficiency", "le 1"),
        (lambda d: d["source"].update(kind="laser"), "source", "quantum_dot"),
        (lambda d: d.update(encoding="time_bin"), "encoding", "dual_rail"),
    ],
)
def test_bad_device_names_file_field_and_range(tmp_path, edit, field, bound):
    path = _write_modified(tmp_path, edit)
    with pytest.raises(ConfigError) as e:
        load_device(path)
    msg = str(e.value)
    assert str(path) in msg and field in msg and bound in msg, msg


def test_timing_must_fit_the_round(tmp_path):
    path = _write_modified(tmp_path, lambda d: d["source"].update(rep_rate_hz=1e5))
    with pytest.raises(ConfigError, match="rep_rate_hz"):
        load_device(path)
    path = _write_modified(tmp_path, lambda d: d["detectors"].update(gate_window_ns=5000.0))
    with pytest.raises(ConfigError, match="gate_window_ns"):
        load_device(path)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml"):
        load_device(tmp_path / "nope.yaml")
