"""What happened during a run, in order: steps, typed values, form submissions, opt-outs, checkpoints, and the
observation window's waits (how long each page's pending timers were given, what was left when it went).

Times are milliseconds on the same clock as the capture (monotonic, from the start of the run), so a captured
request can be placed before or after the submit of a field's form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NotRequired, TypedDict


class StepDocument(TypedDict):
    index: int
    kind: str
    start_ms: float
    end_ms: float
    ok: bool
    detail: str
    what: NotRequired[str]  # the step as the scenario wrote it, added by the report


class TypedDocument(TypedDict):
    step: int
    selector: str
    secret: str
    fingerprint: str
    sensitive: bool
    reason: str
    form: str
    page_url: str
    t_ms: float


class SubmitDocument(TypedDict):
    form: str
    page_url: str
    t_ms: float
    action: str
    method: str
    target: str


class HiddenBoxDocument(TypedDict):
    box: list[float]  # x, y, width, height in CSS pixels of the viewport
    why: str
    frame: str


class CheckpointDocument(TypedDict):
    name: str
    t_ms: float
    live: str
    hidden: list[HiddenBoxDocument]  # what the harness painted over in the live screenshot


class PageLoadDocument(TypedDict):
    t_ms: float
    url: str


PageErrorKind = Literal["exception", "console", "load"]


class PageErrorDocument(TypedDict):
    t_ms: float
    kind: PageErrorKind
    message: str
    source: str
    tracker: bool


class PendingTimerDocument(TypedDict):
    kind: Literal["timeout", "interval"]
    delay_ms: float
    due_in_ms: float
    outside_window: bool


class PageEndDocument(TypedDict):
    before: str
    url: str
    t_ms: float
    anchor: Literal["typed", "load"]
    anchor_ms: float
    waited_ms: float
    left: bool
    pending: list[PendingTimerDocument]


class ObservationDocument(TypedDict):
    window_ms: float
    waited_ms: float
    pages: list[PageEndDocument]


class TimelineDocument(TypedDict):
    """A run's ``timeline.json`` (and ``timeline`` in ``results.json``): no value in it, only fingerprints."""

    steps: list[StepDocument]
    typed: list[TypedDocument]
    submits: list[SubmitDocument]
    optouts: list[float]
    checkpoints: list[CheckpointDocument]
    pages: list[PageLoadDocument]
    errors: list[PageErrorDocument]
    observation: ObservationDocument


