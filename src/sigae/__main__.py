"""`python -m sigae`: the command line, as the `sigae` script runs it."""

import sys

from sigae.cli import main

sys.exit(main())
