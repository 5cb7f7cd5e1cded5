"""Tests for harness/privacy/vendors.py: rrweb events in every carrier recorders use, named in words; masks that keep
a value's length; and, end to end, findings that name the event and length leaks that fail no run.

The payloads are written by hand after the formats' sources: rrweb's ``eventWithTime`` and rrweb-snapshot's
serialised nodes, posthog-js's ``$snapshot`` events (its ``compressEvent``, ``cv: "2024-10"``), Sentry's envelope
(``replay_recording`` item: ``{"segment_id": n}`` line, then zlib'd events), Highlight's ``{"events": [...]}``
and clarity-js's upload (``{"e": envelope, "a": [...], "p": [...]}``, types/data.d.ts).
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import io
import json
import zlib
from pathlib import Path

import pytest
from demo_flows import SITE, login

from harness.capture.proxy import CapturedRequest, WebSocketFrame
from harness.cli import ExitStatus, main
from harness.privacy.protected import Guarded
from harness.privacy.rules import Evidence, Finding, evaluate_evidence
from harness.privacy.vendors import NodeIndex, RrwebEvent, clarity_events, describe, masked_texts, rrweb_events
from harness.run.timeline import Submit

EMAIL = "grace.hopper@navy.example"
PASSWORD = "Tr0ub4dor&3x!"

# A full snapshot of a small form page, as rrweb-snapshot serialises it.
SNAPSHOT: RrwebEvent = {
    "type": 2,
    "timestamp": 1000,
    "data": {
        "node": {"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
                {"type": 2, "id": 3, "tagName": "body", "attributes": {}, "childNodes": [
                    {"type": 2, "id": 4, "tagName": "form", "attributes": {"id": "login-form"}, "childNodes": [
                        {"type": 2, "id": 5, "tagName": "input", "attributes": {"id": "email", "type": "email"},
                         "childNodes": []},
                        {"type": 2, "id": 6, "tagName": "input",
                         "attributes": {"id": "password", "type": "password"}, "childNodes": []},
                        {"type": 2, "id": 7, "tagName": "input", "attributes": {"name": "q"}, "childNodes": []},
                    ]},
                    {"type": 2, "id": 8, "tagName": "p", "attributes": {"class": "note"}, "childNodes": [
                        {"type": 3, "id": 9, "textContent": f"Signed in as {EMAIL}"},
                    ]},
                    {"type": 2, "id": 10, "tagName": "div", "attributes": {"id": "note", "contenteditable": "true"},
                     "childNodes": [{"type": 3, "id": 11, "textContent": "draft"}]},
                ]},
            ]},
        ]},
        "initialOffset": {"left": 0, "top": 0},
    },
}
META: RrwebEvent = {"type": 4, "timestamp": 990, "data": {"href": "https://shop.test/login.html", "width": 800,
                                                            "height": 600}}


def typed(node: int, text: str, timestamp: int) -> RrwebEvent:
    """An rrweb input event (incremental snapshot, source 5)."""
    return {"type": 3, "timestamp": timestamp, "data": {"source": 5, "id": node, "text": text, "isChecked": False}}


def text_mutation(node: int, value: str, timestamp: int) -> RrwebEvent:
    return {"type": 3, "timestamp": timestamp,
            "data": {"source": 0, "texts": [{"id": node, "value": value}], "attributes": [], "removes": [], "adds": []}}


SESSION: list[RrwebEvent] = [META, SNAPSHOT, typed(5, EMAIL, 1200), text_mutation(11, f"call {EMAIL}", 1300)]


def nodes() -> NodeIndex:
    return NodeIndex.of([SNAPSHOT])


def latin1_gzip(value: object) -> str:
    """posthog-js's compressed event data: gzip bytes as a string, one character per byte."""
    return gzip.compress(json.dumps(value).encode()).decode("latin-1")


def sentry_envelope(events: list[RrwebEvent], *, compress: bool = True, length: bool = True) -> bytes:
    recording = json.dumps(events).encode()
    payload = b'{"segment_id":0}\n' + (zlib.compress(recording) if compress else recording)
    item = {"type": "replay_recording", **({"length": len(payload)} if length else {})}
    replay_event = json.dumps({"type": "replay_event", "replay_id": "abc", "segment_id": 0}).encode()
    return b"\n".join([
        json.dumps({"event_id": "abc", "sent_at": "2026-12-06T12:00:00.000Z", "sdk": {"name": "sentry.javascript.browser"}}).encode(),
        json.dumps({"type": "replay_event"}).encode(), replay_event,
        json.dumps(item).encode(), payload,
    ])


