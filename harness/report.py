"""The evidence report: ``index.html``, one self-contained file that opens offline.

Images are referenced relatively (they sit beside it in the report folder); CSS is inline; there is no script
and no external reference, so opening it makes zero network requests.
"""

from __future__ import annotations

import html
from pathlib import Path

from . import __version__
from .results import finding_json, fingerprints, run_slug_dir
from .runner import RunResult

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}
main{padding:20px 28px;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 18px;background:#fff}
th,td{border:1px solid #dfe3ea;padding:5px 9px;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}
.passed{color:#0a7a3b;font-weight:600}.failed{color:#b3261e;font-weight:600}.error{color:#a15c00;font-weight:600}
section.run{background:#fff;border:1px solid #dfe3ea;border-radius:6px;padding:12px 18px;margin:18px 0}
code{background:#eef1f5;padding:1px 4px;border-radius:3px}
img{max-width:560px;border:1px solid #dfe3ea;margin:4px 8px 4px 0}
.muted{color:#5f6b7a}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _summary_matrix(results: list[RunResult]) -> str:
    scenarios = list(dict.fromkeys(r.scenario.slug for r in results))
    browsers = list(dict.fromkeys(r.browser for r in results))
    rows = []
    for slug in scenarios:
        cells = []
        for browser in browsers:
            run = next((r for r in results if r.scenario.slug == slug and r.browser == browser), None)
            if run is None:
                cells.append("<td>-</td>")
            else:
                cells.append(
                    f'<td><a href="#{_e(slug)}-{_e(browser)}" class="{run.status}">{run.status}</a>'
                    f" <span class=muted>({len(run.findings)} findings)</span></td>"
                )
        rows.append(f"<tr><th>{_e(slug)}</th>{''.join(cells)}</tr>")
    head = "".join(f"<th>{_e(b)}</th>" for b in browsers)
    return f"<table><tr><th>scenario</th>{head}</tr>{''.join(rows)}</table>"


def _run_section(result: RunResult, report_dir: Path) -> str:
    marks = fingerprints(result)
    typed_rows = "".join(
        f"<tr><td><code>{_e(t.selector)}</code></td><td>{_e(t.secret or '-')}</td><td><code>{_e(marks.get(t.value, ''))}</code></td>"
        f"<td>{'sensitive' if t.sensitive else 'plain'}: {_e(t.reason)}</td><td>{_e(t.form or '-')}</td></tr>"
        for t in result.timeline.typed
    )
    findings = "".join(
        "<tr>" + "".join(f"<td>{_e(f.get(k, ''))}</td>" for k in ("rule", "field", "value_kind", "channel", "encoding", "url", "t_ms")) + "</tr>"
        for f in (finding_json(x) for x in result.findings)
    )
    steps = "".join(
        f"<tr><td>{s.index}</td><td>{_e(s.kind)}</td><td>{s.start_ms:.0f}</td><td>{s.end_ms:.0f}</td><td>{'ok' if s.ok else _e(s.detail)}</td></tr>"
        for s in result.timeline.steps
    )
    submits = ", ".join(f"{_e(s.form)} at {s.t_ms:.0f} ms" for s in result.timeline.submits) or "none"
    base = run_slug_dir(result, report_dir)
    shots = "".join(
        f'<figure><img src="{_e(base)}/{_e(c.live)}" alt="{_e(c.name)}"><figcaption>{_e(c.name)} (live)</figcaption></figure>'
        for c in result.timeline.checkpoints
    )
    channels = sorted({r.channel for r in result.recording.requests} | ({"websocket"} if result.recording.frames else set()))
    return f"""
<section class=run id="{_e(result.scenario.slug)}-{_e(result.browser)}">
<h2>{_e(result.scenario.name)} <span class=muted>[{_e(result.browser)}]</span> <span class="{result.status}">{result.status}</span></h2>
<p class=muted>{_e(result.scenario.file)} · {_e(result.browser_version)} · {len(result.recording.requests)} requests,
{len(result.recording.frames)} WebSocket frames, {result.bytes_sent} bytes inspected · channels: {_e(', '.join(channels) or 'none')}</p>
{f'<p class=error>{_e(result.error)}</p>' if result.error else ''}
<h3>Typed and shown values</h3>
<table><tr><th>field</th><th>secret</th><th>fingerprint</th><th>classification</th><th>form</th></tr>{typed_rows}</table>
<h3>Findings</h3>
{f'<table><tr><th>rule</th><th>field</th><th>value</th><th>channel</th><th>encoding</th><th>destination</th><th>t (ms)</th></tr>{findings}</table>' if findings else '<p>None.</p>'}
<h3>Timeline</h3><p>Form submits: {submits}</p>
<table><tr><th>#</th><th>step</th><th>start (ms)</th><th>end (ms)</th><th>outcome</th></tr>{steps}</table>
{f'<h3>Checkpoints</h3>{shots}' if shots else ''}
</section>"""


def write_report(results: list[RunResult], report_dir: Path, problems: list[str] | None = None) -> Path:
    """Write ``index.html`` for ``results`` into ``report_dir`` and return its path."""
    report_dir.mkdir(parents=True, exist_ok=True)
    problem_list = "".join(f"<li>{_e(p)}</li>" for p in problems or [])
    document = f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'unsafe-inline'">
<title>Telltale report</title><style>{_CSS}</style></head>
<body><header><h1>Telltale privacy evidence</h1><div class=muted>harness {__version__}</div></header><main>
<h2>Summary</h2>{_summary_matrix(results)}
<p>{sum(r.status == 'passed' for r in results)} passed, {sum(r.status == 'failed' for r in results)} failed,
{sum(r.status == 'error' for r in results)} errors.</p>
{f'<h2>Problems</h2><ul>{problem_list}</ul>' if problem_list else ''}
{''.join(_run_section(r, report_dir) for r in results)}
</main></body></html>"""
    index = report_dir / "index.html"
    index.write_text(document, encoding="utf-8")
    return index
