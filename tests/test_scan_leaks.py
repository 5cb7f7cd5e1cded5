"""``telltale scan`` finds the same leaks as the hand-written scenarios, with each leaky snippet of the suite
(tests/test_rules.py's LEAKY, tests/test_fragments.py's TRACKERS); its scenarios replay alike. Chromium here (BROWSERS);
Firefox's scan is tested in tests/test_scan.py.

The snippets of a group run at once, each in a block of its own (its names stay its own): per group and browser one
--submit scan per page, one run of the hand-written scenarios, one replay of the scan's scenarios. The two groups run
apart: LEAKY's snippets send every prefix of a value as it is typed, and such a prefix joins TRACKERS' pieces into
pieces of its own (``json:v+form:q`` for ``form:p+form:q``). Canaries differ between runs, so findings are compared
by rule and field, never by value; each snippet's own finding by its channel and place too (see `_comparable`).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from demo_flows import SITE, login
from test_fragments import EXPECTED, TRACKERS, VERIFY
from test_rules import LEAKY

from harness.cli import ExitStatus, main
from harness.scan.scenario_yaml import TYPING_DELAY_MS

# Each group: its snippets by name, and the pages its hand-written scenarios start on (scanned with --submit).
GROUPS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "rules": ({name: snippet for name, snippet, _ in LEAKY}, ("login",)),
    "fragments": (TRACKERS, ("login", "verify")),
}
FORMS = {"login": "login-form", "verify": "otp-form"}
# Firefox too took 137 s more (both groups agreed there as well); its scan is tested by
# tests/test_scan.py::test_scan_in_firefox_makes_each_choice_and_reaches_frame_and_shadow_fields.
BROWSERS = ("chromium",)

Finding = tuple[str, str]  # rule, field


def _main(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue() + err.getvalue()


def _runs(report: Path) -> dict[str, dict[str, Any]]:
    runs: list[dict[str, Any]] = json.loads((report / "results.json").read_text())["runs"]
    return {run["slug"]: run for run in runs}


def _comparable(run: dict[str, Any]) -> frozenset[Finding]:
    """A run's findings as two runs of one form can agree on: which rule each field broke.

    Through which channel, and in which form (whole, prefix, pieces, keystrokes), a value leaves first depends on
    the pace of typing, which the machine's load stretches: a tracker that waits for a pause (the gzip batch's
    100 ms debounce) sends mid-value in one run and not in the other; a WebSocket opens while the first field is
    typed; a code's digits are the same numbers as key codes (by beacon) and char codes (by image). Each snippet's
    own finding, channel and place included, is checked apart (`_caught`).
    """
    return frozenset((f["rule"], f["field"]) for f in run["findings"])


def _scenario(start: str) -> str:
    """The hand-written scenario of a page, typed at the scan's pace: a tracker that waits for a pause (a 100 ms
    debounce) then sees the same pauses in both."""
    if start == "login":
        return login(delay_ms=TYPING_DELAY_MS, wait_ms=300)
    verify = VERIFY.replace("delay: 60", f"delay: {TYPING_DELAY_MS}")
    assert verify.count(f"delay: {TYPING_DELAY_MS}") == 2, VERIFY
    return verify


@pytest.fixture(scope="module", params=[(g, b) for g in GROUPS for b in BROWSERS], ids="-".join)
def reports(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Path]]:
    """Per group and browser: a --submit scan of each page, the hand-written scenarios' run, the scans' replay."""
    group, browser = request.param
    snippets, pages = GROUPS[group]
    folder = tmp_path_factory.mktemp(f"scan-leaks-{group}-{browser}")
    snippet = folder / "snippet.js"
    snippet.write_text("\n".join(f"{{ // {name}\n{text}\n}}" for name, text in snippets.items()))
    common = ["--snippet", str(snippet), "--site", str(SITE), "--observation-window", "1", "--browser", browser,
              "-j", "2"]  # runs mostly wait for their window: two at once
    reports: dict[str, Path] = {}
    for start in pages:
        reports[start] = folder / f"scan-{start}"
        status, out = _main("scan", f"https://shop.test/{start}.html", "--depth", "0", "--submit",
                            "--report", str(reports[start]), *common)
        assert status == ExitStatus.CHECK_FAILED, out
        (folder / f"{start}.yaml").write_text(_scenario(start))
    reports["scenarios"] = folder / "scenarios"
    status, out = _main("run", *(str(folder / f"{start}.yaml") for start in pages),
                        "--report", str(reports["scenarios"]), *common)
    assert status == ExitStatus.CHECK_FAILED, out
    reports["replay"] = folder / "replay"
    status, out = _main("run", *(str(reports[start] / "scenarios") for start in pages),
                        "--report", str(reports["replay"]), *common)
    assert status == ExitStatus.CHECK_FAILED, out
    return group, reports


def _submitted(reports: dict[str, Path], start: str) -> dict[str, Any]:
    return _runs(reports[start])[f"scan-{start}-{FORMS[start]}-submit"]


def test_the_scans_submit_run_finds_what_the_scenario_finds(reports: tuple[str, dict[str, Path]]) -> None:
    group, found = reports
    for start in GROUPS[group][1]:
        scanned = _comparable(_submitted(found, start))
        written = _comparable(_runs(found["scenarios"])[start])
        assert scanned == written, (start, sorted(scanned - written), sorted(written - scanned))


def _caught(snippet: str, findings: list[dict[str, Any]]) -> bool:
    """Whether the finding the snippet's own test expects is among ``findings``."""
    if snippet in TRACKERS:
        field, where, variant, _ = EXPECTED[snippet]
        return any((f["field"], f["where"].split(" over ")[0], f["variant"]) == (field, where, variant) for f in findings)
    rule, field, channel, encoding = next(expected for name, _, expected in LEAKY if name == snippet)
    return any((f["rule"], f["field"], f["channel"]) == (rule, field, channel) and encoding in f["encoding"]
               for f in findings)


def test_each_snippets_leak_is_found_by_both(reports: tuple[str, dict[str, Path]]) -> None:
    group, found = reports
    snippets, pages = GROUPS[group]
    scanned = [f for start in pages for f in _submitted(found, start)["findings"]]
    written = [f for run in _runs(found["scenarios"]).values() for f in run["findings"]]
    missed = {name: [snippet for snippet in snippets if not _caught(snippet, findings)]
              for name, findings in (("scan", scanned), ("scenarios", written))}
    assert missed == {"scan": [], "scenarios": []}, sorted({(f["rule"], f["field"], f["channel"], f["where"], f["variant"])
                                                           for f in scanned + written})


def test_the_scans_scenarios_replay_to_the_same_verdicts(reports: tuple[str, dict[str, Path]]) -> None:
    group, found = reports
    pages = GROUPS[group][1]
    scanned = {slug: run for start in pages for slug, run in _runs(found[start]).items()}
    replayed = _runs(found["replay"])
    assert sorted(replayed) == sorted(scanned) and len(scanned) == 2 * len(pages)
    for slug, run in scanned.items():
        assert (replayed[slug]["status"], _comparable(replayed[slug])) == (run["status"], _comparable(run)), slug
