"""Running a plan of scenarios × browsers: one browser per worker, workers in threads, results as they come.

Playwright's sync API is not thread-safe, so each worker thread owns its own Playwright, proxy and browser.
A browser that cannot start fails only its own runs; every other run still completes and is reported.
"""

from __future__ import annotations

import queue
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

from harness.run.browsers import BrowserName
from harness.capture.proxy import CaptureProxy
from harness.errors import BrowserLaunchError
from harness.run.runner import RunResult, Worker, run_scenario
from harness.run.scenario import Scenario
from harness.capture.site import Site
from harness.replay.visual import VisualOptions, aggregate_heatmaps, check_run

CA_DIR = Path(tempfile.gettempdir()) / "telltale-ca"


@dataclass
class RunPlan:
    """What to run and where results go."""

    scenarios: list[Scenario]
    browsers: list[BrowserName]
    site: Site
    snippet: str | None
    report_dir: Path
    jobs: int = 1
    visual: VisualOptions = field(default_factory=VisualOptions)  # replay, fidelity, baselines, heatmaps, video


@dataclass
class Outcome:
    results: list[RunResult] = field(default_factory=list)
    environment_errors: list[str] = field(default_factory=list)


def apply_rules(result: RunResult) -> None:
    """Turn a run's captured data into findings (the privacy rules)."""
    from harness.privacy.rules import evaluate

    result.findings = list(evaluate(result))


def run_dir_for(report_dir: Path, scenario: Scenario, browser: str) -> Path:
    return report_dir / "runs" / f"{scenario.slug}-{browser}"


def execute(plan: RunPlan, on_result: Callable[[RunResult], None] = lambda r: None) -> Outcome:
    """Run the plan; ``on_result`` is called (from worker threads, serialised) as each run ends."""
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
            args = (plan, browser, proxy, work, outcome, lock, on_result)
            threads.append(threading.Thread(target=_work, args=args, daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    order: dict[tuple[str, str], int] = {(s.file, b): i for i, (s, b) in enumerate((s, b) for b in plan.browsers for s in plan.scenarios)}
    outcome.results.sort(key=lambda r: order.get((r.scenario.file, r.browser), 0))
    if plan.visual.heatmaps:
        aggregate_heatmaps([r.run_dir for r in outcome.results], plan.report_dir)
    return outcome


def _work(
    plan: RunPlan,
    browser: BrowserName,
    proxy: CaptureProxy,
    work: queue.Queue[Scenario],
    outcome: Outcome,
    lock: threading.Lock,
    on_result: Callable[[RunResult], None],
) -> None:
    tap = proxy.open_tap(plan.site)
    try:
        with Worker(browser, tap) as worker:
            while True:
                try:
                    scenario = work.get_nowait()
                except queue.Empty:
                    return
                run_dir = run_dir_for(plan.report_dir, scenario, browser)
                try:
                    result = run_scenario(worker, scenario, plan.snippet, run_dir, plan.site)
                except PlaywrightError as error:
                    message = f"{scenario.file}: the browser failed: {str(error).splitlines()[0]}"
                    result = RunResult.broken(scenario, browser, run_dir, message)
                try:
                    apply_rules(result)
                except Exception as error:  # a bug in a rule must not lose the run's results
                    result.error = f"{scenario.file}: the privacy rules failed: {type(error).__name__}: {error}"
                if worker.browser is not None:
                    check_run(result, worker.browser, plan.visual)  # replayed in the browser the run used
                with lock:
                    outcome.results.append(result)
                    on_result(result)
    except BrowserLaunchError as error:
        with lock:
            if str(error) not in outcome.environment_errors:
                outcome.environment_errors.append(str(error))
    finally:
        proxy.close_tap(tap)