def posthog_batch(events: list[RrwebEvent]) -> bytes:
    return json.dumps([{"event": "$snapshot", "properties": {
        "$snapshot_data": events, "$session_id": "s1", "$window_id": "w1", "$snapshot_bytes": 1234,
    }}]).encode()


CARRIERS: list[tuple[str, bytes]] = [
    ("rrweb array", json.dumps(SESSION).encode()),
    ("rrweb batch, NDJSON", b"\n".join(json.dumps(event).encode() for event in SESSION)),
    ("posthog batch", posthog_batch(SESSION)),
    ("posthog gzip-js", gzip.compress(posthog_batch(SESSION))),
    ("posthog base64 form", b"data=" + base64.b64encode(posthog_batch(SESSION)) + b"&compression=base64&ver=1.200"),
    ("posthog cv-compressed data", posthog_batch([
        META, {**SNAPSHOT, "data": latin1_gzip(SNAPSHOT["data"]), "cv": "2024-10"},  # type: ignore[typeddict-item]
        typed(5, EMAIL, 1200),
        {**text_mutation(11, f"call {EMAIL}", 1300), "cv": "2024-10",  # type: ignore[typeddict-item]
         "data": {"source": 0, "texts": latin1_gzip([{"id": 11, "value": f"call {EMAIL}"}]),
                  "attributes": latin1_gzip([]), "removes": latin1_gzip([]), "adds": latin1_gzip([])}},
    ])),
    ("sentry envelope, zlib", sentry_envelope(SESSION)),
    ("sentry envelope, no length", sentry_envelope(SESSION, length=False)),
    ("sentry envelope, plain", sentry_envelope(SESSION, compress=False)),
    ("highlight", json.dumps({"sessionSecureID": "x", "events": SESSION, "messages": "[]"}).encode()),
    ("highlight, events as a JSON string", json.dumps({"events": json.dumps(SESSION)}).encode()),
]


@pytest.mark.parametrize("carrier", [payload for _, payload in CARRIERS], ids=[name for name, _ in CARRIERS])
def test_every_carrier_yields_the_session_in_order(carrier: bytes) -> None:
    events = rrweb_events([carrier])
    assert [(event["type"], event["timestamp"]) for event in events] == [(4, 990), (2, 1000), (3, 1200), (3, 1300)]
    assert events[1]["data"]["node"] == SNAPSHOT["data"]["node"]  # PostHog's gzip'd data inflated in place
    assert events[3]["data"]["texts"] == [{"id": 11, "value": f"call {EMAIL}"}]


def test_events_sent_twice_are_kept_once_and_sorted_across_payloads() -> None:
    later = json.dumps([typed(5, EMAIL, 1200), typed(6, "x", 1100)]).encode()
    events = rrweb_events([later, json.dumps(SESSION).encode(), later])
    assert [event["timestamp"] for event in events] == [990, 1000, 1100, 1200, 1300]


def test_things_that_only_look_like_events_are_not() -> None:
    payload = json.dumps([{"type": 9, "data": {}, "timestamp": 1}, {"type": 3, "data": "x", "timestamp": 1},
                          {"type": 3, "data": {}}, {"type": "3", "data": {}, "timestamp": 1}]).encode()
    assert rrweb_events([payload, b"\x00\x01binary", b""]) == []


@pytest.mark.parametrize(("event", "value", "words"), [
    (typed(5, EMAIL, 1), EMAIL, "rrweb incremental snapshot, input, on #email"),
    (typed(7, "query", 1), "query", 'rrweb incremental snapshot, input, on input[name="q"]'),
    (typed(99, "x", 1), "x", "rrweb incremental snapshot, input, on node 99"),
    (SNAPSHOT, EMAIL, "rrweb full snapshot, text of p.note"),
    (SNAPSHOT, "", "rrweb full snapshot"),
    (text_mutation(11, f"call {EMAIL}", 1), EMAIL, "rrweb incremental snapshot, mutation, text of #note"),
    ({"type": 3, "timestamp": 1, "data": {"source": 0, "texts": [], "removes": [], "adds": [], "attributes": [
        {"id": 5, "attributes": {"value": EMAIL}}]}}, EMAIL,
     "rrweb incremental snapshot, mutation, attribute value of #email"),
    ({"type": 3, "timestamp": 1, "data": {"source": 0, "texts": [], "removes": [], "attributes": [], "adds": [
        {"parentId": 10, "nextId": None, "node": {"type": 3, "id": 12, "textContent": EMAIL}}]}}, EMAIL,
     "rrweb incremental snapshot, mutation, added text of #note"),
    ({"type": 3, "timestamp": 1, "data": {"source": 2, "type": 2, "id": 6, "x": 1, "y": 2}}, "",
     "rrweb incremental snapshot, mouse interaction, on #password"),
    ({"type": 5, "timestamp": 1, "data": {"tag": "breadcrumb", "payload": {"message": EMAIL}}}, EMAIL,
     "rrweb custom event, breadcrumb"),
])
def test_describe_names_the_event_and_the_node(event: RrwebEvent, value: str, words: str) -> None:
    assert describe(event, nodes(), value) == words


