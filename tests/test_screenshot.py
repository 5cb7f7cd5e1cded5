"""The live screenshot of a checkpoint (harness/run/screenshot.py): every sensitive field and every node holding a
protected value is painted over, in the top document, open shadow roots, same- and cross-origin frames, while
plain text stays visible and the page itself sees no change at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Route
from snippet_support import any_browser  # noqa: F401 - the fixture

from harness.resources import page_probe_js
from harness.run.screenshot import HIDE_FILL, HIDE_PAD_PX, masked_screenshot

SECRET = "Quillon Barthesworth"
CARD = "4539 1488 0343 6467"
FRAME_SECRET = "zephyr-harbour-77"

TOP = f"""<!doctype html><html><body style="margin:0;font:16px sans-serif">
<p id=greeting>Hello <b>Quillon</b> Barthesworth, welcome.</p>
<input id=name value="{SECRET}" style="display:block;width:300px">
<input id=card value="{CARD}" style="display:block;width:300px">
<input id=password type=password value="hunter-two-2" style="display:block;width:300px">
<input id=cvv name=cvv value="" style="display:block;width:300px">
<input id=search value="lantern" style="display:block;width:300px">
<div id=host></div>
<iframe id=same src="/frame.html" style="width:320px;height:60px;border:5px solid #ccc"></iframe>
<iframe id=cross src="https://other.test/frame.html" style="width:320px;height:60px;border:0"></iframe>
<script>
  const root = document.getElementById("host").attachShadow({{mode: "open"}});
  root.innerHTML = '<input id=shadowed value="{SECRET}" style="width:300px">';
  window.__seen = [];
  const say = (r) => [r.type, r.target.nodeName, r.attributeName || "",
    [...r.addedNodes, ...r.removedNodes].map((n) => n.nodeName + ":" + n.textContent).join(",")].join(" ");
  const watch = (node) => new MutationObserver((records) => window.__seen.push(...records.map(say)))
    .observe(node, {{attributes: true, childList: true, subtree: true, characterData: true}});
  watch(document); watch(root);
</script></body></html>"""
FRAME = f"""<!doctype html><body style="margin:0"><input id=inner value="{FRAME_SECRET}" style="width:300px">
<script>window.__seen = []; new MutationObserver((r) => window.__seen.push(...r.filter((x) => x.type === "attributes")
  .map((x) => x.attributeName))).observe(document, {{attributes: true, subtree: true}});</script></body>"""


@pytest.fixture()
def probed_page(any_browser: Browser) -> Iterator[Page]:  # noqa: F811 - the fixture imported above
    context = any_browser.new_context(viewport={"width": 800, "height": 600}, ignore_https_errors=True)
    context.add_init_script(page_probe_js())

    def serve(route: Route) -> None:
        body = FRAME if route.request.url.endswith("/frame.html") else TOP
        route.fulfill(status=200, content_type="text/html", body=body)

    context.route("**/*", serve)
    page = context.new_page()
    page.goto("https://shop.test/")
    page.frame_locator("#cross").locator("#inner").wait_for()
    page.frame_locator("#same").locator("#inner").wait_for()
    yield page
    context.close()


def _covered(image: Image.Image, box: dict[str, float]) -> float:
    """Share of ``box`` (CSS pixels, scale 1) painted in the harness's fill."""
    pixels = np.asarray(image.convert("RGB"))[int(box["y"]) + 1:int(box["y"] + box["height"]) - 1,
                                               int(box["x"]) + 1:int(box["x"] + box["width"]) - 1]
    return float(np.all(pixels == np.array(HIDE_FILL, np.uint8), axis=-1).mean())


def test_protected_values_and_sensitive_fields_are_painted_over_everywhere_and_plain_text_is_not(
    probed_page: Page, tmp_path: Path
) -> None:
    page = probed_page
    target = tmp_path / "live.png"
    boxes = masked_screenshot(page, target, [SECRET, CARD, FRAME_SECRET])
    with Image.open(target) as image:
        shot = image.convert("RGB")
    hidden = {
        "text split over elements": page.locator("#greeting"),
        "a field holding a secret": page.locator("#name"),
        "a card number": page.locator("#card"),
        "a password field": page.locator("#password"),
        "an empty field named cvv": page.locator("#cvv"),
        "a field in an open shadow root": page.locator("#host >> #shadowed"),
        "a field in a same-origin frame": page.frame_locator("#same").locator("#inner"),
        "a field in a cross-origin frame": page.frame_locator("#cross").locator("#inner"),
    }
    for what, locator in hidden.items():
        box = locator.bounding_box()
        assert box is not None, what
        if what == "text split over elements":
            box = {**box, "width": 200.0}  # the paragraph is as wide as the page; its text is not
        assert _covered(shot, box) > 0.99, f"{what} is not painted over ({boxes})"
    plain = page.locator("#search").bounding_box()
    assert plain is not None
    inside = {**plain, "y": plain["y"] + HIDE_PAD_PX, "height": plain["height"] - 2 * HIDE_PAD_PX}  # neighbours' margins
    assert _covered(shot, inside) == 0.0, "plain typed text was hidden"
    assert {b.frame for b in boxes} >= {"", "https://shop.test/frame.html", "https://other.test/frame.html"}


# Playwright's own screenshot in Firefox adds and at once removes this stylesheet in every frame, to make animations
# settle (screenshotter.ts, shouldToggleStyleSheetToSyncAnimations); no option turns it off. Nothing else may show.
FIREFOX_SCREENSHOT_TOGGLE = ["childList HEAD  STYLE:body {}", "childList HEAD  STYLE:body {}"]


def test_taking_the_masked_screenshot_changes_nothing_a_page_can_observe(probed_page: Page, tmp_path: Path) -> None:
    page = probed_page
    masked_screenshot(page, tmp_path / "live.png", [SECRET, CARD, FRAME_SECRET])
    page.wait_for_timeout(50)  # mutation records are delivered in a microtask: let them arrive
    allowed = FIREFOX_SCREENSHOT_TOGGLE if page.context.browser and page.context.browser.browser_type.name == "firefox" else []
    seen = page.evaluate("() => window.__seen")
    assert [r for r in seen if r not in allowed] == [], seen
    for frame in page.frames[1:]:
        assert frame.evaluate("() => window.__seen") == [], frame.url
