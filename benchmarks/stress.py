"""Stress: the bundled scenarios, several times over in both browsers, with a CPU hog running beside them.

A harness that is flaky under load teaches its users to rerun until green. This runs ``telltale run`` on the
bundled scenarios ``--repeats`` times (default 5) in Chromium and Firefox while ``--hogs`` processes spin on the
CPU, then prints, per repeat, the counts by status, and across repeats every run whose verdict changed (status, or
the set of findings by rule, field and channel). It exits 1 when any run errored or any verdict differed.

    .venv/bin/python benchmarks/stress.py [--repeats 5] [--hogs 1] [-j 2] [--browser chromium --browser firefox]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.cli import main as telltale  # noqa: E402
from harness.verdict import STATUSES  # noqa: E402

Verdict = tuple[str, tuple[tuple[str, str, str], ...]]


def _spin() -> None:
    while True:
        pass


def _verdicts(report: Path) -> tuple[dict[tuple[str, str], Verdict], dict[tuple[str, str], str]]:
    results = json.loads((report / "results.json").read_text())
    verdicts: dict[tuple[str, str], Verdict] = {}
    errors: dict[tuple[str, str], str] = {}
    for run in results["runs"]:
        key = (run["slug"], run["browser"])
        findings = tuple(sorted({(f["rule"], f["field"], f["channel"]) for f in run["findings"]}))
        verdicts[key] = (run["status"], findings)
        if run["status"] == "error":
            errors[key] = run["error"]
    return verdicts, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hogs", type=int, default=1, help="processes spinning on the CPU beside the runs")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--browser", action="append", dest="browsers")
    parser.add_argument("paths", nargs="*", default=[str(ROOT / "scenarios")])
    args = parser.parse_args()
    browsers = args.browsers or ["chromium", "firefox"]
    hogs = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.hogs)]
    for hog in hogs:
        hog.start()
    repeats: list[dict[tuple[str, str], Verdict]] = []
    errors: list[tuple[int, tuple[str, str], str]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="telltale-stress-") as folder:
            for n in range(1, args.repeats + 1):
                report = Path(folder) / f"repeat-{n}"
                argv = ["run", *args.paths, "--report", str(report), "-j", str(args.jobs)]
                for browser in browsers:
                    argv += ["--browser", browser]
                started = time.monotonic()
                telltale(argv, io.StringIO(), sys.stderr)  # the summary below is what this reports
                verdicts, errored = _verdicts(report)
                repeats.append(verdicts)
                errors += [(n, key, message) for key, message in errored.items()]
                counts = Counter(status for status, _ in verdicts.values())
                line = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
                print(f"repeat {n}: {len(verdicts)} runs: {line} ({time.monotonic() - started:.0f} s)", flush=True)
    finally:
        for hog in hogs:
            hog.terminate()
    keys = sorted(set().union(*repeats)) if repeats else []
    differing = [key for key in keys if len({r.get(key) for r in repeats}) > 1]
    print(f"\n{args.repeats} repeats x {len(keys)} runs, {args.hogs} CPU hog(s): "
          f"{len(errors)} errors, {len(differing)} runs whose verdict differed between repeats")
    for n, (slug, browser), message in errors:
        print(f"  error in repeat {n}: {slug} [{browser}]: {message}")
    for slug, browser in differing:
        seen = [r.get((slug, browser), ("missing", ()))[0] for r in repeats]
        print(f"  differs: {slug} [{browser}]: {' / '.join(seen)}")
    return 1 if errors or differing else 0


if __name__ == "__main__":
    sys.exit(main())
