"""Heatmaps over a page's first full replay frame: where visitors clicked, where the pointer went, how far they read.

All three are drawn in page coordinates (CSS pixels from the top of the document), so runs of the same page add
up: a viewport position recorded by the snippet becomes a page position by adding the window's scroll at the time.

- clicks: a small glow per click, ringed so single clicks stay visible;
- pointer movement: every sampled pointer position, joined into segments, as a blurred density;
- scroll depth: per row of the page, the share of visits that scrolled far enough to see it (the bottom of the
  viewport reached that row at least once); one visit shows what it reached, an aggregate how many got how far.

Everything here is NumPy over whole arrays (accumulation with ``np.add.at``, box blurs as cumulative-sum
differences, colour ramps with ``np.interp``) and Pillow to compose and draw.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from harness.replay.page import pointer_track
from harness.replay.session import PageView

FloatArray = npt.NDArray[np.float64]
Kind = Literal["clicks", "moves", "scroll"]
KINDS: Final[tuple[Kind, ...]] = ("clicks", "moves", "scroll")

CLICK_RADIUS: Final = 14  # blur radius of a click's glow, px
MOVE_RADIUS: Final = 10  # blur radius of the pointer density, px
SEGMENT_STEP: Final = 3.0  # pointer segments are sampled every this many px
CELL: Final = 4  # heat is accumulated and blurred on cells of this many px square
# Colour ramp (position 0..1 -> RGB): transparent-ish blue for little, red for most.
RAMP: Final = ((0.0, (49, 54, 149)), (0.25, (69, 117, 180)), (0.5, (116, 196, 118)), (0.75, (254, 224, 68)),
               (1.0, (215, 48, 39)))


@dataclass
class PageActivity:
    """What visitors did on one page, in page coordinates, with the page's size."""

    key: str  # the page (host and path), shared by every run of it
    url: str
    width: int
    height: int
    viewport: tuple[int, int]
    clicks: list[tuple[float, float]] = field(default_factory=list)
    moves: list[list[tuple[float, float]]] = field(default_factory=list)  # pointer paths
    reached: list[float] = field(default_factory=list)  # per visit, the deepest row the viewport showed
    runs: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "url": self.url, "width": self.width, "height": self.height,
            "viewport": list(self.viewport), "clicks": self.clicks, "moves": self.moves, "reached": self.reached,
            "runs": self.runs,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageActivity:
        return cls(
            data["key"], data["url"], int(data["width"]), int(data["height"]),
            (int(data["viewport"][0]), int(data["viewport"][1])),
            [(float(x), float(y)) for x, y in data["clicks"]],
            [[(float(x), float(y)) for x, y in path] for path in data["moves"]],
            [float(y) for y in data["reached"]], int(data.get("runs", 1)),
        )


def page_key(url: str) -> str:
    """A file-name-safe key for a page: host and path (the snippet masks query values, so they are left out)."""
    parts = urlsplit(url)
    raw = f"{parts.hostname or 'page'}{parts.path or '/'}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("_") or "page"


def recorded_scrolls(view: PageView) -> list[tuple[float, int, int]]:
    """The window's scroll positions as recorded, (harness ms, x, y), from (0, 0) at the page view's start."""
    snapshot = view.snapshot
    doc = snapshot.event["node"]["id"] if snapshot else None
    scrolls = [(view.start_ms, 0, 0)]
    scrolls += [(e.at_ms, int(e.event["x"]), int(e.event["y"])) for e in view.events
                if e.type == "scroll" and e.event.get("id") == doc]
    return scrolls


def activity(
    view: PageView, width: int, height: int, scrolls: Sequence[tuple[float, int, int]] | None = None
) -> PageActivity:
    """A page view's clicks, pointer paths and scroll depth in page coordinates (``width`` x ``height``: the page).

    ``scrolls`` is the window's scroll over time, (harness ms, x, y); the replay's (which corrects lost samples from
    where clicks landed) is better than the recorded one, the default.
    """
    track = sorted(scrolls if scrolls else recorded_scrolls(view))
    times = np.array([s[0] for s in track], dtype=np.float64)
    offsets = np.array([(s[1], s[2]) for s in track], dtype=np.float64).reshape(-1, 2)

    def to_page(points: list[tuple[float, int, int]]) -> list[tuple[float, float]]:
        if not points or not len(track):
            return [(float(x), float(y)) for _, x, y in points]
        p = np.asarray(points, dtype=np.float64)
        # The scroll in force at each point: the last one at or before it (the first when none is).
        index = np.clip(np.searchsorted(times, p[:, 0], side="right") - 1, 0, len(times) - 1)
        return [(float(x), float(y)) for x, y in p[:, 1:] + offsets[index]]

    clicks = to_page([(e.at_ms, int(e.event["x"]), int(e.event["y"])) for e in view.events if e.type == "click"])
    path = to_page(pointer_track(view))
    viewport = (view.width or width, view.height or 720)
    deepest = float(offsets[:, 1].max()) if len(offsets) else 0.0
    return PageActivity(page_key(view.url), view.url, width, height, viewport, clicks, [path] if path else [],
                        [min(float(height), deepest + viewport[1])])


