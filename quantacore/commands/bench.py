"""`quantacore bench [NAME ...]`: run the benchmarks in bench/ (each prints one JSON object)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HELP = "run benchmarks from bench/ (decode, emulator, transport, loop, ...); each prints one JSON object"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark names."""
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: decode emulator transport loop)")
    parser.add_argument("--dir", default="bench", help="benchmark folder (default: ./bench)")


def main(args: argparse.Namespace) -> int:
    """Run each named benchmark as its own process; the exit status is the worst of theirs."""
    from protocols.errors import ConfigError

    folder = Path(args.dir)
    names = args.names or ["decode", "emulator", "transport", "loop"]
    scripts = [folder / f"{n}.py" for n in names]
    missing = [str(s) for s in scripts if not s.is_file()]
    if missing:
        known = ", ".join(sorted(p.stem for p in folder.glob("*.py"))) if folder.is_dir() else "none"
        raise ConfigError(f"no benchmark {', '.join(missing)} (run from the project root; known: {known})")
    worst = 0
    for script in scripts:
        worst = max(worst, subprocess.run([sys.executable, str(script)]).returncode)
    return worst
