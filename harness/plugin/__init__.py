"""pytest plugin: scenario files as tests, and fixtures for scenarios written in Python.

``pytest scenarios/`` collects each scenario file as one item per browser (pytest-playwright's ``--browser``);
a failure reads in the scenario's own terms. Python tests get ``tracked_page`` (a page with the snippet injected
and its traffic captured at the wire), ``capture`` (what was recorded) and ``privacy`` (the privacy rules).

Browsers come from pytest-playwright's fixture ladder (``playwright`` → ``browser`` → ``context``); this plugin
only points them at the capturing proxy. Scenario items share the same Playwright instance.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.plugin import fixtures
from harness.plugin.items import InvalidScenario, ScenarioFile, ScenarioItem, is_scenario_file
from harness.plugin.report import INVALID_ATTRIBUTE, RUN_ATTRIBUTE, SessionReport, is_controller
from harness.plugin.session import SESSION, PluginSession, plugin_settings, session_of
from harness.report.results import Invocation


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("telltale", "Telltale privacy harness")
    group.addoption("--telltale-snippet", dest="telltale_snippet", metavar="FILE.js",
                    help="tracking snippet to inject (default: harness/resources/telltale.min.js)")
    group.addoption("--telltale-site", dest="telltale_site", metavar="DIR",
                    help="demo site folder (default: scenarios/site)")
    group.addoption("--telltale-report", dest="telltale_report", metavar="DIR",
                    help="where scenario runs write traffic and timelines (default: telltale-report)")
    group.addoption("--telltale-third-party", dest="telltale_third_party", metavar="POLICY",
                    help="hosts other than the app under test: stub (answered locally, the default) or live")
    group.addoption("--telltale-trust-upstream", dest="telltale_trust_upstream", action="store_true",
                    help="accept a self-signed TLS certificate from the app under test")
    group.addoption("--telltale-observation-window", dest="telltale_observation_window", metavar="SECONDS",
                    help="seconds a page's pending timers get before it goes, from the last value typed on it "
                         "(default: 30; 0 waits for none)")
    group.addoption("--telltale-update-baselines", dest="telltale_update_baselines", action="store_true",
                    help="write every checkpoint's replay frame as its baseline")
    parser.addini("telltale_snippet", "tracking snippet to inject", default="")
    parser.addini("telltale_site", "demo site folder", default="")
    # No defaults here: an unset key leaves the setting to TELLTALE_* variables, the config file, then its default.
    parser.addini("telltale_report", "where scenario runs write their files", default="")
    parser.addini("telltale_third_party", "hosts other than the app under test: stub or live", default="")
    parser.addini("telltale_observation_window", "seconds a page's pending timers get before it goes", default="")
    parser.addini("telltale_scenarios", "glob patterns (from the rootdir) of more scenario files to collect",
                  type="args", default=[])


def pytest_configure(config: pytest.Config) -> None:
    try:
        session = PluginSession(config, plugin_settings(config, os.environ))
        session.routing()
    except UsageError as error:
        raise pytest.UsageError(str(error)) from None
    try:
        session.snippet()  # a snippet that cannot be read must stop the run, never pass with nothing injected
    except UsageError as error:
        raise pytest.UsageError(f"--telltale-snippet: {error}") from None
    config.stash[SESSION] = session
    if is_controller(config):
        invocation = Invocation.now([str(arg) for arg in config.invocation_params.args],
                                    None if session.settings.snippet is None else str(session.settings.snippet),
                                    session.snippet(), program="pytest")
        config.pluginmanager.register(SessionReport(session.report_dir(), invocation), "telltale.report")
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        # A bare `pytest` runs its testpaths and the scenarios the ini's telltale_scenarios globs name.
        root = Path(config.rootpath)
        config.args += sorted({str(path) for glob in config.getini("telltale_scenarios") for path in root.glob(glob)})
    # Registered after every entry-point plugin, so these fixtures take precedence over pytest-playwright's.
    config.pluginmanager.register(fixtures, "telltale.fixtures")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A scenario item's run document rides on its report: pytest-xdist carries it to the controller."""
    report = yield
    if report.when == "call":
        if isinstance(item, ScenarioItem) and item.run_json is not None:
            setattr(report, RUN_ATTRIBUTE, item.run_json)
        elif isinstance(item, InvalidScenario):
            setattr(report, INVALID_ATTRIBUTE, str(item.error))
    return report


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION, None)
    if session is not None:
        session.close()


# -- scenario files as tests ---------------------------------------------------------------------------------------


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Scenario files: see :func:`is_scenario_file`."""
    if file_path.suffix in (".yaml", ".yml") and is_scenario_file(file_path, parent.config):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


__all__ = ["ScenarioFile", "ScenarioItem", "session_of"]
