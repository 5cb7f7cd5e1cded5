"""How the shipped snippet sends: gzip on the wire, plain JSON by beacon at exit, sequence numbers, the bounded buffer,
retries, endpoints. Wire-level checks need request bodies, which only Chromium gives routes; the rest run in both."""

from __future__ import annotations

import gzip
import json
import time

from playwright.sync_api import Browser
from snippet_support import ORIGIN, Routed, Shop, any_browser, chromium  # noqa: F401

from harness.replay.events import decode_batch


def test_interval_batches_are_gzip_on_the_wire_without_cookies(chromium: Browser) -> None:  # noqa: F811
    with Shop(chromium) as shop:
        shop.context.add_cookies([{"name": "site_session", "value": "cookie-canary", "url": ORIGIN}])
        page = shop.open("/")
        page.click("#add")
        shop.wait_for(lambda: len(shop.routed) >= 2)
        for request in shop.routed:
            assert request.method == "POST" and request.url == f"{ORIGIN}/telltale/collect?z=gzip"
            assert request.headers["content-type"] == "application/octet-stream"
            assert "cookie" not in request.headers  # the collector needs no cookie: credentials omitted
            assert request.body is not None and request.body[:2] == b"\x1f\x8b"
            assert json.loads(gzip.decompress(request.body))["v"] == 2
        on_wire = [dict(decode_batch(r.body or b"", r.url).raw) for r in shop.routed]
        assert on_wire == [dict(b.raw) for b in shop.batches()[: len(on_wire)]]


def test_without_compression_stream_batches_are_plain_json(chromium: Browser) -> None:  # noqa: F811
    with Shop(chromium, before=("delete window.CompressionStream;",)) as shop:
        shop.open("/")
        # The page handed the batch over (open waits for that); the route's callback reaches Python after it.
        shop.wait_for(lambda: shop.routed, what="the batch at the collector route")
        request = shop.routed[0]
        assert request.url == f"{ORIGIN}/telltale/collect" and request.headers["content-type"].startswith("text/plain")
        assert request.body is not None and json.loads(request.body)["seq"] == 1


def test_sequence_numbers_run_across_the_pages_of_a_tab_session(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        page = shop.open("/")
        page.click("#add")
        page.wait_for_timeout(300)
        page.click("#plain")  # to /form.html
        shop.wait_for(lambda: len({b.page for b in shop.batches()}) == 2)
        page.click("#email")
        shop.leave()
        batches = shop.batches(retries=True)
        assert {b.sid for b in batches} == {batches[0].sid}
        assert len({b.page for b in batches}) == 3
        assert sorted({b.seq for b in batches}) == list(range(1, max(b.seq for b in batches) + 1))  # no gap
        exits = [s for s in shop.sent if s.via == "beacon"]
        assert exits and not any(s.batch().compressed for s in exits)  # the exit flush is synchronous, plain JSON


HIDE = """() => { Object.defineProperty(document, 'visibilityState', {get: () => 'hidden', configurable: true});
  document.dispatchEvent(new Event('visibilitychange')); }"""


def test_a_hidden_page_sends_compressed_by_fetch(any_browser: Browser) -> None:  # noqa: F811
    # Another tab took the screen: the page lives on, so its batch need not be a plain beacon (pagehide's is).
    with Shop(any_browser, config={"flushInterval": 60_000, "debug": True}) as shop:
        page = shop.open("/")
        page.click("#add")
        page.evaluate(HIDE)
        shop.wait_event("visibility")
        (hidden,) = [s for s in shop.sent if any(e.type == "visibility" for e in s.batch().events)]
        assert hidden.via == "fetch" and hidden.batch().compressed
        assert {"click", "mutation", "visibility"} <= {e.type for e in hidden.batch().events}


def test_a_new_tab_gets_a_new_session(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        shop.open("/")
        shop.page = shop.new_page()
        shop.open("/thanks.html")  # the tap's record is in localStorage, shared by the tabs
        first, second = ({b.sid: b for b in shop.batches() if str(b.events[0].get("url", "")).endswith(path)} for path in ("/", "/thanks.html"))
        assert first.keys() != second.keys() and [b.seq for b in second.values()] == [1]


def test_bounded_buffer_drops_pointer_moves_first_and_counts(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser, config={"flushInterval": 2500, "maxEvents": 4, "debug": True}) as shop:
        page = shop.open("/")
        page.mouse.move(5, 5)
        page.mouse.move(40, 40)
        page.wait_for_timeout(120)  # one sampled move event in the buffer
        for _ in range(5):
            page.click("#hello")
        shop.wait_for(lambda: len(shop.batches()) >= 2, timeout=6)
        batch = shop.batches()[1]
        # Each click's pointer move was dropped to make room, then the fifth click found the buffer full of clicks.
        assert [e.type for e in batch.events] == ["click"] * 4
        assert batch.dropped >= 2


def test_failed_posts_are_retried_with_the_same_sequence_number(chromium: Browser) -> None:  # noqa: F811
    failures = {"left": 1}

    def status(request: Routed) -> int:
        if failures["left"] and request.body and json.loads(gzip.decompress(request.body))["seq"] == 2:
            failures["left"] -= 1
            return 503
        return 204

    with Shop(chromium, collector_status=status, browser_says=("status of 503",)) as shop:
        page = shop.open("/")
        page.click("#add")
        started = time.monotonic()
        shop.wait_for(lambda: sum(1 for r in shop.routed if r.body and json.loads(gzip.decompress(r.body))["seq"] == 2) == 2, timeout=8)
        assert time.monotonic() - started >= 1.5  # backoff, not a hot loop
        twice = [json.loads(gzip.decompress(r.body or b"")) for r in shop.routed]
        twice = [b for b in twice if b["seq"] == 2]
        assert twice[0] == twice[1]


def test_endpoint_from_config(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser, config={"flushInterval": 200, "endpoint": "https://collector.test/in/collect?k=1"}) as shop:
        shop.context.route("https://collector.test/**", lambda r: r.fulfill(status=204, headers={"access-control-allow-origin": "*"}))
        shop.open("/")
        assert {s.url.split("?")[0] for s in shop.sent} == {"https://collector.test/in/collect"}
        assert all(s.url.endswith("?k=1&z=gzip") for s in shop.sent if s.batch().compressed)


def test_script_tag_with_data_endpoint(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser, snippet=False, config={"flushInterval": 200}) as shop:
        page = shop.open("/tag.html")
        page.click("#b")
        shop.wait_event("click")
        assert {s.url.split("?")[0] for s in shop.sent} == {f"{ORIGIN}/custom/collect"}
