"""Same-site link discovery in the real browser, through the capturing proxy (the routing ``run`` uses).

Breadth first from the start URL, bounded by a number of pages and a link depth. Links that look like signing out
(or deleting something) are never followed, nor links to files that are not HTML; a page is kept only when it
answers with HTML. Each page's forms are read as it loads (:mod:`harness.scan.fields`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urldefrag, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from harness.capture.proxy import CaptureProxy
from harness.capture.routing import Routing
from harness.errors import EnvironmentProblem
from harness.run.browsers import BrowserName
from harness.run.runner import Worker, new_tracked_context
from harness.run.timeline import Timeline
from harness.scan.fields import Form, forms_of

# A link whose URL or text says this ends the session or destroys something: following it would change the site.
LOGOUT_LIKE: Final = re.compile(r"log[-_ ]?out|sign[-_ ]?out|logoff|delete|unsubscribe|deactivate|remove[-_ ]account",
                                re.I)
NOT_HTML: Final = re.compile(r"\.(pdf|zip|gz|tar|png|jpe?g|gif|svg|webp|ico|mp[34]|webm|mov|avi|css|js|json|xml|"
                             r"txt|csv|docx?|xlsx?|pptx?|woff2?|ttf|dmg|exe)$", re.I)
_LINKS_JS: Final = ("() => Array.from(document.querySelectorAll('a[href]'), "
                    "(a) => [a.href, (a.textContent || '').trim().slice(0, 60)])")
CRAWL_VIEWPORT: Final = (1280, 800)
LOAD_TIMEOUT_MS: Final = 30_000


@dataclass(frozen=True)
class PageFound:
    """A page the crawl loaded: where, how many links from the start, its forms and what could not be read."""

    url: str
    depth: int
    forms: tuple[Form, ...]
    problems: tuple[str, ...] = ()


@dataclass
class CrawlResult:
    pages: list[PageFound] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # links not followed, with why


def same_site(url: str, start: str) -> bool:
    a, b = urlsplit(url), urlsplit(start)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _why_not_follow(url: str, text: str, start: str) -> str:
    """Why a link is not followed, or "" when it is."""
    if not same_site(url, start):
        return ""  # another site: silently out of scope
    if LOGOUT_LIKE.search(url) or LOGOUT_LIKE.search(text):
        return f"{url}: not followed: looks like signing out or deleting"
    if NOT_HTML.search(urlsplit(url).path):
        return f"{url}: not followed: not an HTML page"
    return ""


def _is_html(page: Page, url: str) -> tuple[bool, str]:
    response = page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
    if response is None:
        return True, ""
    kind = response.headers.get("content-type", "")
    if response.status >= 400:
        return False, f"{url}: answered {response.status}"
    if kind and "html" not in kind:
        return False, f"{url}: not HTML ({kind.split(';')[0]})"
    return True, ""


def crawl(start: str, routing: Routing, browser: BrowserName, pages: int, depth: int, proxy: CaptureProxy,
          progress: Callable[[PageFound], None] = lambda p: None) -> CrawlResult:
    """Load up to ``pages`` same-site pages, at most ``depth`` links from ``start``; an :class:`EnvironmentProblem`
    when the start page itself cannot be loaded.

    The browser is driven from a thread of its own, as the pipeline's workers are: Playwright's sync API cannot
    start in a thread whose event loop is already running (a pytest session with pytest-playwright's fixtures,
    an application embedding the harness)."""
    outcome: list[CrawlResult] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            outcome.append(_crawl(start, routing, browser, pages, depth, proxy, progress))
        except BaseException as error:  # handed to the caller's thread, raised there
            failure.append(error)

    thread = threading.Thread(target=work, name="telltale-crawl", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.2)  # in short waits, so Ctrl-C reaches this thread
    if failure:
        raise failure[0]
    return outcome[0]


def _crawl(start: str, routing: Routing, browser: BrowserName, pages: int, depth: int, proxy: CaptureProxy,
           progress: Callable[[PageFound], None]) -> CrawlResult:
    result = CrawlResult()
    tap = proxy.open_tap(routing)
    try:
        with Worker(browser, tap) as worker:
            assert worker.browser is not None
            tap.begin()
            context = new_tracked_context(worker.browser, tap, CRAWL_VIEWPORT, None, Timeline())
            try:
                page = context.new_page()
                first = urldefrag(start).url
                queue: list[tuple[str, int]] = [(first, 0)]
                seen = {queue[0][0]}
                while queue and len(result.pages) < pages:
                    url, level = queue.pop(0)
                    try:
                        ok, why = _is_html(page, url)
                    except PlaywrightError as error:
                        if url == first:
                            raise EnvironmentProblem(f"{start} cannot be loaded: {str(error).splitlines()[0]}") from None
                        result.skipped.append(f"{url}: cannot be loaded: {str(error).splitlines()[0]}")
                        continue
                    if not ok:
                        if url == first:
                            raise EnvironmentProblem(f"{start} cannot be scanned: {why.split(': ', 1)[1]}")
                        result.skipped.append(why)
                        continue
                    forms, problems = forms_of(page)
                    found = PageFound(page.url, level, tuple(forms), tuple(problems))
                    result.pages.append(found)
                    progress(found)
                    if level >= depth:
                        continue
                    for href, text in page.evaluate(_LINKS_JS):
                        link = urldefrag(str(href)).url
                        if link in seen or not same_site(link, start):
                            continue
                        seen.add(link)
                        why = _why_not_follow(link, str(text), start)
                        if why:
                            result.skipped.append(why)
                        else:
                            queue.append((link, level + 1))
            finally:
                context.close()
                tap.end()
    finally:
        proxy.close_tap(tap)
    return result


__all__ = ["LOGOUT_LIKE", "CrawlResult", "PageFound", "crawl", "same_site"]
