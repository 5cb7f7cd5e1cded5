"""The evidence report: ``index.html``, one file a compliance reader opens offline.

It is rendered from ``results.json`` (the document :func:`harness.report.results.write_results` returns) and the
list of files in each run's folder, so it shows nothing the results do not hold, and every value in it is already
redacted. CSS is inline; the one script (``report.js``, the run filter) is inline and allowed by its hash alone;
images are the run folders' own files referenced relatively, and a Content-Security-Policy forbids any other fetch:
opening it makes no network request.

Runs come failures first (:data:`RUN_ORDER`), each one collapsible and open unless it passed.

The page is a Jinja2 template (``harness/resources/templates/report.html`` and the files it imports) with
autoescaping on: every value from ``results.json`` is escaped where it is written, and this module builds no markup.
It only shapes the document into what the templates loop over (counts, the summary matrix, timeline events).

Checkpoints show whatever images their entry names (:data:`CHECKPOINT_VIEWS`) side by side: the live screenshot,
and the tracker's replay, the diff and the baseline pictures when the visual checks wrote them. The session video
and the heatmaps belong to the run, not to a checkpoint: they are shown once per run (:data:`HEATMAP_VIEWS`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from harness.privacy.rules import RULES
from harness.report.documents import ResultsDocument
from harness.report.files import write_whole_text
from harness.resources import resource_text
from harness.verdict import STATUSES

PROMISES: Final[dict[str, str]] = {
    "never-sent": "Text typed into a sensitive field (password, one-time code, card, marked sensitive) never "
    "leaves the page, whether the form is submitted or not.",
    "not-before-submit": "Other typed text leaves the page only after the visitor submitted its form; never when "
    "the form is abandoned.",
    "opt-out": "After the visitor opts out, the tracker sends nothing at all.",
    "at-rest": "Sensitive values are never written to cookies, localStorage, sessionStorage or IndexedDB.",
    "shown-secret": "Personal data the page shows inside a sensitive element never leaves the page.",
}
"""Each rule of :data:`harness.privacy.rules.RULES` in words for a reader who has never seen the code."""

CHECKPOINT_VIEWS: Final[tuple[tuple[str, str], ...]] = (
    ("live", "What the visitor saw"),
    ("replay", "What the tracker can replay"),
    ("diff", "Difference"),
    ("baseline_expected", "Approved baseline (this browser)"),
    ("baseline_diff", "Replay against its baseline"),
)
"""Image keys a checkpoint entry may carry (paths relative to the report), in the order they are shown side by side."""
VENDOR_CAPTION: Final = "Vendor replay (rrweb): what the vendor's staff will see"
"""The ``replay`` caption when rrweb's own replayer made the frame (``replayer: rrweb``), beside the live page."""

RUN_IMAGE_KEYS: Final = frozenset({"heatmap", "baseline_actual"})
"""Checkpoint keys naming images not shown at the checkpoint: the page's movement heatmap (shown once per run), and
the replay frame again as held to its baseline (the same picture as ``replay``). Linked among the run's files."""

HEATMAP_VIEWS: Final[tuple[tuple[str, str], ...]] = (
    ("clicks", "Clicks"),
    ("moves", "Pointer movement"),
    ("scroll", "Scroll depth"),
)
"""A page view's heatmaps (``replay.heatmaps`` entries of a run), in the order they are shown."""

RUN_ORDER: Final[tuple[str, ...]] = ("failed", "error", "inconclusive", "passed")
"""Runs in the report: failures first, then errors, inconclusive runs, and passed runs last."""

FILTERS: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("all", "all", RUN_ORDER),
    ("failed", "failed or error", ("failed", "error")),
    ("inconclusive", "inconclusive", ("inconclusive",)),
)
"""The run filter's choices: (value, label, the statuses it shows). ``report.js`` reads the statuses from the page."""

SCRIPT: Final = "report.js"
"""The report's one inline script (the run filter), in ``templates/``; the CSP allows it by its sha256."""

TEMPLATE: Final = "report.html"
"""The page's template in ``harness.resources``' ``templates/`` folder."""

_VALUE_RULES: Final = tuple(rule for rule in RULES if rule != "opt-out")  # opt-out is about the run, not a value

_MARKER: Final = re.compile(r"⟦[^⟧]{1,200}⟧")


# --- filters: values as the page writes them (the templates escape whatever these return) ------------------------


