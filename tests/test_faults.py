"""The harness under faults: a missing file or a bug in a run or a worker, a browser killed mid-run, Ctrl-C, a
crash while the report is written. No run is ever lost, the exit status is never 0 on nothing, and no folder
that a crash left half-written ever verifies."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import harness.pipeline
from harness.cli import ExitStatus, main
from harness.errors import BrowserLaunchError
from harness.report import files, manifest
from harness.run.scenario import Scenario

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"

# Run with no snippet on a page that tracks nothing: silence is expected, so a run that ends passes.
QUICK = """
name: {name}
silent: true
start: https://shop.test/login.html
steps:
  - click: "#email"
  - expect: "#password"
"""

LONG = """
name: {name}
silent: true
start: https://shop.test/login.html
steps:
  - click: "#email"
  - wait: {ms}
  - expect: "#password"
"""


def _scenarios(folder: Path, **texts: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for slug, text in texts.items():
        (folder / f"{slug}.yaml").write_text(text)
    return folder


def _main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def thread_crashes() -> Iterator[list[str]]:
    """Every exception that escaped a thread during the test (it would have printed a thread traceback)."""
    escaped: list[str] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: escaped.append(f"{args.exc_type.__name__}: {args.exc_value}")
    yield escaped
    threading.excepthook = previous


# -- a run or a worker that breaks --------------------------------------------------------------------------------


class _BrokenWorker:
    """A worker whose browser setup dies on a missing file (as a non-editable install missing a resource did)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __enter__(self) -> _BrokenWorker:
        raise FileNotFoundError(2, "No such file or directory", "/site-packages/harness/resources/gone.js")

    def __exit__(self, *exc: object) -> None:
        pass


def test_a_worker_that_dies_leaves_error_runs_and_a_failing_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, thread_crashes: list[str]
) -> None:
    folder = _scenarios(tmp_path / "s", first=QUICK.format(name="First"), second=QUICK.format(name="Second"))
    monkeypatch.setattr(harness.pipeline, "Worker", _BrokenWorker)
    report = tmp_path / "report"
    status, out, err = _main("run", str(folder), "--site", str(SITE), "--no-snippet", "--report", str(report))
    assert thread_crashes == []
    assert status == ExitStatus.CHECK_FAILED, out + err
    assert "0 passed, 0 failed, 0 inconclusive, 2 errors" in out and "Traceback" not in out + err
    runs = json.loads((report / "results.json").read_text())["runs"]
    assert [(r["slug"], r["status"]) for r in runs] == [("first", "error"), ("second", "error")]
    for run in runs:
        assert run["error"] == (f"{run['file']}: not run: its chromium worker failed: FileNotFoundError: [Errno 2] "
                                "No such file or directory: '/site-packages/harness/resources/gone.js'")
    assert manifest.verify(report).ok


def test_a_run_that_breaks_is_an_error_and_the_worker_carries_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, thread_crashes: list[str]
) -> None:
    folder = _scenarios(tmp_path / "s", first=QUICK.format(name="First"), second=QUICK.format(name="Second"))
    run_scenario = harness.pipeline.run_scenario

    def missing_file_in_first(worker: Any, scenario: Scenario, *args: Any) -> Any:
        if scenario.slug == "first":
            raise FileNotFoundError(2, "No such file or directory", "page_probe.js")
        return run_scenario(worker, scenario, *args)

    monkeypatch.setattr(harness.pipeline, "run_scenario", missing_file_in_first)
    report = tmp_path / "report"
    status, out, err = _main("run", str(folder), "--site", str(SITE), "--no-snippet", "--report", str(report),
                             "--browser", "chromium")
    assert thread_crashes == []
    assert status == ExitStatus.CHECK_FAILED, out + err
    assert "1 passed, 0 failed, 0 inconclusive, 1 errors" in out and "Traceback" not in out + err
    first, second = json.loads((report / "results.json").read_text())["runs"]
    assert first["status"] == "error" and second["status"] == "passed"
    assert first["error"] == (f"{first['file']}: the harness failed: FileNotFoundError: [Errno 2] No such file or "
                              "directory: 'page_probe.js'")


