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

Status = Literal["passed", "failed", "error"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "error")


@dataclass
class RunVerdict:
    """One scenario run in one browser, judged."""

    result: RunResult
    protected: ProtectedValues = field(repr=False)
    findings: list[Finding] = field(default_factory=list)
    visual: VisualOutcome | None = field(default=None, repr=False)  # None: the visual checks did not run

    @property
    def status(self) -> Status:
        if self.result.error:
            return "error"
        # A failed visual check (fidelity, redaction proof, baseline, an inert replay) fails a run as a finding does.
        return "failed" if self.findings or self.visual_problems else "passed"

    @property
    def visual_problems(self) -> list[str]:
        """One line per failed visual check."""
        return list(self.visual.problems) if self.visual is not None else []

    def problem_lines(self) -> list[str]:
        """Every finding and failed visual check, one line each, redacted."""
        lines = [finding.line() for finding in self.findings] + self.visual_problems
        return [self.protected.redactor.text(line) for line in lines]

    def __repr__(self) -> str:
        result = self.result
        return (
            f"<RunVerdict {result.scenario.slug} browser={result.browser!r} status={self.status!r} "
            f"findings={len(self.findings)} visual_problems={len(self.visual_problems)}>"
        )


__all__ = ["STATUSES", "RunVerdict", "Status"]
