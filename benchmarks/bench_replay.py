"""Benchmark replay frames: frames rendered per second at 1280x720, side by side with live screenshots.

    .venv/bin/python benchmarks/bench_replay.py [--browser chromium] [--browser firefox] [--frames 40] [--rounds 3]
                                                [--scenario scenarios/home_browse.yaml]

Runs the scenario once per browser (capturing the session through the harness's proxy), then, in that browser,
renders --frames frames spread evenly over the session's first page view, in each of these modes, alternating them
over --rounds rounds and keeping each mode's best round (other processes on the machine skew single runs):

- live: screenshots of the live page itself (the scenario's start page), the browser's own ceiling;
- replay forward: the replay advanced to each moment in time order (events applied incrementally) and screenshotted;
- replay + overlays: the same, decoded and drawn over with the pointer trail, click ripples and scroll bar (Pillow);
- replay seeking: the same moments in reverse order, so every frame rebuilds the page from its snapshot.

Prints frames per second and each mode's ratio to live. Not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.capture.proxy import CaptureProxy
from harness.capture.routing import Routing
from harness.capture.site import Site
from harness.pipeline import CA_DIR
from harness.replay.frames import Clicks, FrameState, decode_png, draw_overlays
from harness.replay.page import AssetResolver, Replay, pointer_track
from harness.replay.session import decode_session
from harness.resources import SHIPPED_SNIPPET
from harness.run.loader import load_scenario
from harness.run.runner import Worker, run_scenario

ROOT = Path(__file__).resolve().parent.parent


def _fps(frames: int, render: Callable[[], None]) -> float:
    started = time.perf_counter()
    render()
    return frames / (time.perf_counter() - started)


def bench(browser: str, scenario_path: Path, frames: int, rounds: int) -> dict[str, float]:
    site = Site(ROOT / "scenarios" / "site")
    proxy = CaptureProxy.shared(CA_DIR)
    tap = proxy.open_tap(Routing(site))
    snippet = SHIPPED_SNIPPET.read_text(encoding="utf-8")
    scenario = load_scenario(scenario_path)
    try:
        with Worker(browser, tap) as worker, tempfile.TemporaryDirectory() as tmp:  # type: ignore[arg-type]
            assert worker.browser is not None
            result = run_scenario(worker, scenario, snippet, Path(tmp), site)
            session = decode_session(result.recording)
            view = next(p for p in session.pages if p.snapshot)
            times = np.linspace(view.start_ms, view.end_ms, frames).tolist()
            track, clicks = pointer_track(view), Clicks.of(view)
            live_context = worker.browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 720})
            live = live_context.new_page()
            live.goto(scenario.start, wait_until="load")
            replay = Replay(worker.browser, AssetResolver(site), 1280, 720)

            def live_frames() -> None:
                for _ in times:
                    live.screenshot()

            def forward(overlays: bool) -> Callable[[], None]:
                def run() -> None:
                    replay.load(view)
                    for t in times:
                        replay.show(view, t)
                        png = replay.screenshot()
                        if overlays:
                            state = FrameState(t, view, replay.scroll(), replay.page_size())
                            draw_overlays(decode_png(png), state, track, clicks)
                return run

            def seeking() -> None:
                for t in reversed(times):
                    replay.show(view, t)
                    replay.screenshot()

            modes: dict[str, Callable[[], None]] = {
                "live": live_frames, "replay forward": forward(False), "replay + overlays": forward(True),
                "replay seeking": seeking,
            }
            best = {name: 0.0 for name in modes}
            for render in modes.values():
                render()  # warm-up
            for _ in range(rounds):
                for name, render in modes.items():
                    best[name] = max(best[name], _fps(frames, render))
            replay.close()
            live_context.close()
            return best
    finally:
        proxy.close_tap(tap)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--browser", action="append", choices=["chromium", "firefox"], dest="browsers")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "home_browse.yaml")
    args = parser.parse_args()
    for browser in args.browsers or ["chromium", "firefox"]:
        best = bench(browser, args.scenario, args.frames, args.rounds)
        print(f"\n{browser}: {args.frames} frames at 1280x720 over {args.scenario.name}'s first page, "
              f"best of {args.rounds} rounds")
        print(f"{'mode':<20}{'frames/s':>10}{'vs live':>9}")
        for name, fps in best.items():
            print(f"{name:<20}{fps:>10.1f}{fps / best['live']:>9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
