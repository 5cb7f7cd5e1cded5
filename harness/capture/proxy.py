"""The capturing proxy: every request and WebSocket frame a browser sends, recorded at the wire.

Playwright's own ``route``/``request`` events miss beacons sent while a page unloads and, in Firefox over BiDi,
request bodies; a proxy sees both. mitmproxy runs in-process in its own thread with its own event loop: it
terminates TLS with a CA the harness creates, speaks HTTP/1.1, HTTP/2 and WebSocket. What it answers itself and
what it forwards to a real server is each tap's :class:`~harness.capture.routing.Routing`; it connects to no
other server (``connection_strategy=lazy`` plus a check on every connection it would open).
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import fcntl
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from harness.capture.routing import Forward, Party, Routing
from harness.capture.site import is_background_host
from harness.errors import UsageError

Channel = Literal[
    "document", "fetch", "xhr", "beacon", "image", "script", "style", "font", "websocket", "other"
]

_DEST_CHANNELS: dict[str, Channel] = {
    "document": "document",
    "iframe": "document",
    "frame": "document",
    "image": "image",
    "script": "script",
    "style": "style",
    "font": "font",
    "websocket": "websocket",
}


@dataclass(frozen=True)
class CapturedRequest:
    """One HTTP request as the browser sent it."""

    t_ms: float
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    channel: Channel
    page_url: str = ""
    http_version: str = ""  # as the browser spoke it to the proxy: HTTP/1.1 or HTTP/2.0
    party: Party = "third"  # first: an origin under test or the demo site; third: anything else
    status: int = 0  # the answer's status (0: none arrived)
    initiator: str = ""  # the script that sent it, where the browser says (Chromium: "script URL:line")
    sent_ms: float | None = None
    """When the browser began sending it, when earlier than `t_ms`: a request that had to wait for a new
    connection (TCP, CONNECT, TLS) left when the browser opened that connection."""

    @property
    def left_ms(self) -> float:
        """When it left the browser, as near as the wire tells: the order requests and frames were sent in."""
        return self.t_ms if self.sent_ms is None else self.sent_ms

    @property
    def sent_order(self) -> tuple[float, float]:
        """Sorts requests and frames in the order they left the browser (ties as they arrived): the one order in
        which the rules and the redactor both read keystrokes."""
        return self.left_ms, self.t_ms

    def header(self, name: str) -> str:
        """The first value of header ``name`` (case-insensitive), or ``''``."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), "")

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    def __repr__(self) -> str:
        return (
            f"<CapturedRequest {self.method} {self.url} channel={self.channel!r} "
            f"body={len(self.body)}B t={self.t_ms:.0f}ms>"
        )


@dataclass(frozen=True)
class WebSocketFrame:
    """One WebSocket message, in either direction."""

    t_ms: float
    url: str
    direction: Literal["sent", "received"]
    data: bytes
    is_text: bool
    party: Party = "third"

    @property
    def left_ms(self) -> float:
        return self.t_ms  # a frame goes on an open connection: it never waits for one

    @property
    def sent_order(self) -> tuple[float, float]:
        return self.left_ms, self.t_ms

    def __repr__(self) -> str:
        return f"<WebSocketFrame {self.direction} {self.url} {len(self.data)}B t={self.t_ms:.0f}ms>"


def channel_from_headers(method: str, headers: dict[str, str]) -> Channel:
    """Best guess of the channel from Fetch Metadata, for requests Playwright never reported."""
    dest = headers.get("sec-fetch-dest", "")
    if dest in _DEST_CHANNELS:
        return _DEST_CHANNELS[dest]
    if headers.get("upgrade", "").lower() == "websocket":
        return "websocket"
    if dest == "empty" or not dest:
        # sendBeacon is a POST the page cannot read the answer of: no-cors unless its body type forces CORS.
        if method == "POST" and headers.get("sec-fetch-mode", "") == "no-cors":
            return "beacon"
        if "ping-to" in headers or headers.get("content-type", "") == "text/ping":
            return "beacon"
        return "fetch" if dest == "empty" else "other"
    return "other"


