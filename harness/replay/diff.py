"""Pixel-level comparison of two screenshots, with pixelmatch 7.2.0's semantics in NumPy.

``diff_images(a, b)`` counts the pixels of two equally sized RGBA images that a person would
see as different, and draws a diff image. It reproduces pixelmatch 7.2.0 (mapbox/pixelmatch,
``index.js``) to the pixel: the same perceptual colour metric, the same anti-aliasing detector,
the same diff drawing; the tests hold it to pixelmatch's own counts and output. Every formula
runs in float64 in pixelmatch's order of operations, because JavaScript numbers are float64 and a
count is only reproducible when each comparison rounds the same way.

Speed comes from doing per-pixel maths only where it can matter, and no Python loop ever runs
per pixel: pixels whose 32-bit RGBA words are equal are never measured; the grey background is
computed once per run of equal pixels; the anti-aliasing detector sees only pixels already over
the threshold, a chunk at a time, judging opaque pixels by an exact integer luma (no blending)
and, where candidates cluster, computing per-pixel facts once over their bounding box instead
of once per neighbour. Whole-image passes go in slices so that scratch memory is reused.

``telltale diff A.png B.png`` (:mod:`harness.cli`) is its command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from PIL import Image

from harness.errors import TelltaleError

RGBAImage = npt.NDArray[np.uint8]
"""An H x W x 4 uint8 array: red, green, blue, alpha."""

Colour = tuple[int, int, int]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
PixelWords = npt.NDArray[np.uint32]

# pixelmatch's bound on the YIQ delta below: threshold t lets deltas up to 35215 * t**2 pass.
MAX_YIQ_DELTA: Final = 35215.0

# YIQ weights from Kotsarenko & Ramos (below), exactly as pixelmatch writes them.
_Y_R, _Y_G, _Y_B = 0.29889531, 0.58662247, 0.11448223
_I_R, _I_G, _I_B = 0.59597799, 0.27417610, 0.32180189
_Q_R, _Q_G, _Q_B = 0.21147017, 0.52261711, 0.31114694

# The 8 neighbours of a pixel as (dx, dy), in pixelmatch's visiting order (x outer, y inner).
# The order matters: the anti-aliasing detector keeps the *first* darkest and brightest neighbour.
_DX: Final = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.intp)
_DY: Final = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.intp)

# Whole-image passes run over slices of this many pixels, and candidates go through the
# anti-aliasing detector in chunks of this many (see diff_images and _excuse_antialiasing).
_SLICE: Final = 1 << 16
_AA_CHUNK: Final = 1 << 14

# Computing the grey background once per run of equal pixels pays only when runs are long
# (pages, UI); below this mean run length a straight per-pixel pass is cheaper.
_MIN_MEAN_RUN: Final = 4


class DiffInputError(TelltaleError, ValueError):
    """The images or options given to the diff cannot be compared (wrong shape, size, file...)."""


@dataclass(frozen=True, eq=False)
class DiffResult:
    """What a comparison found.

    ``mismatched`` counts pixels that differ beyond the threshold and are not anti-aliasing;
    ``antialiased`` counts the pixels over the threshold that were excused as anti-aliasing;
    ``total`` is the number of pixels compared (those not ignored by the mask); ``image`` is the
    H x W x 4 diff picture in pixelmatch's style: the first image as faded grey, differences in
    ``diff_color``/``diff_color_alt``, anti-aliasing in ``aa_color``.
    """

    mismatched: int
    total: int
    image: RGBAImage
    antialiased: int = 0

    @property
    def ratio(self) -> float:
        """Share of compared pixels that mismatch, 0.0 when nothing was compared."""
        return self.mismatched / self.total if self.total else 0.0

    @property
    def matches(self) -> bool:
        """True when no pixel mismatches."""
        return self.mismatched == 0

    def __repr__(self) -> str:
        height, width = self.image.shape[:2]
        return (
            f"<DiffResult mismatched={self.mismatched} total={self.total} "
            f"ratio={self.ratio:.6f} antialiased={self.antialiased} image={width}x{height}>"
        )


def diff_images(
    a: RGBAImage,
    b: RGBAImage,
    *,
    threshold: float = 0.1,
    include_aa: bool = False,
    alpha: float = 0.1,
    aa_color: Colour = (255, 255, 0),
    diff_color: Colour = (255, 0, 0),
    diff_color_alt: Colour | None = None,
    diff_mask: bool = False,
    checkerboard: bool = True,
    mask: npt.ArrayLike | None = None,
) -> DiffResult:
    """Compare two equally sized RGBA images pixel by pixel, as pixelmatch 7.2.0 does.

    a, b: H x W x 4 uint8 arrays (RGBA).
    threshold (0.1): matching threshold from 0 to 1; smaller is more sensitive. A pixel differs
        when its YIQ delta exceeds ``35215 * threshold**2``.
    include_aa (False): count anti-aliased pixels as differences instead of excusing them.
    alpha (0.1): opacity of the first image in the diff image's grey background, 0 to 1.
    aa_color ((255, 255, 0)): colour of excused anti-aliased pixels in the diff image.
    diff_color ((255, 0, 0)): colour of differing pixels in the diff image.
    diff_color_alt (None, meaning diff_color): colour of pixels where ``b`` is darker than ``a``,
        to tell "added" from "removed" ink.
    diff_mask (False): draw differences over a transparent background and leave out
        anti-aliased pixels, so the image can be laid over something else.
    checkerboard (True): blend semi-transparent pixels over pixelmatch's checkerboard backdrop,
        its default since 7.0; False blends them over plain white, as earlier versions did.
        Opaque pixels, such as those of screenshots, are unaffected.
    mask (None): H x W booleans, True where pixels are ignored (neither counted nor coloured, and
        not in ``total``). Ignored pixels still count as neighbours for anti-aliasing detection,
        because they are still part of the picture.

    Raises DiffInputError on arrays of the wrong shape or type, sizes that differ, or options out
    of range.
    """
    _check_options(threshold, alpha, aa_color, diff_color, diff_color_alt)
    a = _check_image(a, "a")
    b = _check_image(b, "b")
    check_same_size(a, b)
    height, width = a.shape[:2]
    ignored = _check_mask(mask, height, width)

    a32 = _words(a)
    b32 = _words(b)
    total = a32.size - (int(np.count_nonzero(ignored)) if ignored is not None else 0)

    # Whole-image passes go slice by slice, so that their scratch arrays stay small enough to be
    # reused from the heap (and cache) rather than freshly mapped and zeroed by the system.
    max_delta = MAX_YIQ_DELTA * threshold * threshold
    out = np.zeros_like(a32) if diff_mask else np.empty_like(a32)
    over: list[IntArray] = [np.empty(0, dtype=np.intp)]
    signed: list[FloatArray] = [np.empty(0)]
    for lo in range(0, a32.size, _SLICE):
        hi = min(lo + _SLICE, a32.size)
        if not diff_mask:
            out[lo:hi] = _grey_background(a32[lo:hi], alpha)
        # Equal words are equal pixels: their delta is 0 and they never need measuring. This is
        # pixelmatch's identical-images fast path, generalised to every equal pixel.
        changed = np.flatnonzero(a32[lo:hi] != b32[lo:hi]) + lo
        if ignored is not None:
            changed = changed[~ignored[changed]]
        if changed.size:
            delta = _color_delta(
                _pixels(a32[changed]), _pixels(b32[changed]), changed, checkerboard
            )
            beyond = np.abs(delta) > max_delta
            over.append(changed[beyond])
            signed.append(delta[beyond])
    candidates = np.concatenate(over)
    delta = np.concatenate(signed)

    image = out.view(np.uint8).reshape(a.shape)
    if candidates.size == 0:
        return DiffResult(mismatched=0, total=total, image=image)

    if include_aa:
        excused = np.zeros(candidates.size, dtype=np.bool_)
    else:
        excused = _excuse_antialiasing(
            _Grid.of(a32, width, height), _Grid.of(b32, width, height), candidates, checkerboard
        )

    real = ~excused
    if not diff_mask:
        out[candidates[excused]] = _word(aa_color)
    # A negative delta means b is darker here (pixelmatch's "dark on light").
    darker = delta < 0
    out[candidates[real & ~darker]] = _word(diff_color)
    out[candidates[real & darker]] = _word(diff_color_alt or diff_color)

    return DiffResult(
        mismatched=int(np.count_nonzero(real)),
        total=total,
        image=image,
        antialiased=int(np.count_nonzero(excused)),
    )


def check_same_size(a: RGBAImage, b: RGBAImage, name_a: str = "a", name_b: str = "b") -> None:
    """Raise DiffInputError, giving both sizes as WIDTHxHEIGHT, unless the images are equally sized."""
    if a.shape[:2] != b.shape[:2]:
        raise DiffInputError(
            f"image sizes differ: {name_a} is {a.shape[1]}x{a.shape[0]}, "
            f"{name_b} is {b.shape[1]}x{b.shape[0]}"
        )


# --- pixels as words -------------------------------------------------------------------------

# Pixels are handled as little-endian 32-bit words (R in the low byte, A in the high byte):
# equality is then one comparison, and a gather moves one item per pixel.
_WORD: Final = np.dtype("<u4")
_OPAQUE: Final = 0xFF000000  # a word at or above this has alpha 255


def _words(img: RGBAImage) -> PixelWords:
    """The image as one word per pixel, row-major (a view, no copy)."""
    return img.reshape(-1).view(_WORD)


def _pixels(words: PixelWords) -> npt.NDArray[np.uint8]:
    """Words back to (..., 4) RGBA bytes (a view of a contiguous array)."""
    return np.ascontiguousarray(words).view(np.uint8).reshape(*words.shape, 4)


def _word(colour: Colour) -> int:
    """An opaque colour as a pixel word."""
    r, g, b = (int(c) for c in colour)
    return r | g << 8 | b << 16 | _OPAQUE


# --- the perceptual metric -------------------------------------------------------------------


def _backdrop(
    pixel: IntArray, checkerboard: bool
) -> tuple[FloatArray | float, FloatArray | float, FloatArray | float]:
    """The colour a semi-transparent pixel is blended over, per channel.

    pixelmatch 7.2.0 derives its checkerboard from the pixel's *byte* offset k = 4 * pixel. Since
    k is even, the red backdrop is always 48; the quirk is kept so that counts stay identical.
    """
    if not checkerboard:
        return 255.0, 255.0, 255.0
    k = pixel.astype(np.float64) * 4.0
    red = 48.0 + 159.0 * (k % 2)
    # JavaScript's `x | 0` truncates; k is non-negative, so floor is the same.
    green = 48.0 + 159.0 * (np.floor(k / 1.618033988749895) % 2)
    blue = 48.0 + 159.0 * (np.floor(k / 2.618033988749895) % 2)
    return red, green, blue


def _channel_deltas(
    p1: npt.NDArray[np.uint8],
    p2: npt.NDArray[np.uint8],
    pixel: IntArray,
    checkerboard: bool,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-channel differences p1 - p2 after alpha blending, in pixelmatch's exact arithmetic.

    p1 and p2 are (..., 4) pixels; ``pixel`` (broadcastable to p1[..., 0]) is the flat index of
    the pixel whose checkerboard square applies. pixelmatch blends, (c1*a1 - c2*a2 - bg*(a1 -
    a2)) / 255, only when an alpha is below 255 and subtracts plainly otherwise; the blend gives
    exactly c1 - c2 when both alphas are 255 (small integers, and an exact division), and drops
    its backdrop term exactly when the alphas are equal, so the shortcuts below change no bit.
    """
    f1 = p1.astype(np.float64)
    f2 = p2.astype(np.float64)
    a1 = f1[..., 3]
    a2 = f2[..., 3]
    if (p1[..., 3] == 255).all() and (p2[..., 3] == 255).all():
        d = f1 - f2
        return d[..., 0], d[..., 1], d[..., 2]
    da = a1 - a2
    backdrop = _backdrop(pixel, checkerboard) if da.any() else (0.0, 0.0, 0.0)
    dr, dg, db = (
        (f1[..., c] * a1 - f2[..., c] * a2 - backdrop[c] * da) / 255.0 for c in range(3)
    )
    return dr, dg, db


