"""The replay page is inert: recorded script, handlers, script URLs, refresh, <base>, srcdoc and every URL to fetch
never run or load, in Chromium and Firefox. Each payload would call a binding, rename the top window or retitle the
replay page; none may, and the replay page may make no request at all.

Two recordings: a page full of payloads recorded by the real snippet through the capturing proxy (what the snippet
lets through, such as a refresh pragma or <base>, must still be neutralised), and a hand-made session that carries
every payload raw, as a careless or hostile recorder would send it (defence in depth: the replay does not rely on the
snippet's filtering).
"""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from harness.capture.proxy import CapturedRequest, Recording
from harness.plugin.fixtures import Capture
from harness.privacy.vendors import RrwebEvent
from harness.replay.page import AssetResolver, Replay
from harness.replay.rrweb_page import RrwebReplay
from harness.replay.session import Session, decode_session
from harness.run.steps import close_page

CALL = "top.__ttPwned && top.__ttPwned('{}'); top.name='pwned'; top.document.title='pwned'"
EVIL = "https://evil.test"

PAYLOAD_PAGE = f"""<!doctype html>
<html><head>
<meta charset="utf-8">
<title>Payloads</title>
<meta http-equiv="refresh" content="3600; url={EVIL}/refresh">
<base href="{EVIL}/base/">
<link rel="stylesheet" href="{EVIL}/sheet.css">
<link rel="prefetch" href="{EVIL}/prefetch">
<style>@import url({EVIL}/import.css); body {{ background: url({EVIL}/bg.png) }}</style>
<script>window.__livePayload = 1;</script>
</head>
<body onload="{CALL.format('body-onload')}">
<h1 id="title">Payloads</h1>
<img id="img" src="{EVIL}/img.png" onerror="{CALL.format('img-onerror')}">
<svg width="10" height="10" onload="{CALL.format('svg-onload')}"><image href="{EVIL}/svg.png" width="5" height="5"/></svg>
<a id="js-link" href="javascript:{CALL.format('js-link')}">a javascript: link</a>
<a id="rel-link" href="relative/page.html">a relative link (resolved against <base> live)</a>
<iframe id="srcdoc" srcdoc="<script>{CALL.format('srcdoc')}</script>"></iframe>
<iframe id="framed" src="{EVIL}/frame.html"></iframe>
<object data="{EVIL}/object"></object>
<embed src="{EVIL}/embed">
<video poster="{EVIL}/poster.png"></video>
<form action="{EVIL}/post"><input type="image" src="{EVIL}/submit.png"><button formaction="javascript:{CALL.format('formaction')}">go</button></form>
<div style="background-image: url({EVIL}/div.png)">styled</div>
<details open ontoggle="{CALL.format('ontoggle')}"><summary>details</summary></details>
<input id="auto" autofocus onfocus="{CALL.format('onfocus')}">
<script>document.body.insertAdjacentHTML('beforeend', '<p id="late" onclick="x()">added by script</p>');</script>
</body></html>"""


def _spy(replay: Replay) -> list[str]:
    """Payload calls seen by the replay's context; a control call proves the binding is reachable from the page."""
    calls: list[str] = []
    replay.context.expose_binding("__ttPwned", lambda source, what: calls.append(str(what)))
    return calls


def _assert_inert(replay: Replay, calls: list[str], attempts_refused_by_policy: bool = False) -> None:
    replay.page.wait_for_timeout(600)  # handlers, a 0 s refresh and image errors would have fired by now
    replay.page.evaluate("() => window.__ttPwned('control')")
    state = replay.page.evaluate("() => [window.name, document.title, location.href, document.getElementById('tt-replay').contentWindow.location.href]")
    assert calls == ["control"], f"recorded script ran in the replay: {calls}"
    assert state[:2] == ["", ""], f"a payload renamed or retitled the replay page: {state}"
    assert state[2] == "about:blank" and state[3] == "about:blank", f"the replay navigated: {state}"
    assert replay.routed == [], f"requests got past the replay's CSP: {replay.routed}"
    if attempts_refused_by_policy:
        assert sorted(replay.requests) == sorted(replay.refused_by_policy), (replay.requests, replay.refused_by_policy)
    else:
        assert replay.requests == [], f"the replay attempted requests: {replay.requests}"