@dataclass
class Recording:
    """What the proxy recorded between :meth:`CaptureProxy.begin` and :meth:`CaptureProxy.end`."""

    started: float = field(default_factory=time.monotonic)
    wall_started: float = field(default_factory=time.time)  # to place timestamps the page took itself
    requests: list[CapturedRequest] = field(default_factory=list)
    frames: list[WebSocketFrame] = field(default_factory=list)
    background: int = 0
    upstream_errors: list[str] = field(default_factory=list)  # "<url>: <why>" for each forward that failed

    def t_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000.0

    def t_ms_of(self, wall: float) -> float:
        """`wall` (``time.time()``, as mitmproxy stamps) on this recording's clock."""
        return (wall - self.wall_started) * 1000.0


WAITED_FOR_CONNECTION_S: Final = 0.05
"""A request that arrives this soon after its connection is ready had been waiting for it."""


def sent_at(request_start: float, opened: float, connection_ready: float | None, first: bool) -> float | None:
    """When the browser began sending a request that waited for its connection: when it asked for that
    connection (`opened`: its CONNECT, or its TCP accept), for the `first` request of a connection that came as
    soon as the connection was ready (TLS set up); None for any other request (it left as it came). All times
    are mitmproxy's wall-clock stamps.

    A key sent to a host the browser has no connection to yet reaches the proxy a handshake late, after keys sent
    later over open connections; the asking for the connection puts it back in order. Only the first request: the
    next ones queued on the connection while it was set up were sent later. A connection opened well before its
    first request (a preconnect) says nothing about when the request left.
    """
    ready = opened if connection_ready is None else connection_ready
    return opened if first and request_start - ready <= WAITED_FOR_CONNECTION_S else None


class _Responder:
    """mitmproxy addon: records each request on its listener's tap, then answers it or forwards it as the tap's
    :class:`Routing` says, and records the answer's status."""

    def __init__(self, proxy: CaptureProxy) -> None:
        self.proxy = proxy
        self._served: set[str] = set()  # the client connections that have sent a request (mitmproxy ids)
        self._tunnelled: dict[str, float] = {}  # when each client connection asked for its tunnel (CONNECT)

    def http_connect(self, flow: object) -> None:
        """A browser may keep spare connections to its proxy open: a tunnel is opened when its CONNECT came."""
        from mitmproxy import http

        assert isinstance(flow, http.HTTPFlow)
        self._tunnelled[flow.client_conn.id] = flow.request.timestamp_start

    def client_disconnected(self, client: object) -> None:
        self._served.discard(client.id)  # type: ignore[attr-defined]
        self._tunnelled.pop(client.id, None)  # type: ignore[attr-defined]

    def request(self, flow: object) -> None:
        from mitmproxy import http
        from wsproto.handshake import generate_accept_token

        assert isinstance(flow, http.HTTPFlow)
        request = flow.request
        url = request.pretty_url
        headers = tuple((k, v) for k, v in request.headers.items(multi=True))
        tap = self.proxy.tap_for(flow.client_conn.sockname[1])
        if tap is None:  # a browser still talking to a tap that was closed: answer, record nothing
            flow.response = http.Response.make(204)
            return
        body = request.get_content(strict=False) or b""
        client = flow.client_conn
        first = client.id not in self._served
        self._served.add(client.id)
        opened = self._tunnelled.get(client.id, client.timestamp_start)
        left = sent_at(request.timestamp_start, opened, client.timestamp_tls_setup, first)
        recorded = tap.record_request(request.method, url, headers, body, request.http_version, left)
        route = tap.routing.route(request.method, url, request.headers)
        if isinstance(route, Forward):
            flow.metadata["telltale"] = recorded  # the answer's status is recorded when it arrives
            return
        if request.headers.get("upgrade", "").lower() == "websocket":
            flow.response = http.Response.make(
                101,
                b"",
                {
                    "Upgrade": "websocket",
                    "Connection": "Upgrade",
                    "Sec-WebSocket-Accept": generate_accept_token(
                        request.headers.get("sec-websocket-key", "").encode()
                    ).decode(),
                },
            )
            # A 1xx response must not carry Content-Length (RFC 9110, 8.6); mitmproxy adds one to every response.
            del flow.response.headers["content-length"]
            return
        flow.response = http.Response.make(route.status, route.body, dict(route.headers))
        if recorded is not None:
            tap.record_status(recorded, route.status)

    def response(self, flow: object) -> None:
        from mitmproxy import http

        assert isinstance(flow, http.HTTPFlow)
        recorded = flow.metadata.get("telltale")
        tap = self.proxy.tap_for(flow.client_conn.sockname[1])
        if recorded is not None and tap is not None and flow.response is not None:
            tap.record_status(recorded, flow.response.status_code)

    def error(self, flow: object) -> None:
        """A forwarded request that got no answer (refused, TLS failure, timeout): kept for the run's error."""
        from mitmproxy import http

        assert isinstance(flow, http.HTTPFlow)
        tap = self.proxy.tap_for(flow.client_conn.sockname[1])
        if tap is not None and flow.error is not None and "telltale" in flow.metadata:
            tap.record_upstream_error(flow.request.pretty_url, flow.error.msg)

    def server_connect(self, data: object) -> None:
        """Only what a tap's routing forwards may reach a server; anything else is refused and counted."""
        server, client = data.server, data.client  # type: ignore[attr-defined]
        tap = self.proxy.tap_for(client.sockname[1])
        address = server.address
        if tap is not None and address is not None and tap.routing.may_connect(str(address[0]), int(address[1])):
            return
        self.proxy.upstream_attempts += 1
        server.error = "telltale connects only to the origins under test"

    def websocket_message(self, flow: object) -> None:
        from mitmproxy import ctx, http

        assert isinstance(flow, http.HTTPFlow) and flow.websocket is not None
        message = flow.websocket.messages[-1]
        direction: Literal["sent", "received"] = "sent" if message.from_client else "received"
        tap = self.proxy.tap_for(flow.client_conn.sockname[1])
        if tap is None:
            return
        tap.record_frame(flow.request.pretty_url, direction, message.content, message.is_text)
        if message.from_client and not message.injected and "telltale" not in flow.metadata:
            # No server behind an answered handshake: drop the frame and echo it back, as an echo server would.
            message.drop()
            ctx.master.commands.call("inject.websocket", flow, True, message.content, message.is_text)


