"""The plugin's process-wide state: one Playwright, one capturing proxy with a tap per browser, and a scenario
worker per browser, shared by scenario items and the fixtures."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pytest
from playwright.sync_api import Playwright, sync_playwright
from playwright.sync_api._context_manager import PlaywrightContextManager

from harness.capture.proxy import CaptureProxy, Tap
from harness.capture.routing import Routing
from harness.capture.site import Site
from harness.config import THIRD_PARTY_MODES, ThirdParty
from harness.errors import BrowserLaunchError, UsageError
from harness.pipeline import CA_DIR
from harness.resources import SHIPPED_SNIPPET
from harness.run.browsers import BrowserName
from harness.run.runner import Worker
from harness.run.snippet import read_snippet


def setting(config: pytest.Config, name: str) -> str:
    value = config.getoption(name) or config.getini(name)
    return str(value) if value else ""


@dataclass
class PluginSession:
    """Process-wide state: one Playwright, one proxy with a tap per browser, scenario workers by browser."""

    config: pytest.Config
    playwright: Playwright | None = None
    proxy: CaptureProxy | None = None
    workers: dict[str, Worker] = field(default_factory=dict)
    taps: dict[str, Tap] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    _manager: PlaywrightContextManager | None = None

    def site(self) -> Site | None:
        """The demo site: ``--telltale-site``, else ``scenarios/site`` under the rootdir when it exists."""
        given = setting(self.config, "telltale_site")
        root = Path(given) if given else Path(self.config.rootpath) / "scenarios" / "site"
        if given and not root.is_dir():
            raise UsageError(f"--telltale-site: the demo site folder {root} does not exist")
        return Site(root) if root.is_dir() else None

    def base_url(self) -> str | None:
        """pytest-playwright's ``--base-url`` (or ini ``base_url``): the app under test."""
        value = self.config.getoption("base_url", None) or self.config.getini("base_url")
        return str(value) if value else None

    def routing(self) -> Routing:
        """The demo site, the app at the base URL (forwarded to its real server), the third-party policy."""
        policy = setting(self.config, "telltale_third_party") or "stub"
        if policy not in THIRD_PARTY_MODES:
            raise UsageError(f"--telltale-third-party must be one of {', '.join(THIRD_PARTY_MODES)}, got {policy!r}")
        trust = bool(self.config.getoption("telltale_trust_upstream", False))
        routing = Routing(self.site(), third_party=cast(ThirdParty, policy), trust_upstream=trust)
        base_url = self.base_url()
        return routing.including([base_url]) if base_url else routing

    def window_ms(self) -> float:
        """The observation window (``--telltale-observation-window`` seconds, else the ini key, else 30), in ms."""
        text = setting(self.config, "telltale_observation_window") or "30"
        try:
            seconds = float(text)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds < float("inf"):
            raise UsageError(f"--telltale-observation-window must be a number of seconds, 0 or more, got {text!r}")
        return seconds * 1000.0

    def snippet(self) -> str | None:
        """The snippet under test; a file that cannot be read is a usage error (checked at configure time)."""
        return read_snippet(Path(setting(self.config, "telltale_snippet") or SHIPPED_SNIPPET))

    def get_playwright(self) -> Playwright:
        if self.playwright is None:
            self._manager = sync_playwright()
            self.playwright = self._manager.__enter__()
        return self.playwright

    def get_proxy(self) -> CaptureProxy:
        if self.proxy is None:
            self.proxy = CaptureProxy.shared(CA_DIR)
        return self.proxy

    def tap(self, browser_name: str) -> Tap:
        """This browser's tap, serving the demo site (opened on first use)."""
        if browser_name not in self.taps:
            self.taps[browser_name] = self.get_proxy().open_tap(self.routing())
        return self.taps[browser_name]

    def worker(self, browser_name: BrowserName) -> Worker:
        if browser_name in self.broken:
            raise BrowserLaunchError(self.broken[browser_name])
        if browser_name not in self.workers:
            try:
                worker = Worker(browser_name, self.tap(browser_name), self.get_playwright()).start()
            except BrowserLaunchError as error:
                self.broken[browser_name] = str(error)
                raise
            self.workers[browser_name] = worker
        return self.workers[browser_name]

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()
        if self._manager is not None:
            self._manager.__exit__(None, None, None)
        if self.proxy is not None:
            for tap in self.taps.values():
                self.proxy.close_tap(tap)


SESSION = pytest.StashKey["PluginSession"]()


def session_of(config: pytest.Config) -> PluginSession:
    """The plugin's process-wide state (Playwright, proxy, workers)."""
    return config.stash[SESSION]
