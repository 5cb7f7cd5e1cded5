"""harness/capture/routing.py: which requests go to the real app, which to a local file or a local answer, and
who receives each (its party), without a browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.capture.routing import FORWARD, Routing, origin_of
from harness.capture.site import Answer, Site
from harness.config import MapRule

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"
APP = "http://127.0.0.1:8765"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:8765/login?x=1", "http://127.0.0.1:8765"),
        ("HTTPS://Shop.Test:443/a", "https://shop.test"),
        ("http://app.example:80/", "http://app.example"),
        ("wss://app.example/socket", "https://app.example"),
        ("http://[::1]:8000/", "http://[::1]:8000"),
    ],
)
def test_origin_of(url: str, origin: str) -> None:
    assert origin_of(url) == origin


def test_the_app_under_test_is_forwarded_and_first_party() -> None:
    routing = Routing(Site(SITE)).including([APP + "/login"])
    assert routing.route("POST", APP + "/login") is FORWARD
    assert routing.party(APP + "/api/search?q=x") == "first"
    assert routing.party("https://shop.test/login.html") == "first"  # the demo site is first party too
    assert routing.party("https://collect.tracker.example/k") == "third"
    assert routing.may_connect("127.0.0.1", 8765) and not routing.may_connect("127.0.0.1", 8766)
    secure = Routing().including(["https://App.Example/login"])  # no port written: the scheme's default
    assert secure.may_connect("app.example", 443) and not secure.may_connect("app.example", 80)


def test_third_parties_are_answered_locally_unless_live() -> None:
    stub = Routing(Site(SITE)).including([APP])
    answered = stub.route("POST", "https://collect.tracker.example/k")
    assert isinstance(answered, Answer) and answered.status == 204
    assert not stub.may_connect("collect.tracker.example", 443)
    live = Routing(Site(SITE), third_party="live")
    assert live.route("POST", "https://collect.tracker.example/k") is FORWARD
    assert live.may_connect("collect.tracker.example", 443)
    # Live or not, the demo site stays local and the browsers' own services never dial out.
    assert isinstance(live.route("GET", "https://shop.test/login.html"), Answer)
    assert isinstance(live.route("GET", "https://update.googleapis.com/x"), Answer)
    assert not live.may_connect("update.googleapis.com", 443)


def test_a_mapped_url_is_served_from_its_local_file(tmp_path: Path) -> None:
    tag = tmp_path / "tag.js"
    tag.write_text("window.vendor = 1;")
    routing = Routing(mapped=(MapRule("https://cdn.vendor.example/*.js*", tag),), third_party="live")
    answered = routing.route("GET", "https://cdn.vendor.example/v2/tag.js?ver=3")
    assert isinstance(answered, Answer) and answered.body == b"window.vendor = 1;"
    assert dict(answered.headers)["Content-Type"].startswith("text/javascript")
    assert routing.route("GET", "https://cdn.vendor.example/other.css") is FORWARD
    # A page's script reads a mapped file cross-origin (a vendor's remote config) as from the vendor's server.
    fetched = routing.route("GET", "https://cdn.vendor.example/tag.js", {"origin": "https://shop.test"})
    assert isinstance(fetched, Answer) and dict(fetched.headers)["Access-Control-Allow-Origin"] == "https://shop.test"


def test_including_leaves_the_demo_site_local() -> None:
    routing = Routing(Site(SITE))
    assert routing.including(["https://shop.test/login.html"]) is routing
    assert isinstance(routing.route("GET", "https://shop.test/login.html"), Answer)
