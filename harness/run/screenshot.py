"""The live screenshot of a checkpoint, with every protected value painted over before it is written.

Whatever snippet runs (ours, a third party's, none), the stored screenshot must not show what the visitor typed
into a sensitive field or any declared secret. The page probe (``page_probe.js``, ``hidden``) reports, read-only,
the boxes of every field it classifies sensitive and of every node that holds a protected value; each frame is
asked by its own probe and its boxes are moved into the top viewport. The screenshot is taken into memory and the
boxes are painted opaque with Pillow, so the page never sees an attribute, a style or an overlay of ours (a
tracker's MutationObserver would record them).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Page

from harness.run.timeline import HiddenBox, TypedValue

MIN_HIDDEN_LENGTH: Final = 3  # shorter text would hide half the page by coincidence (privacy stores from here too)
HIDE_PAD_PX: Final = 4  # a field's focus ring and anti-aliased edges belong to its box
HIDE_FILL: Final = (72, 80, 96)  # opaque slate: nothing of what was under it survives, not even its contrast
NO_PROBE: Final = "a frame the probe could not read"

_HIDDEN = "(values) => window.__telltaleProbe ? window.__telltaleProbe.hidden(values) : null"
# The content box of a frame's element in its parent's viewport (border and padding excluded).
_CONTENT_BOX = """(el) => {
  const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  const left = r.left + el.clientLeft + parseFloat(s.paddingLeft || "0");
  const top = r.top + el.clientTop + parseFloat(s.paddingTop || "0");
  const width = el.clientWidth - parseFloat(s.paddingLeft || "0") - parseFloat(s.paddingRight || "0");
  const height = el.clientHeight - parseFloat(s.paddingTop || "0") - parseFloat(s.paddingBottom || "0");
  return [left, top, Math.max(0, width), Math.max(0, height)];
}"""


def hidden_values(typed: Iterable[TypedValue], secrets: Mapping[str, str]) -> tuple[str, ...]:
    """The values no screenshot may show: every declared secret, and typed text the probe classified sensitive.

    Plain typed text (a search term) stays visible: it is evidence of what the visitor did, not a secret. The
    privacy layer takes this same set (``ProtectedValues.hidden``) for what it holds the pictures to.
    """
    values = set(secrets.values()) | {entry.value for entry in typed if entry.sensitive}
    return tuple(sorted((v for v in values if len(v) >= MIN_HIDDEN_LENGTH), key=len, reverse=True))


@dataclass(frozen=True)
class _FrameArea:
    """Where a frame's viewport sits in the top viewport: its origin, and the part of it that shows."""

    x: float  # origin: the frame's (0, 0) in top-viewport pixels
    y: float
    clip: tuple[float, float, float, float]  # x0, y0, x1, y1: visible through every ancestor


def _frame_area(frame: Frame, known: dict[Frame, _FrameArea | None]) -> _FrameArea | None:
    """``frame``'s place in the top viewport, or None when it shows nowhere (or went away)."""
    if frame in known:
        return known[frame]
    parent = frame.parent_frame
    outer = _frame_area(parent, known) if parent is not None else None
    area = None
    if outer is not None:
        try:
            left, top, width, height = frame.frame_element().evaluate(_CONTENT_BOX)
        except PlaywrightError:
            left = top = width = height = 0.0  # the frame went away while we looked
        x, y = outer.x + left, outer.y + top
        ox0, oy0, ox1, oy1 = outer.clip
        clip = (max(x, ox0), max(y, oy0), min(x + width, ox1), min(y + height, oy1))
        area = _FrameArea(x, y, clip) if clip[2] > clip[0] and clip[3] > clip[1] else None
    known[frame] = area
    return area


def hidden_boxes(page: Page, values: Iterable[str]) -> list[HiddenBox]:
    """The boxes to paint over in ``page``'s viewport, from every frame's probe (a frame it cannot read: whole)."""
    wanted = list(values)
    top = page.main_frame
    try:
        info = page.evaluate(_HIDDEN, wanted)
    except PlaywrightError:
        info = None  # the page is navigating: its document cannot be read
    if not info:
        size = page.viewport_size or {"width": 0, "height": 0}
        return [HiddenBox(0, 0, size["width"], size["height"], NO_PROBE)]  # no probe: nothing can be shown safely
    view = (0.0, 0.0, float(info["width"]), float(info["height"]))
    boxes = [HiddenBox(b["x"], b["y"], b["w"], b["h"], str(b["why"])) for b in info["boxes"]]
    known: dict[Frame, _FrameArea | None] = {top: _FrameArea(0.0, 0.0, view)}
    for frame in page.frames:
        area = _frame_area(frame, known)
        if frame is top or area is None:
            continue  # the top document is done; this frame is off screen, or gone
        try:
            inner = frame.evaluate(_HIDDEN, wanted)
        except PlaywrightError:
            inner = None
        if not inner:
            x0, y0, x1, y1 = area.clip
            boxes.append(HiddenBox(x0, y0, x1 - x0, y1 - y0, NO_PROBE, frame.url))
            continue
        for b in inner["boxes"]:
            moved = HiddenBox(area.x + b["x"], area.y + b["y"], b["w"], b["h"], str(b["why"]), frame.url)
            clipped = moved.clipped(*area.clip)
            if clipped is not None:
                boxes.append(clipped)
    return [b for b in (box.clipped(*view) for box in boxes) if b is not None]


def paint(png: bytes, boxes: Iterable[HiddenBox], css_width: float, pad: float = HIDE_PAD_PX) -> Image.Image:
    """The screenshot ``png`` with every box (grown by ``pad``) painted opaque; ``css_width`` scales CSS pixels."""
    with Image.open(io.BytesIO(png)) as opened:
        image = opened.convert("RGB")
    scale = image.width / css_width if css_width else 1.0
    draw = ImageDraw.Draw(image)
    for b in boxes:
        draw.rectangle(
            ((b.x - pad) * scale, (b.y - pad) * scale, (b.x + b.w + pad) * scale - 1, (b.y + b.h + pad) * scale - 1),
            fill=HIDE_FILL,
        )
    return image


def masked_screenshot(page: Page, target: Path, values: Iterable[str]) -> tuple[HiddenBox, ...]:
    """Write ``page``'s viewport to ``target`` (PNG) with every protected value painted over; the boxes painted.

    The boxes are read before and after the shot and both are painted: a page that moves while the screenshot is
    taken (an animation settled by ``animations="disabled"``) still has its values covered where they were.
    """
    wanted = tuple(values)
    before = hidden_boxes(page, wanted)
    # caret="initial": Playwright's default (hide) sets a style attribute on every field, which a page observes.
    png = page.screenshot(animations="disabled", caret="initial")
    after = hidden_boxes(page, wanted)
    boxes = tuple(dict.fromkeys(before + after))
    size = page.viewport_size
    css_width = float(size["width"]) if size else 0.0
    paint(png, boxes, css_width).save(target, format="PNG")
    return boxes


__all__ = ["HIDE_FILL", "HIDE_PAD_PX", "MIN_HIDDEN_LENGTH", "NO_PROBE", "hidden_boxes", "hidden_values",
           "masked_screenshot", "paint"]
