"""Merge the report folders of CI shards (``telltale run --shard i/n``) into one report.

Each shard's folder must verify against its own manifest first: a merged manifest would otherwise seal files
nobody can vouch for. The runs' folders are copied as they are, and the merged folder gets what a single run
writes: ``results.json`` over every run (in the order one unsharded run gives), ``junit.xml``, the heatmaps
across runs, ``index.html`` and, last, ``manifest.json``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from harness import __version__
from harness.errors import UsageError
from harness.replay.visual import aggregate_heatmaps, load
from harness.report.documents import ResultsDocument, RunDocument
from harness.report.files import write_whole_text
from harness.report.junit import write_junit
from harness.report.manifest import clear_previous_report, verify

RESULTS = "results.json"


class ShardProblem(UsageError):
    """A shard's folder cannot be merged: not a finished report, tampered with, or overlapping another shard."""


def _shard_document(folder: Path) -> ResultsDocument:
    check = verify(folder)  # a folder without a manifest: its UsageError says so
    if not check.ok:
        first = check.problems[0]
        raise ShardProblem(f"{folder}: does not verify against its manifest ({len(check.problems)} problem(s), first: "
                           f"{first.kind} {first.path}); merge only untouched shard reports")
    try:
        document = json.loads((folder / RESULTS).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ShardProblem(f"{folder / RESULTS}: cannot read the shard's results: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("runs"), list):
        raise ShardProblem(f"{folder / RESULTS}: expected a Telltale results document with a list of runs")
    return cast(ResultsDocument, document)


def _check_shards(shards: Sequence[Path], documents: Sequence[ResultsDocument]) -> None:
    """Shards of one plan: every share of it, once each. Merging two shards of three would pass on a part."""
    given = [(folder, document.get("shard")) for folder, document in zip(shards, documents, strict=True)]
    sharded = [(folder, shard) for folder, shard in given if shard]
    if not sharded:
        return  # whole reports (different suites, say): merged in the order given
    if len(sharded) != len(given):
        whole = next(folder for folder, shard in given if not shard)
        raise ShardProblem(f"{whole}: a whole report among shards; merge the shards of one plan")
    count = sharded[0][1]["count"]
    seen: dict[int, Path] = {}
    for folder, shard in sharded:
        if shard["count"] != count:
            raise ShardProblem(f"{folder}: shard {shard['index']}/{shard['count']} is not of the same plan as "
                               f"{sharded[0][0]} ({sharded[0][1]['index']}/{count})")
        if shard["index"] in seen:
            raise ShardProblem(f"{folder}: shard {shard['index']}/{count} is given twice (also {seen[shard['index']]})")
        seen[shard["index"]] = folder
    missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in seen]
    if missing:
        raise ShardProblem(f"merge: shard {', '.join(missing)} missing: a merged report must cover the whole plan")


def _positions(documents: Sequence[ResultsDocument]) -> dict[str, float]:
    """Each run's place in the whole plan. A shard took every count-th run from index on, in plan order, so its
    j-th run was run (index - 1) + j * count. Without shard information, the order the folders were given."""
    position: dict[str, float] = {}
    for order, document in enumerate(documents):
        shard = document.get("shard")
        for j, run in enumerate(document["runs"]):
            position[run["dir"]] = (shard["index"] - 1 + j * shard["count"]) if shard else order * 1e9 + j
    return position


def merge_reports(shards: Sequence[Path], out: Path) -> ResultsDocument:
    """Merge the shard folders into ``out`` (emptied of an earlier report first) and return its results."""
    if not shards:
        raise UsageError("merge: give the shard report folders to merge")
    documents = [_shard_document(folder) for folder in shards]
    _check_shards(shards, documents)
    resolved_out = out.resolve()
    if any(folder.resolve() == resolved_out for folder in shards):
        raise UsageError(f"merge: the output folder {out} is one of the shards; write the merged report elsewhere")
    clear_previous_report(out)
    runs: list[RunDocument] = []
    owner: dict[str, Path] = {}
    for folder, document in zip(shards, documents, strict=True):
        for run in document["runs"]:
            run_dir = run["dir"]
            if run_dir in owner:
                raise ShardProblem(f"{folder}: run {run_dir} is also in {owner[run_dir]}: the shards overlap "
                                   "(the same shard twice, or shards of different plans)")
            owner[run_dir] = folder
            source = folder / run_dir
            if source.is_dir():
                shutil.copytree(source, out / run_dir)
            runs.append(run)
    position = _positions(documents)
    runs.sort(key=lambda run: position[run["dir"]])
    first = documents[0]
    merged: ResultsDocument = {
        **first,
        "harness_version": __version__,
        "shard": None,
        "command": f"telltale merge {' '.join(str(s) for s in shards)} --report {out}",
        "argv": ["merge", *(str(s) for s in shards), "--report", str(out)],
        "finished": max(document["finished"] for document in documents),
        "started": min(document["started"] for document in documents),
        "browsers": {name: version for document in documents for name, version in document["browsers"].items()},
        "runs": runs,
        "invalid": list(dict.fromkeys(line for document in documents for line in document["invalid"])),
        "environment_errors": list(dict.fromkeys(line for d in documents for line in d["environment_errors"])),
        "complete": all(document["complete"] for document in documents),
        "not_run": [missed for document in documents for missed in document["not_run"]],
    }
    out.mkdir(parents=True, exist_ok=True)
    visuals = [(out / run["dir"], load(out / run["dir"])) for run in runs]
    aggregate_heatmaps([(run_dir, doc) for run_dir, doc in visuals if doc is not None], out)
    write_whole_text(out / RESULTS, json.dumps(merged, indent=1, ensure_ascii=False))
    write_junit(merged, out / "junit.xml")
    return merged


__all__ = ["ShardProblem", "merge_reports"]
