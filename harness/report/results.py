"""Writing results: ``results.json`` (its JSON Schema is docs/results.schema.json) and, per run, its traffic,
timeline and storage.

Nothing written here holds a protected value (a typed value or a declared secret) in clear. Every string passes
through a :class:`harness.redact.Redactor`, which replaces each value, in every spelling a tracker is known to
use, by a keyed fingerprint marker (the markers are listed in :mod:`harness.redact`).

Redaction keeps stored traffic in its shape; a last check (``harness.leaks.LeakScanner``, which peels every
encoding ``harness.decode`` knows) decides what cannot be kept. A request body is stored as

- ``{"text": …}``: UTF-8 text, redacted;
- ``{"text": …, "decoded": "gzip", "bytes": n}``: a compressed body, stored decompressed and redacted;
- ``{"base64": …}``: binary, checked to hold no protected value in any layer;
- ``{"withheld": …, "bytes": n}``: a body that still holds a value in an encoded layer: its bytes are not kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness import __version__
from harness.privacy.protected import MIN_VALUE_LENGTH, SHOWN_REASON
from harness.privacy.redact import ENCODINGS_SEARCHED, PartKey, keystroke_parts, mask_keystrokes
from harness.privacy.rules import RULES
from harness.replay import heatmaps
from harness.replay.visual import AGGREGATE_DIR
from harness.report.documents import (
    DestinationDocument,
    HeatmapPageDocument,
    InvocationDocument,
    NotRunDocument,
    ReplayDocument,
    ResultsDocument,
    RuleVerdictDocument,
    RunDocument,
    ValueDocument,
)
from harness.report.files import write_whole_text
from harness.report.junit import write_junit
from harness.run.result import RunResult
from harness.run.timeline import TimelineDocument
from harness.verdict import RunVerdict

# --- per-run files ----------------------------------------------------------------------------------------------


def _traffic(verdict: RunVerdict) -> dict[str, Any]:
    """Stored traffic: every request and frame in its shape, every protected value replaced by its marker."""
    result, redact = verdict.result, verdict.protected.redactor
    keystrokes = keystroke_parts(result.recording.requests, result.recording.frames, redact.protected, verdict.protected.key)

    def part(key: PartKey, data: bytes) -> tuple[bytes | None, list[str]]:
        """The payload with its keystrokes masked, or None and what it held when it cannot be kept."""
        keys = keystrokes.get(key)
        masked = data if keys is None else mask_keystrokes(data, keys)
        return masked, [] if keys is None else [f"{keys.marker} via {' → '.join(keys.chain) or 'plain text'}"]

    def url(key: PartKey, url: str) -> str:
        masked, found = part(key, url.encode("utf-8", "replace"))
        return redact.notice(len(url), found) if masked is None else redact.text(masked.decode("utf-8", "replace"))

    def body(key: PartKey, data: bytes) -> dict[str, Any]:
        masked, found = part(key, data)
        return redact.withheld(len(data), found) if masked is None else redact.body(masked)

    requests = [
        {
            "t_ms": round(request.t_ms, 1),
            **({} if request.sent_ms is None else {"sent_ms": round(request.sent_ms, 1)}),  # waited for its connection
            "method": request.method,
            "url": url(("request", i, "url"), request.url),
            "channel": request.channel,
            "party": request.party,
            "status": request.status,
            "initiator": redact.text(request.initiator),  # a page's URL may carry a value (a GET form)
            "headers": [[k, redact.text(v)] for k, v in request.headers],
            "body": body(("request", i, "body"), request.body),
        }
        for i, request in enumerate(result.recording.requests)
    ]
    frames = [
        {
            "t_ms": round(frame.t_ms, 1),
            "url": redact.text(frame.url),
            "direction": frame.direction,
            "party": frame.party,
            "data": body(("frame", i, "data"), frame.data),
        }
        for i, frame in enumerate(result.recording.frames)
    ]
    return {"requests": requests, "websocket": frames, "background_requests_dropped": result.recording.background}


def write_run_files(verdict: RunVerdict) -> None:
    """Per run: ``traffic.json``, ``timeline.json`` and ``storage.json`` in the run's folder, all redacted."""
    result, redact = verdict.result, verdict.protected.redactor
    result.run_dir.mkdir(parents=True, exist_ok=True)
    _dump(result.run_dir / "traffic.json", _traffic(verdict))
    _dump(result.run_dir / "timeline.json", redact.tree(_timeline(verdict)))
    _dump(result.run_dir / "storage.json", redact.tree([s.to_json() for s in result.storage]))