def test_nodes_added_by_mutations_are_named_too() -> None:
    added: RrwebEvent = {"type": 3, "timestamp": 2, "data": {"source": 0, "texts": [], "attributes": [],
                                                             "removes": [], "adds": [{"parentId": 3, "nextId": None,
        "node": {"type": 2, "id": 20, "tagName": "input", "attributes": {"id": "otp"}, "childNodes": []}}]}}
    index = NodeIndex.of([SNAPSHOT, added])
    assert describe(typed(20, "123456", 3), index) == "rrweb incremental snapshot, input, on #otp"


def test_masks_are_found_with_their_length_and_field() -> None:
    events = [SNAPSHOT, typed(6, "*" * 13, 1), typed(5, "grace", 2), text_mutation(11, "•••••", 3),
              typed(6, "", 4), typed(6, "*a*", 5)]
    found = masked_texts(events, nodes())
    assert [(m.selectors[0], m.length, m.event) for m in found] == [
        ("#password", 13, "rrweb incremental snapshot, input, on #password"),
        ("#note", 5, "rrweb incremental snapshot, mutation, text of #note"),
    ]


# --- in the rules ---------------------------------------------------------------------------------------------


# The same page, the e-mail not shown on it.
PAGE: RrwebEvent = json.loads(json.dumps(SNAPSHOT).replace(f"Signed in as {EMAIL}", "Welcome"))


def _beacon(t_ms: float, body: bytes) -> CapturedRequest:
    return CapturedRequest(t_ms, "POST", "https://recorder.example/s", (), body, "fetch")


def _evidence(*requests: CapturedRequest) -> Evidence:
    guarded = [
        Guarded(EMAIL, "#email", "plain text field", "email", False, False, "#login-form", 10.0),
        Guarded(PASSWORD, "#password", "type=password", "password", True, False, "#login-form", 20.0),
    ]
    return Evidence(requests, [], [], guarded, [Submit("#login-form", "https://shop.test/login.html", 5000.0)], [])


def _by_rule(findings: list[Finding]) -> dict[str, Finding]:
    return {finding.rule: finding for finding in findings}


@pytest.mark.parametrize("carrier", ["rrweb array", "posthog gzip-js", "posthog base64 form", "sentry envelope, zlib",
                                     "sentry envelope, plain", "highlight"])
def test_a_finding_names_the_event_that_carried_the_value(carrier: str) -> None:
    session = [META, PAGE, typed(5, EMAIL, 1200), typed(6, "*" * len(PASSWORD), 1300)]
    payload = {
        "rrweb array": json.dumps(session).encode(),
        "posthog gzip-js": gzip.compress(posthog_batch(session)),
        "posthog base64 form": b"data=" + base64.b64encode(posthog_batch(session)) + b"&compression=base64",
        "sentry envelope, zlib": sentry_envelope(session),
        "sentry envelope, plain": sentry_envelope(session, compress=False),
        "highlight": json.dumps({"events": session}).encode(),
    }[carrier]
    findings = _by_rule(evaluate_evidence(_evidence(_beacon(100.0, payload))))
    leak = findings["not-before-submit"]
    assert (leak.field, leak.event) == ("#email", "rrweb incremental snapshot, input, on #email")
    assert "in rrweb incremental snapshot, input, on #email" in leak.line()
    assert leak.to_json()["event"] == leak.event and not leak.to_json()["informational"]


