"""False alarms of piece reassembly, per minimum piece length, over honest trackers: how `MIN_PIECE` was chosen.

Runs every bundled scenario with each honest tracker (our own snippet, and the well-behaved tracker of
``tests/test_rules.py``) in each browser, keeps each run's capture and protected values, then judges every run
again with `find_fragments` at each minimum piece length and counts the findings that pieces alone produced
(``where`` starting ``pieces:``) and any other finding. An honest tracker must have none: `MIN_PIECE` is the
smallest length with none, plus a margin.

    .venv/bin/python benchmarks/piece_false_alarms.py                       # both browsers, lengths 1-6
    .venv/bin/python benchmarks/piece_false_alarms.py --browser chromium --lengths 1 2 3
"""

from __future__ import annotations

import argparse
import functools
import io
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import pipeline  # noqa: E402
from harness.cli import main  # noqa: E402
from harness.privacy import rules  # noqa: E402
from harness.privacy.fragments import find_fragments  # noqa: E402
from harness.privacy.protected import ProtectedValues  # noqa: E402
from harness.run.result import RunResult  # noqa: E402
from tests.test_rules import WELL_BEHAVED  # noqa: E402

TRACKERS: dict[str, str | None] = {"telltale snippet": None, "well-behaved test tracker": WELL_BEHAVED}


def _captured_runs(browsers: list[str]) -> list[tuple[str, RunResult, ProtectedValues]]:
    """Every bundled scenario with every honest tracker in every browser: each run's result and values."""
    runs: list[tuple[str, RunResult, ProtectedValues]] = []
    lock = threading.Lock()
    tracker = ""
    original: Callable[..., Any] = pipeline.judge

    def keep(result: RunResult, browser: Any, visual: Any) -> Any:
        verdict = original(result, None, visual)  # no visual checks: only the capture matters here
        with lock:
            runs.append((tracker, result, verdict.protected))
        return verdict

    pipeline.judge = keep  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as work:
            for tracker, snippet in TRACKERS.items():
                args = ["run", str(ROOT / "scenarios"), "--report", str(Path(work) / tracker.replace(" ", "-"))]
                for browser in browsers:
                    args += ["--browser", browser]
                if snippet is not None:
                    snippet_file = Path(work) / "snippet.js"
                    snippet_file.write_text(snippet)
                    args += ["--snippet", str(snippet_file), "--site", str(ROOT / "scenarios" / "site")]
                main([*args, "--jobs", "2"], io.StringIO(), io.StringIO())
                print(f"captured {tracker}: {len(runs)} runs so far", flush=True)
    finally:
        pipeline.judge = original  # type: ignore[assignment]
    return runs


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browser", action="append", choices=["chromium", "firefox"])
    parser.add_argument("--lengths", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    options = parser.parse_args(argv)
    runs = _captured_runs(options.browser or ["chromium", "firefox"])
    print(f"{len(runs)} honest runs", flush=True)
    original = rules.find_fragments
    try:
        for length in options.lengths:
            rules.find_fragments = functools.partial(find_fragments, min_piece=length)  # type: ignore[assignment]
            pieces, other = 0, 0
            for tracker, result, protected in runs:
                for finding in rules.judge(result, protected).findings:
                    if finding.where.startswith("pieces:"):
                        pieces += 1
                        print(f"  length {length}: {tracker} {result.scenario.file} [{result.browser}]: {finding.line()}",
                              flush=True)
                    else:
                        other += 1
            print(f"min piece {length}: {pieces} piece false alarms, {other} other findings", flush=True)
    finally:
        rules.find_fragments = original  # type: ignore[assignment]
    return 0


if __name__ == "__main__":
    raise SystemExit(main_())
