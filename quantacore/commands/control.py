"""`quantacore control`: the real-time controller as a process, connected to any device endpoint."""

from __future__ import annotations

import argparse

HELP = "run the real-time controller against a device endpoint (emulator, replay or FPGA/DAQ)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the controller's options."""
    parser.add_argument("--config", required=True, help="run config (configs/default.yaml)")
    parser.add_argument("--connect", required=True, help="the device's control address (data at the next port)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds to process (default: the config's)")
    parser.add_argument("--summary", default=None, help="write the JSON summary here")
    parser.add_argument("--keys", default=None, help="directory with CURVE keys (required off loopback)")


def main(args: argparse.Namespace) -> int:
    """Run one controller session and report."""
    from controller.loop import main as control
    from protocols.run_config import load_run_config
    from quantacore.commands.keys import curve_from_dir

    return control(load_run_config(args.config), args.connect, args.rounds, args.summary,
                   curve_from_dir(args.keys, server=False))