def _replay_all(browser: Browser, session: Session) -> tuple[Replay, list[str]]:
    (view,) = [p for p in session.pages if p.snapshot]
    replay = Replay(browser, AssetResolver(None))
    calls = _spy(replay)
    replay.show(view, view.end_ms + 1)
    # A visitor clicking the javascript: link in the replay (the replayer drops the URL; the sandbox forbids it too).
    replay.page.evaluate("() => { const d = document.getElementById('tt-replay').contentDocument;"
                         ""
                         " for (const a of d.querySelectorAll('a, button, summary')) a.click ? a.click()"
                         " : a.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true})); }")
    return replay, calls


def _recorded_text(capture: Capture) -> str:
    """Every event the snippet's batches carried so far, as JSON (a batch still arriving is not decoded yet)."""
    session = decode_session(capture.recording)
    return json.dumps([dict(e.event.data) for page in session.pages for e in page.events])


def test_a_recorded_page_full_of_payloads_replays_inert(
    browser: Browser, context: BrowserContext, tracked_page: Page, capture: Capture
) -> None:
    context.route("https://shop.test/payloads.html",
                  lambda route: route.fulfill(body=PAYLOAD_PAGE, content_type="text/html; charset=utf-8"))
    context.route(f"{EVIL}/**", lambda route: route.fulfill(status=204))
    tracked_page.goto("https://shop.test/payloads.html", wait_until="load")
    tracked_page.wait_for_function("() => document.getElementById('late')")
    # The page as the script left it, at the wire: a quiet spell alone may end before a loaded browser sends it.
    capture.wait_for(lambda c: "added by script" in _recorded_text(c), "the recorded page")
    close_page(tracked_page)  # pagehide: the snippet sends what it holds; waits until the page is gone
    session = decode_session(capture.settle().recording)
    assert session.pages and session.pages[0].snapshot, session
    replay, calls = _replay_all(browser, session)
    try:
        _assert_inert(replay, calls)
        text = replay.text()
        assert "Payloads" in text and "added by script" in text  # the page itself was replayed
        neutralised = replay.neutralised()
        # What the snippet lets through, and the replay must still neutralise.
        for kind in ("attribute http-equiv", "attribute href", "url src", "url data"):
            assert neutralised.get(kind, 0) >= 1, (kind, neutralised)
    finally:
        replay.close()


def _node(tag: str, nid: list[int], attrs: dict[str, str] | None = None, *kids: dict[str, Any]) -> dict[str, Any]:
    nid[0] += 1
    node: dict[str, Any] = {"id": nid[0], "tag": tag}
    if attrs:
        node["attrs"] = attrs
    if kids:
        node["kids"] = list(kids)
    return node


def _text(text: str, nid: list[int]) -> dict[str, Any]:
    nid[0] += 1
    return {"id": nid[0], "text": text}


