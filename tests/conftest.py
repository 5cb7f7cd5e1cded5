"""Test-suite setup: every ``results.json`` the suite writes must match ``docs/results.schema.json``.

Other tools read results.json, so the schema is its contract; the suite's many real runs (every scenario shape,
error, opt-out, replay and leak it sets up) are the widest check the schema gets. Two ways in:

- in this process, ``harness.report.results.write_results`` is wrapped for the session: each file is checked as
  soon as it is written (before a test could alter it) and remembered with the test that wrote it;
- at the end of the session, the session's temporary folders are swept for reports written by subprocesses
  (``python -m harness run ...``): a ``results.json`` with the ``junit.xml`` that ``write_results`` always writes
  beside it. Hand-made ``results.json`` fixtures (the manifest tests' fake reports) have no ``junit.xml``.

Any mismatch fails the session with an error at the teardown of its last test, naming each file, the test that
wrote it and every field that breaks the schema.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest
from jsonschema import Draft202012Validator

RESULTS_SCHEMA: Final = Path(__file__).resolve().parent.parent / "docs" / "results.schema.json"


@functools.cache
def results_validator() -> Draft202012Validator:
    """A validator for ``docs/results.schema.json`` (the schema itself checked against Draft 2020-12 first)."""
    schema = json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_problems(document: Any) -> list[str]:
    """Every way ``document`` breaks the results schema, one line each (``$.runs[0].status: ...``); empty when valid."""
    errors = sorted(results_validator().iter_errors(document), key=lambda error: list(map(str, error.absolute_path)))
    return [f"{error.json_path}: {_short(error.message)}" for error in errors]


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[:limit] + "…"


@dataclass
class ResultsWatch:
    """The results.json files of this session: which were checked, and what was wrong with each."""

    checked: dict[Path, str] = field(default_factory=dict)  # file → the test that wrote it
    problems: dict[Path, list[str]] = field(default_factory=dict)

    def check(self, path: Path, writer: str) -> list[str]:
        """Check one written results.json against the schema; remember it and its problems."""
        path = path.resolve()
        try:
            found = schema_problems(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:
            found = [f"not readable as JSON: {error}"]
        self.checked[path] = writer
        if found:
            self.problems[path] = found
        return found

    def sweep(self, root: Path) -> list[Path]:
        """Check every report under ``root`` not checked yet (one written by a subprocess); return those checked."""
        swept = [path for path in sorted(root.rglob("results.json"))
                 if (path.parent / "junit.xml").is_file() and path.resolve() not in self.checked]
        for path in swept:
            self.check(path, "a subprocess (found at the end of the session)")
        return swept

    def report(self) -> str:
        """The problems as a failure message ('' when there are none)."""
        parts = [f"{path} (written by {self.checked[path]}):\n" + "\n".join(f"  {line}" for line in lines)
                 for path, lines in self.problems.items()]
        if not parts:
            return ""
        return f"results.json does not match {RESULTS_SCHEMA}:\n" + "\n".join(parts)


def _current_test() -> str:
    """The test running now, from pytest's own ``PYTEST_CURRENT_TEST`` (``tests/x.py::test_y (call)``)."""
    return os.environ.get("PYTEST_CURRENT_TEST", "no test").rsplit(" (", 1)[0]


@pytest.fixture(scope="session", autouse=True)
def results_watch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResultsWatch]:
    """Checks every results.json this session writes against the schema; fails the session on any mismatch."""
    from harness.report import results

    watch = ResultsWatch()
    write_results = results.write_results

    @functools.wraps(write_results)
    def checked_write_results(*args: Any, **kwargs: Any) -> dict[str, Any]:
        document = write_results(*args, **kwargs)
        report_dir = kwargs["report_dir"] if "report_dir" in kwargs else args[1]
        watch.check(Path(report_dir) / "results.json", _current_test())
        return document

    import harness.cli  # noqa: F401 - imports write_results by name: it must be wrapped there too

    with pytest.MonkeyPatch.context() as patch:
        # Wherever the harness holds write_results by name (the results module, the CLI), the wrapper stands in.
        for module in [m for name, m in sys.modules.items() if name.startswith("harness") and m is not None]:
            if getattr(module, "write_results", None) is write_results:
                patch.setattr(module, "write_results", checked_write_results)
        yield watch
    watch.sweep(tmp_path_factory.getbasetemp())
    if watch.problems:
        pytest.fail(watch.report(), pytrace=False)


@pytest.fixture(scope="session")
def results_schema() -> Callable[[Any], list[str]]:
    """Every way a document breaks ``docs/results.schema.json``, one line each; empty when it matches."""
    return schema_problems