def _brightness(dr: FloatArray, dg: FloatArray, db: FloatArray) -> FloatArray:
    """The Y (luma) of a colour difference."""
    return dr * _Y_R + dg * _Y_G + db * _Y_B


def _color_delta(
    p1: npt.NDArray[np.uint8], p2: npt.NDArray[np.uint8], pixel: IntArray, checkerboard: bool
) -> FloatArray:
    """Squared perceptual distance between pixels, negative where p2 is darker.

    The metric is the weighted YIQ distance of Kotsarenko & Ramos, "Measuring perceived color
    difference using YIQ NTSC transmission color space in mobile applications" (Programación
    Matemática y Software, 2010), as pixelmatch computes it.
    """
    dr, dg, db = _channel_deltas(p1, p2, pixel, checkerboard)
    y = _brightness(dr, dg, db)
    i = dr * _I_R - dg * _I_G - db * _I_B
    q = dr * _Q_R - dg * _Q_G + db * _Q_B
    delta = 0.5053 * y * y + 0.299 * i * i + 0.1957 * q * q
    return np.where(y > 0, -delta, delta)


# Exact luma of opaque pixels, scaled by 1e8 to integers: 29889531 r + 58662247 g + 11448223 b.
# The anti-aliasing detector only asks of a brightness delta whether it is zero, its sign, and
# which neighbour's is smallest or largest (first on ties). For opaque pixels pixelmatch's float
# delta dr*0.29889531 + dg*0.58662247 + db*0.11448223 answers those exactly as this integer key:
# 29889531 a + 58662247 b + 11448223 c = 0 has no solution with |a|, |b|, |c| <= 255 other than
# 0, 0, 0 (tests/test_diff.py checks this), so distinct keys differ by at least 1e-8 in luma,
# far above float64's rounding error (about 1e-13 here), and equal keys mean equal colours.
# It is computed in float64 (faster than int64 here, and than table lookups; a BLAS dot product
# is faster still on an idle machine but collapses when its threads compete for the CPU): every
# product and partial sum is an integer below 2**53, so it is exact.
_KEY_R, _KEY_G, _KEY_B = 29889531.0, 58662247.0, 11448223.0

