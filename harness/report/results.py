"""Writing a run's results: ``results.json``, ``junit.xml`` and, per run, its traffic, timeline and storage.

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
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


from harness import __version__
from harness.privacy.leaks import fingerprint
from harness.privacy.rules import MIN_VALUE_LENGTH, RULES, guarded_values
from harness.privacy.redact import ENCODINGS_SEARCHED, PartKey, Redactor, keystroke_parts, mask_keystrokes
from harness.run.runner import RunResult

def protected_values(result: RunResult) -> list[str]:
    """Every value a run must never write in clear: typed text and declared secrets, longest first."""
    values = {t.value for t in result.timeline.typed} | set(result.values.values())
    return sorted((v for v in values if len(v) >= 3), key=len, reverse=True)


def _kinds(result: RunResult) -> dict[str, str]:
    """Each protected value's kind (``card`` adds digit groupings), from the secret it came from."""
    by_secret = {secret.name: secret.kind for secret in result.scenario.secrets}
    kinds = {value: by_secret.get(name, "text") for name, value in result.values.items()}
    for typed in result.timeline.typed:
        kinds.setdefault(typed.value, by_secret.get(typed.secret, "text"))
    return kinds



# --- per-run files ----------------------------------------------------------------------------------------------


def redactor_for(result: RunResult) -> Redactor:
    """The redactor of one run: its typed values and secrets, under its fingerprint key."""
    return Redactor(protected_values(result), result.fingerprint_key, _kinds(result))


def fingerprints(result: RunResult) -> dict[str, str]:
    return {value: fingerprint(value, result.fingerprint_key) for value in protected_values(result)}


def run_slug(result: RunResult) -> str:
    return f"{result.scenario.slug}-{result.browser}"


def _traffic(result: RunResult, redact: Redactor) -> dict[str, Any]:
    """Stored traffic: every request and frame in its shape, every protected value replaced by its marker."""
    keystrokes = keystroke_parts(result.recording.requests, result.recording.frames, redact.protected, result.fingerprint_key)

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
            "method": request.method,
            "url": url(("request", i, "url"), request.url),
            "channel": request.channel,
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
            "data": body(("frame", i, "data"), frame.data),
        }
        for i, frame in enumerate(result.recording.frames)
    ]
    return {"requests": requests, "websocket": frames, "background_requests_dropped": result.recording.background}


def write_run_files(result: RunResult, redact: Redactor | None = None) -> None:
    """Per run: ``traffic.json``, ``timeline.json`` and ``storage.json`` in the run's folder, all redacted."""
    redact = redact or redactor_for(result)
    result.run_dir.mkdir(parents=True, exist_ok=True)
    _dump(result.run_dir / "traffic.json", _traffic(result, redact))
    _dump(result.run_dir / "timeline.json", redact.tree(_timeline(result)))
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

    @property
    def command(self) -> str:
        return "telltale " + shlex.join(self.argv) if self.argv else ""

    @classmethod
    def now(cls, argv: Sequence[str], snippet: str | None, snippet_text: str | None) -> Invocation:
        digest = hashlib.sha256(snippet_text.encode("utf-8")).hexdigest() if snippet_text is not None else None
        return cls(tuple(argv), os.getcwd(), snippet, digest, _utc_now())

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "argv": list(self.argv),
            "cwd": self.cwd,
            "snippet": None if self.snippet is None else {"path": self.snippet, "sha256": self.snippet_sha256},
            "started": self.started,
        }


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _step_text(result: RunResult, index: int) -> str:
    """A step as the scenario wrote it, secrets still as ``{name}`` (e.g. ``type #email "{email}"``)."""
    steps = result.scenario.steps
    if not 0 < index <= len(steps):
        return ""
    args = dict(steps[index - 1].args)
    head = [str(args.pop("selector"))] if "selector" in args else []
    head += [json.dumps(args.pop(k), ensure_ascii=False) for k in ("text", "value", "url", "name", "key") if k in args]
    return " ".join(head + [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items()])


def _timeline(result: RunResult) -> dict[str, Any]:
    document = result.timeline.to_json(fingerprints(result))
    for step in document["steps"]:
        step["what"] = _step_text(result, step["index"])
    return document


