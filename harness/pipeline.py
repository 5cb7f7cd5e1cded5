"""The one pipeline from a scenario to a verdict, for the CLI and the pytest plugin alike.

:func:`run_one` runs a scenario in a worker's browser, judges it (privacy rules, then the visual checks in the
same browser) and writes the run's own evidence files. Nothing it meets loses the run: a browser that dies, a
rule that raises, a replay that fails, a missing file or a bug in the harness all end up in the verdict, as an
``error`` with a one-line reason. A browser that crashed is replaced by a fresh one before the next run.
:func:`execute` runs a whole plan of scenarios × browsers: one browser per worker, workers in threads
(Playwright's sync API is not thread-safe, so each thread owns its Playwright, its tap of the proxy and its
browser). A worker that cannot go on (its browser cannot start) leaves its runs to the others of its browser;
every run that nobody carried out is an ``error`` verdict, so the plan's every run is accounted for. Ctrl-C
stops handing out scenarios: the runs that ended before it are kept, the others are listed as not run.
"""

from __future__ import annotations

import queue
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from harness.capture.proxy import CaptureProxy
from harness.capture.routing import Routing, endpoint
from harness.errors import BrowserLaunchError, UsageError
from harness.privacy.protected import ProtectedValues
from harness.privacy.rules import judge as apply_rules
from harness.replay.visual import VisualOptions, aggregate_heatmaps, check_run
from harness.report.results import write_run_files
from harness.run.browsers import BrowserName
from harness.run.result import RunResult
from harness.run.runner import Worker, run_scenario
from harness.run.scenario import Scenario, is_path
from harness.run.steps import DEFAULT_WINDOW_MS
from harness.verdict import RunVerdict

CA_DIR = Path(tempfile.gettempdir()) / "telltale-ca"


@dataclass(frozen=True)
class Shard:
    """One of ``count`` CI jobs sharing a plan: runs ``index`` (1-based), ``index + count``, ... of its order."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``i/n``, as ``--shard`` takes it; a :class:`UsageError` otherwise."""
        index, _, count = text.partition("/")
        if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
            raise UsageError(f"--shard expects i/n with 1 <= i <= n (e.g. 2/3), got {text!r}")
        return cls(int(index), int(count))

    def takes(self, position: int) -> bool:
        return position % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


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
    shard: Shard | None = None  # this job's share of the runs, when CI splits the plan over several jobs
    endpoints: tuple[str, ...] = ()  # Playwright browser servers to run the browsers on (workers dealt in turn)
    proxy_host: str = "127.0.0.1"  # where the capturing proxy listens, as the browsers reach it

    def runs(self) -> list[tuple[Scenario, BrowserName]]:
        """The runs of the plan, in order: browser by browser, each scenario in the order given; only this
        shard's when sharded. Dealt round-robin, so shards differ by one run at most and every job computes the
        same split from the same command."""
        every = [(scenario, browser) for browser in self.browsers for scenario in self.scenarios]
        shard = self.shard
        return every if shard is None else [run for position, run in enumerate(every) if shard.takes(position)]


INTERRUPT_GRACE_S = 10.0  # after Ctrl-C, how long the runs under way get to end before they are abandoned


@dataclass(frozen=True)
class NotRun:
    """A run of the plan that was never carried out because the run was interrupted (Ctrl-C)."""

    scenario: Scenario
    browser: str
    reason: str


@dataclass
class Outcome:
    """What a plan produced: a verdict per run carried out (in plan order) and what kept the others from running."""

    verdicts: list[RunVerdict] = field(default_factory=list)
    environment_errors: list[str] = field(default_factory=list)
    not_run: list[NotRun] = field(default_factory=list)  # only when interrupted
    interrupted: bool = False
    abandoned: bool = False  # interrupted, and runs still under way were left behind (their threads still live)

    @property
    def complete(self) -> bool:
        """Every run of the plan has its verdict (errors included): the run was not interrupted."""
        return not self.interrupted


def run_dir_for(report_dir: Path, scenario: Scenario, browser: str) -> Path:
    return report_dir / "runs" / f"{scenario.slug}-{browser}"


