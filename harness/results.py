"""Writing a run's results: ``results.json``, ``junit.xml`` and, per run, its traffic, timeline and storage.

Nothing written here contains a protected value in clear: typed values and secrets are replaced by keyed
fingerprints wherever they appear in stored traffic.
"""

from __future__ import annotations

import base64
import json
import platform
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import __version__
from .leaks import fingerprint
from .runner import RunResult


def protected_values(result: RunResult) -> list[str]:
    """Every value a run must never write in clear: typed text and declared secrets, longest first."""
    values = {t.value for t in result.timeline.typed} | set(result.values.values())
    return sorted((v for v in values if len(v) >= 3), key=len, reverse=True)


class Redactor:
    """Replaces each protected value (as text, and as its URL-encoded form) by its fingerprint."""

    def __init__(self, values: Iterable[str], key: bytes) -> None:
        from urllib.parse import quote, quote_plus

        self.pairs: list[tuple[str, str]] = []
        for value in values:
            marker = fingerprint(value, key)
            for form in dict.fromkeys((value, quote(value, safe=""), quote_plus(value))):
                self.pairs.append((form, marker))
        self.pairs.sort(key=lambda pair: len(pair[0]), reverse=True)

    def text(self, text: str) -> str:
        for raw, marker in self.pairs:
            text = text.replace(raw, marker)
        return text

    def body(self, body: bytes) -> dict[str, str]:
        """A body as JSON: redacted text when it decodes as UTF-8, else base64 of the raw bytes."""
        try:
            return {"text": self.text(body.decode("utf-8"))}
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(body).decode("ascii")}


def fingerprints(result: RunResult) -> dict[str, str]:
    return {value: fingerprint(value, result.fingerprint_key) for value in protected_values(result)}


def run_slug(result: RunResult) -> str:
    return f"{result.scenario.slug}-{result.browser}"


def write_run_files(result: RunResult) -> None:
    """Per run: ``traffic.json``, ``timeline.json`` and ``storage.json`` in the run's folder."""
    redact = Redactor(protected_values(result), result.fingerprint_key)
    traffic = {
        "requests": [
            {
                "t_ms": round(r.t_ms, 1),
                "method": r.method,
                "url": redact.text(r.url),
                "channel": r.channel,
                "headers": [[k, redact.text(v)] for k, v in r.headers],
                "body": redact.body(r.body),
            }
            for r in result.recording.requests
        ],
        "websocket": [
            {"t_ms": round(f.t_ms, 1), "url": redact.text(f.url), "direction": f.direction, "data": redact.body(f.data)}
            for f in result.recording.frames
        ],
        "background_requests_dropped": result.recording.background,
    }
    storage = [
        {**s.to_json(), **{area: [[k, redact.text(v)] for k, v in s.to_json()[area]] for area in
                           ("cookies", "localStorage", "sessionStorage", "indexedDB")}}
        for s in result.storage
    ]
    result.run_dir.mkdir(parents=True, exist_ok=True)
    _dump(result.run_dir / "traffic.json", traffic)
    _dump(result.run_dir / "timeline.json", result.timeline.to_json(fingerprints(result)))
    _dump(result.run_dir / "storage.json", storage)


def run_summary(result: RunResult, report_dir: Path) -> dict[str, Any]:
    """One entry of ``results.json``'s ``runs``."""
    return {
        "scenario": result.scenario.name,
        "file": result.scenario.file,
        "browser": result.browser,
        "browser_version": result.browser_version,
        "status": result.status,
        "error": result.error,
        "findings": [finding_json(f) for f in result.findings],
        "requests": len(result.recording.requests),
        "websocket_frames": len(result.recording.frames),
        "bytes": result.bytes_sent,
        "duration_ms": round(result.duration_ms, 1),
        "dir": str(result.run_dir.relative_to(report_dir)) if result.run_dir.is_relative_to(report_dir) else str(result.run_dir),
        "checkpoints": [
            {"name": c.name, "live": str(Path(run_slug_dir(result, report_dir)) / c.live), "status": "captured"}
            for c in result.timeline.checkpoints
        ],
    }


def run_slug_dir(result: RunResult, report_dir: Path) -> str:
    return str(result.run_dir.relative_to(report_dir)) if result.run_dir.is_relative_to(report_dir) else str(result.run_dir)


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
    results: list[RunResult], report_dir: Path, invalid: Iterable[str] = (), command: str = ""
) -> dict[str, Any]:
    """Write ``results.json`` and ``junit.xml`` for every run, and each run's own files."""
    report_dir.mkdir(parents=True, exist_ok=True)
    for result in results:
        write_run_files(result)
    document = {
        "harness_version": __version__,
        "python": platform.python_version(),
        "command": command,
        "runs": [run_summary(r, report_dir) for r in results],
        "invalid": list(invalid),
    }
    _dump(report_dir / "results.json", document)
    write_junit(results, invalid, report_dir / "junit.xml")
    return document


def write_junit(results: list[RunResult], invalid: Iterable[str], path: Path) -> None:
    """One testcase per scenario × browser; a failure states its findings one per line."""
    invalid = list(invalid)
    suite = ET.Element(
        "testsuite",
        name="telltale",
        tests=str(len(results) + len(invalid)),
        failures=str(sum(r.status == "failed" for r in results)),
        errors=str(sum(r.status == "error" for r in results) + len(invalid)),
        time=f"{sum(r.duration_ms for r in results) / 1000:.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite, "testcase", classname=f"telltale.{result.browser}", name=result.scenario.name,
            file=result.scenario.file, time=f"{result.duration_ms / 1000:.3f}",
        )
        if result.status == "failed":
            lines = [finding_line(f) for f in result.findings]
            failure = ET.SubElement(case, "failure", message=lines[0] + (f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""))
            failure.text = "\n".join(lines)
        elif result.status == "error":
            ET.SubElement(case, "error", message=result.error.splitlines()[0] if result.error else "error")
    for message in invalid:
        case = ET.SubElement(suite, "testcase", classname="telltale.invalid", name=message.split(":")[0])
        ET.SubElement(case, "error", message=message)
    ET.indent(suite)
    path.write_bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
