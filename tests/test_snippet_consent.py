"""Opt-out, Global Privacy Control and consent mode of the shipped snippet, in Chromium and Firefox."""

from __future__ import annotations

import time

from playwright.sync_api import Browser
from snippet_support import Shop, any_browser  # noqa: F401

YEAR = 365 * 24 * 3600


def test_opt_out_stops_everything_and_persists_in_a_cookie(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        page = shop.open("/")
        # A change in the buffer when the visitor opts out is dropped, not sent as a goodbye.
        page.evaluate("() => { document.getElementById('hello').textContent = 'opt-out-canary'; telltale.optOut(); }")
        count = len(shop.sent)
        assert page.evaluate("() => telltale.isOptedOut()") is True
        cookie = next(c for c in shop.context.cookies() if c["name"] == "telltale_optout")
        assert cookie["value"] == "1" and cookie["path"] == "/" and cookie["sameSite"] == "Lax"
        assert abs(cookie["expires"] - time.time() - YEAR) < 120  # max-age: one year
        page.click("#add")
        page.mouse.move(100, 100)
        page.mouse.wheel(0, 300)
        page.wait_for_timeout(500)
        shop.leave()  # a later page of the visit
        page.click("#thanks")
        page.wait_for_timeout(400)
        assert len(shop.sent) == count and "opt-out-canary" not in shop.wire_text()

        # A later visit: a new tab of the same browser profile.
        shop.page = shop.new_page()
        shop.page.goto("https://shop.test/form.html")
        shop.page.wait_for_timeout(400)
        assert len(shop.sent) == count
        assert shop.page.evaluate("() => telltale.isOptedOut()") is True

        shop.page.evaluate("() => telltale.optIn()")
        shop.wait_for(lambda: len(shop.snapshots()) == 2, what="recording to resume after optIn")
        assert not [c for c in shop.context.cookies() if c["name"] == "telltale_optout"]


def test_global_privacy_control_is_honoured(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser, gpc=True) as shop:
        page = shop.open("/")
        page.click("#add")
        page.evaluate("() => telltale.optIn()")  # GPC is the visitor's standing choice; it wins
        page.wait_for_timeout(500)
        assert page.evaluate("() => telltale.isOptedOut()") is True
        assert shop.sent == [] and [r for r in shop.routed] == []


def test_consent_mode_records_nothing_until_consent(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser, config={"flushInterval": 200, "consent": "required"}) as shop:
        page = shop.open("/")
        page.click("#add")
        page.wait_for_timeout(500)
        assert shop.sent == [] and page.evaluate("() => sessionStorage.length") == 0
        page.evaluate("() => telltale.consent()")
        shop.wait_for(lambda: shop.snapshots(), what="the snapshot after consent")
        snapshot_text = shop.wire_text()
        assert "item 2" in snapshot_text  # the snapshot is taken at consent, of the page as it is then
        shop.leave()
        assert len({b.page for b in shop.batches()}) == 1  # the next page waits for consent again


def test_consent_mode_from_the_script_tag(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser, snippet=False, config=None) as shop:
        page = shop.open("/tag-consent.html")
        page.wait_for_timeout(500)
        assert shop.sent == []
        page.evaluate("() => telltale.consent()")
        shop.wait_for(lambda: shop.snapshots(), what="the snapshot after consent")
