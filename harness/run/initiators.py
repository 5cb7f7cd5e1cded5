"""Which script sent each request, where the browser can say: Chromium names a request's initiator over CDP.

Listening changes nothing the page sees: the DevTools protocol's Network domain only reports. Other browsers say
nothing, and their requests keep an empty initiator. What Chromium reports also tells the runner which requests a
closing page started (its goodbye beacons), so it can wait for them to reach the proxy.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from harness.capture.proxy import Recording
from harness.capture.site import is_background_host

# Request types a page sends data with (CDP's ResourceType); loads a closing page starts are not waited for.
_SENDS = frozenset({"Ping", "Fetch", "XHR", "Other"})


def describe(initiator: dict[str, Any]) -> str:
    """One CDP ``Initiator`` as a line: the script on top of its stack, else the document that parsed it in."""
    kind = str(initiator.get("type", ""))
    stack = initiator.get("stack") or {}
    while stack:
        frames = [frame for frame in stack.get("callFrames", []) if frame.get("url")]
        if frames:
            top = frames[0]
            return f"script {top['url']}:{int(top.get('lineNumber', 0)) + 1}"
        stack = stack.get("parent") or {}
    if initiator.get("url"):
        return f"{kind} {initiator['url']}"
    return ""


class Initiators:
    """Collects the initiator of every request the context's pages start (Chromium); :meth:`apply` puts them on
    the captured requests."""

    def __init__(self, context: BrowserContext, enabled: bool) -> None:
        self.seen: list[tuple[str, str, str]] = []  # (method, url, initiator), in the order requests started
        self.sends: list[tuple[float, str, str]] = []  # (monotonic time, method, url) of each send it started
        self._context = context
        if enabled:
            context.on("page", self._attach)

    def _attach(self, page: Page) -> None:
        try:
            session = self._context.new_cdp_session(page)
            session.on("Network.requestWillBeSent", self._on_request)
            session.send("Network.enable")
        except PlaywrightError:
            pass  # the page closed as it opened: nothing of it to attribute

    def _on_request(self, event: dict[str, Any]) -> None:
        request = event.get("request", {})
        method, url = str(request.get("method", "")), str(request.get("url", ""))
        self.seen.append((method, url, describe(event.get("initiator", {}))))
        if event.get("type") in _SENDS and url.startswith(("http://", "https://")):
            self.sends.append((time.monotonic(), method, url))

    def unsent(self, recording: Recording, since: float) -> list[str]:
        """Sends the browser started at or after ``since`` (monotonic) that have not reached the proxy yet."""
        arrived = Counter((r.method, r.url) for r in recording.requests)
        started = Counter((m, u) for t, m, u in self.sends if t >= since and not is_background_host(urlsplit(u).hostname or ""))
        before = Counter((m, u) for t, m, u in self.sends if t < since)
        return [f"{m} {u}" for (m, u), n in started.items() if arrived[(m, u)] < before[(m, u)] + n]

    def apply(self, recording: Recording) -> None:
        """Give each captured request the initiator of the same method and URL, first come first served."""
        pending = [entry for entry in self.seen if entry[2]]
        for i, request in enumerate(recording.requests):
            match = next((j for j, (m, u, _) in enumerate(pending) if m == request.method and u == request.url), None)
            if match is not None:
                recording.requests[i] = dataclasses.replace(request, initiator=pending.pop(match)[2])