class Tap:
    """One listening port of the proxy and what arrived on it: each browser gets its own tap."""

    def __init__(self, host: str, port: int, routing: Routing) -> None:
        self.host = host
        self.port = port
        self.routing = routing  # may be widened between runs (more origins under test); read per request
        self._lock = threading.Lock()
        self._recording = Recording()

    @property
    def server(self) -> str:
        """``host:port`` for a browser's proxy settings."""
        return f"{self.host}:{self.port}"

    @property
    def recording(self) -> Recording:
        return self._recording

    def begin(self) -> Recording:
        """Start a fresh recording (one per scenario run) and return it."""
        with self._lock:
            self._recording = Recording()
            return self._recording

    def end(self) -> Recording:
        """Stop recording into the current recording and return it."""
        with self._lock:
            recording, self._recording = self._recording, Recording()
            return recording

    def record_request(
        self, method: str, url: str, headers: tuple[tuple[str, str], ...], body: bytes, http_version: str = "",
        left_wall: float | None = None,
    ) -> tuple[Recording, int] | None:
        """Record one request; returns where it was put (to add its answer's status), None if not kept.
        ``left_wall``: when the browser began sending it, for a request that waited for its connection (`sent_at`)."""
        lowered = {k.lower(): v for k, v in headers}
        with self._lock:
            recording = self._recording
            if is_background_host(urlsplit(url).hostname or ""):
                recording.background += 1
                return None
            t_ms = recording.t_ms()
            sent_ms = None if left_wall is None else min(t_ms, max(0.0, recording.t_ms_of(left_wall)))
            recording.requests.append(
                CapturedRequest(
                    t_ms=t_ms,
                    sent_ms=sent_ms,
                    method=method,
                    url=url,
                    headers=headers,
                    body=body,
                    channel=channel_from_headers(method, lowered),
                    page_url=lowered.get("referer", ""),
                    http_version=http_version,
                    party=self.routing.party(url),
                )
            )
            return recording, len(recording.requests) - 1

    def record_status(self, where: tuple[Recording, int], status: int) -> None:
        recording, index = where
        with self._lock:
            recording.requests[index] = dataclasses.replace(recording.requests[index], status=status)

    def record_upstream_error(self, url: str, why: str) -> None:
        with self._lock:
            self._recording.upstream_errors.append(f"{url}: {why}")

    def record_frame(self, url: str, direction: Literal["sent", "received"], data: bytes, is_text: bool) -> None:
        with self._lock:
            recording = self._recording
            frame = WebSocketFrame(recording.t_ms(), url, direction, data, is_text, self.routing.party(url))
            recording.frames.append(frame)

    def __repr__(self) -> str:
        return f"<Tap {self.server} requests={len(self._recording.requests)}>"


