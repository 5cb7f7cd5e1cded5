"""The shop app (tests/apps/shop_app.py) behaves as the real application the harness will be tested against.

Most tests talk HTTP with ``urllib`` and a cookie jar, redirects not followed so each 303 is seen. Two drive real
browsers, launched directly: the harness's plugin points pytest-playwright's browsers at its capturing proxy, which
today answers every host itself and so would never reach the app.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser
from http.cookiejar import Cookie, CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
from playwright.sync_api import Browser, Playwright, Route, expect

from harness.errors import BrowserLaunchError
from harness.resources import SHIPPED_SNIPPET
from harness.run.browsers import find_browser, launch_options
from harness.run.loader import load_scenario
from tests.apps.fixtures import shop_app  # noqa: F401
from tests.apps.shop_app import TRACKER_URL, Served, ShopApp

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "tests" / "apps" / "scenarios").glob("*.yaml"))
EMAIL, PASSWORD = "ada@example.test", "correct horse"


# -- a visitor without a browser -------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    @property
    def page(self) -> Page:
        return Page(self.body.decode("utf-8"))

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None  # urllib then raises the 3xx as an HTTPError, which Client hands back as an Answer


class Client:
    """One visitor with its own cookie jar; every answer (redirects and errors too) comes back as an Answer."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = CookieJar()
        self._opener = build_opener(HTTPCookieProcessor(self.jar), _NoRedirects())

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        request = Request(self.base_url + path, data=body, headers=headers or {}, method=method)
        try:
            with self._opener.open(request, timeout=10) as response:
                return Answer(response.status, response.headers, response.read())
        except HTTPError as error:
            with error:
                return Answer(error.code, error.headers, error.read())

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> Answer:
        return self.request("POST", path, urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"})

    def post_json(self, path: str, value: Any, headers: dict[str, str] | None = None) -> Answer:
        return self.request("POST", path, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})})

    @property
    def sid(self) -> Cookie | None:
        return next((cookie for cookie in self.jar if cookie.name == "sid"), None)

    def csrf(self, path: str = "/login") -> str:
        """Open ``path`` (starting a session if there is none) and read the page's CSRF token."""
        found = self.get(path).page.attrs
        return found["csrf"]["value"] if "csrf" in found else found["spa-form"]["data-csrf"]

    def signed_in(self) -> bool:
        answer = self.get("/account")
        return answer.status == 200 and "Welcome back" in answer.page.text["#welcome"]


