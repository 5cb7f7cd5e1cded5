"""A small, real web shop: the "user's own application" the harness's tests run scenarios against (issue 12).

Unlike the demo site (static files the capturing proxy answers itself), this is a server with state: sessions kept in
memory behind an HttpOnly ``sid`` cookie, CSRF tokens checked on every sign-in, real ``303 See Other`` redirects and a
JSON API. The harness reaches it through the capturing proxy, which forwards the requests for origins under test.

Pages (plain HTML and small inline scripts, no external assets; each has a ``<title>`` and the same text in an
``<h1>``; every response is ``Cache-Control: no-store``, and every body has a Content-Type with a charset):

- ``GET /login``: ``#login-form`` (POST ``/login``) with ``#email``, ``#password``, a hidden ``csrf`` token tied to the
  session (the ``sid`` cookie is set on the first visit) and ``#login-submit``. ``POST /login``: a wrong token is a
  403 "Bad CSRF token"; any email with a password of 8 or more characters signs the session in (under a new ``sid``,
  against session fixation) and answers 303 to ``/account``; otherwise the form again, with ``#error``.
- ``GET /account``: "Welcome back" and the email in ``#who`` (marked ``data-sensitive``); signed out, 303 to ``/login``.
- ``GET /spa``: ``#spa-form`` (``#spa-email``, ``#spa-password``) sent by ``fetch`` as JSON to ``POST /api/login``,
  the token in ``X-CSRF-Token``; on success ``#spa-done`` "Signed in" shows and the URL becomes ``/spa#done``
  (``pushState``). ``/api/login`` answers ``{"ok": true}``, 403 for a bad token, 401 for bad credentials.
- ``GET /search``: ``#search-form`` (GET ``/search``) with ``#q``; typing (debounced 150 ms) calls
  ``GET /api/search?q=`` and lists the matching products in ``#results``. The query is never echoed.
- ``GET /leaky``: ``#signup-form`` (POST ``/thanks``) with ``#full-name`` and ``#signup-email``; an inline script
  beacons the email to ``https://collect.tracker.example/k`` on every keyup: a third-party leak before any submit.
- ``GET /ingest-leaky``: the same form, beaconing to the app's own ``POST /ingest`` (204): a first-party leak through
  a self-hosted tracker proxy.
- ``GET /with-snippet``: ``#contact-form`` (``#contact-email``, ``#contact-message``; POST ``/thanks``) with the
  Telltale snippet from ``/static/telltale.min.js`` (the harness's shipped file), which sends to the app's own
  collector, ``POST /telltale/collect`` (204).
- ``GET``/``POST /thanks``: "Thank you". Any other path is a 404 page; a known path with another method, a 405.

In-process: ``app = ShopApp(); base_url = app.start(); ...; app.stop()`` (or ``with ShopApp() as app``);
``app.requests`` lists what was served. As a process, ``python -m tests.apps.shop_app --port 0`` prints
``serving http://127.0.0.1:N`` once it accepts connections, then one line per request.
"""

from __future__ import annotations

import argparse
import json
import secrets
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.message import Message
from html import escape
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from harness.resources import SHIPPED_SNIPPET

HOST: Final = "127.0.0.1"
SESSION_COOKIE: Final = "sid"
MIN_PASSWORD: Final = 8
MAX_BODY: Final = 1 << 20
TRACKER_URL: Final = "https://collect.tracker.example/k"
PRODUCTS: Final = ("Stoneware mug", "Brass desk lamp", "Potted fern", "Linen throw", "Linen napkins", "Canvas tote",
                   "Beeswax candle", "Oak serving board")
HTML: Final = "text/html; charset=utf-8"
JSON: Final = "application/json; charset=utf-8"
JAVASCRIPT: Final = "text/javascript; charset=utf-8"


