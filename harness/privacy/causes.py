"""What caused each navigation: the site's own page loads and forms' submissions, told apart from the rest by cause,
never by order.

- A **page load** is a top-level document request the harness started (the start, ``goto``, ``reload``, ``back``,
  ``leave`` to a URL) or the user did (a click on a link to that URL).
- A form's **own submission** is the navigation its submit started: the form's method and action (for ``GET``,
  the action without its query, which the browser replaces with the form's fields), in its frame or the one it
  targets, after the submit event.
- A redirect inherits the cause of the request it answered (a login's ``POST`` → ``303`` → ``GET /account``).

Everything else (a frame navigated by script, a page a script sent elsewhere) has no such cause: the rules scan it
like any tracker request. The bytes are the capture's (:class:`CapturedRequest`); the browser's navigation events
(:class:`Navigation`) say which request was a navigation of which frame, matched by method, URL and time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from harness.capture.proxy import CapturedRequest
from harness.run.timeline import LinkClick, Navigation, Submit

Cause = Literal["harness", "link", "submit"]
CAUSE_WINDOW_MS = 10_000  # a link's or a form's navigation follows its click or submit event within this
EARLY_MS = 5  # a page stamps its own events; the browser's report of the request may come a little earlier
_MATCH_MS = 5_000  # the proxy and the browser's event see one request at nearly the same moment


@dataclass(frozen=True)
class Caused:
    """A navigation with a cause: ``submit`` holds the submit event whose form's navigation it is."""

    navigation: Navigation
    cause: Cause
    submit: Submit | None = None


def _bare(url: str) -> str:
    return url.split("#", 1)[0]


def _submitted_to(submit: Submit, navigation: Navigation) -> bool:
    """Whether ``navigation`` is where ``submit``'s form goes: its method, its action (a GET's query aside), after it.
    (A form in a frame navigates that frame, or the one it targets: which frame it was is not checked.)"""
    if not submit.action or navigation.method != submit.method:
        return False
    if not submit.t_ms - EARLY_MS <= navigation.t_ms <= submit.t_ms + CAUSE_WINDOW_MS:
        return False
    action, url = _bare(submit.action), _bare(navigation.url)
    if submit.method == "GET":
        return url.split("?", 1)[0] == action.split("?", 1)[0]
    return url == action


def _followed(link: LinkClick, navigation: Navigation) -> bool:
    return (navigation.main_frame and navigation.method == "GET" and _bare(navigation.url) == _bare(link.url)
            and link.t_ms - EARLY_MS <= navigation.t_ms <= link.t_ms + CAUSE_WINDOW_MS)


def navigation_causes(
    navigations: Sequence[Navigation], submits: Sequence[Submit], links: Sequence[LinkClick]
) -> list[Caused]:
    """The navigations the harness, the user or a form's submit caused, each submit and link click used once."""
    seen: list[tuple[Navigation, Caused | None]] = []
    used_submits: set[int] = set()
    used_links: set[int] = set()
    for navigation in sorted(navigations, key=lambda n: n.t_ms):
        found: Caused | None = None
        if navigation.redirected_from:
            origin = next((c for n, c in reversed(seen) if n.url == navigation.redirected_from
                           and n.main_frame == navigation.main_frame), None)
            if origin is not None:
                found = Caused(navigation, origin.cause, origin.submit)
        elif navigation.by_harness:
            found = Caused(navigation, "harness")
        else:
            submit = next((s for s in submits if id(s) not in used_submits and _submitted_to(s, navigation)), None)
            link = next((k for k in links if id(k) not in used_links and _followed(k, navigation)), None)
            if submit is not None:
                used_submits.add(id(submit))
                found = Caused(navigation, "submit", submit)
            elif link is not None:
                used_links.add(id(link))
                found = Caused(navigation, "link")
        seen.append((navigation, found))
    return [c for _, c in seen if c is not None]


def captured_navigations(
    requests: Sequence[CapturedRequest], caused: Sequence[Caused]
) -> dict[int, Caused]:
    """The captured request (by ``id``) of each caused navigation: the same method and URL, nearest in time."""
    matched: dict[int, Caused] = {}
    documents = [r for r in requests if r.channel == "document"]
    for entry in caused:
        navigation = entry.navigation
        candidates = [r for r in documents if id(r) not in matched and r.method == navigation.method
                      and _bare(r.url) == _bare(navigation.url) and abs(r.t_ms - navigation.t_ms) <= _MATCH_MS]
        if candidates:
            nearest = min(candidates, key=lambda r: abs(r.t_ms - navigation.t_ms))
            matched[id(nearest)] = entry
    return matched
