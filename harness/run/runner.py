"""Runs one scenario in one browser: a fresh context, the snippet injected before any page script, every step
timed, and at the end the last page closed with its unload handlers run and the network left to go quiet.
"""

from __future__ import annotations

import dataclasses
import secrets as _random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from harness.run import browsers
from harness.run.browsers import BrowserName
from harness.capture.proxy import CapturedRequest, Channel, Recording, Tap, wait_for_quiet
from harness.errors import StepError
from harness.resources import page_probe_js
from harness.run.scenario import Scenario
from harness.capture.site import Site
from harness.run.steps import StepContext, close_page, run_step
from harness.run.storage import StorageSnapshot
from harness.run.timeline import StepRecord, Submit, Timeline

PROBE_JS = page_probe_js()
PENDING_TIMERS_MS = 30_000  # how far the clock is fast-forwarded to flush timers the snippet left pending

Status = Literal["passed", "failed", "error"]

# Playwright's resource types, as channels; unreported requests fall back to Fetch Metadata (capture.py).
_RESOURCE_CHANNELS: dict[str, Channel] = {
    "document": "document",
    "fetch": "fetch",
    "xhr": "xhr",
    "image": "image",
    "ping": "beacon",
    "beacon": "beacon",
    "script": "script",
    "stylesheet": "style",
    "font": "font",
    "websocket": "websocket",
}


_AMBIGUOUS: frozenset[Channel] = frozenset({"fetch", "xhr", "beacon", "other"})


@dataclass
class RunResult:
    """Everything one scenario run in one browser produced."""

    scenario: Scenario
    browser: str
    browser_version: str
    run_dir: Path
    recording: Recording
    timeline: Timeline
    storage: list[StorageSnapshot]
    values: dict[str, str] = field(repr=False)
    fingerprint_key: bytes = field(repr=False)
    error: str = ""
    findings: list[Any] = field(default_factory=list)
    visual_problems: list[str] = field(default_factory=list)  # failed replay checks, one line each (harness.visual)
    duration_ms: float = 0.0
    site: Site | None = None

    @classmethod
    def broken(cls, scenario: Scenario, browser: str, run_dir: Path, message: str) -> RunResult:
        """A run the harness could not carry out at all: an error result, so no run is ever lost."""
        return cls(scenario, browser, browser, run_dir, Recording(), Timeline(), [], {}, b"-", error=message)

    @property
    def status(self) -> Status:
        if self.error:
            return "error"
        # A failed visual check (fidelity, redaction proof, baseline, an inert replay) fails a run as a finding does.
        return "failed" if self.findings or self.visual_problems else "passed"

    @property
    def requests(self) -> list[CapturedRequest]:
        return self.recording.requests

    @property
    def bytes_sent(self) -> int:
        """Bytes the page sent: URLs, headers and bodies of requests, and WebSocket frames it sent."""
        total = 0
        for request in self.recording.requests:
            total += len(request.url) + len(request.body) + sum(len(k) + len(v) + 4 for k, v in request.headers)
        total += sum(len(frame.data) for frame in self.recording.frames if frame.direction == "sent")
        return total

    def __repr__(self) -> str:
        return (
            f"<RunResult {self.scenario.slug} browser={self.browser!r} status={self.status!r} "
            f"requests={len(self.requests)} findings={len(self.findings)}>"
        )


class Worker:
    """One browser behind its own tap of the capturing proxy; scenarios run one after another, each in a fresh context."""

    def __init__(self, browser_name: BrowserName, tap: Tap) -> None:
        self.browser_name = browser_name
        self.tap = tap
        self._playwright_cm: Any = None
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None

    def __enter__(self) -> Worker:
        try:
            self._playwright_cm = sync_playwright()
            self.playwright = self._playwright_cm.__enter__()
            self.browser = browsers.launch(self.playwright, self.browser_name, self.tap.host, self.tap.port)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.browser is not None:
            try:
                self.browser.close()
            except PlaywrightError:
                pass
        if self._playwright_cm is not None:
            self._playwright_cm.__exit__(None, None, None)

    @property
    def version(self) -> str:
        return browsers.browser_version(self.browser) if self.browser else self.browser_name


def new_tracked_context(
    browser: Browser, tap: Tap, scenario_viewport: tuple[int, int], snippet: str | None,
    timeline: Timeline,
) -> BrowserContext:
    """A fresh context with the probe and the snippet injected before any page script."""
    width, height = scenario_viewport
    context = browser.new_context(
        ignore_https_errors=True,
        viewport={"width": width, "height": height},
        service_workers="block",  # a service worker's own fetches would bypass what the page is seen to send
    )
    instrument(context, lambda: tap.recording, timeline, snippet)
    return context


