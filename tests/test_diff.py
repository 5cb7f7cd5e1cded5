"""harness.diff reproduces pixelmatch 7.2.0: its counts, its diff pictures, plus our mask and CLI."""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.cli import ExitStatus, main
from harness.replay import diff as diffmod
from harness.replay.diff import DiffInputError, DiffResult, diff_images, load_png, save_png

DATA = Path(__file__).parent / "data" / "diff"

# Expected mismatch counts, computed by pixelmatch 7.2.0 itself on the pairs in tests/data/diff.
# To regenerate (pairs, then counts and reference pictures), see tests/data/diff/regenerate.py:
#     python tests/data/diff/regenerate.py
#     npm install --prefix /tmp/pm pixelmatch@7.2.0 pngjs@7
#     node tests/data/diff/pixelmatch_counts.js /tmp/pm/node_modules   # prints the two tables
# (threshold, include_aa, checkerboard)
OPTIONS: list[tuple[float, bool, bool]] = [
    (0.0, False, True),
    (0.0, True, True),
    (0.05, False, True),
    (0.05, True, True),
    (0.1, False, True),
    (0.1, True, True),
    (0.3, False, True),
    (0.3, True, True),
    (0.1, False, False),
    (0.05, True, False),
]

# pair -> mismatch count under each of OPTIONS, in order
EXPECTED: dict[str, tuple[int, ...]] = {
    "aa-circle": (5, 322, 5, 285, 5, 249, 0, 63, 5, 285),
    "alpha": (1077, 1148, 1077, 1090, 537, 539, 0, 0, 1077, 1094),
    "blocks": (59, 71, 59, 71, 59, 71, 33, 41, 59, 71),
    "column": (7, 7, 7, 7, 7, 7, 7, 7, 7, 7),
    "gradient": (2090, 2090, 180, 180, 180, 180, 0, 0, 180, 180),
    "noise": (488, 488, 485, 485, 465, 465, 221, 221, 464, 483),
    "page": (1105, 1376, 124, 296, 119, 266, 91, 174, 119, 296),
    "pixel": (1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
    "row": (6, 6, 6, 6, 6, 6, 6, 6, 6, 6),
    "shapes": (1113, 1269, 22, 68, 22, 68, 22, 44, 22, 68),
    "shift": (908, 2181, 858, 2002, 816, 1792, 364, 844, 816, 2002),
    "strokes": (262, 700, 262, 700, 236, 606, 176, 390, 236, 700),
    "tiny": (47, 104, 47, 98, 47, 80, 17, 31, 47, 102),
    "tweaks": (3640, 3640, 1950, 1950, 1170, 1170, 130, 130, 1170, 1950),
}

COUNT_CASES = [
    pytest.param(name, options, count, id=f"{name}-t{options[0]}-aa{options[1]:d}-cb{options[2]:d}")
    for name, counts in EXPECTED.items()
    for options, count in zip(OPTIONS, counts)
]

# Reference pictures written by pixelmatch_counts.js (its IMAGES list), as diff_images keywords.
PICTURES: list[tuple[str, str, dict[str, Any]]] = [
    ("tiny", "default", {}),
    ("tiny", "styled", {"threshold": 0.05, "alpha": 0.5, "aa_color": (0, 192, 0),
                        "diff_color": (255, 0, 255), "diff_color_alt": (0, 128, 255)}),
    ("tiny", "mask", {"diff_mask": True}),
    ("tiny", "include-aa", {"include_aa": True, "alpha": 1.0}),
    ("tiny", "white", {"checkerboard": False, "alpha": 0.0}),
    ("tiny", "identical", {"alpha": 0.3}),
    ("alpha", "default", {}),
]

DEFAULTS = OPTIONS.index((0.1, False, True))


@functools.cache
def pair(name: str) -> tuple[np.ndarray, np.ndarray]:
    return load_png(DATA / f"{name}.a.png"), load_png(DATA / f"{name}.b.png")


def count(name: str, options: tuple[float, bool, bool]) -> int:
    threshold, include_aa, checkerboard = options
    a, b = pair(name)
    result = diff_images(a, b, threshold=threshold, include_aa=include_aa,
                         checkerboard=checkerboard)
    return result.mismatched


# --- pixelmatch's counts -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "options", "expected"), COUNT_CASES)
def test_count_matches_pixelmatch(name: str, options: tuple[float, bool, bool],
                                  expected: int) -> None:
    assert count(name, options) == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_count_does_not_depend_on_chunking_or_strategy(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tiny slices and chunks, and per-pixel lookups instead of dense boxes, change nothing."""
    monkeypatch.setattr(diffmod, "_SLICE", 37)
    monkeypatch.setattr(diffmod, "_AA_CHUNK", 5)
    for options, expected in list(zip(OPTIONS, EXPECTED[name]))[::3]:
        assert count(name, options) == expected
    monkeypatch.setattr(diffmod._Box, "dense", classmethod(lambda cls, *args: None))
    for options, expected in list(zip(OPTIONS, EXPECTED[name]))[::3]:
        assert count(name, options) == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_count_is_symmetric(name: str) -> None:
    a, b = pair(name)
    assert diff_images(b, a).mismatched == EXPECTED[name][DEFAULTS]


def test_integer_luma_key_separates_every_colour_difference() -> None:
    """The detector's exact integer luma relies on 29889531 a + 58662247 b + 11448223 c never
    being 0 for channel differences |a|, |b|, |c| <= 255 other than all zero."""
    d = np.arange(-255, 256, dtype=np.int64)
    ab = d[:, None] * 29889531 + d[None, :] * 58662247
    c, rest = np.divmod(-ab, 11448223)
    solutions = (rest == 0) & (np.abs(c) <= 255)
    assert np.argwhere(solutions).tolist() == [[255, 255]]  # a = b = c = 0 only


# --- pixelmatch's pictures ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "variant", "options"), PICTURES,
                         ids=[f"{n}-{v}" for n, v, _ in PICTURES])
def test_diff_image_matches_pixelmatch(name: str, variant: str, options: dict[str, Any]) -> None:
    a, b = pair(name)
    if variant == "identical":
        b = a.copy()
    expected = load_png(DATA / f"{name}.diff-{variant}.png")
    result = diff_images(a, b, **options)
    assert result.image.dtype == np.uint8 and result.image.shape == a.shape
    wrong = np.argwhere((result.image != expected).any(axis=-1))
    assert wrong.size == 0, f"{len(wrong)} pixels differ from pixelmatch's, first at {wrong[0]}"


def test_identical_images_take_the_fast_path_and_draw_only_background() -> None:
    a, _ = pair("page")
    result = diff_images(a, a.copy())
    assert (result.mismatched, result.antialiased, result.total) == (0, 0, a.shape[0] * a.shape[1])
    assert result.matches and result.ratio == 0.0
    grey = result.image[..., 0]
    assert (result.image[..., 1] == grey).all() and (result.image[..., 2] == grey).all()
    assert (result.image[..., 3] == 255).all()
    assert not diff_images(a, a, diff_mask=True).image.any()


def test_result_counts_and_ratio() -> None:
    a, b = pair("tiny")
    result = diff_images(a, b)
    assert result.total == 24 * 14
    assert result.mismatched == EXPECTED["tiny"][DEFAULTS]
    assert result.ratio == pytest.approx(result.mismatched / result.total)
    assert not result.matches
    painted = (result.image.reshape(-1, 4) == (255, 0, 0, 255)).all(axis=1).sum()
    excused = (result.image.reshape(-1, 4) == (255, 255, 0, 255)).all(axis=1).sum()
    assert (painted, excused) == (result.mismatched, result.antialiased)
    assert repr(result) == (f"<DiffResult mismatched={result.mismatched} total=336 "
                            f"ratio={result.ratio:.6f} antialiased={result.antialiased} "
                            f"image=24x14>")


# --- the mask ----------------------------------------------------------------------------------


def test_mask_ignores_pixels_without_changing_the_rest() -> None:
    a, b = pair("page")
    full = diff_images(a, b, threshold=0.05)
    mask = np.zeros(a.shape[:2], dtype=bool)
    mask[:, 80:] = True  # the right half: the ends of the text lines and the button
    masked = diff_images(a, b, threshold=0.05, mask=mask)

    red = (full.image == (255, 0, 0, 255)).all(axis=-1)
    assert 0 < masked.mismatched < full.mismatched
    assert masked.mismatched == int((red & ~mask).sum())
    assert masked.total == int((~mask).sum())
    # Outside the mask the picture is unchanged; inside it is background only.
    assert (masked.image[~mask] == full.image[~mask]).all()
    background = diff_images(a, a, threshold=0.05).image
    assert (masked.image[mask] == background[mask]).all()


def test_mask_covering_everything_compares_nothing() -> None:
    a, b = pair("tiny")
    result = diff_images(a, b, mask=np.ones(a.shape[:2], dtype=bool))
    assert (result.mismatched, result.total, result.ratio) == (0, 0, 0.0)


def test_mask_must_match_the_image_size() -> None:
    a, b = pair("tiny")
    with pytest.raises(DiffInputError, match=r"mask: expected shape \(14, 24\)"):
        diff_images(a, b, mask=np.zeros((24, 14), dtype=bool))


# --- input validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "message"),
    [
        (np.zeros((4, 4, 3), dtype=np.uint8), r"image a: expected an H x W x 4 uint8"),
        (np.zeros((4, 4, 4), dtype=np.float32), r"got shape \(4, 4, 4\) of float32"),
        ([[0, 0, 0, 0]], r"image a: expected a numpy array, got list"),
    ],
)
def test_bad_arrays_are_refused(a: Any, message: str) -> None:
    with pytest.raises(DiffInputError, match=message):
        diff_images(a, np.zeros((4, 4, 4), dtype=np.uint8))


def test_sizes_must_match_and_both_are_named() -> None:
    with pytest.raises(DiffInputError, match="image sizes differ: a is 100x80, b is 100x90"):
        diff_images(np.zeros((80, 100, 4), np.uint8), np.zeros((90, 100, 4), np.uint8))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"threshold": 1.5}, r"threshold: expected a number from 0 to 1, got 1.5"),
        ({"threshold": -0.1}, r"threshold: expected a number from 0 to 1"),
        ({"alpha": 2}, r"alpha: expected a number from 0 to 1, got 2"),
        ({"diff_color": (255, 0)}, r"diff_color: expected three integers 0-255"),
        ({"aa_color": (0, 0, 256)}, r"aa_color: expected three integers 0-255"),
        ({"diff_color_alt": (0.5, 0, 0)}, r"diff_color_alt: expected three integers 0-255"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str) -> None:
    a, b = pair("tiny")
    with pytest.raises(DiffInputError, match=message):
        diff_images(a, b, **options)


def test_empty_images_compare_as_equal() -> None:
    empty = np.zeros((0, 5, 4), dtype=np.uint8)
    result = diff_images(empty, empty.copy())
    assert (result.mismatched, result.total, result.image.shape) == (0, 0, (0, 5, 4))


def test_non_contiguous_arrays_are_accepted() -> None:
    a, b = pair("shapes")
    flipped = diff_images(a[:, ::-1], b[:, ::-1])
    assert flipped.mismatched == diff_images(a[:, ::-1].copy(), b[:, ::-1].copy()).mismatched


# --- files -------------------------------------------------------------------------------------


def test_png_round_trip(tmp_path: Path) -> None:
    a, _ = pair("alpha")
    save_png(tmp_path / "copy.png", a)
    assert (load_png(tmp_path / "copy.png") == a).all()


def test_load_png_converts_to_rgba(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("L", (3, 2), 77).save(tmp_path / "grey.png")
    assert load_png(tmp_path / "grey.png").tolist() == [[[77, 77, 77, 255]] * 3] * 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"no such file: .*missing\.png"),
        (b"not an image at all", r"cannot decode PNG .*bad\.png"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, r"cannot decode PNG .*bad\.png"),
    ],
)
def test_load_png_errors(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / ("missing.png" if content is None else "bad.png")
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DiffInputError, match=message):
        load_png(path)


def test_load_png_refuses_other_formats(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (2, 2)).save(tmp_path / "photo.jpg")
    with pytest.raises(DiffInputError, match=r"not a PNG image: .*photo\.jpg \(found JPEG\)"):
        load_png(tmp_path / "photo.jpg")


# --- command line ------------------------------------------------------------------------------


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["diff", *argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_exits_0_and_prints_0_when_images_match() -> None:
    code, out, err = run(str(DATA / "tiny.a.png"), str(DATA / "tiny.a.png"))
    assert (code, out.splitlines()[-1], err) == (ExitStatus.OK, "0", "")


def test_cli_exits_1_and_prints_the_count_last_when_images_differ() -> None:
    code, out, err = run(str(DATA / "tiny.a.png"), str(DATA / "tiny.b.png"))
    assert (code, err) == (ExitStatus.CHECK_FAILED, "")
    assert out.splitlines()[-1] == str(EXPECTED["tiny"][DEFAULTS])


@pytest.mark.parametrize(
    ("flags", "options"),
    [
        (["--threshold", "0.3"], (0.3, False, True)),
        (["--threshold", "0", "--include-aa"], (0.0, True, True)),
        (["--include-aa", "--threshold=0.05", "--alpha", "0.5"], (0.05, True, True)),
    ],
)
def test_cli_options(flags: list[str], options: tuple[float, bool, bool]) -> None:
    code, out, _ = run(str(DATA / "shift.a.png"), str(DATA / "shift.b.png"), *flags)
    assert (code, out.splitlines()[-1]) == (1, str(EXPECTED["shift"][OPTIONS.index(options)]))


def test_cli_writes_the_diff_image(tmp_path: Path) -> None:
    target = tmp_path / "diff.png"
    code, out, _ = run(str(DATA / "tiny.a.png"), str(DATA / "tiny.b.png"), "--out", str(target))
    assert code == 1 and f"diff image: {target}" in out
    assert (load_png(target) == load_png(DATA / "tiny.diff-default.png")).all()


def test_cli_missing_file_exits_2_with_one_line() -> None:
    code, out, err = run(str(DATA / "nope.png"), str(DATA / "tiny.b.png"))
    assert (code, out) == (ExitStatus.INVALID_INPUT, "")
    assert err == f"telltale: error: no such file: {DATA / 'nope.png'}\n"


def test_cli_size_mismatch_names_both_sizes() -> None:
    a, b = str(DATA / "tiny.a.png"), str(DATA / "shapes.b.png")
    code, out, err = run(a, b)
    assert (code, out) == (ExitStatus.INVALID_INPUT, "")
    assert err == f"telltale: error: image sizes differ: {a} is 24x14, {b} is 96x64\n"


def test_cli_undecodable_png_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes((DATA / "tiny.a.png").read_bytes()[:60])
    code, _, err = run(str(broken), str(DATA / "tiny.a.png"))
    assert code == ExitStatus.INVALID_INPUT
    assert err.startswith(f"telltale: error: cannot decode PNG {broken}") and err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [[], ["only-one.png"], ["a.png", "b.png", "--threshold", "lots"], ["a.png", "b.png", "--x"]],
)
def test_cli_usage_errors_exit_2_with_one_line(argv: list[str]) -> None:
    code, out, err = run(*argv)
    assert (code, out) == (ExitStatus.INVALID_INPUT, "")
    assert err.startswith("telltale: error: ") and err.count("\n") == 1


def test_cli_threshold_out_of_range_exits_2() -> None:
    code, _, err = run(str(DATA / "tiny.a.png"), str(DATA / "tiny.b.png"), "--threshold", "3")
    assert code == ExitStatus.INVALID_INPUT
    assert err == "telltale: error: threshold: expected a number from 0 to 1, got 3.0\n"


def test_cli_help_goes_to_stdout() -> None:
    code, out, err = run("--help")
    assert (code, err) == (0, "")
    assert out.startswith("usage: telltale diff") and "--include-aa" in out


def test_diff_result_is_frozen() -> None:
    a, b = pair("tiny")
    result: DiffResult = diff_images(a, b)
    with pytest.raises(AttributeError):
        result.mismatched = 0  # type: ignore[misc]
