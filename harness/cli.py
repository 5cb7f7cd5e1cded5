"""Command line: ``telltale run|diff`` (also ``python -m harness``).

Exit statuses are a contract for CI (see :class:`ExitStatus`). Errors are one line on stderr; ``--traceback``
shows the full trace for the rare user who wants it.
"""

from __future__ import annotations

import argparse
import enum
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from harness.run.browsers import BROWSER_NAMES, BrowserName
from harness.errors import BrowserLaunchError, TelltaleError, UsageError
from harness.run.runner import RunResult
from harness.run.scenario import load_scenarios
from harness.resources import SHIPPED_SNIPPET
from harness.capture.site import Site

DEFAULT_SCENARIOS = "scenarios"
DEFAULT_REPORT = "telltale-report"


class ExitStatus(enum.IntEnum):
    """What ``telltale`` exits with."""

    OK = 0  # every run passed
    CHECK_FAILED = 1  # a privacy or visual check failed (or a step could not be carried out)
    INVALID_INPUT = 2  # a scenario file or an option is invalid
    ENVIRONMENT = 3  # a browser cannot start
    INTERRUPTED = 130  # Ctrl-C


@dataclass
class Output:
    """Where the CLI writes; injectable so tests can call :func:`main` directly."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def line(self, text: str) -> None:
        with self.lock:
            print(text, file=self.out, flush=True)

    def error(self, text: str) -> None:
        with self.lock:
            print(f"telltale: error: {text}", file=self.err, flush=True)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so usage errors follow the exit-status contract."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="telltale", description="Prove that trackers keep their privacy promises.")
    parser.add_argument("--traceback", action="store_true", help="show a full traceback on errors")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="run scenarios in real browsers and check every privacy rule")
    run.add_argument("paths", nargs="*", metavar="PATH", help=f"scenario files or folders (default: {DEFAULT_SCENARIOS}/)")
    run.add_argument("--browser", action="append", choices=BROWSER_NAMES, dest="browsers",
                     help="browser to run in; repeat for several (default: chromium)")
    run.add_argument("--snippet", metavar="FILE.js", help="the tracking snippet to inject (default: snippet/telltale.min.js)")
    run.add_argument("--no-snippet", action="store_true", help="inject no snippet (the site alone)")
    run.add_argument("--report", metavar="DIR", default=DEFAULT_REPORT, help=f"where results go (default: {DEFAULT_REPORT}/)")
    run.add_argument("--site", metavar="DIR", help="the demo site's folder (default: scenarios/site next to the scenarios)")
    run.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="browsers to run at once per browser type")
    run.add_argument("--update-baselines", action="store_true",
                     help="write every checkpoint's replay frame as its baseline (scenarios/baselines/<browser>/...)")
    run.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)

    diff = commands.add_parser("diff", help="compare two PNG images (pixelmatch semantics)", add_help=False)
    diff.add_argument("rest", nargs=argparse.REMAINDER)

    verify = commands.add_parser("verify", help="check a report folder against its manifest.json")
    verify.add_argument("dir", metavar="DIR", help="the report folder (the one holding manifest.json)")
    verify.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)

    approve = commands.add_parser("approve", help="accept a report's new or changed replay frames as baselines")
    approve.add_argument("dir", nargs="?", default=DEFAULT_REPORT, metavar="DIR",
                         help=f"the report folder (default: {DEFAULT_REPORT}/)")
    approve.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
    return parser


def _site_for(args: argparse.Namespace, paths: list[str]) -> Site:
    if args.site:
        root = Path(args.site)
    else:
        first = Path(paths[0])
        base = first if first.is_dir() else first.parent
        root = base / "site"
        if not root.is_dir():
            root = Path(DEFAULT_SCENARIOS) / "site"
    if not root.is_dir():
        raise UsageError(f"site folder {root} does not exist (use --site DIR)")
    return Site(root)


def _snippet_path(args: argparse.Namespace) -> Path | None:
    """The snippet file to inject: --snippet, else the shipped one; None with --no-snippet."""
    if args.no_snippet:
        return None
    return Path(args.snippet) if args.snippet else SHIPPED_SNIPPET


def _read_snippet(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read snippet {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise UsageError(f"snippet {path} is not UTF-8 text") from None


def command_run(args: argparse.Namespace, output: Output) -> ExitStatus:
    """Run every scenario in every browser; write results.json, junit.xml and the report."""
    from harness.pipeline import RunPlan, execute
    from harness.report.manifest import clear_previous_report, digest, write_manifest
    from harness.report.html import write_report
    from harness.report.results import Invocation, write_results
    from harness.replay.visual import VisualOptions

    paths = args.paths or [DEFAULT_SCENARIOS]
    for path in paths:
        if not Path(path).exists():
            raise UsageError(f"no such scenario file or folder: {path}")
    if args.jobs < 1:
        raise UsageError(f"-j must be 1 or more, got {args.jobs}")
    snippet_path = _snippet_path(args)
    snippet = _read_snippet(snippet_path)
    site = _site_for(args, paths)
    found = load_scenarios(paths)
    for error in found.errors:
        output.error(str(error))
    browsers: list[BrowserName] = args.browsers or ["chromium"]
    report_dir = Path(args.report)
    plan = RunPlan(found.scenarios, browsers, site, snippet, report_dir, args.jobs,
                   VisualOptions(update_baselines=args.update_baselines))
    shown_path = None if snippet_path is None else str(snippet_path)
    invocation = Invocation.now(getattr(args, "argv", sys.argv[1:]), shown_path, snippet)
    clear_previous_report(report_dir)
    outcome = execute(plan, on_result=lambda r: output.line(_progress_line(r)))
    for message in outcome.environment_errors:
        output.error(message)
    invalid = [str(e) for e in found.errors]
    document = write_results(outcome.results, report_dir, invalid, invocation, outcome.environment_errors)
    index = write_report(document, report_dir)
    manifest = write_manifest(report_dir)  # last: it covers every file written before it
    _summary(outcome.results, output)
    output.line(f"report: {index}")
    output.line(f"manifest: {manifest} (sha256 {digest(manifest).sha256})")
    if outcome.environment_errors:
        return ExitStatus.ENVIRONMENT
    if found.errors or not found.scenarios:
        if not found.scenarios and not found.errors:
            output.error(f"no scenario files found in {', '.join(paths)}")
        return ExitStatus.INVALID_INPUT
    if any(r.status != "passed" for r in outcome.results):
        return ExitStatus.CHECK_FAILED
    return ExitStatus.OK


def _progress_line(result: RunResult) -> str:
    from harness.replay import visual
    from harness.report.results import finding_line, redactor_for

    mark = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}[result.status]
    line = f"{mark:5} {result.scenario.slug} [{result.browser}] {len(result.requests)} requests, {result.duration_ms / 1000:.1f}s"
    if result.findings:
        line += "\n      " + "\n      ".join(finding_line(f) for f in result.findings[:5])
        if len(result.findings) > 5:
            line += f"\n      ... and {len(result.findings) - 5} more"
    if result.error:
        line += f"\n      {result.error}"
    line += "".join(f"\n      {text}" for text in [visual.summary(result.run_dir), *result.visual_problems] if text)
    return redactor_for(result).text(line)  # CI logs are kept: no typed value in clear there either


def _summary(runs: list[RunResult], output: Output) -> None:
    counts = {status: sum(r.status == status for r in runs) for status in ("passed", "failed", "error")}
    scenarios = sorted({r.scenario.slug for r in runs})
    browsers = sorted({r.browser for r in runs})
    if runs:
        width = max(len(s) for s in scenarios)
        output.line("")
        output.line(f"{'scenario':{width}}  " + "  ".join(f"{b:8}" for b in browsers))
        for slug in scenarios:
            cells = []
            for browser in browsers:
                match = next((r for r in runs if r.scenario.slug == slug and r.browser == browser), None)
                cells.append(f"{match.status if match else '-':8}")
            output.line(f"{slug:{width}}  " + "  ".join(cells))
    output.line(f"\n{counts['passed']} passed, {counts['failed']} failed, {counts['error']} errors")


def command_verify(args: argparse.Namespace, output: Output) -> ExitStatus:
    """Check a report folder against its manifest: one line per changed, missing or added file."""
    from harness.report.manifest import MANIFEST, verify

    result = verify(Path(args.dir))
    for problem in result.problems:
        output.line(str(problem))
    if not result.ok:
        return ExitStatus.CHECK_FAILED
    output.line(f"verified: {result.files} files match {Path(args.dir) / MANIFEST} (sha256 {result.manifest_sha256})")
    return ExitStatus.OK


def command_approve(args: argparse.Namespace, output: Output) -> ExitStatus:
    """Accept the replay frames of a report whose baseline was new or failed: they become the baselines."""
    from harness.replay.baselines import approve
    from harness.replay.visual import approvable

    report = Path(args.dir)
    if not (report / "runs").is_dir():
        raise UsageError(f"{report} is not a report folder (no runs/ in it)")
    written = approve(approvable(report))
    for path in written:
        output.line(f"approved {path}")
    output.line(f"{len(written)} baseline(s) written" if written else "nothing to approve: every baseline matched")
    return ExitStatus.OK


def command_diff(args: argparse.Namespace, output: Output) -> int:
    from harness.replay import diff

    return diff.main(args.rest, stdout=output.out, stderr=output.err)


COMMANDS: dict[str, Callable[[argparse.Namespace, Output], int]] = {
    "run": command_run,
    "diff": command_diff,
    "verify": command_verify,
    "approve": command_approve,
}


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Entry point of ``telltale`` and ``python -m harness``; returns the exit status."""
    output = Output(stdout or sys.stdout, stderr or sys.stderr)
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv
    try:
        args = build_parser().parse_args(argv)
        args.argv = argv  # the command as given, recorded in results.json to reproduce the run
        return int(COMMANDS[args.command](args, output))
    except KeyboardInterrupt:
        output.error("interrupted")
        return ExitStatus.INTERRUPTED
    except BrowserLaunchError as error:
        output.error(str(error))
        return ExitStatus.ENVIRONMENT
    except TelltaleError as error:
        if show_traceback:
            traceback.print_exc(file=output.err)
        output.error(str(error))
        return ExitStatus.INVALID_INPUT


__all__ = ["ExitStatus", "main"]
