"""Scenario files as pytest items: one item per scenario × browser, run through the one pipeline, failing in
the scenario's own terms (which field leaked, where, in what encoding), never with a harness traceback."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.errors import BrowserLaunchError, ScenarioError
from harness.pipeline import run_one
from harness.plugin.report import seal_broken
from harness.plugin.session import session_of
from harness.replay.visual import VisualOptions
from harness.report.results import run_document
from harness.run.browsers import BrowserName
from harness.run.loader import load_scenario
from harness.run.scenario import Scenario
from harness.verdict import RunVerdict

# A YAML file found in a folder given on the command line is a scenario when it has top-level steps; any other
# YAML there (a CI workflow, a config) is not ours to collect.
_SCENARIO_SHAPE = re.compile(rb"^steps[ \t]*:", re.MULTILINE)


def is_scenario_file(path: Path, config: pytest.Config) -> bool:
    """A ``*.yaml`` file is a scenario when it is in a folder named ``scenarios``, was named on the command line,
    matches a ``telltale_scenarios`` ini glob, or lies in a folder named on the command line and has top-level
    ``steps``."""
    if path.parent.name == "scenarios":
        return True
    root = Path(config.rootpath)
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else None
    if relative is not None and any(fnmatch.fnmatchcase(relative, glob) for glob in config.getini("telltale_scenarios")):
        return True
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return False  # testpaths hold tests (and their data files), not scenarios: those come by folder or glob
    given = [Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve() for arg in config.args]
    resolved = path.resolve()
    if resolved in given:
        return True
    if not any(resolved.is_relative_to(folder) for folder in given if folder.is_dir()):
        return False
    try:
        with path.open("rb") as file:
            return _SCENARIO_SHAPE.search(file.read(1 << 16)) is not None
    except OSError:
        return False


class ScenarioFile(pytest.File):
    """One scenario file: one item per browser; a file that is not a valid scenario is one failed item."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            scenario = load_scenario(self.path)
        except ScenarioError as error:
            yield InvalidScenario.from_parent(self, name=self.path.name, error=error)
            return
        # pytest-playwright's --browser may be given twice (an ini's addopts and the command line): once each.
        names = dict.fromkeys(self.config.getoption("browser", None) or ["chromium"])
        for name in names:
            yield ScenarioItem.from_parent(self, name=f"{scenario.slug}[{name}]", scenario=scenario, browser_name=name)


class InvalidScenario(pytest.Item):
    """A scenario file that does not load: it fails alone, with its one line, and the other files still run."""

    def __init__(self, *, error: ScenarioError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise self.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(self.error)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.error.line - 1, f"invalid scenario: {self.path.name}"


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
        self.run_json: str | None = None  # its entry in the session's results.json, once it ran

    def runtest(self) -> None:
        session = session_of(self.config)
        try:
            worker = session.worker(self.browser_name)
        except BrowserLaunchError as error:
            pytest.skip(str(error))  # like pytest-playwright's fixtures here: the line says how to install it
        visual = VisualOptions(update_baselines=bool(self.config.getoption("telltale_update_baselines", False)))
        report_dir = session.report_dir()
        seal_broken(report_dir)
        verdict = run_one(worker, self.scenario, session.snippet(), report_dir, visual, session.base_url(),
                          session.settings.site_api, session.window_ms())
        self.run_json = json.dumps(run_document(verdict, report_dir), ensure_ascii=False)
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
