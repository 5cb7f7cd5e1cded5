"""The visual checks of one run, after it ended: replay every checkpoint, prove it, keep the pictures.

For each ``checkpoint`` step the replay (:mod:`harness.replay`) shows the recorded session at the moment the live
screenshot was taken, in the same browser; the frame is compared with the live screenshot outside the masks
(fidelity), the masks are shown to hide every protected value (redaction), and the frame is held against its
per-browser baseline (:mod:`harness.baselines`). Then come a heatmap set per page (:mod:`harness.heatmaps`) and the
session video (:mod:`harness.frames`).

A run whose tracker is not ours (a third party's, or none) but sent rrweb events gets the vendor's replay instead
(:mod:`harness.replay.rrweb_page`): each checkpoint is shown by rrweb's own replayer and checked the same way
(fidelity, redaction, its own baseline); there is no heatmap or video of it.

Everything lands in the run's folder, and the outcome (:class:`VisualOutcome`, redacted like every other run
file) is returned to the pipeline and kept as ``visual.json`` for ``telltale approve``. A replay that fails never
loses the run: the error is recorded and the checkpoints say so.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, cast

from PIL import Image
from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from harness.capture.proxy import Recording
from harness.privacy.protected import ProtectedValues
from harness.privacy.vendors import RrwebEvent, rrweb_events
from harness.replay import baselines, heatmaps
from harness.replay.diff import RGBAImage, load_png, save_png
from harness.replay.documents import CheckpointEntry, HeatmapEntry, VisualDocument
from harness.replay.fidelity import (
    DIFF_THRESHOLD,
    FIDELITY_THRESHOLD,
    MASK_PAD_PX,
    FieldEvidence,
    Redaction,
    compare,
    field_evidence,
    hatch,
    mask_of,
    same_page,
    values_in,
)
from harness.replay.frames import render_video
from harness.replay.page import AssetResolver, MaskRegion, Replay
from harness.replay.rrweb_page import RrwebReplay, replayable
from harness.replay.session import PageView, Session, decode_session
from harness.run.result import RunResult
from harness.run.timeline import Checkpoint

VISUAL_JSON: Final = "visual.json"
VIDEO: Final = "replay.webp"


@dataclass(frozen=True)
class VisualOptions:
    """How the visual checks run."""

    update_baselines: bool = False  # write every replay frame as its baseline (``--update-baselines``)
    video_fps: float = 4.0
    video_scale: float = 0.5
    video: bool = True
    heatmaps: bool = True


@dataclass(frozen=True)
class VisualOutcome:
    """The visual checks of one run: its redacted ``visual.json`` document and one line per failed check."""

    document: VisualDocument
    problems: tuple[str, ...]

    def summary(self) -> str:
        """A short line for progress output: fidelity per checkpoint and baseline outcomes."""
        parts = []
        for c in self.document.get("checkpoints", []):
            score = f"{c['fidelity']:.3f}" if "fidelity" in c else c.get("status", "")
            flag = f" [{c['baseline']}]" if c.get("baseline") not in (None, "matched") else ""
            parts.append(f"{c.get('name')} {score}{flag}")
        return "replay: " + ", ".join(parts) if parts else ""


def _checkpoint_moments(result: RunResult) -> list[tuple[Checkpoint, float]]:
    """Each checkpoint with the end of its step: the screenshot was taken by then, and the next step not begun."""
    ends = [s.end_ms for s in result.timeline.steps if s.kind == "checkpoint" and s.ok]
    return [(c, ends[i] if i < len(ends) else c.t_ms) for i, c in enumerate(result.timeline.checkpoints)]


def _recorded_view(result: RunResult, session: Session, t_ms: float) -> PageView | None:
    """The page view on screen at ``t_ms``, or None when that moment was not recorded (before any, or opted out)."""
    view = session.page_at(t_ms)
    if view is None:
        return None
    if any(view.start_ms < optout <= t_ms for optout in result.timeline.optouts):
        return None  # the visitor opted out on this page: what followed was never recorded
    return view


class _RunChecks:
    """The visual checks of one run, in one replay page."""

    def __init__(
        self, result: RunResult, protected: ProtectedValues, replay: Replay, session: Session, options: VisualOptions
    ) -> None:
        self.result, self.replay, self.session, self.options = result, replay, session, options
        self.protected = protected.checked()
        self.run_dir = result.run_dir

    def rel(self, path: Path) -> str:
        return path.relative_to(self.run_dir).as_posix()

    def checkpoint(self, checkpoint: Checkpoint, t_ms: float) -> CheckpointEntry:
        """Replay one checkpoint's moment and check it: fidelity, redaction, baseline."""
        entry: CheckpointEntry = {"name": checkpoint.name, "t_ms": round(checkpoint.t_ms, 1), "live": checkpoint.live,
                                 "replay_t_ms": round(t_ms, 1)}
        view = _recorded_view(self.result, self.session, t_ms)
        if view is None:
            return {**entry, "status": "not-recorded", "detail": "nothing was recorded for this moment (opted out)"}
        self.replay.show(view, t_ms)
        frame = self.run_dir / "checkpoints" / f"{checkpoint.name}-replay.png"
        self.replay.screenshot(frame)
        regions = self.replay.masks()
        entry.update({"replay": self.rel(frame), "page": view.url, "masked_regions": len(regions),
                      "inferred_scrolls": self.replay.inferred_scrolls})
        problems = self.against_live(entry, view.url, checkpoint, frame, regions) + self.against_baseline(entry, frame)
        entry["status"] = "failed" if problems else "passed"
        if problems:
            entry["detail"] = "; ".join(problems)
        return entry

    def against_live(
        self, entry: CheckpointEntry, page_url: str, checkpoint: Checkpoint, frame: Path, regions: list[MaskRegion]
    ) -> list[str]:
        """Fidelity outside the masks and redaction inside them, into ``entry``; the problems found."""
        live, shown = load_png(self.run_dir / checkpoint.live), load_png(frame)
        if live.shape != shown.shape:
            return [f"replay is {shown.shape[1]}x{shown.shape[0]}, live {live.shape[1]}x{live.shape[0]}"]
        problems = []
        # What the harness painted over in the live screenshot cannot be compared: it joins the replay's masks.
        painted = [MaskRegion("harness", box.why, box.x, box.y, box.w, box.h) for box in checkpoint.hidden]
        fidelity = compare(live, shown, regions + painted)
        diff = self.run_dir / "checkpoints" / f"{checkpoint.name}-diff.png"
        save_png(diff, fidelity.image)
        entry.update({"diff": self.rel(diff), "fidelity": round(fidelity.score, 6),
                      "mismatch_ratio": round(fidelity.ratio, 6), "mismatched_px": fidelity.mismatched,
                      "masked_px": fidelity.masked})
        if not fidelity.passed:
            problems.append(f"fidelity {fidelity.score:.4f} < {FIDELITY_THRESHOLD}")
        redaction = self.redaction(page_url, checkpoint, live, shown, regions)
        entry.update({"redaction": redaction.status, "redaction_detail": redaction.summary(),
                      "redaction_evidence": redaction.to_json()})
        if redaction.status == "failed":
            problems.append(f"redaction not proven: {redaction.summary()}")
        # Checked: the stored live screenshot would still show typed text as pixels, so it keeps the masks hatched.
        save_png(self.run_dir / checkpoint.live, hatch(live, mask_of(regions, live.shape[0], live.shape[1], MASK_PAD_PX)))
        return problems

    def against_baseline(self, entry: CheckpointEntry, frame: Path, name: str | None = None) -> list[str]:
        """The frame against its approved baseline (``name``: the checkpoint's), into ``entry``; the problems found."""
        name = name or entry["name"]
        target = baselines.baseline_path(self.result.scenario.file, self.result.browser, self.result.scenario.slug, name)
        base = baselines.check(frame, target, frame.parent, name, self.options.update_baselines)
        entry.update({"baseline": base.status, "baseline_path": str(base.path), "baseline_ratio": round(base.ratio, 6)})
        if base.expected:
            entry["baseline_expected"] = self.rel(base.expected)
        if base.actual:
            entry["baseline_actual"] = self.rel(base.actual)
        if base.diff:
            entry["baseline_diff"] = self.rel(base.diff)
        return [] if base.passed else [f"differs from its baseline {base.path} ({base.detail})"]

    def redaction(
        self, page_url: str, checkpoint: Checkpoint, live: RGBAImage, shown: RGBAImage, regions: list[MaskRegion]
    ) -> Redaction:
        """Evidence that the masks hide every protected value at this checkpoint (see :mod:`harness.fidelity`)."""
        found = values_in(self.replay.text(), self.protected)
        mask = mask_of(regions, live.shape[0], live.shape[1], MASK_PAD_PX)
        fields: dict[str, FieldEvidence] = {}
        for typed in self.result.timeline.typed:
            if typed.t_ms <= checkpoint.t_ms and same_page(typed.page_url, page_url) and typed.selector not in fields:
                located = self.replay.locate(typed.selector)
                fields[typed.selector] = field_evidence(
                    typed.selector, typed.secret, located, live, shown, mask, self.protected
                )
        return Redaction(len(self.protected), found, tuple(fields.values()), len(regions))

    def heatmaps(self) -> list[HeatmapEntry]:
        """Per page view: its first full frame and the three heatmaps over it."""
        entries: list[HeatmapEntry] = []
        for index, view in enumerate(v for v in self.session.pages if v.snapshot):
            scrolls = self.replay.scroll_track(view)
            self.replay.show(view, view.start_ms)
            folder = self.run_dir / "heatmaps" / f"{index + 1}-{heatmaps.page_key(view.url)}"
            folder.mkdir(parents=True, exist_ok=True)
            frame = folder / "frame.png"
            self.replay.screenshot(frame, full_page=True)
            with Image.open(frame) as image:
                base = image.convert("RGBA")
            act = heatmaps.activity(view, base.width, base.height, scrolls)
            paths = heatmaps.write(base, act, folder)
            entries.append({"page": view.url, "key": act.key, "start_ms": round(view.start_ms, 1),
                            "frame": self.rel(frame), "clicks": self.rel(paths["clicks"]),
                            "moves": self.rel(paths["moves"]), "scroll": self.rel(paths["scroll"])})
        return entries