@dataclass
class Session:
    """One visitor's server-side state: the CSRF token its forms carry, and who signed in (None: nobody)."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    email: str | None = None


@dataclass(frozen=True)
class Served:
    """One request the app answered, as ``app.requests`` lists it (``path`` includes the query)."""

    method: str
    path: str
    status: int


@dataclass(frozen=True)
class Reply:
    """What a page answers; the server adds ``Cache-Control``, the length and, for a new session, its cookie."""

    status: HTTPStatus
    body: bytes = b""
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()


class Visit:
    """One request as a page sees it: its parts, and the visitor's session."""

    def __init__(self, sessions: dict[str, Session], method: str, target: str, headers: Message, body: bytes) -> None:
        parts = urlsplit(target)
        self.method, self.path, self.headers, self.body = method, parts.path, headers, body
        self.query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        self._sessions = sessions
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("Cookie", ""))
        except CookieError:
            pass  # a garbled Cookie header is a visitor without a session
        self.sid = cookies[SESSION_COOKIE].value if SESSION_COOKIE in cookies else None
        self.new_sid: str | None = None  # set when this request starts or renews the session

    def session(self) -> Session | None:
        return self._sessions.get(self.sid) if self.sid else None

    def session_or_start(self) -> Session:
        """The visitor's session, or a new one (the reply then sets its cookie)."""
        return self.session() or self.renew(Session())

    def renew(self, session: Session) -> Session:
        """Keep ``session`` under a fresh id, dropping the old one."""
        if self.sid:
            self._sessions.pop(self.sid, None)
        self.sid = self.new_sid = secrets.token_urlsafe(24)
        self._sessions[self.sid] = session
        return session

    def form(self) -> dict[str, str]:
        text = self.body.decode("utf-8", "replace")
        return {name: values[-1] for name, values in parse_qs(text, keep_blank_values=True).items()}

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


def page(title: str, body: str, script: str = "", status: HTTPStatus = HTTPStatus.OK) -> Reply:
    """An HTML page whose ``<title>`` and ``<h1>`` are ``title``; ``script`` runs inline after the body."""
    tail = f"<script>{script}</script>\n" if script else ""
    text = (f'<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{escape(title)}</title>\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
            f"<body>\n<h1>{escape(title)}</h1>\n{body}\n{tail}</body>\n</html>\n")
    return Reply(status, text.encode("utf-8"))


def data(value: Any, status: HTTPStatus = HTTPStatus.OK) -> Reply:
    return Reply(status, json.dumps(value).encode("utf-8"), JSON)


def redirect(location: str) -> Reply:
    """``303 See Other``: after a POST, the browser follows with a GET."""
    link = f'<p><a href="{escape(location)}">Continue</a></p>'
    return replace(page("Redirecting", link, status=HTTPStatus.SEE_OTHER), headers=(("Location", location),))


def csrf_ok(session: Session | None, token: str | None) -> bool:
    return session is not None and bool(token) and secrets.compare_digest(session.csrf.encode(), (token or "").encode())


def credentials_ok(email: str, password: str) -> bool:
    """Any address will do; the password only needs the length."""
    return "@" in email and len(password) >= MIN_PASSWORD


def matching(query: str) -> list[str]:
    """The products whose name contains ``query`` (any case); nothing typed finds nothing."""
    wanted = query.strip().lower()
    return [name for name in PRODUCTS if wanted in name.lower()] if wanted else []


BAD_CSRF: Final = page("Bad CSRF token", '<p>This form is out of date. <a href="/login">Sign in again</a>.</p>',
                       status=HTTPStatus.FORBIDDEN)
NO_CONTENT: Final = Reply(HTTPStatus.NO_CONTENT)


def login_page(visit: Visit, error: str = "") -> Reply:
    session = visit.session_or_start()
    alert = f'<p id="error" role="alert">{escape(error)}</p>\n' if error else ""
    return page("Sign in", f"""{alert}<form id="login-form" method="post" action="/login">
<input type="hidden" id="csrf" name="csrf" value="{escape(session.csrf)}">
<p><label>Email <input id="email" type="email" name="email" autocomplete="email" required></label></p>
<p><label>Password <input id="password" type="password" name="password" autocomplete="current-password" required></label></p>
<p><button id="login-submit" type="submit">Sign in</button></p>
</form>""")


def sign_in(visit: Visit) -> Reply:
    fields = visit.form()
    if not csrf_ok(visit.session(), fields.get("csrf")):
        return BAD_CSRF
    email = fields.get("email", "").strip()
    if not credentials_ok(email, fields.get("password", "")):
        return login_page(visit, "Wrong email or password")
    visit.renew(Session(email=email))
    return redirect("/account")


def account(visit: Visit) -> Reply:
    session = visit.session()
    if session is None or session.email is None:
        return redirect("/login")
    return page("Your account", f'<p id="welcome">Welcome back, <span id="who" data-sensitive>{escape(session.email)}</span>.</p>\n'
                                '<p><a href="/search">Browse the shop</a></p>')


SPA_SCRIPT: Final = """
const form = document.getElementById('spa-form');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const email = document.getElementById('spa-email').value, password = document.getElementById('spa-password').value;
  const answer = await fetch('/api/login', {method: 'POST',
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': form.dataset.csrf}, body: JSON.stringify({email, password})});
  const result = await answer.json();
  if (result.ok) {
    form.hidden = true;
    document.getElementById('spa-done').hidden = false;
    history.pushState(null, '', '/spa#done');
  } else {
    Object.assign(document.getElementById('spa-error'), {textContent: result.error, hidden: false});
  }
});
"""


