"""The application under test, started for the runs and stopped after them (like Playwright Test's ``webServer``).

:class:`WebServer` is a context manager. On entry, when ``reuse_existing`` is set and the URL already answers,
it starts nothing (a developer's server keeps running). Otherwise it runs ``command`` through the shell in a
process group of its own, its output (stdout and stderr) in the log file, and polls the URL until it answers. On
exit it stops the whole group: SIGTERM, then SIGKILL for whatever is left after a grace period, so the shell, the
server and anything they spawned (a bundler's watcher, a worker pool) are gone.

**Answering** means an HTTP response with a status below 500, whatever its body: a redirect, a 404 or a 401 all
say that the server is up; a 5xx is what proxies and app servers send while the application behind them is still
starting, so polling goes on. Redirects are not followed and TLS certificates are not checked (a local dev server's
is often self-signed: readiness is not the place to judge it). Proxy variables are ignored: the URL is local.

POSIX only (process groups and signals).
"""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Final

from harness.errors import WebServerError

POLL_TIMEOUT_S: Final = 1.0  # one request's timeout while polling
TAIL_LINES: Final = 3  # lines of the server's output an error shows
_TAIL_BYTES: Final = 16_384


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer: report it as its status instead of following it somewhere that may not answer."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    unchecked = ssl.create_default_context()
    unchecked.check_hostname = False
    unchecked.verify_mode = ssl.CERT_NONE
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=unchecked), _NoRedirect()
    )


def probe(url: str, timeout_s: float = POLL_TIMEOUT_S) -> str | None:
    """None when ``url`` answers (an HTTP status below 500); else why not, in a few words (``HTTP 503``,
    ``connection refused``, ``timed out``)."""
    try:
        with _opener().open(url, timeout=timeout_s) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, OSError) and reason.strerror:
            return reason.strerror.lower()
        return str(reason)
    except (OSError, ValueError) as error:  # a reset or a timeout mid-response; a malformed status line
        return str(error) or type(error).__name__
    return None if status < 500 else f"HTTP {status}"


class WebServer:
    """A web server the runs need: reused if already answering (``reuse_existing``), else started and stopped.

    ``log`` receives the server's output (the caller keeps it in the report folder); without one, the output goes
    to a temporary file, read only for error messages. ``stop_grace_s`` is how long the group has to exit after
    SIGTERM before SIGKILL.
    """

    def __init__(
        self,
        command: str,
        url: str,
        timeout_s: float = 60,
        reuse_existing: bool = True,
        cwd: Path | None = None,
        log: Path | None = None,
        stop_grace_s: float = 5.0,
    ) -> None:
        self.command = command
        self.url = url
        self.timeout_s = timeout_s
        self.reuse_existing = reuse_existing
        self.cwd = cwd
        self.log = log
        self.stop_grace_s = stop_grace_s
        self.process: subprocess.Popen[bytes] | None = None
        self.reused = False  # True when the URL already answered and nothing was started
        self._output: IO[bytes] | None = None

    def __repr__(self) -> str:
        state = "reused" if self.reused else f"pid={self.process.pid}" if self.process else "stopped"
        return f"<WebServer url={self.url!r} command={self.command!r} {state}>"

    def __enter__(self) -> WebServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Reuse the server at the URL, or start the command and wait until the URL answers; raises
        :class:`WebServerError` (the server is stopped first) when it exits or ``timeout_s`` passes."""
        if probe(self.url) is None:
            if self.reuse_existing:
                self.reused = True
                return
            raise WebServerError(
                f"web server {self.url} already answers before its command started: stop what runs there, "
                f"or set web_server.reuse_existing = true to use it"
            )
        self._launch()
        try:
            self._wait()
        except BaseException:  # Ctrl-C while waiting too: never leave a server behind
            self.stop()
            raise

    def _launch(self) -> None:
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            self._output = self.log.open("w+b")
        else:
            self._output = tempfile.TemporaryFile()  # noqa: SIM115  (open while the server runs; closed by stop)
        # Python servers buffer their output when it is not a terminal; unbuffered, an error shows its last lines.
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            self.process = subprocess.Popen(
                self.command, shell=True, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=self._output,
                stderr=subprocess.STDOUT, start_new_session=True, env=environment,
            )
        except OSError as error:  # the shell is always there: this is a missing or unreadable cwd
            self._close_output()
            raise WebServerError(
                f"web server {self.url}: cannot run {self.command!r} in {self.cwd}: {error.strerror or error}"
            ) from None

    def _wait(self) -> None:
        assert self.process is not None
        started = time.monotonic()
        pause = 0.05
        while True:
            why = probe(self.url, min(POLL_TIMEOUT_S, max(0.1, started + self.timeout_s - time.monotonic())))
            if why is None:
                return
            waited = time.monotonic() - started
            status = self.process.poll()
            if status is not None:
                raise WebServerError(
                    f"web server {self.url}: its command exited with status {status} after {waited:.1f}s, "
                    f"before the URL answered; last output: {self._tail()}"
                )
            if waited >= self.timeout_s:
                raise WebServerError(
                    f"web server {self.url} did not answer within {self.timeout_s:g}s (last try: {why}); "
                    f"last output: {self._tail()}"
                )
            time.sleep(min(pause, max(0.0, started + self.timeout_s - time.monotonic())))
            pause = min(pause * 2, 0.5)

    def _tail(self) -> str:
        """The last lines the server printed, joined with `` | `` (``(none)`` when it printed nothing)."""
        if self._output is None:
            return "(none)"
        descriptor = self._output.fileno()
        size = os.fstat(descriptor).st_size
        # pread: the server shares this file's offset, which a read would move under its writes
        data = os.pread(descriptor, _TAIL_BYTES, max(0, size - _TAIL_BYTES))
        lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
        return " | ".join(lines[-TAIL_LINES:]) or "(none)"

    def stop(self) -> None:
        """Stop the server's whole process group, if one was started: SIGTERM, then SIGKILL after the grace."""
        process, self.process = self.process, None
        if process is not None:
            group = process.pid  # start_new_session: the shell leads a group of its own id
            if _signal_group(group, signal.SIGTERM):
                deadline = time.monotonic() + self.stop_grace_s
                while _group_alive(group, process) and time.monotonic() < deadline:
                    time.sleep(0.05)
                if _group_alive(group, process):
                    _signal_group(group, signal.SIGKILL)
                    deadline = time.monotonic() + 2.0
                    while _group_alive(group, process) and time.monotonic() < deadline:
                        time.sleep(0.02)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=1.0)
        self._close_output()

    def _close_output(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None


def _signal_group(group: int, sig: signal.Signals) -> bool:
    """Send ``sig`` to the process group; False when no process of it is left."""
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member changed its credentials; nothing more can be done from here
        return False
    return True


def _group_alive(group: int, leader: subprocess.Popen[bytes]) -> bool:
    """Whether any process of the group still runs. Zombies do not count: the leader is reaped here, but a child
    whose parent died is left to whoever adopts it, which in a container may never reap it."""
    leader.poll()
    proc = Path("/proc")
    if not proc.is_dir():  # no /proc (macOS): a zombie member keeps the group alive until the SIGKILL deadline
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for entry in proc.iterdir():
        stat = _stat_of(entry) if entry.name.isdigit() else None
        if stat is not None and stat[0] == group and stat[1] not in ("Z", "X"):
            return True
    return False


def _stat_of(entry: Path) -> tuple[int, str] | None:
    """(process group, state letter) of a /proc/<pid> entry; None when it is gone or unreadable."""
    try:
        stat = (entry / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp ...
    return (int(fields[2]), fields[0]) if len(fields) > 2 else None
