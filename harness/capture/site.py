"""The local answers: the demo site served from a folder on its HTTPS origin, and a small fixed answer for the
collector and every other host, so that nothing needs the network. Kept free of proxy types so it can be tested
and reused on its own; :mod:`harness.capture.routing` decides which requests get these answers.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_SITE_HOST = "shop.test"
COLLECTOR_PATH = "/telltale/collect"

# The browsers' own background services: answered so they never dial out, and kept out of the capture.
BACKGROUND_HOST_SUFFIXES: tuple[str, ...] = (
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "gvt1.com",
    "gvt2.com",
    "googleusercontent.com",
    "mozilla.com",
    "mozilla.net",
    "mozilla.org",
    "firefox.com",
    "mozaws.net",
    "digicert.com",
)
# Hosts above that trackers use for real (Google Analytics, Tag Manager) must stay visible in the capture.
TRACKER_HOSTS: tuple[str, ...] = (
    "www.google-analytics.com",
    "analytics.google.com",
    "region1.google-analytics.com",
    "www.googletagmanager.com",
    "stats.g.doubleclick.net",
)


def is_background_host(host: str) -> bool:
    """True for a browser's own update, autofill, safe-browsing or telemetry service."""
    host = host.lower().rstrip(".")
    if host in TRACKER_HOSTS:
        return False
    return any(host == suffix or host.endswith("." + suffix) for suffix in BACKGROUND_HOST_SUFFIXES)


@dataclass(frozen=True)
class Answer:
    """What the fake internet answers to one request."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def answer(status: int, body: bytes = b"", content_type: str | None = None, origin: str = "") -> Answer:
    headers: list[tuple[str, str]] = [("Cache-Control", "no-store")]
    if content_type:
        headers.append(("Content-Type", content_type))
    if origin:
        # Behave like a real collector: accept cross-origin calls, credentials and preflights, so a tracker's
        # traffic flows as it would in production.
        headers += [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS"),
            ("Access-Control-Allow-Headers", "*, Content-Type, Authorization"),
            ("Vary", "Origin"),
        ]
    return Answer(status, tuple(headers), body)


def file_answer(path: Path, origin: str = "") -> Answer:
    """A local file as a 200 answer, its type guessed from its name (text types in UTF-8); readable from `origin`
    when a page there asks for it (a vendor's remote config, fetched cross-origin as from the vendor's server)."""
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
        kind += "; charset=utf-8"
    return answer(200, path.read_bytes(), kind, origin)


@dataclass
class Site:
    """Serves ``root`` on ``https://<host>/`` for each site host and answers every other host locally."""

    root: Path
    hosts: frozenset[str] = field(default_factory=lambda: frozenset({DEFAULT_SITE_HOST}))

    @classmethod
    def nowhere(cls) -> Site:
        """No demo site at all: every host gets the fixed local answers."""
        return cls(Path("/nonexistent"), frozenset())

    def file_for(self, path: str) -> Path | None:
        """Map a URL path to a file below the root (``/`` → ``index.html``, ``/x`` → ``x`` or ``x.html``)."""
        relative = unquote(path).lstrip("/") or "index.html"
        if relative.endswith("/"):
            relative += "index.html"
        root = self.root.resolve()
        for candidate in (relative, relative + ".html"):
            target = (root / candidate).resolve()
            # Refuse anything that escapes the site folder (../).
            if target.is_relative_to(root) and target.is_file():
                return target
        return None

    def answer(self, method: str, url: str, headers: Mapping[str, str] | None = None) -> Answer:
        """The response for one request to any host."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        path = parts.path or "/"
        origin = (headers or {}).get("origin", "")
        if method == "OPTIONS":
            return answer(204, origin=origin)
        if path == COLLECTOR_PATH or path.startswith(COLLECTOR_PATH + "/"):
            return answer(204, origin=origin)
        if path.startswith("/api/"):
            return answer(200, b'{"ok": true}', "application/json", origin)
        if host in self.hosts:
            target = self.file_for(path)
            if target is not None:
                return file_answer(target)
            if method == "GET":
                return answer(404, b"<!doctype html><title>Not found</title><h1>Not found</h1>", "text/html")
        return answer(204, origin=origin)
