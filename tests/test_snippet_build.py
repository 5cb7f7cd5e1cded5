"""harness/resources/telltale.min.js, the file sites ship and the harness injects, is what the pinned build makes of the
current snippet/telltale.js: a source change without a rebuild fails here."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

from harness.resources import SHIPPED_SNIPPET

SNIPPET_DIR = Path(__file__).resolve().parent.parent / "snippet"
SNIPPET_SOURCE = SNIPPET_DIR / "telltale.js"


def test_the_shipped_snippet_is_built_from_the_current_source(tmp_path: Path) -> None:
    terser = SNIPPET_DIR / "node_modules" / ".bin" / "terser"
    assert terser.exists(), "terser is not installed: run `npm ci` in snippet/ (.ci/setup does)"
    args = shlex.split(json.loads((SNIPPET_DIR / "package.json").read_text())["scripts"]["build"])
    assert args[0] == "terser" and args[1] == SNIPPET_SOURCE.name and args[-2] == "--output" and Path(args[-1]).name == SHIPPED_SNIPPET.name
    built = tmp_path / SHIPPED_SNIPPET.name
    subprocess.run([str(terser), *args[1:-1], str(built)], cwd=SNIPPET_DIR, check=True)
    assert built.read_bytes() == SHIPPED_SNIPPET.read_bytes(), (
        "harness/resources/telltale.min.js is not built from the current telltale.js: run `npm run build` in snippet/"
    )
