"""Command line: ``telltale run|diff|verify|approve`` (also ``python -m harness``).

Exit statuses are a contract for CI (see :class:`ExitStatus`), the same for every command. Errors are one line
on stderr; ``--traceback`` shows the full trace for the rare user who wants it.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import os
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, TextIO
from urllib.parse import urlsplit

from harness import __version__
from harness.capture.proxy import CaptureProxy
from harness.capture.routing import Routing, origin_of
from harness.capture.site import DEFAULT_SITE_HOST, Site
from harness.config import THIRD_PARTY_MODES, Settings, load_settings
from harness.errors import BrowserLaunchError, EnvironmentProblem, TelltaleError, UsageError
from harness.init import init_project
from harness.pipeline import CA_DIR, NotRun, Outcome, RunPlan, Shard, execute, origins_under_test, unreachable
from harness.replay import diff
from harness.replay.baselines import approve
from harness.replay.visual import VisualOptions, approvable
from harness.report.documents import NotRunDocument
from harness.report.html import write_report
from harness.report.manifest import MANIFEST, clear_previous_report, digest, verify, write_manifest
from harness.report.merge import merge_reports
from harness.report.results import Invocation, SessionFacts, write_results
from harness.run.browsers import BROWSER_NAMES, BrowserName
from harness.run.loader import load_scenarios
from harness.run.scenario import Scenario, is_absolute, is_path
from harness.run.snippet import read_snippet
from harness.run.webserver import WebServer
from harness.scan.crawl import PageFound, crawl
from harness.scan.plan import plan as plan_scan
from harness.scan.scenario_yaml import SCAN_SCENARIOS, clear_scenarios, write_scenario
from harness.scan.summary import summary_lines
from harness.verdict import STATUSES, RunVerdict

DEFAULT_SCENARIOS = "scenarios"
DEFAULT_REPORT = "telltale-report"
DEFAULT_SCAN_PAGES = 20
DEFAULT_SCAN_DEPTH = 2


class ExitStatus(enum.IntEnum):
    """What ``telltale`` exits with, whatever the command (their meanings are in :data:`EXIT_MEANINGS`)."""

    OK = 0
    CHECK_FAILED = 1
    INVALID_INPUT = 2
    ENVIRONMENT = 3
    INTERRUPTED = 130


# What `run` exits with, in the words its --help gives; the other commands say theirs in _OWN_EXITS.
EXIT_MEANINGS: dict[ExitStatus, str] = {
    ExitStatus.OK: "every run passed",
    ExitStatus.CHECK_FAILED: "a run did not pass: a check failed, it was inconclusive, or it errored",
    ExitStatus.INVALID_INPUT: "a scenario file, an image, a config file or an option is invalid",
    ExitStatus.ENVIRONMENT: "a browser cannot start; no run could be carried out; the report cannot be written",
    ExitStatus.INTERRUPTED: "Ctrl-C (the runs that ended are reported, marked incomplete)",
}

_EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "telltale": [
        ("telltale init && telltale run", "start a project, then run its scenarios"),
        ("telltale run --help", "every option of a command"),
    ],
    "run": [
        ("telltale run", "every scenario in scenarios/, in Chromium, with our snippet"),
        ("telltale run scenarios/login.yaml --browser chromium --browser firefox -j 2", "one file, two browsers"),
        ("telltale run --snippet vendor.js --report out/", "a third-party snippet; the report in out/"),
        ("telltale run --no-snippet --base-url http://127.0.0.1:8000", "your own app as it ships its trackers"),
        ("telltale run --shard 2/3 --report shard-2", "share 2 of 3 of the plan, for parallel CI jobs"),
        ("telltale run --connect ws://10.0.0.7:3000/ --proxy-host 10.0.0.5 -j 4",
         "browsers on a Playwright browser server; the capturing proxy stays here"),
    ],
    "scan": [
        ("telltale scan https://shop.test/index.html --pages 5", "the demo site's forms, abandoned"),
        ("telltale scan http://127.0.0.1:8000/ --submit --snippet vendor.js", "your app, submitting every form"),
    ],
    "diff": [
        ("telltale diff expected.png actual.png --out diff.png", "count differing pixels; write where they are"),
    ],
    "merge": [("telltale merge shard-1 shard-2 shard-3 --report telltale-report",
               "the reports of `telltale run --shard 1/3` (2/3, 3/3), joined")],
    "verify": [("telltale verify telltale-report", "check that no file of a report changed since it was written")],
    "init": [("telltale init --base-url http://127.0.0.1:8000", "a config, an example scenario and a CI workflow")],
    "approve": [("telltale approve telltale-report", "accept its new or changed replay frames as baselines")],
}

_OWN_EXITS: dict[str, dict[ExitStatus, str]] = {
    "diff": {ExitStatus.OK: "the images match", ExitStatus.CHECK_FAILED: "the images differ",
             ExitStatus.INVALID_INPUT: "an image is missing or not a PNG, or an option is invalid"},
    "verify": {ExitStatus.OK: "every file is as the manifest says",
               ExitStatus.CHECK_FAILED: "a file changed, is missing or was added",
               ExitStatus.INVALID_INPUT: "not a finished report: no manifest.json (or its run stopped before the end)"},
    "merge": {ExitStatus.OK: "every run of every shard passed",
              ExitStatus.CHECK_FAILED: "a run did not pass",
              ExitStatus.INVALID_INPUT: "a folder is not a finished report, does not verify, or a shard is missing, "
                                        "given twice or of another plan",
              ExitStatus.ENVIRONMENT: "the merged report cannot be written; the shards hold no run",
              ExitStatus.INTERRUPTED: "a shard was interrupted (the merged report is marked incomplete)"},
    "init": {ExitStatus.OK: "the files were written (existing ones are kept)",
             ExitStatus.INVALID_INPUT: "an option is invalid"},
    "approve": {ExitStatus.OK: "the frames were approved", ExitStatus.INVALID_INPUT: "the folder holds no report"},
}
"""The statuses of the commands that do not run scenarios, in their own words; the others can give every status."""


def _epilog(command: str) -> str:
    """The end of a command's --help: examples, then the exit statuses it can give."""
    lines = ["examples:"]
    for example, what in _EXAMPLES[command]:
        lines += [f"  # {what}", f"  {example}"]
    lines += ["", "exit status:"]
    exits = _OWN_EXITS.get(command, EXIT_MEANINGS)
    lines += [f"  {status.value:<3}  {meaning}" for status, meaning in exits.items()]
    return "\n".join(lines)


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

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _seconds_flag(text: str) -> float:
    """A flag's number, checked as a number here and as a window by the config (one message for every layer)."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None


def _shard_flag(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--shard ")) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="telltale", description="Prove that trackers keep their privacy promises.",
                     epilog=_epilog("telltale"), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traceback", action="store_true", help="show a full traceback on errors")
    parser.add_argument("--version", action="version", version=f"telltale {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, help: str, description: str | None = None) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=description, epilog=_epilog(name),
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


    run = command("run", help="run scenarios in real browsers and check every privacy rule")
    run.add_argument("paths", nargs="*", metavar="PATH", help=f"scenario files or folders (default: {DEFAULT_SCENARIOS}/)")
    run.add_argument("--browser", action="append", choices=BROWSER_NAMES, dest="browsers",
                     help="browser to run in; repeat for several (default: chromium)")
    run.add_argument("--config", metavar="DIR", help="where to look for telltale.toml or pyproject.toml's "
                     "[tool.telltale] (default: here, then each folder above)")
    run.add_argument("--snippet", metavar="FILE.js",
                     help="the tracking snippet to inject (default: ours, harness/resources/telltale.min.js)")
    run.add_argument("--no-snippet", action="store_true", help="inject no snippet (the site alone)")
    run.add_argument("--report", metavar="DIR", help=f"where results go (default: {DEFAULT_REPORT}/)")
    run.add_argument("--base-url", metavar="URL",
                     help="your app's origin: scenario paths (start: /login) resolve against it, and its requests go to "
                          "the real server through the capturing proxy")
    run.add_argument("--third-party", choices=THIRD_PARTY_MODES,
                     help="every other host: stub (answered locally, the default: nothing leaves the machine) or live")
    run.add_argument("--trust-upstream", action="store_true", default=None,
                     help="accept a self-signed TLS certificate from the app under test")
    run.add_argument("--site", metavar="DIR",
                     help=f"the demo site's folder, served as https://{DEFAULT_SITE_HOST}/ (default: site/ next to "
                          "the scenarios, when a scenario starts there)")
    run.add_argument("--observation-window", type=_seconds_flag, metavar="SECONDS",
                     help="seconds a page's pending timers get before it goes, from the last value typed on it "
                          "(default: 30; 0 waits for none)")
    run.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="browsers to run at once per browser type")
    run.add_argument("--connect", action="append", metavar="WS_ENDPOINT", dest="connect",
                     help="run the browsers on a Playwright browser server (`playwright run-server --unsafe`, or a "
                          "grid speaking its protocol) instead of here; repeat to spread the workers over several")
    run.add_argument("--proxy-host", metavar="HOST",
                     help="the address of this machine the capturing proxy listens on, as the browsers reach it "
                          "(default: 127.0.0.1)")
    run.add_argument("--shard", metavar="I/N", type=_shard_flag,
                     help="run only share I of N of the plan (scenarios x browsers), for N parallel CI jobs; "
                          "join their reports with telltale merge")
    run.add_argument("--update-baselines", action="store_true",
                     help="write every checkpoint's replay frame as its baseline (scenarios/baselines/<browser>/...)")
    run.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)

    scan = command("scan", help="crawl a site, find every form and field, and test each without a scenario",
                   description="Crawl same-site links from URL, find every form and stand-alone field (frames and open "
                               "shadow roots included), fill each with canaries key by key and test it as a run: "
                               "abandoned, and submitted with --submit. The scenarios it wrote are in the report's "
                               "scenarios/ folder, for `telltale run` to replay.")
    scan.add_argument("url", metavar="URL", help="where to start (https://shop.test/... is the bundled demo site)")
    scan.add_argument("--pages", type=int, default=DEFAULT_SCAN_PAGES, metavar="N",
                      help=f"load at most N pages (default: {DEFAULT_SCAN_PAGES})")
    scan.add_argument("--depth", type=int, default=DEFAULT_SCAN_DEPTH, metavar="D",
                      help=f"follow links at most D clicks from URL (default: {DEFAULT_SCAN_DEPTH}; 0: URL alone)")
    scan.add_argument("--submit", action="store_true",
                      help="also submit every form (a real site would create data: use on a test system)")
    scan.add_argument("--browser", action="append", choices=BROWSER_NAMES, dest="browsers",
                      help="browser to run in; repeat for several (default: chromium; the crawl uses the first)")
    scan.add_argument("--config", metavar="DIR", help="where to look for telltale.toml (default: here, then above)")
    scan.add_argument("--snippet", metavar="FILE.js", help="the tracking snippet to inject (default: ours)")
    scan.add_argument("--no-snippet", action="store_true", help="inject no snippet (the site alone)")
    scan.add_argument("--report", metavar="DIR", help=f"where results go (default: {DEFAULT_REPORT}/)")
    scan.add_argument("--third-party", choices=THIRD_PARTY_MODES, help="every other host: stub (default) or live")
    scan.add_argument("--trust-upstream", action="store_true", default=None,
                      help="accept a self-signed TLS certificate from the site")
    scan.add_argument("--site", metavar="DIR", help=f"the demo site's folder, served as https://{DEFAULT_SITE_HOST}/ "
                      f"(default: {DEFAULT_SCENARIOS}/site)")
    scan.add_argument("--observation-window", type=_seconds_flag, metavar="SECONDS",
                      help="seconds a page's pending timers get before it goes (default: 30)")
    scan.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="browsers to run at once per browser type")
    scan.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)

    compare = command(
        "diff", help="compare two PNG images (pixelmatch 7.2.0 semantics)",
        description="Count the pixels that differ between two PNG images. The last line of output is the count.",
    )
    compare.add_argument("a", metavar="A.png", help="first image (the expected one)")
    compare.add_argument("b", metavar="B.png", help="second image (the actual one)")
    compare.add_argument("--threshold", type=float, default=0.1, help="0 to 1, smaller is stricter (0.1)")
    compare.add_argument("--include-aa", action="store_true", help="count anti-aliased pixels as differences")
    compare.add_argument("--alpha", type=float, default=0.1, help="opacity of A in the diff image (0.1)")
    compare.add_argument("--out", metavar="DIFF.png", help="write the diff image here")
    compare.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)

    verify = command("verify", help="check a report folder against its manifest.json")
    verify.add_argument("dir", metavar="DIR", help="the report folder (the one holding manifest.json)")
    verify.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)

    init = command("init", help="start from nothing: a config, an example scenario and a CI workflow")
    init.add_argument("dir", nargs="?", default=".", metavar="DIR", help="the folder to write into (default: here)")
    init.add_argument("--base-url", metavar="URL", help="your app's origin (default: http://127.0.0.1:8000)")
    init.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)

    merge = command("merge", help="join the reports of the shards of one plan (run --shard I/N) into one report",
                    description="Join shard report folders into one: results.json, junit.xml, index.html and a "
                                "manifest over them all. Each shard must verify, and every share of the plan be there.")
    merge.add_argument("dirs", nargs="+", metavar="DIR", help="the shards' report folders")
    merge.add_argument("--report", metavar="DIR", default=DEFAULT_REPORT,
                       help=f"where the merged report goes (default: {DEFAULT_REPORT}/)")
    merge.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)

    approve = command("approve", help="accept a report's new or changed replay frames as baselines")
    approve.add_argument("dir", nargs="?", default=DEFAULT_REPORT, metavar="DIR",
                         help=f"the report folder (default: {DEFAULT_REPORT}/)")
    approve.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
    return parser


def _site_for(site: Path | None, paths: list[str], scenarios: list[Scenario]) -> Site | None:
    """The demo site's folder: --site, else site/ next to the scenarios; None when no scenario starts on it."""
    on_demo = [s for s in scenarios if (urlsplit(s.start).hostname or "") == DEFAULT_SITE_HOST]
    if not site and not on_demo:
        return None
    if site:
        root = site
    else:
        first = Path(paths[0])
        root = (first if first.is_dir() else first.parent) / "site"
    if not root.is_dir():
        raise UsageError(f"{on_demo[0].file if on_demo else '--site'}: the demo site folder {root} does not exist "
                         f"(give --site DIR, or --base-url for your own app)")
    return Site(root)