def _ms(value: float | None) -> str:
    """Milliseconds as seconds for a reader: ``1234.5`` → ``1.23 s``; ``-`` when unknown."""
    return "-" if value is None else f"{value / 1000:.2f} s"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _status(run: Mapping[str, Any]) -> str:
    """A run's status as a word and a CSS class; anything unexpected reads as an error."""
    status = run["status"]
    return status if status in STATUSES else "error"


def _anchor(run: Mapping[str, Any]) -> str:
    """The run section's id, from its slug (or file name) and browser."""
    slug = run.get("slug") or Path(str(run.get("file", ""))).stem
    return re.sub(r"[^A-Za-z0-9_-]+", "-", f"run-{slug}-{run['browser']}")


def _src(path: str) -> str:
    """An image path from results.json as a relative URL (spaces and the like percent-encoded)."""
    return quote(path, safe="/")


def _printable(text: str) -> str:
    """Control characters and undecodable bytes (an excerpt may come from a binary layer) as '·'."""
    return "".join("·" if char == "\ufffd" or (unicodedata.category(char)[0] == "C" and char not in "\n\t") else char
                   for char in text)


def _evidence_parts(text: object) -> list[tuple[bool, str]]:
    """Printable evidence text cut into (is a fingerprint marker, text) parts, for highlighting the markers."""
    printable = _printable(str(text))
    parts: list[tuple[bool, str]] = []
    end = 0
    for match in _MARKER.finditer(printable):
        parts += [(False, printable[end:match.start()]), (True, match.group(0))]
        end = match.end()
    return [*parts, (False, printable[end:])]


