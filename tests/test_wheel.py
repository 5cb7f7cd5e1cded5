"""The package works installed from its wheel, far from this repository: every resource it reads (the shipped
snippet, its schema, the page probe, the replayer, the report's templates, ``telltale init``'s templates) is inside
the package.

The wheel is built without network (no build isolation: the test extras bring setuptools) and installed with no
dependencies into a fresh virtualenv whose only way to the dependencies is a path to this venv's site-packages,
which holds no ``harness`` of its own (the editable install's finder is not loaded from a plain path entry).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.apps.fixtures import shop_app  # noqa: F401 - the fixture, by name
from tests.apps.shop_app import ShopApp

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "login_show_password.yaml"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv (outside the repository) with the wheel of this checkout installed; its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a clean copy: a build/ folder left in the checkout could hide a missing file
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "harness", source / "harness", ignore=shutil.ignore_patterns("__pycache__"))
    dist = work / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
             "-w", str(dist), str(source)]
    subprocess.run(build, check=True, cwd=work, capture_output=True)
    (wheel,) = dist.glob("telltale-*.whl")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=False, symlinks=True)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "_telltale_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
               str(wheel)]
    subprocess.run(install, check=True, cwd=work, capture_output=True)
    return env_dir / "bin"


def test_the_wheel_holds_every_resource_it_reads(installed: Path) -> None:
    probe = ("import harness, harness.resources as r, harness.report.html as h; "
             "print(harness.__file__); print(r.SHIPPED_SNIPPET.is_file() and r.SCHEMA.is_file()); "
             "import pathlib, tempfile, harness.init as i; "
             "print(len(i.init_project(pathlib.Path(tempfile.mkdtemp()), None)))")
    out = subprocess.run([str(installed / "python"), "-c", probe], check=True, capture_output=True, text=True,
                         cwd=installed).stdout.splitlines()
    assert out[0].startswith(str(installed.parent)), f"harness imported from {out[0]}, not from the wheel"
    assert out[1] == "True"
    assert out[2] == "3", "telltale init's templates (harness/resources/init/) are missing from the wheel"


def test_a_scenario_runs_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "scenarios" / "site", project / "scenarios" / "site")
    shutil.copy(SCENARIO, project / "scenarios" / SCENARIO.name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run = subprocess.run([str(installed / "telltale"), "run", "scenarios", "--report", "report"], cwd=project,
                         capture_output=True, text=True, env=env, timeout=600)
    assert "Traceback" not in run.stderr, run.stderr
    document = json.loads((project / "report" / "results.json").read_text())
    (entry,) = document["runs"]
    assert entry["status"] == "passed" and entry["requests"] > 0, run.stdout + run.stderr
    assert run.returncode == 0, run.stdout + run.stderr
    assert (project / "report" / "index.html").is_file() and (project / "report" / "manifest.json").is_file()


def test_the_installed_wheel_tests_a_running_app(installed: Path, tmp_path: Path, shop_app: ShopApp) -> None:  # noqa: F811
    """Own-app testing from the wheel: the app's leaky page is caught, with nothing from the repository."""
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / "tests" / "apps" / "scenarios" / "leaky.yaml", tmp_path / "scenarios" / "leaky.yaml")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    argv = [str(installed / "telltale"), "run", "--no-snippet", "--base-url", shop_app.base_url, "--report", "report"]
    run = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stdout + run.stderr
    (entry,) = json.loads((tmp_path / "report" / "results.json").read_text())["runs"]
    assert {(f["field"], f["party"]) for f in entry["findings"]} >= {("#signup-email", "third")}