def merge(activities: Sequence[PageActivity]) -> PageActivity:
    """Visits of the same page added up, sized as the first."""
    first = activities[0]
    merged = PageActivity(first.key, first.url, first.width, first.height, first.viewport, runs=0)
    for a in activities:
        merged.clicks += a.clicks
        merged.moves += a.moves
        merged.reached += a.reached
        merged.runs += a.runs
    return merged


# --- rasterising ---------------------------------------------------------------------------------------------------


def _box_blur(a: FloatArray, radius: int, axis: int) -> FloatArray:
    """Mean over a window of 2r+1 along ``axis``, via differences of a cumulative sum (edges padded with zeros)."""
    if radius <= 0:
        return a
    pad = [(0, 0)] * a.ndim
    pad[axis] = (radius + 1, radius)
    c = np.cumsum(np.pad(a, pad), axis=axis)
    hi = np.take(c, np.arange(2 * radius + 1, c.shape[axis]), axis=axis)
    lo = np.take(c, np.arange(0, c.shape[axis] - 2 * radius - 1), axis=axis)
    return (hi - lo) / (2 * radius + 1)


def blur(a: FloatArray, radius: int) -> FloatArray:
    """Three box blurs per axis: close to a Gaussian of sigma ~ radius."""
    r = max(1, round(radius / 1.7))
    for axis in (0, 1):
        for _ in range(3):
            a = _box_blur(a, r, axis)
    return a


def density(points: npt.ArrayLike, width: int, height: int) -> FloatArray:
    """Counts of ``points`` (N x 2, x and y in px) on a height x width grid; points off the grid are left out."""
    grid = np.zeros((height, width), dtype=np.float64)
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if p.size:
        xi, yi = np.floor(p[:, 0]).astype(np.intp), np.floor(p[:, 1]).astype(np.intp)
        keep = (xi >= 0) & (xi < width) & (yi >= 0) & (yi < height)
        np.add.at(grid, (yi[keep], xi[keep]), 1.0)
    return grid


def path_points(paths: Iterable[Sequence[tuple[float, float]]], step: float = SEGMENT_STEP) -> FloatArray:
    """Points every ``step`` px along each path's segments (so a fast move leaves a trail, not dots)."""
    out = [np.zeros((0, 2))]
    for path in paths:
        p = np.asarray(path, dtype=np.float64).reshape(-1, 2)
        if len(p) == 1:
            out.append(p)
        if len(p) < 2:
            continue
        a, b = p[:-1], p[1:]
        n = np.maximum(1, np.ceil(np.hypot(*(b - a).T) / step)).astype(np.intp)
        seg = np.repeat(np.arange(len(a)), n)
        frac = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n, n)
        out.append(a[seg] + (b - a)[seg] * frac[:, None])
        out.append(p[-1:])
    return np.concatenate(out)


def reach(reached: Sequence[float], height: int) -> FloatArray:
    """Per page row, the share of visits whose viewport got down to it."""
    if not reached:
        return np.zeros(height)
    rows = np.arange(height, dtype=np.float64)[:, None]
    return (rows < np.asarray(reached, dtype=np.float64)[None, :]).mean(axis=1)


