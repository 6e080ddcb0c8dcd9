"""Study configs: the shipped ones load and plan; bad ones fail with errors naming file and field."""

from pathlib import Path

import pytest

from protocols.errors import ConfigError
from studies.config import load_study_config
from studies.tasks import plan_study
from studies.thresholds import run_threshold_study

ROOT = Path(__file__).resolve().parents[2]
# The threshold-study configs (configs/studies also holds other studies' configs, with their own schemas).
SHIPPED = [ROOT / "configs" / "studies" / f"{name}.yaml" for name in (
    "code_capacity", "phenomenological", "circuit_depolarizing", "erasure", "photonic", "comparison", "quick")]

GOOD = """\
name: t
code: {family: rotated_surface, distances: [3, 5], basis: Z}
max_shots: 100
max_errors: 10
noise:
  - name: cc
    model: {kind: code_capacity, p: 0.05}
    sweep: [0.05, 0.1]
"""


def write(tmp_path, text):
    f = tmp_path / "study.yaml"
    f.write_text(text)
    return f


def test_every_shipped_study_config_loads_and_plans():
    for path in SHIPPED:
        cfg = load_study_config(path)
        plan = plan_study(cfg, path)
        n_tasks = sum(len(e.sweep) for e in cfg.noise) * len(cfg.code.distances)
        assert len(plan.tasks) == n_tasks
        assert cfg.code.distances == [3, 5, 7]


def test_plan_records_circuit_sizes_and_metadata(tmp_path):
    f = write(tmp_path, GOOD)
    plan = plan_study(load_study_config(f), f)
    (summary,) = plan.summaries
    assert [(x.d, x.rounds, x.physical_qubits) for x in summary.facts] == [(3, 1, 17), (5, 1, 49)]
    assert summary.qubits_for(9) == 2 * 81 - 1
    meta = plan.tasks[0].json_metadata
    assert {"noise": "cc", "d": 3, "p": 0.05, "rounds": 1, "decoder": "pymatching"}.items() <= meta.items()


@pytest.mark.parametrize(
    "old, new, field",
    [
        ("max_errors: 10", "max_errors: 10\nmax_shot: 5", "max_shot: unknown key"),
        ("distances: [3, 5]", "distances: [3, 4]", "code.distances"),
        ("max_shots: 100", "max_shots: 0", "max_shots"),
        ("sweep: [0.05, 0.1]", "sweep: [0.05, -0.1]", "noise.0.sweep"),
        ("    sweep:", "    path: configs/noise/code_capacity.yaml\n    sweep:", "exactly one of"),
        ("basis: Z", "basis: Y", "code.basis"),
    ],
)
def test_bad_fields_name_file_and_field(tmp_path, old, new, field):
    f = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ConfigError) as e:
        load_study_config(f)
    assert str(f) in str(e.value) and field in str(e.value)


def test_sweep_value_out_of_the_models_range_names_the_entry(tmp_path):
    f = write(tmp_path, GOOD.replace("sweep: [0.05, 0.1]", "sweep: [0.05, 1.5]"))
    with pytest.raises(ConfigError) as e:
        plan_study(load_study_config(f), f)
    assert str(f) in str(e.value) and "noise.0" in str(e.value) and "sweep.1" in str(e.value)


def test_missing_noise_file_is_named(tmp_path):
    text = GOOD.replace("model: {kind: code_capacity, p: 0.05}", "path: configs/noise/nonexistent.yaml")
    f = write(tmp_path, text)
    with pytest.raises(ConfigError, match="noise.0.path: file 'configs/noise/nonexistent.yaml' not found"):
        plan_study(load_study_config(f), f)


def test_unknown_decoder_fails_before_collecting(tmp_path):
    f = write(tmp_path, GOOD + "decoder: no-such-decoder\n")
    with pytest.raises(ConfigError, match="no-such-decoder"):
        run_threshold_study(f, tmp_path / "out", print_progress=False)
    assert not (tmp_path / "out").exists()