# --- results.json -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    """How a run was started, for the report's environment section and to reproduce it."""

    argv: tuple[str, ...]
    cwd: str
    snippet: str | None  # the injected snippet's path; None with --no-snippet
    snippet_sha256: str | None
    started: str  # ISO 8601, UTC
    shard: tuple[int, int] | None = None  # (index, count) of --shard
    program: str = "telltale"  # or pytest, for a session of the plugin

    @property
    def command(self) -> str:
        return f"{self.program} {shlex.join(self.argv)}" if self.argv else ""

    @classmethod
    def now(cls, argv: Sequence[str], snippet: str | None, snippet_text: str | None,
            shard: tuple[int, int] | None = None, program: str = "telltale") -> Invocation:
        digest = hashlib.sha256(snippet_text.encode("utf-8")).hexdigest() if snippet_text is not None else None
        return cls(tuple(argv), os.getcwd(), snippet, digest, _utc_now(), shard, program)

    def to_json(self) -> InvocationDocument:
        return {
            "command": self.command,
            "argv": list(self.argv),
            "cwd": self.cwd,
            "snippet": None if self.snippet is None else {"path": self.snippet, "sha256": self.snippet_sha256},
            "started": self.started,
            "shard": None if self.shard is None else {"index": self.shard[0], "count": self.shard[1]},
        }


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _step_text(result: RunResult, index: int) -> str:
    """A step as the scenario wrote it, secrets still as ``{name}`` (e.g. ``type #email "{email}"``)."""
    steps = result.scenario.steps
    if not 0 < index <= len(steps):
        return ""
    args = dict(steps[index - 1].args)
    head = [str(args.pop("selector"))] if "selector" in args else []
    head += [json.dumps(args.pop(k), ensure_ascii=False) for k in ("text", "value", "url", "name", "key") if k in args]
    return " ".join(head + [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items()])


def _timeline(verdict: RunVerdict) -> TimelineDocument:
    document = verdict.result.timeline.to_json(verdict.protected.fingerprints())
    for step in document["steps"]:
        step["what"] = _step_text(verdict.result, step["index"])
    return document


def value_verdicts(run: RunVerdict) -> tuple[list[ValueDocument], dict[str, RuleVerdictDocument]]:
    """Per typed or shown value, each rule's verdict; and per rule, its verdict over the whole run.

    A verdict is ``held``, ``broken`` (with its findings and how many requests repeated them) or ``n/a`` when
    the rule does not apply to the value (a plain field is not under never-sent).
    """
    result, protected = run.result, run.protected
    scenario = result.scenario
    guarded = {g.value: g for g in protected.guarded}
    findings = run.findings

    def verdict(rule: str, applies: bool, mark: str | None) -> RuleVerdictDocument:
        if not applies:
            return {"verdict": "n/a", "findings": 0, "occurrences": 0}
        broken = [f for f in findings if f.rule == rule and (mark is None or f.fingerprint == mark)]
        count = sum(f.count for f in broken)
        return {"verdict": "broken" if broken else "held", "findings": len(broken), "occurrences": count}

    def rules_for(value: str) -> dict[str, RuleVerdictDocument]:
        g = guarded.get(value)
        mark = protected.fingerprint(value)
        applies = {
            "never-sent": g is not None and g.sensitive and not g.shown,
            "not-before-submit": g is not None and not g.sensitive,
            "opt-out": False,  # about the whole run, not one value
            "at-rest": g is not None and g.sensitive,
            "shown-secret": g is not None and g.shown,
        }
        return {rule: verdict(rule, applies[rule], mark) for rule in RULES}

    rows: list[ValueDocument] = []
    for typed in result.timeline.typed:
        submit = result.timeline.submit_of(typed.form, typed.t_ms)
        rows.append({
            "source": "typed", "step": typed.step, "field": typed.selector, "secret": typed.secret,
            "fingerprint": protected.fingerprint(typed.value), "length": len(typed.value),
            "sensitive": typed.sensitive, "reason": typed.reason, "form": typed.form,
            "t_ms": round(typed.t_ms, 1), "submitted_ms": None if submit is None else round(submit.t_ms, 1),
            "checked": typed.value in guarded,
            "why_unchecked": "" if typed.value in guarded else f"shorter than {MIN_VALUE_LENGTH} characters",
            "rules": rules_for(typed.value),
        })
    for secret in scenario.secrets:
        value = result.values.get(secret.name)
        if secret.shown and value is not None:
            rows.append({
                "source": "shown", "step": None, "field": secret.name, "secret": secret.name,
                "fingerprint": protected.fingerprint(value), "length": len(value),
                "sensitive": True, "reason": SHOWN_REASON, "form": "",
                "t_ms": None, "submitted_ms": None, "checked": value in guarded,
                "why_unchecked": "" if value in guarded else f"shorter than {MIN_VALUE_LENGTH} characters",
                "rules": rules_for(value),
            })
    overall: dict[str, RuleVerdictDocument] = {}
    for rule in RULES:
        applies = bool(result.timeline.optouts) if rule == "opt-out" else any(
            row["rules"][rule]["verdict"] != "n/a" for row in rows
        )
        overall[rule] = verdict(rule, applies, None)
    return rows, overall


