"""Real recorders from npm under the harness: it observes them without altering them, and they get the verdicts
their configuration deserves.

Each recorder (``tests/trackers/``: rrweb's record, Sentry Session Replay with its defaults and unmasked, Microsoft
Clarity, PostHog's session replay; pinned, bundled at test time) is injected as the snippet under test, in Chromium and Firefox, through one
scenario (``tests/data/recorder_typing.yaml``): a visitor types an e-mail and a password into the sign-up form and
leaves without submitting it, then writes a draft in a contenteditable note the site never sends. Per run:

- the recorder ran and sent its real payloads: no page error attributed to it (Sentry's replay once overflowed the
  stack under the harness), and the capture, decoded here by the vendor's own format, holds its session (rrweb
  events; Sentry envelopes with a ``replay_recording`` item; Clarity uploads) stamped with today's clock, not 1970;
- what it sent readable, read here from the decoded session, is what its documentation promises: rrweb masks only
  password inputs by default (``maskInputOptions: {password: true}``), so the e-mail and the draft go out as typed;
  Sentry's replay masks all text and inputs by default and, with ``maskAllInputs``/``maskAllText`` off, still
  masks passwords; Clarity masks input values and the words of text that look personal; PostHog masks every
  input but records page text, the draft included (gzip'd inside its events: ``cv``);
- the harness's verdict names exactly those values (never-sent: none of the forms was submitted), and a run whose
  recorder sent nothing readable passes.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import trackers
from trackers import tracker_bundle  # noqa: F401

from harness.capture.proxy import CapturedRequest
from harness.capture.routing import Routing
from harness.capture.site import Site
from harness.pipeline import RunPlan, execute
from harness.replay.visual import VisualOptions
from harness.run.browsers import BrowserName
from harness.run.loader import load_scenarios
from harness.verdict import RunVerdict

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = Path(__file__).resolve().parent / "data" / "recorder_typing.yaml"
BROWSERS: tuple[BrowserName, ...] = ("chromium", "firefox")
LEAK_RULES = ("never-sent", "not-before-submit")  # a typed value sent before (or without) its form's submission
EPOCH_2020_MS = 1_577_836_800_000  # a session stamped before this was stamped by a stopped or replaced clock
PARALLEL_RUNS = 4  # browsers at once: the recorders mostly wait (for their flush timers), they hardly compute


def _json_bodies(request: CapturedRequest) -> list[Any]:
    """The request's body as JSON, gunzipped first when it is gzip."""
    body = gzip.decompress(request.body) if request.body[:2] == b"\x1f\x8b" else request.body
    return [json.loads(body)] if body.strip() else []


def rrweb_sessions(request: CapturedRequest) -> list[list[dict[str, Any]]]:
    """Our rrweb entry's batches: ``{"events": [...]}`` posted to its collector."""
    return [body["events"] for body in _json_bodies(request)]


