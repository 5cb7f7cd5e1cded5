"""The inert replay page: a recorded page view rebuilt in a sandboxed page of the same browser, at any moment.

A :class:`Replay` owns one browser context of its own. Its page is a shell holding one
``<iframe sandbox="allow-same-origin">`` (no ``allow-scripts``) under a ``default-src 'none'`` CSP; the replayer
(``replayer.js``, the harness's own code) builds the recorded DOM inside that frame from outside it. So nothing
recorded can run, and whatever tried to load would be refused twice: by the CSP, and by a route on the context that
aborts every request and counts it (``page.on("request")`` counts too). A replay must end with both counts at zero.

Stylesheets and images the page used are assets of the site the harness served (:class:`AssetResolver`); they are
put inline (a ``<style>``, a ``data:`` URL) before the replayer sees them, so the replay itself fetches nothing.
"""

from __future__ import annotations

import base64
import bisect
import mimetypes
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Request, Route

from harness.capture.site import Site
from harness.replay.session import PageView, TimedEvent
from harness.resources import resource_text, sensitive_markers

REPLAYER_JS = resource_text("replayer.js")

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
SHELL = (
    '<!DOCTYPE html><html><head><meta charset="utf-8">'
    f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    "<style>html,body{margin:0;padding:0;overflow:hidden;background:#fff}"
    "#tt-replay{position:fixed;left:0;top:0;width:100%;height:100%;border:0;display:block}</style>"
    '</head><body><iframe id="tt-replay" sandbox="allow-same-origin" title="replay"></iframe></body></html>'
)

# Markers the snippet honours as "sensitive", as attribute or class (the one list: harness/resources/markers.json).
SENSITIVE_MARKS: tuple[str, ...] = sensitive_markers()

# Element attributes that name an asset the replay may show inline, by element.
_ASSET_ATTRS: Mapping[str, tuple[str, ...]] = {
    "link": ("href",), "img": ("src",), "source": ("src",), "input": ("src",), "video": ("poster",),
    "image": ("href", "xlink:href"),
}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE)
_MAX_INLINE_BYTES = 2_000_000  # an asset larger than this is left out rather than inlined


@dataclass(frozen=True)
class MaskRegion:
    """A part of the replay the snippet hid: a form field, an element marked sensitive, or masked text."""

    kind: str  # field | sensitive | masked-text (harness: painted over in the live screenshot, see visual.py)
    what: str  # e.g. input#password[type=text]
    x: float
    y: float
    w: float
    h: float

    def box(self, pad: float, width: int, height: int) -> tuple[int, int, int, int] | None:
        """Pixel bounds ``(x0, y0, x1, y1)`` grown by ``pad`` and clipped to the frame, or None when off-frame."""
        x0, y0 = max(0, int(self.x - pad)), max(0, int(self.y - pad))
        x1, y1 = min(width, int(self.x + self.w + pad + 0.999)), min(height, int(self.y + self.h + pad + 0.999))
        return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "what": self.what, "box": [round(v, 1) for v in (self.x, self.y, self.w, self.h)]}


@dataclass(frozen=True)
class Located:
    """An element found in the replay by a scenario selector: where it is, and what it holds."""

    what: str
    value: str = field(repr=False)
    text: str = field(repr=False)
    x: float
    y: float
    w: float
    h: float