@dataclass(frozen=True)
class _Grid:
    """An image as pixel words, with its size and whether every pixel is opaque."""

    words: PixelWords
    width: int
    height: int
    opaque: bool

    @classmethod
    def of(cls, words: PixelWords, width: int, height: int) -> _Grid:
        # Alpha is a word's top byte, so the smallest word tells whether all alphas are 255:
        # one cheap pass, and screenshots usually are opaque.
        return cls(words, width, height, bool(words.size == 0 or words.min() >= _OPAQUE))


@dataclass(frozen=True)
class _Hood:
    """The 3x3 neighbourhoods of N pixels, neighbour-major: row j of ``index`` (8, N) holds every
    pixel's j-th neighbour in pixelmatch's order, so per-pixel reductions over the 8 neighbours
    are fast column-wise operations.

    Neighbours outside the image point back at the pixel itself, which keeps them out of the
    brightest/darkest search (they tie with the centre), and ``inside`` (None when all are
    inside) masks them out of equality counts. ``bonus`` is pixelmatch's extra equal neighbour
    for a pixel on the image edge.
    """

    pixels: IntArray
    index: IntArray
    inside: BoolArray | None
    bonus: npt.NDArray[np.uint8]

    @classmethod
    def around(cls, pixels: IntArray, width: int, height: int) -> _Hood:
        y, x = np.divmod(pixels, width)
        edge = (x == 0) | (x == width - 1) | (y == 0) | (y == height - 1)
        index = pixels + (_DY * width + _DX)[:, None]
        bonus = edge.astype(np.uint8)
        if not edge.any():
            return cls(pixels, index, None, bonus)
        cols = np.flatnonzero(edge)
        nx = x[cols] + _DX[:, None]
        ny = y[cols] + _DY[:, None]
        inside = np.ones(index.shape, dtype=np.bool_)
        inside[:, cols] = (nx >= 0) & (nx < width) & (ny >= 0) & (ny < height)
        index[:, cols] = np.where(inside[:, cols], ny * width + nx, pixels[cols])
        return cls(pixels, index, inside, bonus)

    def subset(self, cols: IntArray) -> _Hood:
        """The neighbourhoods of some of the pixels."""
        inside = None if self.inside is None else self.inside[:, cols]
        return _Hood(self.pixels[cols], self.index[:, cols], inside, self.bonus[cols])

    def count(self, equal: BoolArray) -> npt.NDArray[np.uint8]:
        """Per pixel, the edge bonus plus how many neighbours are flagged in ``equal`` (8, N)."""
        if self.inside is not None:
            equal = equal & self.inside
        return self.bonus + equal.sum(axis=0, dtype=np.uint8)


