"""`python -m emulator --config RUN.yaml --bind ADDR`: the same as `quantacore emulate`."""

import sys

from quantacore.cli import main

sys.exit(main(["emulate", *sys.argv[1:]]))
