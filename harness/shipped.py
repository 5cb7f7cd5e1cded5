"""The snippet this repository ships: sites add it with one script tag and the harness injects it by default.

``snippet/telltale.js`` is the source people read and edit; ``snippet/telltale.min.js`` is built from it by
``npm --prefix snippet run build`` (terser, pinned in ``snippet/package-lock.json``) and committed, and a test checks
that it is current. The wire format both speak is ``snippet/schema.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

SNIPPET_DIR: Final = Path(__file__).resolve().parent.parent / "snippet"
SNIPPET_SOURCE: Final = SNIPPET_DIR / "telltale.js"
SHIPPED_SNIPPET: Final = SNIPPET_DIR / "telltale.min.js"
SCHEMA: Final = SNIPPET_DIR / "schema.json"
