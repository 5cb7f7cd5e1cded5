"""The step registry: every step a scenario may use, with what it accepts and how it is carried out.

:data:`STEPS` is the one table of step names: the loader validates scenario files against its schemas and the
runner carries steps out with its executors. Each executor takes the run's :class:`StepContext` and the step's
validated arguments (secrets already
substituted). Steps that may end a page's life (a submit, Enter in a field, ``goto``, ``leave``, ``reload``,
``back``) first give the page's pending timers their observation window (:mod:`harness.run.window`), then take a
storage snapshot, so what a page sent after a pause and what it kept at rest are recorded before it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from playwright.sync_api import BrowserContext, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from harness.capture.proxy import Recording, wait_for_quiet
from harness.errors import StepError
from harness.run.scenario import Step, substitute
from harness.run.screenshot import hidden_values, masked_screenshot
from harness.run.storage import StorageSnapshot, snapshot
from harness.run.timeline import Checkpoint, PageEnd, Timeline, TypedValue
from harness.run.window import observe

STEP_TIMEOUT_MS = 10_000
DEFAULT_WINDOW_MS = 30_000.0  # = config.Settings.observation_window (tested)


@dataclass(frozen=True)
class StepSchema:
    """What one step accepts: its keys and their types, which are required, and its short form.

    ``short`` names the key a scalar short form fills in (``click: "#id"`` → ``selector``); ``short_types``
    are the scalar types that short form accepts; ``empty_ok`` allows ``{}`` or nothing at all.
    """

    keys: dict[str, str]
    required: tuple[str, ...] = ()
    short: str | None = None
    short_types: tuple[str, ...] = ("string",)
    empty_ok: bool = False
    one_of: tuple[str, ...] = ()  # at least one of these keys

    def allowed(self) -> str:
        return ", ".join(sorted(self.keys))


Executor = Callable[["StepContext", Step, dict[str, Any]], None]


@dataclass(frozen=True)
class StepType:
    """One kind of step: what a scenario may write (checked by :mod:`harness.run.loader`) and how it runs."""

    schema: StepSchema
    execute: Executor

# Starts the submission in a task of its own and returns at once: awaiting it inside the evaluation would race the
# navigation it starts ("Execution context was destroyed"). The outcome is read afterwards, in either document.
_SUBMIT = """(form) => {
  if (form.tagName !== "FORM") return "not a form";
  // The browser would only show its validation bubble: no submit event would ever come.
  if (!form.noValidate && !form.checkValidity()) return "invalid";
  window.__telltaleBeforeSubmit = true;
  window.__telltaleSubmitPrevented = false;  // a page that handled an earlier submit itself is still this one
  // A bubbling window listener runs after the page's own handlers, so it learns whether they prevented navigation.
  window.addEventListener("submit", (e) => {
    if (e.defaultPrevented) window.__telltaleSubmitPrevented = true;
  }, { once: true });
  setTimeout(() => { if (form.requestSubmit) form.requestSubmit(); else form.submit(); }, 0);
  return "started";
}"""
# Polled until the submit is settled: a new document (navigated), or the page's handler prevented it. Playwright
# re-runs the poll in the new document when the old one goes, so a navigation mid-poll is no error.
_SUBMIT_SETTLED = """() => !window.__telltaleBeforeSubmit ? "navigated"
  : window.__telltaleSubmitPrevented ? "prevented" : false"""


@dataclass
class StepContext:
    """The live state a run's steps share."""

    context: BrowserContext
    recording: Recording
    timeline: Timeline
    values: dict[str, str]
    run_dir: Path
    page: Page | None = None
    storage: list[StorageSnapshot] = field(default_factory=list)
    window_ms: float = DEFAULT_WINDOW_MS
    loaded_ms: float = 0.0  # the current page's last load (harness clock)
    typed_ms: float = 0.0  # the end of the last typing step
    navigating: bool = False  # the harness is navigating the page itself (see :meth:`harness_navigation`)

    def live_page(self) -> Page:
        if self.page is None or self.page.is_closed():
            self.page = self.context.new_page()
            self.loaded_ms = self.recording.t_ms()
            # A visitor leaving confirms "leave this page?"; Playwright would dismiss it and keep the page open.
            self.page.on("dialog", lambda dialog: dialog.accept())
            self.page.on("load", lambda _: setattr(self, "loaded_ms", self.recording.t_ms()))
        return self.page

    @contextmanager
    def harness_navigation(self) -> Iterator[None]:
        """While the harness itself navigates the page (the start, ``goto``, ``reload``, ``back``, ``leave`` to
        a URL): the page loads meanwhile are the harness's, not a script's (:class:`~harness.run.timeline.Navigation`)."""
        self.navigating = True
        try:
            yield
        finally:
            self.navigating = False

    def observe_window(self, before: str) -> PageEnd | None:
        """Give the current page's pending timers their window (:func:`harness.run.window.observe`), let what they
        sent arrive, and return the wait as a :class:`PageEnd` that assumes the page goes (None: no live page)."""
        page = self.page
        if page is None or page.is_closed():
            return None
        typed = self.typed_ms > self.loaded_ms  # on this page: nothing typed, nothing to wait for (see window.py)
        anchor_ms = self.typed_ms if typed else self.loaded_ms
        t_ms = self.recording.t_ms()
        observed = observe(page, self.recording.wall_started * 1000.0 + anchor_ms, self.window_ms, wait=typed)
        if observed.waited_ms > 0:
            wait_for_quiet(self.recording)
        return PageEnd(before, page.url, t_ms, "typed" if typed else "load", anchor_ms, observed.waited_ms, True,
                       observed.pending)

    def end_page(self, before: str) -> None:
        """Before a step that ends the page's life: its window observed and recorded in the timeline."""
        end = self.observe_window(before)
        if end is not None:
            self.timeline.page_ends.append(end)

    def locate(self, selector: str) -> Locator:
        return self.live_page().locator(selector).first

    def snapshot_storage(self) -> None:
        """Record what the current page keeps at rest (called before it goes away)."""
        self.storage.append(snapshot(self.context, self.page, self.recording.t_ms()))

    def secret_named_by(self, template: str) -> str:
        """The secret a step's text is made of (``'{password}'`` → ``'password'``), or ``''``."""
        names = [name for name in self.values if "{" + name + "}" in template]
        return names[0] if len(names) == 1 and template.strip() == "{" + names[0] + "}" else ",".join(names)


