"""`quantacore study`: offline QEC baseline studies."""

from __future__ import annotations

import argparse

HELP = "run an offline QEC study (thresholds, overhead, plots)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the study kinds as sub-subcommands."""
    sub = parser.add_subparsers(dest="study", required=True, metavar="STUDY")
    p = sub.add_parser("thresholds", help="thresholds and overhead of codes under noise models (sinter)")
    p.add_argument("--config", required=True, help="study YAML (see configs/studies/)")
    p.add_argument("--out", required=True, help="output directory; an existing one is resumed")


def main(args: argparse.Namespace) -> int:
    """Dispatch to the chosen study."""
    from studies.thresholds import run_study_from_args

    return run_study_from_args(args)
