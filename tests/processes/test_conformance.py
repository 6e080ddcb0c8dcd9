"""`quantacore conformance` against a live device process, and against an address where nobody answers."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import device_process


@pytest.fixture
def device(tmp_path):
    """The emulator serving the default run config on an ipc path; stopped in teardown whatever happens."""
    with device_process("configs/default.yaml", f"ipc://{tmp_path}/dev", 100000) as (_, ready):
        yield ready


def _conformance(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "quantacore", "conformance", *args],
                          capture_output=True, text=True, timeout=120)


def test_the_emulator_conforms(device):
    out = _conformance(device["control"])
    assert out.returncode == 0, out.stdout + out.stderr
    for check in ("handshake", "version_refused", "malformed_answered", "heartbeat", "command_acknowledged",
                  "data_frames"):
        assert f"PASS  {check}" in out.stdout


def test_a_silent_endpoint_does_not_conform(tmp_path):
    out = _conformance(f"ipc://{tmp_path}/nobody", "--timeout", "0.3", "--no-data")
    assert out.returncode == 1
    assert "FAIL  handshake" in out.stdout and "does NOT conform" in out.stdout
