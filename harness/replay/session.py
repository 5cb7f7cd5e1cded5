"""A run's recorded session: the snippet's batches, decoded and put in order on the harness's clock.

The batches are the requests to the collector (``/telltale/collect``) in the run's capture. Each is decoded and
checked against ``harness/resources/schema.json`` (:mod:`harness.replay.events`); they are put in sequence order per tab session,
retries (a repeated ``seq``) are dropped and missing sequence numbers are reported as gaps. The snippet retries a
batch with its sequence number and never gives one number to two batches, so the collector dedupes by (sid, seq):
a repeat with the same content is a retry (``duplicates``), one with different content a snippet bug (``conflicts``,
and a problem; the first received is kept).

Times: the snippet stamps events relative to its page view's start ``t0`` (epoch milliseconds, the page's own
clock); the harness measures milliseconds since the run started (:class:`harness.capture.Recording`). The two are
the same machine's wall clock, so an event's harness time is ``t0 + t - wall_started``. A page cannot send an event
before it happened, so an event is never placed after its batch arrived at the proxy: this bounds any skew between
the two readings (the harness never changes the page's clock: its timers run in real time).

Sampled events carry the time of the browser event they were taken from: a pointer path's points their pointer
events', a scroll or resize sample the scroll or resize event that brought the page there (schema v2), although the
snippet reads and sends them later. Events of a batch are therefore not in time order; they are sorted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from harness.capture.proxy import CapturedRequest, Recording
from harness.capture.site import COLLECTOR_PATH
from harness.replay.documents import SessionDocument
from harness.replay.events import Batch, BatchError, Event, decode_batch, problems


@dataclass(frozen=True)
class TimedEvent:
    """One recorded event at its time on the harness's clock."""

    at_ms: float
    event: Event

    @property
    def type(self) -> str:
        return self.event.type

    def __repr__(self) -> str:
        return f"<TimedEvent {self.event.type} at={self.at_ms:.0f}ms>"


@dataclass
class PageView:
    """One page view: its meta, its snapshot and every later event, in time order."""

    page: str  # the snippet's random page-view id
    sid: str
    t0: int  # page-view start, epoch ms (page clock)
    url: str = ""
    title: str = ""
    width: int = 0
    height: int = 0
    dpr: float = 1.0
    events: list[TimedEvent] = field(default_factory=list)

    @property
    def start_ms(self) -> float:
        """When the page view became replayable: its snapshot (or its first event)."""
        snapshot = self.snapshot
        return snapshot.at_ms if snapshot else (self.events[0].at_ms if self.events else 0.0)

    @property
    def end_ms(self) -> float:
        return self.events[-1].at_ms if self.events else 0.0

    @property
    def snapshot(self) -> TimedEvent | None:
        return next((e for e in self.events if e.type == "snapshot"), None)

    def shown_at(self) -> list[float]:
        """When this page view came (back) on screen: its snapshot, and each return from hidden (bfcache, tabs)."""
        times = [self.start_ms] if self.snapshot else []
        times += [e.at_ms for e in self.events if e.type == "visibility" and e.event.get("state") == "visible"]
        return times

    def __repr__(self) -> str:
        return f"<PageView {self.page} url={self.url!r} events={len(self.events)} start={self.start_ms:.0f}ms>"


