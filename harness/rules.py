"""Privacy verdicts: placeholder until the leak detector lands (issue 3)."""

from __future__ import annotations

from typing import Any


def evaluate(result: Any) -> list[Any]:
    return []