class _VendorChecks(_RunChecks):
    """The visual checks of a run recorded with rrweb, in rrweb's own replayer."""

    replay: RrwebReplay

    def checkpoint(self, checkpoint: Checkpoint, t_ms: float) -> CheckpointEntry:
        """rrweb's replay of one checkpoint's moment, checked as ours: fidelity, redaction, baseline."""
        entry: CheckpointEntry = {"name": checkpoint.name, "t_ms": round(checkpoint.t_ms, 1), "live": checkpoint.live,
                                 "replay_t_ms": round(t_ms, 1), "replayer": "rrweb"}
        page_url = self.replay.show_at(t_ms)
        if page_url is None:
            return {**entry, "status": "not-recorded", "detail": "rrweb recorded nothing before this moment"}
        frame = self.run_dir / "checkpoints" / f"{checkpoint.name}-rrweb.png"
        self.replay.screenshot(frame)
        regions = self.replay.masks()
        entry.update({"replay": self.rel(frame), "page": page_url, "masked_regions": len(regions),
                      "inferred_scrolls": 0})
        # Its own baseline: the same checkpoint replayed by ours is another picture.
        problems = self.against_live(entry, page_url, checkpoint, frame, regions)
        # Checked: unlike ours, the vendor's frame may show what it recorded in clear (the finding says which value);
        # the stored picture, and so its baseline, keeps what the live one hides hatched, as no report picture may
        # show a protected value.
        painted = [MaskRegion("harness", box.why, box.x, box.y, box.w, box.h) for box in checkpoint.hidden]
        shown = load_png(frame)
        save_png(frame, hatch(shown, mask_of(regions + painted, shown.shape[0], shown.shape[1], MASK_PAD_PX)))
        problems += self.against_baseline(entry, frame, f"{checkpoint.name}-rrweb")
        entry["status"] = "failed" if problems else "passed"
        if problems:
            entry["detail"] = "; ".join(problems)
        return entry


