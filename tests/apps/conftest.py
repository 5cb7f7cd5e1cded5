"""Keeps the shop app's scenarios out of a run that has no app to run them against.

``scenarios/*.yaml`` here use URLs relative to the app's base URL, so they mean something only with
``--base-url`` (pytest-playwright's option). Without it, the plugin would collect them as scenario files and fail
the whole run on their relative ``start``.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.parent.name == "scenarios" and collection_path.suffix in (".yaml", ".yml"):
        return None if config.getoption("base_url", None) else True
    return None
