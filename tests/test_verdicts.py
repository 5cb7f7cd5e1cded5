"""No green on nothing: a run whose tracker sent nothing or threw is ``inconclusive``, never ``passed``.

Real browsers, the real proxy and the bundled demo site, through the command line; and the verdict's own
rules on hand-made runs.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.capture.proxy import CapturedRequest, Recording
from harness.capture.routing import Party
from harness.cli import ExitStatus, main
from harness.run.runner import SNIPPET_SOURCE, attribute_errors
from harness.run.timeline import PageError, Timeline

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"

SCENARIO = """
name: Type a one-time code and leave
start: https://shop.test/verify.html
secrets:
  code: "{canary:otp}"
steps:
  - type: {selector: "#otp", text: "{code}", delay: 5}
  - leave: close
"""

# Sends each key's code (harmless: not the value) so the tracker is seen to work, then breaks.
SENDS_THEN_THROWS = """
addEventListener('keydown', function () { navigator.sendBeacon('https://tracker.test/k', 'key'); }, true);
addEventListener('keyup', function () { setTimeout(function () { throw new Error('late tracker bug'); }, 0); }, true);
"""

THROWS_WHILE_LOADING = "var config = undefined;\nconfig.endpoint.split('/');\n"

SENDS = "addEventListener('keydown', function () { navigator.sendBeacon('https://tracker.test/k', 'key'); }, true);\n"


def _run(tmp_path: Path, scenario: str, *extra: str) -> tuple[int, str, dict[str, object]]:
    out, err = io.StringIO(), io.StringIO()
    path = tmp_path / "scenario.yaml"
    path.write_text(scenario)
    report = tmp_path / "report"
    status = main(["run", str(path), "--site", str(SITE), "--report", str(report), *extra], out, err)
    return status, out.getvalue() + err.getvalue(), json.loads((report / "results.json").read_text())


def _snippet(tmp_path: Path, source: str) -> str:
    path = tmp_path / "tracker.js"
    path.write_text(source)
    return str(path)


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_a_snippet_that_throws_while_loading_is_inconclusive_and_its_error_shown(tmp_path: Path, engine: str) -> None:
    status, out, results = _run(tmp_path, SCENARIO, "--snippet", _snippet(tmp_path, THROWS_WHILE_LOADING),
                                "--browser", engine)
    assert status == ExitStatus.CHECK_FAILED, out
    (run,) = results["runs"]  # type: ignore[misc]
    assert run["status"] == "inconclusive", out
    assert any("the tracker threw while loading" in reason for reason in run["inconclusive"])
    assert any("the tracker sent nothing" in reason for reason in run["inconclusive"])
    errors = [e for e in run["timeline"]["errors"] if e["tracker"]]
    assert {e["kind"] for e in errors} >= {"load", "exception"}
    assert "INCON" in out and "0 passed, 0 failed, 1 inconclusive, 0 errors" in out
    suite = ET.parse(tmp_path / "report" / "junit.xml").getroot()
    failure = suite.find("testcase/failure")
    assert suite.get("failures") == "1" and failure is not None and failure.get("type") == "inconclusive"
    page = (tmp_path / "report" / "index.html").read_text()
    assert "Inconclusive" in page and "the tracker under test" in page


def test_a_tracker_that_sends_but_throws_later_is_inconclusive(tmp_path: Path) -> None:
    status, out, results = _run(tmp_path, SCENARIO, "--snippet", _snippet(tmp_path, SENDS_THEN_THROWS))
    (run,) = results["runs"]  # type: ignore[misc]
    assert run["status"] == "inconclusive" and status == ExitStatus.CHECK_FAILED, (out, run["timeline"]["errors"])
    assert run["tracker_sent"] > 0
    (reason,) = run["inconclusive"]
    assert reason.startswith("the tracker threw: late tracker bug") and SNIPPET_SOURCE in reason


def test_a_tracker_that_sends_and_never_throws_passes(tmp_path: Path) -> None:
    status, out, results = _run(tmp_path, SCENARIO, "--snippet", _snippet(tmp_path, SENDS))
    (run,) = results["runs"]  # type: ignore[misc]
    assert (run["status"], status, run["inconclusive"]) == ("passed", ExitStatus.OK, []), out
    assert run["tracker_sent"] >= 6 and not [e for e in run["timeline"]["errors"] if e["tracker"]]


def test_no_snippet_on_a_site_that_tracks_nothing_is_inconclusive_unless_silence_is_expected(tmp_path: Path) -> None:
    status, out, results = _run(tmp_path, SCENARIO, "--no-snippet")
    (run,) = results["runs"]  # type: ignore[misc]
    assert (run["status"], status, run["tracker_sent"]) == ("inconclusive", ExitStatus.CHECK_FAILED, 0), out
    status, out, results = _run(tmp_path, "silent: true\n" + SCENARIO, "--no-snippet")
    (run,) = results["runs"]  # type: ignore[misc]
    assert (run["status"], status) == ("passed", ExitStatus.OK), out


def test_silent_must_be_true_or_false(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text("silent: maybe\n" + SCENARIO)
    err = io.StringIO()
    status = main(["run", str(path), "--site", str(SITE), "--report", str(tmp_path / "r")], io.StringIO(), err)
    assert status == ExitStatus.INVALID_INPUT
    assert f"{path}:1:9: silent must be true or false, got string 'maybe'" in err.getvalue()


def _script(url: str, party: Party) -> CapturedRequest:
    return CapturedRequest(t_ms=1.0, method="GET", url=url, headers=(), body=b"", channel="script", party=party)


def test_errors_are_the_trackers_when_they_come_from_its_script() -> None:
    recording = Recording()
    recording.requests += [_script("https://cdn.vendor.test/tag.js", "third"), _script("https://app.test/app.js", "first")]
    errors = [
        PageError("exception", "vendor", "https://cdn.vendor.test/tag.js", 1.0),
        PageError("exception", "app", "https://app.test/app.js", 2.0),
        PageError("console", "snippet", SNIPPET_SOURCE, 3.0),
        PageError("exception", "no stack", "", 4.0),
    ]
    nothing_injected = Timeline(errors=list(errors))
    attribute_errors(nothing_injected, recording, injected=False)
    assert [e.message for e in nothing_injected.tracker_errors] == ["vendor"]
    injected = Timeline(errors=list(errors))
    attribute_errors(injected, recording, injected=True)
    assert [e.message for e in injected.tracker_errors] == ["snippet"]
    # Firefox gives an exception thrown while an injected script loads no stack: the failed load marks it.
    loading = Timeline(errors=[*errors, PageError("load", "the snippet threw while loading", SNIPPET_SOURCE, 0.5)])
    attribute_errors(loading, recording, injected=True)
    assert [e.message for e in loading.tracker_errors] == ["snippet", "no stack", "the snippet threw while loading"]
