"""Runs one scenario in one browser: a fresh context, the snippet injected before any page script, every step
timed, and at the end the last page given its observation window, closed with its unload handlers run, and the
network left to go quiet. The page's clock is never touched: its timers run in real time.
"""

from __future__ import annotations

import dataclasses
import re
import secrets as _random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Playwright, Request, WebError, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api._context_manager import PlaywrightContextManager

from harness.capture.proxy import CapturedRequest, Channel, Recording, Tap, wait_for_quiet
from harness.capture.site import Site
from harness.errors import StepError
from harness.resources import page_probe_js
from harness.run import browsers
from harness.run.browsers import BrowserName
from harness.run.initiators import Initiators
from harness.run.inject import add_init_scripts
from harness.run.result import RunResult
from harness.run.scenario import Scenario, is_path
from harness.run.steps import DEFAULT_WINDOW_MS, StepContext, close_page, run_step
from harness.run.timeline import LinkClick, Navigation, PageError, StepRecord, Submit, Timeline

PROBE_JS = page_probe_js()
GOODBYE_LIMIT_S = 15.0  # how long a closed page's sends may take to reach the proxy before the run ends anyway
# The name the injected snippet's script goes by in stack traces and console locations, so its errors are its own.
SNIPPET_SOURCE = "telltale-snippet-under-test.js"
# Appended to the snippet: marks that its script ran to the end; a script injected after it reports when it did not
# (Firefox gives an exception thrown while an injected script loads no stack to attribute it by).
_SNIPPET_RAN = "\n;Object.defineProperty(window, '__telltaleSnippetRan', {value: true, configurable: true});\n"
# The snippet under test runs where a site's tag runs: in the documents the site serves (http, https), not in the
# about:blank frames a script creates. Injected there too, rrweb's recorder (and Sentry's replay, built on it), which
# takes pristine DOM prototypes from a fresh blank frame, recorded in that frame and made another, without end
# ("Maximum call stack size exceeded"). Past a skipped block the snippet still counts as having run.
_SNIPPET_IN_SITE_DOCUMENT = "if (/^https?:$/.test(location.protocol)) {{\n{snippet}\n}}"
_SNIPPET_CHECK = "if (!window.__telltaleSnippetRan && window.__telltaleSnippetFailed) window.__telltaleSnippetFailed();"
_TLS_FAILURE = re.compile(r"certificate|TLS|SSL", re.IGNORECASE)
_STACK_SOURCE = re.compile(r"^\s*at (?:.*? \()?(.+?):\d+:\d+\)?$", re.MULTILINE)

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


class Worker:
    """One browser behind its own tap of the capturing proxy; scenarios run one after another, each in a fresh context.

    The one way the harness launches a browser for scenario runs: the CLI's workers start a Playwright of their own
    (its sync API is per thread); the pytest plugin passes the process's shared one.
    """

    def __init__(self, browser_name: BrowserName, tap: Tap, playwright: Playwright | None = None,
                 endpoint: str | None = None) -> None:
        self.browser_name = browser_name
        self.tap = tap
        self.playwright = playwright
        self.endpoint = endpoint  # a Playwright browser server to run the browser on; None: launch it here
        self._own_playwright: PlaywrightContextManager | None = None
        self.browser: Browser | None = None

    def start(self) -> Worker:
        """Launch the browser through this worker's tap; raises :class:`BrowserLaunchError` if it cannot start."""
        try:
            if self.playwright is None:
                self._own_playwright = sync_playwright()
                self.playwright = self._own_playwright.__enter__()
            self.browser = self._browser(self.playwright)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self.browser is not None:
            try:
                self.browser.close()
            except PlaywrightError:
                pass
            self.browser = None
        if self._own_playwright is not None:
            self._own_playwright.__exit__(None, None, None)
            self._own_playwright = None

    @property
    def alive(self) -> bool:
        """Whether the browser is still there (it may have crashed, or been killed, during a run)."""
        return self.browser is not None and self.browser.is_connected()

    def relaunch(self) -> None:
        """A fresh browser in place of one that crashed, on the same Playwright and tap; raises
        :class:`BrowserLaunchError` if it cannot start."""
        if self.browser is not None:
            try:
                self.browser.close()
            except PlaywrightError:
                pass  # it is gone already
            self.browser = None
        if self.playwright is None:
            self.start()
        else:
            self.browser = self._browser(self.playwright)

    def _browser(self, playwright: Playwright) -> Browser:
        if self.endpoint is not None:
            return browsers.connect(playwright, self.browser_name, self.endpoint, self.tap.host, self.tap.port)
        return browsers.launch(playwright, self.browser_name, self.tap.host, self.tap.port)

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> str:
        return browsers.browser_version(self.browser) if self.browser else self.browser_name


