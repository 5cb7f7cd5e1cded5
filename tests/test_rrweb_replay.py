"""What the vendor's staff will see: a run whose tracker records with rrweb is replayed by rrweb's own replayer
(harness/replay/rrweb_page.py), and each checkpoint gets the checks our own replay gets, in Chromium and Firefox.

The tracker is rrweb's recorder from the pinned npm package (``snippet/rrweb/recorder.js``, bundled at test time by
``snippet/build-rrweb.mjs``), with rrweb's defaults: a password field is masked (``*`` per character), an e-mail
field is recorded in clear. So the vendor replay must show the e-mail (and the redaction proof flag it) and must not
show the password (its field proven masked); the rest of the page must match the live screenshot.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.cli import main
from harness.privacy.vendors import rrweb_events
from harness.replay.diff import load_png
from harness.replay.fidelity import FIDELITY_THRESHOLD, MASK_HATCH
from harness.replay.rrweb_page import page_at, replayable, viewport

ROOT = Path(__file__).resolve().parent.parent
SNIPPET_DIR = ROOT / "snippet"
SITE = ROOT / "scenarios" / "site"

SCENARIO = """\
name: Sign in under an rrweb recorder
start: https://shop.test/login.html
secrets:
  email: "{canary:email}"
  password: "{canary:password}"
steps:
  - checkpoint: login-page
  - click: "#email"
  - type: {selector: "#email", text: "{email}", delay: 30}
  - click: "#password"
  - type: {selector: "#password", text: "{password}", delay: 30}
  - checkpoint: typed
  - leave: close
"""


@pytest.fixture(scope="module")
def rrweb_tracker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """rrweb's recorder as a tracker, built from the pinned package (never committed)."""
    node = shutil.which("node")
    assert node, "node is not installed (.ci/setup installs it)"
    assert (SNIPPET_DIR / "node_modules" / "rrweb").exists(), "rrweb is not installed: run `npm ci` in snippet/"
    out = tmp_path_factory.mktemp("rrweb") / "rrweb-tracker.js"
    done = subprocess.run([node, "build-rrweb.mjs", "recorder", str(out)], cwd=SNIPPET_DIR, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return out


def _run(browser: str, tracker: Path, folder: Path) -> dict[str, Any]:
    scenario = folder / "login.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    scenario.write_text(SCENARIO)
    out, err = io.StringIO(), io.StringIO()
    main(["run", str(scenario), "--browser", browser, "--report", str(folder / "report"), "--snippet", str(tracker),
          "--site", str(SITE)], out, err)
    (run,) = json.loads((folder / "report" / "results.json").read_text())["runs"]
    assert not run["error"], out.getvalue() + err.getvalue()
    return dict(run)


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_a_tracker_recording_with_rrweb_gets_the_vendor_replay_checked(
    engine: str, rrweb_tracker: Path, tmp_path: Path
) -> None:
    run = _run(engine, rrweb_tracker, tmp_path)
    assert run["replay"]["replayer"] == "rrweb" and run["replay"]["status"] == "replayed", run["replay"]
    inert = run["replay"]["inert"]
    assert inert["requests"] == 0 and inert["routed"] == 0, inert
    checkpoints = {c["name"]: c for c in run["checkpoints"]}
    for checkpoint in checkpoints.values():
        assert checkpoint["replayer"] == "rrweb" and checkpoint["page"] == "https://shop.test/login.html", checkpoint
        assert (tmp_path / "report" / checkpoint["replay"]).exists()
        assert checkpoint["fidelity"] >= FIDELITY_THRESHOLD, checkpoint
    # Before typing: nothing to show, proven so.
    assert checkpoints["login-page"]["status"] == "passed" and checkpoints["login-page"]["redaction"] == "proven"
    # After: rrweb recorded the e-mail in clear, and its replay shows it; the password it masked is not there.
    typed = checkpoints["typed"]
    assert typed["status"] == "failed" and typed["redaction"] == "failed", typed
    (evidence,) = [r for r in run["replay"]["redaction"] if r["checkpoint"] == "typed"]
    assert evidence["found"] == ["email"], evidence
    fields = {f["field"]: f for f in evidence["fields"]}
    assert not fields["#email"]["proven"] and not fields["#email"]["replay_empty"], fields
    assert fields["#password"]["proven"] and fields["#password"]["on_screen"], fields
    assert any("redaction not proven: replay DOM holds email" in p for p in run["visual_problems"]), run
    # The picture stored of it keeps the fields hatched: the finding names the value, no picture shows it.
    stored = load_png(tmp_path / "report" / typed["replay"])
    hatched = np.all(stored[..., :3] == np.array(MASK_HATCH[0], np.uint8), axis=-1).sum()
    assert hatched > 1000, hatched
    # The report shows the live page and the vendor's replay side by side, labelled.
    page = (tmp_path / "report" / "index.html").read_text()
    assert "Vendor replay (rrweb)" in page and "What the visitor saw" in page


def _event(kind: int, at: int, **data: object) -> dict[str, object]:
    return {"type": kind, "data": data, "timestamp": at}


def test_rrweb_events_are_found_in_any_layer_once_and_in_time_order() -> None:
    import gzip

    meta, snapshot = _event(4, 20, href="https://a.test/", width=800, height=600), _event(2, 21, node={})
    body = json.dumps([snapshot, meta]).encode()
    events = rrweb_events([gzip.compress(body), json.dumps({"batch": [meta, {"type": "x"}]}).encode(), b"not json"])
    assert [e["timestamp"] for e in events] == [20, 21]
    assert replayable(events) and viewport(events) == (800, 600)
    assert page_at(events, 19) is None and page_at(events, 25) == "https://a.test/"
    assert not replayable([meta])