def instrument(
    context: BrowserContext, recording: Callable[[], Recording], timeline: Timeline, snippet: str | None
) -> None:
    """Inject the probe (form submits into ``timeline``) and then the snippet, before any page script."""

    def on_submitted(source: Any, report: dict[str, Any]) -> None:
        # The page stamps the submit itself: the binding call may arrive after the requests it preceded.
        t_ms = (float(report.get("at", 0)) / 1000.0 - recording().wall_started) * 1000.0
        timeline.submits.append(Submit(str(report.get("form", "")), str(report.get("url", "")), t_ms))

    context.expose_binding("__telltaleSubmitted", on_submitted)
    context.add_init_script(PROBE_JS)
    if snippet is not None:
        context.add_init_script(snippet)


def _refine_channels(recording: Recording, reported: list[tuple[str, str, str]]) -> None:
    """Tell fetch, XHR and beacon apart with Playwright's resource types, where it reported the request.

    Fetch Metadata already names documents, images, scripts and the like; Playwright's events miss some
    requests (unload beacons) and, over BiDi, name some wrongly, so they only refine the ambiguous cases.
    """
    pending = list(reported)
    refined: list[CapturedRequest] = []
    for request in recording.requests:
        match = next((i for i, (m, u, _) in enumerate(pending) if m == request.method and u == request.url), None)
        if match is not None:
            channel = _RESOURCE_CHANNELS.get(pending.pop(match)[2])
            if request.channel in _AMBIGUOUS and channel in _AMBIGUOUS and channel != request.channel:
                request = dataclasses.replace(request, channel=channel)
        refined.append(request)
    recording.requests[:] = refined


def run_scenario(
    worker: Worker, scenario: Scenario, snippet: str | None, run_dir: Path, site: Site | None = None
) -> RunResult:
    """Run ``scenario`` in the worker's browser and return everything it produced (rules not yet applied)."""
    assert worker.browser is not None
    run_dir.mkdir(parents=True, exist_ok=True)
    timeline = Timeline()
    values = scenario.resolve_secrets()
    recording = worker.tap.begin()
    context = new_tracked_context(worker.browser, worker.tap, scenario.viewport, snippet, timeline)
    reported: list[tuple[str, str, str]] = []
    context.on("request", lambda r: reported.append((r.method, r.url, r.resource_type)))
    ctx = StepContext(context, recording, timeline, values, run_dir)
    result = RunResult(
        scenario, worker.browser_name, worker.version, run_dir, recording, timeline, ctx.storage,
        values, _random.token_bytes(16), site=site,
    )
    try:
        context.clock.install()
        page = ctx.live_page()
        page.on("load", lambda p: timeline.pages.append((recording.t_ms(), p.url)))
        try:
            page.goto(scenario.start, wait_until="load")
        except PlaywrightError as error:
            raise StepError(f"{scenario.file}: start {scenario.start}: {str(error).splitlines()[0]}") from None
        for step in scenario.steps:
            start = recording.t_ms()
            try:
                run_step(ctx, step)
            except StepError as error:
                timeline.steps.append(StepRecord(step.index, step.kind, start, recording.t_ms(), False, str(error)))
                raise
            timeline.steps.append(StepRecord(step.index, step.kind, start, recording.t_ms(), True))
    except StepError as error:
        result.error = str(error)
    except PlaywrightError as error:  # the browser or context died outside any step
        result.error = f"{scenario.file}: the browser failed: {str(error).splitlines()[0]}"
    finally:
        _finish(ctx)
        try:
            context.close()
        except PlaywrightError:
            pass  # the browser is gone; what it sent is recorded
        worker.tap.end()
        _refine_channels(recording, reported)
        result.duration_ms = recording.t_ms()
    return result


def _finish(ctx: StepContext) -> None:
    """Flush what the snippet left pending, close the last page with unload handlers, let the network settle."""
    page = ctx.page
    if page is not None and not page.is_closed():
        try:
            page.clock.fast_forward(PENDING_TIMERS_MS)
            page.wait_for_timeout(50)
            ctx.snapshot_storage()
            close_page(page)
        except PlaywrightError:
            pass  # the page died on its own; what it sent is already captured
    wait_for_quiet(ctx.recording)
