"""Scenario files as pytest items: one item per scenario × browser, run through the one pipeline, failing in
the scenario's own terms (which field leaked, where, in what encoding), never with a harness traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.errors import BrowserLaunchError, ScenarioError
from harness.pipeline import run_one
from harness.plugin.session import session_of
from harness.replay.visual import VisualOptions
from harness.run.browsers import BrowserName
from harness.run.loader import load_scenario
from harness.run.scenario import Scenario
from harness.verdict import RunVerdict


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

    def __init__(self, verdict: RunVerdict) -> None:
        super().__init__(verdict.result.scenario.file)
        self.verdict = verdict


class ScenarioItem(pytest.Item):
    """One scenario in one browser."""

    def __init__(self, *, scenario: Scenario, browser_name: BrowserName, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.browser_name = browser_name

    def runtest(self) -> None:
        session = session_of(self.config)
        try:
            worker = session.worker(self.browser_name)
        except BrowserLaunchError as error:
            pytest.skip(str(error))  # like pytest-playwright's fixtures here: the line says how to install it
        visual = VisualOptions(update_baselines=bool(self.config.getoption("telltale_update_baselines", False)))
        verdict = run_one(worker, self.scenario, session.snippet(), session.report_dir(), visual, session.base_url(),
                          session.settings.site_api, session.window_ms())
        if verdict.status != "passed":
            raise ScenarioFailed(verdict)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        error = excinfo.value
        if isinstance(error, ScenarioFailed):
            verdict = error.verdict
            head = f"{self.scenario.file} [{self.browser_name}]"
            if verdict.result.error:
                return verdict.protected.redactor.text(f"{head}: {verdict.result.error}")
            if verdict.status == "inconclusive":
                lines = [f"  inconclusive: {line}" for line in verdict.inconclusive_reasons]
                return verdict.protected.redactor.text("\n".join([f"{head}: inconclusive, nothing was checked", *lines]))
            counts = f"{len(verdict.broken)} privacy finding(s), {len(verdict.visual_problems)} visual check(s) failed"
            return "\n".join([f"{head}: {counts}", *(f"  {line}" for line in verdict.problem_lines())])
        if isinstance(error, BrowserLaunchError):
            return str(error)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.scenario.name} [{self.browser_name}]"
