"""`quantacore run`: the whole loop as separate OS processes (emulator, controller), supervised.

The emulator starts first and prints its bound addresses; the controller then connects to them. If either
process fails, the other is stopped; both are stopped on exit, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELP = "run emulator and controller as two supervised processes on loopback and report the summary"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the run's options."""
    parser.add_argument("--config", required=True, help="run config (configs/default.yaml)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds to run (default: the config's)")
    parser.add_argument("--summary", default=None, help="write the controller's JSON summary here")
    parser.add_argument("--transport", choices=["ipc", "tcp"], default="ipc", help="loopback transport (default ipc)")
    parser.add_argument("--timeout", type=float, default=600.0, help="stop both processes after this many seconds")


def _stop(p: subprocess.Popen | None) -> None:
    if p is None or p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def supervise(config: str, rounds: int | None, summary: str | None, transport: str, timeout: float) -> int:
    """Start the emulator, then the controller; wait for both; stop both on any failure."""
    from protocols.errors import QuantaCoreError

    py = sys.executable
    extra = ["--rounds", str(rounds)] if rounds is not None else []
    with tempfile.TemporaryDirectory(prefix="quantacore-run-") as tmp:
        bind = f"ipc://{tmp}/device" if transport == "ipc" else "tcp://127.0.0.1:*"
        emu = ctl = None
        try:
            emu = subprocess.Popen(
                [py, "-m", "quantacore", "emulate", "--config", config, "--bind", bind, *extra],
                stdout=subprocess.PIPE, text=True,
            )
            line = emu.stdout.readline() if emu.stdout else ""
            try:
                ready = json.loads(line)
            except json.JSONDecodeError:
                raise QuantaCoreError(f"emulator did not start (exit {emu.wait()}); its first line: {line!r}") from None
            summary_path = summary or f"{tmp}/summary.json"
            ctl = subprocess.Popen(
                [py, "-m", "quantacore", "control", "--config", config, "--connect", ready["control"],
                 "--summary", summary_path, *extra]
            )
            deadline = time.monotonic() + timeout
            while ctl.poll() is None:
                if emu.poll() not in (None, 0):
                    raise QuantaCoreError(f"the emulator exited with status {emu.returncode}")
                if time.monotonic() > deadline:
                    raise QuantaCoreError(f"the run took longer than {timeout} s")
                time.sleep(0.05)
            emu_rc = emu.wait(30)
            done = emu.stdout.read() if emu.stdout else ""
            for ln in done.splitlines():
                if ln.startswith("{"):
                    print(f"emulator: {ln}")
            if summary is None:
                print(f"summary: {Path(summary_path).read_text()}" if Path(summary_path).exists() else "no summary")
            elif Path(summary).exists():
                print(f"summary written to {summary}")
            return ctl.returncode or emu_rc
        finally:
            _stop(ctl)
            _stop(emu)


def main(args: argparse.Namespace) -> int:
    """Run the supervised loop."""
    return supervise(args.config, args.rounds, args.summary, args.transport, args.timeout)
