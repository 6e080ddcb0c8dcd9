"""`python -m controller --config RUN.yaml --connect ADDR`: the same as `quantacore control`."""

import sys

from quantacore.cli import main

sys.exit(main(["control", *sys.argv[1:]]))
