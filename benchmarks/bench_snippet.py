"""Budgets of the shipped snippet (harness/resources/telltale.min.js) against rrweb's recorder, side by side (a benchmark).

    .venv/bin/python benchmarks/bench_snippet.py [--runs 5]

* size: the shipped file gzipped (-9) against rrweb's record bundle, minified, gzipped;
* main-thread script time of a busy scenario (page load and snapshot, a long pointer path, typing, DOM mutations,
  scrolling), measured by Chromium (CDP Performance.getMetrics ScriptDuration) and given net of the same scenario
  without any recorder; medians of interleaved runs, and the least disturbed run of each (the machine is shared);
* bytes on the wire: every collector request body of the scenario, the final flush included.

rrweb is installed from npm, pinned, into benchmarks/node_modules (gitignored) on first run. It records with its
default options and ships its events as JSON by fetch every 5 s and when the page is hidden, the usual integration;
its gzipped size is printed too, as if it were compressed the way telltale compresses.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, Route, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.resources import SHIPPED_SNIPPET

RRWEB_VERSION = "2.0.0-alpha.4"  # the last 2.0 alpha whose npm package ships a standalone record bundle
RRWEB_RECORD = Path(__file__).resolve().parent / "node_modules" / "rrweb" / "dist" / "record" / "rrweb-record.min.js"
ORIGIN = "https://bench.test"

# A shop-like page: a 200-row table, a form, and a ticker that changes the DOM ten times a second.
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Busy</title>
<style>td { padding: 2px 6px } .hot { background: #fe0 } body { font-family: sans-serif }</style></head><body>
<h1 id="clock">0</h1>
<form id="f" action="/done" onsubmit="return false"><input id="name" name="name"> <textarea id="msg" name="msg"></textarea>
<input id="pw" type="password" name="pw"></form>
<button id="more">More rows</button>
<table id="t"><tbody></tbody></table>
<script>
  const tb = document.querySelector('#t tbody');
  const row = i => { const tr = document.createElement('tr'); for (let c = 0; c < 5; c++) { const td = document.createElement('td');
    td.textContent = 'Product ' + i + ' / ' + c; tr.appendChild(td); } return tr; };
  for (let i = 0; i < 200; i++) tb.appendChild(row(i));
  let tick = 0;
  setInterval(() => { tick++; document.getElementById('clock').textContent = String(tick);
    tb.rows[tick % tb.rows.length].className = tick % 2 ? 'hot' : ''; }, 100);
  document.getElementById('more').addEventListener('click', () => {
    for (let i = 0; i < 20; i++) tb.insertBefore(row(1000 + i), tb.firstChild);
    for (let i = 0; i < 50; i++) tb.rows[(i * 7) % tb.rows.length].cells[2].textContent = 'updated ' + i;
    while (tb.rows.length > 300) tb.lastChild.remove();
  });
</script></body></html>"""

# Shipped as telltale ships from a page that is hidden but alive: by fetch, keepalive while the body fits its 64 KB
# (a beacon would silently drop a larger final batch).
RRWEB_START = """(() => {
  let buf = [];
  const send = () => { if (!buf.length) return; const body = JSON.stringify(buf); buf = [];
    fetch('/rrweb/collect', {method: 'POST', body, keepalive: body.length < 60000}); };
  document.addEventListener('DOMContentLoaded', () => { rrwebRecord({emit(e) { buf.push(e); }}); setInterval(send, 5000); });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') send(); });
})();"""

# The page is hidden at the end of the scenario (without unloading it, so that its final batch is still routed).
HIDE = """() => { Object.defineProperty(document, 'visibilityState', {get: () => 'hidden', configurable: true});
  document.dispatchEvent(new Event('visibilitychange')); }"""


@dataclass(frozen=True)
class Run:
    script_ms: float
    wire_bytes: int
    wire_gzip_bytes: int
    requests: int


def ensure_rrweb() -> Path:
    """rrweb's record bundle, installed from npm (pinned) into benchmarks/node_modules on first use."""
    if not RRWEB_RECORD.is_file():
        subprocess.run(
            ["npm", "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund",
             "--prefix", str(RRWEB_RECORD.parents[4]), f"rrweb@{RRWEB_VERSION}"],
            check=True,
        )
    return RRWEB_RECORD