def raw_payload_session() -> Session:
    """A session whose DOM carries every payload as-is (no snippet filtering), snapshot and mutation alike."""
    n = [1]
    script = _node("script", n, None, _text(CALL.format("script"), n))
    svg_script = {**_node("script", n, None, _text(CALL.format("svg-script"), n)), "ns": "http://www.w3.org/2000/svg"}
    head = _node(
        "head", n, None,
        _node("meta", n, {"http-equiv": "refresh", "content": f"0; url={EVIL}/refresh"}),
        _node("meta", n, {"http-equiv": "Content-Security-Policy", "content": "default-src *"}),
        _node("base", n, {"href": f"{EVIL}/base/"}),
        _node("link", n, {"rel": "stylesheet", "href": f"{EVIL}/sheet.css"}),
        _node("link", n, {"rel": "preload", "as": "image", "href": f"{EVIL}/preload.png"}),
        _node("style", n, None, _text(f"@import url({EVIL}/import.css); body {{ background: url('{EVIL}/bg.png') }}", n)),
        script,
    )
    body = _node(
        "body", n, {"onload": CALL.format("body-onload")},
        _node("img", n, {"src": f"{EVIL}/img.png", "onerror": CALL.format("img-onerror")}),
        _node("img", n, {"src": "data:,", "onerror": CALL.format("img-data-onerror")}),
        _node("img", n, {"srcset": f"{EVIL}/a.png 1x, {EVIL}/b.png 2x"}),
        _node("a", n, {"id": "js-link", "href": f" JaVa\tScRiPt:{CALL.format('js-link')}"}, _text("link", n)),
        _node("iframe", n, {"srcdoc": f"<script>{CALL.format('srcdoc')}</script>"}),
        _node("iframe", n, {"src": f"javascript:{CALL.format('js-iframe')}"}),
        _node("iframe", n, {"src": f"data:text/html,<script>{CALL.format('data-iframe')}</script>"}),
        _node("object", n, {"data": f"{EVIL}/object"}),
        _node("embed", n, {"src": f"{EVIL}/embed"}),
        _node("video", n, {"poster": f"{EVIL}/poster.png", "src": f"{EVIL}/v.mp4", "autoplay": ""}),
        _node("audio", n, {"src": f"{EVIL}/a.mp3", "autoplay": ""}),
        {**_node("svg", n, {"onload": CALL.format("svg-onload")},
                 {**_node("image", n, {"href": f"{EVIL}/svg.png"}), "ns": "http://www.w3.org/2000/svg"},
                 {**_node("a", n, {"href": f"javascript:{CALL.format('svg-link')}"}), "ns": "http://www.w3.org/2000/svg"},
                 {**_node("set", n, {"attributeName": "href", "to": f"javascript:{CALL.format('svg-set')}"}),
                  "ns": "http://www.w3.org/2000/svg"},
                 svg_script),
         "ns": "http://www.w3.org/2000/svg"},
        _node("form", n, {"action": f"{EVIL}/post"},
              _node("button", n, {"formaction": f"javascript:{CALL.format('formaction')}"}, _text("go", n))),
        _node("div", n, {"style": f"background-image: url({EVIL}/div.png)"}, _text("styled", n)),
        _node("p", n, {"class": "javascript-enabled", "title": "data: text"}, _text("harmless", n)),
        _node("details", n, {"open": "", "ontoggle": CALL.format("ontoggle")}, _node("summary", n, None, _text("d", n))),
        _node("input", n, {"autofocus": "", "onfocus": CALL.format("onfocus")}),
        _node("noscript", n, None, _text("noscript", n)),
        _node("template", n, None, _text("template", n)),
    )
    html = _node("html", n, None, head, body)
    body_id = body["id"]
    later = {"type": "mutation", "t": 50, "adds": [
        {"parent": body_id, "node": _node("script", n, None, _text(CALL.format("added-script"), n))},
        {"parent": body_id, "node": _node("img", n, {"src": f"{EVIL}/late.png", "onerror": CALL.format("late-onerror")})},
        {"parent": body_id, "node": _node("meta", n, {"http-equiv": "refresh", "content": f"0; url={EVIL}/late"})},
    ], "attrs": [{"id": body_id, "name": "onclick", "value": CALL.format("attr-onclick")},
                 {"id": html["id"], "name": "style", "value": f"background: url({EVIL}/attr.png)"}]}
    events = [
        {"type": "meta", "t": 0, "url": "https://shop.test/payloads.html", "title": "Payloads", "w": 800, "h": 600, "dpr": 1},
        {"type": "snapshot", "t": 1, "node": {"id": 1, "root": "doc", "kids": [html]}},
        later,
        {"type": "attach", "t": 60, "host": body["kids"][4]["id"],  # the srcdoc iframe gets a document of its own
         "node": {"id": 10_000, "root": "doc", "kids": [{"id": 10_001, "tag": "html", "kids": [
             {"id": 10_002, "tag": "script", "kids": [{"id": 10_003, "text": CALL.format("frame-script")}]},
             {"id": 10_004, "tag": "img", "attrs": {"src": f"{EVIL}/frame.png", "onerror": CALL.format("frame-img")}}]}]}},
    ]
    return _session(events)