def heat(points: npt.ArrayLike, width: int, height: int, radius: int) -> FloatArray:
    """Blurred density of ``points`` scaled to 0..1, computed on a grid of :data:`CELL` px cells (the glow is
    smooth, so 1/16 of the pixels suffice) and resized to ``width`` x ``height``."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2) / CELL
    coarse = blur(density(p, -(-width // CELL), -(-height // CELL)), max(1, round(radius / CELL)))
    fine = np.asarray(Image.fromarray(coarse.astype(np.float32), "F").resize((width, height), Image.Resampling.BILINEAR))
    return _normalised(fine.astype(np.float64))


def colour(values: FloatArray) -> npt.NDArray[np.uint8]:
    """Values in 0..1 through :data:`RAMP` as an H x W x 3 uint8 image (via a 256-entry table)."""
    stops = [s for s, _ in RAMP]
    table = np.stack([np.interp(np.linspace(0, 1, 256), stops, [c[i] for _, c in RAMP]) for i in range(3)], axis=-1)
    index = (np.clip(values, 0.0, 1.0) * 255).round().astype(np.uint8)
    return table.round().astype(np.uint8)[index]


def _overlay(base: Image.Image, values: FloatArray, alpha: FloatArray) -> Image.Image:
    rgba = np.dstack([colour(values), (np.clip(alpha, 0, 1) * 255).round().astype(np.uint8)])
    faded = Image.blend(base.convert("RGBA"), Image.new("RGBA", base.size, (255, 255, 255, 255)), 0.45)
    return Image.alpha_composite(faded, Image.fromarray(rgba, "RGBA"))


def _normalised(a: FloatArray) -> FloatArray:
    top = float(a.max()) if a.size else 0.0
    return a / top if top > 0 else a


def _fit(base: Image.Image, width: int, height: int) -> Image.Image:
    """The base frame cropped or padded (white) to the activity's page size."""
    canvas = Image.new("RGBA", (width, height), (255, 255, 255, 255))
    canvas.paste(base.convert("RGBA").crop((0, 0, min(width, base.width), min(height, base.height))), (0, 0))
    return canvas


def render(kind: Kind, base: Image.Image, act: PageActivity) -> Image.Image:
    """One heatmap of ``act`` over ``base`` (the page's first full frame)."""
    width, height = act.width, act.height
    base = _fit(base, width, height)
    if kind == "clicks":
        glow = heat(act.clicks, width, height, CLICK_RADIUS)
        image = _overlay(base, glow, np.sqrt(glow) * 0.85)
        draw = ImageDraw.Draw(image)
        for x, y in act.clicks:
            draw.ellipse([x - 7, y - 7, x + 7, y + 7], outline=(215, 48, 39, 255), width=2)
        label = f"{len(act.clicks)} clicks, {act.runs} run(s)"
    elif kind == "moves":
        glow = heat(path_points(act.moves), width, height, MOVE_RADIUS)
        image = _overlay(base, glow, np.sqrt(glow) * 0.8)
        draw = ImageDraw.Draw(image)
        for x, y in act.clicks:  # where the movement led: the clicks, small
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], outline=(29, 53, 87, 255), width=2)
        label = f"pointer movement (rings: clicks), {act.runs} run(s)"
    else:
        share = reach(act.reached, height)
        rows = np.repeat(share[:, None], width, axis=1)
        image = _overlay(base, rows, np.full_like(rows, 0.35))
        draw = ImageDraw.Draw(image)
        fold = min(height - 1, act.viewport[1])
        marks = [(fold, "fold (first screen)")] + [
            (int(np.flatnonzero(share < pct / 100)[0]), f"{pct}% of visits saw above this")
            for pct in (100, 75, 50, 25) if (share < pct / 100).any() and (share < pct / 100).argmax() > 0
        ]
        for y, text in marks:
            draw.line([(0, y), (width, y)], fill=(29, 53, 87, 220), width=2)
            box = draw.textbbox((width - 8, y - 16), text, anchor="ra")
            draw.rectangle(box, fill=(255, 255, 255, 220))
            draw.text((width - 8, y - 16), text, fill=(29, 53, 87, 255), anchor="ra")
        label = f"scroll depth, {act.runs} visit(s)"
    draw = ImageDraw.Draw(image)
    draw.rectangle(draw.textbbox((8, 6), label), fill=(255, 255, 255, 230))
    draw.text((8, 6), label, fill=(29, 53, 87, 255))
    return image.convert("RGB")


def write(base: Image.Image, act: PageActivity, folder: Path) -> dict[Kind, Path]:
    """All three heatmaps of ``act`` as PNGs in ``folder``, plus the activity as JSON for later aggregation."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[Kind, Path] = {}
    for kind in KINDS:
        paths[kind] = folder / f"{kind}.png"
        render(kind, base, act).save(paths[kind], compress_level=1)  # large pictures: fast over small
    (folder / "activity.json").write_text(json.dumps(act.to_json()), encoding="utf-8")
    return paths