def _destinations(result: RunResult) -> list[DestinationDocument]:
    """Where the page sent things: per origin, requests (and WebSocket frames sent), bytes and channels."""
    table: dict[str, dict[str, Any]] = {}

    def add(url: str, channel: str, size: int) -> None:
        parts = urlsplit(url)
        entry = table.setdefault(f"{parts.scheme}://{parts.netloc}", {"requests": 0, "bytes": 0, "channels": set()})
        entry["requests"] += 1
        entry["bytes"] += size
        entry["channels"].add(channel)

    for request in result.recording.requests:
        add(request.url, request.channel, len(request.url) + len(request.body))
    for frame in result.recording.frames:
        if frame.direction == "sent":
            add(frame.url, "websocket", len(frame.data))
    return [
        {"origin": origin, "requests": e["requests"], "bytes": e["bytes"], "channels": sorted(e["channels"])}
        for origin, e in sorted(table.items(), key=lambda item: -item[1]["requests"])
    ]


def run_summary(verdict: RunVerdict, report_dir: Path) -> RunDocument:
    """One entry of ``results.json``'s ``runs`` (not yet redacted)."""
    result = verdict.result
    base = Path(run_slug_dir(result, report_dir))
    values, rules = value_verdicts(verdict)
    channels = {r.channel for r in result.recording.requests} | ({"websocket"} if result.recording.frames else set())
    document: RunDocument = {
        "scenario": result.scenario.name,
        "slug": result.scenario.slug,
        "file": result.scenario.file,
        "browser": result.browser,
        "browser_version": result.browser_version,
        "status": verdict.status,
        "visual_problems": verdict.visual_problems,
        "inconclusive": verdict.inconclusive_reasons,
        "tracker_sent": verdict.sent,
        "error": result.error,
        "findings": [{**f.to_json(), "line": f.line()} for f in verdict.findings],
        "requests": len(result.recording.requests),
        "websocket_frames": len(result.recording.frames),
        "bytes": result.bytes_sent,
        "duration_ms": round(result.duration_ms, 1),
        "dir": base.as_posix(),
        "values": values,
        "rules": rules,
        "inspected": {
            "channels": sorted(channels),
            "requests": len(result.recording.requests),
            "websocket_frames_sent": sum(f.direction == "sent" for f in result.recording.frames),
            "bytes": result.bytes_sent,
            "storage_snapshots": len(result.storage),
            "background_requests_dropped": result.recording.background,
            "encodings": list(ENCODINGS_SEARCHED),
            "destinations": _destinations(result),
        },
        "timeline": _timeline(verdict),
    }
    # "checkpoints" (live, replay, diff, heatmap images; fidelity, redaction, baseline) and "replay".
    document.update(_visual_entries(verdict, base, report_dir))
    return document