def _check_paths(scenarios: list[Scenario], base_url: str | None) -> None:
    """A scenario written with paths (start: /login) needs a base URL (checked as a URL by the config) for them."""
    if base_url:
        return
    for scenario in scenarios:
        for url, where in scenario.urls():
            if is_path(url):
                raise UsageError(f"{where.file}:{where.line}: {url} is a path: give the app's origin with --base-url URL")


def settings_for(args: argparse.Namespace) -> Settings:
    """The run's settings: these flags, then TELLTALE_* variables, then the config file, then the defaults."""
    flags: dict[str, object] = {
        "base_url": getattr(args, "base_url", None), "browsers": args.browsers, "third_party": args.third_party,
        "snippet": "none" if args.no_snippet else args.snippet, "report": args.report,
        "trust_upstream": args.trust_upstream, "site": args.site,
        "observation_window": args.observation_window,
        "connect": getattr(args, "connect", None), "proxy_host": getattr(args, "proxy_host", None),
    }
    start = Path(args.config) if args.config else Path.cwd()
    return load_settings(start, flags, os.environ)


def command_run(args: argparse.Namespace, output: Output) -> ExitStatus:
    """Run every scenario in every browser; write results.json, junit.xml and the report."""
    paths = args.paths or [DEFAULT_SCENARIOS]
    for path in paths:
        if not Path(path).exists():
            raise UsageError(f"no such scenario file or folder: {path}")
    if args.jobs < 1:
        raise UsageError(f"-j must be 1 or more, got {args.jobs}")
    settings = settings_for(args)
    snippet_path = settings.snippet
    snippet = read_snippet(snippet_path)
    found = load_scenarios(paths)
    for error in found.errors:
        output.error(str(error))
    _check_paths(found.scenarios, settings.base_url)
    routing = Routing(_site_for(settings.site, paths, found.scenarios), third_party=settings.third_party,
                      mapped=settings.map,
                      trust_upstream=settings.trust_upstream)
    browsers: list[BrowserName] = list(settings.browsers)
    report_dir = settings.report
    shard: Shard | None = args.shard
    plan = RunPlan(found.scenarios, browsers, routing, snippet, report_dir, args.jobs,
                   VisualOptions(update_baselines=args.update_baselines), settings.base_url, settings.site_api,
                   settings.observation_window * 1000.0, shard, settings.connect, settings.proxy_host)
    shown_path = None if snippet_path is None else str(snippet_path)
    invocation = Invocation.now(getattr(args, "argv", sys.argv[1:]), shown_path, snippet,
                                None if shard is None else (shard.index, shard.count))
    clear_previous_report(report_dir)
    with _web_server(settings, report_dir):
        _check_reachable(found.scenarios, settings.base_url, routing)
        outcome = execute(plan, on_verdict=lambda v: output.line(_progress_line(v)))
    _write_report(outcome, report_dir, [str(e) for e in found.errors], invocation, output)
    if shard is not None and not plan.runs() and found.scenarios:
        output.line(f"shard {shard}: no run of the plan falls to this shard ({len(found.scenarios) * len(browsers)} "
                    f"runs over {shard.count} shards)")
        return ExitStatus.OK  # `telltale merge` judges the whole plan
    return _run_status(outcome, found.scenarios, bool(found.errors), paths, output)


