"""A collector that fails on purpose, for the snippet's delivery tests: a real HTTP server on 127.0.0.1 that the test
drives. The next posts can be answered with a status (``answer``), held past the snippet's timeout (``stall``) or
have their connection reset without an answer (``reset``); inside ``with down():`` every post fails. Every batch
that arrives is recorded, decoded (gzip or plain) and schema-checked, whatever it was answered.

It also serves the snippet test pages (tests/snippet_pages) on GET, so a page and its collector share the origin
(:attr:`FaultCollector.origin`): a public page may not post to a loopback address in Chromium (Local Network
Access), and the same origin needs no CORS. HTTP/1.0: one connection per request, so a reset cannot be
hidden by the browser retrying on another request's connection.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from harness.replay.events import Batch, BatchError, decode_batch, validate

FaultKind = Literal["status", "stall", "reset"]
PATH = "/telltale/collect"
TAKEN = ("204", "stall")  # answers after which the collector holds the batch
PAGES = Path(__file__).resolve().parent / "snippet_pages"
TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Fault:
    """What the collector does to one post instead of taking it: a status, a stall of ``seconds``, or a reset."""

    kind: FaultKind
    status: int = 503
    seconds: float = 0.0


@dataclass(frozen=True)
class Received:
    """One post that reached the collector, and what it was answered (a status, ``stall``, ``reset``)."""

    at: float  # time.monotonic()
    batch: Batch
    answer: str

    @property
    def seq(self) -> int:
        return self.batch.seq


class FaultCollector:
    """The server; use it as a context manager (see the module docstring)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.problems: list[str] = []  # bodies that are no valid batch
        self._faults: deque[Fault] = deque()
        self._down: Fault | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-collector", daemon=True)

    @property
    def origin(self) -> str:
        """Where the test pages are served (``Shop(origin=...)``)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def endpoint(self) -> str:
        """The collector URL to give the snippet."""
        return self.origin + PATH

    def __enter__(self) -> FaultCollector:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, status: int, times: int = 1) -> None:
        """Answer the next ``times`` posts with ``status`` (their batch is recorded, not taken)."""
        self._plan(Fault("status", status=status), times)

    def stall(self, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` posts ``seconds`` before answering 204 (past the snippet's timeout, it gave up)."""
        self._plan(Fault("stall", seconds=seconds), times)

    def reset(self, times: int = 1) -> None:
        """Reset the connection of the next ``times`` posts once their body is read, answering nothing."""
        self._plan(Fault("reset"), times)

    @contextmanager
    def down(self, fault: Fault = Fault("status", status=503)) -> Iterator[None]:
        """Every post meets ``fault`` inside the block."""
        with self._lock:
            self._down = fault
        try:
            yield
        finally:
            with self._lock:
                self._down = None

    def _plan(self, fault: Fault, times: int) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    def next_fault(self) -> Fault | None:
        """The fault for the post that just arrived (None: take it)."""
        with self._lock:
            return self._down or (self._faults.popleft() if self._faults else None)

    def record(self, batch: Batch, answer: str) -> None:
        with self._lock:
            self.received.append(Received(time.monotonic(), batch, answer))

    # What the test asserts on.

    def seqs(self) -> list[int]:
        """Every sequence number taken (see taken()), once each, in order."""
        return sorted({r.seq for r in self.received if r.answer in TAKEN})

    def taken(self) -> list[Batch]:
        """What a collector deduping by (sid, seq) keeps: one batch per sequence number among the posts it took
        (answered 204, if late). Fails the test if any sequence number came with two contents."""
        first: dict[tuple[str, int], Received] = {}
        for r in list(self.received):
            kept = first.setdefault((r.batch.sid, r.seq), r)
            assert dict(kept.batch.raw) == dict(r.batch.raw), f"seq {r.seq} received with different content"
        took = {(r.batch.sid, r.seq): r.batch for r in reversed(self.received) if r.answer in TAKEN}
        return [took[k] for k in sorted(took)]

    def repeats(self) -> int:
        """Posts received beyond the first of their sequence number (retries of a batch the collector had)."""
        return len(self.received) - len({(r.batch.sid, r.seq) for r in self.received})


def _handler(collector: FaultCollector) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: object) -> None:  # quiet: the test reads the records
            pass

        def do_GET(self) -> None:
            name = urlsplit(self.path).path.lstrip("/") or "index.html"
            page = PAGES / name
            if not (page.is_file() and PAGES in page.resolve().parents):
                self._reply(404)
                return
            body = page.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", TYPES.get(page.suffix, "text/html"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                batch = decode_batch(body, self.path)
                validate(batch)
            except BatchError as error:
                collector.problems.append(str(error))
                self._reply(400)
                return
            fault = collector.next_fault()
            if fault is None:
                collector.record(batch, "204")
                self._reply(204)
            elif fault.kind == "status":
                collector.record(batch, str(fault.status))
                self._reply(fault.status)
            elif fault.kind == "stall":
                collector.record(batch, "stall")
                time.sleep(fault.seconds)
                self._reply(204)
            else:
                collector.record(batch, "reset")
                # SO_LINGER 0: close() sends a RST, not a FIN.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                os.close(self.connection.detach())

        def _reply(self, status: int) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:  # the snippet gave up on a stalled post and closed the connection
                pass

    return Handler
