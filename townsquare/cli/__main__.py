"""`python -m townsquare.cli`: the `townsquare` command without its installed script."""

import sys

from townsquare.cli import main

sys.exit(main())
