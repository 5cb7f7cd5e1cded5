"""Tamper evidence for a report folder: ``manifest.json`` lists every file with its sha256 and size.

A run removes the old manifest before it writes anything, and writes the new one last, over everything in the
folder, in one rename (:mod:`harness.report.files`). So a run that crashes or is killed part-way leaves a folder
with no manifest, which never verifies: neither a partial folder nor a previous report half-overwritten by it can
pass for a finished report. :func:`verify` recomputes each digest and names every file that changed, went
missing or was added since (``telltale verify DIR``).

A run interrupted by Ctrl-C still writes a consistent report of the runs that ended; its manifest says
``"complete": false``, and ``verify`` says so after checking the files (see the README).

A manifest proves that a folder is unchanged since it was written, not who wrote it: whoever can change a file
can rewrite the manifest too. The manifest's own sha256, printed at the end of a run and by ``verify``, is what
to keep somewhere else (the CI log, the ticket) to close that gap.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Final, Literal

from harness import __version__
from harness.errors import UsageError
from harness.report.files import PARTIAL_SUFFIX, write_whole_text

MANIFEST: Final = "manifest.json"
FORMAT: Final = "telltale-manifest/1"
_CHUNK: Final = 1 << 20


@dataclass(frozen=True)
class Entry:
    """What the manifest records of one file."""

    sha256: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class Problem:
    """One difference between a folder and its manifest."""

    kind: Literal["changed", "missing", "added"]
    path: str  # relative to the report folder, with '/'
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`: problems (none when the folder matches), files checked, manifest digest."""

    problems: list[Problem]
    files: int
    manifest_sha256: str
    complete: bool = True  # False: the manifest seals a report of an interrupted run

    @property
    def ok(self) -> bool:
        return not self.problems


def digest(path: Path) -> Entry:
    """sha256 and size of one file, read in chunks (screenshots can be large)."""
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return Entry(sha.hexdigest(), size)


def artifacts(report_dir: Path) -> dict[str, Entry]:
    """Every file under ``report_dir`` but the manifest itself, by relative path (sorted, '/'-separated)."""
    found = {}
    for path in sorted(report_dir.rglob("*")):
        relative = path.relative_to(report_dir).as_posix()
        if path.is_file() and relative != MANIFEST:
            found[relative] = digest(path)
    return found


def write_manifest(report_dir: Path, complete: bool = True) -> Path:
    """Write ``manifest.json`` over everything now in ``report_dir`` (call it last, when every file is written)
    and return its path; ``complete=False`` marks the report of an interrupted run."""
    document = {
        "format": FORMAT,
        "algorithm": "sha256",
        "harness_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "complete": complete,
        "files": {path: entry.to_json() for path, entry in artifacts(report_dir).items()},
    }
    path = report_dir / MANIFEST
    write_whole_text(path, json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return path


def _recorded(manifest: Path) -> tuple[dict[str, Entry], bool]:
    """The files a manifest lists, and whether it seals a complete report; ValueError when it is not a manifest
    this harness wrote (or was altered)."""
    document = json.loads(manifest.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(document.get("files"), dict):
        raise ValueError(f"not a {FORMAT} document")
    complete = document.get("complete", True)  # manifests from before the field sealed finished runs only
    if not isinstance(complete, bool):
        raise ValueError("its complete field is not true or false")
    recorded = {}
    for name, entry in document["files"].items():
        relative = PurePosixPath(name)
        # A manifest that names files outside its folder would have verify read them: refuse it.
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"it names a path outside the report: {name}")
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str) or not isinstance(entry.get("size"), int):
            raise ValueError(f"its entry for {name} has no sha256 and size")
        recorded[name] = Entry(entry["sha256"], entry["size"])
    return recorded, complete


def verify(report_dir: Path) -> Verification:
    """Compare ``report_dir`` with its manifest; raises :class:`UsageError` when the folder has no manifest."""
    manifest = report_dir / MANIFEST
    if not manifest.is_file():
        raise UsageError(f"{report_dir} is not a finished Telltale report: it has no {MANIFEST} (not a report, "
                         f"or the run that wrote it stopped before the end)")
    manifest_sha256 = digest(manifest).sha256
    try:
        recorded, complete = _recorded(manifest)
    except (ValueError, UnicodeDecodeError) as error:
        return Verification([Problem("changed", MANIFEST, f"unreadable: {error}")], 0, manifest_sha256)
    present = artifacts(report_dir)
    problems = []
    for path in sorted(recorded.keys() | present.keys()):
        if path not in present:
            problems.append(Problem("missing", path))
        elif path not in recorded:
            problems.append(Problem("added", path))
        elif present[path] != recorded[path]:
            problems.append(Problem("changed", path))
    return Verification(problems, len(recorded), manifest_sha256, complete)


__all__ = ["MANIFEST", "Entry", "Problem", "Verification", "artifacts", "digest", "verify", "write_manifest"]


# What a run writes at the top of its report folder; nothing else there is ever removed. The manifest comes first:
# once it is gone, a crash anywhere after leaves no manifest that could verify a half-replaced folder.
REPORT_ARTIFACTS: tuple[str, ...] = (
    MANIFEST, "runs", "heatmaps", "index.html", "results.json", "junit.xml", "report-screenshot.png",
)


def clear_previous_report(report_dir: Path) -> None:
    """Remove an earlier run's artifacts (its manifest first), so the new manifest covers this run's files only."""
    for name in REPORT_ARTIFACTS:
        target = report_dir / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
    for partial in report_dir.glob(f"*{PARTIAL_SUFFIX}"):  # left by a run that crashed while writing
        partial.unlink()
