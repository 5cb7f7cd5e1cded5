"""The harness's scripts (the probe, the snippet under test) run in every document of every frame, before the page's
own scripts where the browser allows it.

Chromium runs init scripts in each new document. Firefox over WebDriver BiDi runs them when a window is created,
and an iframe's first navigation (from its initial ``about:blank`` to a same-origin page) keeps that window for the
new document (as the HTML standard says): the scripts ran in the ``about:blank`` document only, so a snippet
listened to a document that was gone and sent nothing from the frame, and its globals stayed behind in the window.
There, init scripts skip a frame's initial ``about:blank`` document, and once the frame has navigated the harness
runs them in its new document itself (after the frame's own inline scripts, the earliest Playwright tells of it).
A frame that stays ``about:blank`` (written by script) then gets no scripts in Firefox; the snippet's parent still
records a same-origin frame.
"""

from __future__ import annotations

from collections.abc import Sequence

from playwright.sync_api import BrowserContext, Frame, Page
from playwright.sync_api import Error as PlaywrightError

# Browsers whose init scripts miss an iframe's document that replaced its initial about:blank in the same window.
REUSED_FRAME_WINDOWS: frozenset[str] = frozenset({"firefox"})

# Each script notes, on the document it ran in, that it ran; in a frame's initial about:blank it waits (see above).
_MARK = "Object.defineProperty(document, '__telltaleInjected', {value: true, configurable: true});\n"
_WAITING = "window !== window.top && document.URL === 'about:blank'"  # (location.href is '' there, early)
_RUN_LATE = "(source) => { (0, eval)(source); }"  # indirect: the script's declarations are the frame's globals


def _waiting_in_blank_frames(script: str) -> str:
    # An if-block, not a function: the script's top-level var and function declarations stay globals.
    return f"if (!({_WAITING})) {{\n{_MARK}{script}\n}}\n"


def add_init_scripts(context: BrowserContext, scripts: Sequence[str], blank_frames_too: int = 0) -> None:
    """Run ``scripts``, in order, in every document of every frame of ``context``'s pages.

    The first ``blank_frames_too`` of them also run in a frame's initial about:blank document in Firefox: the
    probe, whose timer records must cover the sandbox frames rrweb and Sentry take pristine timers from (unrecorded
    there, Sentry's replay never flushed in Firefox). Its state lives on the window, which the frame's next document
    keeps, and it installs itself once per window."""
    browser = context.browser
    if browser is None or browser.browser_type.name not in REUSED_FRAME_WINDOWS:
        for script in scripts:
            context.add_init_script(script)
        return
    for index, script in enumerate(scripts):
        context.add_init_script(script if index < blank_frames_too else _waiting_in_blank_frames(script))

    def run_late(frame: Frame) -> None:
        if frame.parent_frame is None:
            return
        try:
            if frame.evaluate(f"() => !document.__telltaleInjected && !({_WAITING})"):
                for script in scripts:
                    frame.evaluate(_RUN_LATE, _MARK + script)
        except PlaywrightError:
            pass  # the frame went meanwhile (navigated again, or removed): its next document gets them anyway

    def watch(page: Page) -> None:
        page.on("framenavigated", run_late)

    for page in context.pages:
        watch(page)
    context.on("page", watch)
