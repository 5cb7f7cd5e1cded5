"""The tracking snippet a run injects: read once, with a one-line error when it cannot be."""

from __future__ import annotations

from pathlib import Path

from harness.errors import UsageError


def read_snippet(path: Path | None) -> str | None:
    """The snippet's text; None when no snippet is injected. Raises :class:`UsageError` when unreadable."""
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read snippet {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise UsageError(f"snippet {path} is not UTF-8 text") from None
