"""Tamper evidence: manifest.json over a report folder, and ``telltale verify`` naming every difference."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.cli import ExitStatus, main
from harness.report.manifest import MANIFEST, artifacts, verify, write_manifest


def _report(root: Path) -> Path:
    """A small report-shaped folder: text, JSON, nested run files and a binary image."""
    (root / "runs" / "login-chromium" / "checkpoints").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>report</title>")
    (root / "results.json").write_text(json.dumps({"runs": []}))
    (root / "runs" / "login-chromium" / "traffic.json").write_text('{"requests": []}')
    (root / "runs" / "login-chromium" / "checkpoints" / "filled-live.png").write_bytes(bytes(range(256)) * 8)
    write_manifest(root)
    return root


def _verify(path: Path) -> tuple[int, list[str], list[str]]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["verify", str(path)], out, err)
    return status, out.getvalue().splitlines(), err.getvalue().splitlines()


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_manifest_lists_every_file_but_itself_with_sha256_and_size(tmp_path: Path) -> None:
    root = _report(tmp_path)
    document = json.loads((root / MANIFEST).read_text())
    assert document["algorithm"] == "sha256"
    assert sorted(document["files"]) == [
        "index.html", "results.json", "runs/login-chromium/checkpoints/filled-live.png", "runs/login-chromium/traffic.json",
    ]
    assert document["files"]["runs/login-chromium/checkpoints/filled-live.png"]["size"] == 2048
    assert {path: entry.to_json() for path, entry in artifacts(root).items()} == document["files"]


def test_a_fresh_report_verifies(tmp_path: Path) -> None:
    root = _report(tmp_path)
    assert verify(root).ok
    status, out, err = _verify(root)
    assert status == ExitStatus.OK and err == []
    (line,) = out
    assert line.startswith(f"verified: 4 files match {root / MANIFEST} (sha256 ")


TAMPERING: list[tuple[str, Callable[[Path], None], list[str]]] = [
    ("one byte changed", lambda root: _flip_byte(root / "runs/login-chromium/traffic.json"),
     ["changed: runs/login-chromium/traffic.json"]),
    ("one byte of an image", lambda root: _flip_byte(root / "runs/login-chromium/checkpoints/filled-live.png"),
     ["changed: runs/login-chromium/checkpoints/filled-live.png"]),
    ("a byte appended", lambda root: (root / "index.html").write_text("<!doctype html><title>report</title> "),
     ["changed: index.html"]),
    ("a file deleted", lambda root: (root / "results.json").unlink(), ["missing: results.json"]),
    ("a file added", lambda root: (root / "runs" / "notes.txt").write_text("hi"), ["added: runs/notes.txt"]),
    ("a file renamed", lambda root: (root / "index.html").rename(root / "index2.html"),
     ["missing: index.html", "added: index2.html"]),
    ("a manifest naming a path outside the report",
     lambda root: (root / MANIFEST).write_text(json.dumps({"format": "telltale-manifest/1", "files": {"../x": {"sha256": "0", "size": 1}}})),
     ["changed: manifest.json (unreadable: it names a path outside the report: ../x)"]),
    ("a manifest that is not JSON", lambda root: (root / MANIFEST).write_text("{"),
     ["changed: manifest.json (unreadable: Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"]),
]


@pytest.mark.parametrize(("change", "expected"), [(c, e) for _, c, e in TAMPERING], ids=[name for name, _, _ in TAMPERING])
def test_verify_names_each_changed_missing_or_added_file_and_exits_1(
    tmp_path: Path, change: Callable[[Path], None], expected: list[str]
) -> None:
    root = _report(tmp_path)
    change(root)
    status, out, err = _verify(root)
    assert status == ExitStatus.CHECK_FAILED and err == []
    assert out == expected


@pytest.mark.parametrize("name", ["plain-folder", "does-not-exist"])
def test_verify_of_a_folder_that_is_not_a_report_exits_2_with_one_line(tmp_path: Path, name: str) -> None:
    folder = tmp_path / name
    if name == "plain-folder":
        folder.mkdir()
        (folder / "index.html").write_text("hello")
    status, out, err = _verify(folder)
    assert status == ExitStatus.INVALID_INPUT and out == []
    assert err == [f"telltale: error: {folder} is not a finished Telltale report: it has no manifest.json "
                   "(not a report, or the run that wrote it stopped before the end)"]


def test_rewriting_the_manifest_accepts_the_folder_as_it_now_is(tmp_path: Path) -> None:
    # What a run does after adding a file (the report's screenshot): the manifest covers it from then on.
    root = _report(tmp_path)
    (root / "report-screenshot.png").write_bytes(b"\x89PNG")
    assert [str(p) for p in verify(root).problems] == ["added: report-screenshot.png"]
    write_manifest(root)
    assert verify(root).ok and verify(root).files == 5


def test_a_new_run_clears_the_previous_runs_artifacts_only(tmp_path: Path) -> None:
    from harness.report.manifest import clear_previous_report

    (tmp_path / "runs" / "old-chromium").mkdir(parents=True)
    (tmp_path / "runs" / "old-chromium" / "traffic.json").write_text("{}")
    (tmp_path / "results.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("the user's own file")
    clear_previous_report(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
