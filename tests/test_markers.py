"""One list of sensitive markers, harness/resources/markers.json, and every consumer honours exactly it: the shipped
snippet (its build bundles the file), the page probe (harness.resources.page_probe_js puts the list in) and the
replayer (harness/replay/page.py hands it over), in Chromium and Firefox.

"Exactly" is checked on behaviour: every name-like word of a consumer's shipped text (so any list it might carry of
its own) is tried as an attribute and as a class; the words that make an element sensitive must be the file's
markers, no more and no fewer, as attribute and as class, in any case.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser
from snippet_support import Shop, any_browser  # noqa: F401  (module-scoped browser fixture)

from harness.capture.proxy import CapturedRequest, Recording
from harness.replay.page import SENSITIVE_MARKS, AssetResolver, Replay
from harness.replay.session import Session, decode_session
from harness.resources import (
    MARKERS,
    PROBE_MARKERS_PLACEHOLDER,
    SHIPPED_SNIPPET,
    page_probe_js,
    resource_path,
    resource_text,
    sensitive_markers,
)

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", re.IGNORECASE)  # a valid attribute name and class token
MARKED = {m.lower() for m in sensitive_markers()}

# The files a copy of the list would live in.
CONSUMERS = [
    *sorted((ROOT / "snippet" / "src").rglob("*.js")),
    resource_path("page_probe.js"),
    resource_path("replayer.js"),
    ROOT / "harness" / "replay" / "page.py",
]


def candidates(*texts: str) -> list[str]:
    """Every name-like word of the texts, and the markers, each in the spelling found."""
    return sorted({w for text in texts for w in NAME.findall(text)} | set(sensitive_markers()))


def assert_honours_exactly(who: str, rows: list[list[Any]]) -> None:
    """rows: [name, sensitive as attribute, sensitive as class]; the names that made an element sensitive, each way,
    must be the file's markers."""
    for way, column in (("attribute", 1), ("class", 2)):
        got = {str(row[0]).lower() for row in rows if row[column]}
        assert got == MARKED, (
            f"{who} drifted from markers.json (as {way}): "
            f"honours what the file lacks {sorted(got - MARKED)}, misses {sorted(MARKED - got)}"
        )


def test_the_file_is_a_list_of_distinct_names() -> None:
    data = json.loads(MARKERS.read_text(encoding="utf-8"))
    markers = data["markers"]
    assert isinstance(data.get("description"), str) and markers, data
    bad = [m for m in markers if not isinstance(m, str) or not NAME.fullmatch(m)]
    assert not bad, f"not usable as attribute name and class: {bad}"
    assert len(MARKED) == len(markers), f"listed twice (case does not count): {markers}"
    assert sensitive_markers() == SENSITIVE_MARKS == tuple(markers)


def test_no_consumer_keeps_a_copy_of_the_list() -> None:
    copies = [
        f"{path.relative_to(ROOT)}: {marker}"
        for path in CONSUMERS
        for marker in sorted(MARKED)
        if re.search(rf"(?<![\w-]){re.escape(marker)}(?![\w-])", path.read_text(encoding="utf-8"), re.IGNORECASE)
    ]
    assert not copies, "marker names outside harness/resources/markers.json:\n" + "\n".join(copies)


# For each name: is an element sensitive with it as attribute, and with it as a class (upper-cased, among others)?
SNIPPET_ROWS = """names => names.map(n => {
  const byAttr = document.createElement('span'), byClass = document.createElement('span');
  byAttr.setAttribute(n, '');
  byClass.className = 'plain ' + n.toUpperCase() + ' other';
  return [n, telltale._classify(byAttr) === 2, telltale._classify(byClass) === 2];
})"""


def test_the_shipped_snippet_honours_exactly_the_file(any_browser: Browser) -> None:  # noqa: F811
    names = candidates(SHIPPED_SNIPPET.read_text(encoding="utf-8"))
    with Shop(any_browser) as shop:  # debug mode: telltale._classify
        rows = shop.open("/form.html").evaluate(SNIPPET_ROWS, names)
    assert_honours_exactly("the shipped snippet", rows)


PROBE_ROWS = """names => names.map(n => {
  const byAttr = document.createElement('span'), byClass = document.createElement('span');
  byAttr.setAttribute(n, '');
  byClass.className = 'plain ' + n.toUpperCase() + ' other';
  return [n, __telltaleProbe.classify(byAttr).sensitive, __telltaleProbe.classify(byClass).sensitive];
})"""


def test_the_page_probe_honours_exactly_the_file(any_browser: Browser) -> None:  # noqa: F811
    from harness.run.runner import PROBE_JS  # what the harness injects

    assert page_probe_js() == PROBE_JS and PROBE_MARKERS_PLACEHOLDER in resource_text("page_probe.js")
    names = candidates(PROBE_JS)
    with Shop(any_browser, snippet=False, tap=False, config=None, before=(PROBE_JS,)) as shop:
        rows = shop.open("/form.html").evaluate(PROBE_ROWS, names)
    assert_honours_exactly("the page probe", rows)


def _session_of(body: list[dict[str, Any]]) -> Session:
    """A recorded page view whose body holds the given nodes (ids from 10 on)."""
    html = {"id": 2, "tag": "html", "kids": [{"id": 3, "tag": "body", "kids": body}]}
    events = [
        {"type": "meta", "t": 0, "url": "https://shop.test/marks.html", "title": "Marks", "w": 1000, "h": 700, "dpr": 1},
        {"type": "snapshot", "t": 1, "node": {"id": 1, "root": "doc", "doctype": {"name": "html", "publicId": "", "systemId": ""}, "kids": [html]}},
    ]
    batch = {"v": 2, "sid": "0" * 32, "seq": 1, "page": "d" * 16, "t0": 1_800_000_000_000, "dropped": 0, "events": events}
    request = CapturedRequest(1000.0, "POST", "https://shop.test/telltale/collect?z=gzip", (), gzip.compress(json.dumps(batch).encode()), "fetch")
    return decode_session(Recording(started=0.0, wall_started=1_800_000_000.0 - 0.5, requests=[request]))


def test_the_replayer_masks_exactly_the_file(browser: Browser) -> None:
    names = candidates(resource_text("replayer.js"), (ROOT / "harness" / "replay" / "page.py").read_text(encoding="utf-8"))
    body: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        for how, attrs in (("a", {name: ""}), ("c", {"class": f"plain {name.upper()} other"})):
            attrs = {**attrs, "id": f"{how}{i}"}
            body.append({"id": 10 + len(body) * 2, "tag": "span", "attrs": attrs, "kids": [{"id": 11 + len(body) * 2, "text": "x "}]})
    (view,) = _session_of(body).pages
    with Replay(browser, AssetResolver(None), width=1000, height=700) as replay:
        replay.show(view, view.end_ms + 1)
        sensitive = {m.what.split("#")[1] for m in replay.masks() if m.kind == "sensitive"}
    rows = [[name, f"a{i}" in sensitive, f"c{i}" in sensitive] for i, name in enumerate(names)]
    assert_honours_exactly("the replayer", rows)
