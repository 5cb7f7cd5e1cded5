"""Files the harness ships inside its package, read with :mod:`importlib.resources` so a wheel works anywhere.

- ``telltale.min.js``: the snippet sites add with one script tag and the harness injects by default, built from
  ``snippet/src/`` (``npm --prefix snippet run build``) and committed; a test checks that it is current.
- ``schema.json``: the wire format the snippet sends and :mod:`harness.replay.events` validates.
- ``page_probe.js``: injected before any page script; reports form submissions and records timers. Injected as
  :func:`page_probe_js` makes it, with the marker list put in.
- ``scan_fields.js``: evaluated by ``telltale scan`` in every frame: the fields a person types into, in the document
  and its open shadow roots, as the page probe classifies them (:mod:`harness.scan.fields`).
- ``replayer.js``: rebuilds a recorded page inside the inert replay page.
- ``rrweb-replay.min.js``: rrweb's own replayer (the pinned npm package, MIT), for the vendor's replay of an rrweb
  session in the same inert page; built by ``snippet/build-rrweb.mjs`` and committed; a test checks that it is current.
- ``init/``: the files ``telltale init`` writes into a new project (:mod:`harness.init`).
- ``markers.json``: the attribute and class names that mark an element sensitive. The one list: the snippet's build
  bundles it, the page probe and the replayer (:func:`sensitive_markers`) read it.
"""

from __future__ import annotations

import json
from functools import cache
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
MARKERS: Final = resource_path("markers.json")
PROBE_MARKERS_PLACEHOLDER: Final = "__MARKERS__"  # in page_probe.js, where the marker list goes


@cache
def sensitive_markers() -> tuple[str, ...]:
    """The names that mark an element and its subtree sensitive, as attribute or class, matched without regard to
    case (``markers.json``)."""
    markers = json.loads(resource_text("markers.json"))["markers"]
    if not isinstance(markers, list) or not all(isinstance(m, str) and m for m in markers):
        raise ValueError(f"markers.json: expected a list of names under 'markers', got {markers!r}")
    return tuple(markers)


@cache
def page_probe_js() -> str:
    """``page_probe.js`` as the harness injects it: the marker list of ``markers.json`` in its placeholder."""
    text = resource_text("page_probe.js")
    found = text.count(PROBE_MARKERS_PLACEHOLDER)
    if found != 1:
        raise ValueError(f"page_probe.js: expected the placeholder {PROBE_MARKERS_PLACEHOLDER} once, got {found}")
    return text.replace(PROBE_MARKERS_PLACEHOLDER, json.dumps(list(sensitive_markers())))


__all__ = [
    "MARKERS", "PROBE_MARKERS_PLACEHOLDER", "SCHEMA", "SHIPPED_SNIPPET", "page_probe_js", "resource_path",
    "resource_text", "sensitive_markers",
]
