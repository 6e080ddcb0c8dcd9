"""Noise configs: every shipped YAML loads; bad configs name file, field and range; sweeps copy and validate."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocols.codes.hooks import NoiseHooks
from protocols.config import StrictModel, validate
from protocols.errors import ConfigError
from protocols.noise import (
    NOISE_MODELS,
    MixtureNoise,
    NoiseConfig,
    PhotonicNoise,
    load_noise,
    parse_noise,
    with_parameter,
)

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs" / "noise"
CONFIGS = sorted(CONFIG_DIR.glob("*.yaml"))


def test_one_config_per_model() -> None:
    kinds = {load_noise(p).kind for p in CONFIGS}
    assert kinds == set(NOISE_MODELS)
    assert len([p for p in CONFIGS if p.name.startswith("mixture_")]) >= 2


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_config_loads(path: Path) -> None:
    model = load_noise(path)
    assert path.stem.startswith(model.kind)
    assert model.label
    assert parse_noise(model.model_dump(), "round trip") == model
    assert isinstance(model.hooks(), NoiseHooks)


def test_mixtures_share_the_total_rate() -> None:
    """The shipped mixtures compare distributions at one total physical error rate."""
    mixtures = [load_noise(p) for p in CONFIGS if p.name.startswith("mixture_")]
    assert all(isinstance(m, MixtureNoise) for m in mixtures)
    assert len({m.p_total for m in mixtures}) == 1
    assert len({m.fractions for m in mixtures}) == len(mixtures)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    return path


PHOTONIC_OK = """kind: photonic
loss_db: 0.1
phase_sigma_rad: 0.01
gate_error: 0.001
detector_efficiency: 0.95
dark_count_rate_hz: 100
gate_window_ns: 1
"""


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        ("loss_db: 0.1", "loss_db: -1.0",
         "loss_db: Input should be greater than or equal to 0; allowed range: ge 0.0 (got -1.0)"),
        ("loss_db: 0.1", "loss: 3", "loss: unknown key (check the spelling and the units suffix) (got 3)"),
        ("detector_efficiency: 0.95", "detector_efficiency: 1.5",
         "detector_efficiency: Input should be less than or equal to 1; allowed range: le 1.0 (got 1.5)"),
        ("gate_window_ns: 1", "gate_window: 1", "gate_window: unknown key"),
        ("gate_error: 0.001", "gate_error: lots", "gate_error: Input should be a valid number"),
    ],
)
def test_bad_config_names_file_field_and_range(tmp_path: Path, replace: str, by: str, expected: str) -> None:
    path = _write(tmp_path, PHOTONIC_OK.replace(replace, by))
    with pytest.raises(ConfigError) as err:
        load_noise(path)
    assert f"{path}: {expected}" in str(err.value)


def test_reference_config_is_valid(tmp_path: Path) -> None:
    assert isinstance(load_noise(_write(tmp_path, PHOTONIC_OK)), PhotonicNoise)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p: 0.1\n", "kind: missing; allowed: circuit_depolarizing, code_capacity, erasure, mixture"),
        ("kind: depolarising\np: 0.1\n", "kind: unknown noise model 'depolarising'; allowed:"),
        ("- 1\n- 2\n", "a noise config must be a mapping"),
        ("kind: phenomenological\np: 1.5\n", "p: Input should be less than or equal to 1"),
        ("kind: mixture\np_total: 0.1\nfractions: {erasure: 0.6, pauli_z: 0.6}\n",
         "fractions: Value error, fractions must sum to 1 (got 1.2)"),
        ("kind: mixture\np_total: 0.1\nfractions: {erasur: 1.0}\n", "fractions.erasur: unknown key"),
        ("kind: erasure\npe: [0.1\n", "not valid YAML"),
    ],
)
def test_bad_documents(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_noise(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_with_parameter_returns_validated_copy() -> None:
    model = load_noise(CONFIG_DIR / "photonic.yaml")
    swept = with_parameter(model, model.sweep_parameter, 0.5)
    assert swept.loss_db == 0.5 and model.loss_db == 0.07
    assert swept.effective_channel().erasure > model.effective_channel().erasure
    with pytest.raises(ConfigError, match=r"photonic with loss_db=-2.0: loss_db: .*greater than or equal to 0"):
        with_parameter(model, "loss_db", -2.0)
    with pytest.raises(ConfigError, match="unknown parameter 'loss'; parameters: label, loss_db"):
        with_parameter(model, "loss", 0.1)
    with pytest.raises(ConfigError, match="unknown parameter 'kind'"):
        with_parameter(model, "kind", "erasure")


def test_with_parameter_nested_field() -> None:
    model = load_noise(CONFIG_DIR / "mixture_erasure_heavy.yaml")
    assert with_parameter(model, "p_total", 0.02).effective_channel().erasure == pytest.approx(0.016)
    with pytest.raises(ConfigError, match="fractions must sum to 1"):
        with_parameter(model, "fractions.erasure", 0.9)
    with pytest.raises(ConfigError, match="unknown parameter 'fractions.nope'"):
        with_parameter(model, "fractions.nope", 0.1)


def test_noise_config_embeds_in_other_configs() -> None:
    """NoiseConfig is a tagged union usable as a field type of a larger config."""

    class Study(StrictModel):
        noise: NoiseConfig

    study = validate(Study, {"noise": {"kind": "erasure", "pe": 0.01}}, "study.yaml")
    assert study.noise.kind == "erasure" and study.noise.pe == 0.01
    with pytest.raises(ConfigError, match="study.yaml: noise"):
        validate(Study, {"noise": {"kind": "erasure", "pe": 2}}, "study.yaml")