def scenario(page: Page) -> None:
    """The busy visit: the same for every recorder."""
    page.goto(ORIGIN + "/")
    page.mouse.move(10, 10)
    for i in range(800):  # a long pointer path, one move per ~5 ms
        page.mouse.move(10 + (i * 7) % 900, 80 + (i * 13) % 500)
        if i % 8 == 0:
            page.wait_for_timeout(40)
    page.click("#name")
    page.keyboard.type("Ada Lovelace, Analytical Engine " * 4)
    page.click("#msg")
    page.keyboard.type("A note about the order, typed at a normal pace. " * 3)
    page.click("#pw")
    page.keyboard.type("correct horse battery staple")
    for _ in range(15):
        page.click("#more")
        page.mouse.wheel(0, 250)
        page.wait_for_timeout(60)
    page.wait_for_timeout(300)
    page.evaluate(HIDE)
    page.wait_for_timeout(300)


def measure(launch: Callable[[], Browser], scripts: list[str], collect: str) -> Run:
    """One scenario with the given init scripts; bodies of requests to ``collect`` are the wire bytes."""
    browser = launch()
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    bodies: list[bytes] = []

    def serve(route: Route) -> None:
        if collect and route.request.url.split("?")[0].endswith(collect):
            bodies.append(route.request.post_data_buffer or b"")
            route.fulfill(status=204)
        elif route.request.url.rstrip("/") == ORIGIN:
            route.fulfill(body=PAGE, content_type="text/html")
        else:
            route.fulfill(status=204)

    for script in scripts:
        context.add_init_script(script)
    context.route(ORIGIN + "/**", serve)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    scenario(page)
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    browser.close()
    gz = sum(len(b) if b[:2] == b"\x1f\x8b" else len(gzip.compress(b, 6)) for b in bodies)
    return Run(metrics["ScriptDuration"] * 1000, sum(len(b) for b in bodies), gz, len(bodies))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs per recorder (default 5)")
    args = parser.parse_args()
    rrweb = ensure_rrweb()
    variants = {
        "none": ([], ""),
        "telltale": ([SHIPPED_SNIPPET.read_text()], "/telltale/collect"),
        # Init scripts run wrapped in a function: the bundle's top-level var must be made global by hand.
        f"rrweb {RRWEB_VERSION}": ([rrweb.read_text() + "\n;window.rrwebRecord = rrwebRecord;", RRWEB_START], "/rrweb/collect"),
    }
    results: dict[str, list[Run]] = {name: [] for name in variants}
    with sync_playwright() as p:
        launch = lambda: p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for _ in range(args.runs):  # interleaved, so that drift of the shared machine hits every recorder alike
            for name, (scripts, collect) in variants.items():
                results[name].append(measure(launch, scripts, collect))

    def med(name: str, pick: Callable[[Run], float]) -> float:
        return statistics.median(pick(r) for r in results[name])

    base = med("none", lambda r: r.script_ms)
    ours, theirs = "telltale", f"rrweb {RRWEB_VERSION}"
    size_ours = len(gzip.compress(SHIPPED_SNIPPET.read_bytes(), 9))
    size_theirs = len(gzip.compress(rrweb.read_bytes(), 9))
    script_ours = med(ours, lambda r: r.script_ms) - base
    script_theirs = med(theirs, lambda r: r.script_ms) - base
    # The least disturbed run of each (timeit's rule on a shared machine), beside the medians.
    least = {name: min(r.script_ms for r in runs) for name, runs in results.items()}
    rows = [
        ("shipped file, gzip -9 (bytes)", size_ours, size_theirs, "<= 10240 B"),
        ("main-thread script time net of no recorder (ms)", script_ours, script_theirs, "ratio <= 0.5"),
        ("  same, least disturbed run of each", least[ours] - least["none"], least[theirs] - least["none"], "ratio <= 0.5"),
        ("bytes on the wire", med(ours, lambda r: r.wire_bytes), med(theirs, lambda r: r.wire_bytes), "ratio <= 1"),
        ("  same, every body gzipped", med(ours, lambda r: r.wire_gzip_bytes), med(theirs, lambda r: r.wire_gzip_bytes), ""),
        ("collector requests", med(ours, lambda r: r.requests), med(theirs, lambda r: r.requests), ""),
    ]
    print(f"Busy scenario in Chromium, medians of {args.runs} interleaved run(s); page without a recorder: {base:.0f} ms of script.")
    for name, runs in results.items():
        print(f"  script ms per run, {name:14} " + " ".join(f"{r.script_ms:6.0f}" for r in runs))
    print(f"{'':50} {'telltale':>10} {'rrweb':>10} {'ratio':>7}  budget")
    for label, a, b, budget in rows:
        print(f"{label:50} {a:>10.0f} {b:>10.0f} {a / b if b else float('nan'):>7.2f}  {budget}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