def _check_reachable(scenarios: list[Scenario], base_url: str | None, routing: Routing) -> None:
    """An :class:`EnvironmentProblem` naming every origin under test that accepts no connection."""
    origins = {origin_of(url) for s in scenarios for url in origins_under_test(s, base_url)}
    problems = unreachable(origin for origin in origins if not routing.on_demo_site(origin))
    if problems:
        raise EnvironmentProblem("; ".join(problems))


def _write_report(outcome: Outcome, report_dir: Path, invalid: list[str], invocation: Invocation,
                  output: Output) -> None:
    """What every command that runs scenarios writes: results.json, junit.xml, index.html, then the manifest over
    them; then the summary and where the report is."""
    for message in outcome.environment_errors:
        output.error(message)
    try:
        facts = SessionFacts(invocation, invalid, outcome.environment_errors,
                            [_not_run_document(n) for n in outcome.not_run], outcome.complete)
        document = write_results(outcome.verdicts, report_dir, facts)
        index = write_report(document, report_dir)
        manifest = write_manifest(report_dir, outcome.complete)  # last: it covers every file written before it
    except OSError as error:  # a full disk, a folder we may not write: one line, and no manifest is left
        raise EnvironmentProblem(f"cannot write the report in {report_dir}: {error.strerror or error}") from None
    _summary(outcome, output)
    output.line(f"report: {index}")
    output.line(f"manifest: {manifest} (sha256 {digest(manifest).sha256})")


