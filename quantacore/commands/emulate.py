"""`quantacore emulate`: the photonic device emulator as a process, or a description of a device."""

from __future__ import annotations

import argparse

HELP = "run the photonic device emulator as a device process (--describe: print a device's effective channel)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options."""
    parser.add_argument(
        "--config", required=True, help="run config (configs/default.yaml); with --describe also a device YAML"
    )
    parser.add_argument(
        "--describe",
        action="store_true",
        help="print the effective channel per qubit and round and each component's contribution, then exit",
    )
    parser.add_argument(
        "--bind", default="tcp://127.0.0.1:*",
        help="control address to bind (data at the next port, or PATH.data for ipc); default: loopback, free port",
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds to stream (default: the config's)")
    parser.add_argument("--keys", default=None, help="directory with CURVE keys (required off loopback)")
    parser.add_argument("--replay", default=None, metavar="DIR", help="serve a recorded stream instead of emulating")
    parser.add_argument("--record", default=None, metavar="DIR", help="record the stream sent, for later replay")


def main(args: argparse.Namespace) -> int:
    """Describe the device, or serve the wire protocol until the rounds are sent."""
    from protocols.config import read_yaml

    data = read_yaml(args.config)
    is_run_config = isinstance(data, dict) and "emulator" in data
    if args.describe:
        from emulator.physics.describe import describe_device
        from emulator.physics.device import load_device
        from protocols.run_config import load_run_config

        device = args.config if not is_run_config else load_run_config(args.config).emulator.device
        print(describe_device(load_device(device)))
        return 0
    from emulator.server import main as serve
    from protocols.errors import ConfigError
    from protocols.run_config import load_run_config
    from quantacore.commands.keys import curve_from_dir

    if not is_run_config:
        raise ConfigError(f"{args.config}: not a run config (no 'emulator' section); see configs/default.yaml")
    endpoint = f"replay:{args.replay}" if args.replay else "emulator"
    return serve(load_run_config(args.config), args.bind, args.rounds, curve_from_dir(args.keys, server=True),
                 endpoint=endpoint, record=args.record)
