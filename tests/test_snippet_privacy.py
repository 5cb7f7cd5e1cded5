"""Privacy guarantees of the shipped snippet, proved on what it hands to the network, in Chromium and Firefox."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Browser
from snippet_support import TAP_PREFIX, Shop, any_browser, text_of, walk  # noqa: F401

# Typed into sensitive fields: none of these may ever leave, in any form.
SECRETS = {
    "#password": "Pw-canary-7731",
    "#card": "4111 1111 1111 1111",
    "#notes": "5555-5555-5555-4444",  # a plain field: a Luhn-valid card typed into it makes it sensitive
    "#cvv": "cvv-canary-913",
    "#pin": "pin-canary-4829",
    "#otp": "otp-canary-5501",
    "#ssn": "123-45-6789",
    "#wrapped": "wrapped-canary",
}
# Typed into ordinary fields of the checkout form: these may leave only in its submit event.
SHARED = {"#email": "ada.canary@example.com", "#fullname": "Grace Canary", "#comment": "comment-canary-text"}
# Typed where content is never sent: outside any form, or into a contenteditable.
NEVER = {"#outside": "outside-canary", "#editor": "editor-canary"}
NEVER_SHOWN = ["tok-secret-1", "4111111111111111", "5555555555554444", "PW-CANARY"]


def leaked(shop: Shop, values: list[str], text: str | None = None) -> list[str]:
    wire = shop.wire_text() if text is None else text
    return [v for v in values if v in wire or v.lower() in wire.lower()]


def fill_checkout(shop: Shop) -> None:
    page = shop.page
    for selector, value in {**SHARED, **SECRETS}.items():
        page.click(selector)
        page.keyboard.type(value, delay=2)
    page.click("#show")  # show-password toggle: the field becomes type=text
    page.click("#password")
    page.keyboard.type("-more", delay=2)
    page.keyboard.press("Backspace")
    page.select_option("#country", "FR")
    page.check("#agree")


def test_submit_sends_only_non_sensitive_values_and_only_at_submit(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        page = shop.open("/form.html")
        fill_checkout(shop)
        shop.settle(600)  # several interval flushes while the form is filled in
        before_submit = shop.wire_text()
        assert not leaked(shop, list(SHARED.values()), before_submit), "a typed value left before submit"
        with page.expect_navigation():
            page.click("#pay")
        shop.settle(300)

        assert not leaked(shop, list(SECRETS.values()) + NEVER_SHOWN + ["Pw-canary-7731-mor"])
        submits = [e for e in shop.events("submit") if e["id"] == shop_node(shop, "checkout")]
        assert len(submits) == 1
        fields = {f.get("name"): f["value"] for f in submits[0]["fields"]}
        assert fields == {
            "email": SHARED["#email"],
            "full_name": SHARED["#fullname"],
            "comment": SHARED["#comment"],
            "country": "FR",
            "agree": "yes",
        }
        # Outside the submit event no shared value appears anywhere.
        rest = json.dumps([dict(e.data) for e in shop.events() if e.type != "submit"])
        assert not leaked(shop, list(SHARED.values()), rest)


def shop_node(shop: Shop, dom_id: str) -> int:
    """Node id of the element with this DOM id in the first recorded snapshot."""
    snap = shop.snapshots()[0]["node"]
    return next(int(n["id"]) for n in walk(snap) if n.get("attrs", {}).get("id") == dom_id)


def test_abandoned_form_sends_which_fields_never_what(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        page = shop.open("/form.html")
        for selector, value in [("#email", "abandon-email-canary"), ("#fullname", "abandon-name-canary"),
                                ("#password", "abandon-pw-canary"), ("#news-email", "abandon-news-canary")]:
            page.fill(selector, value)
        page.fill("#comment", "typed then cleared")
        page.fill("#comment", "")
        shop.leave()

        abandons = {e["id"]: sorted(e["fields"]) for e in shop.events("abandon")}
        ids = {sel: shop_node(shop, sel) for sel in ("checkout", "newsletter", "email", "fullname", "password", "news-email")}
        assert abandons == {
            ids["checkout"]: sorted([ids["email"], ids["fullname"]]),
            ids["newsletter"]: [ids["news-email"]],
        }
        assert not leaked(shop, ["abandon-email-canary", "abandon-name-canary", "abandon-pw-canary", "abandon-news-canary", "typed then cleared"])


def test_text_outside_forms_and_in_contenteditable_never_leaves(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        page = shop.open("/form.html")
        for selector, value in NEVER.items():
            page.click(selector)
            page.keyboard.type(value, delay=2)
        page.keyboard.press("Enter")
        page.keyboard.type("second-line-canary", delay=2)
        shop.settle(400)
        shop.leave()
        assert not leaked(shop, list(NEVER.values()) + ["second-line-canary"])
        editor = shop_node(shop, "editor")
        texts = [t["text"] for e in shop.events("mutation") for t in e.get("texts", [])]
        added = [text_of(a["node"]) for e in shop.events("mutation") for a in e.get("adds", []) if a["parent"] == editor]
        assert texts and set(texts) <= {"\u2022\u2022\u2022", ""}
        assert all(set(t) <= set("\u2022") for t in added)


def test_snapshot_keeps_page_content_but_no_secret_script_or_value(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        shop.open("/?email=ada%40example.com&utm=spring#token=abc123")
        snap = shop.snapshots()[0]
        meta = shop.events("meta")[0]
        assert meta["url"] == "https://shop.test/?email=*&utm=*#token=*"
        wire = shop.wire_text()
        for gone in ["Ada Lovelace", "ada@example.com", "Private note", "hidden-token-123", "prefilled-search",
                     "textarea-canary", "script-body-canary", "noscript-canary", "pageScriptRan", "h1Clicked",
                     "javascript:", "abc123", "homepage"]:
            assert gone not in wire, gone
        for kept in ["Welcome", "rebeccapurple", "/style.css", "one", "Search", "tall"]:
            assert kept in wire, kept
        note = next(n for n in walk(snap["node"]) if n.get("attrs", {}).get("id") == "note")
        assert text_of(note) == "\u2022\u2022\u2022"  # contenteditable: visitor text, masked even when prefilled
        nodes = list(walk(snap["node"]))
        assert not [n for n in nodes if n.get("tag") in ("script", "noscript")]
        assert not [n for n in nodes for a in n.get("attrs", {}) if a.lower().startswith("on")]
        assert not [n for n in nodes if n.get("tag") == "input" and "value" in n.get("attrs", {})]
        assert not [n for n in nodes if n.get("tag") == "textarea" and n.get("kids")]
        account = next(n for n in nodes if n.get("attrs", {}).get("id") == "account")
        assert text_of(account) == "\u2022\u2022\u2022" * 2  # a fixed mask per text node: no length leaks


def test_mutations_inside_sensitive_subtree_are_masked(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        page = shop.open("/")
        page.click("#change-account")
        page.click("#retitle")  # a public change, to know the mutations have been sent
        shop.wait_for(lambda: "Hello again" in shop.wire_text(), what="the public mutation")
        assert not leaked(shop, ["Grace Hopper", "grace@example.com", "grace-title", "ada-title"])
        account = shop_node(shop, "account")
        adds = [a for e in shop.events("mutation") for a in e.get("adds", []) if a["parent"] == account]
        assert adds and text_of(adds[0]["node"]) == "\u2022\u2022\u2022"


def test_a_field_made_a_password_while_detached_is_sensitive_when_put_back(any_browser: Browser) -> None:  # noqa: F811
    # Out of the document no change is observed: putting the field back must be enough to classify it anew.
    with Shop(any_browser) as shop:
        page = shop.open("/form.html")
        page.evaluate("() => { window.kept = document.getElementById('email'); window.kept.remove(); }")
        shop.settle(100)
        page.evaluate("() => { window.kept.type = 'password'; }")
        shop.settle(100)
        page.evaluate("() => document.getElementById('checkout').prepend(window.kept)")
        page.click("#email")
        page.keyboard.type("Detached-canary-42", delay=2)
        with page.expect_navigation():
            page.click("#pay")
        shop.settle(300)
        assert shop.events("submit"), "the submit was not recorded"
        assert not leaked(shop, ["Detached-canary-42"])


def test_nothing_typed_is_kept_in_storage(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        page = shop.open("/form.html")
        fill_checkout(shop)
        page.fill("#outside", "outside-canary")
        shop.settle(300)
        state: dict[str, Any] = page.evaluate(
            """async prefix => ({
              cookies: document.cookie,
              local: Object.keys(localStorage).filter(k => !k.startsWith(prefix)).map(k => [k, localStorage.getItem(k)]),
              session: Object.keys(sessionStorage).map(k => [k, sessionStorage.getItem(k)]),
              idb: indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : [],
            })""",
            TAP_PREFIX,
        )
        assert state["cookies"] == "" and state["local"] == [] and state["idb"] == []
        assert sorted(k for k, _ in state["session"]) == ["telltale_seq", "telltale_sid"]
        stored = json.dumps(state)
        assert not leaked(shop, list(SECRETS.values()) + list(SHARED.values()) + ["outside-canary"], stored)