def _sent(recording: Recording) -> Iterator[bytes]:
    """Everything the page sent: request bodies and URLs, WebSocket frames."""
    for request in recording.requests:
        yield request.url.encode("utf-8", "surrogateescape")
        if request.body:
            yield request.body
    for frame in recording.frames:
        if frame.direction == "sent":
            yield frame.data


def check_run(
    result: RunResult, protected: ProtectedValues, browser: Browser, options: VisualOptions = VisualOptions()
) -> VisualOutcome:
    """Replay ``result`` in ``browser`` (the one it ran in), run every visual check, keep ``visual.json``.

    Our snippet's session is replayed by ours; without one, rrweb events in the capture by rrweb's own replayer.
    """
    session = decode_session(result.recording)
    doc: VisualDocument = {
        "status": "replayed", "replayer": "telltale", "error": "", "session": session.to_json(),
        "thresholds": {"fidelity": FIDELITY_THRESHOLD, "diff": DIFF_THRESHOLD, "mask_pad_px": MASK_PAD_PX,
                       "baseline_tolerance": baselines.TOLERANCE},
        "checkpoints": [], "heatmaps": [],
    }
    moments = _checkpoint_moments(result)
    if not any(p.snapshot for p in session.pages):
        events = rrweb_events(_sent(result.recording))
        if replayable(events):
            doc["replayer"] = "rrweb"
            return _replayed(result, protected, doc, moments, lambda: _vendor_checks(result, protected, browser,
                                                                                     session, events, options))
        doc["status"] = "no-replay"
        doc["checkpoints"] = [{"name": c.name, "t_ms": round(c.t_ms, 1), "live": c.live, "status": "no-replay",
                               "detail": "the snippet sent no replayable session"} for c, _ in moments]
        return _outcome(result, protected, doc)
    return _replayed(result, protected, doc, moments, lambda: _own_checks(result, protected, browser, session, options))


