"""`quantacore replay DIR`: serve a recorded stream as a device, as `quantacore emulate --replay DIR` does."""

from __future__ import annotations

import argparse

HELP = "serve a recorded stream (from `quantacore run --record DIR`) as a device endpoint"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the recording and where to serve it."""
    parser.add_argument("dir", help="recording directory (tags.bin + stream.json)")
    parser.add_argument("--config", default="configs/default.yaml", help="run config (pace, batch size)")
    parser.add_argument("--bind", default="tcp://127.0.0.1:*", help="control address to bind (data next to it)")
    parser.add_argument("--keys", default=None, help="directory with CURVE keys (required off loopback)")


def main(args: argparse.Namespace) -> int:
    """Serve every recorded round to one controller session."""
    from emulator.device import ReplayDevice
    from emulator.server import main as serve
    from protocols.run_config import load_run_config
    from quantacore.commands.keys import curve_from_dir

    rounds = ReplayDevice(args.dir).last_round
    return serve(load_run_config(args.config), args.bind, rounds, curve_from_dir(args.keys, server=True),
                 endpoint=f"replay:{args.dir}")