def _classify(ctx: StepContext, step: Step, locator: Locator, value: str) -> None:
    """Ask the page probe how the field classifies at its first keystroke, and keep the typed value."""
    locator.wait_for(state="visible", timeout=STEP_TIMEOUT_MS)
    info = locator.evaluate(
        "(el, typed) => window.__telltaleProbe ? window.__telltaleProbe.classify(el, typed) : null", value
    ) or {"sensitive": False, "reason": "unknown: probe missing", "form": ""}
    template = step.args.get("text", step.args.get("value", ""))
    ctx.timeline.typed.append(
        TypedValue(
            step=step.index,
            selector=step.args["selector"],
            value=value,
            secret=ctx.secret_named_by(str(template)),
            sensitive=bool(info["sensitive"]),
            reason=str(info["reason"]),
            form=str(info.get("form", "")),
            page_url=ctx.live_page().url,
            t_ms=ctx.recording.t_ms(),
        )
    )


def _goto(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    if ctx.page is not None and not ctx.page.is_closed():
        ctx.end_page("goto")
        ctx.snapshot_storage()
    with ctx.harness_navigation():
        ctx.live_page().goto(args["url"], wait_until="load")


def _click(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    options: dict[str, Any] = {"timeout": STEP_TIMEOUT_MS}
    if "button" in args:
        options["button"] = args["button"]
    if "position" in args:
        options["position"] = args["position"]
    ctx.locate(args["selector"]).click(**options)


def _dblclick(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    ctx.locate(args["selector"]).dblclick(timeout=STEP_TIMEOUT_MS)


def _hover(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    ctx.locate(args["selector"]).hover(timeout=STEP_TIMEOUT_MS)


def _move(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    mouse = ctx.live_page().mouse
    (x0, y0), *rest = args["path"]
    mouse.move(x0, y0)
    for x, y in rest:
        mouse.move(x, y, steps=int(args.get("steps", 5)))


def _type(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    locator = ctx.locate(args["selector"])
    _classify(ctx, step, locator, args["text"])
    locator.click(timeout=STEP_TIMEOUT_MS)
    locator.press_sequentially(args["text"], delay=int(args.get("delay", 50)), timeout=60_000)
    ctx.typed_ms = ctx.recording.t_ms()


def _fill(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    locator = ctx.locate(args["selector"])
    _classify(ctx, step, locator, args["value"])
    locator.fill(args["value"], timeout=STEP_TIMEOUT_MS)
    ctx.typed_ms = ctx.recording.t_ms()


def _press(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    # Enter may submit the field's form (implicit submission) and so end the page: its window comes first.
    end = ctx.observe_window("press") if args["key"] == "Enter" else None
    if end is not None:
        ctx.live_page().evaluate("() => { window.__telltaleBeforePress = true; }")
    if "selector" in args:
        ctx.locate(args["selector"]).press(args["key"], timeout=STEP_TIMEOUT_MS)
    else:
        ctx.live_page().keyboard.press(args["key"])
    if end is not None:
        ctx.timeline.page_ends.append(replace(end, left=_left(ctx.live_page(), "__telltaleBeforePress")))


def _left(page: Page, marker: str) -> bool:
    """Whether ``page`` left the document ``marker`` was set on (Playwright waits for a navigation to start)."""
    try:
        return not page.evaluate(f"() => !!window.{marker}")
    except PlaywrightError:
        return True  # its document went while we asked


def _select(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    ctx.locate(args["selector"]).select_option(args["value"], timeout=STEP_TIMEOUT_MS)


def _check(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    ctx.locate(args["selector"]).set_checked(bool(args.get("checked", True)), timeout=STEP_TIMEOUT_MS)


def _scroll(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    position = {"x": args.get("x"), "y": args.get("y")}
    script = "(el, p) => el.scrollTo(p.x ?? el.scrollLeft, p.y ?? el.scrollTop)"
    if "selector" in args:
        ctx.locate(args["selector"]).evaluate(script, position)
    else:
        ctx.live_page().evaluate(
            "(p) => window.scrollTo(p.x ?? window.scrollX, p.y ?? window.scrollY)", position
        )
    # Let scroll listeners and their sampling see the new position before the next step.
    ctx.live_page().wait_for_timeout(100)


def _submit(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    page = ctx.live_page()
    end = ctx.observe_window("submit")  # before every submit: whether it navigates is known only after
    ctx.snapshot_storage()
    started = ctx.locate(args["selector"]).evaluate(_SUBMIT)
    if started != "started" and end is not None:
        ctx.timeline.page_ends.append(replace(end, left=False))
    if started == "not a form":
        raise StepError(f"{args['selector']} is not a <form>")
    if started == "invalid":
        raise StepError(f"{args['selector']} did not submit: the browser finds a field invalid (a required one empty?)")
    settled = page.wait_for_function(_SUBMIT_SETTLED, timeout=STEP_TIMEOUT_MS).json_value()
    if end is not None:
        ctx.timeline.page_ends.append(replace(end, left=settled == "navigated"))
    if settled == "navigated":
        page.wait_for_load_state("load", timeout=STEP_TIMEOUT_MS)


def _wait(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    if "selector" in args:
        ctx.locate(args["selector"]).wait_for(state="visible", timeout=STEP_TIMEOUT_MS)
    if "ms" in args:
        ctx.live_page().wait_for_timeout(int(args["ms"]))


def _optout(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    if "selector" in args:
        ctx.locate(args["selector"]).click(timeout=STEP_TIMEOUT_MS)
    else:
        ctx.live_page().evaluate("() => window.telltale && window.telltale.optOut && window.telltale.optOut()")
    # What the tracker sent while handling the opt-out click itself (the click, before the page's handler ran)
    # is still in flight: let it land, then mark the moment after which nothing may be sent.
    wait_for_quiet(ctx.recording, quiet_ms=150, limit_ms=1_500)
    ctx.timeline.optouts.append(ctx.recording.t_ms())


def _reload(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    ctx.end_page("reload")
    ctx.snapshot_storage()
    with ctx.harness_navigation():
        ctx.live_page().reload(wait_until="load")


def _back(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    ctx.end_page("back")
    ctx.snapshot_storage()
    with ctx.harness_navigation():
        ctx.live_page().go_back(wait_until="load")


def _leave(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    ctx.end_page("leave")
    ctx.snapshot_storage()
    if "url" in args:
        with ctx.harness_navigation():
            ctx.live_page().goto(args["url"], wait_until="load")
    elif ctx.page is not None and not ctx.page.is_closed():
        close_page(ctx.page)


def close_page(page: Page) -> None:
    """Close ``page`` the way a visitor closes a tab: unload handlers run and may still send beacons."""
    try:
        with page.expect_event("close", timeout=STEP_TIMEOUT_MS):
            page.close(run_before_unload=True)
    except PlaywrightTimeout:
        page.close()  # the page would not unload (a stuck handler): close it without unload handlers


def _checkpoint(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    relative = f"checkpoints/{args['name']}-live.png"
    target = ctx.run_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    t_ms = ctx.recording.t_ms()
    hidden = masked_screenshot(ctx.live_page(), target, hidden_values(ctx.timeline.typed, ctx.values))
    ctx.timeline.checkpoints.append(Checkpoint(args["name"], t_ms, relative, hidden))


def _expect(ctx: StepContext, step: Step, args: dict[str, Any]) -> None:
    page = ctx.live_page()
    locator = page.locator(args["selector"]).first if "selector" in args else page.get_by_text(args["text"]).first
    try:
        expect(locator).to_be_visible(timeout=STEP_TIMEOUT_MS)
    except AssertionError:
        what = args.get("selector") or f"text {args['text']!r}"
        raise StepError(f"expected {what} to be visible on {page.url}") from None


STEPS: dict[str, StepType] = {
    "goto": StepType(StepSchema({"url": "url"}, ("url",), short="url"), _goto),
    "click": StepType(
        StepSchema({"selector": "string", "button": "button", "position": "point"}, ("selector",), short="selector"),
        _click,
    ),
    "dblclick": StepType(StepSchema({"selector": "string"}, ("selector",), short="selector"), _dblclick),
    "hover": StepType(StepSchema({"selector": "string"}, ("selector",), short="selector"), _hover),
    "move": StepType(StepSchema({"path": "path", "steps": "count"}, ("path",)), _move),
    "type": StepType(StepSchema({"selector": "string", "text": "string", "delay": "ms"}, ("selector", "text")), _type),
    "fill": StepType(StepSchema({"selector": "string", "value": "string"}, ("selector", "value")), _fill),
    "press": StepType(StepSchema({"selector": "string", "key": "string"}, ("key",), short="key"), _press),
    "select": StepType(StepSchema({"selector": "string", "value": "string"}, ("selector", "value")), _select),
    "check": StepType(StepSchema({"selector": "string", "checked": "bool"}, ("selector",), short="selector"), _check),
    "scroll": StepType(StepSchema({"x": "px", "y": "px", "selector": "string"}, one_of=("x", "y")), _scroll),
    "submit": StepType(StepSchema({"selector": "string"}, ("selector",), short="selector"), _submit),
    "wait": StepType(
        StepSchema({"ms": "ms", "selector": "string"}, short="ms", short_types=("ms",), one_of=("ms", "selector")),
        _wait,
    ),
    "optout": StepType(StepSchema({"selector": "string"}, empty_ok=True), _optout),
    "reload": StepType(StepSchema({}, empty_ok=True), _reload),
    "back": StepType(StepSchema({}, empty_ok=True), _back),
    "leave": StepType(
        StepSchema({"url": "url", "close": "bool"}, short="mode", short_types=("close",), one_of=("url", "close")),
        _leave,
    ),
    "checkpoint": StepType(StepSchema({"name": "name"}, ("name",), short="name"), _checkpoint),
    "expect": StepType(
        StepSchema({"selector": "string", "text": "string"}, short="selector", one_of=("selector", "text")), _expect
    ),
}


def _waiting_for(ctx: StepContext, args: dict[str, Any]) -> str:
    """What a timed-out step waited for, and on which page (its URL without query or fragment: they may carry a
    typed value)."""
    selector = args.get("selector")
    page = ""
    if ctx.page is not None and not ctx.page.is_closed():
        url = urlsplit(ctx.page.url)
        page = f" on {urlunsplit((url.scheme, url.netloc, url.path, '', ''))}"
    return (f" waiting for {selector!r}" if isinstance(selector, str) else "") + page


def run_step(ctx: StepContext, step: Step) -> None:
    """Carry out one step; failures become :class:`StepError` naming the step and its line."""
    args = {k: substitute(v, ctx.values) if isinstance(v, str) else v for k, v in step.args.items()}
    where = f"{step.location.file}:{step.location.line}: {step.describe()}"
    try:
        STEPS[step.kind].execute(ctx, step, args)
    except StepError as error:
        raise StepError(f"{where}: {error}") from None
    except PlaywrightTimeout as error:
        first = str(error).splitlines()[0]
        raise StepError(f"{where}: timed out{_waiting_for(ctx, args)} ({first})") from None
    except PlaywrightError as error:
        first = str(error).splitlines()[0]
        raise StepError(f"{where}: {first}") from None
