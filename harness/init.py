"""A start from nothing (``telltale init``): the first files a project needs to test its own application.

- ``telltale.toml``: every setting, commented out at its default, with the base URL filled in;
- ``scenarios/example.yaml``: a scenario that opens ``/``, takes a checkpoint and leaves;
- ``.github/workflows/telltale.yml``: CI that runs the scenarios and keeps the report as an artifact.

The templates are package data under ``harness/resources/init/``. Nothing is ever overwritten.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from harness.config import CONFIG_FILE, is_http_url
from harness.errors import UsageError
from harness.resources import resource_text

DEFAULT_BASE_URL: Final = "http://127.0.0.1:8000"
BASE_URL_MARK: Final = "@BASE_URL@"  # in the telltale.toml template, replaced by the base URL as a TOML string

# Each file init writes (relative to the project folder) and its template (under harness/resources/).
INIT_FILES: Final[tuple[tuple[str, str], ...]] = (
    (CONFIG_FILE, "init/telltale.toml"),
    ("scenarios/example.yaml", "init/example.yaml"),
    (".github/workflows/telltale.yml", "init/telltale.yml"),
)


def init_project(folder: Path, base_url: str | None) -> list[Path]:
    """Write the starting files into ``folder`` (``base_url`` defaults to :data:`DEFAULT_BASE_URL`); returns
    the files written. Raises :class:`UsageError` naming every file that already exists, before writing any."""
    url = DEFAULT_BASE_URL if base_url is None else base_url
    if not is_http_url(url):
        raise UsageError(f"the base URL must be an http(s) URL such as {DEFAULT_BASE_URL}, got {url!r}")
    targets = [(folder / name, template) for name, template in INIT_FILES]
    existing = [str(path) for path, _ in targets if path.exists()]
    if existing:
        raise UsageError(f"will not overwrite existing files: {', '.join(existing)} (move them away, or edit them)")
    written = []
    for path, template in targets:
        # json.dumps writes a valid TOML basic string for any URL (quotes and backslashes escaped)
        text = resource_text(template).replace(BASE_URL_MARK, json.dumps(url))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as file:  # "x": never clobber, even a file that just appeared
                file.write(text)
        except OSError as error:
            raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
        written.append(path)
    return written
