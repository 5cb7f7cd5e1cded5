"""WebServer (harness/run/webserver.py) with real processes: started and waited for, reused, refused, timed out,
failed at once, and stopped with its whole process group."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.errors import WebServerError
from harness.run.webserver import WebServer, probe

PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(port: int) -> str:
    """A shell command serving the working directory on ``port``."""
    return f"{PYTHON} -m http.server {port} --bind 127.0.0.1"


def live_members(group: int) -> list[int]:
    """Processes of a process group that still run (zombies left to a parent that never reaps them do not)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _, pgrp = stat[stat.rfind(")") + 2:].split()[:3]
        if int(pgrp) == group and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in ("Z", "X")


def wait_for(condition: object, what: str, timeout_s: float = 10.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def running(port: int, tmp_path: Path) -> Iterator[str]:
    """A server already running on ``port`` (not started by WebServer); its URL."""
    process = subprocess.Popen(serve(port).split(), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for(lambda: probe(url) is None, "the test's own server")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_command_is_started_and_waited_for_and_its_output_logged(port: int, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "report" / "web-server.log"
    assert probe(url) is not None
    with WebServer(serve(port), url, timeout_s=20, cwd=tmp_path, log=log) as server:
        assert probe(url) is None, "the URL must answer as soon as the context is entered"
        assert not server.reused and server.process is not None
    assert probe(url) is not None, "the server must be stopped on exit"
    assert '"GET / HTTP/1.1" 200' in log.read_text(), "the server's output goes to the log file"


def test_the_whole_process_group_is_stopped_on_exit(port: int, tmp_path: Path) -> None:
    pid_file = tmp_path / "sleep.pid"
    # The shell stays (two commands), with two children: a background sleep and the server.
    command = f"sleep 300 & echo $! > {pid_file}; {serve(port)}"
    url = f"http://127.0.0.1:{port}/"
    with WebServer(command, url, timeout_s=20, cwd=tmp_path) as server:
        assert server.process is not None
        group = server.process.pid
        sleep_pid = int(pid_file.read_text())
        assert alive(sleep_pid) and len(live_members(group)) >= 3
    assert live_members(group) == []
    assert not alive(sleep_pid) and not alive(group)
    assert probe(url) is not None


def test_a_server_that_ignores_sigterm_is_killed_after_the_grace(port: int, tmp_path: Path) -> None:
    script = tmp_path / "stubborn.py"
    script.write_text(
        "import os, signal, sys\n"
        "from http.server import HTTPServer, SimpleHTTPRequestHandler\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "open(sys.argv[2], 'w').write(str(os.getpid()))\n"
        "HTTPServer(('127.0.0.1', int(sys.argv[1])), SimpleHTTPRequestHandler).serve_forever()\n"
    )
    pid_file = tmp_path / "server.pid"
    url = f"http://127.0.0.1:{port}/"
    with WebServer(f"{PYTHON} {script} {port} {pid_file}", url, timeout_s=20, cwd=tmp_path, stop_grace_s=0.5):
        server_pid = int(pid_file.read_text())
        stopping = time.monotonic()
    assert not alive(server_pid)
    assert 0.5 <= time.monotonic() - stopping < 5, "SIGKILL comes after the grace, not before, not much later"


def test_a_command_that_exits_at_once_is_an_error_with_its_last_output(port: int, tmp_path: Path) -> None:
    command = "echo booting; echo reading .env; echo 'listening on :3000'; echo 'error: port 3000 in use' >&2; exit 3"
    url = f"http://127.0.0.1:{port}/"
    started = time.monotonic()
    with pytest.raises(WebServerError) as error:
        WebServer(command, url, timeout_s=30, cwd=tmp_path).start()
    assert time.monotonic() - started < 10, "an exited command must not wait for the timeout"
    message = str(error.value)
    assert re.fullmatch(
        rf"web server {re.escape(url)}: its command exited with status 3 after \d+\.\ds, before the URL answered; "
        r"last output: reading \.env \| listening on :3000 \| error: port 3000 in use",
        message,
    ), message


def test_a_command_that_never_answers_times_out_and_is_stopped(port: int, tmp_path: Path) -> None:
    pid_file = tmp_path / "shell.pid"
    command = f"echo $$ > {pid_file}; echo 'compiling assets'; sleep 300"
    url = f"http://127.0.0.1:{port}/"
    started = time.monotonic()
    with pytest.raises(WebServerError) as error:
        WebServer(command, url, timeout_s=0.5, cwd=tmp_path).start()
    assert time.monotonic() - started < 8
    assert str(error.value) == (
        f"web server {url} did not answer within 0.5s (last try: connection refused); last output: compiling assets"
    )
    assert live_members(int(pid_file.read_text())) == [], "a server that timed out must not be left running"


def test_a_server_already_answering_is_reused(running: str, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    with WebServer(f"touch {marker}", running, timeout_s=5, cwd=tmp_path) as server:
        assert server.reused and server.process is None
    assert not marker.exists(), "nothing may be started when the URL already answers"
    assert probe(running) is None, "a reused server is not ours to stop"


def test_a_server_already_answering_is_an_error_when_reuse_is_off(running: str, tmp_path: Path) -> None:
    with pytest.raises(WebServerError) as error:
        WebServer("true", running, reuse_existing=False, cwd=tmp_path).start()
    assert str(error.value) == (
        f"web server {running} already answers before its command started: stop what runs there, "
        "or set web_server.reuse_existing = true to use it"
    )


def test_a_missing_working_folder_is_an_error(port: int, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{port}/"
    with pytest.raises(WebServerError) as error:
        WebServer("true", url, cwd=tmp_path / "missing").start()
    assert str(error.value) == f"web server {url}: cannot run 'true' in {tmp_path / 'missing'}: No such file or directory"


class _Statuses(http.server.BaseHTTPRequestHandler):
    """Answers GET /<status> with that status (a redirect goes to a port nothing listens on)."""

    dead_port = 0

    def do_GET(self) -> None:
        status = int(self.path.strip("/"))
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", f"http://127.0.0.1:{self.dead_port}/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def statuses() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Statuses)
    _Statuses.dead_port = free_port()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "why"),
    [(200, None), (204, None), (302, None), (401, None), (404, None), (499, None), (500, "HTTP 500"), (503, "HTTP 503")],
)
def test_any_status_below_500_is_an_answer(statuses: str, status: int, why: str | None) -> None:
    assert probe(f"{statuses}/{status}") == why


def test_nothing_listening_is_not_an_answer(port: int) -> None:
    assert probe(f"http://127.0.0.1:{port}/") == "connection refused"


def test_a_server_answering_500_is_waited_for_until_the_timeout(statuses: str, tmp_path: Path) -> None:
    with pytest.raises(WebServerError, match=r"did not answer within 0\.3s \(last try: HTTP 503\); last output: \(none\)$"):
        WebServer("sleep 30", f"{statuses}/503", timeout_s=0.3, reuse_existing=False, cwd=tmp_path).start()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key, as a local HTTPS dev server has; (cert, key) files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dev server")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_a_self_signed_https_server_is_an_answer(tmp_path: Path) -> None:
    cert_file, key_file = self_signed(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Statuses)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        assert probe(f"https://127.0.0.1:{server.server_address[1]}/204") is None
    finally:
        server.shutdown()
        server.server_close()
