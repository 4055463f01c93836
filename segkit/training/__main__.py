"""``python -m segkit.training build``: write the lesson notebooks from their sources."""

import sys

from ._build import main

sys.exit(main())