def test_scenarios_given_and_no_run_is_never_a_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _scenarios(tmp_path / "s", first=QUICK.format(name="First"))
    monkeypatch.setattr("harness.cli.execute", lambda plan, on_verdict: harness.pipeline.Outcome())
    status, out, err = _main("run", str(folder), "--site", str(SITE), "--no-snippet", "--report", str(tmp_path / "r"))
    assert status == ExitStatus.ENVIRONMENT
    assert "0 passed, 0 failed, 0 inconclusive, 0 errors" in out and err == "telltale: error: no run was carried out\n"


# -- a browser killed mid-run -------------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _browsers_under(root: int) -> set[int]:
    """Main browser processes below ``root``: those whose parent is a Playwright driver (node)."""
    tree, found, todo = _children(), set(), [root]
    while todo:
        pid = todo.pop()
        for child in tree.get(pid, []):
            todo.append(child)
            try:
                parent_exe = os.readlink(f"/proc/{pid}/exe")
                command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0].decode()
            except OSError:
                continue
            if Path(parent_exe).name.startswith("node") and ("chrom" in command or "firefox" in command):
                found.add(child)
    return found


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_a_browser_killed_mid_run_errs_that_run_only(
    tmp_path: Path, engine: str, thread_crashes: list[str]
) -> None:
    folder = _scenarios(tmp_path / "s", a_long=LONG.format(name="Long wait", ms=30_000), b_after=QUICK.format(name="After"))
    report = tmp_path / "report"
    before = _browsers_under(os.getpid())
    killed: list[int] = []

    def kill_during_the_wait() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            fresh = _browsers_under(os.getpid()) - before
            if fresh and (report / "runs" / f"a_long-{engine}").is_dir():
                time.sleep(2)  # into the 30 s wait
                for pid in fresh:
                    os.kill(pid, signal.SIGKILL)
                killed.extend(fresh)
            time.sleep(0.2)

    killer = threading.Thread(target=kill_during_the_wait)
    killer.start()
    status, out, err = _main("run", str(folder), "--site", str(SITE), "--no-snippet", "--report", str(report),
                             "--browser", engine)
    killer.join()
    assert killed, "no browser process was found to kill"
    assert thread_crashes == [] and "Traceback" not in out + err
    assert status == ExitStatus.CHECK_FAILED, out + err
    long, after = json.loads((report / "results.json").read_text())["runs"]
    assert (long["status"], long["error"]) == ("error", f"{long['file']}: the browser crashed or closed during the run")
    assert long["duration_ms"] < 25_000, "the run waited out its 30 s step instead of seeing its browser die"
    assert after["status"] == "passed", after["error"]  # a fresh browser ran it
    assert "1 passed, 0 failed, 0 inconclusive, 1 errors" in out


def test_when_no_fresh_browser_can_start_the_runs_left_are_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, thread_crashes: list[str]
) -> None:
    folder = _scenarios(tmp_path / "s", a_long=LONG.format(name="Long wait", ms=30_000), b_after=QUICK.format(name="After"))
    report = tmp_path / "report"

    def cannot_start(worker: Any) -> None:
        raise BrowserLaunchError("chromium cannot start (out of memory)")

    monkeypatch.setattr(harness.pipeline.Worker, "relaunch", cannot_start)
    before = _browsers_under(os.getpid())

    def kill_during_the_wait() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            fresh = _browsers_under(os.getpid()) - before
            if fresh and (report / "runs" / "a_long-chromium").is_dir():
                time.sleep(2)
                for pid in fresh:
                    os.kill(pid, signal.SIGKILL)
                return
            time.sleep(0.2)

    killer = threading.Thread(target=kill_during_the_wait)
    killer.start()
    status, out, err = _main("run", str(folder), "--site", str(SITE), "--no-snippet", "--report", str(report),
                             "--browser", "chromium")
    killer.join()
    assert thread_crashes == [] and "Traceback" not in out + err
    assert status == ExitStatus.CHECK_FAILED, out + err
    long, after = json.loads((report / "results.json").read_text())["runs"]
    assert long["error"] == f"{long['file']}: the browser crashed or closed during the run"
    assert (after["status"], after["error"]) == ("error", f"{after['file']}: the browser crashed and a fresh one "
                                                          "cannot start: chromium cannot start (out of memory)")