def spa_page(visit: Visit) -> Reply:
    session = visit.session_or_start()
    return page("Sign in without leaving the page", f"""<form id="spa-form" data-csrf="{escape(session.csrf)}">
<p><label>Email <input id="spa-email" type="email" name="email" autocomplete="email" required></label></p>
<p><label>Password <input id="spa-password" type="password" name="password" autocomplete="current-password" required></label></p>
<p><button id="spa-submit" type="submit">Sign in</button></p>
</form>
<p id="spa-error" role="alert" hidden></p>
<p id="spa-done" hidden>Signed in</p>""", SPA_SCRIPT)


def api_login(visit: Visit) -> Reply:
    if not csrf_ok(visit.session(), visit.headers.get("X-CSRF-Token")):
        return data({"ok": False, "error": "Bad CSRF token"}, HTTPStatus.FORBIDDEN)
    fields = visit.json()
    email = str(fields.get("email", "")).strip()
    if not credentials_ok(email, str(fields.get("password", ""))):
        return data({"ok": False, "error": "Wrong email or password"}, HTTPStatus.UNAUTHORIZED)
    visit.renew(Session(email=email))
    return data({"ok": True})


SEARCH_SCRIPT: Final = """
const box = document.getElementById('q'), list = document.getElementById('results');
let pending;
box.addEventListener('input', () => {
  clearTimeout(pending);
  pending = setTimeout(async () => {
    const answer = await fetch('/api/search?q=' + encodeURIComponent(box.value));
    const names = (await answer.json()).results;
    list.replaceChildren(...names.map((name) => Object.assign(document.createElement('li'), {textContent: name})));
  }, 150);
});
"""


def search_page(visit: Visit) -> Reply:
    found = "".join(f"<li>{escape(name)}</li>" for name in matching(visit.query.get("q", "")))
    return page("Search the shop", f"""<form id="search-form" method="get" action="/search" role="search">
<p><label>Search <input id="q" type="search" name="q" autocomplete="off"></label>
<button id="search-submit" type="submit">Search</button></p>
</form>
<ul id="results">{found}</ul>""", SEARCH_SCRIPT)


# Field capture "for analytics": every keystroke in the email field goes out before the visitor submits anything.
LEAK_SCRIPT: Final = """
document.getElementById('signup-email').addEventListener('keyup', (event) => {
  navigator.sendBeacon(ENDPOINT, JSON.stringify({f: 'email', v: event.target.value}));
});
"""


def signup_page(endpoint: str) -> Reply:
    """The signup form with :data:`LEAK_SCRIPT` sending to ``endpoint``."""
    return page("Create an account", """<form id="signup-form" method="post" action="/thanks">
<p><label>Full name <input id="full-name" name="name" autocomplete="name"></label></p>
<p><label>Email <input id="signup-email" type="email" name="email" autocomplete="email"></label></p>
<p><button id="signup-submit" type="submit">Create account</button></p>
</form>""", LEAK_SCRIPT.replace("ENDPOINT", json.dumps(endpoint)))


def vendor_tag(visit: Visit) -> Reply:
    """The signup form with a third party's tag loaded from ``?src=`` (a CDN URL a test maps, or a live server)."""
    return page("Create an account", f"""<form id="signup-form" method="post" action="/thanks">
<p><label>Email <input id="signup-email" type="email" name="email" autocomplete="email"></label></p>
<p><button id="signup-submit" type="submit">Create account</button></p>
</form>
<script src="{escape(visit.query.get('src', ''))}"></script>""")


def with_snippet(visit: Visit) -> Reply:
    return page("Contact us", """<form id="contact-form" method="post" action="/thanks">
<p><label>Email <input id="contact-email" type="email" name="email" autocomplete="email"></label></p>
<p><label>Message <textarea id="contact-message" name="message" rows="4"></textarea></label></p>
<p><button id="contact-submit" type="submit">Send</button></p>
</form>
<script src="/static/telltale.min.js"></script>""")


