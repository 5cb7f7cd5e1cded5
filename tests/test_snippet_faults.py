"""The shipped snippet against a collector that fails (tests/fault_collector.py): 5xx answers, posts held past the
snippet's timeout, connections reset, the browser offline for a while, the collector down for a long burst. In the
end every batch reaches the collector (each sequence number, never two contents under one), every event once after
dedupe by (sid, seq), the snippet's memory stays bounded (a cap, and a counted drop), and the page sees nothing.

The browser itself logs a failed request in the console ("Failed to load resource: ..."): that line is the
browser's, not the snippet's, and is let through (``browser_says``); any other console output fails the test."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fault_collector import FaultCollector
from playwright.sync_api import Browser
from snippet_support import Shop, any_browser, text_of  # noqa: F401

from harness.replay.events import Batch

TIMEOUT_MS = 1000  # the snippet's bound on one post, here
BROWSER_SAYS = ("Failed to load resource",)  # Chromium, on a post answered 5xx or reset
MARK = re.compile(r"mark-(\d+)")

# Rejections nobody handled (the snippet's promises among them), counted by the page.
REJECTIONS = "window.addEventListener('unhandledrejection', e => { window.__rejections = (window.__rejections || 0) + 1; });"
ADD_MARK = """n => { const li = document.createElement('li'); li.textContent = 'mark-' + n; document.body.appendChild(li); }"""


def fault_shop(browser: Browser, collector: FaultCollector, **config: Any) -> Shop:
    """A shop whose snippet posts to ``collector``, with a short post timeout."""
    settings = {"flushInterval": 200, "timeout": TIMEOUT_MS, "debug": True, "endpoint": collector.endpoint, **config}
    return Shop(browser, config=settings, browser_says=BROWSER_SAYS, origin=collector.origin, before=(REJECTIONS,))


def add_marks(shop: Shop, numbers: range, pause_ms: int = 100) -> None:
    """The page adds one <li>mark-n</li> per number: one recorded change each, to count at the collector."""
    for n in numbers:
        shop.page.evaluate(ADD_MARK, n)
        shop.page.wait_for_timeout(pause_ms)


def marks_in(batches: list[Batch]) -> list[int]:
    """The mark numbers the batches' mutation events carry, with repeats."""
    return [int(m) for b in batches for e in b.events if e.type == "mutation"
            for add in e.get("adds", []) for m in MARK.findall(text_of(add["node"]))]


def wait_delivered(shop: Shop, collector: FaultCollector, marks: range, timeout: float = 30.0) -> None:
    """Until the collector holds every sequence number the snippet used and every mark."""
    def done() -> bool:
        used = {b.seq for b in shop.batches(retries=True)}
        return bool(used) and set(collector.seqs()) >= used and set(marks_in(collector.taken())) >= set(marks)

    shop.wait_for(done, timeout=timeout, what="every batch at the collector")


def assert_exactly_once(shop: Shop, collector: FaultCollector, marks: range) -> None:
    """Every seq 1..N received (no gap), one content per seq (taken() checks), every mark once after dedupe."""
    assert collector.problems == []
    assert shop.page.evaluate("() => window.__rejections || 0") == 0
    seqs = collector.seqs()
    assert seqs == list(range(1, seqs[-1] + 1)), f"gaps in {seqs}"
    assert seqs[-1] == max(b.seq for b in shop.batches(retries=True))
    delivered = marks_in(collector.taken())
    assert sorted(delivered) == list(marks), f"marks delivered: {sorted(delivered)}"


FAULTS: dict[str, Callable[[FaultCollector], None]] = {
    "500 then recovery": lambda c: c.answer(500, times=3),
    "503 then recovery": lambda c: c.answer(503, times=2),
    "held past the timeout": lambda c: c.stall(TIMEOUT_MS / 1000 * 2.5, times=2),
    "connection reset": lambda c: c.reset(times=3),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_batch_arrives_exactly_once_through_faults(any_browser: Browser, fault: str) -> None:  # noqa: F811
    with FaultCollector() as collector, fault_shop(any_browser, collector) as shop:
        FAULTS[fault](collector)  # the first posts (the snapshot's among them) meet the fault
        shop.open("/")
        add_marks(shop, range(1, 13))
        wait_delivered(shop, collector, range(1, 13))
        assert_exactly_once(shop, collector, range(1, 13))
        met = [r for r in collector.received if r.answer != "204"]
        assert met and collector.repeats() >= 1  # the fault happened, and a failed batch came again with its seq


def test_offline_for_a_while_then_online(any_browser: Browser) -> None:  # noqa: F811
    with FaultCollector() as collector, fault_shop(any_browser, collector) as shop:
        shop.open("/")
        add_marks(shop, range(1, 4))
        shop.wait_for(lambda: set(marks_in(collector.taken())) >= {1, 2, 3}, what="the marks before going offline")
        shop.context.set_offline(True)
        before = len(collector.received)
        add_marks(shop, range(4, 16), pause_ms=150)  # ~2 s offline: several flushes
        arrived_offline = len(collector.received) - before
        shop.context.set_offline(False)
        add_marks(shop, range(16, 19))
        wait_delivered(shop, collector, range(1, 19))
        assert_exactly_once(shop, collector, range(1, 19))
        assert arrived_offline <= 1  # offline means offline (one post may have been on its way)


def test_collector_down_for_a_long_burst_keeps_memory_bounded(any_browser: Browser) -> None:  # noqa: F811
    # While 3 batches wait, the snippet makes no more: events stay in its buffer (50 at most), which drops and counts.
    # Without the cap, a batch would wait per flush (some 15 here), and without end while the collector stays down.
    with FaultCollector() as collector, fault_shop(any_browser, collector, maxEvents=50, maxPending=3) as shop:
        shop.open("/")
        shop.wait_for(lambda: collector.seqs() == [1], what="the snapshot")
        with collector.down():
            for _ in range(20):  # 2,000 clicks over ~3 s: 2,000 events
                shop.page.evaluate("() => { for (let n = 0; n < 100; n++) document.body.click(); }")
                shop.page.wait_for_timeout(150)
            made_while_down = max(b.seq for b in shop.batches(retries=True))
        # Back up: the waiting batches go at their next retry, then the buffer with the count of what it dropped:
        # every click delivered or counted.
        def accounted() -> int:
            taken = collector.taken()
            return sum(1 for b in taken for e in b.events if e.type == "click") + sum(b.dropped for b in taken)

        shop.wait_for(lambda: accounted() == 2000, timeout=30, what="every click delivered or counted as dropped")
        add_marks(shop, range(1, 4))
        wait_delivered(shop, collector, range(1, 4))
        assert_exactly_once(shop, collector, range(1, 4))
        assert made_while_down - 1 <= 3  # at most maxPending batches waited
        taken = collector.taken()
        assert all(len(b.events) <= 50 for b in taken)  # each batch at most maxEvents events
        assert sum(b.dropped for b in taken) > 0
