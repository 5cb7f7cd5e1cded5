"""Throughput: runs per minute with 1, 2 and 4 workers, and the harness's overhead against bare Playwright.

The flow is the bundled login scenario (scenarios/login_show_password.yaml): type an e-mail and a password, reveal
it, type more, tick a box, submit, expect the welcome page. It runs ``--runs`` times per worker count, side by side
in one process run:

- **harness**: ``telltale run`` over ``--runs`` copies of the scenario, ``-j W``, Chromium, our snippet, every check
  (capture at the wire, rules, replay frames, fidelity, report). Its observation window waits for the snippet's
  next flush after typing (the snippet flushes every 5 s), which a tracker-free flow never waits for, so the
  harness is also timed with ``--observation-window 0`` and with ``--no-snippet``.
- **bare**: Playwright alone doing the same steps with W threads, each its own browser: the demo site served on
  loopback, no proxy, no snippet, no checks.

The overhead is harness seconds per run over bare seconds per run at the same worker count. The machine is
shared and noisy: read the ratios, not the absolute figures.

    .venv/bin/python benchmarks/bench_throughput.py                 # --runs 8, workers 1 2 4
    .venv/bin/python benchmarks/bench_throughput.py --runs 4 --workers 1 2
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from harness.cli import main as telltale  # noqa: E402
from harness.run.browsers import find_browser, launch_options  # noqa: E402

SCENARIO = ROOT / "scenarios" / "login_show_password.yaml"
SITE = ROOT / "scenarios" / "site"


class _SiteHandler(SimpleHTTPRequestHandler):
    """The demo site as files; a form POST gets the page it posts to, as the harness's site answers it."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _bare_run(page_url: str, new_page: Callable[[], Page]) -> None:
    page = new_page()
    page.goto(f"{page_url}/login.html")
    page.click("#email")
    page.locator("#email").press_sequentially("ada.lovelace@example.com", delay=30)
    page.click("#password")
    page.locator("#password").press_sequentially("Correct-Horse-9", delay=30)
    page.click("#show-password")
    page.locator("#password").press("End")
    page.locator("#password").press_sequentially("battery staple", delay=30)
    page.check("#remember")
    page.click("#login-form button[type=submit]")
    page.get_by_text("Welcome back").first.wait_for()
    page.context.close()


def bare(runs: int, workers: int, base: str) -> float:
    """Seconds for ``runs`` bare-Playwright runs over ``workers`` threads, each with its own browser."""
    todo = list(range(runs))
    lock = threading.Lock()

    def work() -> None:
        with sync_playwright() as p:
            options = launch_options(find_browser(p, "chromium"), "127.0.0.1", 1)
            options.pop("proxy", None)  # no proxy: the bare flow goes straight to the site
            browser = p.chromium.launch(**options)
            while True:
                with lock:
                    if not todo:
                        break
                    todo.pop()
                _bare_run(base, lambda: browser.new_context().new_page())
            browser.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def harness(runs: int, workers: int, folder: Path, *extra: str) -> float:
    """Seconds for ``telltale run`` over ``runs`` copies of the scenario with ``-j workers``."""
    report = folder / f"report-{workers}-{len(extra)}"
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    status = telltale(["run", str(folder / "scenarios"), "--browser", "chromium", "-j", str(workers),
                       "--report", str(report), *extra], out, err)
    took = time.perf_counter() - start
    if status not in (0, 1):
        raise SystemExit(f"telltale run failed ({status}): {err.getvalue().strip()}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="runs per measurement (default 8)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts (default 1 2 4)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "scenarios").mkdir()
        shutil.copytree(SITE, folder / "scenarios" / "site")
        text = SCENARIO.read_text()
        for k in range(args.runs):
            (folder / "scenarios" / f"login_{k}.yaml").write_text(text.replace("name: ", f"name: Run {k} - ", 1))
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_SiteHandler, directory=str(SITE)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        print(f"{args.runs} runs of {SCENARIO.name} per measurement, Chromium")
        print(f"{'workers':>7}  {'bare run/min':>12}  {'harness run/min':>15}  {'overhead':>8}  "
              f"{'window 0':>8}  {'no snippet':>10}")
        for workers in args.workers:
            bare_s = bare(args.runs, workers, base)
            full_s = harness(args.runs, workers, folder)
            no_wait_s = harness(args.runs, workers, folder, "--observation-window", "0")
            alone_s = harness(args.runs, workers, folder, "--no-snippet")
            per_minute = 60 * args.runs
            print(f"{workers:>7}  {per_minute / bare_s:>12.1f}  {per_minute / full_s:>15.1f}  {full_s / bare_s:>7.2f}x  "
                  f"{no_wait_s / bare_s:>7.2f}x  {alone_s / bare_s:>9.2f}x")
        server.shutdown()


if __name__ == "__main__":
    main()
