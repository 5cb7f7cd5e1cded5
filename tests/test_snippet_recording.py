"""What the shipped snippet records: snapshot and mutations (replayed), pointer, clicks, scrolls, resizes, SPA
navigation, form analytics, same-origin iframes and open shadow roots. Chromium (the privacy and transport suites run
in Firefox too)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from snippet_support import DEFAULT_CONFIG, OUTLINE, Replay, Shop, any_browser, chromium, text_of, walk  # noqa: F401

MASK = "\u2022\u2022\u2022"

# Random DOM churn over many animation frames: inserts, moves, removals, text and attribute edits, innerHTML.
FUZZ = """async ({seed, rounds}) => {
  let s = seed >>> 0;
  const rnd = () => { s = (s + 0x6D2B79F5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const root = document.getElementById('fuzz'), pick = a => a[Math.floor(rnd() * a.length)];
  const elements = () => [root, ...root.querySelectorAll('*')];
  const spot = p => pick([...p.childNodes, null]);
  let n = 0;
  const ops = [
    () => { const p = pick(elements()), el = document.createElement(pick(['div', 'span', 'b', 'p'])); el.textContent = 'new' + (++n); p.insertBefore(el, spot(p)); },
    () => { const p = pick(elements()); p.insertBefore(document.createTextNode('t' + (++n)), spot(p)); },
    () => { const nodes = [...root.querySelectorAll('*')]; if (!nodes.length) return; const x = pick(nodes);
            const p = pick(elements().filter(e => !x.contains(e))); const ref = spot(p); p.insertBefore(x, ref === x ? null : ref); },
    () => { const nodes = [...root.querySelectorAll('*')]; if (nodes.length > 3) pick(nodes).remove(); },
    () => { const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), t = []; while (w.nextNode()) t.push(w.currentNode);
            if (t.length) pick(t).data = 'edit' + (++n); },
    () => { pick(elements()).setAttribute('data-n', String(++n)); },
    () => { const c = elements().filter(e => e !== root); if (c.length) pick(c).innerHTML = '<i>in' + (++n) + '</i>x<u>y</u>'; },
  ];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0, k = 1 + Math.floor(rnd() * 6); i < k; i++) pick(ops)();
    if (rnd() < 0.7) await new Promise(res => requestAnimationFrame(() => res()));
  }
  document.body.setAttribute('data-done', String(seed));
}"""


@pytest.fixture
def shop(chromium: Browser) -> Iterator[Shop]:  # noqa: F811
    with Shop(chromium) as shop:
        yield shop


def replay(shop: Shop) -> Replay:
    events = shop.events("snapshot", "mutation", "attach")
    player = Replay(events[0]["node"])
    for event in events[1:]:
        player.apply(event)
    return player


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replayed_mutations_rebuild_the_live_dom(shop: Shop, seed: int) -> None:
    page = shop.open("/fuzz.html")
    page.evaluate(FUZZ, {"seed": seed, "rounds": 40})
    shop.wait_for(lambda: any(a["name"] == "data-done" for e in shop.events("mutation") for a in e.get("attrs", [])))
    live = page.eval_on_selector("#fuzz", OUTLINE, "data-n")
    player = replay(shop)
    assert player.outline(player.find("fuzz")) == live


def test_mutations_are_batched_per_animation_frame(shop: Shop) -> None:
    page = shop.open("/fuzz.html")
    page.evaluate("""() => { const ul = document.querySelector('#fuzz ul');
      for (let i = 0; i < 100; i++) { const li = document.createElement('li'); li.textContent = 'x' + i; ul.appendChild(li); } }""")
    shop.wait_for(lambda: shop.events("mutation"))
    shop.settle(300)
    mutations = shop.events("mutation")
    assert len(mutations) == 1 and len(mutations[0]["adds"]) == 100


def test_added_nodes_lose_handlers_and_keep_their_place(shop: Shop) -> None:
    page = shop.open("/")
    page.click("#add")
    event = shop.wait_event("mutation", lambda e: "adds" in e.data)
    add = event["adds"][0]
    assert add["parent"] == shop.node_id("#list") and add["before"] == shop.node_id("#first")
    assert add["node"]["attrs"] == {"id": "item2"} and text_of(add["node"]) == "item 2"
    assert event["attrs"] == [{"id": shop.node_id("#first"), "name": "class", "value": "changed"}]
    assert [t["text"] for t in event["texts"]] == ["first, edited"]


def test_pointer_moves_are_sampled_and_coalesced(shop: Shop) -> None:
    page = shop.open("/")
    page.mouse.move(0, 0)
    started = time.monotonic()
    for i in range(1, 41):
        page.mouse.move(15 * i, 10 * i)
        page.wait_for_timeout(8)
    elapsed_ms = (time.monotonic() - started) * 1000

    def recorded() -> list[tuple[float, int, int]]:
        return [(m.t + dt, x, y) for m in shop.events("move") for dt, x, y in m["path"]]

    # The move that ended the path is recorded at the next flush, whenever a loaded page's timer gets to it.
    shop.wait_for(lambda: recorded()[-1:] and recorded()[-1][1:] == (600, 400), what="the last move at a flush")
    points = recorded()
    # At most one sample per 50 ms, plus the first and the last: a loaded machine that moves slowly gets more.
    assert 3 <= len(points) <= elapsed_ms / 50 + 2, (points, elapsed_ms)
    assert points[-1][1:] == (600, 400)  # the move that ended the path is recorded (at the next flush)
    # Samples are taken >= 50 ms apart by the events' own time stamps; the times recorded are read when the handler
    # runs, which a loaded machine delays unevenly, so hold the typical gap, not every one, to the sampling period.
    times = [p[0] for p in points]
    gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
    assert gaps[len(gaps) // 2] >= 45, times


def test_click_names_the_node_and_where(shop: Shop) -> None:
    page = shop.open("/")
    box = page.locator("#retitle").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 5, box["y"] + 4)
    click = shop.wait_event("click")
    assert click["id"] == shop.node_id("#retitle")
    assert abs(click["x"] - (box["x"] + 5)) <= 1 and abs(click["y"] - (box["y"] + 4)) <= 1


def test_window_and_element_scrolls_and_resize(shop: Shop) -> None:
    page = shop.open("/")
    page.evaluate("() => window.scrollTo(0, 500)")
    page.eval_on_selector("#scroller", "e => e.scrollTop = 200")
    page.set_viewport_size({"width": 800, "height": 600})
    shop.wait_event("resize")
    scrolls = {(e["id"], e["x"], e["y"]) for e in shop.events("scroll")}
    assert (1, 0, 500) in scrolls and (shop.node_id("#scroller"), 0, 200) in scrolls
    assert [(e["w"], e["h"]) for e in shop.events("resize")] == [(800, 600)]


def test_spa_navigation_with_masked_urls(shop: Shop) -> None:
    page = shop.open("/spa.html")
    for button in ("#push", "#replace", "#back"):
        page.click(button)
        page.wait_for_timeout(100)
    page.click("#hash")
    shop.wait_for(lambda: len(shop.events("nav")) >= 4)
    navs = [(e["how"], e["url"]) for e in shop.events("nav")]
    assert navs[:3] == [
        ("push", "https://shop.test/spa/products?q=*"),
        ("replace", "https://shop.test/spa/cart?coupon=*"),
        ("pop", "https://shop.test/spa.html"),
    ]
    assert navs[3][0] in ("pop", "hash") and navs[3][1] == "https://shop.test/spa.html#section=*"


def test_focus_blur_time_in_field_and_corrections(shop: Shop) -> None:
    page = shop.open("/form.html")
    page.click("#fullname")
    page.keyboard.type("abcd", delay=10)
    for _ in range(3):
        page.keyboard.press("Backspace")
    page.click("#password")
    page.keyboard.type("hunter2", delay=10)
    page.keyboard.press("Backspace")
    page.click("#email")
    name, password = shop.node_id("#fullname"), shop.node_id("#password")
    blur = shop.wait_event("blur", lambda e: e["id"] == password)
    assert dict(blur.data).keys() == {"type", "t", "id"}  # sensitive: no time in field, no corrections
    named = next(e for e in shop.events("blur") if e["id"] == name)
    assert named["fixes"] == 3 and named["ms"] > 30
    about_password = [e.type for e in shop.events() if e.get("id") == password]
    assert about_password == ["focus", "blur"]  # not even the click on it


def test_hidden_page_reports_abandonment(shop: Shop) -> None:
    page = shop.open("/form.html")
    page.fill("#email", "hidden-abandon-canary")
    page.evaluate("""() => { Object.defineProperty(document, 'visibilityState', {get: () => 'hidden', configurable: true});
      document.dispatchEvent(new Event('visibilitychange')); }""")
    abandon = shop.wait_event("abandon")
    assert abandon["fields"] == [shop.node_id("#email")]
    assert "hidden-abandon-canary" not in shop.wire_text()  # (how a hidden page sends: test_snippet_transport.py)


def test_same_origin_iframes_are_recorded_by_the_parent(shop: Shop) -> None:
    page = shop.open("/frames.html")
    # Each iframe first attaches its initial about:blank document, then the loaded one.
    loaded = lambda: {e["host"]: e for e in shop.events("attach") if text_of(e["node"]).strip()}
    shop.wait_for(lambda: len(loaded()) == 2, what="both iframe documents attached")
    attaches = loaded()
    plain, masked = attaches[shop.node_id("#same")], attaches[shop.node_id("#masked-frame")]
    assert "Inside the frame" in text_of(plain["node"]) and "frame-secret-text" not in text_of(plain["node"])
    assert "Inside the frame" not in text_of(masked["node"]) and MASK in text_of(masked["node"])

    frame = page.frame_locator("#same")
    frame.locator("#fadd").click()
    frame.locator("#finput").click()
    add_id = next(n["id"] for n in walk(plain["node"]) if n.get("attrs", {}).get("id") == "fadd")
    input_id = next(n["id"] for n in walk(plain["node"]) if n.get("attrs", {}).get("id") == "finput")
    click = shop.wait_event("click", lambda e: e["id"] == add_id)
    box = frame.locator("#fadd").bounding_box()  # in the top viewport
    assert box and box["x"] <= click["x"] <= box["x"] + box["width"] and box["y"] <= click["y"] <= box["y"] + box["height"]
    shop.wait_event("focus", lambda e: e["id"] == input_id)
    shop.wait_for(lambda: "added in frame" in shop.wire_text())
    # The frames' own snippets record nothing: one page view, one meta.
    assert {b.page for b in shop.batches()} == {shop.batches()[0].page}
    assert [e["url"] for e in shop.events("meta")] == ["https://shop.test/frames.html"]


def test_open_shadow_roots_are_recorded_closed_ones_are_not(shop: Shop) -> None:
    page = shop.open("/frames.html")
    snap = shop.snapshots()[0]["node"]
    widget = next(n for n in walk(snap) if n.get("attrs", {}).get("id") == "widget")
    assert widget["shadow"]["root"] == "shadow" and "shadow text" in text_of(widget["shadow"])
    wire = shop.wire_text()
    assert "shadow-secret-text" not in wire and "closed-shadow-canary" not in wire

    page.click("#late")
    page.click("#grow")
    shop.wait_for(lambda: "grown in shadow" in shop.wire_text() and "late shadow text" in shop.wire_text())
    assert "new-shadow-secret" not in shop.wire_text()
    attach = shop.wait_event("attach", lambda e: e["host"] == shop.node_id("#late-host"))
    assert attach["node"]["root"] == "shadow"
    player = replay(shop)
    shadow = player.find("widget")["shadow"]
    assert "grown in shadow" in text_of(shadow)

    page.fill("#shadow-field", "shadow-shared-value")
    page.click("#shadow-submit")
    submit = shop.wait_event("submit")
    assert [f["value"] for f in submit["fields"]] == ["shadow-shared-value"]


def test_marking_a_subtree_sensitive_later_masks_what_follows(shop: Shop) -> None:
    page = shop.open("/")
    page.evaluate("() => document.getElementById('list').setAttribute('data-sensitive', '')")
    page.wait_for_timeout(100)  # the marker and the text change arrive in separate batches
    page.evaluate("""() => { document.getElementById('first').firstChild.data = 'late-secret-text';
      const li = document.createElement('li'); li.textContent = 'late-secret-item'; document.getElementById('list').appendChild(li);
      document.getElementById('hello').textContent = 'public change'; }""")
    shop.wait_for(lambda: "public change" in shop.wire_text())
    assert "late-secret-text" not in shop.wire_text() and "late-secret-item" not in shop.wire_text()


def test_a_node_moved_into_a_sensitive_subtree_is_masked_from_then_on(shop: Shop) -> None:
    # The heading's level is cached once its text change is recorded; moving it must not keep that level.
    page = shop.open("/")
    page.evaluate("() => { document.getElementById('hello').firstChild.data = 'public before the move'; }")
    shop.wait_for(lambda: "public before the move" in shop.wire_text())
    page.evaluate("() => document.getElementById('account').appendChild(document.getElementById('hello'))")
    page.wait_for_timeout(100)  # the move and the text change arrive in separate batches
    page.evaluate("""() => { document.getElementById('hello').firstChild.data = 'moved-secret-text';
      document.getElementById('first').firstChild.data = 'public after the move'; }""")
    shop.wait_for(lambda: "public after the move" in shop.wire_text())
    assert "moved-secret-text" not in shop.wire_text()


def test_frames_share_the_top_window_api(shop: Shop) -> None:
    page = shop.open("/frames.html")
    frame = next(f for f in page.frames if f.url.endswith("/frame.html"))
    frame.wait_for_selector("#ftext")
    assert frame.evaluate("() => window.telltale === window.top.telltale") is True


def test_the_doctype_is_recorded_and_its_absence_too(shop: Shop) -> None:
    shop.open("/")
    assert shop.snapshots()[-1]["node"]["doctype"] == {"name": "html", "publicId": "", "systemId": ""}
    shop.open("/quirks.html")
    assert "doctype" not in shop.snapshots()[-1]["node"]  # quirks mode: the replay must not add one


def test_stylesheets_changed_by_script_are_sent_whole(any_browser: Browser) -> None:  # noqa: F811
    with Shop(any_browser) as shop:
        page = shop.open("/")
        frame = "() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 30)))"
        # CSS-in-JS: an empty <style> whose rules are inserted by script after it was recorded.
        page.evaluate("() => { const s = document.createElement('style'); s.id = 'cssinjs'; document.head.appendChild(s); }")
        page.evaluate(frame)
        page.evaluate("() => document.getElementById('cssinjs').sheet.insertRule('.late-rule { color: rgb(1, 2, 3); }', 0)")
        css = shop.wait_event("mutation", lambda e: "css" in e)["css"]
        added = next(a["node"] for e in shop.events("mutation") for a in e.get("adds", []) if a["node"].get("tag") == "style")
        assert [(c["id"], c["text"]) for c in css] == [(added["id"], ".late-rule { color: rgb(1, 2, 3); }")]
        # Constructed sheets: adopted by assignment, then one more pushed in place, then one of them edited.
        page.evaluate("""() => { const a = new CSSStyleSheet(); a.replaceSync('.adopted-one { color: red; }');
          window.firstSheet = a; document.adoptedStyleSheets = [a]; }""")
        shop.wait_event("mutation", lambda e: "adopted" in e)
        page.evaluate("""() => { const b = new CSSStyleSheet(); b.replaceSync('.adopted-two { color: blue; }');
          document.adoptedStyleSheets.push(b); document.getElementById('first').firstChild.data = 'after the push'; }""")
        shop.wait_event("mutation", lambda e: any(len(a["sheets"]) == 2 for a in e.get("adopted", [])))
        page.evaluate("() => window.firstSheet.insertRule('.adopted-three { color: green; }', 1)")
        last = shop.wait_event("mutation", lambda e: "adopted-three" in str(e.get("adopted")))["adopted"]
        assert [a["id"] for a in last] == [1]  # the document
        first, second = last[0]["sheets"]
        assert ".adopted-one" in first and ".adopted-three" in first and ".adopted-two" in second


def test_a_scroll_sample_carries_the_time_of_its_scroll_event(chromium: Browser) -> None:  # noqa: F811
    # A long sampling interval: the sample is read and sent well after its scroll event.
    with Shop(chromium, config={**DEFAULT_CONFIG, "flushInterval": 60_000, "sampling": {"scroll": 2000}}) as slow:
        page = slow.open("/")
        page.evaluate("""() => new Promise(done => {
          addEventListener('scroll', () => { document.getElementById('search').focus({preventScroll: true}); done(); }, {once: true});
          scrollTo(0, 400); })""")
        slow.leave()
        scroll = next(e for e in slow.events("scroll") if e["y"] == 400)
        focus = next(e for e in slow.events("focus"))
        assert scroll["t"] <= focus["t"], (scroll, focus)


def test_a_pending_scroll_sample_is_sent_when_the_page_is_left(chromium: Browser) -> None:  # noqa: F811
    with Shop(chromium, config={**DEFAULT_CONFIG, "flushInterval": 60_000, "sampling": {"scroll": 60_000}}) as shop:
        page = shop.open("/")
        page.evaluate("() => new Promise(done => { addEventListener('scroll', () => done(), {once: true}); scrollTo(0, 700); })")
        shop.leave()
        assert [(e["id"], e["y"]) for e in shop.events("scroll")][-1:] == [(1, 700)]
