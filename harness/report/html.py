"""The evidence report: ``index.html``, one file a compliance reader opens offline.

It is rendered from ``results.json`` alone (the document :func:`harness.results.write_results` returns), so it
shows nothing the results do not hold, and every value in it is already redacted. CSS is inline, there is no
script, images are the run folders' own PNGs referenced relatively, and a Content-Security-Policy forbids any
other fetch: opening it makes no network request.

Checkpoints show whatever images their entry names (:data:`CHECKPOINT_VIEWS`): the live screenshot today, and
the tracker's replay, the diff and the heatmap once the replay work writes them into ``results.json``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from harness.privacy.rules import RULES

PROMISES: Final[dict[str, str]] = {
    "never-sent": "Text typed into a sensitive field (password, one-time code, card, marked sensitive) never "
    "leaves the page, whether the form is submitted or not.",
    "not-before-submit": "Other typed text leaves the page only after the visitor submitted its form; never when "
    "the form is abandoned.",
    "opt-out": "After the visitor opts out, the tracker sends nothing at all.",
    "at-rest": "Sensitive values are never written to cookies, localStorage, sessionStorage or IndexedDB.",
    "shown-secret": "Personal data the page shows inside a sensitive element never leaves the page.",
}
"""Each rule of :data:`harness.rules.RULES` in words for a reader who has never seen the code."""

CHECKPOINT_VIEWS: Final[tuple[tuple[str, str], ...]] = (
    ("live", "What the visitor saw"),
    ("replay", "What the tracker can replay"),
    ("diff", "Difference"),
    ("heatmap", "Heatmap"),
    ("baseline_expected", "Approved baseline (this browser)"),
    ("baseline_diff", "Replay against its baseline"),
)
"""Image keys a checkpoint entry may carry (paths relative to the report), in the order they are shown."""

_STATUS_WORDS: Final = {"passed": "passed", "failed": "failed", "error": "error"}

_CSS: Final = """
:root{--ink:#1d2330;--muted:#5f6b7a;--line:#dfe3ea;--soft:#eef1f5;--ok:#0a7a3b;--bad:#b3261e;--warn:#a15c00}
*{box-sizing:border-box}
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--ink);background:#f6f7f9}
header{background:var(--ink);color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:21px}
header p{margin:0;color:#c9d1dc}header code{background:#333c4d;color:#fff}
nav.toc{padding:10px 28px;background:#fff;border-bottom:1px solid var(--line)}nav.toc a{margin-right:14px}
main{padding:8px 28px 40px;max-width:1400px}
h2{font-size:18px;margin:26px 0 8px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0 14px;background:#fff;width:auto}
th,td{border:1px solid var(--line);padding:5px 9px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.passed,.held{color:var(--ok);font-weight:600}.failed,.broken{color:var(--bad);font-weight:600}
.error{color:var(--warn);font-weight:600}.na{color:var(--muted)}
.verdict{padding:10px 14px;border-radius:6px;font-weight:600;margin:14px 0}
.verdict.passed{background:#e3f4ea}.verdict.failed{background:#fbe4e2}.verdict.error{background:#fdf0dc}
section.run{background:#fff;border:1px solid var(--line);border-radius:6px;padding:4px 18px 12px;margin:18px 0}
section.run h2{margin-top:14px}
code,.code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);
 padding:1px 4px;border-radius:3px;word-break:break-all}
pre.code{white-space:pre-wrap;margin:0;padding:4px 6px}
mark{background:#ffe6a6;color:inherit;border-radius:2px}
.muted{color:var(--muted)}
figure{display:inline-block;margin:4px 12px 8px 0;vertical-align:top}
figure img{max-width:420px;border:1px solid var(--line);display:block}
figcaption{font-size:12.5px;color:var(--muted);max-width:420px}
svg.timeline{width:100%;max-width:1100px;height:92px;background:#fff;border:1px solid var(--line)}
tr.submit td{background:#e8f0fe}tr.finding td{background:#fdeeee}tr.optout td{background:#fff4e0}
@media print{nav.toc{display:none}section.run{break-inside:avoid-page}body{background:#fff}}
"""

# No script, no fetch: only inline styles and images from the report folder itself.
_CSP: Final = (
    "default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)

_MARKER: Final = re.compile(r"⟦[^⟧]{1,200}⟧")


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _printable(text: str) -> str:
    """Control characters and undecodable bytes (an excerpt may come from a binary layer) as '·'."""
    return "".join("·" if char == "\ufffd" or (unicodedata.category(char)[0] == "C" and char not in "\n\t") else char
                   for char in text)


def _marked(text: object) -> str:
    """Escaped, printable text with fingerprint markers highlighted."""
    return _MARKER.sub(lambda m: f"<mark>{m.group(0)}</mark>", _e(_printable(str(text))))


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f} s"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], empty: str = "None.", cls: Sequence[str] = ()) -> str:
    """A table from already-escaped cells; ``cls`` gives each row's class."""
    rows = list(rows)
    classes = list(cls) or [""] * len(rows)
    body = [f"<tr{f' class={c}' if c else ''}>{''.join(f'<td>{cell}</td>' for cell in row)}</tr>"
            for row, c in zip(rows, classes)]
    if not body:
        return f"<p class=muted>{_e(empty)}</p>"
    header = f"<tr>{''.join(f'<th>{_e(h)}</th>' for h in head)}</tr>" if any(head) else ""
    return f"<table>{header}{''.join(body)}</table>"


def _anchor(run: Mapping[str, Any]) -> str:
    slug = run.get("slug") or Path(str(run.get("file", ""))).stem
    return re.sub(r"[^A-Za-z0-9_-]+", "-", f"run-{slug}-{run['browser']}")


# --- summary and environment ------------------------------------------------------------------------------------


def _overall(runs: Sequence[Mapping[str, Any]]) -> str:
    counts = {status: sum(r["status"] == status for r in runs) for status in _STATUS_WORDS}
    findings = sum(len(r["findings"]) for r in runs)
    if not runs:
        return '<div class="verdict error">No scenario ran.</div>'
    if counts["failed"]:
        return (f'<div class="verdict failed">Failed: {counts["failed"]} of {len(runs)} runs broke a privacy promise '
                f'({findings} findings).</div>')
    if counts["error"]:
        return (f'<div class="verdict error">Incomplete: {counts["error"]} of {len(runs)} runs could not be '
                "carried out.</div>")
    return f'<div class="verdict passed">Passed: every promise held in all {len(runs)} runs.</div>'


def _matrix(runs: Sequence[Mapping[str, Any]]) -> str:
    scenarios = list(dict.fromkeys(str(r["scenario"]) for r in runs))
    browsers = list(dict.fromkeys(str(r["browser"]) for r in runs))
    rows = []
    for scenario in scenarios:
        cells = [_e(scenario)]
        for browser in browsers:
            run = next((r for r in runs if r["scenario"] == scenario and r["browser"] == browser), None)
            if run is None:
                cells.append("<span class=na>not run</span>")
                continue
            status = _STATUS_WORDS.get(run["status"], "error")
            cells.append(f'<a href="#{_e(_anchor(run))}" class="{status}">{status}</a> '
                         f'<span class=muted>· {len(run["findings"])} findings · {run["requests"]} requests</span>')
        rows.append(cells)
    totals = ["<b>total</b>"]
    for browser in browsers:
        mine = [r for r in runs if r["browser"] == browser]
        totals.append(", ".join(f'{sum(r["status"] == status for r in mine)} {word}'
                                for status, word in (("passed", "passed"), ("failed", "failed"), ("error", "errors"))))
    return _table(["scenario", *browsers], [*rows, totals] if runs else [], "No runs.")


def _environment(document: Mapping[str, Any]) -> str:
    snippet = document.get("snippet")
    snippet_cell = ("none (the site ran without a snippet)" if not snippet else
                    f'<code>{_e(snippet.get("path"))}</code><br>sha256 <code>{_e(snippet.get("sha256"))}</code>')
    browsers = "<br>".join(f"{_e(name)}: {_e(version)}" for name, version in document.get("browsers", {}).items())
    command = document.get("command") or ""
    cwd = document.get("cwd") or ""
    reproduce = f"cd {_e(cwd)} &amp;&amp; {_e(command)}" if cwd and command else _e(command)
    rows = [
        ["harness", _e(document.get("harness_version"))],
        ["browsers", browsers or "-"],
        ["snippet under test", snippet_cell],
        ["to reproduce", f"<code>{reproduce or '-'}</code>"],
        ["started / finished", f'{_e(document.get("started") or "-")} / {_e(document.get("finished") or "-")}'],
        ["python / platform", f'{_e(document.get("python"))} / {_e(document.get("platform", "-"))}'],
        ["encodings searched", _e(", ".join(document.get("encodings_searched", ())))],
    ]
    return _table(["", ""], rows)  # a two-column list: no header


def _promises() -> str:
    return _table(["promise", "what it means"], [[f"<b>{_e(rule)}</b>", _e(PROMISES[rule])] for rule in RULES])


# --- one run ----------------------------------------------------------------------------------------------------


def _verdict(cell: Mapping[str, Any]) -> str:
    verdict = cell.get("verdict", "n/a")
    if verdict == "broken":
        return (f'<span class=broken>broken</span> <span class=muted>({cell["findings"]} findings, '
                f'{cell["occurrences"]} times)</span>')
    if verdict == "held":
        return "<span class=held>held</span>"
    return "<span class=na>n/a</span>"


_VALUE_RULES: Final = tuple(rule for rule in RULES if rule != "opt-out")  # opt-out is about the run, not a value


def _value_row(value: Mapping[str, Any]) -> list[str]:
    """One typed or shown value: where, its fingerprint, how it was classified and why, and each rule's verdict."""
    field = f'<code>{_e(value["field"])}</code>'
    if value["secret"]:
        field += f'<br><span class=muted>secret {_e(value["secret"])}</span>'
    why = f'<b>{"sensitive" if value["sensitive"] else "plain"}</b>: {_e(value["reason"])}'
    if not value["checked"]:
        why += f'<br><span class=muted>not checked: {_e(value["why_unchecked"])}</span>'
    if value["source"] == "shown":
        when = "shown by the page"
    else:
        submitted = "never submitted" if value["submitted_ms"] is None else f'submitted at {_ms(value["submitted_ms"])}'
        when = f'typed at {_ms(value["t_ms"])} (step {value["step"]})<br>{_e(value["form"] or "no form")}: {submitted}'
    fingerprint = f'<mark>{_e(value["fingerprint"])}</mark><br><span class=muted>{value["length"]} characters</span>'
    return [field, fingerprint, why, when, *(_verdict(value["rules"][rule]) for rule in _VALUE_RULES)]


def _values(run: Mapping[str, Any]) -> str:
    head = ["field", "value (fingerprint)", "classification and why", "when", *_VALUE_RULES]
    rows = [_value_row(value) for value in run.get("values", ())]
    return _table(head, rows, "Nothing was typed and no secret was shown.")


def _rules(run: Mapping[str, Any]) -> str:
    rules = run.get("rules", {})
    rows = [[f"<b>{_e(rule)}</b>", _verdict(rules.get(rule, {}))] for rule in RULES]
    return _table(["promise", "verdict in this run"], rows)


def _inspected(run: Mapping[str, Any]) -> str:
    seen = run.get("inspected", {})
    facts = (
        f'{seen.get("requests", run["requests"])} requests, {seen.get("websocket_frames_sent", 0)} WebSocket frames '
        f'sent and {_count(seen.get("storage_snapshots", 0), "storage snapshot")} inspected; '
        f'{seen.get("bytes", run["bytes"])} bytes. '
        f'Channels: {_e(", ".join(seen.get("channels", ())) or "none")}. '
        f'Encodings peeled off every payload: {_e(", ".join(seen.get("encodings", ())))}.'
    )
    destinations = _table(
        ["destination", "requests", "bytes", "channels"],
        [[f"<code>{_e(d['origin'])}</code>", f"{d['requests']}", f"{d['bytes']}", _e(", ".join(d["channels"]))]
         for d in seen.get("destinations", ())],
        "The page sent nothing.",
    )
    return f"<p>{facts}</p>{destinations}"


def _when(finding: Mapping[str, Any]) -> str:
    """When a value left, relative to its form's submit; a value at rest was found in storage instead."""
    if finding["rule"] == "at-rest":
        return "found in storage"
    return _e(finding["when"])


_FINDING_COLUMNS: Final[tuple[tuple[str, Callable[[Mapping[str, Any]], str]], ...]] = (
    ("rule", lambda f: f'<b class=broken>{_e(f["rule"])}</b>'),
    ("field and why it is protected",
     lambda f: f'<code>{_e(f["field"])}</code> ({_e(f["value_kind"])})<br>{_e(f["reason"])}'),
    ("channel", lambda f: _e(f["channel"])),
    ("encoding", lambda f: _e(f["encoding"])),
    ("destination", lambda f: f'<code>{_e(f["url"])}</code>'),
    ("where", lambda f: _e(f["where"])),
    ("variant", lambda f: _e(f["variant"])),
    ("when", lambda f: _when(f) + f'<br><span class=muted>at {_ms(f["t_ms"])}'
                       + (f', {f["count"]} times' if f.get("count", 1) > 1 else "") + "</span>"),
    ("evidence (value replaced by its fingerprint)", lambda f: f'<pre class=code>{_marked(f["excerpt"])}</pre>'),
)


def _findings(run: Mapping[str, Any]) -> str:
    findings = run.get("findings", ())
    return _table([name for name, _ in _FINDING_COLUMNS], [[cell(f) for _, cell in _FINDING_COLUMNS] for f in findings],
                  "No finding: every promise that applies held.")


def _events(run: Mapping[str, Any]) -> list[tuple[float, str, str, str]]:
    """(t_ms, kind, what, row class) for every moment of a run, in order."""
    timeline = run.get("timeline", {})
    events: list[tuple[float, str, str, str]] = []
    for step in timeline.get("steps", ()):
        outcome = "" if step["ok"] else f' <span class=error>failed: {_e(step["detail"])}</span>'
        events.append((step["start_ms"], f'step {step["index"]}',
                       f'<b>{_e(step["kind"])}</b> <code>{_e(step.get("what", ""))}</code>{outcome}', ""))
    for submit in timeline.get("submits", ()):
        events.append((submit["t_ms"], "submit", f'form <code>{_e(submit["form"])}</code> submitted', "submit"))
    for page in timeline.get("pages", ()):
        events.append((page["t_ms"], "page load", f'<code>{_e(page["url"])}</code>', ""))
    for t_ms in timeline.get("optouts", ()):
        events.append((t_ms, "opt-out", "the visitor opted out", "optout"))
    for finding in run.get("findings", ()):
        if finding["rule"] != "at-rest":
            events.append((finding["t_ms"], "finding",
                           f'<b>{_e(finding["rule"])}</b>: <code>{_e(finding["field"])}</code> via {_e(finding["channel"])} '
                           f'to <code>{_e(finding["url"])}</code>', "finding"))
    return sorted(events, key=lambda event: event[0])


def _timeline_svg(run: Mapping[str, Any], events: Sequence[tuple[float, str, str, str]]) -> str:
    """A strip of the run: steps as ticks, submits as blue lines, opt-outs orange, findings as red dots."""
    end = max([run.get("duration_ms") or 0.0, *(t for t, *_ in events)]) or 1.0
    x = lambda t: 10 + 980 * max(0.0, t) / end  # noqa: E731
    marks = ['<line x1=10 y1=60 x2=990 y2=60 stroke="#9aa5b4"/>']
    for t_ms, kind, _, cls in events:
        if kind.startswith("step"):
            marks.append(f'<line x1={x(t_ms):.1f} y1=54 x2={x(t_ms):.1f} y2=66 stroke="#5f6b7a"/>')
        elif cls == "submit":
            marks.append(f'<line x1={x(t_ms):.1f} y1=8 x2={x(t_ms):.1f} y2=80 stroke="#1a56db" stroke-width=2/>'
                         f'<text x={x(t_ms) + 3:.1f} y=18 font-size=11 fill="#1a56db">submit</text>')
        elif cls == "optout":
            marks.append(f'<line x1={x(t_ms):.1f} y1=8 x2={x(t_ms):.1f} y2=80 stroke="#a15c00" stroke-width=2/>'
                         f'<text x={x(t_ms) + 3:.1f} y=30 font-size=11 fill="#a15c00">opt-out</text>')
        elif cls == "finding":
            marks.append(f'<circle cx={x(t_ms):.1f} cy=42 r=4 fill="#b3261e"/>')
    marks.append(f'<text x=10 y=88 font-size=11 fill="#5f6b7a">0 s</text>'
                 f'<text x=990 y=88 font-size=11 fill="#5f6b7a" text-anchor=end>{_ms(end)}</text>')
    return (f'<svg class=timeline viewBox="0 0 1000 92" role=img aria-label="timeline of the run">'
            f'{"".join(marks)}</svg>')


def _timeline(run: Mapping[str, Any]) -> str:
    events = _events(run)
    table = _table(["time", "event", "what"], [[_ms(t), _e(kind), what] for t, kind, what, _ in events],
                   "No steps recorded.", [cls for *_, cls in events])
    legend = ("<p class=muted>Ticks: steps. Blue lines: form submits. Orange: opt-outs. "
              "Red dots: privacy findings (the page sent a protected value).</p>")
    return _timeline_svg(run, events) + legend + table


def _src(path: str) -> str:
    return _e(quote(path, safe="/"))


def _checkpoints(run: Mapping[str, Any]) -> str:
    figures = []
    for checkpoint in run.get("checkpoints", ()):
        images = "".join(
            f'<figure><img src="{_src(checkpoint[key])}" alt="{_e(checkpoint["name"])}: {_e(caption)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
            for key, caption in CHECKPOINT_VIEWS if checkpoint.get(key)
        )
        shown = {"name", "t_ms", *(key for key, _ in CHECKPOINT_VIEWS)}
        details = "; ".join(
            f"{_e(key)}: {_e(', '.join(map(str, value)) if isinstance(value, list) else value)}"
            for key, value in checkpoint.items() if key not in shown
        )
        figures.append(f'<div><h4>{_e(checkpoint["name"])} <span class=muted>at {_ms(checkpoint.get("t_ms"))}'
                       f'{" · " + details if details else ""}</span></h4>{images}</div>')
    return "".join(figures)


def _run(run: Mapping[str, Any]) -> str:
    status = _STATUS_WORDS.get(run["status"], "error")
    checkpoints = _checkpoints(run)
    return f"""
<section class=run id="{_e(_anchor(run))}">
<h2>{_e(run["scenario"])} <span class=muted>in {_e(run["browser"])}</span> · <span class="{status}">{status}</span></h2>
<p class=muted>{_e(run["file"])} · {_e(run["browser_version"])} · {_ms(run["duration_ms"])} ·
files: <code>{_e(run["dir"])}/</code> (traffic.json, timeline.json, storage.json)</p>
{f'<div class="verdict error">{_e(run["error"])}</div>' if run.get("error") else ""}
<h3>Promises</h3>{_rules(run)}
<h3>What was typed and shown</h3>{_values(run)}
<h3>What was inspected</h3>{_inspected(run)}
<h3>Findings</h3>{_findings(run)}
<h3>Timeline</h3>{_timeline(run)}
{f"<h3>Checkpoints</h3>{checkpoints}" if checkpoints else ""}
</section>"""


def render(document: Mapping[str, Any]) -> str:
    """The report's HTML for a ``results.json`` document."""
    runs: list[Mapping[str, Any]] = list(document.get("runs", ()))
    problems = [*document.get("environment_errors", ()), *document.get("invalid", ())]
    problem_list = "".join(f"<li>{_e(p)}</li>" for p in problems)
    toc = "".join(f'<a href="#{_e(_anchor(r))}">{_e(r.get("slug", r["scenario"]))} [{_e(r["browser"])}]</a>'
                  for r in runs)
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8>
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name=viewport content="width=device-width, initial-scale=1">
<link rel=icon href="data:,">
<title>Telltale privacy evidence</title><style>{_CSS}</style></head>
<body><header><h1>Telltale privacy evidence</h1>
<p>For every scenario and browser: what the visitor typed, what the page sent, and whether each privacy promise held.
Protected values never appear here: each is shown as a fingerprint such as <code>⟦fp:3f0c…⟧</code>, the same in every file of this folder.</p></header>
<nav class=toc><a href="#summary">Summary</a><a href="#promises">Promises</a><a href="#environment">Environment</a>{toc}</nav>
<main>
<h2 id=summary>Summary</h2>{_overall(runs)}{_matrix(runs)}
{f'<h2>Problems</h2><ul>{problem_list}</ul>' if problem_list else ''}
<h2 id=promises>Promises checked</h2>{_promises()}
<h2 id=environment>Environment</h2>{_environment(document)}
{''.join(_run(run) for run in runs)}
</main></body></html>
"""


def write_report(document: Mapping[str, Any], report_dir: Path) -> Path:
    """Write ``index.html`` for a ``results.json`` document into ``report_dir`` and return its path."""
    report_dir.mkdir(parents=True, exist_ok=True)
    index = report_dir / "index.html"
    index.write_text(render(document), encoding="utf-8")
    return index
