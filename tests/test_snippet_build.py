"""harness/resources/telltale.min.js, the file sites ship and the harness injects, is what the pinned build makes of the
current source: snippet/build.mjs bundles the ES modules of snippet/src/ (and harness/resources/markers.json) with
esbuild into one IIFE, and terser minifies it. A source change without a rebuild fails here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from playwright.sync_api import Browser
from snippet_support import chromium  # noqa: F401  (module-scoped browser fixture)

from harness.resources import SHIPPED_SNIPPET

SNIPPET_DIR = Path(__file__).resolve().parent.parent / "snippet"
TOOLS = ("esbuild", "rrweb", "terser")  # rrweb: its own replayer, for the vendor replay (tests/test_rrweb_build.py)


def test_the_build_tools_are_pinned_exactly() -> None:
    package = json.loads((SNIPPET_DIR / "package.json").read_text())
    lock = json.loads((SNIPPET_DIR / "package-lock.json").read_text())["packages"]
    assert package["scripts"]["build"] == "node build.mjs && node build-rrweb.mjs replayer"
    assert sorted(package["devDependencies"]) == sorted(TOOLS)
    for name, version in package["devDependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}: expected an exact version, got {version!r}"
        assert lock[""]["devDependencies"][name] == version, f"package-lock.json pins another {name}"
        assert lock[f"node_modules/{name}"]["version"] == version, f"package-lock.json resolves another {name}"


def test_the_source_is_the_modules_in_src() -> None:
    """One source: no script besides the builds outside snippet/src/ (snippet/telltale.js was the old one) but the
    entries of rrweb's own code in snippet/rrweb/."""
    scripts = {p.relative_to(SNIPPET_DIR).as_posix() for p in SNIPPET_DIR.rglob("*.*js") if "node_modules" not in p.parts}
    ours = scripts - {"build.mjs", "build-rrweb.mjs", "rrweb/replay.js", "rrweb/recorder.js"}
    assert ours and all(s.startswith("src/") for s in ours), sorted(scripts)


def test_the_shipped_snippet_is_built_from_the_current_source(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is not installed (.ci/setup installs it)"
    for name, version in json.loads((SNIPPET_DIR / "package.json").read_text())["devDependencies"].items():
        installed = SNIPPET_DIR / "node_modules" / name / "package.json"
        assert installed.exists(), f"{name} is not installed: run `npm ci` in snippet/ (.ci/setup does)"
        assert json.loads(installed.read_text())["version"] == version, f"another {name} is installed: run `npm ci` in snippet/"
    built = tmp_path / SHIPPED_SNIPPET.name
    done = subprocess.run([node, "build.mjs", str(built)], cwd=SNIPPET_DIR, capture_output=True, text=True)
    assert done.returncode == 0, f"the build failed:\n{done.stderr}"
    assert built.read_bytes() == SHIPPED_SNIPPET.read_bytes(), (
        "harness/resources/telltale.min.js is not built from the current snippet/src/ and markers.json: "
        "run `npm run build` in snippet/"
    )


# Reading .caller of a strict function throws; of a sloppy one, it does not.
STRICT = "f => { try { f.caller; return false; } catch (e) { return true; } }"


def test_strict_mode_stays_inside_the_snippet(chromium: Browser) -> None:  # noqa: F811
    """ES modules are strict, and so is the snippet, but only inside its own function: where a site concatenates its
    scripts (a bundler, a CMS), the page's scripts after ours stay as they were."""
    page = chromium.new_page()
    try:
        page.set_content("<!doctype html><title>concatenated</title>")  # about:blank: the snippet loads, records nothing
        page.add_script_tag(content=SHIPPED_SNIPPET.read_text() + "\nfunction pageCode() { return 1; }")
        assert page.evaluate(f"() => [({STRICT})(telltale.isOptedOut), ({STRICT})(pageCode)]") == [True, False]
    finally:
        page.close()