@dataclass
class Session:
    """Everything the snippet sent in one run, decoded."""

    pages: list[PageView] = field(default_factory=list)
    batches: int = 0  # distinct batches used
    received: list[int] = field(default_factory=list)  # sequence numbers received, each once (all tab sessions)
    duplicates: int = 0  # batches dropped because their (sid, seq) was already seen with the same content (retries)
    conflicts: int = 0  # batches dropped because their (sid, seq) was already seen with different content
    gaps: list[int] = field(default_factory=list)  # sequence numbers never received
    dropped_events: int = 0  # events the snippet's bounded buffer dropped (it says so in each batch)
    problems: list[str] = field(default_factory=list)  # undecodable batches and schema violations
    clamped: int = 0  # events whose page-clock time fell after their batch's arrival

    def page_at(self, t_ms: float) -> PageView | None:
        """The page view on screen at ``t_ms``: the one most recently shown at or before it."""
        best: tuple[float, PageView] | None = None
        for view in self.pages:
            for shown in view.shown_at():
                if shown <= t_ms and (best is None or shown >= best[0]):
                    best = (shown, view)
        return best[1] if best else None

    @property
    def events(self) -> int:
        return sum(len(p.events) for p in self.pages)

    def to_json(self) -> SessionDocument:
        """A summary for results (no recorded content)."""
        return {
            "batches": self.batches,
            "received": list(self.received),
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "gaps": list(self.gaps),
            "dropped_events": self.dropped_events,
            "problems": list(self.problems),
            "clamped_events": self.clamped,
            "pages": [
                {"url": p.url, "start_ms": round(p.start_ms, 1), "end_ms": round(p.end_ms, 1), "events": len(p.events)}
                for p in self.pages
            ],
        }

    def __repr__(self) -> str:
        return (
            f"<Session pages={len(self.pages)} batches={self.batches} events={self.events} "
            f"duplicates={self.duplicates} conflicts={self.conflicts} gaps={self.gaps}>"
        )


def is_batch(request: CapturedRequest, path: str = COLLECTOR_PATH) -> bool:
    """Whether a captured request is a snippet batch (a POST to the collector path on any host)."""
    return request.method == "POST" and urlsplit(request.url).path == path


def _missing(seqs: Iterable[int]) -> list[int]:
    got = sorted(set(seqs))
    return [n for n in range(1, got[-1]) if n not in set(got)] if got else []


def decode_session(recording: Recording, path: str = COLLECTOR_PATH) -> Session:
    """Decode every batch of ``recording`` into a session (see the module docstring for order and times)."""
    session = Session()
    arrived: dict[tuple[str, int], tuple[Batch, float]] = {}
    for request in recording.requests:
        if not is_batch(request, path):
            continue
        try:
            batch = decode_batch(request.body, request.url)
        except BatchError as error:
            session.problems.append(f"request at {request.t_ms:.0f} ms: {error}")
            continue
        session.problems.extend(f"seq {batch.seq}: {p}" for p in problems(batch))
        # A batch without a sequence number (a problem already) cannot be a retry of another: each is kept.
        key = (batch.sid, batch.seq) if batch.seq > 0 else (batch.sid, -len(arrived) - 1)
        if key in arrived:
            if dict(arrived[key][0].raw) == dict(batch.raw):
                session.duplicates += 1
            else:
                session.conflicts += 1
                session.problems.append(f"seq {batch.seq}: received again with different content")
            continue
        arrived[key] = (batch, request.t_ms)
    by_page: dict[str, PageView] = {}
    wall_ms = recording.wall_started * 1000.0
    for (sid, _), (batch, arrival) in sorted(arrived.items(), key=lambda item: (item[0][0], item[0][1])):
        session.batches += 1
        session.dropped_events += max(batch.dropped, 0)
        view = by_page.setdefault(batch.page, PageView(batch.page, sid, batch.t0))
        for event in batch.events:
            at = batch.t0 + event.t - wall_ms
            if at > arrival:
                session.clamped += 1
                at = arrival
            view.events.append(TimedEvent(at, event))
            if event.type == "meta":
                view.url, view.title = str(event.get("url", "")), str(event.get("title", ""))
                view.width, view.height = int(event.get("w", 0)), int(event.get("h", 0))
                view.dpr = float(event.get("dpr", 1.0))
    session.received = sorted({seq for _, seq in arrived if seq > 0})
    for sid in {sid for sid, _ in arrived}:
        session.gaps.extend(_missing(seq for s, seq in arrived if s == sid and seq > 0))
    for view in by_page.values():
        view.events.sort(key=lambda e: e.at_ms)  # stable: events of one batch keep their order
    session.pages = sorted(by_page.values(), key=lambda v: v.start_ms)
    return session
