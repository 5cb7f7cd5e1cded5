"""The shipped snippet never breaks the page: hostile globals, throwing DOM, no console output, one global, loaded
twice, and its size budget."""

from __future__ import annotations

import gzip

from playwright.sync_api import Browser
from snippet_support import Shop, any_browser, chromium  # noqa: F401

from harness.resources import SHIPPED_SNIPPET

GLOBALS = "() => Object.getOwnPropertyNames(window)"


def test_page_that_replaces_fetch_json_and_friends_still_works_and_is_recorded(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        page = shop.open("/hostile.html")
        page.click("#go")
        shop.wait_for(lambda: "hostile-added" in shop.wire_text(), what="the hostile page's mutation")
        shop.leave()
        assert shop.errors == []
        assert [e.type for e in shop.events("snapshot")] == ["snapshot", "snapshot"]  # hostile page, then thanks
        assert all(b.v == 2 for b in shop.batches())  # every batch decoded and passed the schema


def test_page_code_keeps_working_on_the_hostile_page(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        page = shop.open("/hostile.html")
        page.click("#go")
        assert page.evaluate("() => [window.hostileOk, window.pushed, JSON.stringify({})]") == [True, True, '"page replaced JSON.stringify"']
        assert shop.errors == []


def test_callbacks_that_throw_are_swallowed(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        page = shop.open("/guarded.html")
        page.evaluate("() => { document.getElementById('trap').click(); document.getElementById('trap').focus(); }")
        page.click("#fine")
        shop.wait_for(lambda: "fine-clicked" in shop.wire_text(), what="recording to go on after the trap")
        assert page.evaluate("() => [window.trapClicked, window.fineClicked]") == [True, True]
        assert page.evaluate("() => telltale._errors()") > 0  # it did throw, inside the snippet
        assert shop.errors == [] and shop.console == []


def test_no_console_output_through_a_whole_visit(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        page = shop.open("/")
        page.click("#add")
        page.click("#change-account")
        page.click("#plain")
        page.wait_for_load_state()
        page.fill("#email", "someone@example.com")
        page.fill("#password", "secret")
        page.click("#pay")
        page.wait_for_load_state()
        for path in ("/frames.html", "/spa.html", "/hostile.html"):
            shop.open(path)
            page.mouse.move(50, 50)
            page.evaluate("() => telltale.optOut()")
            page.evaluate("() => telltale.optIn()")
        shop.settle(300)
        assert shop.console == [] and shop.errors == []


def test_exactly_one_global(chromium: Browser) -> None:  # noqa: F811
    with Shop(chromium, snippet=False, tap=False, config=None) as bare, Shop(chromium, tap=False, config=None) as tracked:
        bare.page.goto("https://shop.test/form.html")
        tracked.page.goto("https://shop.test/form.html")
        tracked.page.wait_for_timeout(200)
        added = set(tracked.page.evaluate(GLOBALS)) - set(bare.page.evaluate(GLOBALS))
        assert added == {"telltale"}


def test_loaded_twice_records_once(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:  # the init script, and the page's own <script src=/telltale.js>
        page = shop.open("/tag.html")
        page.click("#b")
        shop.wait_event("click")
        shop.settle(300)
        assert len(shop.snapshots()) == 1
        assert {s.url.split("?")[0] for s in shop.sent} == {"https://shop.test/telltale/collect"}


def test_shipped_file_is_at_most_10_kb_gzipped() -> None:
    size = len(gzip.compress(SHIPPED_SNIPPET.read_bytes(), 9))
    assert size <= 10 * 1024, f"{SHIPPED_SNIPPET.name} is {size} bytes gzipped"
