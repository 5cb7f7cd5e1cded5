"""Files the harness ships inside its package, read with :mod:`importlib.resources` so a wheel works anywhere.

- ``telltale.min.js``: the snippet sites add with one script tag and the harness injects by default, built from
  ``snippet/src/`` (``npm --prefix snippet run build``) and committed; a test checks that it is current.
- ``schema.json``: the wire format the snippet sends and :mod:`harness.replay.events` validates.
- ``page_probe.js``: injected before any page script; reports form submissions to the harness.
- ``replayer.js``: rebuilds a recorded page inside the inert replay page.
- ``init/``: the files ``telltale init`` writes into a new project (:mod:`harness.init`).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Final

_ROOT: Final = files(__name__)


def resource_path(name: str) -> Path:
    """A shipped file on disk (package data is installed as plain files, editable or from a wheel)."""
    return Path(str(_ROOT.joinpath(name)))


def resource_text(name: str) -> str:
    """A shipped text file's contents."""
    return _ROOT.joinpath(name).read_text(encoding="utf-8")


SHIPPED_SNIPPET: Final = resource_path("telltale.min.js")
SCHEMA: Final = resource_path("schema.json")

__all__ = ["SCHEMA", "SHIPPED_SNIPPET", "resource_path", "resource_text"]
