"""`quantacore conformance ADDR`: check a live device endpoint against the wire protocol and print a report.

What a team writing FPGA or DAQ firmware runs against its device: handshake, refusal of another version,
answers to malformed frames, heartbeats, command acknowledgement (and idempotence), and data-frame validity.
"""

from __future__ import annotations

import argparse

HELP = "check a live device endpoint against the wire protocol (handshake, frames, heartbeats, acks)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the endpoint and the code the controller side announces."""
    parser.add_argument("address", help="the device's control address (tcp://HOST:PORT or ipc://PATH)")
    parser.add_argument("--config", default="configs/default.yaml", help="run config whose code to announce")
    parser.add_argument("--no-data", action="store_true", help="skip the data-path check")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for each answer")
    parser.add_argument("--keys", default=None, help="directory with CURVE keys (required off loopback)")


def main(args: argparse.Namespace) -> int:
    """Run the checks; exit 0 when all pass, 1 otherwise."""
    import numpy as np

    from protocols.endpoints import data_address
    from protocols.run_config import load_run_config
    from protocols.wire import ChannelMap, Role, SessionConfig, code_to_wire
    from protocols.wire.conformance import check_device
    from quantacore.commands.keys import curve_from_dir

    spec = load_run_config(args.config).code.spec()
    config = SessionConfig(
        endpoint="conformance",
        role=Role.CONTROLLER,
        code=code_to_wire(spec),
        channel_map=ChannelMap(qubits=np.zeros(0, "<i4"), rails=np.zeros((0, 2), "<i4")),
        clock_hz=1e6,
        epoch_ns=0,
    )
    report = check_device(
        args.address, config, data=None if args.no_data else data_address(args.address),
        timeout_s=args.timeout, curve=curve_from_dir(args.keys, server=False),
    )
    print(f"conformance of {report.control} (data {report.data}):")
    for line in report.lines():
        print("  " + line)
    print("conforms" if report.ok else "does NOT conform")
    return 0 if report.ok else 1
