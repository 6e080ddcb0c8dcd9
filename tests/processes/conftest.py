"""Starting a real device process for a test, and stopping it in teardown whatever happens."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def device_process(config: str, bind: str, rounds: int) -> Iterator[tuple[subprocess.Popen, dict]]:
    """`python -m emulator` serving `config` at `bind`; yields the process and its ready line's addresses."""
    p = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--config", config, "--bind", bind, "--rounds", str(rounds)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        yield p, json.loads(p.stdout.readline())
    finally:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
