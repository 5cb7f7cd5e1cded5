"""What one scenario run in one browser produced: the facts, before any rule or replay has judged them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.capture.proxy import CapturedRequest, Recording
from harness.capture.site import Site
from harness.run.scenario import Scenario
from harness.run.storage import StorageSnapshot
from harness.run.timeline import Timeline


@dataclass
class RunResult:
    """Everything one scenario run in one browser produced."""

    scenario: Scenario
    browser: str
    browser_version: str
    run_dir: Path
    recording: Recording
    timeline: Timeline
    storage: list[StorageSnapshot]
    values: dict[str, str] = field(repr=False)
    fingerprint_key: bytes = field(repr=False)
    error: str = ""  # why the run could not be carried out; '' when every step ran
    duration_ms: float = 0.0
    site: Site | None = None
    base_url: str = ""  # what the scenario's paths were resolved against ('' when none was given)
    site_api: tuple[tuple[str, str], ...] = ()  # the app's own calls declared for every scenario (config)

    @classmethod
    def broken(cls, scenario: Scenario, browser: str, run_dir: Path, message: str) -> RunResult:
        """A run the harness could not carry out at all: an error result, so no run is ever lost."""
        return cls(scenario, browser, browser, run_dir, Recording(), Timeline(), [], {}, b"-", error=message)

    @property
    def requests(self) -> list[CapturedRequest]:
        return self.recording.requests

    @property
    def bytes_sent(self) -> int:
        """Bytes the page sent: URLs, headers and bodies of requests, and WebSocket frames it sent."""
        total = 0
        for request in self.recording.requests:
            total += len(request.url) + len(request.body) + sum(len(k) + len(v) + 4 for k, v in request.headers)
        total += sum(len(frame.data) for frame in self.recording.frames if frame.direction == "sent")
        return total

    def __repr__(self) -> str:
        return (
            f"<RunResult {self.scenario.slug} browser={self.browser!r} "
            f"requests={len(self.requests)} error={bool(self.error)}>"
        )