def _session(events: list[dict[str, Any]]) -> Session:
    """A session of one page view made of ``events``, as the snippet would have sent them in one batch."""
    batch = {"v": 2, "sid": "0" * 32, "seq": 1, "page": "c" * 16, "t0": 1_800_000_000_000, "dropped": 0, "events": events}
    body_bytes = gzip.compress(json.dumps(batch).encode())
    request = CapturedRequest(1000.0, "POST", "https://shop.test/telltale/collect?z=gzip", (), body_bytes, "fetch")
    return decode_session(Recording(started=0.0, wall_started=1_800_000_000.0 - 0.5, requests=[request]))


def test_raw_payloads_never_run_or_load(browser: Browser) -> None:
    session = raw_payload_session()
    replay, calls = _replay_all(browser, session)
    try:
        _assert_inert(replay, calls)
        neutralised = replay.neutralised()
        for kind in ("element script", "element noscript", "element template", "attribute onload", "attribute onerror",
                     "attribute srcdoc", "attribute http-equiv", "script url in href", "script url in src",
                     "url srcset", "css @import", "css url()", "animated href"):
            assert neutralised.get(kind, 0) >= 1, (kind, neutralised)
        html = replay.page.evaluate("() => document.getElementById('tt-replay').contentDocument.documentElement.outerHTML")
        for needle in ("<script", "onerror", "onload", "javascript:", "http-equiv", "srcdoc", "evil.test"):
            assert needle not in html.lower(), needle
        assert '<p class="javascript-enabled" title="data: text">harmless</p>' in html  # look-alikes are kept
    finally:
        replay.close()


def test_replay_shows_a_moment_and_goes_back_in_time(browser: Browser) -> None:
    session = raw_payload_session()
    (view,) = session.pages
    started = time.monotonic()
    with Replay(browser, AssetResolver(None)) as replay:
        replay.show(view, view.end_ms + 1)
        assert replay.applied == len(view.events)
        replay.show(view, view.start_ms)  # earlier: rebuilt from the snapshot
        assert replay.applied == 2 and replay.size == (800, 600)
        assert replay.screenshot()[:8] == b"\x89PNG\r\n\x1a\n"
    assert time.monotonic() - started < 30


def test_the_sandbox_and_the_policy_hold_without_the_replayer_filtering(browser: Browser) -> None:
    """The second line of defence on its own: payloads written straight into the replay frame's DOM, unfiltered.

    The sandbox (no allow-scripts) stops the script; the CSP (default-src 'none') stops the fetches before they
    reach the network, so neither the context's route nor the page's request events ever see them."""
    with Replay(browser, AssetResolver(None)) as replay:
        calls = _spy(replay)
        replay.page.evaluate(
            """(call) => {
              const d = document.getElementById('tt-replay').contentDocument;
              d.body.innerHTML = `<img src="data:," onerror="${call}"><a id="go" href="javascript:${call}">go</a>`
                + `<img src="https://evil.test/unfiltered.png"><div style="background:url(https://evil.test/bg.png)">x</div>`;
              const s = d.createElement('script'); s.textContent = call; d.body.appendChild(s);
              const f = d.createElement('iframe'); f.srcdoc = `<script>${call}<\\/script>`; d.body.appendChild(f);
              d.getElementById('go').click();
            }""",
            CALL.format("unfiltered"),
        )
        _assert_inert(replay, calls, attempts_refused_by_policy=True)


