"""The vendor's replay: a session in rrweb's format shown by rrweb's own Replayer, in the inert replay page.

What the vendor's staff will see of a run whose tracker records with rrweb (rrweb itself, or a vendor built on it).
The replayer is rrweb's, from the pinned npm package (``snippet/build-rrweb.mjs`` bundles it into
``resources/rrweb-replay.min.js``, with rrweb's MIT license). It runs in the same inert page as ours
(:class:`harness.replay.page.Replay`: its own context, every request aborted and counted, a ``default-src 'none'``
CSP); rrweb builds the recorded page in an ``<iframe sandbox="allow-same-origin">`` (no ``allow-scripts``), and the
bundle takes every URL that would load something out of the events first. The page's own readers (masks, text,
locate) then read rrweb's frame, so the fidelity and redaction checks are the same as for our own replay.

Times: rrweb stamps events with the page's clock (epoch ms), the harness with milliseconds since the run started;
both are the machine's wall clock, so a harness moment ``t`` is ``wall_started + t`` on rrweb's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from playwright.sync_api import Browser

from harness.privacy.vendors import RrwebEvent
from harness.replay.page import SENSITIVE_MARKS, MaskRegion, Replay
from harness.resources import resource_text

RRWEB_JS: Final = resource_text("rrweb-replay.min.js")
META: Final = 4  # rrweb's EventType.Meta: the page's URL and viewport
FULL_SNAPSHOT: Final = 2  # rrweb's EventType.FullSnapshot: the page's DOM
# rrweb's own classes for elements it blocks (a blank box in the replay) and text it masks.
RRWEB_MARKS: Final = ("rr-block", "rr-mask")
# rrweb's wrapper around its frame, without its stylesheet: at the top left, no border, no drawn cursor.
_LAYOUT: Final = (
    "#tt-replay{display:none}"
    ".replayer-wrapper{position:fixed;left:0;top:0}"
    ".replayer-wrapper>iframe{border:0;display:block}"
    ".replayer-mouse,.replayer-mouse-tail{display:none}"
)


def replayable(events: Sequence[RrwebEvent]) -> bool:
    """Whether rrweb can show anything of ``events``: a page's meta and DOM."""
    kinds = {e["type"] for e in events}
    return META in kinds and FULL_SNAPSHOT in kinds


def viewport(events: Sequence[RrwebEvent]) -> tuple[int, int]:
    """The viewport of the first recorded page (rrweb's meta event), or 1280x720 when it gives none."""
    for event in events:
        if event["type"] == META:
            width, height = event["data"].get("width"), event["data"].get("height")
            if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
                return width, height
    return 1280, 720


def page_at(events: Sequence[RrwebEvent], at: float) -> str | None:
    """The URL of the page on screen at ``at`` (rrweb's clock), or None before the first page was recorded."""
    url = None
    for event in events:
        if event["timestamp"] > at:
            break
        if event["type"] == META:
            url = str(event["data"].get("href", ""))
    return url


class RrwebReplay(Replay):
    """rrweb's Replayer in an inert replay page: show a recorded rrweb session as it was at any moment."""

    def __init__(self, browser: Browser, events: Sequence[RrwebEvent], wall_started_ms: float) -> None:
        width, height = viewport(events)
        super().__init__(browser, None, width, height)
        self.events = list(events)
        self.wall_started_ms = wall_started_ms
        self.start: float | None = None  # the first event's time (rrweb's clock), once loaded by the first show

    def _load(self) -> float:
        """rrweb's replayer in the page, the session loaded; the first event's time (rrweb's clock)."""
        self.page.evaluate(RRWEB_JS)
        return float(self.page.evaluate(
            """([events, layout]) => {
                 const style = document.createElement('style');
                 style.textContent = layout;
                 document.head.appendChild(style);
                 const root = document.createElement('div');
                 root.id = 'tt-rrweb';
                 document.body.appendChild(root);
                 return __ttRrweb.load(events, root);
               }""",
            [self.events, _LAYOUT],
        ))

    def show_at(self, t_ms: float) -> str | None:
        """Show the session as it was at ``t_ms`` (harness clock); the URL of the page shown, or None before any."""
        at = self.wall_started_ms + t_ms
        url = page_at(self.events, at)
        if url is None:
            return None
        if self.start is None:
            self.start = self._load()
        # The page's readers (masks, text, locate) read the frame rrweb built; two frames let its layout settle.
        self.page.evaluate(
            """(offset) => new Promise((done) => {
                 __ttReplay.frame = __ttRrweb.pause(offset);
                 requestAnimationFrame(() => requestAnimationFrame(done));
               })""",
            max(0.0, at - self.start),
        )
        return url

    @property
    def inferred_scrolls(self) -> int:
        return 0  # rrweb places scrolls from its own events: none are inferred

    def masks(self) -> list[MaskRegion]:
        """Form fields, elements marked sensitive (our markers and rrweb's classes), in viewport pixels."""
        found = self.page.evaluate("(marks) => __ttReplay.masks(marks)", [*SENSITIVE_MARKS, *RRWEB_MARKS])
        return [MaskRegion(m["kind"], m["what"], m["x"], m["y"], m["w"], m["h"]) for m in found]

    def neutralised(self) -> dict[str, int]:
        """What was taken out of the events before rrweb saw them, because it could load or run something (nothing
        when no checkpoint needed the session loaded)."""
        if self.start is None:
            return {}
        return {str(k): int(v) for k, v in self.page.evaluate("() => __ttRrweb.neutralised").items()}


__all__ = ["FULL_SNAPSHOT", "META", "RRWEB_JS", "RrwebReplay", "page_at", "replayable", "viewport"]
