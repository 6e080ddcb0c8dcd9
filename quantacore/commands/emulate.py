"""`quantacore emulate`: the photonic device emulator (for now: describe a device's effective channel)."""

from __future__ import annotations

import argparse
import sys

HELP = "emulate a photonic device (--describe: its effective noise channel per qubit and round)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options."""
    parser.add_argument("--config", required=True, help="device YAML (see configs/devices/)")
    parser.add_argument(
        "--describe",
        action="store_true",
        help="print the effective channel per qubit and round and each component's contribution, then exit",
    )


def main(args: argparse.Namespace) -> int:
    """Describe the device; serving events is not available from this command yet."""
    if not args.describe:
        print(
            "quantacore emulate: error: only --describe is available (the event server is not part of "
            "this command yet); try: quantacore emulate --describe --config " + args.config,
            file=sys.stderr,
        )
        return 2
    from emulator.physics.describe import describe_device
    from emulator.physics.device import load_device

    print(describe_device(load_device(args.config)))
    return 0
