"""The one pipeline from a scenario to a verdict, for the CLI and the pytest plugin alike.

:func:`run_one` runs a scenario in a worker's browser, judges it (privacy rules, then the visual checks in the
same browser) and writes the run's own evidence files. Nothing it meets loses the run: a browser that dies, a
rule that raises, a replay that fails all end up in the verdict. :func:`execute` runs a whole plan of
scenarios × browsers: one browser per worker, workers in threads (Playwright's sync API is not thread-safe, so
each thread owns its Playwright, its tap of the proxy and its browser); a browser that cannot start fails only
its own runs.
"""

from __future__ import annotations

import queue
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from harness.capture.proxy import CaptureProxy
from harness.capture.routing import Routing, endpoint
from harness.errors import BrowserLaunchError
from harness.privacy.protected import ProtectedValues
from harness.privacy.rules import evaluate
from harness.replay.visual import VisualOptions, aggregate_heatmaps, check_run
from harness.report.results import write_run_files
from harness.run.browsers import BrowserName
from harness.run.result import RunResult
from harness.run.runner import Worker, run_scenario
from harness.run.scenario import Scenario, is_path
from harness.run.steps import DEFAULT_WINDOW_MS
from harness.verdict import RunVerdict

CA_DIR = Path(tempfile.gettempdir()) / "telltale-ca"


@dataclass
class RunPlan:
    """What to run and where results go."""

    scenarios: list[Scenario]
    browsers: list[BrowserName]
    routing: Routing  # the origins under test, the demo site, the third-party policy and map
    snippet: str | None
    report_dir: Path
    jobs: int = 1
    visual: VisualOptions = field(default_factory=VisualOptions)  # replay, fidelity, baselines, heatmaps, video
    base_url: str | None = None  # what scenario paths (``start: /login``) resolve against
    site_api: tuple[tuple[str, str], ...] = ()  # the app's own calls, declared once for every scenario
    window_ms: float = DEFAULT_WINDOW_MS  # the observation window each page's pending timers get (config's seconds)


@dataclass
class Outcome:
    verdicts: list[RunVerdict] = field(default_factory=list)
    environment_errors: list[str] = field(default_factory=list)


def run_dir_for(report_dir: Path, scenario: Scenario, browser: str) -> Path:
    return report_dir / "runs" / f"{scenario.slug}-{browser}"


def judge(result: RunResult, browser: Browser | None, visual: VisualOptions) -> RunVerdict:
    """Apply the privacy rules, then the visual checks in ``browser`` (the one the run used), then write the
    run's evidence files. A bug in a rule or a replay becomes the run's error or a visual problem, never lost."""
    protected = ProtectedValues.of(result)
    verdict = RunVerdict(result, protected)
    try:
        verdict.findings = evaluate(result, protected)
    except Exception as error:  # a bug in a rule must not lose the run's results
        result.error = f"{result.scenario.file}: the privacy rules failed: {type(error).__name__}: {error}"
    if browser is not None:
        verdict.visual = check_run(result, protected, browser, visual)
    write_run_files(verdict)
    return verdict


def run_one(
    worker: Worker, scenario: Scenario, snippet: str | None, report_dir: Path, visual: VisualOptions,
    base_url: str | None = None, site_api: tuple[tuple[str, str], ...] = (), window_ms: float = DEFAULT_WINDOW_MS,
) -> RunVerdict:
    """Run ``scenario`` in the worker's browser and judge it; ``window_ms`` is the observation window."""
    run_dir = run_dir_for(report_dir, scenario, worker.browser_name)
    worker.tap.routing = worker.tap.routing.including(origins_under_test(scenario, base_url))
    try:
        result = run_scenario(worker, scenario, snippet, run_dir, worker.tap.routing.site, base_url, window_ms)
    except PlaywrightError as error:
        message = f"{scenario.file}: the browser failed: {str(error).splitlines()[0]}"
        result = RunResult.broken(scenario, worker.browser_name, run_dir, message)
    result.site_api = site_api
    return judge(result, worker.browser, visual)


def origins_under_test(scenario: Scenario, base_url: str | None) -> list[str]:
    """The app a scenario tests: the base URL, and where it starts (a ``goto`` elsewhere is a third party)."""
    start = urljoin(base_url, scenario.start) if base_url and is_path(scenario.start) else scenario.start
    return [url for url in (start, base_url) if url and not is_path(url)]


def unreachable(origins: Iterable[str], timeout_s: float = 5.0) -> list[str]:
    """One line per origin under test that accepts no connection (the app is not running, a wrong port)."""
    problems = []
    for origin in sorted(set(origins)):
        host, port = endpoint(origin)
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
        except OSError as error:
            why = error.strerror or type(error).__name__
            problems.append(f"{origin} is unreachable: {why} (tried {host}:{port} for up to {timeout_s:g} s)")
    return problems


def execute(plan: RunPlan, on_verdict: Callable[[RunVerdict], None] = lambda v: None) -> Outcome:
    """Run the plan; ``on_verdict`` is called (from worker threads, serialised) as each run ends."""
    outcome = Outcome()
    if not plan.scenarios:
        return outcome
    lock = threading.Lock()
    per_browser = min(plan.jobs, len(plan.scenarios))
    proxy = CaptureProxy.shared(CA_DIR)
    threads: list[threading.Thread] = []
    for browser in plan.browsers:
        work: queue.Queue[Scenario] = queue.Queue()
        for scenario in plan.scenarios:
            work.put(scenario)
        for _ in range(per_browser):
            args = (plan, browser, proxy, work, outcome, lock, on_verdict)
            threads.append(threading.Thread(target=_work, args=args, daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    order: dict[tuple[str, str], int] = {
        (s.file, b): i for i, (s, b) in enumerate((s, b) for b in plan.browsers for s in plan.scenarios)
    }
    outcome.verdicts.sort(key=lambda v: order.get((v.result.scenario.file, v.result.browser), 0))
    if plan.visual.heatmaps:
        documents = [(v.result.run_dir, v.visual.document) for v in outcome.verdicts if v.visual is not None]
        aggregate_heatmaps(documents, plan.report_dir)
    return outcome


def _work(
    plan: RunPlan,
    browser: BrowserName,
    proxy: CaptureProxy,
    work: queue.Queue[Scenario],
    outcome: Outcome,
    lock: threading.Lock,
    on_verdict: Callable[[RunVerdict], None],
) -> None:
    tap = proxy.open_tap(plan.routing)
    try:
        with Worker(browser, tap) as worker:
            while True:
                try:
                    scenario = work.get_nowait()
                except queue.Empty:
                    return
                verdict = run_one(worker, scenario, plan.snippet, plan.report_dir, plan.visual, plan.base_url,
                                  plan.site_api, plan.window_ms)
                with lock:
                    outcome.verdicts.append(verdict)
                    on_verdict(verdict)
    except BrowserLaunchError as error:
        with lock:
            if str(error) not in outcome.environment_errors:
                outcome.environment_errors.append(str(error))
    finally:
        proxy.close_tap(tap)