def _visual_entries(verdict: RunVerdict, base: Path, report_dir: Path) -> RunDocument:
    """The ``checkpoints`` and ``replay`` entries of a run in ``results.json`` (paths relative to the report)."""
    result = verdict.result
    hidden = {c.name: len(c.hidden) for c in result.timeline.checkpoints}  # boxes the harness painted over
    if verdict.visual is None:
        return {"checkpoints": [
            {"name": c.name, "t_ms": round(c.t_ms, 1), "live": (base / c.live).as_posix(), "status": "captured",
             "hidden_boxes": len(c.hidden)}
            for c in result.timeline.checkpoints
        ]}
    doc = verdict.visual.document
    images = ("live", "replay", "diff", "baseline_expected", "baseline_actual", "baseline_diff")
    heat = {h.get("page"): h for h in doc.get("heatmaps", [])}
    checkpoints: list[dict[str, object]] = []
    for c in doc.get("checkpoints", []):
        entry: dict[str, object] = {k: ((base / v).as_posix() if k in images and isinstance(v, str) and v else v)
                                 for k, v in c.items() if k != "redaction_evidence"}
        entry["hidden_boxes"] = hidden.get(c.get("name", ""), 0)
        page = heat.get(c.get("page", ""))
        if page:
            entry["heatmap"] = (base / page["moves"]).as_posix()
        checkpoints.append(entry)
    pages: list[HeatmapPageDocument] = []
    for h in doc.get("heatmaps", []):
        aggregate = report_dir / AGGREGATE_DIR / h["key"]
        images_of = {"frame": h["frame"], "clicks": h["clicks"], "moves": h["moves"], "scroll": h["scroll"]}
        paths = {k: (base / v).as_posix() for k, v in images_of.items()}
        pages.append({"page": h["page"], "frame": paths["frame"], "clicks": paths["clicks"], "moves": paths["moves"],
                      "scroll": paths["scroll"],
                      "aggregate": {k: f"{AGGREGATE_DIR}/{h['key']}/{k}.png" for k in heatmaps.KINDS
                                    if (aggregate / f"{k}.png").exists()}})
    video = doc.get("video")
    replay: ReplayDocument = {
        "status": doc.get("status"), "replayer": doc.get("replayer", "telltale"), "error": doc.get("error", ""),
        "session": doc.get("session"),
        "thresholds": doc.get("thresholds"), "inert": doc.get("replay"),
        "video": (base / video["path"]).as_posix() if video else None,
        "heatmaps": pages,
        "redaction": [{"checkpoint": c.get("name", ""), **c["redaction_evidence"]} for c in doc.get("checkpoints", [])
                      if "redaction_evidence" in c],
    }
    return {"checkpoints": checkpoints, "replay": replay}


def run_slug_dir(result: RunResult, report_dir: Path) -> str:
    run_dir = result.run_dir
    return str(run_dir.relative_to(report_dir)) if run_dir.is_relative_to(report_dir) else str(run_dir)


def run_document(verdict: RunVerdict, report_dir: Path) -> RunDocument:
    """A run's entry in ``results.json``, redacted: what a pytest-xdist worker hands to the controller."""
    return verdict.protected.redactor.tree(run_summary(verdict, report_dir))


@dataclass(frozen=True)
class SessionFacts:
    """What ``results.json`` says beside the runs: how the harness was called and what happened around the runs."""

    invocation: Invocation | None = None
    invalid: Sequence[str] = ()  # scenario files that could not be read, one line each
    environment_errors: Sequence[str] = ()
    not_run: Sequence[NotRunDocument] = ()
    complete: bool = True  # False when the session was interrupted: ``not_run`` holds the runs that never ended


def write_results(verdicts: list[RunVerdict], report_dir: Path, facts: SessionFacts = SessionFacts()) -> ResultsDocument:
    """Write ``results.json`` and ``junit.xml`` over every run (each run's own files were written as it ended,
    by :func:`write_run_files`); return the document."""
    return write_run_documents([run_document(verdict, report_dir) for verdict in verdicts], report_dir, facts)


def write_run_documents(runs: list[RunDocument], report_dir: Path, facts: SessionFacts = SessionFacts()) -> ResultsDocument:
    """:func:`write_results` from the runs' documents (made where the runs ended, maybe in another process)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    document: ResultsDocument = {
        "harness_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        **(facts.invocation or Invocation((), "", None, None, "")).to_json(),
        "finished": _utc_now(),
        "browsers": {run["browser"]: run["browser_version"] for run in runs},
        "encodings_searched": list(ENCODINGS_SEARCHED),
        "runs": runs,
        "invalid": list(facts.invalid),
        "environment_errors": list(facts.environment_errors),
        "complete": facts.complete,
        "not_run": list(facts.not_run),
    }
    _dump(report_dir / "results.json", document)
    write_junit(document, report_dir / "junit.xml")
    return document


def _dump(path: Path, data: Any) -> None:
    write_whole_text(path, json.dumps(data, indent=1, ensure_ascii=False))
