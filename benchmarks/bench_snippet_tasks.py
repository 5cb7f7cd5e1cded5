"""Long tasks of the shipped snippet on hostile pages, in Chromium and Firefox (a benchmark, not a test: a busy
machine stretches any one task, so the 50 ms target is printed as a ratio, never asserted in the suite).

    .venv/bin/python benchmarks/bench_snippet_tasks.py [--runs 3]

Per browser, the medians over ``--runs`` visits of:

* the longest snippet callback while a 50,000-node page loads (the first snapshot, taken in 20 ms slices);
* the longest snippet callback while that page then changes 50 rows (mutations and flushes);
* the snippet's busiest share of one page task during 10,000 pointer moves a second.

Each is printed against the 50 ms long-task threshold (ratio < 1: no long task). The snippet's callbacks are timed
by tests/snippet_clock.py, in both browsers (Firefox reports no long tasks of its own).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import snippet_clock  # noqa: E402
from snippet_support import LAUNCHERS, Shop  # noqa: E402

LONG_TASK_MS = 50.0
CLOCKED = {"before": (snippet_clock.BEFORE,), "after": (snippet_clock.AFTER,)}


def snapshot_and_changes(browser: Browser) -> tuple[float, float]:
    with Shop(browser, **CLOCKED) as shop:
        page = shop.open("/big.html")
        at_load = page.evaluate(snippet_clock.SPANS)
        page.evaluate("() => document.getElementById('go').click()")
        shop.wait_for(lambda: any("changed-49" in str(e.data) for e in shop.events("mutation")), timeout=30,
                      what="the changes recorded")
        after = page.evaluate(snippet_clock.SPANS)[len(at_load):]
        return snippet_clock.summary(at_load)["longest_ms"], snippet_clock.summary(after)["longest_ms"]


def pointer_storm(browser: Browser) -> float:
    with Shop(browser, **CLOCKED) as shop:
        page = shop.open("/pointer.html")
        page.evaluate("() => window.storm(1000)")
        shop.settle(600)
        return snippet_clock.busiest(page.evaluate(snippet_clock.SPANS), page.evaluate("() => window.bursts"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--browser", action="append", dest="browsers")
    args = parser.parse_args()
    print(f"{'browser':9} {'measure':44} {'median ms':>9} {'worst ms':>9} {'/ 50 ms':>8}")
    with sync_playwright() as playwright:
        for name in args.browsers or ["chromium", "firefox"]:
            browser = LAUNCHERS[name](playwright)
            try:
                rows: dict[str, list[float]] = {"snapshot of 50,000 nodes (longest callback)": [],
                                                "50 rows changed after load (longest callback)": [],
                                                "10,000 moves/s (busiest share of a page task)": []}
                for _ in range(args.runs):
                    snapshot, changes = snapshot_and_changes(browser)
                    rows["snapshot of 50,000 nodes (longest callback)"].append(snapshot)
                    rows["50 rows changed after load (longest callback)"].append(changes)
                    rows["10,000 moves/s (busiest share of a page task)"].append(pointer_storm(browser))
            finally:
                browser.close()
            for measure, values in rows.items():
                median = statistics.median(values)
                print(f"{name:9} {measure:44} {median:9.1f} {max(values):9.1f} {median / LONG_TASK_MS:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
