"""Tests for harness/privacy/causes.py without a browser: which navigations the harness, the user or a form's
submit caused, matched to the captured requests by method, URL and time."""

from __future__ import annotations

from harness.capture.proxy import CapturedRequest
from harness.privacy.causes import captured_navigations, navigation_causes
from harness.run.timeline import LinkClick, Navigation, Submit

LOGIN = Submit("#login-form", "https://app.test/login", 1000.0, action="https://app.test/login", method="POST")
SEARCH = Submit("#search", "https://app.test/", 1000.0, action="https://app.test/results?x=1", method="GET")


def causes(
    navigations: list[Navigation], submits: tuple[Submit, ...] = (), links: tuple[LinkClick, ...] = ()
) -> list[tuple[str, str]]:
    return [(c.navigation.url, c.cause) for c in navigation_causes(navigations, submits, links)]


def test_the_harness_navigations_are_page_loads_and_a_script_navigation_is_not() -> None:
    start = Navigation("GET", "https://app.test/", 10.0, True, by_harness=True)
    scripted = Navigation("GET", "https://app.test/c/secret/", 500.0, True)
    assert causes([start, scripted]) == [("https://app.test/", "harness")]


def test_a_frame_navigation_is_never_the_harness_page_load() -> None:
    frame = Navigation("GET", "https://app.test/frame.html", 20.0, False)
    assert causes([frame]) == []


def test_a_forms_submission_is_matched_by_method_and_action_not_order() -> None:
    frame = Navigation("GET", "https://app.test/c/secret/f.html", 1001.0, False)
    post = Navigation("POST", "https://app.test/login", 1200.0, True)
    redirect = Navigation("GET", "https://app.test/account", 1300.0, True, redirected_from="https://app.test/login")
    found = navigation_causes([frame, post, redirect], [LOGIN], [])
    assert [(c.navigation.url, c.cause, c.submit) for c in found] == [
        ("https://app.test/login", "submit", LOGIN), ("https://app.test/account", "submit", LOGIN)
    ]


def test_a_get_forms_query_is_the_browsers_and_its_submit_is_used_once() -> None:
    first = Navigation("GET", "https://app.test/results?q=ada", 1100.0, True)
    again = Navigation("GET", "https://app.test/results?q=ada", 1200.0, True)
    assert causes([first, again], (SEARCH,)) == [("https://app.test/results?q=ada", "submit")]


def test_a_navigation_before_the_submit_or_by_another_method_is_not_its() -> None:
    early = Navigation("POST", "https://app.test/login", 900.0, True)
    other = Navigation("GET", "https://app.test/login", 1100.0, True)
    assert causes([early, other], (LOGIN,)) == []


def test_a_followed_link_is_a_page_load() -> None:
    link = LinkClick("https://app.test/about#team", 2000.0)
    followed = Navigation("GET", "https://app.test/about", 2050.0, True)
    elsewhere = Navigation("GET", "https://app.test/c/secret/", 2060.0, True)
    assert causes([followed, elsewhere], links=(link,)) == [("https://app.test/about", "link")]


def test_a_redirect_of_an_uncaused_navigation_is_uncaused() -> None:
    scripted = Navigation("GET", "https://app.test/go", 500.0, True)
    redirect = Navigation("GET", "https://app.test/c/secret/", 520.0, True, redirected_from="https://app.test/go")
    assert causes([scripted, redirect]) == []


def test_captured_requests_are_matched_by_method_url_and_nearest_time() -> None:
    def doc(method: str, url: str, t_ms: float) -> CapturedRequest:
        return CapturedRequest(t_ms, method, url, (), b"", "document", party="first")

    requests = [doc("GET", "https://app.test/", 5.0), doc("GET", "https://app.test/", 3000.0),
                doc("POST", "https://app.test/", 12.0)]
    caused = navigation_causes([Navigation("GET", "https://app.test/", 10.0, True, by_harness=True)], [], [])
    matched = captured_navigations(requests, caused)
    assert list(matched) == [id(requests[0])]
