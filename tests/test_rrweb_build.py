"""harness/resources/rrweb-replay.min.js, the vendor replay's replayer, is what the pinned build makes of rrweb's own
Replayer: snippet/build-rrweb.mjs bundles snippet/rrweb/replay.js with the rrweb package pinned in
snippet/package.json (and package-lock.json), under rrweb's MIT license. A change without a rebuild fails here."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from harness.replay.rrweb_page import RRWEB_JS
from harness.resources import resource_path

SNIPPET_DIR = Path(__file__).resolve().parent.parent / "snippet"
SHIPPED = resource_path("rrweb-replay.min.js")


def test_rrweb_is_pinned_exactly_and_its_license_shipped() -> None:
    version = json.loads((SNIPPET_DIR / "package.json").read_text())["devDependencies"]["rrweb"]
    lock = json.loads((SNIPPET_DIR / "package-lock.json").read_text())["packages"]
    assert lock["node_modules/rrweb"]["version"] == version and lock["node_modules/rrweb"]["license"] == "MIT"
    head = SHIPPED.read_text()[:2000]
    assert head.startswith(f"/*! rrweb {version} ") and "MIT License" in head and "SmartX Inc." in head, head[:300]
    assert SHIPPED.read_text() == RRWEB_JS  # what the harness loads


def test_the_shipped_replayer_is_built_from_the_pinned_rrweb(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is not installed (.ci/setup installs it)"
    version = json.loads((SNIPPET_DIR / "package.json").read_text())["devDependencies"]["rrweb"]
    installed = SNIPPET_DIR / "node_modules" / "rrweb" / "package.json"
    assert installed.exists(), "rrweb is not installed: run `npm ci` in snippet/ (.ci/setup does)"
    assert json.loads(installed.read_text())["version"] == version, "another rrweb is installed: run `npm ci` in snippet/"
    built = tmp_path / SHIPPED.name
    done = subprocess.run([node, "build-rrweb.mjs", "replayer", str(built)], cwd=SNIPPET_DIR, capture_output=True,
                          text=True)
    assert done.returncode == 0, f"the build failed:\n{done.stderr}"
    assert built.read_bytes() == SHIPPED.read_bytes(), (
        "harness/resources/rrweb-replay.min.js is not built from snippet/rrweb/replay.js and the pinned rrweb: "
        "run `npm run build` in snippet/"
    )
