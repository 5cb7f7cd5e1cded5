"""Privacy verdicts: placeholder until the leak detector lands (issue 3)."""

from __future__ import annotations

from typing import Any


def evaluate(result: Any) -> list[Any]:
    """Findings for one run (none until the rules land)."""
    return []


class PrivacyCheck:
    """The ``privacy`` fixture: runs the rules over a test's capture."""

    def __init__(self, capture: Any) -> None:
        self.capture = capture

    def findings(self) -> list[Any]:
        return []

    def check(self) -> None:
        found = self.findings()
        assert not found, found
