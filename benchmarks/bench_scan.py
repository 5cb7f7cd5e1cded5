"""Benchmark ``telltale scan`` on the bundled demo site: pages and forms per minute, crawl and whole scan.

    .venv/bin/python benchmarks/bench_scan.py [--pages 20] [--depth 2] [--rounds 3] [--browser chromium] [--full]

The crawl (load each same-site page in a real browser through the capturing proxy, read its forms in every frame
and shadow root) is timed alone, best of --rounds (other processes on the machine skew single rounds). With
--full, one whole ``telltale scan`` (crawl, scenario files, one abandon run per form with our snippet, report) is
timed as well, with an observation window of 0 s, so the figure is the harness's own pace and not the window's.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.capture.proxy import CaptureProxy
from harness.capture.routing import Routing
from harness.capture.site import Site
from harness.cli import main
from harness.pipeline import CA_DIR
from harness.run.browsers import BROWSER_NAMES, BrowserName
from harness.scan.crawl import crawl

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"
START = "https://shop.test/index.html"


def per_minute(count: int, seconds: float) -> float:
    return 60.0 * count / seconds if seconds > 0 else float("inf")


def bench_crawl(browser: BrowserName, pages: int, depth: int, rounds: int) -> None:
    proxy = CaptureProxy.shared(CA_DIR)
    routing = Routing(Site(SITE)).including([START])
    best: tuple[float, int, int] | None = None
    for _ in range(rounds):
        started = time.perf_counter()
        found = crawl(START, routing, browser, pages, depth, proxy)
        took = time.perf_counter() - started
        forms = sum(len(page.forms) for page in found.pages)
        if best is None or took < best[0]:
            best = (took, len(found.pages), forms)
    assert best is not None
    took, loaded, forms = best
    print(f"crawl ({browser}, best of {rounds}): {loaded} pages, {forms} forms in {took:.1f} s "
          f"(browser launch included): {per_minute(loaded, took):.0f} pages/min, {per_minute(forms, took):.0f} forms/min")


def bench_full(browser: BrowserName, pages: int, depth: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out, err = io.StringIO(), io.StringIO()
        started = time.perf_counter()
        main(["scan", START, "--pages", str(pages), "--depth", str(depth), "--site", str(SITE), "--browser", browser,
              "--observation-window", "0", "--report", str(Path(folder) / "report")], out, err)
        took = time.perf_counter() - started
        lines = out.getvalue().splitlines()
        loaded = sum(line.startswith("page ") for line in lines)
        forms = sum(line.startswith("  form ") or line.startswith("  stand-alone") for line in lines)
        runs = sum(line.startswith("[") for line in lines)
    print(f"whole scan ({browser}, window 0 s): {loaded} pages, {forms} forms, {runs} runs in {took:.1f} s: "
          f"{per_minute(loaded, took):.1f} pages/min, {per_minute(forms, took):.1f} forms/min, "
          f"{per_minute(runs, took):.1f} runs/min")


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--browser", choices=BROWSER_NAMES, default="chromium")
    parser.add_argument("--full", action="store_true", help="also time one whole scan, runs and report included")
    args = parser.parse_args()
    bench_crawl(args.browser, args.pages, args.depth, args.rounds)
    if args.full:
        bench_full(args.browser, args.pages, args.depth)


if __name__ == "__main__":
    main_bench()
