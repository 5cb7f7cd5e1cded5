"""init_project (harness/init.py): the starting files of a project, each valid for the part of Telltale that reads
it, and never written over an existing file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness import config
from harness.config import load_settings
from harness.errors import UsageError
from harness.init import DEFAULT_BASE_URL, init_project
from harness.run.loader import load_scenario

EXPECTED = ["telltale.toml", "scenarios/example.yaml", ".github/workflows/telltale.yml"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_init_writes_the_three_files_and_returns_them(project: Path) -> None:
    written = init_project(project, "http://localhost:3000")
    assert written == [project / name for name in EXPECTED]
    assert all(path.is_file() and path.read_text().strip() for path in written)


def test_the_config_loads_with_the_base_url_filled_in_and_every_other_value_at_its_default(project: Path) -> None:
    init_project(project, "https://shop.local:8443/app/")
    settings = load_settings(project, {}, {})
    assert settings.config_file == project / "telltale.toml"
    assert settings.base_url == "https://shop.local:8443/app/"
    assert re.fullmatch(r"telltale\.toml:\d+", settings.source["base_url"])
    assert {key for key, source in settings.source.items() if source != "default"} == {"base_url"}


def test_the_base_url_defaults_to_a_local_port(project: Path) -> None:
    init_project(project, None)
    assert load_settings(project, {}, {}).base_url == DEFAULT_BASE_URL == "http://127.0.0.1:8000"


def test_a_base_url_with_quotes_is_written_as_a_valid_toml_string(project: Path) -> None:
    url = 'http://127.0.0.1:8000/?q="a\\b"'
    init_project(project, url)
    assert load_settings(project, {}, {}).base_url == url


def test_the_config_template_shows_every_key(project: Path) -> None:
    init_project(project, None)
    text = (project / "telltale.toml").read_text()
    shown = set(re.findall(r"^(?:# )?([a-z_]+) =", text, flags=re.MULTILINE))
    tables = set(re.findall(r"^# \[([a-z_]+)\]$", text, flags=re.MULTILINE))
    assert {key for key in config.KEYS if config.KEYS[key] != "table"} - {"map"} <= shown
    assert tables == {"web_server", "map"}
    assert set(config.WEB_SERVER_KEYS) <= shown


def test_every_commented_setting_is_valid_when_uncommented(project: Path) -> None:
    init_project(project, None)
    path = project / "telltale.toml"
    setting = re.compile(r"^# ((?:\[[a-z_]+\]|[a-z_]+ = |\"[^\"]+\" = ).*)$", flags=re.MULTILINE)
    uncommented, count = setting.subn(r"\1", path.read_text())
    assert count >= 14
    path.write_text(uncommented)
    (project / "vendor").mkdir()
    (project / "vendor" / "tracker.js").write_text("// pinned")
    settings = load_settings(project, {}, {})
    assert set(settings.source.values()) - {"default"}, "the uncommented settings must be read"
    assert settings.web_server is not None and settings.map and settings.site_api


def test_the_example_scenario_opens_the_root_takes_a_checkpoint_and_leaves(project: Path) -> None:
    init_project(project, None)
    path = project / "scenarios" / "example.yaml"
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    assert set(document) == {"name", "start", "steps"}
    assert document["start"] == "/"
    assert {"checkpoint": "home"} in document["steps"]
    assert document["steps"][-1] == {"leave": "close"}


def test_the_example_scenario_loads_once_its_start_is_absolute(project: Path) -> None:
    init_project(project, None)
    path = project / "scenarios" / "example.yaml"
    text, count = re.subn(r"^start: /(?=\s)", "start: http://127.0.0.1:8000/", path.read_text(), flags=re.MULTILINE)
    assert count == 1
    path.write_text(text)
    scenario = load_scenario(path)
    assert scenario.start == "http://127.0.0.1:8000/"
    assert [step.kind for step in scenario.steps] == ["expect", "checkpoint", "leave"]


def test_the_workflow_installs_runs_and_always_keeps_the_report(project: Path) -> None:
    init_project(project, None)
    workflow: dict[Any, Any] = yaml.safe_load((project / ".github" / "workflows" / "telltale.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true; GitHub reads it as "on"
    assert set(triggers) == {"push", "pull_request"}
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "pip install telltale" in runs and "playwright install" in runs
    assert any(step.get("run") == "telltale run" for step in steps)
    (upload,) = [step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "telltale-report/"
    assert steps.index(upload) == len(steps) - 1


def test_init_refuses_to_overwrite_and_writes_nothing(project: Path) -> None:
    (project / "scenarios").mkdir()
    (project / "scenarios" / "example.yaml").write_text("mine")
    (project / "telltale.toml").write_text("# mine")
    with pytest.raises(UsageError) as error:
        init_project(project, None)
    assert str(error.value) == (
        f"will not overwrite existing files: {project / 'telltale.toml'}, {project / 'scenarios' / 'example.yaml'} "
        "(move them away, or edit them)"
    )
    assert (project / "telltale.toml").read_text() == "# mine"
    assert not (project / ".github").exists()


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://example.com", "/"])
def test_a_base_url_that_is_not_http_is_refused(project: Path, url: str) -> None:
    with pytest.raises(UsageError, match=r"^the base URL must be an http\(s\) URL such as http://127.0.0.1:8000, got "):
        init_project(project, url)
    assert list(project.iterdir()) == []