# For each byte, the position of its lowest set bit (-1 for 0, never asked): with bit j set for
# flagged neighbour j, the first flagged neighbour in pixelmatch's order.
_LOWEST_BIT: Final = np.array([(v & -v).bit_length() - 1 for v in range(256)], dtype=np.intp)


def _first_flagged(flags: BoolArray) -> IntArray:
    """For each column of (8, N) flags (each with at least one set), the first set row."""
    rows = flags.view(np.uint8)
    packed = rows[0].copy()
    for j in range(1, 8):
        packed |= rows[j] << j
    return _LOWEST_BIT[packed]


@dataclass(frozen=True)
class _Box:
    """Rows y0..y1 and columns x0..x1 (inclusive) around a cluster of candidate pixels.

    When candidates are dense, a value needed for every neighbour (a luma key, a flat-area flag)
    is cheaper to compute once per box pixel than once per neighbour. Box values are stored in
    a full-width band of rows, so that a flat image index becomes a band index by subtracting
    ``base``; columns outside the box are left unset and never read.
    """

    y0: int
    y1: int
    x0: int
    x1: int
    width: int

    @classmethod
    def dense(cls, pixels: IntArray, width: int, height: int) -> _Box | None:
        """The box of the pixels and their neighbours, or None when it holds more pixels than
        their neighbour lists (8 per pixel) and lookups are the cheaper way."""
        x = pixels % width
        y0 = max(int(pixels.min()) // width - 1, 0)
        y1 = min(int(pixels.max()) // width + 1, height - 1)
        x0, x1 = max(int(x.min()) - 1, 0), min(int(x.max()) + 1, width - 1)
        if (y1 - y0 + 1) * (x1 - x0 + 1) > 8 * pixels.size:
            return None
        return cls(y0, y1, x0, x1, width)

    @property
    def base(self) -> int:
        return self.y0 * self.width

    def crop(self, words: PixelWords, height: int) -> PixelWords:
        """The box's pixels of an image, as a 2-D view."""
        return words.reshape(height, self.width)[self.y0 : self.y1 + 1, self.x0 : self.x1 + 1]

    def band(self, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Box-shaped values placed in a flat full-width band, to be indexed by ``pixel - base``."""
        band = np.empty((self.y1 - self.y0 + 1, self.width), dtype=values.dtype)
        band[:, self.x0 : self.x1 + 1] = values
        return band.reshape(-1)


def _luma_key(words: PixelWords) -> FloatArray:
    """The exact integer luma key (see above) of each pixel, alpha ignored."""
    px = _pixels(words)
    key: FloatArray = np.multiply(px[..., 0], _KEY_R)
    key += np.multiply(px[..., 1], _KEY_G)
    key += np.multiply(px[..., 2], _KEY_B)
    return key


def _luma_keys(img: _Grid, hood: _Hood, box: _Box | None) -> tuple[FloatArray, FloatArray]:
    """Luma keys of each neighbour (8, N) and of each centre pixel (N,), for an opaque image."""
    if box is None:
        return _luma_key(img.words[hood.index]), _luma_key(img.words[hood.pixels])
    keys = box.band(_luma_key(np.ascontiguousarray(box.crop(img.words, img.height))))
    return keys[hood.index - box.base], keys[hood.pixels - box.base]


def _brightness_deltas(
    centre: PixelWords, around: PixelWords, pixels: IntArray, checkerboard: bool
) -> FloatArray:
    """Brightness delta of each centre pixel (N,) against its neighbours (8, N), up to a positive
    factor per pixel: exact in its zeros, signs and extremes, which is all the detector reads.
    Pixels whose neighbourhood is all opaque use the luma key; the rest pixelmatch's blending.
    """
    delta = _luma_key(centre) - _luma_key(around)
    translucent = (centre < _OPAQUE) | (around < _OPAQUE).any(axis=0)
    cols = np.flatnonzero(translucent)
    if cols.size:
        # Pixels are judged independently, so the opaque ones may keep their 1e8 scale.
        delta[:, cols] = _brightness(
            *_channel_deltas(
                _pixels(centre[cols]), _pixels(around[:, cols]), pixels[cols], checkerboard
            )
        )
    return delta


def _many_siblings(words: PixelWords, hood: _Hood) -> BoolArray:
    """pixelmatch's ``hasManySiblings``: whether each pixel has 3 or more neighbours of exactly
    its colour (the image edge counting as one), i.e. sits in a flat area."""
    return hood.count(words[hood.index] == words[hood.pixels]) > 2


def _many_siblings_in_box(img: _Grid, box: _Box) -> BoolArray:
    """``_many_siblings`` for every pixel of a box at once, with shifted views of the image."""
    grid = img.words.reshape(img.height, img.width)
    count = np.zeros((box.y1 - box.y0 + 1, box.x1 - box.x0 + 1), dtype=np.uint8)
    for dy, dx in zip(_DY.tolist(), _DX.tolist()):
        # The box rows and columns whose neighbour in this direction is inside the image.
        ya, yb = max(box.y0, -dy), min(box.y1, img.height - 1 - dy)
        xa, xb = max(box.x0, -dx), min(box.x1, img.width - 1 - dx)
        if ya <= yb and xa <= xb:
            count[ya - box.y0 : yb - box.y0 + 1, xa - box.x0 : xb - box.x0 + 1] += (
                grid[ya : yb + 1, xa : xb + 1] == grid[ya + dy : yb + dy + 1, xa + dx : xb + dx + 1]
            )
    # The image edge counts as one more equal neighbour.
    edge = np.zeros(count.shape, dtype=np.bool_)
    edge[:, 0] |= box.x0 == 0
    edge[:, -1] |= box.x1 == img.width - 1
    edge[0, :] |= box.y0 == 0
    edge[-1, :] |= box.y1 == img.height - 1
    return (count + edge) > 2


class _FlatAreas:
    """Answers "does this pixel have many siblings in both images?" for one chunk of candidates:
    per pixel from its neighbours, or, in a dense box, from a map of the whole box computed on
    first use and shared by the checks of both images."""

    def __init__(self, a: _Grid, b: _Grid, box: _Box | None) -> None:
        self.a, self.b, self.box = a, b, box
        self._map: BoolArray | None = None

    def __call__(self, pixels: IntArray) -> BoolArray:
        if self.box is None:
            hood = _Hood.around(pixels, self.a.width, self.a.height)
            flat = _many_siblings(self.a.words, hood)
            rows = np.flatnonzero(flat)  # ask b only where a said yes
            flat[rows] = _many_siblings(self.b.words, hood.subset(rows))
            return flat
        if self._map is None:
            both = _many_siblings_in_box(self.a, self.box) & _many_siblings_in_box(self.b, self.box)
            self._map = self.box.band(both)
        return self._map[pixels - self.box.base]


def _antialiased(img: _Grid, hood: _Hood, box: _Box | None, in_flat_areas: _FlatAreas,
                 checkerboard: bool) -> BoolArray:
    """Which of the pixels at the centre of ``hood`` look like anti-aliasing in ``img``.

    The detector follows V. Vyšniauskas, "Anti-aliased Pixel and Intensity Slope Detector"
    (2009), as pixelmatch implements it: a pixel is anti-aliasing when at most 2 of its
    neighbours equal it in brightness, it has both a darker and a brighter neighbour, and the
    darkest or the brightest of those lies in a flat area (3+ identical neighbours) in *both*
    images.
    """
    # A brightness per neighbour and per centre, comparable within each column.
    if img.opaque:
        level, centre = _luma_keys(img, hood, box)
    else:
        level = -_brightness_deltas(
            img.words[hood.pixels], img.words[hood.index], hood.pixels, checkerboard
        )
        centre = np.zeros(hood.pixels.size)

    brightest = level.max(axis=0)
    darkest = level.min(axis=0)
    hits = np.flatnonzero(
        # More than 2 neighbours as bright as the centre: a flat area, not anti-aliasing.
        (hood.count(level == centre) <= 2) & (brightest > centre) & (darkest < centre)
    )
    result = np.zeros(hood.pixels.size, dtype=np.bool_)
    if hits.size == 0:
        return result
    # pixelmatch keeps the *first* brightest and darkest neighbour (strict < and >).
    found = in_flat_areas(hood.index[_first_flagged(level == brightest)[hits], hits])
    rest = hits[~found]
    found[~found] = in_flat_areas(hood.index[_first_flagged(level == darkest)[rest], rest])
    result[hits] = found
    return result


def _excuse_antialiasing(
    a: _Grid, b: _Grid, candidates: IntArray, checkerboard: bool
) -> BoolArray:
    """Which candidates are anti-aliasing in either image.

    Candidates go in chunks of a few thousand: scratch arrays then stay small enough to be
    reused from the heap and the cache instead of being mapped fresh from the system each time.
    """
    excused = np.zeros(candidates.size, dtype=np.bool_)
    for start in range(0, candidates.size, _AA_CHUNK):
        chunk = candidates[start : start + _AA_CHUNK]
        hood = _Hood.around(chunk, a.width, a.height)
        box = _Box.dense(chunk, a.width, a.height)
        in_flat_areas = _FlatAreas(a, b, box)
        verdict = _antialiased(a, hood, box, in_flat_areas, checkerboard)
        # pixelmatch asks about the second image only where the first said no. The detector has
        # no side effects, so when that is most pixels, asking for all is the same and cheaper
        # than copying out their neighbourhoods.
        rest = np.flatnonzero(~verdict)
        if 2 * rest.size > verdict.size:
            verdict |= _antialiased(b, hood, box, in_flat_areas, checkerboard)
        else:
            verdict[rest] = _antialiased(b, hood.subset(rest), box, in_flat_areas, checkerboard)
        excused[start : start + verdict.size] = verdict
    return excused


# --- drawing ---------------------------------------------------------------------------------


def _grey_words(words: PixelWords, alpha: float) -> PixelWords:
    """pixelmatch's faded grey for each pixel, as opaque words: luma blended with white by
    ``alpha`` and the pixel's own opacity, truncated as a JavaScript Uint8Array store truncates."""
    f = _pixels(words).astype(np.float64)
    luma = f[:, 0] * _Y_R + f[:, 1] * _Y_G + f[:, 2] * _Y_B
    grey = (255.0 + (luma - 255.0) * alpha * f[:, 3] / 255.0).astype(_WORD)
    return grey * 0x010101 + _OPAQUE


def _grey_background(words: PixelWords, alpha: float) -> PixelWords:
    """The diff image's background: every pixel of the first image as faded grey, as words.

    The value depends on the pixel alone, and screenshots are mostly long runs of one colour, so
    it is computed once per run and repeated.
    """
    n = words.size
    if n == 0:
        return np.empty(0, dtype=_WORD)
    starts = np.flatnonzero(words[1:] != words[:-1]) + 1
    if starts.size * _MIN_MEAN_RUN > n:
        return _grey_words(words, alpha)
    starts = np.concatenate(([0], starts))
    return np.repeat(_grey_words(words[starts], alpha), np.diff(starts, append=n))


# --- validation ------------------------------------------------------------------------------


def _check_image(img: object, name: str) -> RGBAImage:
    if not isinstance(img, np.ndarray):
        raise DiffInputError(f"image {name}: expected a numpy array, got {type(img).__name__}")
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 4:
        raise DiffInputError(
            f"image {name}: expected an H x W x 4 uint8 (RGBA) array, "
            f"got shape {img.shape} of {img.dtype}"
        )
    return np.ascontiguousarray(img)


def _check_mask(mask: npt.ArrayLike | None, height: int, width: int) -> BoolArray | None:
    if mask is None:
        return None
    flags = np.asarray(mask)
    if flags.shape != (height, width):
        raise DiffInputError(
            f"mask: expected shape {(height, width)} (height, width), got {flags.shape}"
        )
    return flags.astype(np.bool_).reshape(-1)


def _check_options(
    threshold: float,
    alpha: float,
    aa_color: Colour,
    diff_color: Colour,
    diff_color_alt: Colour | None,
) -> None:
    for name, value in (("threshold", threshold), ("alpha", alpha)):
        if not 0.0 <= value <= 1.0:
            raise DiffInputError(f"{name}: expected a number from 0 to 1, got {value!r}")
    colours = {"aa_color": aa_color, "diff_color": diff_color, "diff_color_alt": diff_color_alt}
    for name, colour in colours.items():
        if colour is None:
            continue
        if len(colour) != 3 or not all(
            isinstance(c, (int, np.integer)) and 0 <= c <= 255 for c in colour
        ):
            raise DiffInputError(
                f"{name}: expected three integers 0-255 (R, G, B), got {colour!r}"
            )


# --- files -----------------------------------------------------------------------------------


def load_png(path: str | Path) -> RGBAImage:
    """Read a PNG file as an H x W x 4 uint8 RGBA array.

    Raises DiffInputError for a missing file ("no such file: X"), a file that is not a PNG, or
    one that cannot be decoded.
    """
    path = Path(path)
    try:
        with Image.open(path) as img:
            if img.format != "PNG":
                raise DiffInputError(f"not a PNG image: {path} (found {img.format})")
            return np.asarray(img.convert("RGBA"), dtype=np.uint8).copy()
    except FileNotFoundError:
        raise DiffInputError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise DiffInputError(f"not a file: {path}") from None
    except DiffInputError:
        raise
    # Pillow reports broken files as OSError, SyntaxError (bad chunks) or ValueError.
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise DiffInputError(f"cannot decode PNG {path}: {exc}") from None


def save_png(path: str | Path, image: RGBAImage) -> None:
    """Write an H x W x 4 uint8 RGBA array as a PNG file."""
    Image.fromarray(_check_image(image, "to save")).save(Path(path), format="PNG")
