"""``python -m harness``: the same as the ``telltale`` command."""

from __future__ import annotations

import sys

from harness.cli import main

sys.exit(main())
