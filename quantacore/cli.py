"""The `quantacore` command: a thin argument parser that dispatches to one module per subcommand."""

from __future__ import annotations

import argparse
import importlib
import sys

from protocols.errors import QuantaCoreError

# Subcommand name -> module under quantacore.commands. Each module defines
# `configure(parser)` and `main(args) -> int`; modules import their heavy
# dependencies inside `main` so that `quantacore --help` stays fast.
COMMANDS: dict[str, str] = {
    "keys": "quantacore.commands.keys",
    "study": "quantacore.commands.study",
    "emulate": "quantacore.commands.emulate",
    "control": "quantacore.commands.control",
    "run": "quantacore.commands.run",
    "conformance": "quantacore.commands.conformance",
    "replay": "quantacore.commands.replay",
    "bench": "quantacore.commands.bench",
}


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="quantacore", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; project errors print their message and exit with status 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args._module.main(args) or 0)
    except QuantaCoreError as e:
        print(f"quantacore {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"quantacore {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
