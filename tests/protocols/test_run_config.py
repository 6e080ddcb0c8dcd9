"""Run configs load, reject what is wrong, and the default's noise belief matches its device's calibration."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocols.errors import ConfigError
from protocols.run_config import load_run_config


def test_every_run_config_loads():
    for f in ["configs/default.yaml", *sorted(str(p) for p in Path("configs/runs").glob("*.yaml"))]:
        cfg = load_run_config(f)
        assert Path(cfg.emulator.device).exists() and Path(cfg.controller.budget).exists()


def test_default_belief_is_the_calibration_of_its_device():
    from emulator.physics.device import load_device
    from emulator.physics.effective import effective_channel

    cfg = load_run_config("configs/default.yaml")
    truth = effective_channel(load_device(cfg.emulator.device)).model_dump()
    for name, value in cfg.controller.belief.model_dump().items():
        assert value == pytest.approx(truth[name], rel=2e-3, abs=1e-9), name


def test_bad_run_configs_name_the_field(tmp_path):
    text = Path("configs/default.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("distance: 5", "distance: 4"))
    with pytest.raises(ConfigError, match="code: .*odd"):
        load_run_config(bad)
    bad.write_text(text.replace("decoder: erasure", "decoder: magic"))
    with pytest.raises(ConfigError, match="controller.decoder"):
        load_run_config(bad)
    bad.write_text(text.replace("gate_depolarizing: 0.00235", "gate_depolarizing: 1.5"))
    with pytest.raises(ConfigError, match="controller.belief.gate_depolarizing"):
        load_run_config(bad)
    bad.write_text(text.replace("decoder: erasure", "decoder: erasure\n  busy_poll_us: -1"))
    with pytest.raises(ConfigError, match="controller.busy_poll_us"):
        load_run_config(bad)