def judge(result: RunResult, browser: Browser | None, visual: VisualOptions) -> RunVerdict:
    """Apply the privacy rules, then the visual checks in ``browser`` (the one the run used), then write the
    run's evidence files. A bug in a rule or a replay becomes the run's error or a visual problem, never lost."""
    protected = ProtectedValues.of(result)
    verdict = RunVerdict(result, protected)
    try:
        judgement = apply_rules(result, protected)
        verdict.findings, verdict.sent = judgement.findings, judgement.sent
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
    """Run ``scenario`` in the worker's browser and judge it; ``window_ms`` is the observation window. Whatever
    goes wrong, a verdict (``error`` with its reason in one line), never an exception."""
    run_dir = run_dir_for(report_dir, scenario, worker.browser_name)
    try:
        if not worker.alive:
            worker.relaunch()  # the browser crashed during an earlier run
        return _run_and_judge(worker, scenario, snippet, run_dir, visual, base_url, site_api, window_ms)
    except BrowserLaunchError as error:
        reason = f"{scenario.file}: the browser crashed and a fresh one cannot start: {error}"
    except Exception as error:  # a missing file, a bug: the run is an error with its reason, never lost
        reason = f"{scenario.file}: the harness failed: {one_line(error)}"
    return broken_verdict(scenario, worker.browser_name, run_dir, reason)


def _run_and_judge(
    worker: Worker, scenario: Scenario, snippet: str | None, run_dir: Path, visual: VisualOptions,
    base_url: str | None, site_api: tuple[tuple[str, str], ...], window_ms: float,
) -> RunVerdict:
    worker.tap.routing = worker.tap.routing.including(origins_under_test(scenario, base_url))
    try:
        result = run_scenario(worker, scenario, snippet, run_dir, worker.tap.routing.site, base_url, window_ms)
    except PlaywrightError as error:
        message = f"{scenario.file}: the browser failed: {str(error).splitlines()[0]}"
        result = RunResult.broken(scenario, worker.browser_name, run_dir, message)
    if not worker.alive:
        # Whatever step noticed it, the cause is the browser going away: say so (the timeline keeps the step).
        result.error = f"{scenario.file}: the browser crashed or closed during the run"
    result.site_api = site_api
    return judge(result, worker.browser if worker.alive else None, visual)


def broken_verdict(scenario: Scenario, browser: str, run_dir: Path, reason: str) -> RunVerdict:
    """The verdict of a run the harness could not carry out: ``error``, with ``reason``, and no evidence files."""
    result = RunResult.broken(scenario, browser, run_dir, reason)
    return RunVerdict(result, ProtectedValues.of(result))


