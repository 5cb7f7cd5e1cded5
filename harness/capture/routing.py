"""Where each request a page makes goes: to the real server, to a local file, or to a local answer.

- The **origins under test** (the user's own app: a dev server, a container, a staging host) are forwarded to
  their real servers through the proxy, which still records every byte both ways.
- The **demo site** (``https://shop.test/`` by default) is served from its folder.
- A **map** of URL patterns to local files serves a tracker tag a site loads from a CDN from a vendored copy.
- **Every other host** (third parties) is answered locally under the ``stub`` policy (the default: nothing leaves
  the machine), or forwarded under ``live`` (for a CI with network that wants the vendor's real behaviour).

A request's **party** is ``first`` when it goes to an origin under test or the demo site, ``third`` otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from harness.capture.site import Answer, Site, file_answer, is_background_host
from harness.config import MapRule, ThirdParty

Party = Literal["first", "third"]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-case, the default port left out (``ws`` counts as ``http``)."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme.lower(), parts.scheme.lower())
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS.get(scheme) else "")


def endpoint(origin: str) -> tuple[str, int]:
    """The host and port an origin's server listens on (its scheme's default port when none is written)."""
    parts = urlsplit(origin)
    return (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 80)


@dataclass(frozen=True)
class Forward:
    """Send the request on to its real server (and record the answer)."""


FORWARD = Forward()


@dataclass(frozen=True)
class Routing:
    """How one tap of the proxy answers: see the module's docstring."""

    site: Site | None = None
    origins: frozenset[str] = frozenset()  # origin_of() of each origin under test
    third_party: ThirdParty = "stub"
    mapped: tuple[MapRule, ...] = ()  # URL patterns answered from local files (docs/config.md)
    trust_upstream: bool = False  # accept self-signed certificates from the origins under test

    def including(self, urls: Iterable[str]) -> Routing:
        """This routing with the origins of ``urls`` under test too (the demo site's own hosts excepted)."""
        site_hosts = self.site.hosts if self.site is not None else frozenset()
        more = {origin_of(url) for url in urls if (urlsplit(url).hostname or "").lower() not in site_hosts}
        return replace(self, origins=self.origins | more) if more - self.origins else self

    def on_demo_site(self, url: str) -> bool:
        """Whether ``url`` is on the demo site this routing serves from its folder."""
        return self.site is not None and (urlsplit(url).hostname or "").lower() in self.site.hosts

    def party(self, url: str) -> Party:
        """``first`` for an origin under test or the demo site, ``third`` for anything else."""
        return "first" if origin_of(url) in self.origins or self.on_demo_site(url) else "third"

    def mapped_file(self, url: str) -> Path | None:
        """The local file the first matching ``map`` rule names for a URL (its fragment never reaches the proxy)."""
        return next((rule.file for rule in self.mapped if rule.matches(url)), None)

    def route(self, method: str, url: str, headers: Mapping[str, str] | None = None) -> Answer | Forward:
        """The answer to one request, or :data:`FORWARD` to send it to its real server."""
        mapped = self.mapped_file(url)
        if mapped is not None:
            return file_answer(mapped, (headers or {}).get("origin", ""))
        if origin_of(url) in self.origins:
            return FORWARD
        host = (urlsplit(url).hostname or "").lower()
        if self.third_party == "live" and not self.on_demo_site(url) and not is_background_host(host):
            return FORWARD
        return (self.site or Site.nowhere()).answer(method, url, headers)

    def may_connect(self, host: str, port: int) -> bool:
        """Whether the proxy may open a connection to ``host:port`` (only for what :meth:`route` forwards)."""
        if self.third_party == "live" and not is_background_host(host):
            return True
        return (host.lower(), port) in {endpoint(origin) for origin in self.origins}


__all__ = [
    "FORWARD", "Forward", "Party", "Routing", "endpoint", "origin_of",
]