def _fact(value: object) -> str:
    """A checkpoint fact as a reader wants it: lists joined, ratios to four digits, nothing for null."""
    if isinstance(value, list):
        return ", ".join(map(_fact, value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _checkpoint_details(checkpoint: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A checkpoint's facts other than its name, time and images (fidelity, redaction, baseline, ...), as
    (label, text) rows: ``mismatch_ratio`` reads ``mismatch ratio``."""
    shown = {"name", "t_ms", "hidden_boxes", *RUN_IMAGE_KEYS, *(key for key, _ in CHECKPOINT_VIEWS)}
    return [(key.replace("_", " "), _fact(value)) for key, value in checkpoint.items() if key not in shown]


def _reason(text: object, classification: str) -> str:
    """Why a value is protected, without repeating its classification: ``plain: typed text`` under a ``plain``
    heading reads ``typed text``."""
    reason = str(text)
    prefix = f"{classification}: "
    return reason[len(prefix):] if reason.startswith(prefix) else reason


def _sorted_runs(runs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Runs in :data:`RUN_ORDER` (an unknown status reads as an error), each status keeping the results' order."""
    return sorted(runs, key=lambda run: RUN_ORDER.index(_status(run)))


def _run_files(run: Mapping[str, Any], report_dir: Path | None) -> list[tuple[str, str]]:
    """Every file of a run's folder as (path relative to the report, path inside the run folder): walked on disk
    when the folder is there, else the files ``results.json`` names inside it."""
    folder = str(run.get("dir", "")).rstrip("/")
    if not folder:
        return []
    if report_dir is not None and (report_dir / folder).is_dir():
        root = report_dir / folder
        inside = {(Path(path).relative_to(root) / name).as_posix() for path, _, names in os.walk(root) for name in names}
    else:
        inside = {path.removeprefix(f"{folder}/") for path in _strings(run) if path.startswith(f"{folder}/")}
    return [(f"{folder}/{path}", path) for path in sorted(inside)]


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, Mapping):
        return [text for value in node.values() for text in _strings(value)]
    if isinstance(node, list):
        return [text for value in node for text in _strings(value)]
    return []


# --- the document shaped for the templates ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Summary:
    """The summary section: counts by status, and the scenario × browser matrix."""

    counts: Mapping[str, int]
    findings: int
    browsers: Sequence[str]
    matrix: Sequence[tuple[str, Sequence[Mapping[str, Any] | None]]]  # (scenario, its run per browser or None)
    totals: Mapping[str, Mapping[str, int]]  # browser → status → runs


def _counts(runs: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return {status: sum(r["status"] == status for r in runs) for status in STATUSES}


def _summary(runs: Sequence[Mapping[str, Any]]) -> _Summary:
    scenarios = list(dict.fromkeys(str(r["scenario"]) for r in runs))
    browsers = list(dict.fromkeys(str(r["browser"]) for r in runs))
    matrix = [
        (scenario, [next((r for r in runs if r["scenario"] == scenario and r["browser"] == browser), None)
                    for browser in browsers])
        for scenario in scenarios
    ]
    matrix.sort(key=lambda row: min(RUN_ORDER.index(_status(run)) for run in row[1] if run is not None))  # worst first
    totals = {browser: _counts([r for r in runs if r["browser"] == browser]) for browser in browsers}
    broken = sum(not f.get("informational", False) for r in runs for f in r["findings"])  # length leaks fail nothing
    return _Summary(_counts(runs), broken, browsers, matrix, totals)


EventType = Literal["step", "submit", "page", "optout", "finding"]


@dataclass(frozen=True)
class _Event:
    """One moment of a run, placed on the timeline strip."""

    t_ms: float
    type: EventType
    item: Mapping[str, Any]  # the entry of results.json it comes from (a step, a submit, a finding, ...)
    row: str  # the table row's class ('' for none)
    x: float = 0.0  # where on the strip (its viewBox is 1000 wide, with 10 to spare on each side)


@dataclass(frozen=True)
class _Strip:
    events: Sequence[_Event]
    end_ms: float


def _timeline_strip(run: Mapping[str, Any]) -> _Strip:
    """Every moment of a run in order (steps, submits, page loads, opt-outs, findings sent), on a 0..end scale."""
    timeline = run.get("timeline", {})
    events = [_Event(step["start_ms"], "step", step, "") for step in timeline.get("steps", ())]
    events += [_Event(submit["t_ms"], "submit", submit, "submit") for submit in timeline.get("submits", ())]
    events += [_Event(page["t_ms"], "page", page, "") for page in timeline.get("pages", ())]
    events += [_Event(t_ms, "optout", {"t_ms": t_ms}, "optout") for t_ms in timeline.get("optouts", ())]
    # A value at rest never left the page: it has no moment on the wire.
    events += [_Event(f["t_ms"], "finding", f, "finding") for f in run.get("findings", ()) if f["rule"] != "at-rest"]
    events.sort(key=lambda event: event.t_ms)
    end = max([run.get("duration_ms") or 0.0, *(event.t_ms for event in events)]) or 1.0
    placed = [_Event(e.t_ms, e.type, e.item, e.row, 10 + 980 * max(0.0, e.t_ms) / end) for e in events]
    return _Strip(placed, end)


@functools.cache
def _templates() -> jinja2.Environment:
    """The report's templates, read from the package (``importlib.resources``), escaping every value they write."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.resources", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a key the document lacks is an error, never an empty cell
        finalize=lambda value: "" if value is None else value,  # JSON null reads as nothing, not "None"
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        ms=_ms, plural=_plural, status=_status, anchor=_anchor, src=_src, evidence_parts=_evidence_parts,
        checkpoint_details=_checkpoint_details, timeline_strip=_timeline_strip, reason=_reason,
    )
    environment.globals.update(
        rules=RULES, value_rules=_VALUE_RULES, promises=PROMISES, checkpoint_views=CHECKPOINT_VIEWS,
        vendor_caption=VENDOR_CAPTION, heatmap_views=HEATMAP_VIEWS, filters=FILTERS,
    )
    return environment


@dataclass(frozen=True)
class InlineScript:
    """The inline script as written into the page, and its CSP source (``'sha256-…'``) over exactly those bytes."""

    text: Markup  # shipped with the package, not from results.json: written as it is
    csp_source: str


@functools.cache
def inline_script() -> InlineScript:
    text = resource_text(f"templates/{SCRIPT}")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return InlineScript(Markup(text), f"'sha256-{digest}'")


def render(document: ResultsDocument, report_dir: Path | None = None) -> str:
    """The report's HTML for a ``results.json`` document; each run's files are listed from ``report_dir`` when
    given (else from the paths the document names)."""
    runs: list[Mapping[str, Any]] = list(document.get("runs", ()))
    files = {id(run): _run_files(run, report_dir) for run in runs}
    return _templates().get_template(TEMPLATE).render(
        document=document, runs=runs, ordered_runs=_sorted_runs(runs), summary=_summary(runs),
        run_files=lambda run: files[id(run)], script=inline_script(),
    )


def write_report(document: ResultsDocument, report_dir: Path) -> Path:
    """Write ``index.html`` for a ``results.json`` document into ``report_dir`` and return its path."""
    report_dir.mkdir(parents=True, exist_ok=True)
    index = report_dir / "index.html"
    write_whole_text(index, render(document, report_dir))
    return index