def _run_status(outcome: Outcome, scenarios: list[Scenario], invalid: bool, paths: list[str], output: Output) -> ExitStatus:
    """The exit status of ``telltale run``: never OK unless scenarios were given and every one of their runs passed."""
    if not outcome.complete:
        abandoned = "; runs still under way were abandoned" if outcome.abandoned else ""
        output.error(f"interrupted: {len(outcome.not_run)} run(s) not carried out{abandoned}; "
                     "the report is marked incomplete")
        return ExitStatus.INTERRUPTED
    if outcome.environment_errors:
        return ExitStatus.ENVIRONMENT
    if invalid or not scenarios:
        if not scenarios and not invalid:
            output.error(f"no scenario files found in {', '.join(paths)}")
        return ExitStatus.INVALID_INPUT
    if not outcome.verdicts:  # scenarios were given and nothing ran: never green on nothing
        output.error("no run was carried out")
        return ExitStatus.ENVIRONMENT
    if any(v.status != "passed" for v in outcome.verdicts):  # failed, error, and any status added later
        return ExitStatus.CHECK_FAILED
    return ExitStatus.OK


def _not_run_document(missed: NotRun) -> NotRunDocument:
    scenario = missed.scenario
    return {"scenario": scenario.name, "slug": scenario.slug, "file": scenario.file, "browser": missed.browser,
            "reason": missed.reason}


