"""The JSON documents the report writes, typed once: ``results.json`` and its parts.

Other tools read ``results.json``; its JSON Schema is ``docs/results.schema.json``, and a test validates every
file the suite produces against it. The types here and that schema describe the same document.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from harness.privacy.rules import FindingDocument
from harness.replay.documents import (
    InertEntry,
    RedactionDocument,
    Replayer,
    SessionDocument,
    Thresholds,
    VisualStatus,
)
from harness.run.timeline import TimelineDocument
from harness.verdict import Status

Verdict = Literal["held", "broken", "n/a"]


class RuleVerdictDocument(TypedDict):
    verdict: Verdict
    findings: int
    occurrences: int


class ValueDocument(TypedDict):
    """One typed or shown value: never the value, only its fingerprint, classification and each rule's verdict."""

    source: Literal["typed", "shown"]
    step: int | None
    field: str
    secret: str
    fingerprint: str
    length: int
    sensitive: bool
    reason: str
    form: str
    t_ms: float | None
    submitted_ms: float | None
    checked: bool
    why_unchecked: str
    rules: dict[str, RuleVerdictDocument]


class FindingLineDocument(FindingDocument):
    line: str


class DestinationDocument(TypedDict):
    origin: str
    requests: int
    bytes: int
    channels: list[str]


class InspectedDocument(TypedDict):
    """What the rules looked at: proof that a green run was not green on nothing."""

    channels: list[str]
    requests: int
    websocket_frames_sent: int
    bytes: int
    storage_snapshots: int
    background_requests_dropped: int
    encodings: list[str]
    destinations: list[DestinationDocument]


class HeatmapPageDocument(TypedDict):
    page: str
    frame: str
    clicks: str
    moves: str
    scroll: str
    aggregate: dict[str, str]


class RedactionEntryDocument(RedactionDocument):
    checkpoint: str


class ReplayDocument(TypedDict):
    status: VisualStatus | None
    replayer: Replayer
    error: str
    session: SessionDocument | None
    thresholds: Thresholds | None
    inert: InertEntry | None
    video: str | None
    heatmaps: list[HeatmapPageDocument]
    redaction: list[RedactionEntryDocument]


class RunDocument(TypedDict, total=False):
    """One scenario × browser in ``runs``; ``replay`` only when the visual checks ran."""

    scenario: str
    slug: str
    file: str
    browser: str
    browser_version: str
    status: Status
    visual_problems: list[str]
    inconclusive: list[str]  # why a run with no finding proves nothing (the tracker sent nothing, or threw)
    tracker_sent: int  # requests and WebSocket frames the tracker sent: beyond site traffic and file loads
    error: str
    findings: list[FindingLineDocument]
    requests: int
    websocket_frames: int
    bytes: int
    duration_ms: float
    dir: str
    values: list[ValueDocument]
    rules: dict[str, RuleVerdictDocument]
    inspected: InspectedDocument
    timeline: TimelineDocument
    checkpoints: list[dict[str, object]]  # visual.json's checkpoint entries, image paths relative to the report
    replay: ReplayDocument


class SnippetDocument(TypedDict):
    path: str
    sha256: str | None


class ShardDocument(TypedDict):
    """Which share of the plan a sharded run carried out (``--shard index/count``)."""

    index: int
    count: int


class InvocationDocument(TypedDict):
    command: str
    argv: list[str]
    cwd: str
    snippet: SnippetDocument | None
    started: str
    shard: ShardDocument | None  # None: the whole plan (or a merge of its shards)


class NotRunDocument(TypedDict):
    """A run of the plan that was never carried out (the run was interrupted)."""

    scenario: str
    slug: str
    file: str
    browser: str
    reason: str


class ResultsDocument(InvocationDocument):
    """``results.json``."""

    harness_version: str
    python: str
    platform: str
    finished: str
    browsers: dict[str, str]
    encodings_searched: list[str]
    runs: list[RunDocument]
    invalid: list[str]
    environment_errors: list[str]
    complete: bool  # False: interrupted (Ctrl-C); ``runs`` are the runs that ended, ``not_run`` the others
    not_run: list[NotRunDocument]