def value_verdicts(result: RunResult) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Per typed or shown value, each rule's verdict; and per rule, its verdict over the whole run.

    A verdict is ``held``, ``broken`` (with its findings and how many requests repeated them) or ``n/a`` when
    the rule does not apply to the value (a plain field is not under never-sent).
    """
    scenario = result.scenario
    shown = {s.name for s in scenario.secrets if s.shown}
    kinds = {s.name: s.kind for s in scenario.secrets}
    guarded = {g.value: g for g in guarded_values(result.timeline.typed, result.values, shown, kinds)}
    findings = [f for f in result.findings if hasattr(f, "fingerprint")]

    def verdict(rule: str, applies: bool, mark: str | None) -> dict[str, Any]:
        if not applies:
            return {"verdict": "n/a", "findings": 0, "occurrences": 0}
        broken = [f for f in findings if f.rule == rule and (mark is None or f.fingerprint == mark)]
        count = sum(f.count for f in broken)
        return {"verdict": "broken" if broken else "held", "findings": len(broken), "occurrences": count}

    def rules_for(value: str) -> dict[str, dict[str, Any]]:
        g = guarded.get(value)
        mark = fingerprint(value, result.fingerprint_key)
        applies = {
            "never-sent": g is not None and g.sensitive and not g.shown,
            "not-before-submit": g is not None and not g.sensitive,
            "opt-out": False,  # about the whole run, not one value
            "at-rest": g is not None and g.sensitive,
            "shown-secret": g is not None and g.shown,
        }
        return {rule: verdict(rule, applies[rule], mark) for rule in RULES}

    rows: list[dict[str, Any]] = []
    for typed in result.timeline.typed:
        submit = result.timeline.submit_of(typed.form, typed.t_ms)
        rows.append({
            "source": "typed", "step": typed.step, "field": typed.selector, "secret": typed.secret,
            "fingerprint": fingerprint(typed.value, result.fingerprint_key), "length": len(typed.value),
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
                "fingerprint": fingerprint(value, result.fingerprint_key), "length": len(value),
                "sensitive": True, "reason": "shown inside a sensitive element", "form": "",
                "t_ms": None, "submitted_ms": None, "checked": value in guarded,
                "why_unchecked": "" if value in guarded else f"shorter than {MIN_VALUE_LENGTH} characters",
                "rules": rules_for(value),
            })
    overall: dict[str, dict[str, Any]] = {}
    for rule in RULES:
        applies = bool(result.timeline.optouts) if rule == "opt-out" else any(
            row["rules"][rule]["verdict"] != "n/a" for row in rows
        )
        overall[rule] = verdict(rule, applies, None)
    return rows, overall


def _destinations(result: RunResult) -> list[dict[str, Any]]:
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


def run_summary(result: RunResult, report_dir: Path) -> dict[str, Any]:
    """One entry of ``results.json``'s ``runs`` (not yet redacted)."""
    base = Path(run_slug_dir(result, report_dir))
    values, rules = value_verdicts(result)
    channels = {r.channel for r in result.recording.requests} | ({"websocket"} if result.recording.frames else set())
    visual = _visual_entries(result, base, report_dir)
    return {
        "scenario": result.scenario.name,
        "slug": result.scenario.slug,
        "file": result.scenario.file,
        "browser": result.browser,
        "browser_version": result.browser_version,
        "status": result.status,
        "visual_problems": result.visual_problems,
        "error": result.error,
        "findings": [{**finding_json(f), "line": finding_line(f)} for f in result.findings],
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
        "timeline": _timeline(result),
        # "checkpoints" (live, replay, diff, heatmap images; fidelity, redaction, baseline) and "replay".
        **visual,
    }


def _visual_entries(result: RunResult, base: Path, report_dir: Path) -> dict[str, Any]:
    from harness.replay.visual import run_entries  # the visual checks import this module (redaction)

    return run_entries(result, base, report_dir)


def run_slug_dir(result: RunResult, report_dir: Path) -> str:
    run_dir = result.run_dir
    return str(run_dir.relative_to(report_dir)) if run_dir.is_relative_to(report_dir) else str(run_dir)


def finding_json(finding: Any) -> dict[str, Any]:
    """A finding as JSON: findings offer ``to_json()``; plain mappings pass through."""
    if hasattr(finding, "to_json"):
        return dict(finding.to_json())
    return dict(finding)


def finding_line(finding: Any) -> str:
    """A finding in one line, for JUnit and the terminal."""
    if hasattr(finding, "line"):
        return str(finding.line())
    data = finding_json(finding)
    return (
        f"{data.get('rule')}: {data.get('field')} ({data.get('value_kind')}) left the page via "
        f"{data.get('channel')} [{data.get('encoding') or 'plain'}] to {data.get('url')} at {data.get('t_ms')} ms"
    )


def write_results(
    results: list[RunResult],
    report_dir: Path,
    invalid: Iterable[str] = (),
    invocation: Invocation | None = None,
    environment_errors: Iterable[str] = (),
) -> dict[str, Any]:
    """Write ``results.json`` and ``junit.xml`` for every run, and each run's own files; return the document."""
    report_dir.mkdir(parents=True, exist_ok=True)
    runs = []
    for result in results:
        redact = redactor_for(result)
        write_run_files(result, redact)
        runs.append(redact.tree(run_summary(result, report_dir)))
    document = {
        "harness_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        **(invocation or Invocation((), "", None, None, "")).to_json(),
        "finished": _utc_now(),
        "browsers": {r.browser: r.browser_version for r in results},
        "encodings_searched": list(ENCODINGS_SEARCHED),
        "runs": runs,
        "invalid": list(invalid),
        "environment_errors": list(environment_errors),
    }
    _dump(report_dir / "results.json", document)
    write_junit(document, report_dir / "junit.xml")
    return document


def write_junit(document: Mapping[str, Any], path: Path) -> None:
    """One testcase per scenario × browser (from ``results.json``); a failure states its first finding in one line."""
    runs = list(document["runs"])
    invalid = list(document.get("invalid", ()))
    suite = ET.Element(
        "testsuite",
        name="telltale",
        tests=str(len(runs) + len(invalid)),
        failures=str(sum(r["status"] == "failed" for r in runs)),
        errors=str(sum(r["status"] == "error" for r in runs) + len(invalid)),
        time=f"{sum(r['duration_ms'] for r in runs) / 1000:.3f}",
    )
    for run in runs:
        case = ET.SubElement(
            suite, "testcase", classname=f"telltale.{run['browser']}", name=run["scenario"],
            file=run["file"], time=f"{run['duration_ms'] / 1000:.3f}",
        )
        if run["status"] == "failed":
            lines = [f["line"] for f in run["findings"]] + list(run.get("visual_problems", []))
            more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
            failure = ET.SubElement(case, "failure", message=lines[0] + more)
            failure.text = "\n".join(lines)
        elif run["status"] == "error":
            ET.SubElement(case, "error", message=run["error"].splitlines()[0] if run["error"] else "error")
    for message in invalid:
        case = ET.SubElement(suite, "testcase", classname="telltale.invalid", name=message.split(":")[0])
        ET.SubElement(case, "error", message=message)
    ET.indent(suite)
    path.write_bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