def new_tracked_context(
    browser: Browser, tap: Tap, scenario_viewport: tuple[int, int], snippet: str | None,
    timeline: Timeline, base_url: str | None = None,
) -> BrowserContext:
    """A fresh context with the probe and the snippet injected before any page script."""
    width, height = scenario_viewport
    context = browser.new_context(
        base_url=base_url,
        user_agent=browsers.visitor_user_agent(browser),
        ignore_https_errors=True,
        viewport={"width": width, "height": height},
        service_workers="block",  # a service worker's own fetches would bypass what the page is seen to send
    )
    instrument(context, lambda: tap.recording, timeline, snippet)
    return context


def instrument(
    context: BrowserContext, recording: Callable[[], Recording], timeline: Timeline, snippet: str | None
) -> None:
    """Inject the probe (form submits and link clicks into ``timeline``) and then the snippet, before any page script,
    in every frame (:mod:`harness.run.inject`); record the
    errors the pages report (exceptions, console errors, a snippet that threw while loading) in ``timeline``."""

    def on_submitted(source: Any, report: dict[str, Any]) -> None:
        # The page stamps the submit itself: the binding call may arrive after the requests it preceded.
        t_ms = (float(report.get("at", 0)) / 1000.0 - recording().wall_started) * 1000.0
        timeline.submits.append(Submit(
            str(report.get("form", "")), str(report.get("url", "")), t_ms, action=str(report.get("action", "")),
            method=str(report.get("method", "")), target=str(report.get("target", "")),
        ))

    def on_link_clicked(source: Any, report: dict[str, Any]) -> None:
        t_ms = (float(report.get("at", 0)) / 1000.0 - recording().wall_started) * 1000.0
        timeline.links.append(LinkClick(str(report.get("url", "")), t_ms))

    def on_snippet_failed(source: Any) -> None:
        message = "the snippet threw while loading"
        timeline.errors.append(PageError("load", message, SNIPPET_SOURCE, recording().t_ms(), tracker=True))

    def on_web_error(error: WebError) -> None:
        message = str(error.error.message).splitlines()[0] if error.error.message else str(error.error.name)
        found = _STACK_SOURCE.search(error.error.stack or "")
        timeline.errors.append(PageError("exception", message, found.group(1) if found else "", recording().t_ms()))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            source = str(message.location.get("url", ""))
            timeline.errors.append(PageError("console", message.text.splitlines()[0] if message.text else "", source,
                                             recording().t_ms()))

    context.expose_binding("__telltaleSubmitted", on_submitted)
    context.expose_binding("__telltaleLinkClicked", on_link_clicked)
    context.expose_binding("__telltaleSnippetFailed", on_snippet_failed)
    context.on("weberror", on_web_error)
    context.on("console", on_console)
    scripts = [PROBE_JS]
    if context.browser is not None and context.browser.browser_type.name == "firefox":
        scripts = [browsers.FIREFOX_NOT_DRIVEN + PROBE_JS]  # a tracker sees a visitor's browser
    if snippet is not None:
        guarded = _SNIPPET_IN_SITE_DOCUMENT.format(snippet=snippet)
        scripts += [f"{guarded}{_SNIPPET_RAN}//# sourceURL={SNIPPET_SOURCE}\n", _SNIPPET_CHECK]
    add_init_scripts(context, scripts, blank_frames_too=1)  # the probe


def attribute_errors(timeline: Timeline, recording: Recording, injected: bool) -> None:
    """Mark the errors that came from the tracker under test: the injected snippet's script when one was injected
    (with the exception Firefox reports without a stack when it threw while loading), else a script the page loaded
    from a third party."""
    third_party_scripts = {r.url for r in recording.requests if r.party == "third" and r.channel == "script"}
    failed_loading = any(e.kind == "load" for e in timeline.errors)
    attributed = []
    for error in timeline.errors:
        if injected:
            tracker = error.source == SNIPPET_SOURCE or (failed_loading and error.kind == "exception" and not error.source)
        else:
            tracker = error.source in third_party_scripts
        attributed.append(dataclasses.replace(error, tracker=tracker or error.tracker))
    timeline.errors[:] = attributed


