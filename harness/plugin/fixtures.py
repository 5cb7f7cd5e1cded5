"""Fixtures for scenarios written in Python, built on pytest-playwright's fixture ladder.

``tracked_page`` is a page with the snippet injected and its traffic captured at the wire; ``capture`` is what
was recorded; ``privacy`` runs the privacy rules. Registered by the plugin after every entry-point plugin, so
the overrides of ``playwright``, ``browser_type_launch_args`` and ``browser_context_args`` take precedence.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright

from harness.capture.proxy import CapturedRequest, CaptureProxy, Recording, Tap, WebSocketFrame, wait_for_quiet
from harness.errors import BrowserLaunchError
from harness.plugin.session import session_of
from harness.privacy.protected import Guarded
from harness.privacy.rules import Evidence, Finding, evaluate_evidence
from harness.run import browsers
from harness.run.runner import instrument
from harness.run.timeline import Timeline

ARRIVAL_LIMIT_S = 30.0  # a generous bound: only a broken page or proxy takes this long
ARRIVAL_POLL_S = 0.05


@dataclass
class Capture:
    """What the proxy recorded for one test, and the page-side timeline (form submits)."""

    tap: Tap
    recording: Recording
    timeline: Timeline

    @property
    def requests(self) -> list[CapturedRequest]:
        return self.recording.requests

    @property
    def frames(self) -> list[WebSocketFrame]:
        return self.recording.frames

    def __repr__(self) -> str:
        return f"<Capture requests={len(self.recording.requests)} frames={len(self.recording.frames)}>"

    def settle(self) -> Capture:
        """Wait until the network is quiet (bounded), then return self."""
        wait_for_quiet(self.recording)
        return self

    def wait_for(self, arrived: Callable[[Capture], object], what: str, timeout_s: float = ARRIVAL_LIMIT_S) -> Capture:
        """Wait until ``arrived(self)`` holds, then return self; fail naming ``what`` after ``timeout_s``.

        For what a test expects to reach the wire: a quiet spell (:meth:`settle`) ends early when the browser is
        slow to send, as it is on a loaded machine."""
        deadline = time.monotonic() + timeout_s
        while not arrived(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what} at the wire: {self!r}")
            time.sleep(ARRIVAL_POLL_S)  # the proxy records in its own thread
        return self


class PrivacyCheck:
    """The ``privacy`` fixture: runs the rules over a test's capture for the values a test names."""

    def __init__(self, capture: Capture) -> None:
        self.capture = capture

    def findings(self, sensitive: Iterable[str] = (), shown: Iterable[str] = (), optouts: Iterable[float] = ()) -> list[Finding]:
        """Findings for ``sensitive`` values (never to be sent) and ``shown`` ones, over everything captured."""
        guarded = [Guarded(v, f"value {i + 1}", "declared sensitive by the test", "text", True, False, "", 0.0)
                   for i, v in enumerate(sensitive)]
        guarded += [Guarded(v, f"shown {i + 1}", "shown inside a sensitive element", "shown", True, True, "", 0.0)
                    for i, v in enumerate(shown)]
        evidence = Evidence(
            self.capture.requests, self.capture.frames, [], guarded, self.capture.timeline.submits, list(optouts),
        )
        return evaluate_evidence(evidence)

    def check(self, sensitive: Iterable[str] = (), shown: Iterable[str] = (), optouts: Iterable[float] = ()) -> None:
        """Fail the test with one line per finding if any protected value left the page."""
        __tracebackhide__ = True  # the failure is the findings, not this frame (whose locals hold the values)
        found = [finding for finding in self.findings(sensitive, shown, optouts) if not finding.informational]
        if found:
            raise AssertionError("privacy findings:\n" + "\n".join(f.line() for f in found))


@pytest.fixture(scope="session")
def playwright(pytestconfig: pytest.Config) -> Playwright:
    """The one Playwright instance of this process, shared with scenario items."""
    return session_of(pytestconfig).get_playwright()


@pytest.fixture(scope="session")
def telltale_proxy(pytestconfig: pytest.Config) -> CaptureProxy:
    """The capturing proxy (one per process, with a tap per browser)."""
    return session_of(pytestconfig).get_proxy()


@pytest.fixture(scope="session")
def browser_type_launch_args(
    pytestconfig: pytest.Config, playwright: Playwright, browser_name: str, telltale_proxy: CaptureProxy
) -> dict[str, Any]:
    """pytest-playwright's launch options, pointed at this browser's tap of the proxy.

    A browser that is not installed skips its tests with the line that says how to install it.
    """
    tap = session_of(pytestconfig).tap(browser_name)
    try:
        source = browsers.find_browser(playwright, browser_name)  # type: ignore[arg-type]
    except BrowserLaunchError as error:
        pytest.skip(str(error))
    return browsers.launch_options(source, tap.host, tap.port)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], browser: Browser) -> dict[str, Any]:
    """Sites are served with the harness's CA; service workers would hide what pages send; trackers see the user
    agent a visitor's copy of the browser sends (`browsers.visitor_user_agent`)."""
    agent = browsers.visitor_user_agent(browser)
    return {**browser_context_args, "ignore_https_errors": True, "service_workers": "block",
            **({"user_agent": agent} if agent else {})}


@pytest.fixture
def capture(pytestconfig: pytest.Config, browser_name: str, telltale_proxy: CaptureProxy) -> Iterator[Capture]:
    """A fresh recording of everything the browser sends during this test."""
    tap = session_of(pytestconfig).tap(browser_name)
    recording = tap.begin()
    yield Capture(tap, recording, Timeline())
    tap.end()


@pytest.fixture
def telltale_snippet(pytestconfig: pytest.Config) -> str | None:
    """The snippet under test (``--telltale-snippet``, default ``harness/resources/telltale.min.js``)."""
    return session_of(pytestconfig).snippet()


@pytest.fixture
def tracked_page(context: BrowserContext, capture: Capture, telltale_snippet: str | None) -> Page:
    """A page with the snippet injected before any page script, and its traffic captured at the wire."""
    instrument(context, lambda: capture.recording, capture.timeline, telltale_snippet)
    return context.new_page()


@pytest.fixture
def privacy(capture: Capture) -> PrivacyCheck:
    """Runs the privacy rules over this test's capture: ``privacy.check(values)`` fails on any finding."""
    return PrivacyCheck(capture)
