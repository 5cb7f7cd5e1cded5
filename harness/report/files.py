"""Report files are written whole: each goes to a temporary file beside it, then takes its name in one rename.

A crash (a full disk, a kill) in the middle of a write leaves the earlier file or none, never a half-written one
that a reader would take for the real thing. The folder as a whole is sealed by ``manifest.json``, written last
(:mod:`harness.report.manifest`): a folder without one is not a finished report.
"""

from __future__ import annotations

import os
from pathlib import Path

PARTIAL_SUFFIX = ".partial"  # a file being written; left behind only by a crash, and then no manifest covers it


def write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` holds either its old content or all of ``data``."""
    partial = path.with_name(path.name + PARTIAL_SUFFIX)
    try:
        with partial.open("wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_whole_text(path: Path, text: str) -> None:
    """:func:`write_whole` for UTF-8 text."""
    write_whole(path, text.encode("utf-8"))


__all__ = ["PARTIAL_SUFFIX", "write_whole", "write_whole_text"]