# How a run's status starts its progress line; a status without a mark here is written in capitals.
_MARKS: dict[str, str] = {"passed": "PASS", "failed": "FAIL"}
# How the summary counts each status ("2 errors"); a status without a word here is counted under its own name.
_COUNTED: dict[str, str] = {"error": "errors"}


def _progress_line(verdict: RunVerdict) -> str:
    result = verdict.result
    mark = _MARKS.get(verdict.status, verdict.status.upper())
    line = f"{mark:5} {result.scenario.slug} [{result.browser}] {len(result.requests)} requests, {result.duration_ms / 1000:.1f}s"
    findings = [finding.line() for finding in verdict.findings]
    if findings:
        line += "\n      " + "\n      ".join(findings[:5])
        if len(findings) > 5:
            line += f"\n      ... and {len(findings) - 5} more"
    if result.error:
        line += f"\n      {result.error}"
    line += "".join(f"\n      inconclusive: {reason}" for reason in verdict.inconclusive_reasons)
    summary = verdict.visual.summary() if verdict.visual is not None else ""
    line += "".join(f"\n      {text}" for text in [summary, *verdict.visual_problems] if text)
    return verdict.protected.redactor.text(line)  # CI logs are kept: no typed value in clear there either


def _summary(outcome: Outcome, output: Output) -> None:
    """The matrix of scenarios × browsers, then one line counting the runs by status (every status, in order)."""
    runs = outcome.verdicts
    status = {(v.result.scenario.slug, v.result.browser): str(v.status) for v in runs}
    status.update({(n.scenario.slug, n.browser): "not run" for n in outcome.not_run})
    scenarios = sorted({slug for slug, _ in status})
    browsers = sorted({browser for _, browser in status})
    if status:
        width = max(len(s) for s in scenarios)
        output.line("")
        column = max(len(name) for name in (*STATUSES, *browsers))
        output.line(f"{'scenario':{width}}  " + "  ".join(f"{b:{column}}" for b in browsers))
        for slug in scenarios:
            output.line(f"{slug:{width}}  " + "  ".join(f"{status.get((slug, b), '-'):{column}}" for b in browsers))
    counts = {name: sum(v.status == name for v in runs) for name in STATUSES}
    output.line("\n" + ", ".join(f"{counts[name]} {_COUNTED.get(name, name)}" for name in STATUSES))
    if outcome.not_run:
        output.line(f"{len(outcome.not_run)} not run (interrupted): the report is incomplete")