def _own_checks(
    result: RunResult, protected: ProtectedValues, browser: Browser, session: Session, options: VisualOptions
) -> _RunChecks:
    first = next(p for p in session.pages if p.snapshot)
    replay = Replay(browser, AssetResolver(result.site), first.width or 1280, first.height or 720)
    return _RunChecks(result, protected, replay, session, options)


def _vendor_checks(
    result: RunResult, protected: ProtectedValues, browser: Browser, session: Session, events: list[RrwebEvent],
    options: VisualOptions,
) -> _RunChecks:
    replay = RrwebReplay(browser, events, result.recording.wall_started * 1000.0)
    # The vendor's replay is checked, not filmed: no heatmaps or video of it.
    return _VendorChecks(result, protected, replay, session,
                         VisualOptions(options.update_baselines, options.video_fps, options.video_scale, False, False))


def _replayed(
    result: RunResult, protected: ProtectedValues, doc: VisualDocument, moments: list[tuple[Checkpoint, float]],
    start: Callable[[], _RunChecks],
) -> VisualOutcome:
    """Every checkpoint, heatmap and the video in the replay ``start`` opens; any failure recorded, never raised."""
    replay: Replay | None = None
    try:
        checks = start()
        replay, session, options = checks.replay, checks.session, checks.options
        for checkpoint, t_ms in moments:
            doc.setdefault("checkpoints", []).append(checks.checkpoint(checkpoint, t_ms))
        if options.heatmaps:
            doc["heatmaps"] = checks.heatmaps()
        if options.video:
            frames = render_video(replay, session, result.run_dir / VIDEO, options.video_fps, options.video_scale,
                                  end_ms=result.duration_ms)
            doc["video"] = {"path": VIDEO, "frames": frames, "fps": options.video_fps} if frames else None
        doc["replay"] = {"requests": len(replay.requests), "routed": len(replay.routed),
                         "refused_by_policy": len(replay.refused_by_policy),
                         "neutralised": replay.neutralised(), "failed_events": replay.failed_events}
    except Exception as error:  # a bug in the replay, or a dead browser, must not lose the run
        doc["status"], doc["error"] = "error", f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        doc["traceback"] = traceback.format_exc(limit=6)
        done = {c.get("name") for c in doc.get("checkpoints", [])}
        doc["checkpoints"] = doc.get("checkpoints", []) + [
            {"name": c.name, "t_ms": round(c.t_ms, 1), "live": c.live, "status": "error", "detail": doc["error"]}
            for c, _ in moments if c.name not in done
        ]
    finally:
        if replay is not None:
            try:
                replay.close()
            except PlaywrightError:
                pass
    inert = doc.get("replay")
    if doc.get("status") == "replayed" and inert is not None and (inert["requests"] or inert["routed"]):
        doc["status"] = "failed"  # an inert replay makes no request: this is a harness bug worth failing on
    return _outcome(result, protected, doc)


