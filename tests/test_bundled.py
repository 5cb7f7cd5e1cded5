"""The main job, as the README's quick start runs it (here two runs at a time per browser, to save the suite time):
every bundled scenario with our snippet, in Chromium and Firefox, keeps every privacy promise, and its replay is
faithful and redacted at every checkpoint."""

from __future__ import annotations

import io
import json
from pathlib import Path

from harness.cli import ExitStatus, main

ROOT = Path(__file__).resolve().parent.parent


def test_bundled_scenarios_pass_every_rule_and_replay_faithfully_in_both_browsers(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["run", str(ROOT / "scenarios"), "--report", str(tmp_path / "report"), "--browser", "chromium",
         "--browser", "firefox", "-j", "2"], out, err,  # two at once per browser: runs mostly wait for their window
    )
    runs = json.loads((tmp_path / "report" / "results.json").read_text())["runs"]
    problems = {f"{r['file']} [{r['browser']}]": r["findings"] or r["error"] or r.get("visual_problems") for r in runs if r["status"] != "passed"}
    assert not problems, problems
    assert status == ExitStatus.OK, out.getvalue() + err.getvalue()
    scenarios = len(list((ROOT / "scenarios").glob("*.yaml")))
    assert len(runs) == 2 * scenarios
    checkpoints = [(r["browser"], r["file"], c) for r in runs for c in r["checkpoints"]]
    assert checkpoints
    for browser, file, checkpoint in checkpoints:
        where = f"{file} [{browser}] {checkpoint['name']}"
        if checkpoint["status"] == "not-recorded":  # after an opt-out nothing is recorded, so nothing replays
            continue
        assert checkpoint["status"] == "passed", (where, checkpoint.get("detail"))
        assert checkpoint["redaction"] in ("proven", "n/a"), (where, checkpoint.get("redaction_detail"))
    for run in runs:
        inert = run["replay"]["inert"]
        assert run["replay"]["status"] == "replayed" and inert["requests"] == 0 and inert["routed"] == 0, run["file"]