def _web_server(settings: Settings, report_dir: Path) -> contextlib.AbstractContextManager[object]:
    """The app's web server (``web_server`` in the config) around the runs, its output kept in the report."""
    server = settings.web_server
    if server is None:
        return contextlib.nullcontext()
    report_dir.mkdir(parents=True, exist_ok=True)
    return WebServer(server.command, server.url, server.timeout_s, server.reuse_existing, server.cwd,
                     log=report_dir / "web-server.log")


def command_merge(args: argparse.Namespace, output: Output) -> ExitStatus:
    """Join shard reports into one, with its own results, JUnit, page and manifest."""
    report_dir = Path(args.report)
    try:
        document = merge_reports([Path(d) for d in args.dirs], report_dir)
        index = write_report(document, report_dir)
        manifest = write_manifest(report_dir, document["complete"])
    except OSError as error:
        raise EnvironmentProblem(f"cannot write the merged report in {report_dir}: {error.strerror or error}") from None
    statuses = [run["status"] for run in document["runs"]]
    counts = ", ".join(f"{statuses.count(status)} {_COUNTED.get(status, status)}" for status in STATUSES)
    output.line(f"merged {len(args.dirs)} report(s): {len(statuses)} runs: {counts}")
    output.line(f"report: {index}")
    output.line(f"manifest: {manifest} (sha256 {digest(manifest).sha256})")
    if not document["complete"]:
        output.error("a shard was interrupted: the merged report is marked incomplete")
        return ExitStatus.INTERRUPTED
    if document["environment_errors"] and not statuses:
        return ExitStatus.ENVIRONMENT
    if document["invalid"]:
        return ExitStatus.INVALID_INPUT
    if not statuses:
        output.error("the shards hold no run")
        return ExitStatus.ENVIRONMENT
    return ExitStatus.OK if all(status == "passed" for status in statuses) else ExitStatus.CHECK_FAILED


