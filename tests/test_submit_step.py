"""The ``submit`` step against every way a page answers a submit, in both browsers: it navigates at once, a handler
prevents it and posts by fetch, a handler navigates elsewhere itself, the browser refuses an invalid form, and the
selector is not a form. None may end in "Execution context was destroyed" or hang."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from harness.cli import main

PAGES = {
    "form.html": """<!doctype html><title>form</title>
<form id=plain action=/done.html method=get><input name=q value=x><button>go</button></form>
<form id=spa action=/never.html><input name=q value=y><button>go</button></form>
<form id=elsewhere action=/never.html><input name=q value=z><button>go</button></form>
<form id=invalid action=/never.html><input name=q required><button>go</button></form>
<div id=notform></div>
<script>
document.getElementById("spa").addEventListener("submit", (e) => {
  e.preventDefault(); fetch("/api", {method: "POST", body: "y"}).then(() => { document.title = "sent"; });
});
document.getElementById("elsewhere").addEventListener("submit", (e) => {
  e.preventDefault(); location.href = "/done.html?from=handler";
});
</script>""",
    "done.html": "<!doctype html><title>done</title><h1>Done</h1>",
}

CASES = {
    "plain": ("  - expect: {text: Done}\n", ""),
    "spa": ("  - wait: 200\n", ""),
    "elsewhere": ("  - expect: {text: Done}\n", ""),
    "invalid": ("", "#invalid did not submit: the browser finds a field invalid"),
    "notform": ("", "#notform is not a <form>"),
}


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_submit_settles_however_the_page_answers(tmp_path: Path, engine: str) -> None:
    site = tmp_path / "site"
    site.mkdir()
    for name, html in PAGES.items():
        (site / name).write_text(html)
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for case, (after, _) in CASES.items():
        (folder / f"{case}.yaml").write_text(
            f"name: {case}\nsilent: true\nstart: https://shop.test/form.html\nsteps:\n  - submit: '#{case}'\n{after}"
        )
    report = tmp_path / "report"
    out = io.StringIO()
    main(["run", str(folder), "--site", str(site), "--no-snippet", "--browser", engine, "--report", str(report),
          "-j", "2"], out, io.StringIO())
    runs = {run["slug"]: run for run in json.loads((report / "results.json").read_text())["runs"]}
    for case, (_, error) in CASES.items():
        run = runs[case]
        if error:
            assert run["status"] == "error" and error in run["error"], (case, run["error"])
        else:
            assert run["status"] == "passed", (case, run["error"], out.getvalue())
    assert runs["plain"]["timeline"]["pages"][-1]["url"].endswith("/done.html?q=x")
    assert runs["elsewhere"]["timeline"]["pages"][-1]["url"].endswith("/done.html?from=handler")
