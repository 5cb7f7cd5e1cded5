"""harness/baselines.py: replay frames against per-browser baselines; ``telltale approve`` and ``--update-baselines``."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.cli import ExitStatus, main
from harness.replay import baselines
from harness.replay.diff import load_png, save_png

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"

SCENARIO = """
name: Type a code and look at the page
start: https://shop.test/verify.html
secrets:
  otp: "{canary:otp}"
steps:
  - click: "#otp"
  - type: {selector: "#otp", text: "{otp}", delay: 5}
  - checkpoint: typed
  - leave: close
"""


def image(colour: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> np.ndarray:
    out = np.zeros((size[1], size[0], 4), dtype=np.uint8)
    out[..., :3] = colour
    out[..., 3] = 255
    return out


def test_baseline_path_is_per_browser_beside_the_scenarios() -> None:
    path = baselines.baseline_path("scenarios/login.yaml", "firefox", "login", "signed-in")
    assert path == Path("scenarios/baselines/firefox/login/signed-in.png")


def test_a_missing_baseline_is_written_and_reported_new(tmp_path: Path) -> None:
    frame, baseline = tmp_path / "frame.png", tmp_path / "b" / "x.png"
    save_png(frame, image((10, 20, 30)))
    result = baselines.check(frame, baseline, tmp_path / "out", "x")
    assert result.status == "new" and result.passed and baseline.read_bytes() == frame.read_bytes()
    assert baselines.check(frame, baseline, tmp_path / "out", "x").status == "matched"


def test_a_differing_frame_fails_and_leaves_actual_expected_and_diff(tmp_path: Path) -> None:
    frame, baseline = tmp_path / "frame.png", tmp_path / "baseline.png"
    save_png(baseline, image((255, 255, 255)))
    changed = image((255, 255, 255))
    changed[5:15, 5:15, :3] = 0
    save_png(frame, changed)
    result = baselines.check(frame, baseline, tmp_path / "out", "x")
    assert (result.status, result.passed) == ("failed", False)
    assert result.ratio == pytest.approx(100 / 1200) and "100 of 1200 pixels differ" in result.detail
    assert result.expected and result.actual and result.diff
    assert (load_png(result.expected) == image((255, 255, 255))).all() and (load_png(result.actual) == changed).all()
    assert load_png(result.diff)[10, 10].tolist() == [255, 0, 0, 255]
    assert load_png(baseline)[10, 10].tolist() == [255, 255, 255, 255]  # never replaced without being asked


def test_a_frame_of_another_size_fails(tmp_path: Path) -> None:
    frame, baseline = tmp_path / "frame.png", tmp_path / "baseline.png"
    save_png(baseline, image((0, 0, 0)))
    save_png(frame, image((0, 0, 0), (41, 30)))
    result = baselines.check(frame, baseline, tmp_path, "x")
    assert result.status == "failed" and result.detail == "size 41x30, expected 40x30" and result.diff is None


def test_update_and_approve_replace_baselines(tmp_path: Path) -> None:
    frame, baseline = tmp_path / "frame.png", tmp_path / "baseline.png"
    save_png(baseline, image((0, 0, 0)))
    save_png(frame, image((9, 9, 9)))
    assert baselines.check(frame, baseline, tmp_path, "x", update=True).status == "updated"
    save_png(frame, image((99, 99, 99)))
    assert baselines.approve([(frame, baseline)]) == [baseline]
    assert baselines.check(frame, baseline, tmp_path, "x").status == "matched"


def _run(tmp_path: Path, *extra: str) -> tuple[int, str, dict[str, Any]]:
    scenario = tmp_path / "scenarios" / "verify.yaml"
    scenario.parent.mkdir(exist_ok=True)
    scenario.write_text(SCENARIO)
    out = io.StringIO()
    report = tmp_path / "report"
    status = main(["run", str(scenario), "--site", str(SITE), "--report", str(report), "--browser", "chromium", *extra],
                  out, out)
    (run,) = json.loads((report / "results.json").read_text())["runs"]
    # The run's own status and JUnit follow its checkpoints: a failed visual check fails the run.
    failed = run["checkpoints"][0]["status"] == "failed"
    assert run["status"] == ("failed" if failed else "passed") and bool(run["visual_problems"]) == failed
    junit = (report / "junit.xml").read_text()
    assert ("differs from its baseline" in junit) == failed
    # ... and so do the progress line and the summary a QA engineer reads in the terminal.
    printed = out.getvalue()
    assert printed.startswith("FAIL  verify [chromium]" if failed else "PASS  verify [chromium]"), printed
    assert re.search(r"^verify\s+failed\s*$" if failed else r"^verify\s+passed\s*$", printed, re.M), printed
    assert ("0 passed, 1 failed" if failed else "1 passed, 0 failed") in printed
    return status, printed, run["checkpoints"][0]


def test_baselines_through_the_command_line(tmp_path: Path) -> None:
    """New, then stable from run to run although each run types another code; changed, approved, updated."""
    status, output, first = _run(tmp_path)
    assert status == ExitStatus.OK and first["baseline"] == "new", output
    baseline = Path(first["baseline_path"])
    assert baseline == tmp_path / "scenarios" / "baselines" / "chromium" / "verify" / "typed.png"

    status, output, second = _run(tmp_path)  # a new canary code is typed: the masked replay looks the same
    assert status == ExitStatus.OK and second["baseline"] == "matched" and second["baseline_ratio"] == 0, output

    edited = load_png(baseline)
    edited[100:140, 100:300, :3] = (255, 0, 255)
    save_png(baseline, edited)
    status, output, third = _run(tmp_path)
    assert status == ExitStatus.CHECK_FAILED and third["baseline"] == "failed" and third["status"] == "failed"
    assert "differs from its baseline" in output
    report = tmp_path / "report"
    for key in ("baseline_expected", "baseline_actual", "baseline_diff"):
        assert (report / third[key]).is_file(), key

    out = io.StringIO()
    assert main(["approve", str(report)], out, out) == ExitStatus.OK
    assert f"approved {baseline}" in out.getvalue()
    assert (load_png(baseline) == load_png(report / third["replay"])).all()
    out = io.StringIO()
    assert main(["approve", str(report / "nope")], out, out) == ExitStatus.INVALID_INPUT

    status, output, fourth = _run(tmp_path, "--update-baselines")
    assert status == ExitStatus.OK and fourth["baseline"] == "updated", output
