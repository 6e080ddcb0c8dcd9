import sys

from quantacore.cli import main

sys.exit(main())
