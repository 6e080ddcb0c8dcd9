"""`quantacore run`: the whole loop as separate OS processes (device, controller), supervised.

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
    parser.add_argument("--record", default=None, metavar="DIR", help="record the device's stream for replay")


def _stop(p: subprocess.Popen | None) -> None:
    if p is None or p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def supervise(config: str, rounds: int | None, summary: str | None, transport: str, timeout: float,
              record: str | None = None) -> int:
    """Start the device (emulator or replay, per controller.endpoint), then the controller; stop both on failure.

    With an address as endpoint there is no device to start: the controller connects to that device.
    """
    from protocols.errors import QuantaCoreError
    from protocols.run_config import load_run_config

    endpoint = load_run_config(config).controller.endpoint
    device_args = ["--replay", endpoint[len("replay:"):]] if endpoint.startswith("replay:") else []
    if record:
        device_args += ["--record", record]

    py = sys.executable
    extra = ["--rounds", str(rounds)] if rounds is not None else []
    with tempfile.TemporaryDirectory(prefix="quantacore-run-") as tmp:
        bind = f"ipc://{tmp}/device" if transport == "ipc" else "tcp://127.0.0.1:*"
        emu = ctl = None
        try:
            if endpoint == "emulator" or endpoint.startswith("replay:"):
                emu = subprocess.Popen(
                    [py, "-m", "quantacore", "emulate", "--config", config, "--bind", bind, *device_args, *extra],
                    stdout=subprocess.PIPE, text=True,
                )
                line = emu.stdout.readline() if emu.stdout else ""
                try:
                    ready = json.loads(line)
                except json.JSONDecodeError:
                    raise QuantaCoreError(f"device did not start (exit {emu.wait()}); its first line: {line!r}") from None
            else:
                ready = {"control": endpoint}
            summary_path = summary or f"{tmp}/summary.json"
            ctl = subprocess.Popen(
                [py, "-m", "quantacore", "control", "--config", config, "--connect", ready["control"],
                 "--summary", summary_path, *extra]
            )
            deadline = time.monotonic() + timeout
            while ctl.poll() is None:
                if emu is not None and emu.poll() not in (None, 0):
                    raise QuantaCoreError(f"the emulator exited with status {emu.returncode}")
                if time.monotonic() > deadline:
                    raise QuantaCoreError(f"the run took longer than {timeout} s")
                time.sleep(0.05)
            emu_rc = emu.wait(30) if emu is not None else 0
            done = emu.stdout.read() if emu is not None and emu.stdout else ""
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
    return supervise(args.config, args.rounds, args.summary, args.transport, args.timeout, args.record)
