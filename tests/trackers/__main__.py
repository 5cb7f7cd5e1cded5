"""``python -m trackers`` (from tests/): install the pinned recorders now, as the tests' fixture would (.ci/setup)."""

from __future__ import annotations

import sys

from trackers import TrackerBuildError, install

try:
    install()
except TrackerBuildError as error:
    sys.exit(f"trackers: {error}")