class Page(HTMLParser):
    """A served page, parsed: the attributes of each element with an id (``page.attrs['email']``), and the text of
    each such element, of the ``<title>`` and of the ``<h1>`` (``page.text['#who']``, ``page.text['title']``)."""

    VOID = frozenset({"input", "meta", "br", "img", "link", "hr"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.html = html
        self.attrs: dict[str, dict[str, str]] = {}
        self.text: dict[str, str] = {}
        self._open: list[str | None] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {name: value or "" for name, value in attrs}
        key = f"#{named['id']}" if "id" in named else tag if tag in ("title", "h1") else None
        if "id" in named:
            self.attrs[named["id"]] = {"tag": tag, **named}
        if key:
            self.text[key] = ""
        if tag not in self.VOID:
            self._open.append(key)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for key in self._open:
            if key:
                self.text[key] += data


@pytest.fixture
def client(shop_app: ShopApp) -> Client:  # noqa: F811
    return Client(shop_app.base_url)


def sign_in(client: Client, email: str = EMAIL, password: str = PASSWORD) -> Answer:
    return client.post_form("/login", {"csrf": client.csrf(), "email": email, "password": password})


# -- sessions, CSRF and redirects ------------------------------------------------------------------------------------


def test_the_login_page_starts_a_session_whose_token_its_form_carries(shop_app: ShopApp, client: Client) -> None:  # noqa: F811
    answer = client.get("/login")
    page = answer.page
    sid = client.sid
    assert answer.status == 200
    assert sid is not None and sid.path == "/"
    assert sid.has_nonstandard_attr("HttpOnly") and sid.get_nonstandard_attr("SameSite") == "Lax"
    assert page.attrs["csrf"]["value"] == shop_app.sessions[str(sid.value)].csrf
    assert {name: page.attrs[name]["tag"] for name in ("login-form", "email", "password", "login-submit")} == {
        "login-form": "form", "email": "input", "password": "input", "login-submit": "button"}
    assert (page.attrs["login-form"]["method"], page.attrs["login-form"]["action"]) == ("post", "/login")
    assert [(page.attrs[n]["type"], page.attrs[n]["name"]) for n in ("email", "password", "csrf")] == [
        ("email", "email"), ("password", "password"), ("hidden", "csrf")]
    again = client.get("/login")
    assert "Set-Cookie" not in again.headers, "the session must last: a second visit keeps its cookie"
    assert again.page.attrs["csrf"]["value"] == page.attrs["csrf"]["value"]


@pytest.mark.parametrize("token", ["missing", "wrong", "another visitor's"])
def test_a_login_without_this_sessions_token_is_refused(shop_app: ShopApp, client: Client, token: str) -> None:  # noqa: F811
    client.csrf()
    fields = {"email": EMAIL, "password": PASSWORD}
    if token == "wrong":
        fields["csrf"] = "not-the-token"
    elif token == "another visitor's":
        fields["csrf"] = Client(shop_app.base_url).csrf()
    answer = client.post_form("/login", fields)
    assert answer.status == 403
    assert answer.page.text["h1"] == "Bad CSRF token"
    assert not client.signed_in()


def test_a_login_without_any_session_is_refused(client: Client) -> None:
    stranger = Client(client.base_url)
    token = stranger.csrf()
    stranger.jar.clear()  # the token without the cookie that goes with it
    assert stranger.post_form("/login", {"csrf": token, "email": EMAIL, "password": PASSWORD}).status == 403


def test_a_login_with_the_token_redirects_to_the_account_under_a_new_session(shop_app: ShopApp, client: Client) -> None:  # noqa: F811
    client.csrf()
    before = client.sid
    answer = sign_in(client)
    after = client.sid
    assert (answer.status, answer.headers["Location"]) == (303, "/account")
    assert before is not None and after is not None and after.value != before.value, "signing in must renew the session id"
    assert before.value not in shop_app.sessions
    assert shop_app.sessions[str(after.value)].email == EMAIL
    account = client.get("/account")
    assert account.status == 200
    assert "Welcome back" in account.page.text["#welcome"]
    assert account.page.text["#who"] == EMAIL


def test_a_short_password_shows_the_form_again_with_an_error(client: Client) -> None:
    answer = sign_in(client, password="short")
    assert answer.status == 200
    assert answer.page.text["#error"] == "Wrong email or password"
    assert "login-form" in answer.page.attrs
    assert not client.signed_in()


@pytest.mark.parametrize("visitor", ["new", "with a session, not signed in"])
def test_the_account_sends_a_signed_out_visitor_to_the_login_page(client: Client, visitor: str) -> None:
    if visitor != "new":
        client.csrf()
    answer = client.get("/account")
    assert (answer.status, answer.headers["Location"]) == (303, "/login")


# -- the JSON API ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "status"), [(None, 403), ("not-the-token", 403), ("the token", 200)])
def test_the_api_login_checks_the_csrf_header(client: Client, header: str | None, status: int) -> None:
    token = client.csrf("/spa")
    headers = {} if header is None else {"X-CSRF-Token": token if header == "the token" else header}
    answer = client.post_json("/api/login", {"email": EMAIL, "password": PASSWORD}, headers)
    assert (answer.status, answer.headers["Content-Type"]) == (status, "application/json; charset=utf-8")
    assert answer.json()["ok"] is (status == 200)
    assert client.signed_in() is (status == 200)


def test_the_api_login_refuses_a_short_password(client: Client) -> None:
    token = client.csrf("/spa")
    answer = client.post_json("/api/login", {"email": EMAIL, "password": "short"}, {"X-CSRF-Token": token})
    assert (answer.status, answer.json()) == (401, {"ok": False, "error": "Wrong email or password"})


@pytest.mark.parametrize(("query", "found"), [
    ("linen", ["Linen throw", "Linen napkins"]),
    ("LAMP", ["Brass desk lamp"]),
    ("teapot", []),
    ("", []),
])
def test_the_search_api_answers_the_matching_products(client: Client, query: str, found: list[str]) -> None:
    answer = client.get(f"/api/search?{urlencode({'q': query})}")
    assert (answer.status, answer.headers["Content-Type"]) == (200, "application/json; charset=utf-8")
    assert answer.json() == {"results": found}


def test_the_search_form_also_works_without_script(client: Client) -> None:
    page = client.get("/search?q=mug").page
    assert (page.attrs["search-form"]["method"], page.attrs["search-form"]["action"]) == ("get", "/search")
    assert page.attrs["q"]["name"] == "q"
    assert page.text["#results"] == "Stoneware mug"
    assert "mug" not in page.attrs["q"].get("value", ""), "the query is never echoed"


@pytest.mark.parametrize("path", ["/ingest", "/telltale/collect"])
def test_the_first_party_collectors_answer_204(client: Client, path: str) -> None:
    answer = client.post_json(path, {"f": "email", "v": EMAIL})
    assert (answer.status, answer.body) == (204, b"")


# -- pages -------------------------------------------------------------------------------------------------------------


def test_the_snippet_page_serves_the_harness_shipped_snippet(client: Client) -> None:
    page = client.get("/with-snippet").page
    assert {"contact-form", "contact-email", "contact-message"} <= page.attrs.keys()
    src = re.findall(r'<script src="([^"]+)"></script>', page.html)
    assert src == ["/static/telltale.min.js"]
    script = client.get(src[0])
    assert (script.status, script.headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    assert script.body == SHIPPED_SNIPPET.read_bytes()


@pytest.mark.parametrize(("path", "endpoint"), [("/leaky", TRACKER_URL), ("/ingest-leaky", "/ingest")])
def test_the_leaky_pages_beacon_the_email_field(client: Client, path: str, endpoint: str) -> None:
    page = client.get(path).page
    assert (page.attrs["full-name"]["name"], page.attrs["signup-email"]["name"]) == ("name", "email")
    assert f"navigator.sendBeacon({json.dumps(endpoint)}" in page.html
    assert "getElementById('signup-email').addEventListener('keyup'" in page.html


def test_an_unknown_path_is_a_404_page(client: Client) -> None:
    answer = client.get("/no-such-page")
    assert answer.status == 404
    assert answer.page.text["title"] == answer.page.text["h1"] == "Not found"


def test_a_known_path_with_another_method_is_a_405(client: Client) -> None:
    answer = client.get("/ingest")
    assert (answer.status, answer.headers["Allow"]) == (405, "POST")


PAGES = ["/login", "/account", "/spa", "/search", "/leaky", "/ingest-leaky", "/with-snippet", "/thanks", "/nope"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_uncached_html_with_a_title_and_a_heading(client: Client, path: str) -> None:
    sign_in(client)
    answer = client.get(path)
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    page = answer.page
    assert page.text["title"].strip() and page.text["title"] == page.text["h1"]
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.html), "pages load nothing from elsewhere"


@pytest.mark.parametrize(("method", "path"), [("POST", "/login"), ("POST", "/thanks"), ("GET", "/static/telltale.min.js"),
                                              ("GET", "/api/search?q=a"), ("POST", "/api/login"), ("POST", "/ingest")])
def test_every_other_answer_is_uncached_and_says_its_charset(client: Client, method: str, path: str) -> None:
    answer = client.request(method, path, b"" if method == "POST" else None)
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.status == 204 or "charset=utf-8" in answer.headers["Content-Type"]


def test_the_app_logs_each_request_it_serves(shop_app: ShopApp, client: Client) -> None:  # noqa: F811
    start = len(shop_app.requests)
    sign_in(client)
    client.get("/nope?x=1")
    assert shop_app.requests[start:] == [Served("GET", "/login", 200), Served("POST", "/login", 303),
                                         Served("GET", "/nope?x=1", 404)]


def test_the_app_runs_as_a_module_and_prints_its_url_and_requests() -> None:
    process = subprocess.Popen([sys.executable, "-m", "tests.apps.shop_app", "--port", "0"], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    deadline = threading.Timer(20, process.kill)  # a server that never says it is ready must not hang the suite
    deadline.start()
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert re.fullmatch(r"serving http://127\.0\.0\.1:\d+", first), first
        assert Client(first.split()[1]).get("/thanks").status == 200
        assert process.stdout.readline().strip() == "GET /thanks 200"
    finally:
        deadline.cancel()
        process.terminate()
        process.wait(10)


def test_stop_releases_the_port() -> None:
    app = ShopApp()
    url = app.start()
    assert Client(url).get("/thanks").status == 200
    app.stop()
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do, past the old connection's TIME_WAIT
        again.bind(("127.0.0.1", int(url.rsplit(":", 1)[1])))
        again.listen()
    with pytest.raises(RuntimeError, match="not running"):
        app.base_url  # noqa: B018


# -- scenarios for later (issue 12: the harness forwards origins under test to the app) ---------------------------


def absolute(text: str, base: str = "http://app.test") -> str:
    """A scenario with its relative URLs joined to ``base``: what ``--base-url`` will do."""
    text = re.sub(r"(?m)^start: /", f"start: {base}/", text)
    return re.sub(r'"(GET|POST) /', rf'"\1 {base}/', text)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_each_app_scenario_is_valid_once_its_urls_are_absolute(tmp_path: Path, scenario: Path) -> None:
    copy = tmp_path / scenario.name
    copy.write_text(absolute(scenario.read_text(encoding="utf-8")), encoding="utf-8")
    loaded = load_scenario(copy)
    assert loaded.start.startswith("http://app.test/")
    assert loaded.steps[-1].kind == "leave", "end with leave, so unload-time beacons are captured"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_each_app_scenario_uses_ids_its_start_page_has(client: Client, scenario: Path) -> None:
    text = scenario.read_text()
    start = re.search(r"(?m)^start: (\S+)", text)
    assert start
    ids = set(re.findall(r'"#([\w-]+)"', text))
    assert ids, "a scenario that selects nothing"
    assert ids <= client.get(start.group(1)).page.attrs.keys()


def test_the_app_scenarios_cover_every_page_they_were_written_for() -> None:
    assert [path.stem for path in SCENARIOS] == ["ingest_leaky", "leaky", "login", "search", "spa_login", "with_snippet"]


# -- real browsers -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def direct_browser(playwright: Playwright, browser_name: str) -> Iterator[Browser]:
    """This test's browser, launched as the harness launches it but without the capturing proxy."""
    try:
        source = find_browser(playwright, browser_name)  # type: ignore[arg-type]
    except BrowserLaunchError as error:
        pytest.skip(str(error))
    options = launch_options(source, "127.0.0.1", 9)
    options.pop("proxy", None)
    if "firefox_user_prefs" in options:
        options["firefox_user_prefs"] = {k: v for k, v in options["firefox_user_prefs"].items()
                                         if not k.startswith("network.proxy.")}
    browser = getattr(playwright, browser_name).launch(**options)
    yield browser
    browser.close()


def test_a_real_browser_signs_in_through_the_form(direct_browser: Browser, shop_app: ShopApp) -> None:  # noqa: F811
    start = len(shop_app.requests)
    context = direct_browser.new_context()
    try:
        page = context.new_page()
        page.goto(shop_app.base_url + "/login")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url("**/account")
        expect(page.get_by_text("Welcome back")).to_be_visible()
        expect(page.locator("#who")).to_have_text(EMAIL)
        assert page.evaluate("document.cookie") == "", "the session cookie is HttpOnly"
        assert [c["sameSite"] for c in context.cookies() if c["name"] == "sid"] == ["Lax"]
    finally:
        context.close()
    served = [(r.method, r.path, r.status) for r in shop_app.requests[start:] if r.path != "/favicon.ico"]
    assert served == [("GET", "/login", 200), ("POST", "/login", 303), ("GET", "/account", 200)]


def test_a_real_browser_runs_each_pages_script(direct_browser: Browser, shop_app: ShopApp) -> None:  # noqa: F811
    """The inline scripts the scenarios rely on: the SPA sign-in, search-as-you-type and the two keyup leaks."""
    context = direct_browser.new_context()
    beacons: list[str] = []

    def tracker(route: Route) -> None:  # the third party, standing in for the proxy that answers it in a real run
        beacons.append(route.request.url)
        route.fulfill(status=204)

    context.route(TRACKER_URL, tracker)
    try:
        page = context.new_page()
        page.goto(shop_app.base_url + "/spa")
        page.fill("#spa-email", EMAIL)
        page.fill("#spa-password", PASSWORD)
        page.click("#spa-submit")
        expect(page.get_by_text("Signed in")).to_be_visible()
        assert page.url == shop_app.base_url + "/spa#done"

        page.goto(shop_app.base_url + "/search")
        with page.expect_response(lambda response: "/api/search?q=linen" in response.url):
            page.locator("#q").press_sequentially("linen", delay=20)
        expect(page.locator("#results li")).to_have_text(["Linen throw", "Linen napkins"])

        typed = "a@b.test"
        for path in ("/leaky", "/ingest-leaky"):
            start = len(shop_app.requests)
            page.goto(shop_app.base_url + path)
            page.locator("#signup-email").press_sequentially(typed, delay=20)
            page.wait_for_timeout(300)  # beacons are sent asynchronously
            ingested = [r for r in shop_app.requests[start:] if r == Served("POST", "/ingest", 204)]
            assert len(beacons if path == "/leaky" else ingested) == len(typed), path
    finally:
        context.close()
