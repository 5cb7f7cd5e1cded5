"""A run and its verdicts: what it produced, its protected values, the privacy findings and the visual outcome.

The pipeline makes one :class:`RunVerdict` per scenario × browser; the report, the CLI and the pytest plugin all
read their status and their lines from it, so they can never disagree about a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from harness.privacy.protected import ProtectedValues
from harness.privacy.rules import Finding
from harness.replay.visual import VisualOutcome
from harness.run.result import RunResult

# ``inconclusive``: nothing was found, but nothing was really checked either (the tracker sent nothing, or threw).
Status = Literal["passed", "failed", "inconclusive", "error"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "inconclusive", "error")


@dataclass
class RunVerdict:
    """One scenario run in one browser, judged."""

    result: RunResult
    protected: ProtectedValues = field(repr=False)
    findings: list[Finding] = field(default_factory=list)
    visual: VisualOutcome | None = field(default=None, repr=False)  # None: the visual checks did not run
    sent: int = 0  # requests and WebSocket frames the tracker sent (privacy.rules.Judgement.sent)

    @property
    def status(self) -> Status:
        if self.result.error:
            return "error"
        # A failed visual check (fidelity, redaction proof, baseline, an inert replay) fails a run as a finding does;
        # an informational finding (a length leak) is shown, and fails nothing.
        if self.broken or self.visual_problems:
            return "failed"
        return "inconclusive" if self.inconclusive_reasons else "passed"

    @property
    def broken(self) -> list[Finding]:
        """The findings that break a promise (every one but the informational ones)."""
        return [finding for finding in self.findings if not finding.informational]

    @property
    def inconclusive_reasons(self) -> list[str]:
        """Why a run with no finding proves nothing: one line per reason, empty when it does prove something."""
        reasons: list[str] = []
        if self.result.error:
            return reasons  # an error says it all
        errors = self.result.timeline.tracker_errors
        loading = " while loading" if any(e.kind == "load" for e in errors) else ""
        thrown = [e for e in errors if e.kind == "exception"]
        if thrown:
            first = thrown[0]
            where = f" ({first.source})" if first.source else ""
            more = f", and {len(thrown) - 1} more" if len(thrown) > 1 else ""
            reasons.append(f"the tracker threw{loading}: {first.message}{where}{more}")
        elif loading:
            reasons.append("the tracker threw while loading")
        if self.sent == 0 and not self.result.scenario.silent:
            reasons.append(
                "the tracker sent nothing (no request or WebSocket frame beyond the site's own traffic and file "
                "loads), so nothing was checked; a scenario in which it should stay silent says 'silent: true'"
            )
        return reasons

    @property
    def visual_problems(self) -> list[str]:
        """One line per failed visual check."""
        return list(self.visual.problems) if self.visual is not None else []

    def problem_lines(self) -> list[str]:
        """Every finding, failed visual check and reason the run is inconclusive, one line each, redacted."""
        lines = [finding.line() for finding in self.findings] + self.visual_problems + self.inconclusive_reasons
        return [self.protected.redactor.text(line) for line in lines]

    def __repr__(self) -> str:
        result = self.result
        return (
            f"<RunVerdict {result.scenario.slug} browser={result.browser!r} status={self.status!r} "
            f"findings={len(self.findings)} visual_problems={len(self.visual_problems)}>"
        )


__all__ = ["STATUSES", "RunVerdict", "Status"]
