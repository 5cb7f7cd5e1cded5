"""Pictures of a replay: PNG frames, a session video at a fixed rate, and the overlays a person reads them by.

Overlays are drawn with Pillow over the frame, never into the replayed page (a frame under comparison stays
exactly what the replay showed): a fading trail of the pointer's last second, a ripple where each click landed,
and the window's scroll position as a bar along the right edge.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from harness.replay.page import Replay, pointer_track
from harness.replay.session import PageView, Session

TRAIL_MS = 1000.0  # how much of the pointer's path the trail shows
RIPPLE_MS = 600.0  # how long a click's ripple lasts
RIPPLE_RADIUS = (6.0, 30.0)  # a ripple's radius at its start and at its end, in CSS pixels
TRAIL_RGB = (230, 57, 70)
RIPPLE_RGB = (29, 53, 87)
SCROLL_RGB = (69, 123, 157)
SCROLL_BAR_PX = 8


@dataclass(frozen=True)
class Clicks:
    """A page view's clicks as (harness ms, x, y) in viewport pixels."""

    points: tuple[tuple[float, int, int], ...]

    @classmethod
    def of(cls, view: PageView) -> Clicks:
        return cls(tuple((e.at_ms, int(e.event["x"]), int(e.event["y"])) for e in view.events if e.type == "click"))


@dataclass(frozen=True)
class FrameState:
    """What the overlays need to know about the moment a frame shows."""

    t_ms: float
    view: PageView
    scroll: tuple[int, int]
    page_size: tuple[int, int]


def decode_png(data: bytes) -> Image.Image:
    """PNG bytes as an RGBA image."""
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGBA")


def draw_overlays(frame: Image.Image, state: FrameState, track: list[tuple[float, int, int]], clicks: Clicks) -> Image.Image:
    """The frame with the pointer trail, click ripples and scroll bar drawn over it (a new image)."""
    layer = Image.new("RGBA", frame.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    t = state.t_ms
    trail = [(at, x, y) for at, x, y in track if t - TRAIL_MS <= at <= t]
    for (a0, x0, y0), (_, x1, y1) in pairwise(trail):
        fade = 1.0 - (t - a0) / TRAIL_MS  # older segments are fainter
        draw.line([(x0, y0), (x1, y1)], fill=(*TRAIL_RGB, int(60 + 160 * fade)), width=3)
    current = [(x, y) for at, x, y in track if at <= t]
    if current:
        x, y = current[-1]
        draw.ellipse([x - 5, y - 5, x + 5, y + 5], fill=(*TRAIL_RGB, 230), outline=(255, 255, 255, 255), width=2)
    for at, x, y in clicks.points:
        age = t - at
        if 0 <= age <= RIPPLE_MS:
            grown = age / RIPPLE_MS
            r = RIPPLE_RADIUS[0] + (RIPPLE_RADIUS[1] - RIPPLE_RADIUS[0]) * grown
            draw.ellipse([x - r, y - r, x + r, y + r], outline=(*RIPPLE_RGB, int(255 * (1 - grown))), width=3)
    _draw_scroll_bar(draw, frame.size, state)
    return Image.alpha_composite(frame.convert("RGBA"), layer)


def _draw_scroll_bar(draw: ImageDraw.ImageDraw, size: tuple[int, int], state: FrameState) -> None:
    width, height = size
    page_height = max(state.page_size[1], height)
    top = state.scroll[1] / page_height * height
    bottom = min(height, (state.scroll[1] + height) / page_height * height)
    x0 = width - SCROLL_BAR_PX - 2
    draw.rectangle([x0, 0, x0 + SCROLL_BAR_PX, height - 1], fill=(*SCROLL_RGB, 40))
    draw.rectangle([x0, top, x0 + SCROLL_BAR_PX, max(top + 4, bottom)], fill=(*SCROLL_RGB, 200))
    draw.text((8, height - 18), f"{state.t_ms / 1000:6.2f} s  y={state.scroll[1]}", fill=(*SCROLL_RGB, 255))


def frame_times(session: Session, fps: float, end_ms: float | None = None) -> Iterator[float]:
    """Harness times of a video's frames: every 1/fps seconds from the first snapshot to the session's end."""
    starts = [p.start_ms for p in session.pages if p.snapshot]
    if not starts:
        return
    end = max([p.end_ms for p in session.pages] + ([end_ms] if end_ms is not None else []))
    yield from np.arange(min(starts), end + 1e-9, 1000.0 / fps).tolist()


def render_video(
    replay: Replay, session: Session, path: Path, fps: float = 4.0, scale: float = 0.5, end_ms: float | None = None,
    max_frames: int = 400,
) -> int:
    """Write the session as an animated WebP (GIF when the name ends ``.gif``); return the number of frames.

    The page is screenshotted only when the replay changed since the last frame (an event applied, the pointer
    moved): a still moment costs only its overlays.
    """
    frames: list[Image.Image] = []
    last_key: tuple[int, int, float] | None = None
    base: Image.Image | None = None
    scroll, size = (0, 0), replay.size
    cache: dict[str, tuple[list[tuple[float, int, int]], Clicks]] = {}
    for t in list(frame_times(session, fps, end_ms))[:max_frames]:
        view = session.page_at(t)
        if view is None:
            continue
        replay.show(view, t)
        track, clicks = cache.setdefault(view.page, (pointer_track(view), Clicks.of(view)))
        pointer = next((at for at, _, _ in reversed(track) if at <= t), -1.0)
        key = (id(view), replay.applied, pointer)
        if key != last_key or base is None:
            base, last_key = decode_png(replay.screenshot()), key
            scroll, size = replay.scroll(), replay.page_size()
        state = FrameState(t, view, scroll, size)
        frame = draw_overlays(base, state, track, clicks)
        if scale != 1.0:
            frame = frame.resize((max(1, int(frame.width * scale)), max(1, int(frame.height * scale))), Image.Resampling.LANCZOS)
        frames.append(frame.convert("RGB"))
    if frames:
        path.parent.mkdir(parents=True, exist_ok=True)
        duration = round(1000 / fps)
        if path.suffix.lower() == ".gif":
            frames[0].save(path, save_all=True, append_images=frames[1:], loop=0, duration=duration, optimize=True)
        else:
            frames[0].save(path, save_all=True, append_images=frames[1:], loop=0, duration=duration, quality=70, method=4)
    return len(frames)
