"""The JSON documents of the visual checks: a run's ``visual.json`` and its parts.

They are typed here once, so the checks that write them and the report that reads them (``results.json``'s
``checkpoints`` and ``replay``, see docs/results.schema.json) cannot drift apart silently.
"""

from __future__ import annotations

from typing import Literal, TypedDict

VisualStatus = Literal["replayed", "no-replay", "error", "failed"]
CheckpointStatus = Literal["passed", "failed", "not-recorded", "no-replay", "error", "captured"]
Replayer = Literal["telltale", "rrweb"]  # whose replayer showed the session: ours, or rrweb's own (a vendor's)


class FieldDocument(TypedDict):
    field: str
    secret: str
    on_screen: bool
    covered: float
    replay_empty: bool
    live_differs_px: int
    proven: bool


class RedactionDocument(TypedDict):
    status: Literal["proven", "failed", "n/a"]
    values_checked: int
    found: list[str]
    regions: int
    fields: list[FieldDocument]


class PageViewDocument(TypedDict):
    url: str
    start_ms: float
    end_ms: float
    events: int


class SessionDocument(TypedDict):
    batches: int
    received: list[int]
    duplicates: int
    conflicts: int
    gaps: list[int]
    dropped_events: int
    problems: list[str]
    clamped_events: int
    pages: list[PageViewDocument]


class CheckpointEntry(TypedDict, total=False):
    """One checkpoint's replay and its checks; image paths are relative to the run's folder."""

    name: str
    t_ms: float
    live: str
    replay_t_ms: float
    status: CheckpointStatus
    replayer: Replayer
    detail: str
    replay: str
    page: str
    masked_regions: int
    inferred_scrolls: int
    diff: str
    fidelity: float
    mismatch_ratio: float
    mismatched_px: int
    masked_px: int
    redaction: str
    redaction_detail: str
    redaction_evidence: RedactionDocument
    baseline: str
    baseline_path: str
    baseline_ratio: float
    baseline_expected: str
    baseline_actual: str
    baseline_diff: str


class HeatmapEntry(TypedDict):
    """One page view's first full frame and its heatmaps (``clicks``, ``moves``, ``scroll``)."""

    page: str
    key: str
    start_ms: float
    frame: str
    clicks: str
    moves: str
    scroll: str


class VideoEntry(TypedDict):
    path: str
    frames: int
    fps: float


class InertEntry(TypedDict):
    """What the replay page asked of the network: an inert replay asks nothing."""

    requests: int
    routed: int
    refused_by_policy: int
    neutralised: dict[str, int]
    failed_events: int


class Thresholds(TypedDict):
    fidelity: float
    diff: float
    mask_pad_px: int
    baseline_tolerance: float


class VisualDocument(TypedDict, total=False):
    """A run's ``visual.json``."""

    status: VisualStatus
    replayer: Replayer
    error: str
    traceback: str
    session: SessionDocument
    thresholds: Thresholds
    checkpoints: list[CheckpointEntry]
    heatmaps: list[HeatmapEntry]
    video: VideoEntry | None
    replay: InertEntry
