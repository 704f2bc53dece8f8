"""`python -m bcanalysis` is the `bcanalysis` command."""

import sys

from bcanalysis.cli import main

sys.exit(main())
