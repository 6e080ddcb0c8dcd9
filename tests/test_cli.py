"""The command-line entry point starts and lists its subcommands."""

import subprocess
import sys


def test_help_lists_study():
    out = subprocess.run([sys.executable, "-m", "quantacore", "--help"], capture_output=True, text=True, check=True)
    assert "study" in out.stdout


def test_config_error_names_file_field_and_range(tmp_path):
    from protocols.config import StrictModel, load_config
    from protocols.errors import ConfigError
    import pydantic
    import pytest

    class M(StrictModel):
        p: float = pydantic.Field(ge=0.0, le=0.5)

    f = tmp_path / "c.yaml"
    f.write_text("p: 0.7\n")
    with pytest.raises(ConfigError) as e:
        load_config(f, M)
    msg = str(e.value)
    assert str(f) in msg and "p" in msg and "0.5" in msg
    f.write_text("p: 0.1\nq: 2\n")
    with pytest.raises(ConfigError, match="q: unknown key"):
        load_config(f, M)


def test_every_subcommand_has_help():
    from quantacore.cli import COMMANDS

    for name in COMMANDS:
        out = subprocess.run([sys.executable, "-m", "quantacore", name, "--help"], capture_output=True, text=True)
        assert out.returncode == 0 and "usage: quantacore" in out.stdout, name


def test_unknown_benchmark_is_a_clear_error():
    out = subprocess.run([sys.executable, "-m", "quantacore", "bench", "nosuch"], capture_output=True, text=True)
    assert out.returncode == 2 and "no benchmark bench/nosuch.py" in out.stderr and "decode" in out.stderr