ROUTES: Final[dict[tuple[str, str], Callable[[Visit], Reply]]] = {
    ("GET", "/login"): login_page,
    ("POST", "/login"): sign_in,
    ("GET", "/account"): account,
    ("GET", "/spa"): spa_page,
    ("POST", "/api/login"): api_login,
    ("GET", "/search"): search_page,
    ("GET", "/api/search"): lambda visit: data({"results": matching(visit.query.get("q", ""))}),
    ("GET", "/leaky"): lambda visit: signup_page(TRACKER_URL),
    ("GET", "/ingest-leaky"): lambda visit: signup_page("/ingest"),
    ("POST", "/ingest"): lambda visit: NO_CONTENT,
    ("GET", "/with-snippet"): with_snippet,
    ("GET", "/vendor-tag"): vendor_tag,
    ("GET", "/static/telltale.min.js"): lambda visit: Reply(HTTPStatus.OK, SHIPPED_SNIPPET.read_bytes(), JAVASCRIPT),
    ("POST", "/telltale/collect"): lambda visit: NO_CONTENT,
    ("GET", "/thanks"): lambda visit: page("Thank you", "<p>Thank you, we have it.</p>"),
    ("POST", "/thanks"): lambda visit: page("Thank you", "<p>Thank you, we have it.</p>"),
}


def respond(visit: Visit) -> Reply:
    """Route one request; a new session's cookie goes on whatever the page answered."""
    handler = ROUTES.get((visit.method, visit.path))
    allowed = sorted(method for method, path in ROUTES if path == visit.path)
    if handler is not None:
        reply = handler(visit)
    elif allowed:
        reply = replace(page("Method not allowed", f"<p>Use {' or '.join(allowed)}.</p>", status=HTTPStatus.METHOD_NOT_ALLOWED),
                        headers=(("Allow", ", ".join(allowed)),))
    else:
        reply = page("Not found", '<p>There is no such page. <a href="/login">Sign in</a>.</p>', status=HTTPStatus.NOT_FOUND)
    if visit.new_sid:
        cookie = SimpleCookie({SESSION_COOKIE: visit.new_sid})[SESSION_COOKIE]
        cookie["path"], cookie["httponly"], cookie["samesite"] = "/", True, "Lax"
        reply = replace(reply, headers=(*reply.headers, ("Set-Cookie", cookie.OutputString())))
    return reply


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as the browser and the forwarding proxy expect of a real server
    server_version = "ShopApp/1"
    timeout = 15  # an idle keep-alive connection closes

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True  # the unread body would be taken for the next request
            return self._send(page("Bad request", "<p>Missing or oversized body.</p>", status=HTTPStatus.BAD_REQUEST))
        body = self.rfile.read(length)
        self._send(respond(Visit(self.server.app.sessions, method, self.path, self.headers, body)))

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Cache-Control", "no-store")
        if reply.status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.server.app.record(Served(self.command, self.path, int(code)))

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.echo:  # malformed requests and timeouts; served requests go through record()
            print(format % args, flush=True)


class _Server(ThreadingHTTPServer):
    block_on_close = False  # stop() must not wait for a browser's idle keep-alive connections

    def __init__(self, address: tuple[str, int], app: ShopApp) -> None:
        self.app = app
        super().__init__(address, _Handler)


class ShopApp:
    """The shop, served from a thread on 127.0.0.1: ``start()`` returns its base URL, ``stop()`` shuts it down."""

    def __init__(self, port: int = 0, *, echo: bool = False, tls: tuple[Path, Path] | None = None) -> None:
        self.port = port  # 0: any free port
        self.echo = echo  # print each request to stdout
        self.tls = tls  # (certificate, key) PEM files: serve https with them (a self-signed dev certificate)
        self.sessions: dict[str, Session] = {}
        self.requests: list[Served] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the shop app is not running: call start() first")
        return f"{'https' if self.tls else 'http'}://{HOST}:{self._server.server_address[1]}"

    def start(self) -> str:
        """Listen and serve from a thread; returns the base URL (``http://127.0.0.1:PORT``)."""
        if self._server is None:
            self._server = _Server((HOST, self.port), self)
            if self.tls is not None:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(*map(str, self.tls))
                self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self._thread = threading.Thread(target=self._server.serve_forever, name="shop-app", daemon=True)
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and release the port (sessions and the request log stay readable)."""
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    def record(self, served: Served) -> None:
        self.requests.append(served)
        if self.echo:
            print(f"{served.method} {served.path} {served.status}", flush=True)

    def __enter__(self) -> ShopApp:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._server else "stopped"
        return f"<ShopApp {where} sessions={len(self.sessions)} requests={len(self.requests)}>"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.apps.shop_app", description="Serve the shop app on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default 0: any free port)")
    app = ShopApp(parser.parse_args(argv).port, echo=True)
    print(f"serving {app.start()}", flush=True)
    try:
        threading.Event().wait()  # until Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        app.stop()
    return 130


if __name__ == "__main__":
    raise SystemExit(main())
