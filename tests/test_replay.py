"""Replay at the checkpoints, through the command line with real browsers: the replay frame matches the live screenshot
outside the masks, the masks hide every typed value, and results.json carries the pictures and the proof."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from harness.cli import ExitStatus, main
from harness.replay.fidelity import FIDELITY_THRESHOLD

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "scenarios" / "site"

OPTED_OUT = """
name: A checkpoint after opting out has nothing to replay
silent: true
start: https://shop.test/privacy.html
steps:
  - checkpoint: before
  - optout: {}
  - checkpoint: after
  - leave: close
"""


def run(tmp_path: Path, scenario: str, *extra: str, text: str | None = None) -> tuple[int, str, dict[str, Any]]:
    """Run one scenario (a copy of a bundled one, or ``text``) in-process; return status, output and results.json."""
    folder = tmp_path / "scenarios"
    folder.mkdir(exist_ok=True)
    target = folder / f"{scenario}.yaml"
    if text is not None:
        target.write_text(text)
    elif not target.exists():
        shutil.copyfile(ROOT / "scenarios" / f"{scenario}.yaml", target)
    out, err = io.StringIO(), io.StringIO()
    report = tmp_path / "report"
    status = main(["run", str(target), "--site", str(SITE), "--report", str(report), *extra], out, err)
    return status, out.getvalue() + err.getvalue(), json.loads((report / "results.json").read_text())


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_login_replay_is_faithful_and_hides_every_typed_value(tmp_path: Path, engine: str) -> None:
    status, output, results = run(tmp_path, "login_show_password", "--browser", engine)
    assert status == ExitStatus.OK, output
    (run_,) = results["runs"]
    report = tmp_path / "report"
    checkpoints = {c["name"]: c for c in run_["checkpoints"]}
    assert list(checkpoints) == ["login-page", "password-revealed", "signed-in"]
    for checkpoint in checkpoints.values():
        assert checkpoint["status"] == "passed", checkpoint
        assert checkpoint["fidelity"] >= FIDELITY_THRESHOLD
        assert checkpoint["mismatch_ratio"] == pytest.approx(1 - checkpoint["fidelity"], abs=1e-6)
        assert checkpoint["baseline"] == "new" and Path(checkpoint["baseline_path"]).is_file()
        for key in ("live", "replay", "diff", "heatmap"):
            with Image.open(report / checkpoint[key]) as image:
                assert image.size[0] > 0
        with Image.open(report / checkpoint["live"]) as live, Image.open(report / checkpoint["replay"]) as shown:
            assert live.size == shown.size == (1280, 720)
    # The password was typed, revealed as text and typed further: the replay shows its field empty, under a mask.
    revealed = next(r for r in run_["replay"]["redaction"] if r["checkpoint"] == "password-revealed")
    assert revealed["status"] == "proven" and revealed["found"] == [] and revealed["values_checked"] >= 3
    fields = {f["field"]: f for f in revealed["fields"]}
    assert set(fields) == {"#email", "#password"}
    assert all(f["on_screen"] and f["covered"] >= 0.99 and f["replay_empty"] and f["live_differs_px"] > 0
               for f in fields.values())
    # The profile on the account page is marked sensitive: masked text, and the shown secrets are nowhere.
    signed_in = checkpoints["signed-in"]
    assert signed_in["redaction"] == "proven" and signed_in["masked_regions"] >= 1
    inert = run_["replay"]["inert"]
    assert inert["requests"] == inert["routed"] == 0 and inert["failed_events"] == 0
    session = run_["replay"]["session"]
    assert session["gaps"] == [] and session["problems"] == [] and len(session["pages"]) == 2
    with Image.open(report / run_["replay"]["video"]) as video:
        assert video.n_frames > 3  # type: ignore[attr-defined]
    pages = {h["page"]: h for h in run_["replay"]["heatmaps"]}
    assert set(pages) == {"https://shop.test/login.html", "https://shop.test/account.html"}
    assert all(set(h["aggregate"]) == {"clicks", "moves", "scroll"} for h in pages.values())
    # Nothing typed is written in clear by the replay either.
    visual = (report / run_["dir"] / "visual.json").read_text()
    assert "canary" not in visual


def test_a_moment_after_opting_out_is_not_replayed(tmp_path: Path) -> None:
    status, output, results = run(tmp_path, "opted_out", "--browser", "chromium", text=OPTED_OUT)
    assert status == ExitStatus.OK, output
    before, after = results["runs"][0]["checkpoints"]
    assert before["status"] == "passed" and after["status"] == "not-recorded"


def test_a_run_without_our_snippet_has_no_replay(tmp_path: Path) -> None:
    status, output, results = run(tmp_path, "opted_out", "--browser", "chromium", "--no-snippet", text=OPTED_OUT)
    assert status == ExitStatus.OK, output
    assert {c["status"] for c in results["runs"][0]["checkpoints"]} == {"no-replay"}
    assert results["runs"][0]["replay"]["status"] == "no-replay"
