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