def command_init(args: argparse.Namespace, output: Output) -> ExitStatus:
    """Write a commented telltale.toml, an example scenario and a CI workflow into a folder."""
    for path in init_project(Path(args.dir), args.base_url):
        output.line(f"wrote {path}")
    output.line("next: start your app (or set web_server in telltale.toml), then run `telltale run`")
    return ExitStatus.OK


def command_verify(args: argparse.Namespace, output: Output) -> ExitStatus:
    """Check a report folder against its manifest: one line per changed, missing or added file.

    The report of an interrupted run verifies (its files are exactly those the manifest sealed) with a line
    saying it is incomplete; a folder whose run stopped before writing the manifest never verifies.
    """
    result = verify(Path(args.dir))
    for problem in result.problems:
        output.line(str(problem))
    if not result.ok:
        return ExitStatus.CHECK_FAILED
    output.line(f"verified: {result.files} files match {Path(args.dir) / MANIFEST} (sha256 {result.manifest_sha256})")
    if not result.complete:  # consistent, and sealed as such: the runs that ended, no more
        output.line("incomplete: the run was interrupted; results.json lists the runs that were not carried out")
    return ExitStatus.OK


def command_approve(args: argparse.Namespace, output: Output) -> ExitStatus:
    """Accept the replay frames of a report whose baseline was new or failed: they become the baselines."""
    report = Path(args.dir)
    if not (report / "runs").is_dir():
        raise UsageError(f"{report} is not a report folder (no runs/ in it)")
    written = approve(approvable(report))
    for path in written:
        output.line(f"approved {path}")
    output.line(f"{len(written)} baseline(s) written" if written else "nothing to approve: every baseline matched")
    return ExitStatus.OK


def command_diff(args: argparse.Namespace, output: Output) -> ExitStatus:
    """Compare two PNGs; print a summary, then the number of differing pixels alone on the last line."""
    a, b = diff.load_png(args.a), diff.load_png(args.b)
    diff.check_same_size(a, b, args.a, args.b)
    result = diff.diff_images(a, b, threshold=args.threshold, include_aa=args.include_aa, alpha=args.alpha)
    if args.out:
        try:
            diff.save_png(args.out, result.image)
        except OSError as error:
            raise UsageError(f"cannot write {args.out}: {error.strerror or error}") from None
        output.line(f"diff image: {args.out}")
    output.line(f"{result.mismatched} of {result.total} pixels differ ({100 * result.ratio:.2f}%), "
                f"{result.antialiased} anti-aliased")
    output.line(str(result.mismatched))
    return ExitStatus.OK if result.matches else ExitStatus.CHECK_FAILED