# -- Ctrl-C -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("to_group", [True, False], ids=["terminal", "harness-only"])
def test_ctrl_c_writes_the_finished_runs_as_an_incomplete_report_and_exits_130(tmp_path: Path, to_group: bool) -> None:
    """From a terminal, Ctrl-C reaches the harness, its driver and its browsers; ``kill -INT`` reaches the harness
    alone, and the run under way is abandoned after the grace period."""
    folder = _scenarios(tmp_path / "s", a_first=QUICK.format(name="First"),
                        b_second=LONG.format(name="Second", ms=60_000), c_third=QUICK.format(name="Third"))
    report = tmp_path / "report"
    child = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", str(folder), "--site", str(SITE), "--no-snippet",
         "--report", str(report), "--browser", "chromium"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        # As from a terminal: a suite started in the background (`cmd &` in a script) passes SIGINT on ignored,
        # and Python then never turns it into KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.startswith("PASS  a_first [chromium]"), first
        time.sleep(2)  # the second run is in its wait
        if to_group:
            os.killpg(child.pid, signal.SIGINT)
        else:
            os.kill(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=harness.pipeline.INTERRUPT_GRACE_S + 30)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == ExitStatus.INTERRUPTED, out + err
    assert "Traceback" not in out + err
    abandoned = "" if to_group else "; runs still under way were abandoned"  # its browser did not get the signal
    assert err.splitlines()[-1] == (f"telltale: error: interrupted: 2 run(s) not carried out{abandoned}; "
                                    "the report is marked incomplete")
    assert "2 not run (interrupted): the report is incomplete" in out
    results = json.loads((report / "results.json").read_text())
    assert results["complete"] is False
    assert [(r["slug"], r["status"]) for r in results["runs"]] == [("a_first", "passed")]
    assert [(n["slug"], n["browser"]) for n in results["not_run"]] == [("b_second", "chromium"), ("c_third", "chromium")]
    assert "Incomplete report: the run was interrupted." in (report / "index.html").read_text()
    # The folder is consistent (what the manifest sealed), and says it is incomplete.
    status, out, err = _main("verify", str(report))
    assert status == ExitStatus.OK, out + err
    assert out.splitlines()[-1] == ("incomplete: the run was interrupted; results.json lists the runs that were not "
                                    "carried out")


# -- a crash while the report is written --------------------------------------------------------------------------


def _previous_report(report: Path) -> None:
    """A finished report from an earlier run, sealed by its manifest."""
    (report / "runs" / "old-chromium").mkdir(parents=True)
    (report / "runs" / "old-chromium" / "traffic.json").write_text("{}")
    (report / "results.json").write_text('{"runs": []}')
    (report / "index.html").write_text("<p>old</p>")
    manifest.write_manifest(report)
    assert manifest.verify(report).ok


@pytest.mark.parametrize("writer", ["index.html", "manifest.json"])
def test_a_crash_while_writing_the_report_never_leaves_a_folder_that_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    report = tmp_path / "report"
    _previous_report(report)
    write_whole = files.write_whole

    def disk_full_at(path: Path, data: bytes) -> None:
        if path.name == writer:
            path.with_name(path.name + files.PARTIAL_SUFFIX).write_bytes(data[: len(data) // 2])
            raise OSError(28, "No space left on device")
        write_whole(path, data)

    monkeypatch.setattr(files, "write_whole", disk_full_at)
    folder = _scenarios(tmp_path / "s", first=QUICK.format(name="First"))
    status, out, err = _main("run", str(folder), "--site", str(SITE), "--no-snippet", "--report", str(report),
                             "--browser", "chromium")
    assert status == ExitStatus.ENVIRONMENT, out + err
    assert err == f"telltale: error: cannot write the report in {report}: No space left on device\n"
    # results.json and the run's files are this run's; the old manifest went before any of them was written.
    assert json.loads((report / "results.json").read_text())["runs"][0]["slug"] == "first"
    assert not (report / "runs" / "old-chromium").exists()
    assert not (report / "manifest.json").exists()
    assert _main("verify", str(report))[0] != ExitStatus.OK


def test_a_file_written_whole_keeps_its_old_content_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "results.json"
    target.write_text("old")

    def fail(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(files.os, "fsync", fail)
    with pytest.raises(OSError):
        files.write_whole_text(target, "new and longer")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no partial file left beside it
