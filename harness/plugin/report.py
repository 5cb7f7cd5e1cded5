"""The report folder of a pytest session: the same one ``telltale run`` writes (results.json, junit.xml,
index.html, heatmaps, manifest.json), whether the scenarios ran in this process or in pytest-xdist workers.

Each scenario item's run document rides on its test report (``telltale_run``, JSON), which pytest-xdist carries
from the worker to the controller; the controller gathers them and writes the folder when the session ends.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pytest

from harness.replay.visual import AGGREGATE_DIR, aggregate_heatmaps, load
from harness.report.documents import RunDocument
from harness.report.html import write_report
from harness.report.manifest import MANIFEST, write_manifest
from harness.report.results import Invocation, SessionFacts, write_run_documents

RUN_ATTRIBUTE = "telltale_run"  # a scenario item's run document, on its "call" report
INVALID_ATTRIBUTE = "telltale_invalid"  # an invalid scenario file's one line, on its "call" report


def is_controller(config: pytest.Config) -> bool:
    """This process gathers the results: no pytest-xdist, or its controller (workers have ``workerinput``)."""
    return not hasattr(config, "workerinput")


def seal_broken(report_dir: Path) -> None:
    """A run is about to change the folder: the old manifest goes first, so a session that dies part-way leaves
    a folder that does not verify."""
    (report_dir / MANIFEST).unlink(missing_ok=True)


@dataclass(eq=False)  # a pytest plugin object: pluggy keeps plugins in sets
class SessionReport:
    """What the controller gathered from the session's scenario items."""

    report_dir: Path
    invocation: Invocation
    runs: list[RunDocument] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    written: Path | None = None  # index.html, once written

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        run = getattr(report, RUN_ATTRIBUTE, None)
        if isinstance(run, str):
            self.runs.append(cast(RunDocument, json.loads(run)))
        invalid = getattr(report, INVALID_ATTRIBUTE, None)
        if isinstance(invalid, str):
            self.invalid.append(invalid)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        # -x, --maxfail and Ctrl-C leave runs of the plan undone: the report says it is incomplete.
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED or bool(session.shouldstop or session.shouldfail)
        try:
            self.written = self.write(session.config, interrupted)
        except OSError as error:
            raise pytest.UsageError(f"cannot write the report in {self.report_dir}: {error.strerror or error}") from None

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.written is not None:
            terminalreporter.write_line(f"telltale report: {self.written} (sealed by {self.report_dir / MANIFEST})")

    def write(self, config: pytest.Config, interrupted: bool) -> Path | None:
        """Write the folder over this session's runs; None when the session ran no scenario."""
        if not self.runs and not self.invalid:
            return None
        report_dir = self.report_dir
        ours = {run["dir"] for run in self.runs}
        runs_dir = report_dir / "runs"
        if runs_dir.is_dir():  # earlier sessions' runs: not this report's
            for stale in runs_dir.iterdir():
                if f"runs/{stale.name}" not in ours:
                    shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
        shutil.rmtree(report_dir / AGGREGATE_DIR, ignore_errors=True)
        browsers = list(dict.fromkeys(config.getoption("browser", None) or ["chromium"]))
        self.runs.sort(key=lambda run: (browsers.index(run["browser"]) if run["browser"] in browsers else len(browsers),
                                        run["file"]))
        document = write_run_documents(
            self.runs, report_dir, SessionFacts(self.invocation, sorted(self.invalid), complete=not interrupted))
        visuals = [(report_dir / run["dir"], load(report_dir / run["dir"])) for run in self.runs]
        aggregate_heatmaps([(run_dir, doc) for run_dir, doc in visuals if doc is not None], report_dir)
        index = write_report(document, report_dir)
        write_manifest(report_dir, complete=not interrupted)
        return index


__all__ = ["INVALID_ATTRIBUTE", "RUN_ATTRIBUTE", "SessionReport", "is_controller", "seal_broken"]
