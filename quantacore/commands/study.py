"""`quantacore study`: offline QEC baseline studies."""

from __future__ import annotations

import argparse
import importlib

HELP = "run an offline QEC study (thresholds, overhead, plots)"

#: Study name -> (module, function taking the parsed args and returning an exit status). Modules are imported
#: only when their study runs, so `--help` stays fast.
STUDIES: dict[str, tuple[str, str]] = {
    "thresholds": ("studies.thresholds", "run_study_from_args"),
    "bosonic": ("studies.bosonic", "run_study_from_args"),
}


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the study kinds as sub-subcommands."""
    sub = parser.add_subparsers(dest="study", required=True, metavar="STUDY")
    p = sub.add_parser("thresholds", help="thresholds and overhead of codes under noise models (sinter)")
    p.add_argument("--config", required=True, help="study YAML (see configs/studies/)")
    p.add_argument("--out", required=True, help="output directory; an existing one is resumed")
    b = sub.add_parser("bosonic", help="cat, GKP and hybrid codes: thresholds, photons and modes (sinter)")
    b.add_argument("--config", required=True, help="bosonic study YAML (see configs/studies/bosonic.yaml)")
    b.add_argument("--out", required=True, help="output directory; an existing one is resumed")


def main(args: argparse.Namespace) -> int:
    """Dispatch to the chosen study."""
    module, function = STUDIES[args.study]
    return int(getattr(importlib.import_module(module), function)(args) or 0)