def command_scan(args: argparse.Namespace, output: Output) -> ExitStatus:
    """Crawl from a URL, test every form found (abandoned; submitted with --submit), write the report as ``run``
    does and the generated scenarios into its ``scenarios/``."""
    if args.pages < 1 or args.depth < 0 or args.jobs < 1:
        raise UsageError(f"--pages and -j must be 1 or more and --depth 0 or more, got --pages {args.pages}, "
                         f"--depth {args.depth}, -j {args.jobs}")
    start = args.url
    if not is_absolute(start):
        raise UsageError(f"scan expects an http(s) URL with a host, got {start!r}")
    settings = settings_for(args)
    snippet = read_snippet(settings.snippet)
    on_demo = (urlsplit(start).hostname or "") == DEFAULT_SITE_HOST
    site = None
    if on_demo:
        root = settings.site or Path(DEFAULT_SCENARIOS) / "site"
        if not root.is_dir():
            raise UsageError(f"--site: the demo site folder {root} does not exist (give --site DIR)")
        site = Site(root)
    routing = Routing(site, third_party=settings.third_party, mapped=settings.map,
                      trust_upstream=settings.trust_upstream).including([start])
    browsers: list[BrowserName] = list(settings.browsers)
    report_dir = settings.report
    clear_previous_report(report_dir)
    folder = report_dir / SCAN_SCENARIOS
    clear_scenarios(folder)
    with _web_server(settings, report_dir):
        problems = [] if on_demo else unreachable([origin_of(start)])
        if problems:
            raise EnvironmentProblem("; ".join(problems))
        found = crawl(start, routing, browsers[0], args.pages, args.depth, CaptureProxy.shared(CA_DIR, settings.proxy_host),
                      progress=_crawl_progress(output))
        targets, untested = plan_scan(found.pages, args.submit, settings.safe_forms)
        for line in found.skipped:
            output.line(f"skipped {line}")
        paths = [str(write_scenario(target, folder)) for target in targets]
        output.line(f"crawl done: {len(found.pages)} page(s), {sum(len(p.forms) for p in found.pages)} form(s); "
                    f"{len(targets)} run(s) to do, scenarios in {folder}")
        loaded = load_scenarios(paths) if paths else None
        scenarios = loaded.scenarios if loaded else []
        invalid = [str(e) for e in loaded.errors] if loaded else []
        for error in invalid:  # a scenario we wrote and cannot read back is a bug of ours: shown, and it fails
            output.error(error)
        run_plan = RunPlan(scenarios, browsers, routing, snippet, report_dir, args.jobs, VisualOptions(),
                           settings.base_url, settings.site_api, settings.observation_window * 1000.0,
                           proxy_host=settings.proxy_host)
        done = iter(range(1, len(run_plan.runs()) + 1))
        outcome = execute(run_plan, on_verdict=lambda v: output.line(f"[{next(done)}/{len(run_plan.runs())}] "
                                                                      + _progress_line(v)))
    shown = None if settings.snippet is None else str(settings.snippet)
    invocation = Invocation.now(getattr(args, "argv", sys.argv[1:]), shown, snippet, None)
    _write_report(outcome, report_dir, invalid, invocation, output)
    statuses = {v.result.scenario.slug: str(v.status) for v in outcome.verdicts}
    output.line("")
    for line in summary_lines(found.pages, targets, untested, statuses):
        output.line(line)
    if not scenarios and not invalid:
        output.line("no form to test: nothing was run")
        return ExitStatus.OK
    return _run_status(outcome, scenarios, bool(invalid), [str(folder)], output)


def _crawl_progress(output: Output) -> Callable[[PageFound], None]:
    """A line per page loaded: how many pages so far, the forms found so far."""
    pages, forms = [0], [0]

    def report(page: PageFound) -> None:
        pages[0] += 1
        forms[0] += len(page.forms)
        output.line(f"page {pages[0]}: {page.url} (depth {page.depth}): {len(page.forms)} form(s); "
                    f"{forms[0]} form(s) so far")

    return report


COMMANDS: dict[str, Callable[[argparse.Namespace, Output], ExitStatus]] = {
    "run": command_run,
    "scan": command_scan,
    "diff": command_diff,
    "verify": command_verify,
    "approve": command_approve,
    "init": command_init,
    "merge": command_merge,
}


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Entry point of ``telltale`` and ``python -m harness``; returns the exit status."""
    output = Output(stdout or sys.stdout, stderr or sys.stderr)
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv
    try:
        parser = build_parser()
        if not argv:
            parser.print_help(file=output.out)
            return ExitStatus.INVALID_INPUT
        try:
            with contextlib.redirect_stdout(output.out):  # --help and --version print to the injected stream
                args = parser.parse_args(argv)
        except SystemExit as done:
            return ExitStatus.OK if done.code in (0, None) else ExitStatus.INVALID_INPUT
        args.argv = argv  # the command as given, recorded in results.json to reproduce the run
        return COMMANDS[args.command](args, output)
    except KeyboardInterrupt:
        output.error("interrupted")
        return ExitStatus.INTERRUPTED
    except (BrowserLaunchError, EnvironmentProblem) as error:
        output.error(str(error))
        return ExitStatus.ENVIRONMENT
    except TelltaleError as error:
        if show_traceback:
            traceback.print_exc(file=output.err)
        output.error(str(error))
        return ExitStatus.INVALID_INPUT


__all__ = ["ExitStatus", "main"]
