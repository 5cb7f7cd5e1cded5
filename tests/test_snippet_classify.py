"""classify(): the one place the snippet decides what is public, typed or sensitive (run as a table in real browsers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Frame
from snippet_support import Shop, any_browser  # noqa: F401  (module-scoped browser fixture)

LEVEL = {"public": 0, "typed": 1, "secret": 2}

# Every element with data-want in the document (its open shadow roots included) -> (case, want, got).
TABLE = """() => {
  const rows = [];
  const scan = root => root.querySelectorAll('*').forEach(el => {
    if (el.dataset && el.dataset.want) rows.push([el.dataset.case, el.dataset.want, window.top.telltale._classify(el)]);
    if (el.shadowRoot) scan(el.shadowRoot);
  });
  scan(document);
  return rows;
}"""


@pytest.fixture(scope="module")
def table_shop(any_browser: Browser) -> Iterator[Shop]:  # noqa: F811
    with Shop(any_browser) as shop:
        shop.open("/classify.html")
        yield shop


def frame(shop: Shop, query: str) -> Frame:
    return next(f for f in shop.page.frames if f.url.endswith(query))


def test_every_row_of_the_table(table_shop: Shop) -> None:
    rows = table_shop.page.evaluate(TABLE)
    assert len(rows) > 50
    wrong = [f"{case}: want {want}, got {got}" for case, want, got in rows if LEVEL[want] != got]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("frame_query", "want"),
    [("/frame.html", "secret"), ("/frame.html?plain=1", "public")],
    ids=["inside-marked-iframe", "inside-plain-iframe"],
)
def test_frame_content_inherits_from_the_iframe_element(table_shop: Shop, frame_query: str, want: str) -> None:
    inner = frame(table_shop, frame_query)
    inner.wait_for_selector("#ftext")
    got = inner.evaluate("() => window.top.telltale._classify(document.getElementById('ftext'))")
    assert got == LEVEL[want]


def test_password_stays_sensitive_after_show_password_toggle(table_shop: Shop) -> None:
    page = table_shop.page
    assert page.evaluate("() => telltale._classify(document.getElementById('toggle'))") == 2
    page.evaluate("() => { const i = document.getElementById('toggle'); i.type = 'text'; i.removeAttribute('name'); }")
    assert page.evaluate("() => telltale._classify(document.getElementById('toggle'))") == 2


def test_field_becomes_sensitive_once_a_card_number_is_typed_and_stays_so(table_shop: Shop) -> None:
    page = table_shop.page
    assert page.evaluate("() => telltale._classify(document.getElementById('typed-card'))") == 1
    page.type("#typed-card", "pay 5555-5555-5555-4444", delay=5)
    page.fill("#typed-card", "")
    assert page.evaluate("() => telltale._classify(document.getElementById('typed-card'))") == 2


def test_classify_is_only_exposed_in_debug_mode(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser, config={"flushInterval": 200}) as shop:
        shop.open("/classify.html")
        assert shop.page.evaluate("() => [typeof telltale._classify, Object.keys(telltale).sort().join()]") == [
            "undefined",
            "consent,isOptedOut,optIn,optOut,v",
        ]