def _outcome(result: RunResult, protected: ProtectedValues, doc: VisualDocument) -> VisualOutcome:
    """The redacted outcome, also kept as the run's ``visual.json`` (read back only by ``telltale approve``)."""
    result.run_dir.mkdir(parents=True, exist_ok=True)
    redacted: VisualDocument = protected.redactor.tree(doc)
    (result.run_dir / VISUAL_JSON).write_text(json.dumps(redacted, indent=1, ensure_ascii=False), encoding="utf-8")
    return VisualOutcome(redacted, tuple(problems(redacted)))


def load(run_dir: Path) -> VisualDocument | None:
    """A run's ``visual.json``, or None when its visual checks did not run."""
    path = run_dir / VISUAL_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return cast(VisualDocument, data) if isinstance(data, dict) else None  # as check_run wrote it


def problems(doc: VisualDocument) -> list[str]:
    """One line per failed visual check of a ``visual.json`` document (empty when all passed)."""
    lines = []
    if doc.get("status") == "error":
        lines.append(f"replay: {doc.get('error', '')}")
    inert = doc.get("replay")
    if doc.get("status") == "failed" and inert is not None:
        lines.append(f"replay made {inert['requests']} request(s); an inert replay makes none")
    lines += [f"checkpoint {c.get('name')}: {c.get('detail', 'failed')}" for c in doc.get("checkpoints", [])
              if c.get("status") == "failed"]
    return lines


# --- across runs -----------------------------------------------------------------------------------------------

AGGREGATE_DIR: Final = "heatmaps"


def aggregate_heatmaps(runs: Iterable[tuple[Path, VisualDocument]], report_dir: Path) -> dict[str, list[str]]:
    """Heatmaps per page over every run that visited it, in ``<report>/heatmaps/<page>/``; returns page → runs.

    ``runs`` pairs each run's folder with its visual document.
    """
    groups: dict[str, list[tuple[Path, heatmaps.PageActivity, Path]]] = {}
    for run_dir, doc in runs:
        for h in doc.get("heatmaps", []):
            activity_path = run_dir / Path(h["frame"]).parent / "activity.json"
            try:
                act = heatmaps.PageActivity.from_json(json.loads(activity_path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError):
                continue
            groups.setdefault(act.key, []).append((run_dir, act, run_dir / h["frame"]))
    index: dict[str, list[str]] = {}
    for key, members in groups.items():
        first_frame = members[0][2]
        with Image.open(first_frame) as image:
            base = image.convert("RGBA")
        merged = heatmaps.merge([a for _, a, _ in members])
        merged.width, merged.height = base.width, base.height
        heatmaps.write(base, merged, report_dir / AGGREGATE_DIR / key)
        index[key] = sorted({run_dir.name for run_dir, _, _ in members})
    if index:
        (report_dir / AGGREGATE_DIR / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    return index


def approvable(report_dir: Path) -> list[tuple[Path, Path]]:
    """(replay frame, baseline) of every checkpoint in a report whose baseline is new or failed."""
    pairs = []
    for doc_path in sorted((report_dir / "runs").glob(f"*/{VISUAL_JSON}")):
        doc = load(doc_path.parent) or {}
        for c in doc.get("checkpoints", []):
            if c.get("baseline") in ("new", "failed") and c.get("replay"):
                pairs.append((doc_path.parent / c["replay"], Path(c["baseline_path"])))
    return pairs


__all__ = ["AGGREGATE_DIR", "VISUAL_JSON", "VisualOptions", "VisualOutcome", "aggregate_heatmaps", "approvable",
           "check_run", "load", "problems"]