STYLED_PAGE = {"id": 2, "tag": "html", "kids": [
    {"id": 3, "tag": "head", "kids": [{"id": 4, "tag": "style"}]},
    {"id": 5, "tag": "body", "kids": [{"id": 6, "tag": "p", "attrs": {"class": "target"}, "kids": [{"id": 7, "text": "styled"}]}]}]}


def _styled(doctype: dict[str, str] | None) -> Session:
    root: dict[str, Any] = {"id": 1, "root": "doc", "kids": [STYLED_PAGE]}
    if doctype is not None:
        root["doctype"] = doctype
    return _session([
        {"type": "meta", "t": 0, "url": "https://shop.test/styled.html", "title": "Styled", "w": 800, "h": 600, "dpr": 1},
        {"type": "snapshot", "t": 1, "node": root},
        {"type": "mutation", "t": 20, "css": [{"id": 4, "text": ".target { color: rgb(1, 2, 3); }"}]},
        {"type": "mutation", "t": 30, "adopted": [{"id": 1, "sheets": [".target { background-color: rgb(4, 5, 6); }"]}]},
    ])


READ_STYLED = """() => { const doc = document.getElementById('tt-replay').contentDocument, p = doc.querySelector('.target'),
  style = doc.defaultView.getComputedStyle(p); return [doc.compatMode, style.color, style.backgroundColor]; }"""


@pytest.mark.parametrize(("doctype", "mode"), [
    ({"name": "html", "publicId": "", "systemId": ""}, "CSS1Compat"),
    (None, "BackCompat"),  # recorded without one: quirks mode, as the page was
    ({"name": "html><script>alert(1)</script", "publicId": "", "systemId": ""}, "CSS1Compat"),  # not written as is
])
def test_the_recorded_doctype_and_stylesheets_changed_by_script_are_replayed(
    browser: Browser, doctype: dict[str, str] | None, mode: str
) -> None:
    (view,) = _styled(doctype).pages
    with Replay(browser, AssetResolver(None)) as replay:
        calls = _spy(replay)
        replay.show(view, view.start_ms + 5)
        assert replay.page.evaluate(READ_STYLED) == [mode, "rgb(0, 0, 0)", "rgba(0, 0, 0, 0)"]
        replay.show(view, view.end_ms + 1)
        assert replay.page.evaluate(READ_STYLED) == [mode, "rgb(1, 2, 3)", "rgb(4, 5, 6)"]
        _assert_inert(replay, calls)
        assert ("invalid doctype" in replay.neutralised()) == (doctype is not None and "<" in doctype["name"])


# --- the vendor's replay: rrweb's own replayer in the same inert page ----------------------------------------------

RR_T0 = 1_800_000_000_000  # epoch ms of the hand-made rrweb session's first event


def _rr(tag: str, nid: list[int], attrs: dict[str, str] | None = None, *kids: dict[str, Any]) -> dict[str, Any]:
    """An rrweb-snapshot element node."""
    nid[0] += 1
    return {"type": 2, "id": nid[0], "tagName": tag, "attributes": attrs or {}, "childNodes": list(kids)}


def _rr_text(text: str, nid: list[int], style: bool = False) -> dict[str, Any]:
    nid[0] += 1
    return {"type": 3, "id": nid[0], "textContent": text, **({"isStyle": True} if style else {})}


