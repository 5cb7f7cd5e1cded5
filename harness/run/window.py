"""The observation window: before a page goes, the timers it had pending since the last value typed on it get to run.

A visitor who pauses gives a tracker's timers their chance, so a verdict must cover them. The page probe records
every ``setTimeout``/``setInterval`` (id, kind, delay, due time) in every frame and forwards it untouched; nothing
here changes the page's clock. Before a step that may end the page's life, :func:`observe` asks every frame which
timers are pending and waits, in real time, until each one whose next run after the **anchor** (the end of the last
value typed on the page) falls within ``window_ms`` of it has run (its due time passed) or was cleared. An interval
the tracker set at load (a batch flush) thus ticks once after the value is complete. Timers due later are not waited
for; they, and whatever else is pending when the wait ends, are reported as pending at close.

A page nothing was typed on is not waited for (its pending timers are still reported, against a window counted from
its load): the values the rules guard were typed on earlier pages, whose timers had their window before those pages
went; a tracker can only hold them on this page by carrying them over in storage or the URL, which the storage
snapshots and the capture of the navigation record (a plain value carried over and sent from a later page's timer is
not waited for). Waiting for every fresh page's first batch (our snippet's flush interval is 5 s) would add seconds to
every page a scenario passes through for no typed value.

Timers set while waiting get one more round: a flush whose callback schedules the next (PostHog sends its last
batch so), a debounce that hands the send to another timer. Those are waited for when due within the window too;
the ones they set in turn are not, or a timer that re-arms itself would hold every page for the whole window.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Literal, TypedDict, cast

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Page

from harness.run.timeline import PendingTimer

SLICE_MS = 100  # how often the wait looks again (a timer cleared meanwhile need not be waited for)
LATE_MS = 50  # a callback runs a little after its due time when the page's event loop is busy
MIN_INTERVAL_MS = 4  # browsers clamp repeating intervals to at least this
SETTLE_MS = 150  # before the second round's look: callbacks due in the first have run by then
CLOCK_SLACK_MS = 5  # the page's clock and ours are the machine's, read a moment apart

# With the timers, the document they belong to (its time origin): a frame's next document numbers its timers anew.
_PENDING_JS = """(since) => {
  const probe = window.__telltaleProbe;
  const report = probe && probe.timers ? probe.timers(since) : null;
  return report && { timers: report.timers, document: (window.performance && performance.timeOrigin) || 0 };
}"""


class _TimerReport(TypedDict):
    id: int
    kind: Literal["timeout", "interval"]
    delay: float
    at: float  # epoch ms when it was set
    due: float  # epoch ms of its first run


@dataclass(frozen=True)
class _Timer:
    kind: Literal["timeout", "interval"]
    delay_ms: float
    first_run: float
    set_at: float  # epoch ms

    def next_run(self, after: float) -> float:
        """Epoch ms of its first run at or after ``after`` (a timeout runs once)."""
        if self.kind == "timeout" or self.first_run >= after:
            return self.first_run
        period = max(self.delay_ms, MIN_INTERVAL_MS)
        return self.first_run + math.ceil((after - self.first_run) / period) * period


_Document = tuple[int, float]  # (frame, time origin of its document)
_Key = tuple[int, float, int]  # (frame, time origin, timer id): ids are per document


@dataclass(frozen=True)
class _Snapshot:
    timers: dict[_Key, _Timer]
    documents: frozenset[_Document]  # every frame's document, timers pending or not


@dataclass(frozen=True)
class Observed:
    """What one wait did: how long it waited and what the page still had pending when it ended."""

    waited_ms: float
    pending: tuple[PendingTimer, ...]


def _pending(page: Page, since: float) -> _Snapshot:
    """The timers every frame of ``page`` has pending at or after ``since`` (epoch ms), and its documents."""
    found: dict[_Key, _Timer] = {}
    documents: set[_Document] = set()
    for frame in page.frames:
        try:
            report = frame.evaluate(_PENDING_JS, since)
        except PlaywrightError:
            continue  # a frame detached or navigating: its timers went with its document
        if not isinstance(report, dict):
            continue
        document = (_frame_key(frame), float(report.get("document") or 0))
        documents.add(document)
        for item in cast(list[_TimerReport], report.get("timers", [])):
            found[(*document, int(item["id"]))] = _Timer(
                item["kind"], float(item["delay"]), float(item["due"]), float(item["at"])
            )
    return _Snapshot(found, frozenset(documents))


def _frame_key(frame: Frame) -> int:
    return id(frame)  # Playwright keeps one object per frame for as long as it lives


def _due(timers: dict[_Key, _Timer], anchor: float, deadline: float) -> dict[_Key, float]:
    """When each of `timers` next runs after the anchor, for those that run by the deadline."""
    runs = {key: timer.next_run(anchor) for key, timer in timers.items()}
    return {key: run for key, run in runs.items() if run <= deadline}


def _slept(page: Page, ms: float) -> bool:
    """Let ``page`` run for ``ms``; False when it closed itself meanwhile (window.close()): its timers went with it."""
    try:
        page.wait_for_timeout(ms)
    except PlaywrightError:
        if page.is_closed():
            return False
        raise
    return True


def observe(page: Page, anchor_epoch_ms: float, window_ms: float, wait: bool = True) -> Observed:
    """Wait until every timer of ``page`` pending since the anchor and due within the window has run or was cleared
    (with ``wait`` false, only report what is pending). Raises :class:`playwright.sync_api.Error` when the browser
    dies meanwhile.
    """
    deadline = anchor_epoch_ms + window_ms
    started = time.time() * 1000.0
    slept = False
    first = _pending(page, anchor_epoch_ms)
    waiting = _due(first.timers, anchor_epoch_ms, deadline) if wait else {}
    rounds = 1
    while True:
        now = time.time() * 1000.0
        waiting = {key: run for key, run in waiting.items() if run + LATE_MS > now}
        if not waiting and slept and rounds == 1:
            # The second round: timers set while the first ran (by their callbacks, most likely), in the documents
            # that were there (a document a callback navigated to starts afresh: it is no page anything was typed on).
            # A callback runs late on a busy page, and the probe knows when a timer was due, not when it ran: the
            # second look comes a moment later.
            rounds = 2
            if not _slept(page, SETTLE_MS):
                break
            later = {key: timer for key, timer in _pending(page, anchor_epoch_ms).timers.items()
                     if key[:2] in first.documents and key not in first.timers
                     and timer.set_at >= started - CLOCK_SLACK_MS}
            waiting = _due(later, anchor_epoch_ms, deadline)
            continue
        if not waiting:
            break
        if not _slept(page, min(SLICE_MS, max(waiting.values()) + LATE_MS - now)):
            break
        slept = True
        still = _pending(page, anchor_epoch_ms).timers
        waiting = {key: run for key, run in waiting.items() if key in still}  # cleared, or its document went
    ended = time.time() * 1000.0
    waited = ended - started if slept else 0.0
    pending = tuple(
        PendingTimer(
            kind=timer.kind,
            delay_ms=timer.delay_ms,
            due_in_ms=max(0.0, timer.next_run(ended) - ended),
            outside_window=timer.next_run(anchor_epoch_ms) > deadline,
        )
        for timer in _pending(page, ended).timers.values()
    )
    return Observed(waited, pending)
