"""Golden replay frames: each checkpoint's replay compared with the frame approved for its browser.

Baselines live beside the scenarios, one folder per browser (fonts and form controls differ between engines):
``<scenario folder>/baselines/<browser>/<scenario slug>/<checkpoint>.png``. Replay frames hide typed text behind
masks, so they are the same from run to run although every run types new canary values; a baseline is therefore
held to the pixel (pixelmatch's metric, anti-aliasing excused, within :data:`TOLERANCE`).

A missing baseline is written and reported ``new``; a differing one is ``failed``, and the actual, expected and
diff PNGs are written next to the run's checkpoints. Baselines are only ever replaced on an explicit request:
``telltale approve`` (the frames of a report that were new or failed) or ``telltale run --update-baselines``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from harness.replay.diff import diff_images, load_png, save_png
from harness.replay.fidelity import DIFF_THRESHOLD

BASELINE_DIR: Final = "baselines"
TOLERANCE: Final = 0.0002
"""Share of pixels a replay frame may differ from its baseline by (0.02 %: a few glyph edges), for frames that are
otherwise the same from run to run."""

Status = Literal["new", "matched", "failed", "updated"]


def baseline_path(scenario_file: str | Path, browser: str, slug: str, checkpoint: str) -> Path:
    """Where the approved frame of one checkpoint of one scenario in one browser lives."""
    return Path(scenario_file).parent / BASELINE_DIR / browser / slug / f"{checkpoint}.png"


@dataclass(frozen=True)
class BaselineResult:
    """One replay frame against its baseline."""

    status: Status
    path: Path  # the baseline
    ratio: float = 0.0  # share of pixels that differ (1.0 when the sizes differ)
    detail: str = ""
    expected: Path | None = None  # copies written on failure, next to the run's checkpoints
    actual: Path | None = None
    diff: Path | None = None

    @property
    def passed(self) -> bool:
        return self.status != "failed"


def check(frame: Path, baseline: Path, out_dir: Path, name: str, update: bool = False) -> BaselineResult:
    """Compare ``frame`` with ``baseline``; write the baseline when missing (or when ``update``)."""
    if update or not baseline.exists():
        existed = baseline.exists()
        baseline.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(frame, baseline)
        return BaselineResult("updated" if existed else "new", baseline)
    expected, actual = load_png(baseline), load_png(frame)
    copies = {
        "expected": out_dir / f"{name}-expected.png",
        "actual": out_dir / f"{name}-actual.png",
    }
    if expected.shape != actual.shape:
        detail = f"size {actual.shape[1]}x{actual.shape[0]}, expected {expected.shape[1]}x{expected.shape[0]}"
        _write_copies(baseline, frame, copies)
        return BaselineResult("failed", baseline, 1.0, detail, copies["expected"], copies["actual"])
    result = diff_images(expected, actual, threshold=DIFF_THRESHOLD)
    if result.ratio <= TOLERANCE:
        return BaselineResult("matched", baseline, result.ratio)
    _write_copies(baseline, frame, copies)
    diff = out_dir / f"{name}-baseline-diff.png"
    save_png(diff, result.image)
    detail = f"{result.mismatched} of {result.total} pixels differ"
    return BaselineResult("failed", baseline, result.ratio, detail, copies["expected"], copies["actual"], diff)


def _write_copies(baseline: Path, frame: Path, copies: dict[str, Path]) -> None:
    copies["expected"].parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(baseline, copies["expected"])
    shutil.copyfile(frame, copies["actual"])


def approve(pairs: Iterable[tuple[Path, Path]]) -> list[Path]:
    """Accept frames as baselines: copy each ``(frame, baseline)``; return the baselines written."""
    written = []
    for frame, baseline in pairs:
        baseline.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(frame, baseline)
        written.append(baseline)
    return written