@dataclass(frozen=True)
class StepRecord:
    """One step's start and end, and its outcome."""

    index: int
    kind: str
    start_ms: float
    end_ms: float
    ok: bool
    detail: str = ""

    def to_json(self) -> StepDocument:
        return {
            "index": self.index,
            "kind": self.kind,
            "start_ms": round(self.start_ms, 1),
            "end_ms": round(self.end_ms, 1),
            "ok": self.ok,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class TypedValue:
    """A value the visitor typed into a field, with the harness's classification at the first keystroke.

    ``secret`` names the scenario secret the value came from ('' for plain text typed by a step). The value
    itself is kept only in memory: it is never written to results, logs or reports.
    """

    step: int
    selector: str
    value: str = field(repr=False)
    secret: str
    sensitive: bool
    reason: str
    form: str
    page_url: str
    t_ms: float

    def to_json(self, fingerprint: str) -> TypedDocument:
        return {
            "step": self.step,
            "selector": self.selector,
            "secret": self.secret,
            "fingerprint": fingerprint,
            "sensitive": self.sensitive,
            "reason": self.reason,
            "form": self.form,
            "page_url": self.page_url,
            "t_ms": round(self.t_ms, 1),
        }


@dataclass(frozen=True)
class Submit:
    """A form submission seen by the page (its ``submit`` event), from any step or key press."""

    form: str
    page_url: str
    t_ms: float
    action: str = ""  # the URL it submits to, the submitter's formaction included ('' when unknown)
    method: str = ""  # GET, POST or DIALOG, the submitter's formmethod included
    target: str = ""  # the browsing context it navigates, as the form names it ('' or _self: its own frame)

    def to_json(self) -> SubmitDocument:
        return {"form": self.form, "page_url": self.page_url, "t_ms": round(self.t_ms, 1), "action": self.action,
                "method": self.method, "target": self.target}


@dataclass(frozen=True)
class LinkClick:
    """A click on a link (``<a href>``), seen by the page: the user's navigation, if one to ``url`` follows."""

    url: str
    t_ms: float


@dataclass(frozen=True)
class Navigation:
    """A navigation request of a page or a frame, as the browser reported it (not its bytes: the capture has
    those). ``by_harness``: started by the harness itself (the start, ``goto``, ``reload``, ``back``, ``leave``
    to a URL); ``redirected_from``: the URL whose answer redirected here ('' for none)."""

    method: str
    url: str
    t_ms: float
    main_frame: bool
    by_harness: bool = False
    redirected_from: str = ""


@dataclass(frozen=True)
class HiddenBox:
    """A part of the viewport the harness painted over, in CSS pixels, and why."""

    x: float
    y: float
    w: float
    h: float
    why: str  # the probe's reason: "password: type=password", "shows a protected value", ...
    frame: str = ""  # the frame's URL ('' for the top document)

    def clipped(self, x0: float, y0: float, x1: float, y1: float) -> HiddenBox | None:
        """This box inside the rectangle ``(x0, y0)–(x1, y1)``, or None when none of it is."""
        left, top = max(self.x, x0), max(self.y, y0)
        right, bottom = min(self.x + self.w, x1), min(self.y + self.h, y1)
        if right <= left or bottom <= top:
            return None
        return HiddenBox(left, top, right - left, bottom - top, self.why, self.frame)

    def to_json(self) -> HiddenBoxDocument:
        return {"box": [round(v, 1) for v in (self.x, self.y, self.w, self.h)], "why": self.why, "frame": self.frame}


@dataclass(frozen=True)
class Checkpoint:
    """A named moment with its live screenshot, and what the harness painted over in it."""

    name: str
    t_ms: float
    live: str  # path of the live screenshot, relative to the run folder
    hidden: tuple[HiddenBox, ...] = ()

    def to_json(self) -> CheckpointDocument:
        return {"name": self.name, "t_ms": round(self.t_ms, 1), "live": self.live,
                "hidden": [box.to_json() for box in self.hidden]}


@dataclass(frozen=True)
class PageError:
    """An error the page reported: an uncaught exception, a console error, or a snippet that threw while loading.

    ``tracker`` says whether it came from the tracker under test: the injected snippet's own script, or, when the
    harness injects nothing, a script the page loaded from a third party.
    """

    kind: PageErrorKind
    message: str
    source: str  # the script it came from ('' when the browser did not say)
    t_ms: float
    tracker: bool = False

    def to_json(self) -> PageErrorDocument:
        return {"t_ms": round(self.t_ms, 1), "kind": self.kind, "message": self.message, "source": self.source,
                "tracker": self.tracker}


@dataclass(frozen=True)
class PendingTimer:
    """A timer a page still had when the observation of it ended: ``due_in_ms`` from then until its next run;
    ``outside_window`` when that run after the anchor fell beyond the window (so it was not waited for)."""

    kind: Literal["timeout", "interval"]
    delay_ms: float
    due_in_ms: float
    outside_window: bool

    def to_json(self) -> PendingTimerDocument:
        return {"kind": self.kind, "delay_ms": round(self.delay_ms, 1), "due_in_ms": round(self.due_in_ms, 1),
                "outside_window": self.outside_window}


@dataclass(frozen=True)
class PageEnd:
    """One wait of the observation window, before a step that may end the page's life (``before``: the step's
    kind, or ``end`` for the end of the scenario). The anchor is the end of the last value typed on the page, or
    its load when nothing was typed on it (then nothing is waited for). ``left`` is false when the page stayed (a
    submit the page handled itself); ``pending`` is what it still had when the wait ended."""

    before: str
    url: str
    t_ms: float
    anchor: Literal["typed", "load"]
    anchor_ms: float
    waited_ms: float
    left: bool
    pending: tuple[PendingTimer, ...]

    def to_json(self) -> PageEndDocument:
        return {
            "before": self.before, "url": self.url, "t_ms": round(self.t_ms, 1), "anchor": self.anchor,
            "anchor_ms": round(self.anchor_ms, 1),
            "waited_ms": round(self.waited_ms, 1), "left": self.left, "pending": [p.to_json() for p in self.pending],
        }


@dataclass
class Timeline:
    """Everything that happened in one run, in order."""

    steps: list[StepRecord] = field(default_factory=list)
    typed: list[TypedValue] = field(default_factory=list)
    submits: list[Submit] = field(default_factory=list)
    links: list[LinkClick] = field(default_factory=list)
    navigations: list[Navigation] = field(default_factory=list)
    optouts: list[float] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    pages: list[tuple[float, str]] = field(default_factory=list)  # (t_ms, url) of each page load
    errors: list[PageError] = field(default_factory=list)
    window_ms: float = 0.0  # the observation window the run used
    page_ends: list[PageEnd] = field(default_factory=list)

    @property
    def tracker_errors(self) -> list[PageError]:
        return [e for e in self.errors if e.tracker]

    def submit_of(self, form: str, after_ms: float) -> Submit | None:
        """The first submit of ``form`` at or after ``after_ms``, if any."""
        if not form:
            return None
        return next((s for s in self.submits if s.form == form and s.t_ms >= after_ms), None)

    def to_json(self, fingerprints: dict[str, str]) -> TimelineDocument:
        return {
            "steps": [s.to_json() for s in self.steps],
            "typed": [t.to_json(fingerprints.get(t.value, "")) for t in self.typed],
            "submits": [s.to_json() for s in self.submits],
            "optouts": [round(t, 1) for t in self.optouts],
            "checkpoints": [c.to_json() for c in self.checkpoints],
            "pages": [{"t_ms": round(t, 1), "url": u} for t, u in self.pages],
            "errors": [e.to_json() for e in self.errors],
            "observation": {
                "window_ms": round(self.window_ms, 1),
                "waited_ms": round(sum(end.waited_ms for end in self.page_ends), 1),
                "pages": [end.to_json() for end in self.page_ends],
            },
        }
