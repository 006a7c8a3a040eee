"""``python -m blotquant``."""

from __future__ import annotations

import sys

from blotquant.cli import main

sys.exit(main())