def test_values_only_a_vendors_reader_reveals_are_found_once() -> None:
    """PostHog's gzip'd mutation data (text typed into a contenteditable), which only the vendor's reader unpacks,
    and a Sentry envelope's zlib'd item, which the generic decoder also peels (a compressed stream anywhere in a
    body): each value is reported once per form it left in."""
    mutation = {**text_mutation(11, "x", 1300), "cv": "2024-10", "data": {
        "source": 0, "texts": latin1_gzip([{"id": 11, "value": f"mail {EMAIL}"}]), "attributes": latin1_gzip([]),
        "removes": latin1_gzip([]), "adds": latin1_gzip([])}}
    (leak,) = evaluate_evidence(_evidence(_beacon(100.0, posthog_batch([PAGE, mutation]))))  # type: ignore[list-item]
    assert (leak.field, leak.encoding, leak.event) == (
        "#email", "posthog-cv → gzip", "rrweb incremental snapshot, mutation, text of #note")
    (leak,) = evaluate_evidence(_evidence(_beacon(100.0, sentry_envelope([PAGE, typed(5, EMAIL, 1200)]))))
    assert leak.encoding.endswith("zlib") and leak.event == "rrweb incremental snapshot, input, on #email"
    shown_too = sentry_envelope([PAGE, typed(5, EMAIL, 1200)]) + b"\n" + json.dumps({"email": EMAIL}).encode()
    encodings = [f.encoding for f in evaluate_evidence(_evidence(_beacon(100.0, shown_too)))]
    assert "plain" in encodings and len(encodings) == len(set(encodings)), encodings  # each form of it once


def test_the_snapshot_that_carried_a_value_is_named_when_it_came_in_another_request() -> None:
    first = _beacon(100.0, json.dumps([META, SNAPSHOT]).encode())
    later = _beacon(200.0, json.dumps([text_mutation(11, EMAIL, 1300)]).encode())
    events = {f.event for f in evaluate_evidence(_evidence(first, later)) if f.rule == "not-before-submit"}
    assert events == {"rrweb full snapshot, text of p.note", "rrweb incremental snapshot, mutation, text of #note"}


def test_a_length_preserving_mask_is_an_informational_length_leak() -> None:
    session = [PAGE] + [typed(6, "*" * n, 1100 + n) for n in range(1, len(PASSWORD) + 1)]
    findings = evaluate_evidence(_evidence(_beacon(100.0, json.dumps(session).encode())))
    (leak,) = findings  # masks of other lengths (the keystrokes before) are nothing
    assert (leak.rule, leak.field, leak.variant, leak.informational) == (
        "length-leak", "#password", f"length:{len(PASSWORD)}", True)
    assert leak.event == "rrweb incremental snapshot, input, on #password"
    assert leak.line().startswith("informational length-leak: #password")
    assert leak.to_json()["informational"] is True


def test_a_mask_of_another_field_or_length_is_no_finding() -> None:
    session = [PAGE, typed(5, "*" * len(PASSWORD), 1100), typed(6, "*" * (len(PASSWORD) + 1), 1200)]
    assert evaluate_evidence(_evidence(_beacon(100.0, json.dumps(session).encode()))) == []


def test_events_in_websocket_frames_are_named_and_their_masks_found() -> None:
    """A recorder streaming over a WebSocket: the snapshot in one frame, the events in later ones."""
    frames = [WebSocketFrame(50.0 + i, "wss://recorder.example/ws", "sent", json.dumps(event).encode(), True)
              for i, event in enumerate([PAGE, typed(5, EMAIL, 1200), typed(6, "*" * len(PASSWORD), 1300)])]
    evidence = dataclasses.replace(_evidence(), frames=frames)
    found = {(f.rule, f.where, f.event, f.informational) for f in evaluate_evidence(evidence)}
    assert found == {
        ("not-before-submit", "frame", "rrweb incremental snapshot, input, on #email", False),
        ("length-leak", "frame", "rrweb incremental snapshot, input, on #password", True),
    }


def test_clarity_uploads_are_read_and_their_events_named() -> None:
    upload = {
        "e": ["0.8.9", 1, 0, 350, "projectid", "userid", "sessionid", 1, 0, 0],
        "a": [[120, 27, 5, EMAIL], [130, 9, 5, 10, 20]],
        "p": [[100, 6, [5, 4, "input", "type=email"]]],
    }
    payload = gzip.compress(json.dumps(upload).encode())
    assert [event[1] for event in clarity_events(payload)] == [27, 9, 6]
    (leak,) = evaluate_evidence(_evidence(_beacon(100.0, payload)))
    assert (leak.rule, leak.field, leak.event) == ("not-before-submit", "#email", "clarity Input event")


