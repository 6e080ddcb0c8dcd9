"""`quantacore keys`: create a ZeroMQ CURVE key pair for endpoints that leave the loopback interface."""

from __future__ import annotations

import argparse

HELP = "create a CURVE key pair (NAME.public, NAME.secret) for non-loopback wire endpoints"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the key directory and name."""
    parser.add_argument("dir", help="directory for the key files (created if missing)")
    parser.add_argument("--name", default="quantacore", help="file name stem (default: quantacore)")


def main(args: argparse.Namespace) -> int:
    """Write the key pair and print where it went."""
    from protocols.wire.security import make_keypair

    public, secret = make_keypair(args.dir, args.name)
    print(f"public key: {public}  (give it to the peers that connect)")
    print(f"secret key: {secret}  (mode 0600; keep it on this machine)")
    return 0


def curve_from_dir(directory: str | None, *, server: bool):
    """CURVE settings from a key directory: the device uses device.*, the controller controller.* and
    device.public (create them with `quantacore keys DIR --name device` and `--name controller`)."""
    if directory is None:
        return None
    from protocols.wire.security import Curve, load_keypair, load_public_key

    if server:
        return Curve(keys=load_keypair(directory, "device"))
    return Curve(keys=load_keypair(directory, "controller"), server_public=load_public_key(f"{directory}/device.public"))
