"""Scenario files: valid ones load, each malformed one gets its exact one-line error and exit status 2."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from harness.cli import ExitStatus, main
from harness.errors import ScenarioError
from harness.run.loader import load_scenario, load_scenarios
from harness.run.scenario import CANARY_KINDS, expand_canaries
from harness.run.steps import STEPS

HEADER = "name: t\nstart: https://shop.test/\n"

MALFORMED: list[tuple[str, str, str]] = [
    ("unknown-top-level-key", HEADER + "stepz: []\nsteps:\n  - click: '#a'\n",
     "3:1: unknown key 'stepz'; allowed: name, start, viewport, secrets, site_api, silent, steps"),
    ("missing-steps", HEADER, "1:1: missing required key 'steps'"),
    ("unknown-step", HEADER + "steps:\n  - click: '#a'\n  - clik: '#b'\n",
     "5:5: step 2 'clik': unknown step; allowed steps: goto, click, dblclick, hover, move, type, fill, press, "
     "select, check, scroll, submit, wait, optout, reload, back, leave, checkpoint, expect"),
    ("unknown-step-key", HEADER + "steps:\n  - type: {selector: '#b', txt: hi}\n",
     "4:28: step 1 'type': unknown key 'txt'; allowed: delay, selector, text"),
    ("missing-step-key", HEADER + "steps:\n  - type: {selector: '#b'}\n",
     "4:5: step 1 'type': missing key 'text'; expected a mapping with keys delay, selector, text"),
    ("bad-delay", HEADER + "steps:\n  - type: {selector: '#b', text: x, delay: fast}\n",
     "4:44: step 1 'type': 'delay' must be a whole number of milliseconds (0 or more), got string 'fast'"),
    ("step-not-mapping", HEADER + "steps:\n  - reload\n",
     "4:5: step 1 must be a mapping with one key, the step's name, got string 'reload'; allowed steps: goto, click, "
     "dblclick, hover, move, type, fill, press, select, check, scroll, submit, wait, optout, reload, back, leave, "
     "checkpoint, expect"),
    ("bad-start-url", "name: t\nstart: shop.test\nsteps:\n  - reload: {}\n",
     "2:8: start must be an http(s) URL, or a path starting with / (resolved against the base URL), got string 'shop.test'"),
    ("protocol-relative-start", "name: t\nstart: //shop.test/\nsteps:\n  - reload: {}\n",
     "2:8: start must be an http(s) URL, or a path starting with / (resolved against the base URL), got string '//shop.test/'"),
    ("unknown-secret", HEADER + "secrets:\n  pw: '{canary:password}'\nsteps:\n  - fill: {selector: '#p', value: '{pwd}'}\n",
     "6:5: step 1 'fill': unknown secret '{pwd}'; declared secrets: pw"),
    ("unknown-canary", HEADER + "secrets:\n  pw: '{canary:passwd}'\nsteps:\n  - reload: {}\n",
     "4:7: secret 'pw': unknown canary kind 'passwd'; allowed: " + ", ".join(CANARY_KINDS)),
    ("bad-move-path", HEADER + "steps:\n  - move: {path: [[1, 2]]}\n",
     "4:18: step 1 'move': 'path' must be a list of at least two [x, y] points, got a list"),
    ("bad-leave", HEADER + "steps:\n  - leave: later\n",
     "4:12: step 1 'leave' must be the word close, got string 'later'"),
    ("scroll-without-position", HEADER + "steps:\n  - scroll: {selector: '#x'}\n",
     "4:5: step 1 'scroll': needs one of x, y; expected a mapping with keys selector, x, y"),
    ("viewport-too-small", HEADER + "viewport: {width: 10, height: 700}\nsteps:\n  - reload: {}\n",
     "3:19: viewport: 'width' must be a whole number from 100 to 4000, got number 10"),
    ("duplicate-key", HEADER + "name: again\nsteps:\n  - reload: {}\n", "3:1: a scenario: duplicate key 'name'"),
    ("invalid-yaml", HEADER + "steps:\n  - click: [\n", "5:1: invalid YAML: expected the node content, but found '<stream end>'"),
    ("empty-file", "", "1:1: empty file; expected a mapping with keys name, start, viewport, secrets, site_api, silent, steps"),
    ("site-api-entry", HEADER + "site_api: ['/api/contact']\nsteps:\n  - reload: {}\n",
     "3:12: site_api entries must be 'METHOD URL' (e.g. 'POST https://shop.test/api/contact' or 'GET /api/search*'), "
     "got string '/api/contact'"),
]


@pytest.mark.parametrize(("case", "text", "expected"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_scenario_gets_its_exact_error(tmp_path: Path, case: str, text: str, expected: str) -> None:
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == f"{path}:{expected}"


@pytest.mark.parametrize(("case", "text", "expected"), MALFORMED[:4], ids=[c[0] for c in MALFORMED[:4]])
def test_cli_reports_malformed_scenario_in_one_line_and_exits_2(tmp_path: Path, case: str, text: str, expected: str) -> None:
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(path), "--no-snippet", "--site", str(tmp_path), "--report", str(tmp_path / "report")], out, err)
    assert status == ExitStatus.INVALID_INPUT
    lines = err.getvalue().splitlines()
    assert lines == [f"telltale: error: {path}:{expected}"]
    assert "Traceback" not in out.getvalue() + err.getvalue()
    # Results are still written, naming the invalid file.
    assert (tmp_path / "report" / "results.json").exists()


def test_bad_file_does_not_stop_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(HEADER + "steps:\n  - reload: {}\n")
    (tmp_path / "bad.yaml").write_text(HEADER + "steps:\n  - nope: 1\n")
    found = load_scenarios([tmp_path])
    assert [s.slug for s in found.scenarios] == ["good"]
    assert len(found.errors) == 1 and "bad.yaml:4:5" in str(found.errors[0])


def test_bundled_scenarios_are_valid_and_cover_every_page() -> None:
    root = Path(__file__).resolve().parent.parent / "scenarios"
    found = load_scenarios([root])
    assert not found.errors, [str(e) for e in found.errors]
    pages = {p.name for p in (root / "site").glob("*.html")}
    # A page counts as covered when a scenario starts there, goes there, or names it (links it follows).
    texts = [Path(s.file).read_text() for s in found.scenarios]
    visited = {page for page in pages if any(page in text for text in texts)}
    confirmation = {"thanks.html", "welcome.html", "search-results.html", "frame-newsletter.html"}
    assert pages - confirmation <= visited, sorted(pages - confirmation - visited)


def test_canaries_are_unique_per_run_and_cards_pass_luhn() -> None:
    first = expand_canaries("{canary:email}")
    assert first != expand_canaries("{canary:email}")
    card = expand_canaries("{canary:card}")
    digits = [int(d) for d in card]
    checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    assert len(card) == 16 and checksum % 10 == 0
    assert all(expand_canaries("{canary:" + kind + "}") for kind in CANARY_KINDS)


def test_the_step_table_in_the_docs_is_the_step_registry() -> None:
    """docs/scenarios.md documents exactly the steps the registry has, in the same order."""
    docs = (Path(__file__).resolve().parent.parent / "docs" / "scenarios.md").read_text(encoding="utf-8")
    table = docs.split("| step | value | what it does |", 1)[1].split("\n\n", 1)[0]
    documented = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    assert documented == list(STEPS)
