"""pytest plugin: scenario files as tests, and fixtures for scenarios written in Python.

``pytest scenarios/`` collects each scenario file as one item per browser (pytest-playwright's ``--browser``);
a failure reads in the scenario's own terms. Python tests get ``tracked_page`` (a page with the snippet injected
and its traffic captured at the wire), ``capture`` (what was recorded) and ``privacy`` (the privacy rules).

Browsers come from pytest-playwright's fixture ladder (``playwright`` → ``browser`` → ``context``); this plugin
only points them at the capturing proxy. Scenario items share the same Playwright instance.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Playwright, sync_playwright

from harness.run import browsers
from harness.run.browsers import BrowserName
from harness.capture.proxy import CaptureProxy, Tap
from harness.errors import BrowserLaunchError, ScenarioError
from harness.pipeline import CA_DIR, apply_rules, run_dir_for
from harness.report.results import finding_line, redactor_for, write_run_files
from harness.run.runner import RunResult, Worker, run_scenario
from harness.run.scenario import Scenario, load_scenario
from harness.resources import SHIPPED_SNIPPET
from harness.capture.site import Site
from harness.replay.visual import VisualOptions, check_run


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("telltale", "Telltale privacy harness")
    group.addoption("--telltale-snippet", dest="telltale_snippet", metavar="FILE.js",
                    help="tracking snippet to inject (default: snippet/telltale.min.js)")
    group.addoption("--telltale-site", dest="telltale_site", metavar="DIR",
                    help="demo site folder (default: scenarios/site)")
    group.addoption("--telltale-report", dest="telltale_report", metavar="DIR",
                    help="where scenario runs write traffic and timelines (default: telltale-report)")
    group.addoption("--telltale-update-baselines", dest="telltale_update_baselines", action="store_true",
                    help="write every checkpoint's replay frame as its baseline")
    parser.addini("telltale_snippet", "tracking snippet to inject", default="")
    parser.addini("telltale_site", "demo site folder", default="")
    parser.addini("telltale_report", "where scenario runs write their files", default="telltale-report")


def _setting(config: pytest.Config, name: str) -> str:
    value = config.getoption(name) or config.getini(name)
    return str(value) if value else ""


@dataclass
class _Session:
    """Process-wide state: one Playwright, one proxy with a tap per browser, scenario workers by browser."""

    config: pytest.Config
    playwright: Playwright | None = None
    proxy: CaptureProxy | None = None
    workers: dict[str, Worker] = field(default_factory=dict)
    taps: dict[str, Tap] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    _manager: Any = None

    def site(self) -> Site:
        root = _setting(self.config, "telltale_site") or str(Path(self.config.rootpath) / "scenarios" / "site")
        return Site(Path(root))

    def snippet(self) -> str | None:
        path = Path(_setting(self.config, "telltale_snippet") or SHIPPED_SNIPPET)
        return path.read_text(encoding="utf-8") if path.exists() else None

    def get_playwright(self) -> Playwright:
        if self.playwright is None:
            self._manager = sync_playwright()
            self.playwright = self._manager.__enter__()
        return self.playwright

    def get_proxy(self) -> CaptureProxy:
        if self.proxy is None:
            self.proxy = CaptureProxy.shared(CA_DIR)
        return self.proxy

    def tap(self, browser_name: str) -> Tap:
        """This browser's tap, serving the demo site (opened on first use)."""
        if browser_name not in self.taps:
            self.taps[browser_name] = self.get_proxy().open_tap(self.site())
        return self.taps[browser_name]

    def worker(self, browser_name: BrowserName) -> Worker:
        if browser_name in self.broken:
            raise BrowserLaunchError(self.broken[browser_name])
        if browser_name not in self.workers:
            worker = Worker(browser_name, self.tap(browser_name))
            worker.playwright = self.get_playwright()
            try:
                worker.browser = browsers.launch(worker.playwright, browser_name, worker.tap.host, worker.tap.port)
            except BrowserLaunchError as error:
                self.broken[browser_name] = str(error)
                raise
            self.workers[browser_name] = worker
        return self.workers[browser_name]

    def close(self) -> None:
        for worker in self.workers.values():
            if worker.browser is not None:
                worker.browser.close()
        if self._manager is not None:
            self._manager.__exit__(None, None, None)
        if self.proxy is not None:
            for tap in self.taps.values():
                self.proxy.close_tap(tap)


_SESSION = pytest.StashKey[_Session]()
_RESULT = pytest.StashKey[RunResult]()


def session_of(config: pytest.Config) -> _Session:
    """The plugin's process-wide state (Playwright, proxy, workers)."""
    return config.stash[_SESSION]


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SESSION] = _Session(config)
    # Registered after every entry-point plugin, so these fixtures take precedence over pytest-playwright's.
    config.pluginmanager.import_plugin("harness.plugin.fixtures")


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is not None:
        session.close()


# -- scenario files as tests ---------------------------------------------------------------------------------------


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Scenario files are the ``*.yaml`` files of a ``scenarios`` folder."""
    if file_path.suffix in (".yaml", ".yml") and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    """One scenario file: one item per browser."""

    def collect(self) -> Iterator[pytest.Item]:
        scenario = load_scenario(self.path)
        names = self.config.getoption("browser", None) or ["chromium"]
        for name in names:
            yield ScenarioItem.from_parent(self, name=f"{scenario.slug}[{name}]", scenario=scenario, browser_name=name)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class ScenarioFailed(Exception):
    """A scenario run broke a privacy rule or could not be carried out."""


class ScenarioItem(pytest.Item):
    """One scenario in one browser."""

    def __init__(self, *, scenario: Scenario, browser_name: BrowserName, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.browser_name = browser_name

    def runtest(self) -> None:
        session = self.config.stash[_SESSION]
        try:
            worker = session.worker(self.browser_name)
        except BrowserLaunchError as error:
            pytest.skip(str(error))  # like pytest-playwright's fixtures here: the line says how to install it
        report_dir = Path(_setting(self.config, "telltale_report") or "telltale-report")
        run_dir = run_dir_for(report_dir, self.scenario, self.browser_name)
        result = run_scenario(worker, self.scenario, session.snippet(), run_dir, session.site())
        apply_rules(result)
        write_run_files(result)
        if worker.browser is not None:  # replay, fidelity, redaction and baselines, in the browser the run used
            update = bool(self.config.getoption("telltale_update_baselines", False))
            check_run(result, worker.browser, VisualOptions(update_baselines=update))
        self.stash[_RESULT] = result
        if result.status != "passed":
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        error = excinfo.value
        if isinstance(error, ScenarioFailed):
            result: RunResult = error.args[0]
            head = f"{self.scenario.file} [{self.browser_name}]"
            if result.error:
                return f"{head}: {result.error}"
            visual = result.visual_problems
            lines = [f"{head}: {len(result.findings)} privacy finding(s), {len(visual)} visual check(s) failed"]
            lines += [f"  {finding_line(f)}" for f in result.findings] + [f"  {line}" for line in visual]
            return redactor_for(result).text("\n".join(lines))
        if isinstance(error, BrowserLaunchError):
            return str(error)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.scenario.name} [{self.browser_name}]"


__all__ = ["ScenarioFile", "ScenarioItem", "session_of"]