class AssetResolver:
    """Stylesheets and images of the served site, as inline text or ``data:`` URLs (nothing else is resolved)."""

    def __init__(self, site: Site | None) -> None:
        self.site = site
        self._cache: dict[str, dict[str, str] | None] = {}

    def _file(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if self.site is None or parts.scheme not in ("http", "https") or (parts.hostname or "") not in self.site.hosts:
            return None
        return self.site.file_for(parts.path or "/")

    def _data_url(self, url: str) -> str | None:
        path = self._file(url)
        if path is None or path.stat().st_size > _MAX_INLINE_BYTES:
            return None
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if not kind.startswith(("image/", "font/")):
            return None
        return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"

    def resolve(self, url: str, stylesheet: bool) -> dict[str, str] | None:
        """``{"css": text}`` for a stylesheet (its own url()s inlined), ``{"data": url}`` for an image."""
        key = ("css:" if stylesheet else "data:") + url
        if key not in self._cache:
            asset: dict[str, str] | None = None
            if stylesheet:
                path = self._file(url)
                if path is not None and path.suffix == ".css":
                    text = path.read_text(encoding="utf-8", errors="replace")
                    asset = {"css": _CSS_URL.sub(lambda m: self._inline(m, url), text)}
            else:
                data = self._data_url(url)
                asset = {"data": data} if data else None
            self._cache[key] = asset
        return self._cache[key]

    def _inline(self, match: re.Match[str], base: str) -> str:
        target = match.group(2)
        if target.startswith("data:"):
            return match.group(0)
        data = self._data_url(urljoin(base, target))
        return f'url("{data}")' if data else "none"

    def for_view(self, view: PageView) -> dict[str, dict[str, str]]:
        """Every asset the page view's recorded DOM refers to, by absolute URL."""
        assets: dict[str, dict[str, str]] = {}
        for tag, attrs in _elements(view):
            for name in _ASSET_ATTRS.get(tag, ()):
                value = attrs.get(name)
                if not isinstance(value, str) or not value:
                    continue
                stylesheet = tag == "link"
                if stylesheet and "stylesheet" not in str(attrs.get("rel", "")).lower().split():
                    continue
                url = urljoin(view.url, value)
                asset = self.resolve(url, stylesheet)
                if asset:
                    assets[url] = asset
        return assets


def _nodes(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield node
    for kid in node.get("kids", ()) or ():
        yield from _nodes(kid)
    if isinstance(node.get("shadow"), Mapping):
        yield from _nodes(node["shadow"])


def _elements(view: PageView) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(tag, attrs) of every element the page view ever held (snapshot, attached roots, added nodes)."""
    for timed in view.events:
        event = timed.event
        roots = [event.get("node")] if event.type in ("snapshot", "attach") else [a.get("node") for a in event.get("adds", ())]
        for root in roots:
            if isinstance(root, Mapping):
                for node in _nodes(root):
                    if "tag" in node:
                        yield str(node["tag"]).lower(), node.get("attrs") or {}


def _plain(value: Any) -> Any:
    """An event as plain JSON for the page (decoded events are read-only mappings)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def pointer_track(view: PageView) -> list[tuple[float, int, int]]:
    """Every known pointer position of a page view (moves and clicks), as (harness ms, x, y), in time order."""
    track: list[tuple[float, int, int]] = []
    for timed in view.events:
        event = timed.event
        if event.type == "move":
            track += [(timed.at_ms + float(dt), int(x), int(y)) for dt, x, y in event.get("path", ())]
        elif event.type == "click":
            track.append((timed.at_ms, int(event["x"]), int(event["y"])))
    track.sort(key=lambda p: p[0])
    return track


class Replay:
    """An inert replay page in ``browser``: show a page view as it was at any moment, and read it back."""

    def __init__(self, browser: Browser, assets: AssetResolver | None = None, width: int = 1280, height: int = 720) -> None:
        self.assets = assets or AssetResolver(None)
        self.requests: list[str] = []  # every request the replay page attempted (all refused)
        self.routed: list[str] = []  # ... of which got past the CSP to the context's route (aborted there)
        self.refused_by_policy: list[str] = []  # ... of which the CSP refused (Chromium reports these, Firefox not)
        self.context: BrowserContext = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, service_workers="block",
            java_script_enabled=True,  # for the replayer only: the recorded DOM lives in a frame without allow-scripts
        )
        self.context.route("**/*", self._refuse)
        self.page: Page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfailed", self._failed)
        self.page.set_content(SHELL)
        self.page.evaluate(REPLAYER_JS)
        self.size = (width, height)
        self._view: PageView | None = None
        self._times: list[float] = []
        self._next = 0
        self._t = float("-inf")
        self._track: list[tuple[float, int, int]] = []
        self.failed_events = 0

    def _refuse(self, route: Route, request: Request) -> None:
        self.routed.append(request.url)
        route.abort("blockedbyclient")

    def _failed(self, request: Request) -> None:
        if "csp" in (request.failure or "").lower():
            self.refused_by_policy.append(request.url)

    def close(self) -> None:
        self.context.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, view: PageView) -> None:
        """Start over with ``view``: an empty document, the viewport the page had, nothing applied yet."""
        width, height = (view.width, view.height) if view.width and view.height else self.size
        if (width, height) != self.size:
            self.page.set_viewport_size({"width": width, "height": height})
            self.size = (width, height)
        self.page.evaluate("([base, assets]) => __ttReplay.reset(base, assets)", [view.url, self.assets.for_view(view)])
        self._view, self._times, self._next, self._t = view, [e.at_ms for e in view.events], 0, float("-inf")
        self._track = pointer_track(view)

    def show(self, view: PageView, t_ms: float) -> None:
        """Show ``view`` as it was at ``t_ms`` (harness clock): every event up to then applied, in order."""
        if view is not self._view or t_ms < self._t:
            self.load(view)
        end = bisect.bisect_right(self._times, t_ms)
        pending = view.events[self._next:end]
        if pending:
            self._apply(pending)
        self._next, self._t = max(self._next, end), t_ms
        self._point(t_ms)

    @property
    def applied(self) -> int:
        """How many of the current page view's events are applied."""
        return self._next

    @property
    def inferred_scrolls(self) -> int:
        """Window scrolls the replayer inferred from clicks since the page view was loaded (lost scroll samples)."""
        return int(self.page.evaluate("() => __ttReplay.inferred"))

    def _apply(self, events: list[TimedEvent]) -> None:
        for timed in events:
            if timed.type == "resize":
                width, height = int(timed.event["w"]), int(timed.event["h"])
                if width and height:
                    self.page.set_viewport_size({"width": width, "height": height})
                    self.size = (width, height)
        plain = [_plain(e.event.data) for e in events]
        self.failed_events += int(self.page.evaluate("(events) => __ttReplay.apply(events)", plain))

    def scroll_track(self, view: PageView) -> list[tuple[float, int, int]]:
        """The window's scroll after each event of ``view`` as the replay has it (clicks correct lost samples)."""
        self.load(view)
        plain = [_plain(e.event.data) for e in view.events]
        after = self.page.evaluate("(events) => __ttReplay.applyTracked(events)", plain)
        self._next, self._t = len(view.events), view.end_ms
        return [(e.at_ms, int(x), int(y)) for e, (x, y) in zip(view.events, after)]

    def _point(self, t_ms: float) -> None:
        """Put the replay's pointer where the visitor's was, so that :hover looks the same."""
        index = bisect.bisect_right([p[0] for p in self._track], t_ms) - 1
        if index >= 0:
            _, x, y = self._track[index]
            self.page.mouse.move(x, y)

    def screenshot(self, path: Path | None = None, full_page: bool = False) -> bytes:
        """The replay as PNG bytes (also written to ``path``); ``full_page`` shows the whole page, unscrolled."""
        if full_page:
            self.page.evaluate("() => __ttReplay.fullHeight(true)")
        try:
            return self.page.screenshot(
                path=str(path) if path else None, animations="disabled", caret="hide", full_page=full_page
            )
        finally:
            if full_page:
                self.page.evaluate("() => __ttReplay.fullHeight(false)")

    def masks(self) -> list[MaskRegion]:
        """What the replay knows is hidden (fields, sensitive elements, masked text), in viewport pixels."""
        found = self.page.evaluate("(marks) => __ttReplay.masks(marks)", list(SENSITIVE_MARKS))
        return [MaskRegion(m["kind"], m["what"], m["x"], m["y"], m["w"], m["h"]) for m in found]

    def text(self) -> str:
        """All text the replay DOM holds: text nodes, attribute values and form values, in every root."""
        return str(self.page.evaluate("() => __ttReplay.text()"))

    def locate(self, selector: str) -> Located | None:
        """The element a scenario selector names, in the replay (CSS parts, ``>>``, shadow roots, frames)."""
        found = self.page.evaluate("(s) => __ttReplay.locate(s)", selector)
        if not found:
            return None
        return Located(found["what"], found["value"], found["text"], found["x"], found["y"], found["w"], found["h"])

    def page_size(self) -> tuple[int, int]:
        size = self.page.evaluate("() => __ttReplay.size()")
        return int(size["width"]), int(size["height"])

    def scroll(self) -> tuple[int, int]:
        pos = self.page.evaluate("() => __ttReplay.scroll()")
        return int(pos["x"]), int(pos["y"])

    def neutralised(self) -> dict[str, int]:
        """What the replayer dropped from the recording because it could run or load something, by kind."""
        return {str(k): int(v) for k, v in self.page.evaluate("() => __ttReplay.neutralised").items()}
