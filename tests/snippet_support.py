"""Shared test support for the snippet tests: real browsers, tests/snippet_pages served as https://shop.test, and every
batch the snippet hands to the network, decoded and schema-checked with harness.events.

Until the lead's wire proxy and its fixtures (harness/plugin.py) land, batches are collected in two ways:

* ``Shop.sent``: an init script added *before* the snippet wraps ``navigator.sendBeacon`` and ``fetch`` and writes each
  collector body, synchronously, to localStorage under keys starting ``__tttap:``; the test reads them back from the
  page. The snippet keeps the wrapped functions it found at load time, so this sees exactly what it hands to the
  network, including at pagehide: Playwright sees no request a Chromium page sends while it unloads, and over BiDi
  Firefox's routed requests carry no body.
* ``Shop.routed``: the requests that reached ``context.route`` (their bodies only in Chromium).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, Route

from harness.replay.events import Batch, Event, decode_batch, validate
from harness.resources import SHIPPED_SNIPPET

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "snippet_pages"
ORIGIN = "https://shop.test"

LAUNCHERS: dict[str, Callable[[Playwright], Browser]] = {
    "chromium": lambda p: p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"]),
    "firefox": lambda p: p.firefox.launch(channel="moz-firefox", executable_path="/usr/bin/firefox-esr"),
}

TAP_PREFIX = "__tttap:"
# Records every body the page hands to sendBeacon/fetch for a collector URL in localStorage (see the module doc).
WIRE_TAP = """(() => {
  const set = Storage.prototype.setItem, now = () => performance.timeOrigin + performance.now();
  let store = null;
  try { store = window.localStorage; } catch (e) { return; }  // an opaque origin (the first about:blank) has none
  let n = 0;
  const tap = (url, body, via) => {
    url = String(url && url.url || url);
    if (!/collect/.test(url)) return;
    let bytes = body instanceof ArrayBuffer ? new Uint8Array(body)
      : ArrayBuffer.isView(body) ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
      : new TextEncoder().encode(String(body));
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    const key = '__tttap:' + now().toFixed(3).padStart(20, '0') + ':' + (++n) + ':' + Math.random();
    set.call(store, key, via + ' ' + new URL(url, location.href).href + ' ' + btoa(bin));
  };
  const beacon = Navigator.prototype.sendBeacon;
  Navigator.prototype.sendBeacon = function (url, data) { tap(url, data, 'beacon'); return beacon.apply(this, arguments); };
  const fetch = window.fetch;
  window.fetch = function (input, init) { tap(input, init && init.body, 'fetch'); return fetch.apply(this, arguments); };
})();"""

GPC = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true, configurable: true});"

READ_TAPS = """prefix => { const s = window.localStorage, out = [];
  for (let i = 0; i < s.length; i++) { const k = s.key(i); if (k.startsWith(prefix)) out.push([k, s.getItem(k)]); }
  return out; }"""

DEFAULT_CONFIG: dict[str, Any] = {"flushInterval": 200, "debug": True}

# Response headers of particular pages.
STRICT_CSP = "default-src 'self'; script-src 'self'"
PAGE_HEADERS: dict[str, dict[str, str]] = {"csp.html": {"content-security-policy": STRICT_CSP}}


@dataclass(frozen=True)
class Sent:
    """One body the snippet handed to sendBeacon or fetch."""

    url: str
    body: bytes
    via: str  # beacon | fetch
    at: float  # epoch milliseconds when the page handed it over

    def batch(self) -> Batch:
        """The body decoded as a snippet batch."""
        return decode_batch(self.body, self.url)

    def text(self) -> str:
        """The JSON text of the body, as it travelled after gunzip."""
        return json.dumps(dict(self.batch().raw), ensure_ascii=False)


@dataclass(frozen=True)
class Routed:
    """One request to a collector path that reached context.route (body is None where the browser omits it)."""

    url: str
    method: str
    headers: dict[str, str]
    body: bytes | None


@dataclass
class Shop:
    """A browser context on https://shop.test with the snippet injected and its batches collected."""

    browser: Browser
    config: dict[str, Any] | None = field(default_factory=lambda: dict(DEFAULT_CONFIG))
    gpc: bool = False
    snippet: bool = True
    tap: bool = True
    collector_status: Callable[[Routed], int] = lambda r: 204
    before: tuple[str, ...] = ()  # init scripts that run before the snippet
    after: tuple[str, ...] = ()  # init scripts that run right after it
    browser_says: tuple[str, ...] = ()  # console text the browser itself logs in this test (e.g. a failed request)
    browser_errors: tuple[str, ...] = ()  # page errors the browser itself raises in this test (Firefox: a CSP violation)
    origin: str = ORIGIN  # where open() goes: another origin serves the same pages itself (tests/fault_collector.py)
    taps: dict[str, Sent] = field(repr=False, default_factory=dict)
    checked: dict[str, Batch] = field(repr=False, default_factory=dict)  # tap key -> decoded, validated batch
    routed: list[Routed] = field(repr=False, default_factory=list)
    console: list[str] = field(repr=False, default_factory=list)
    browser_said: list[str] = field(repr=False, default_factory=list)  # every console line, when some are let through
    errors: list[str] = field(repr=False, default_factory=list)

    def __post_init__(self) -> None:
        self.context: BrowserContext = self.browser.new_context(viewport={"width": 1000, "height": 700})
        for script in self.before + ((GPC,) if self.gpc else ()):
            self.context.add_init_script(script)
        if self.config is not None:
            self.context.add_init_script(f"window.telltaleConfig = {json.dumps(self.config)};")
        if self.tap:
            self.context.add_init_script(WIRE_TAP)
        if self.snippet:
            self.context.add_init_script(path=str(SHIPPED_SNIPPET))
        for script in self.after:
            self.context.add_init_script(script)
        self.context.route(f"{ORIGIN}/**", self._serve)
        self.page: Page = self.new_page()

    def __enter__(self) -> Shop:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.context.close()
        if kind is None:  # every test also proves the snippet is silent and throws nothing at the page
            assert self.console == [], f"console output: {self.console}"
            assert self.errors == [], f"page errors: {self.errors}"

    def new_page(self) -> Page:
        """A page of this context whose console output and page errors are collected."""
        page = self.context.new_page()
        page.on("console", self._on_console)
        page.on("pageerror", lambda e: None if any(s in str(e) for s in self.browser_errors) else self.errors.append(str(e)))
        return page

    def _on_console(self, message: ConsoleMessage) -> None:
        if self.browser_says:
            self.browser_said.append(message.text)
        # Chromium's own DOM hints ("[DOM] Password field is not contained in a form") come as 'verbose'.
        if message.type != "verbose" and not any(s in message.text for s in self.browser_says):
            self.console.append(f"{message.type}: {message.text}")

    def _serve(self, route: Route) -> None:
        request = route.request
        path = urlsplit(request.url).path
        if path.endswith("/collect"):
            routed = Routed(request.url, request.method, dict(request.headers), request.post_data_buffer)
            self.routed.append(routed)
            route.fulfill(status=self.collector_status(routed))
            return
        if path == "/telltale.js":
            route.fulfill(body=SHIPPED_SNIPPET.read_bytes(), content_type="text/javascript")
            return
        name = path.lstrip("/") or "index.html"
        for candidate in (PAGES / name, PAGES / f"{name}.html"):
            if candidate.is_file() and PAGES in candidate.resolve().parents:
                kind = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}.get(candidate.suffix, "text/html")
                route.fulfill(body=candidate.read_bytes(), content_type=kind, headers=PAGE_HEADERS.get(candidate.name, {}))
                return
        route.fulfill(status=404, body="not found", content_type="text/plain")

    def open(self, path: str = "/") -> Page:
        """Load a page of the shop and wait until its snapshot has been handed to the network."""
        before = len(self.snapshots())
        self.page.goto(self.origin + path)
        if self.snippet and self.config is not None and not self.gpc and not self.config.get("consent"):
            self.wait_for(lambda: len(self.snapshots()) > before, what=f"the snapshot of {path}")
        return self.page

    @property
    def sent(self) -> list[Sent]:
        """Every collector body handed over so far, in order (read from the page's localStorage)."""
        try:
            found = self.page.evaluate(READ_TAPS, TAP_PREFIX)
        except Exception:  # the page is between documents: keep what was read before
            found = []
        for key, value in found:
            if key not in self.taps:
                via, url, b64 = value.split(" ", 2)
                self.taps[key] = Sent(url, base64.b64decode(b64), via, float(key.split(":")[1]))
        return [self.taps[k] for k in sorted(self.taps)]

    def batches(self, retries: bool = False) -> list[Batch]:
        """Every batch sent so far, decoded and validated against harness/resources/schema.json (a violation fails the test).

        A retry repeats its batch's (sid, seq) with the same content (a keepalive fetch that the page saw fail as it
        navigated is sent again by beacon at pagehide); unless ``retries``, repeats are dropped here, and a seq reused
        for different content fails the test.
        """
        out: list[Batch] = []
        seen: dict[tuple[str, int], Batch] = {}
        self.sent  # noqa: B018  (reads new taps from the page)
        for key in sorted(self.taps):
            if key not in self.checked:
                batch = self.taps[key].batch()
                validate(batch)
                self.checked[key] = batch
            batch = self.checked[key]
            first = seen.setdefault((batch.sid, batch.seq), batch)
            if first is not batch:
                assert dict(first.raw) == dict(batch.raw), f"seq {batch.seq} reused for different content"
                if not retries:
                    continue
            out.append(batch)
        return out

    def events(self, *types: str) -> list[Event]:
        """Every event sent so far (of the given types), in batch order."""
        return [e for b in self.batches() for e in b.events if not types or e.type in types]

    def snapshots(self) -> list[Event]:
        """The snapshot events sent so far."""
        return self.events("snapshot")

    def wire_text(self) -> str:
        """Everything sent so far, decompressed, as one string (to search for values that must never leave)."""
        return "\n".join(s.body.decode("utf-8", "replace") if not s.batch().compressed else s.text() for s in self.sent)

    def wait_for(self, predicate: Callable[[], object], timeout: float = 6.0, what: str = "condition") -> None:
        """Poll (while letting the page run) until predicate() is truthy."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            self.page.wait_for_timeout(50)

    def wait_event(self, type_: str, where: Callable[[Event], bool] = lambda e: True, timeout: float = 6.0) -> Event:
        """The first sent event of a type that satisfies ``where``, waiting for it."""
        found: list[Event] = []

        def look() -> bool:
            found[:] = [e for e in self.events(type_) if where(e)]
            return bool(found)

        self.wait_for(look, timeout, what=f"a {type_!r} event")
        return found[0]

    def settle(self, ms: int = 500) -> None:
        """Let timers, sampling and the flush interval run."""
        self.page.wait_for_timeout(ms)

    def leave(self, to: str = "/thanks.html") -> None:
        """Leave the page (pagehide: the snippet's final synchronous flush) for another page of the shop."""
        self.page.goto(self.origin + to)
        self.settle(300)

    def node_id(self, selector: str) -> int:
        """The snippet node id of the element matching ``selector`` (found in the recorded snapshot by its id)."""
        dom_id = self.page.eval_on_selector(selector, "e => e.id")
        for snap in self.events("snapshot", "attach"):
            found = find_node(snap["node"], lambda n: n.get("attrs", {}).get("id") == dom_id)
            if found is not None:
                return int(found["id"])
        raise AssertionError(f"no recorded node with id={dom_id!r}")


def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every serialised node under (and including) node, shadow roots included."""
    yield node
    for kid in node.get("kids", []):
        yield from walk(kid)
    if "shadow" in node:
        yield from walk(node["shadow"])


def find_node(root: dict[str, Any], pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    """The first serialised node under root for which pred holds."""
    return next((n for n in walk(root) if pred(n)), None)


def text_of(node: dict[str, Any]) -> str:
    """All recorded text under a serialised node."""
    return "".join(n["text"] for n in walk(node) if "text" in n)


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, one per test module."""
    browser = LAUNCHERS["chromium"](playwright)
    yield browser
    browser.close()


@pytest.fixture(scope="module", params=sorted(LAUNCHERS))
def any_browser(request: pytest.FixtureRequest, playwright: Playwright) -> Iterator[Browser]:
    """Each of Debian's Chromium and Firefox ESR in turn, one per test module."""
    browser = LAUNCHERS[request.param](playwright)
    yield browser
    browser.close()


class Replay:
    """A minimal replayer: rebuilds the recorded DOM from a snapshot (or attach) node and applies mutation events.

    It raises AssertionError on an event that cannot apply (an unknown parent or anchor), which is how the tests catch
    a mutation record out of order.
    """

    def __init__(self, root: dict[str, Any]) -> None:
        self.nodes: dict[int, dict[str, Any]] = {}
        self.parents: dict[int, int] = {}
        self.root = self._index(root, None)

    def _index(self, node: dict[str, Any], parent: int | None) -> dict[str, Any]:
        copy = dict(node)
        copy["kids"] = [self._index(k, node["id"]) for k in node.get("kids", [])]
        if "shadow" in node:
            copy["shadow"] = self._index(node["shadow"], node["id"])
        copy["attrs"] = dict(node.get("attrs", {}))
        self.nodes[node["id"]] = copy
        if parent is not None:
            self.parents[node["id"]] = parent
        return copy

    def apply(self, event: Event | dict[str, Any]) -> None:
        """Apply one mutation or attach event."""
        data = event.data if isinstance(event, Event) else event
        if data["type"] == "attach":
            self.nodes[data["host"]]["attached"] = self._index(data["node"], data["host"])
            return
        for gone in data.get("removes", []):
            parent = self.nodes.get(self.parents.get(gone, -1))
            if parent is not None:
                parent["kids"] = [k for k in parent["kids"] if k["id"] != gone]
            self.parents.pop(gone, None)
        for add in data.get("adds", []):
            assert add["parent"] in self.nodes, f"add under unknown parent {add['parent']}"
            parent = self.nodes[add["parent"]]
            node = self._index(add["node"], add["parent"])
            kids = parent["kids"]
            if "before" in add:
                at = [i for i, k in enumerate(kids) if k["id"] == add["before"]]
                assert at, f"anchor {add['before']} is not a child of {add['parent']}"
                kids.insert(at[0], node)
            else:
                kids.append(node)
        for change in data.get("attrs", []):
            attrs = self.nodes[change["id"]]["attrs"]
            if change["value"] is None:
                attrs.pop(change["name"], None)
            else:
                attrs[change["name"]] = change["value"]
        for change in data.get("texts", []):
            self.nodes[change["id"]]["text"] = change["text"]

    def find(self, dom_id: str) -> dict[str, Any]:
        """The replayed element whose id attribute is dom_id."""
        return next(n for n in self.nodes.values() if n.get("attrs", {}).get("id") == dom_id)

    def outline(self, node: dict[str, Any], attr: str = "data-n") -> Any:
        """[tag, value of attr, [kids]] for elements, the text for text nodes (compare with OUTLINE in the page)."""
        if "text" in node:
            return node["text"]
        return [node.get("tag"), node["attrs"].get(attr), [self.outline(k, attr) for k in node["kids"]]]


# The live counterpart of Replay.outline, evaluated in the page on an element.
OUTLINE = """(el, attr) => {
  const walk = n => n.nodeType === 3 ? n.data
    : n.nodeType !== 1 || ['script', 'noscript', 'template'].includes(n.localName) ? null
    : [n.localName, n.getAttribute(attr), n.localName === 'textarea' ? [] : [...n.childNodes].map(walk).filter(x => x !== null)];
  return walk(el);
}"""