class NavigationLog:
    """Records every navigation request the browser reports in ``timeline.navigations``, and whether the harness
    had started it (:meth:`StepContext.harness_navigation`)."""

    def __init__(self, ctx: StepContext) -> None:
        self.ctx = ctx

    def __call__(self, request: Request) -> None:
        try:
            if not request.is_navigation_request():
                return
            main_frame = request.frame.parent_frame is None
        except PlaywrightError:
            return  # a request without a frame (a worker's) is no navigation
        redirected = request.redirected_from
        self.ctx.timeline.navigations.append(Navigation(
            request.method, request.url, self.ctx.recording.t_ms(), main_frame,
            by_harness=self.ctx.navigating and main_frame, redirected_from=redirected.url if redirected else "",
        ))


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
    worker: Worker, scenario: Scenario, snippet: str | None, run_dir: Path, site: Site | None = None,
    base_url: str | None = None, window_ms: float = DEFAULT_WINDOW_MS,
) -> RunResult:
    """Run ``scenario`` in the worker's browser and return everything it produced (rules not yet applied).

    Paths in the scenario (``start: /login``) are resolved against ``base_url``; ``window_ms`` is the observation
    window each page's pending timers get before it goes (:mod:`harness.run.window`).
    """
    assert worker.browser is not None
    run_dir.mkdir(parents=True, exist_ok=True)
    timeline = Timeline(window_ms=window_ms)
    values = scenario.resolve_secrets()
    recording = worker.tap.begin()
    context = new_tracked_context(worker.browser, worker.tap, scenario.viewport, snippet, timeline, base_url)
    reported: list[tuple[str, str, str]] = []
    context.on("request", lambda r: reported.append((r.method, r.url, r.resource_type)))
    initiators = Initiators(context, enabled=worker.browser_name == "chromium")
    ctx = StepContext(context, recording, timeline, values, run_dir, window_ms=window_ms)
    context.on("request", NavigationLog(ctx))
    result = RunResult(
        scenario, worker.browser_name, worker.version, run_dir, recording, timeline, ctx.storage,
        values, _random.token_bytes(16), site=site, base_url=base_url or "",
    )
    try:
        page = ctx.live_page()
        page.on("load", lambda p: timeline.pages.append((recording.t_ms(), p.url)))
        if is_path(scenario.start) and not base_url:
            raise StepError(f"{scenario.file}: start {scenario.start} is a path: give the base URL (--base-url)")
        try:
            with ctx.harness_navigation():
                response = page.goto(scenario.start, wait_until="load")
        except PlaywrightError as error:
            raise StepError(f"{scenario.file}: start {scenario.start}: {str(error).splitlines()[0]}") from None
        if response is not None and response.status >= 500 and recording.upstream_errors:
            why = recording.upstream_errors[0]
            hint = (" (a self-signed certificate? trust it with --trust-upstream, or trust_upstream = true in the "
                    "config)") if _TLS_FAILURE.search(why) else ""
            raise StepError(f"{scenario.file}: start {scenario.start}: the app did not answer: {why}{hint}")
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
        _finish(ctx, initiators)
        try:
            context.close()
        except PlaywrightError:
            pass  # the browser is gone; what it sent is recorded
        worker.tap.end()
        _refine_channels(recording, reported)
        initiators.apply(recording)
        attribute_errors(timeline, recording, injected=snippet is not None)
        result.duration_ms = recording.t_ms()
    return result


def _finish(ctx: StepContext, initiators: Initiators) -> None:
    """Give the last page its observation window, close it with unload handlers, let the network settle."""
    page = ctx.page
    closing = time.monotonic()
    if page is not None and not page.is_closed():
        try:
            ctx.end_page("end")
            closing = time.monotonic()
            ctx.snapshot_storage()
            close_page(page)
        except PlaywrightError:
            pass  # the page died on its own; what it sent is already captured
    # A goodbye beacon can reach the proxy well after the page is gone (a loaded machine): where the browser says
    # what the closing page sent (Chromium), wait for exactly that; then for the network to go quiet.
    deadline = time.monotonic() + GOODBYE_LIMIT_S
    while initiators.unsent(ctx.recording, closing) and time.monotonic() < deadline:
        time.sleep(0.05)
    wait_for_quiet(ctx.recording)