def one_line(error: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


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
    """Run the plan; ``on_verdict`` is called (from worker threads, serialised) as each run ends.

    Every run of the plan ends up in the outcome: its verdict, an ``error`` verdict when no worker could carry
    it out, or (after Ctrl-C in the calling thread) in ``not_run``.
    """
    outcome = Outcome()
    runs = plan.runs()
    if not runs:
        return outcome
    queues: dict[BrowserName, queue.Queue[Scenario]] = {}
    for scenario, browser in runs:
        queues.setdefault(browser, queue.Queue()).put(scenario)
    workers = {browser: min(plan.jobs, work.qsize()) for browser, work in queues.items()}
    state = _Shared(outcome, on_verdict, running=sum(workers.values()))
    proxy = CaptureProxy.shared(CA_DIR, plan.proxy_host)
    threads: list[threading.Thread] = []
    for browser, work in queues.items():
        for k in range(workers[browser]):
            endpoint = plan.endpoints[k % len(plan.endpoints)] if plan.endpoints else None
            threads.append(threading.Thread(target=_work, args=(plan, browser, proxy, work, state, endpoint),
                                            daemon=True))
    for thread in threads:
        try:
            thread.start()
        except RuntimeError as error:  # no thread to be had: its share of the work goes to the others, or is an error
            state.worker_errors.setdefault("", f"a worker cannot start: {one_line(error)}")
            state.worker_ended()
    try:
        state.wait_for_workers(deadline=None)
    except KeyboardInterrupt:
        _stop(state)
    _account_for_every_run(plan, state)
    order: dict[tuple[str, str], int] = {(s.file, b): i for i, (s, b) in enumerate(runs)}
    outcome.verdicts.sort(key=lambda v: order.get((v.result.scenario.file, v.result.browser), 0))
    outcome.not_run.sort(key=lambda n: order.get((n.scenario.file, n.browser), 0))
    if plan.visual.heatmaps and not outcome.interrupted:
        documents = [(v.result.run_dir, v.visual.document) for v in outcome.verdicts if v.visual is not None]
        aggregate_heatmaps(documents, plan.report_dir)
    return outcome


@dataclass
class _Shared:
    """What the worker threads of one plan share, behind one lock."""

    outcome: Outcome
    on_verdict: Callable[[RunVerdict], None]
    lock: threading.Lock = field(default_factory=threading.Lock)
    running: int = 0  # workers not yet ended
    stopping: threading.Event = field(default_factory=threading.Event)  # set by Ctrl-C: take no new scenario
    ended: threading.Event = field(default_factory=threading.Event)  # set when the last worker ends
    worker_errors: dict[str, str] = field(default_factory=dict)  # browser ('' for any) → why a worker stopped
    closed: bool = False  # the outcome is settled: a run abandoned after Ctrl-C that ends later is not added

    def worker_ended(self) -> None:
        with self.lock:
            self.running -= 1
            if self.running <= 0:
                self.ended.set()

    def wait_for_workers(self, deadline: float | None) -> bool:
        """Wait until every worker ended (or ``deadline`` passed, on the monotonic clock); whether they all did.

        In short waits on an event, not ``Thread.join``: a Ctrl-C may land on any thread, only a main thread that
        wakes up runs its handler, and a ``join`` interrupted by it can take a live thread for an ended one.
        """
        while not self.ended.wait(0.2):
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    def add(self, verdict: RunVerdict) -> None:
        with self.lock:
            if self.closed or (self.stopping.is_set() and verdict.status == "error"):
                return  # cut short by Ctrl-C (its browser gets the signal too), or too late: counted as not run
            self.outcome.verdicts.append(verdict)
            try:
                self.on_verdict(verdict)
            except Exception:  # a progress line that cannot be written must not lose the run
                pass


def _stop(state: _Shared) -> None:
    """Ctrl-C: no new scenario; the runs under way get :data:`INTERRUPT_GRACE_S` to end (a second Ctrl-C ends
    the wait), then they are abandoned (daemon threads, their browsers closed as the process ends)."""
    with state.lock:
        state.stopping.set()
        state.outcome.interrupted = True
    try:
        state.outcome.abandoned = not state.wait_for_workers(deadline=time.monotonic() + INTERRUPT_GRACE_S)
    except KeyboardInterrupt:
        state.outcome.abandoned = not state.ended.is_set()


def _account_for_every_run(plan: RunPlan, state: _Shared) -> None:
    """Give every run of the plan without a verdict one: not run (interrupted) or ``error`` (no worker got to it)."""
    outcome = state.outcome
    with state.lock:
        state.closed = True
        done = {(v.result.scenario.file, v.result.browser) for v in outcome.verdicts}
        for scenario, browser in plan.runs():
            if (scenario.file, browser) in done:
                continue
            if outcome.interrupted:
                outcome.not_run.append(NotRun(scenario, browser, "interrupted (Ctrl-C) before it ended"))
                continue
            why = state.worker_errors.get(browser) or state.worker_errors.get("", "no worker was left to run it")
            reason = f"{scenario.file}: not run: {why}"
            verdict = broken_verdict(scenario, browser, run_dir_for(plan.report_dir, scenario, browser), reason)
            outcome.verdicts.append(verdict)
            try:
                state.on_verdict(verdict)
            except Exception:
                pass


def _work(plan: RunPlan, browser: BrowserName, proxy: CaptureProxy, work: queue.Queue[Scenario], state: _Shared,
          endpoint: str | None) -> None:
    """One worker thread: its browser runs scenarios from ``work`` until none is left (or Ctrl-C).

    Nothing escapes it: a run's own failure is in its verdict (:func:`run_one`); a failure of the worker itself
    (the browser cannot start, the tap cannot open, a bug) is kept as the reason for the runs it leaves undone.
    """
    try:
        tap = proxy.open_tap(plan.routing)
    except Exception as error:
        state.worker_errors.setdefault(browser, f"the capturing proxy failed: {one_line(error)}")
        state.worker_ended()
        return
    try:
        with Worker(browser, tap, endpoint=endpoint) as worker:
            while not state.stopping.is_set():
                try:
                    scenario = work.get_nowait()
                except queue.Empty:
                    return
                state.add(run_one(worker, scenario, plan.snippet, plan.report_dir, plan.visual, plan.base_url,
                                  plan.site_api, plan.window_ms))
    except BrowserLaunchError as error:
        with state.lock:
            if str(error) not in state.outcome.environment_errors:
                state.outcome.environment_errors.append(str(error))
            state.worker_errors.setdefault(browser, str(error))
    except Exception as error:  # the worker itself broke (outside any run): its runs left are errors with this reason
        with state.lock:
            state.worker_errors.setdefault(browser, f"its {browser} worker failed: {one_line(error)}")
    finally:
        try:
            proxy.close_tap(tap)
        except Exception:
            pass  # the process is ending this tap anyway
        state.worker_ended()
