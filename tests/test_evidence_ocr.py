"""No protected value can be read in any picture of a report, whatever the snippet: proven the way an auditor
would, by OCR (Tesseract) of every image the report folder holds and every frame of every session video.

Bundled scenarios that type and show protected values run with no snippet, with a third-party tag that replays
nothing (``tests/data/third_party_tracker.js``), and with ours, in Chromium, and with no snippet in Firefox. Every
PNG (live and replay checkpoints, diffs, baselines, heatmaps) and every frame of each ``replay.webp`` is read by
``tesseract`` at 2–3× scale, and no value the harness must hide (``ProtectedValues.hidden``: declared secrets,
sensitive typing) may appear: digits alone for numbers, letters and digits without case or punctuation for text,
and any 6-character piece of a value.

The positive control runs the same pages with the harness's painting turned off: OCR must then read the card
number and the revealed password off the live screenshots, or a clean result above would prove nothing.

Tesseract comes from Debian (``tesseract-ocr``, installed by ``.ci/setup``). When it is missing the test fails,
as a missing browser does: a proof that skips itself is a proof no one sees disappear.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageSequence
from playwright.sync_api import Browser

import harness.pipeline
import harness.run.screenshot
from harness.cli import main
from harness.privacy.protected import ProtectedValues
from harness.replay.visual import VisualOptions
from harness.run.browsers import BrowserName
from harness.run.result import RunResult
from harness.verdict import RunVerdict

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
TRACKER = Path(__file__).resolve().parent / "data" / "third_party_tracker.js"
TYPED_AND_SHOWN = ["checkout_unmarked_card", "login_show_password", "account_shown_secrets", "verify_code",
                   "signup_complete"]
FRAGMENT = 6  # a piece of a value this long is already a leak
NUMERIC = re.compile(r"\D")
TEXTUAL = re.compile(r"[^0-9a-z@]")
# Glyphs OCR mistakes for one another in a hex-and-letters canary ("0"/"o", "1"/"l"/"i", "5"/"s"...): folded the
# same way on both sides, so a secret misread by a glyph still counts as read (in the control and in the proof).
CONFUSABLE = str.maketrans({"o": "0", "q": "0", "d": "0", "l": "1", "i": "1", "|": "1", "s": "5", "z": "2", "b": "8",
                            "g": "9"})


@dataclass(frozen=True)
class Mode:
    """One way to run the scenarios: the snippet flags, the browsers and the scenarios."""

    name: str
    flags: tuple[str, ...]
    browsers: tuple[BrowserName, ...]
    scenarios: tuple[str, ...]


MODES = (
    Mode("no-snippet", ("--no-snippet",), ("chromium",), tuple(TYPED_AND_SHOWN)),
    Mode("third-party", ("--snippet", str(TRACKER)), ("chromium",), tuple(TYPED_AND_SHOWN)),
    # Ours adds the replay's pictures (frames, diffs, heatmaps, video): three scenarios keep the OCR short.
    Mode("ours", (), ("chromium",), ("checkout_unmarked_card", "login_show_password", "account_shown_secrets")),
    Mode("no-snippet-firefox", ("--no-snippet",), ("firefox",), ("checkout_unmarked_card", "login_show_password")),
)
UNMASKED = Mode("unmasked", ("--no-snippet",), ("chromium",), ("checkout_unmarked_card", "login_show_password"))


@dataclass(frozen=True)
class Report:
    """A report folder and, per run folder, the values no picture in it may show."""

    folder: Path
    hidden: dict[Path, tuple[str, ...]]
    secrets: dict[Path, dict[str, str]]


def _tesseract() -> str:
    found = shutil.which("tesseract")
    if found is None:
        pytest.fail("tesseract is not installed: apt-get install tesseract-ocr (.ci/setup does it as root)", pytrace=False)
    return found


class _Judged:
    """The pipeline's ``judge``, wrapped to remember each run's protected values as the pipeline works them out."""

    def __init__(self) -> None:
        self.hidden: dict[Path, tuple[str, ...]] = {}
        self.secrets: dict[Path, dict[str, str]] = {}
        self.judge = harness.pipeline.judge

    def __call__(self, result: RunResult, browser: Browser | None, options: VisualOptions) -> RunVerdict:
        self.hidden[result.run_dir] = ProtectedValues.of(result).hidden
        self.secrets[result.run_dir] = dict(result.values)
        return self.judge(result, browser, options)


def _run(mode: Mode, folder: Path, judged: _Judged) -> Report:
    """Run ``mode`` through the CLI into ``folder`` (``harness.pipeline.judge`` already wrapped by ``judged``)."""
    scenarios = [str(SCENARIOS / f"{name}.yaml") for name in mode.scenarios]
    browsers = [arg for browser in mode.browsers for arg in ("--browser", browser)]
    out, err = io.StringIO(), io.StringIO()
    main(["run", *scenarios, *browsers, "--report", str(folder), "-j", "2", *mode.flags], out, err)
    runs = json.loads((folder / "results.json").read_text())["runs"]
    assert len(runs) == len(scenarios) * len(mode.browsers), out.getvalue() + err.getvalue()
    assert not [r["error"] for r in runs if r["error"]], out.getvalue() + err.getvalue()
    mine = {run for run in judged.hidden if run.is_relative_to(folder)}
    return Report(folder, {run: judged.hidden[run] for run in mine}, {run: judged.secrets[run] for run in mine})


def _pictures(folder: Path) -> Iterator[tuple[str, Image.Image, int]]:
    """Every distinct picture in ``folder`` with the scale to read it at: each PNG and each frame of each animated
    WebP or GIF (video frames are half size: read at 3×). A picture whose pixels another one already had (a still
    moment's repeated frame, a report-wide heatmap of a page one run visited) is read once."""
    seen: set[bytes] = set()

    def fresh(picture: Image.Image) -> bool:
        digest = hashlib.sha1(repr(picture.size).encode() + picture.tobytes()).digest()
        new = digest not in seen
        seen.add(digest)
        return new

    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.suffix.lower() == ".png":
            with Image.open(path) as image:
                picture = image.convert("RGB")
            if fresh(picture):
                yield name, picture, 2
        elif path.suffix.lower() in (".webp", ".gif"):
            with Image.open(path) as video:
                for index, frame in enumerate(ImageSequence.Iterator(video)):
                    picture = frame.convert("RGB")
                    if fresh(picture):
                        yield f"{name}#{index}", picture, 3


def ocr(image: Image.Image, scale: int) -> str:
    """The text Tesseract reads in ``image`` enlarged ``scale`` times (it reads screen-sized text poorly)."""
    big = image.resize((image.width * scale, image.height * scale), Image.Resampling.LANCZOS)
    png = io.BytesIO()
    big.save(png, format="PNG")
    done = subprocess.run(
        [_tesseract(), "stdin", "stdout", "--psm", "11", "-l", "eng"], input=png.getvalue(), capture_output=True,
        check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"}, timeout=120,
    )
    return done.stdout.decode("utf-8", "replace")


def _pieces(value: str) -> tuple[Callable[[str], str], list[str]]:
    """How to normalise text to look for ``value``, and what to look for: the whole value and each 6-long piece."""
    digits = NUMERIC.sub("", value)
    letters = TEXTUAL.sub("", value.casefold())
    norm: Callable[[str], str]
    if len(digits) >= FRAGMENT and len(digits) * 2 >= len(letters):
        norm, whole = (lambda text: NUMERIC.sub("", text)), digits  # card, code, phone, IBAN: digits only
    else:
        norm, whole = (lambda text: TEXTUAL.sub("", text.casefold()).translate(CONFUSABLE)), letters.translate(CONFUSABLE)
    pieces = [whole] + [whole[i:i + FRAGMENT] for i in range(len(whole) - FRAGMENT + 1)]
    return norm, list(dict.fromkeys(p for p in pieces if p))


def readable(text: str, values: tuple[str, ...]) -> list[str]:
    """Each value (or piece of one) that ``text`` shows, line by line: ``'value' as 'piece' in 'line'``."""
    found = []
    for value in values:
        norm, pieces = _pieces(value)
        for line in text.splitlines():
            hit = next((p for p in pieces if p in norm(line)), None)
            if hit is not None:
                found.append(f"{value!r} as {hit!r} in {line.strip()!r}")
                break
    return found


def _leaks(report: Report) -> dict[str, list[str]]:
    """Per picture of the report, what it shows of its run's protected values (every run's, for report-wide ones)."""
    everything = tuple(dict.fromkeys(v for values in report.hidden.values() for v in values))

    def values_for(name: str) -> tuple[str, ...]:
        path = (report.folder / name.split("#")[0]).resolve()
        return next((v for run, v in report.hidden.items() if path.is_relative_to(run.resolve())), everything)

    pictures = list(_pictures(report.folder))
    with ThreadPoolExecutor(max_workers=2) as pool:
        texts = list(pool.map(lambda p: ocr(p[1], p[2]), pictures))
    found = {name: readable(text, values_for(name)) for (name, _, _), text in zip(pictures, texts, strict=True)}
    return {name: lines for name, lines in found.items() if lines}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Report, int]]]:
    """Each mode's report, with the number of pictures in it; two modes run at once (a run mostly waits)."""
    _tesseract()
    judged = _Judged()
    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(max_workers=2) as pool:
        patch.setattr(harness.pipeline, "judge", judged)
        made = pool.map(lambda mode: _run(mode, tmp_path_factory.mktemp(mode.name) / "report", judged), MODES)
        done = {mode.name: report for mode, report in zip(MODES, made, strict=True)}
    yield {name: (report, sum(1 for _ in _pictures(report.folder))) for name, report in done.items()}


