"""Regenerate the image pairs that tests/test_diff.py compares, and (optionally) their counts.

The pairs are drawn deterministically with Pillow: shapes, text-like strokes, gradients,
anti-aliased edges (drawn at 4x and box-downsampled), transparency, 1-pixel shifts and colour
tweaks on either side of each tested threshold. The expected counts and diff images come from
pixelmatch 7.2.0 itself, through pixelmatch_counts.js:

    python tests/data/diff/regenerate.py                        # rewrite the PNG pairs
    npm install --prefix /tmp/pm pixelmatch@7.2.0 pngjs@7        # outside the repo
    node tests/data/diff/pixelmatch_counts.js /tmp/pm/node_modules

The node script rewrites the expected diff images (*.diff-*.png) and prints the OPTIONS and
EXPECTED tables to paste into tests/test_diff.py. Pass --check to regenerate into a temporary
directory and report whether the committed PNGs are still what this script draws.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SCALE = 4  # supersampling factor for anti-aliased drawing

Pair = tuple[Image.Image, Image.Image]


def _smooth(size: tuple[int, int], draw: Callable[[ImageDraw.ImageDraw], None],
            background: tuple[int, int, int, int] = (255, 255, 255, 255)) -> Image.Image:
    """Draw at SCALE x the size in SCALE x coordinates, then box-downsample: anti-aliased edges."""
    big = Image.new("RGBA", (size[0] * SCALE, size[1] * SCALE), background)
    draw(ImageDraw.Draw(big))
    return big.resize(size, Image.Resampling.BOX)


def _strokes(d: ImageDraw.ImageDraw, rng: np.random.Generator, x0: int, y0: int,
             words: int, colour: tuple[int, int, int, int]) -> None:
    """Text-like ink: words of short polylines on a baseline, in SCALE x coordinates."""
    x = x0
    for _ in range(words):
        for _ in range(int(rng.integers(2, 6))):
            pts = [(x + int(rng.integers(0, 16)), y0 + int(rng.integers(0, 28)))
                   for _ in range(3)]
            d.line(pts, fill=colour, width=SCALE + 2)
            x += 16
        x += 20


def shapes() -> Pair:
    def draw(shift: int, fill: tuple[int, int, int, int]) -> Callable[[ImageDraw.ImageDraw], None]:
        def go(d: ImageDraw.ImageDraw) -> None:
            d.rectangle((8 * SCALE + shift, 8 * SCALE, 40 * SCALE + shift, 30 * SCALE),
                        fill=(40, 90, 200, 255))
            d.ellipse((50 * SCALE, 10 * SCALE, 86 * SCALE, 50 * SCALE), fill=fill)
            d.polygon([(10 * SCALE, 60 * SCALE), (40 * SCALE, 38 * SCALE),
                       (70 * SCALE, 62 * SCALE)], fill=(20, 20, 20, 255))
        return go

    return (_smooth((96, 64), draw(0, (230, 120, 30, 255))),
            _smooth((96, 64), draw(SCALE, (224, 126, 36, 255))))


def strokes() -> Pair:
    def draw(seed: int, shift: int) -> Callable[[ImageDraw.ImageDraw], None]:
        def go(d: ImageDraw.ImageDraw) -> None:
            for line in range(4):
                rng = np.random.default_rng(100 + line if line != 2 else seed)
                _strokes(d, rng, 6 * SCALE, (6 + line * 14) * SCALE + (shift if line == 1 else 0),
                         5, (30, 30, 30, 255))
        return go

    return _smooth((120, 64), draw(7, 0)), _smooth((120, 64), draw(8, SCALE))


def gradient() -> Pair:
    x = np.linspace(0, 255, 96)[None, :].repeat(48, axis=0)
    y = np.linspace(0, 255, 48)[:, None].repeat(96, axis=1)
    rgba = np.stack([x, y, 255 - x, np.full_like(x, 255)], axis=-1)
    tweaked = rgba.copy()
    tweaked[10:20, :, 1] += 3   # barely visible
    tweaked[25:35, :, 0] -= 20  # visible on the bright half only
    tweaked[38:44, 30:60, :3] += 40
    return (Image.fromarray(np.clip(rgba, 0, 255).astype(np.uint8)),
            Image.fromarray(np.clip(tweaked, 0, 255).astype(np.uint8)))


def aa_circle() -> Pair:
    def draw(dx: int) -> Callable[[ImageDraw.ImageDraw], None]:
        def go(d: ImageDraw.ImageDraw) -> None:
            d.ellipse((10 * SCALE + dx, 6 * SCALE, 54 * SCALE + dx, 50 * SCALE),
                      fill=(0, 0, 0, 255))
            d.line((60 * SCALE, 4 * SCALE + dx, 90 * SCALE, 52 * SCALE + dx),
                   fill=(0, 80, 160, 255), width=SCALE * 2)
        return go

    # A half-pixel move changes only edge coverage: the anti-aliasing detector's territory.
    return _smooth((96, 56), draw(0)), _smooth((96, 56), draw(SCALE // 2))


def page() -> Pair:
    def draw(button: tuple[int, int, int, int], seed: int) -> Callable[[ImageDraw.ImageDraw], None]:
        def go(d: ImageDraw.ImageDraw) -> None:
            d.rectangle((0, 0, 160 * SCALE, 16 * SCALE), fill=(32, 48, 64, 255))
            _strokes(d, np.random.default_rng(1), 6 * SCALE, 3 * SCALE, 3, (240, 240, 240, 255))
            for line in range(4):
                rng = np.random.default_rng(10 + line if line != 3 else seed)
                _strokes(d, rng, 8 * SCALE, (24 + line * 12) * SCALE, 4, (50, 50, 50, 255))
            d.rounded_rectangle((100 * SCALE, 84 * SCALE, 150 * SCALE, 104 * SCALE),
                                radius=5 * SCALE, fill=button)
            d.rectangle((8 * SCALE, 84 * SCALE, 90 * SCALE, 112 * SCALE),
                        outline=(200, 200, 200, 255), width=SCALE)
        return go

    return (_smooth((160, 120), draw((0, 120, 255, 255), 13)),
            _smooth((160, 120), draw((0, 110, 240, 255), 14)))


def shift() -> Pair:
    a, _ = page()
    arr = np.asarray(a)
    shifted = np.full_like(arr, 255)
    shifted[1:] = arr[:-1]
    return a, Image.fromarray(shifted)


def tweaks() -> Pair:
    """Flat cells, each nudged in b by an amount just under or over a tested threshold.

    For an opaque grey step d the YIQ delta is about 0.5053 d^2, so a step crosses threshold t
    near d = 264 t: 13/14 straddle 0.05, 26/27 straddle 0.1, 79/80 straddle 0.3.
    """
    steps = [1, 13, 14, 26, 27, 79, 80]
    base = np.full((30, 8 * len(steps) * 4, 4), 128, dtype=np.int16)
    base[..., 3] = 255
    other = base.copy()
    for n, d in enumerate(steps):
        for row, channels in enumerate(([0, 1, 2], [0], [2], [1])):
            cell = other[2 + row * 7 : 7 + row * 7, 2 + n * 32 : 28 + n * 32]
            for c in channels:
                cell[..., c] += d if row % 2 == 0 else -d
    return (Image.fromarray(base.astype(np.uint8)),
            Image.fromarray(np.clip(other, 0, 255).astype(np.uint8)))


def alpha() -> Pair:
    def draw(level: int, ghost: tuple[int, int, int, int]) -> Callable[[ImageDraw.ImageDraw], None]:
        def go(d: ImageDraw.ImageDraw) -> None:
            d.rectangle((4 * SCALE, 4 * SCALE, 40 * SCALE, 40 * SCALE), fill=(200, 30, 30, level))
            d.ellipse((30 * SCALE, 10 * SCALE, 70 * SCALE, 44 * SCALE), fill=(20, 160, 40, 128))
            d.rectangle((50 * SCALE, 2 * SCALE, 62 * SCALE, 8 * SCALE), fill=ghost)
        return go

    # The ghost rectangle is fully transparent in both, with different RGB: invisible, delta 0.
    return (_smooth((80, 48), draw(200, (255, 0, 0, 0)), background=(0, 0, 0, 0)),
            _smooth((80, 48), draw(150, (0, 0, 255, 0)), background=(0, 0, 0, 0)))


def noise() -> Pair:
    rng = np.random.default_rng(42)
    a = rng.integers(0, 256, size=(40, 40, 4), dtype=np.uint8)
    a[..., 3] = np.where(rng.random((40, 40)) < 0.8, 255, a[..., 3])
    b = a.copy()
    pick = rng.random((40, 40)) < 0.3
    b[pick] = rng.integers(0, 256, size=(int(pick.sum()), 4), dtype=np.uint8)
    return Image.fromarray(a), Image.fromarray(b)


def blocks() -> Pair:
    """Flat areas with 1-pixel specks and checker patterns: edge cases of the sibling counts."""
    a = np.full((24, 32, 4), 255, dtype=np.uint8)
    a[4:12, 4:12] = (0, 0, 0, 255)
    a[14:22, 2:30:2] = (90, 90, 90, 255)
    a[14:22:2, 3:30:2] = (180, 60, 60, 255)
    b = a.copy()
    b[6, 6] = (255, 255, 255, 255)
    b[4:12, 12] = (60, 60, 60, 255)
    b[0, 0] = (0, 0, 0, 255)
    b[23, 31] = (10, 10, 10, 255)
    b[15:21, 10:20] = b[15:21, 11:21].copy()
    return Image.fromarray(a), Image.fromarray(b)


def _line(length: int, vertical: bool) -> Pair:
    rng = np.random.default_rng(length + vertical)
    a = np.full((length, 1, 4) if vertical else (1, length, 4), 255, dtype=np.uint8)
    a.reshape(-1, 4)[length // 3 : length // 2] = (0, 0, 0, 255)
    b = a.copy()
    b.reshape(-1, 4)[rng.integers(0, length, size=6)] = (120, 120, 120, 255)
    b.reshape(-1, 4)[0] = (0, 0, 0, 255)
    return Image.fromarray(a), Image.fromarray(b)


def tiny() -> Pair:
    """A small pair for comparing whole diff images: anti-aliasing, a lighter and a darker
    change, a translucent change."""
    def draw(dx: int, block: tuple[int, int, int, int],
             glass: tuple[int, int, int, int]) -> Callable[[ImageDraw.ImageDraw], None]:
        def go(d: ImageDraw.ImageDraw) -> None:
            d.ellipse((2 * SCALE + dx, 2 * SCALE, 11 * SCALE + dx, 11 * SCALE), fill=(0, 0, 0, 255))
            d.rectangle((13 * SCALE, 2 * SCALE, 17 * SCALE, 6 * SCALE), fill=block)
            d.rectangle((13 * SCALE, 8 * SCALE, 17 * SCALE, 12 * SCALE), fill=(40, 40, 200, 255))
            d.rectangle((19 * SCALE, 2 * SCALE, 22 * SCALE, 12 * SCALE), fill=glass)
        return go

    a = _smooth((24, 14), draw(0, (200, 200, 200, 255), (0, 0, 0, 60)))
    b = _smooth((24, 14), draw(SCALE // 2, (60, 60, 60, 255), (0, 0, 0, 180)))
    b.putpixel((15, 10), (230, 230, 255, 255))
    return a, b


PAIRS: dict[str, Callable[[], Pair]] = {
    "shapes": shapes,
    "strokes": strokes,
    "gradient": gradient,
    "aa-circle": aa_circle,
    "page": page,
    "shift": shift,
    "tweaks": tweaks,
    "alpha": alpha,
    "noise": noise,
    "blocks": blocks,
    "row": lambda: _line(40, vertical=False),
    "column": lambda: _line(40, vertical=True),
    "pixel": lambda: (Image.new("RGBA", (1, 1), (10, 20, 30, 255)),
                      Image.new("RGBA", (1, 1), (200, 20, 30, 255))),
    "tiny": tiny,
}


def write(directory: Path) -> list[Path]:
    """Write every pair as NAME.a.png / NAME.b.png into directory; return the paths."""
    paths = []
    for name, make in PAIRS.items():
        for side, img in zip("ab", make()):
            path = directory / f"{name}.{side}.png"
            img.convert("RGBA").save(path, optimize=True)
            paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare against the committed PNGs instead of rewriting them")
    args = parser.parse_args()
    if not args.check:
        for path in write(HERE):
            print(path.relative_to(HERE))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        stale = [p.name for p in write(Path(tmp))
                 if not np.array_equal(np.asarray(Image.open(p)),
                                       np.asarray(Image.open(HERE / p.name)))]
    print("stale: " + ", ".join(stale) if stale else "all pairs up to date")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
