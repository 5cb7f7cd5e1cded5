"""Initiators as Chromium reports them over CDP: how one reads, and which sends of a closing page have not reached
the proxy yet (browser-free: the CDP events and the capture are made by hand)."""

from __future__ import annotations

from typing import Any

from harness.capture.proxy import CapturedRequest, Recording
from harness.run.initiators import Initiators, describe


class _Context:
    def on(self, event: str, handler: Any) -> None:
        pass


def _event(method: str, url: str, kind: str, initiator: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"request": {"method": method, "url": url}, "type": kind, "initiator": initiator or {"type": "other"}}


def _captured(method: str, url: str) -> CapturedRequest:
    return CapturedRequest(1.0, method, url, (), b"", "beacon")


def test_an_initiator_reads_as_the_script_on_top_of_its_stack_or_the_parsing_document() -> None:
    stack = {"callFrames": [{"url": "", "lineNumber": 3}, {"url": "https://cdn.test/tag.js", "lineNumber": 41}]}
    assert describe({"type": "script", "stack": stack}) == "script https://cdn.test/tag.js:42"
    async_stack = {"callFrames": [], "parent": {"callFrames": [{"url": "https://app.test/a.js", "lineNumber": 0}]}}
    assert describe({"type": "script", "stack": async_stack}) == "script https://app.test/a.js:1"
    assert describe({"type": "parser", "url": "https://app.test/"}) == "parser https://app.test/"
    assert describe({"type": "other"}) == ""


def test_the_sends_a_closing_page_started_are_awaited_until_they_reach_the_proxy() -> None:
    initiators = Initiators(_Context(), enabled=False)  # type: ignore[arg-type]
    initiators._on_request(_event("POST", "https://t.test/c", "Ping"))  # a beacon sent before the page closed
    recording = Recording()
    recording.requests.append(_captured("POST", "https://t.test/c"))
    closing = 10**9  # nothing was started after this moment yet
    assert initiators.unsent(recording, closing) == []
    closing = 0.0
    initiators.sends[:] = [(closing - 1, m, u) for _, m, u in initiators.sends]  # it came before the close
    initiators._on_request(_event("POST", "https://t.test/c", "Ping"))  # the same beacon again, at pagehide
    initiators._on_request(_event("GET", "https://t.test/img.png", "Image"))  # a load, not a send: not awaited
    initiators._on_request(_event("POST", "https://clients2.google.com/x", "Fetch"))  # the browser's own: dropped
    assert initiators.unsent(recording, closing) == ["POST https://t.test/c"]
    recording.requests.append(_captured("POST", "https://t.test/c"))
    assert initiators.unsent(recording, closing) == []
