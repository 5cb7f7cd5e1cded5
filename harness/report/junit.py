"""``junit.xml``: one testcase per scenario × browser, for CI systems that read JUnit reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.report.documents import ResultsDocument
from harness.report.files import write_whole


def write_junit(document: ResultsDocument, path: Path) -> None:
    """One testcase per scenario × browser (from ``results.json``); a failure states its first finding in one line."""
    runs = list(document["runs"])
    invalid = list(document.get("invalid", ()))
    suite = ET.Element(
        "testsuite",
        name="telltale",
        tests=str(len(runs) + len(invalid) + len(document.get("not_run", ()))),
        skipped=str(len(document.get("not_run", ()))),
        # An inconclusive run is no pass: CI must not read it as green.
        failures=str(sum(r["status"] in ("failed", "inconclusive") for r in runs)),
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
        elif run["status"] == "inconclusive":
            reasons = list(run.get("inconclusive", [])) or ["inconclusive"]
            failure = ET.SubElement(case, "failure", type="inconclusive", message=f"inconclusive: {reasons[0]}")
            failure.text = "\n".join(reasons)
        elif run["status"] == "error":
            ET.SubElement(case, "error", message=run["error"].splitlines()[0] if run["error"] else "error")
    for missed in document.get("not_run", ()):
        case = ET.SubElement(suite, "testcase", classname=f"telltale.{missed['browser']}", name=missed["scenario"],
                             file=missed["file"])
        ET.SubElement(case, "skipped", message=f"not run: {missed['reason']}")
    for message in invalid:
        case = ET.SubElement(suite, "testcase", classname="telltale.invalid", name=message.split(":")[0])
        ET.SubElement(case, "error", message=message)
    ET.indent(suite)
    write_whole(path, ET.tostring(suite, encoding="utf-8", xml_declaration=True))