def sentry_items(body: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
    """The items of a Sentry envelope: a JSON header line, then per item a JSON header line and its payload (of
    the header's ``length`` in bytes, else up to the next newline)."""
    _, _, rest = body.partition(b"\n")
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        header = json.loads(line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"]:]
            rest = rest[1:] if rest[:1] == b"\n" else rest
        else:
            payload, _, rest = rest.partition(b"\n")
        yield header, payload


def sentry_sessions(request: CapturedRequest) -> list[list[dict[str, Any]]]:
    """The rrweb events of each ``replay_recording`` item: a ``{"segment_id": n}`` line, then the events as JSON,
    zlib-compressed when Sentry's compression worker ran."""
    sessions = []
    for header, payload in sentry_items(request.body):
        if header.get("type") == "replay_recording":
            _, _, events = payload.partition(b"\n")
            sessions.append(json.loads(events if events[:1] == b"[" else zlib.decompress(events)))
    return sessions


def _inflated(event: dict[str, Any]) -> dict[str, Any]:
    """An rrweb event as PostHog recorded it: with ``"cv"``, its data (or a mutation's lists) gzip'd into a string
    of one character per byte."""
    def inflate(packed: Any) -> Any:
        return json.loads(gzip.decompress(packed.encode("latin-1"))) if isinstance(packed, str) else packed

    if "cv" not in event:
        return event
    data = event["data"]
    return {**event, "data": inflate(data) if isinstance(data, str) else {k: inflate(v) for k, v in data.items()}}


def posthog_sessions(request: CapturedRequest) -> list[list[dict[str, Any]]]:
    """The rrweb events of each ``$snapshot`` event of a PostHog batch (gzip'd, or plain JSON; its calls for
    feature flags to the same host are no batch)."""
    batches = [body for body in _json_bodies(request) if isinstance(body, list)]
    return [[_inflated(event) for event in item["properties"]["$snapshot_data"]]
            for batch in batches for item in batch if item.get("event") == "$snapshot"]


def clarity_sessions(request: CapturedRequest) -> list[list[Any]]:
    """Clarity's uploads: ``{"e": envelope, "a": analytics events, "p": playback events}``, gzip or plain JSON;
    each upload as one list of its envelope and events."""
    return [[body["e"], *body.get("a", []), *body.get("p", [])] for body in _json_bodies(request)]


@dataclass(frozen=True)
class Recorder:
    """One recorder configuration: its entry in tests/trackers/, where it sends, how to read what it sent, and
    which of the scenario's secrets its documentation says it sends readable."""

    entry: str
    host: str
    sessions: Callable[[CapturedRequest], list[list[Any]]]
    readable: frozenset[str]
    proof: Callable[[list[list[Any]]], list[str]]  # problems with the decoded sessions ([] when they are real)


def _rrweb_proof(sessions: list[list[Any]]) -> list[str]:
    """Real rrweb sessions: a full snapshot, input events, every timestamp on today's clock."""
    events = [event for session in sessions for event in session]
    problems = []
    if not any(event.get("type") == 2 for event in events):
        problems.append("no rrweb full snapshot (type 2)")
    if not any(event.get("type") == 3 and event.get("data", {}).get("source") == 5 for event in events):
        problems.append("no rrweb input event (incremental snapshot, source 5)")
    # rrweb stamps in milliseconds; Sentry's own custom events (type 5) in seconds.
    stamps = [event.get("timestamp", 0) for event in events]
    stale = [t for t in stamps if (t if t > 1e11 else t * 1000) < EPOCH_2020_MS]
    if stale:
        problems.append(f"{len(stale)} rrweb events stamped before 2020, e.g. {stale[0]}")
    return problems


def _clarity_proof(sessions: list[list[Any]]) -> list[str]:
    """Real Clarity uploads: its envelope (version first), a DOM in some upload (events of type 5/6 hold it)."""
    problems = []
    if not all(session[0][0] == "0.8.70" for session in sessions):
        problems.append(f"an upload without Clarity 0.8.70's envelope: {[s[0][:2] for s in sessions]}")
    if not any(isinstance(event, list) and len(event) > 1 and event[1] in (5, 6) for s in sessions for event in s[1:]):
        problems.append("no Clarity DOM event (discover or mutation) in any upload")
    return problems


RECORDERS = {
    recorder.entry: recorder
    for recorder in (
        Recorder("rrweb_default", "rrweb.tracker.test", rrweb_sessions, frozenset({"email", "draft"}), _rrweb_proof),
        Recorder("sentry_default", "o1.ingest.sentry.io", sentry_sessions, frozenset(), _rrweb_proof),
        Recorder("sentry_unmasked", "o1.ingest.sentry.io", sentry_sessions, frozenset({"email", "draft"}),
                 _rrweb_proof),
        Recorder("clarity", "clarity.tracker.test", clarity_sessions, frozenset(), _clarity_proof),
        Recorder("posthog_default", "ph.tracker.test", posthog_sessions, frozenset({"draft"}), _rrweb_proof),
    )
}
CASES = [(entry, browser) for entry in RECORDERS for browser in BROWSERS]


def _run(bundle: Path, browser: BrowserName, report: Path) -> RunVerdict:
    found = load_scenarios([SCENARIO])
    assert not found.errors, found.errors
    plan = RunPlan(found.scenarios, [browser], Routing(Site(ROOT / "scenarios" / "site")), bundle.read_text(),
                   report, 1, VisualOptions(video=False, heatmaps=False))
    outcome = execute(plan)
    assert not outcome.environment_errors, outcome.environment_errors
    return outcome.verdicts[0]


def _case_of(item: pytest.Item) -> tuple[str, str] | None:
    """The (entry, browser) a collected test of this module runs on, None for a test of no recorder run."""
    callspec = getattr(item, "callspec", None)
    case = callspec.params.get("case") if callspec is not None else None
    return (case[0], case[1]) if case else None


@pytest.fixture(scope="module")
def verdicts(
    request: pytest.FixtureRequest,
    tracker_bundle: Callable[[str], Path],  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[str, str], RunVerdict]:
    """The verdict of every case the session selected from this module, the runs made side by side."""
    wanted = sorted({case for item in request.session.items if getattr(item, "module", None) is request.module
                     and (case := _case_of(item)) is not None})
    bundles = {entry: tracker_bundle(entry) for entry, _ in wanted}
    folder = tmp_path_factory.mktemp("recorders")
    with ThreadPoolExecutor(PARALLEL_RUNS) as pool:
        futures = {(entry, browser): pool.submit(_run, bundles[entry], browser, folder / f"{entry}-{browser}")
                   for entry, browser in wanted}
        return {case: future.result() for case, future in futures.items()}


def _sessions(recorder: Recorder, verdict: RunVerdict) -> list[list[Any]]:
    sent = [r for r in verdict.result.recording.requests if urlsplit(r.url).hostname == recorder.host]
    return [session for request in sent for session in recorder.sessions(request)]


@pytest.mark.parametrize("case", CASES, ids=[f"{entry}-{browser}" for entry, browser in CASES])
def test_the_recorder_runs_unaltered_and_sends_its_real_session(
    case: tuple[str, str], verdicts: dict[tuple[str, str], RunVerdict]
) -> None:
    recorder, verdict = RECORDERS[case[0]], verdicts[case]
    assert not verdict.result.error, verdict.result.error
    thrown = [f"{e.kind}: {e.message} ({e.source})" for e in verdict.result.timeline.tracker_errors]
    assert not thrown, thrown
    assert not verdict.inconclusive_reasons, verdict.inconclusive_reasons
    sessions = _sessions(recorder, verdict)
    assert sessions, f"nothing decodable as {recorder.entry}'s session was sent to {recorder.host}"
    assert not recorder.proof(sessions)


@pytest.mark.parametrize("case", CASES, ids=[f"{entry}-{browser}" for entry, browser in CASES])
def test_the_verdict_names_what_the_configuration_sends_readable_and_never_the_password(
    case: tuple[str, str], verdicts: dict[tuple[str, str], RunVerdict]
) -> None:
    recorder, verdict = RECORDERS[case[0]], verdicts[case]
    secrets = verdict.result.values
    decoded = json.dumps(_sessions(recorder, verdict), ensure_ascii=False)
    readable = {name for name, value in secrets.items() if value in decoded}
    # The library does what its documentation says (else the expectations below would be wrong, not the harness).
    assert readable == recorder.readable, f"{recorder.entry} sent readable {sorted(readable)}"
    by_fingerprint = {verdict.protected.fingerprint(value): name for name, value in secrets.items()}
    flagged = {by_fingerprint.get(f.fingerprint, f.field) for f in verdict.findings
               if f.rule in LEAK_RULES and urlsplit(f.url).hostname == recorder.host}
    assert flagged == recorder.readable, [finding.line() for finding in verdict.findings]
    assert "password" not in flagged
    assert verdict.status == ("failed" if recorder.readable else "passed"), verdict.problem_lines()


@pytest.mark.parametrize("ci", ["", "true"])
def test_without_npm_a_recorder_test_skips_saying_why_and_fails_in_ci(
    ci: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # nothing built yet
    monkeypatch.setattr(trackers, "INSTALLED_STAMP", tmp_path / "never-installed")
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm
    monkeypatch.setenv("CI", ci)
    outcome = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises((pytest.fail.Exception, pytest.skip.Exception)) as raised:
        trackers.bundle_or_skip("rrweb_default")
    assert raised.type is outcome
    assert str(raised.value.msg) == ("real recorders cannot be built: npm is not installed (.ci/setup installs "
                                     "nodejs and npm as root)")