@pytest.mark.parametrize("mode", [m.name for m in MODES])
def test_no_picture_in_the_report_shows_a_protected_value(reports: dict[str, tuple[Report, int]], mode: str) -> None:
    report, pictures = reports[mode]
    assert pictures, f"{mode}: no picture to read in {report.folder}"
    assert all(report.hidden.values()), f"{mode}: a run had no protected value to look for"
    if mode == "ours":  # the replay adds its own pictures: they are read too
        names = {p.name for p in report.folder.rglob("*")}
        assert {"replay.webp", "moves.png"} <= names and any(n.endswith("-replay.png") for n in names), names
    leaks = _leaks(report)
    assert not leaks, f"{mode}: protected values readable in {report.folder}:\n" + "\n".join(
        f"  {name}: {'; '.join(lines)}" for name, lines in leaks.items())


def test_ocr_reads_the_card_and_the_revealed_password_when_the_harness_paints_nothing(tmp_path: Path) -> None:
    """The positive control: the same live pages, unpainted, show their secrets to the same OCR."""
    _tesseract()
    paint = harness.run.screenshot.paint
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(harness.run.screenshot, "paint", lambda png, boxes, width, pad=0: paint(png, (), width))
        judged = _Judged()
        patch.setattr(harness.pipeline, "judge", judged)
        report = _run(UNMASKED, tmp_path / "report", judged)
    read = {}
    # What each field shows: the card; the revealed password field holds the password and the text typed after it,
    # scrolled to its end (so the password's first characters may be out of view): either is the field's secret.
    shown = {"card": ("card",), "password": ("password", "password_rest")}
    for run, secrets in report.secrets.items():
        for name, shot in (("card", "payment-filled"), ("password", "password-revealed")):
            if name in secrets:
                with Image.open(run / "checkpoints" / f"{shot}-live.png") as image:
                    values = tuple(secrets[key] for key in shown[name] if key in secrets)
                    read[name] = readable(ocr(image.convert("RGB"), 2), values)
    assert set(read) == {"card", "password"}
    assert all(read.values()), f"OCR could not read an unmasked secret, so a clean result proves nothing: {read}"