def raw_rrweb_events() -> list[RrwebEvent]:
    """An rrweb session whose DOM carries every payload as-is, in its full snapshot and in a later mutation."""
    n = [1]
    head = _rr(
        "head", n, None,
        _rr("meta", n, {"http-equiv": "refresh", "content": f"0; url={EVIL}/refresh"}),
        _rr("link", n, {"rel": "stylesheet", "href": f"{EVIL}/sheet.css"}),
        _rr("style", n, None, _rr_text(f"@import url({EVIL}/import.css); body {{ background: url('{EVIL}/bg.png') }}", n,
                                       style=True)),
        _rr("script", n, None, _rr_text(CALL.format("script"), n)),
    )
    body = _rr(
        "body", n, {"onload": CALL.format("body-onload")},
        _rr("h1", n, None, _rr_text("Vendor payloads", n)),
        _rr("img", n, {"src": f"{EVIL}/img.png", "onerror": CALL.format("img-onerror")}),
        _rr("img", n, {"src": "data:,", "onerror": CALL.format("img-data-onerror")}),
        _rr("img", n, {"srcset": f"{EVIL}/a.png 1x, {EVIL}/b.png 2x"}),
        _rr("a", n, {"id": "js-link", "href": f" JaVa\tScRiPt:{CALL.format('js-link')}"}, _rr_text("link", n)),
        _rr("iframe", n, {"srcdoc": f"<script>{CALL.format('srcdoc')}</script>"}),
        _rr("iframe", n, {"src": f"{EVIL}/frame.html"}),
        _rr("video", n, {"poster": f"{EVIL}/poster.png", "src": f"{EVIL}/v.mp4", "autoplay": ""}),
        _rr("div", n, {"style": f"background-image: url({EVIL}/div.png)"}, _rr_text("styled", n)),
        _rr("details", n, {"open": "", "ontoggle": CALL.format("ontoggle")}, _rr("summary", n, None, _rr_text("d", n))),
        _rr("input", n, {"autofocus": "", "onfocus": CALL.format("onfocus")}),
    )
    html = _rr("html", n, None, head, body)
    document = {"type": 0, "id": 1, "childNodes": [html]}
    later = {"source": 0, "texts": [], "removes": [], "adds": [
        {"parentId": body["id"], "nextId": None, "node": _rr("script", n, None, _rr_text(CALL.format("added-script"), n))},
        {"parentId": body["id"], "nextId": None,
         "node": _rr("img", n, {"src": f"{EVIL}/late.png", "onerror": CALL.format("late-onerror")})},
    ], "attributes": [{"id": body["id"], "attributes": {"onclick": CALL.format("attr-onclick")}},
                      {"id": html["id"], "attributes": {"style": f"background: url({EVIL}/attr.png)"}}]}
    return [
        {"type": 4, "data": {"href": "https://shop.test/payloads.html", "width": 800, "height": 600}, "timestamp": RR_T0},
        {"type": 2, "data": {"node": document, "initialOffset": {"left": 0, "top": 0}}, "timestamp": RR_T0 + 1},
        {"type": 3, "data": later, "timestamp": RR_T0 + 50},
    ]


def test_the_vendor_replay_of_raw_rrweb_payloads_never_runs_or_loads(browser: Browser) -> None:
    """rrweb's own replayer, shown at the end of a session full of payloads: nothing runs, nothing is requested."""
    with RrwebReplay(browser, raw_rrweb_events(), wall_started_ms=RR_T0 - 1000) as replay:
        calls = _spy(replay)
        assert replay.show_at(1000 + 60) == "https://shop.test/payloads.html"
        frame = "document.querySelector('#tt-rrweb iframe')"
        replay.page.evaluate(f"() => {{ const d = {frame}.contentDocument;"
                             " for (const a of d.querySelectorAll('a, button, summary')) a.click(); }")
        _assert_inert(replay, calls)
        assert replay.page.evaluate(f"() => {frame}.getAttribute('sandbox')") == "allow-same-origin"
        assert replay.page.evaluate(f"() => {frame}.contentWindow.location.href") == "about:blank"
        assert "Vendor payloads" in replay.text()  # the page itself was replayed
        neutralised = replay.neutralised()
        for kind in ("attribute onload", "attribute onerror", "attribute http-equiv", "script url in href", "url src",
                     "url srcset", "url srcdoc", "url href", "css @import", "css url()", "attribute onclick"):
            assert neutralised.get(kind, 0) >= 1, (kind, neutralised)
        html = replay.page.evaluate(f"() => {frame}.contentDocument.documentElement.outerHTML").lower()
        for needle in ("onerror", "onload", "javascript:", "http-equiv", "srcdoc", "evil.test"):
            assert needle not in html, needle