def _ignore_websocket_close_crash(record: logging.LogRecord) -> bool:
    """Drop one known, harmless mitmproxy 11 error.

    When a page closes a WebSocket, mitmproxy forwards the close frame to the server; there is none behind our
    proxy (it answered the handshake itself), and mitmproxy logs a KeyError for the server connection it never
    opened, then closes the client connection, which was closing anyway. Every frame is recorded before that.
    """
    if record.getMessage() != "mitmproxy has crashed!" or not record.exc_info:
        return True
    error = record.exc_info[1]
    return not (isinstance(error, KeyError) and "Server(" in str(error))


def _quiet_on_cancel(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
    """Connections cancelled at shutdown are expected; anything else goes to asyncio's default handler."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)


# The proxy's start and each tap's listener are waited for, not slept on; this bound only ends a hang. A loaded
# machine (load 20 on 2 cores) took 15 s to start it, and 30 s were not always enough.
STARTUP_LIMIT_S = 120.0
QUIET_MS = 600  # the network counts as quiet after this long without a new request
QUIET_LIMIT_MS = 6_000  # ... and the wait for it is bounded


def wait_for_quiet(recording: Recording, quiet_ms: float = QUIET_MS, limit_ms: float = QUIET_LIMIT_MS) -> None:
    """Wait until no request or frame arrived for ``quiet_ms``, or ``limit_ms`` passed."""
    deadline = time.monotonic() + limit_ms / 1000.0
    while time.monotonic() < deadline:
        events = len(recording.requests) + len(recording.frames)
        time.sleep(quiet_ms / 1000.0)
        if len(recording.requests) + len(recording.frames) == events:
            return


def ensure_ca(confdir: Path) -> Path:
    """Create the harness's CA in ``confdir`` once, before proxies in several threads need it. Processes that
    share the folder (pytest-xdist workers, parallel CI jobs) take turns: mitmproxy writes its files in place,
    and a second process could read one half-written."""
    from mitmproxy.certs import CertStore

    confdir.mkdir(parents=True, exist_ok=True)
    with open(confdir / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            CertStore.from_store(confdir, "mitmproxy", 2048)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return confdir / "mitmproxy-ca-cert.pem"


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class CaptureProxy:
    """An intercepting proxy on loopback, in a background thread, with one listening port (a :class:`Tap`)
    per browser. mitmproxy keeps process-wide state (``mitmproxy.ctx``), so a process runs one proxy
    (:meth:`shared`) and opens a tap per browser, each serving its own site.

    ``confdir`` holds the CA (``mitmproxy-ca-cert.pem``), created on first use.
    """

    _shared: CaptureProxy | None = None
    _shared_lock = threading.Lock()

    def __init__(self, confdir: Path, host: str = "127.0.0.1") -> None:
        self.confdir = confdir
        self.host = host
        self._taps: dict[int, Tap] = {}
        self._taps_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._master: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.upstream_attempts = 0  # connections mitmproxy tried to open to real servers: must stay 0

    @classmethod
    def shared(cls, confdir: Path, host: str = "127.0.0.1") -> CaptureProxy:
        """The process's proxy, listening on ``host``, started on first use and stopped when the process exits.
        mitmproxy keeps process-wide state: one process, one proxy, so one listening address."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls(confdir, host).start()
                atexit.register(cls._shared.stop)
            elif cls._shared.host != host:
                raise UsageError(f"the capturing proxy of this process already listens on {cls._shared.host}; "
                                 f"it cannot also listen on {host}")
            return cls._shared

    def tap_for(self, port: int) -> Tap | None:
        return self._taps.get(port)

    # -- taps --------------------------------------------------------------------------------------------------

    def open_tap(self, routing: Routing) -> Tap:
        """A new listening port answering as ``routing`` says; returns once it accepts connections."""
        tap = Tap(self.host, _free_port(self.host), routing)
        with self._taps_lock:
            self._taps[tap.port] = tap
            self._apply_modes()
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex((self.host, tap.port)) == 0:
                    return tap
            time.sleep(0.02)
        raise RuntimeError(f"the capture proxy did not listen on {tap.server} within {STARTUP_LIMIT_S:g} s")

    def close_tap(self, tap: Tap) -> None:
        """Stop listening on ``tap``'s port."""
        with self._taps_lock:
            if self._taps.pop(tap.port, None) is not None:
                self._apply_modes()

    def _apply_modes(self) -> None:
        modes = [f"regular@{self.host}:{port}" for port in self._taps]
        # Upstream certificates are verified unless a tap's user said to trust its origins (self-signed dev TLS).
        insecure = any(tap.routing.trust_upstream for tap in self._taps.values())
        if self._loop is None or self._master is None:
            return
        master = self._master
        done = threading.Event()

        def update() -> None:
            try:
                master.options.update(
                    mode=modes or [f"regular@{self.host}:{_free_port(self.host)}"], ssl_insecure=insecure
                )
            finally:
                done.set()

        self._loop.call_soon_threadsafe(update)
        done.wait(STARTUP_LIMIT_S)

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> CaptureProxy:
        """Start the proxy thread (with no tap yet) and wait until it runs."""
        ensure_ca(self.confdir)
        self._thread = threading.Thread(target=self._serve, name="telltale-capture", daemon=True)
        self._thread.start()
        if not self._ready.wait(STARTUP_LIMIT_S):
            raise RuntimeError(f"the capture proxy did not start within {STARTUP_LIMIT_S:g} s")
        if self._error is not None:
            raise RuntimeError(f"the capture proxy failed to start: {self._error}") from self._error
        return self

    def stop(self) -> None:
        """Shut the proxy down and wait for its thread."""
        if self._loop is not None and self._master is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._master.shutdown)
            except RuntimeError:
                pass  # the loop already ended
        if self._thread is not None:
            self._thread.join(10)
        self._thread = None

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported to start(); the thread must not die silently
            self._error = error
            self._ready.set()

    async def _main(self) -> None:
        from mitmproxy import options
        from mitmproxy.tools.dump import DumpMaster

        # mitmproxy logs every client disconnect at info level; the harness reports what matters itself.
        logging.getLogger("mitmproxy").setLevel(logging.ERROR)
        logging.getLogger("mitmproxy.proxy.server").addFilter(_ignore_websocket_close_crash)
        # mitmproxy needs a mode to start with: a placeholder port, replaced when the first tap opens.
        opts = options.Options(mode=[f"regular@{self.host}:{_free_port(self.host)}"], confdir=str(self.confdir))
        master = DumpMaster(opts, with_termlog=False, with_dumper=False)
        opts.update(connection_strategy="lazy", http2=True, websocket=True, ssl_insecure=False)
        master.addons.add(_Responder(self))
        self._loop = asyncio.get_running_loop()
        self._loop.set_exception_handler(_quiet_on_cancel)
        self._master = master
        run = asyncio.ensure_future(master.run())
        # Taps change the listening ports through option updates: only once the servers are up (a hang is
        # bounded by start()'s wait, not here: ready must mean listening).
        proxyserver = master.addons.get("proxyserver")
        while not (proxyserver.listen_addrs() or run.done()):
            await asyncio.sleep(0.02)
        self._ready.set()
        await run
