"""Which script sent each request, where the browser can say: Chromium names a request's initiator over CDP.

Listening changes nothing the page sees: the DevTools protocol's Network domain only reports. Other browsers say
nothing, and their requests keep an empty initiator.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from harness.capture.proxy import Recording


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
        self.seen.append((str(request.get("method", "")), str(request.get("url", "")),
                          describe(event.get("initiator", {}))))

    def apply(self, recording: Recording) -> None:
        """Give each captured request the initiator of the same method and URL, first come first served."""
        pending = [entry for entry in self.seen if entry[2]]
        for i, request in enumerate(recording.requests):
            match = next((j for j, (m, u, _) in enumerate(pending) if m == request.method and u == request.url), None)
            if match is not None:
                recording.requests[i] = dataclasses.replace(request, initiator=pending.pop(match)[2])
