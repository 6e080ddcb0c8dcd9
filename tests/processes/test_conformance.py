"""`quantacore conformance` against a live device process, and against an address where nobody answers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.fixture
def device(tmp_path):
    """The emulator serving the default run config on an ipc path; stopped in teardown whatever happens."""
    p = subprocess.Popen(
        [sys.executable, "-m", "quantacore", "emulate", "--config", "configs/default.yaml",
         "--bind", f"ipc://{tmp_path}/dev", "--rounds", "100000"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        yield json.loads(p.stdout.readline())
    finally:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


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