# --- end to end -----------------------------------------------------------------------------------------------

LOGIN = login(wait_ms=300, submit=False)

# A small recorder in rrweb's format: a full snapshot with node ids, then an input event per keystroke. Inputs are
# masked one '*' per character (rrweb's and Sentry's default) unless MASK_EMAIL is false.
RECORDER = """
(function () {
  var MASK_EMAIL = %s;
  var ids = new Map(), next = 1;
  function serialise(node) {
    var id = next++; ids.set(node, id);
    var out = {id: id, childNodes: []};
    if (node.nodeType === 9) { out.type = 0; }
    else if (node.nodeType === 1) {
      out.type = 2; out.tagName = node.tagName.toLowerCase(); out.attributes = {};
      for (var i = 0; i < node.attributes.length; i++) {
        var a = node.attributes[i]; if (a.name !== 'value') out.attributes[a.name] = a.value;
      }
    } else if (node.nodeType === 3) { out.type = 3; out.textContent = node.textContent; }
    else { out.type = 5; out.textContent = ''; }
    node.childNodes.forEach(function (child) {
      if (child.nodeType !== 10 && child.nodeName !== 'SCRIPT') out.childNodes.push(serialise(child));
    });
    return out;
  }
  function send(events) {
    fetch('https://rec.example/rec', {method: 'POST', body: JSON.stringify({events: events}), keepalive: true});
  }
  addEventListener('DOMContentLoaded', function () {
    send([{type: 4, data: {href: location.href, width: innerWidth, height: innerHeight}, timestamp: Date.now()},
          {type: 2, data: {node: serialise(document), initialOffset: {left: 0, top: 0}}, timestamp: Date.now()}]);
  });
  addEventListener('input', function (e) {
    var t = e.target, masked = t.type === 'password' || MASK_EMAIL;
    var text = masked ? '*'.repeat(t.value.length) : t.value;
    send([{type: 3, data: {source: 5, id: ids.get(t) || 0, text: text, isChecked: false}, timestamp: Date.now()}]);
  }, true);
})();
"""


def _run(tmp_path: Path, engine: str, mask_email: bool) -> tuple[int, str, dict[str, object]]:
    tmp_path.mkdir(exist_ok=True)
    tracker = tmp_path / "recorder.js"
    tracker.write_text(RECORDER % ("true" if mask_email else "false"))
    scenario = tmp_path / "login.yaml"
    scenario.write_text(LOGIN)
    out, err = io.StringIO(), io.StringIO()
    report = tmp_path / "report"
    status = main(["run", str(scenario), "--site", str(SITE), "--report", str(report), "--snippet", str(tracker),
                   "--browser", engine], out, err)
    return status, out.getvalue() + err.getvalue(), json.loads((report / "results.json").read_text())


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_a_recorder_in_rrwebs_format_is_judged_by_event(tmp_path: Path, engine: str) -> None:
    """The typed e-mail is named by its input event; the password, masked to its length, is a length leak only."""
    status, out, results = _run(tmp_path / "unmasked", engine, mask_email=False)
    (run,) = results["runs"]  # type: ignore[misc]
    findings = {f["rule"]: f for f in run["findings"]}
    assert run["status"] == "failed" and status == ExitStatus.CHECK_FAILED, out
    leak = findings["not-before-submit"]
    assert (leak["field"], leak["event"]) == ("#email", "rrweb incremental snapshot, input, on #email"), out
    length = findings["length-leak"]
    assert (length["field"], length["informational"], length["event"]) == (
        "#password", True, "rrweb incremental snapshot, input, on #password"), out
    assert "in rrweb incremental snapshot, input, on #email" in out and "informational length-leak: #password" in out

    status, out, results = _run(tmp_path / "masked", engine, mask_email=True)
    (run,) = results["runs"]  # type: ignore[misc]
    assert run["status"] == "passed" and status == ExitStatus.OK, out
    assert {(f["rule"], f["field"], f["informational"]) for f in run["findings"]} == {
        ("length-leak", "#email", True), ("length-leak", "#password", True)}, out
    assert "informational length-leak: #email" in out
    page = (tmp_path / "masked" / "report" / "index.html").read_text()
    assert "informational: fails no run" in page
