"""Checkpoint proof: the replay shows what the visitor saw (fidelity), except what it must not show (redaction).

Fidelity compares the live screenshot with the replay frame of the same moment, pixel by pixel with pixelmatch's
metric (:func:`harness.diff.diff_images`), outside the regions the replay knows are hidden (form fields, elements
marked sensitive, masked text; :meth:`harness.replay.Replay.masks`). The score is ``1 - mismatch ratio`` there, and
a checkpoint passes at :data:`FIDELITY_THRESHOLD`.

Redaction evidence is about the inside of those regions, for a compliance reader: the replay DOM holds none of the
run's protected values (typed text and declared secrets, matched case-insensitively in every text node, attribute
and form value), and every field the visitor typed into that is on screen is covered by a mask, is empty in the
replay, and looks different from the live screenshot (where the live page showed the typed text, the replay did not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from harness.privacy.leaks import Protected
from harness.replay.diff import RGBAImage, diff_images
from harness.replay.documents import FieldDocument, RedactionDocument
from harness.replay.page import Located, MaskRegion

FIDELITY_THRESHOLD: Final = 0.98
"""A checkpoint passes when at least this share of the unmasked pixels match. Same-browser replays of the bundled
scenarios score 1.0 in Chromium; Firefox scrolls to fractional offsets that the snippet records rounded (0.99)."""
DIFF_THRESHOLD: Final = 0.1  # pixelmatch's per-pixel colour threshold (its default), anti-aliasing excused
MASK_PAD_PX: Final = 4  # a field's focus ring (2 px outline, 1 px offset) and anti-aliased edge belong to its mask
MASK_CHARACTERS: Final = "*\u2022"
"""What a replayed field may hold and still count as empty: rrweb masks an input's value with one ``*`` per
character (its length is then known, which the scanner reports; the value is not)."""
COVERED: Final = 0.99  # a typed field counts as masked when this share of its on-screen box is inside masks
MASK_HATCH: Final = ((205, 222, 250), (232, 240, 253))  # masked regions in the stored diff image: pale blue stripes

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Fidelity:
    """Live screenshot against replay frame, outside the masks."""

    mismatched: int
    compared: int
    masked: int
    image: RGBAImage = field(repr=False)  # the diff picture, masked regions hatched over

    @property
    def ratio(self) -> float:
        return self.mismatched / self.compared if self.compared else 0.0

    @property
    def score(self) -> float:
        return 1.0 - self.ratio

    @property
    def passed(self) -> bool:
        return self.score >= FIDELITY_THRESHOLD

    def __repr__(self) -> str:
        return f"<Fidelity score={self.score:.4f} mismatched={self.mismatched} compared={self.compared} masked={self.masked}>"


def mask_of(regions: Sequence[MaskRegion], height: int, width: int, pad: float = MASK_PAD_PX) -> BoolArray:
    """True where a region (grown by ``pad``) covers the frame."""
    mask = np.zeros((height, width), dtype=np.bool_)
    for region in regions:
        box = region.box(pad, width, height)
        if box is not None:
            x0, y0, x1, y1 = box
            mask[y0:y1, x0:x1] = True
    return mask


def hatch(
    image: RGBAImage, mask: BoolArray, colours: tuple[tuple[int, int, int], tuple[int, int, int]] = MASK_HATCH
) -> RGBAImage:
    """``image`` with the masked pixels replaced by diagonal stripes: what was excluded, with nothing of it shown.

    The diff picture is drawn over the live screenshot, which shows what the visitor typed; under a mask it must
    not, so the live pixels there are covered, not tinted.
    """
    out = image.copy()
    ys, xs = np.nonzero(mask)
    stripe = ((xs + ys) // 6) % 2 == 0
    out[ys, xs, :3] = np.where(stripe[:, None], np.array(colours[0], np.uint8), np.array(colours[1], np.uint8))
    out[ys, xs, 3] = 255
    return out


def compare(live: RGBAImage, replay: RGBAImage, regions: Sequence[MaskRegion]) -> Fidelity:
    """Fidelity of ``replay`` to ``live`` outside ``regions``."""
    height, width = live.shape[:2]
    mask = mask_of(regions, height, width)
    result = diff_images(live, replay, threshold=DIFF_THRESHOLD, include_aa=False, mask=mask)
    return Fidelity(result.mismatched, result.total, int(mask.sum()), hatch(result.image, mask))


# --- redaction evidence ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldEvidence:
    """One field the visitor typed into, as the replay shows it at a checkpoint."""

    selector: str
    secret: str  # the scenario secret typed ('' for literal text)
    on_screen: bool
    covered: float  # share of its on-screen box inside the masks
    replay_empty: bool  # the replay's field holds no value and none of the protected values as text
    live_differs: int  # pixels inside its box where the live screenshot and the replay differ

    @property
    def proven(self) -> bool:
        """Hidden in the replay where the visitor saw it (vacuously true when it is off screen)."""
        return not self.on_screen or (self.covered >= COVERED and self.replay_empty and self.live_differs > 0)

    def to_json(self) -> FieldDocument:
        return {
            "field": self.selector, "secret": self.secret, "on_screen": self.on_screen,
            "covered": round(self.covered, 4), "replay_empty": self.replay_empty,
            "live_differs_px": self.live_differs, "proven": self.proven,
        }


@dataclass(frozen=True)
class Redaction:
    """Evidence that a checkpoint's replay shows masks, not protected values."""

    values_checked: int
    found: tuple[str, ...]  # names of protected values the replay DOM holds (never the values)
    fields: tuple[FieldEvidence, ...]
    regions: int

    @property
    def status(self) -> Literal["proven", "failed", "n/a"]:
        if self.found or not all(f.proven for f in self.fields):
            return "failed"
        return "proven" if self.values_checked else "n/a"

    def summary(self) -> str:
        """One line for the report."""
        if self.status == "n/a":
            return "no protected value in this run"
        shown = [f for f in self.fields if f.on_screen]
        head = f"{self.values_checked} protected values absent from the replay DOM" if not self.found else (
            f"replay DOM holds {', '.join(self.found)}")
        fields = "; ".join(
            f"{f.selector}: {'masked' if f.proven else 'NOT masked'} ({f.live_differs} px differ from live)" for f in shown
        )
        return head + (f"; typed fields on screen: {fields}" if fields else "")

    def to_json(self) -> RedactionDocument:
        return {
            "status": self.status, "values_checked": self.values_checked, "found": list(self.found),
            "regions": self.regions, "fields": [f.to_json() for f in self.fields],
        }


def same_page(a: str, b: str) -> bool:
    """Whether two URLs name the same document (query and fragment aside: the snippet masks the query)."""
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc, pa.path or "/") == (pb.scheme, pb.netloc, pb.path or "/")


def field_evidence(
    selector: str, secret: str, located: Located | None, live: RGBAImage, replay: RGBAImage, mask: BoolArray,
    protected: Sequence[Protected],
) -> FieldEvidence:
    """How one typed field looks in the replay, against the live screenshot and the masks."""
    height, width = mask.shape
    if located is None:
        return FieldEvidence(selector, secret, False, 0.0, True, 0)
    x0, y0 = max(0, int(located.x)), max(0, int(located.y))
    x1, y1 = min(width, int(np.ceil(located.x + located.w))), min(height, int(np.ceil(located.y + located.h)))
    holds = located.value.strip(MASK_CHARACTERS) != "" or any(p.value.casefold() in located.text.casefold() for p in protected)
    if x1 <= x0 or y1 <= y0:
        return FieldEvidence(selector, secret, False, 0.0, not holds, 0)
    covered = float(mask[y0:y1, x0:x1].mean())
    crop = (slice(y0, y1), slice(x0, x1))
    differs = diff_images(
        np.ascontiguousarray(live[crop]), np.ascontiguousarray(replay[crop]), threshold=DIFF_THRESHOLD
    ).mismatched
    return FieldEvidence(selector, secret, True, covered, not holds, differs)


def values_in(text: str, protected: Sequence[Protected]) -> tuple[str, ...]:
    """Names of the protected values that occur in ``text`` (case-insensitive)."""
    folded = text.casefold()
    return tuple(dict.fromkeys(p.name for p in protected if p.value.casefold() in folded))
