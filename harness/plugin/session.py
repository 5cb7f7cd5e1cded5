"""The plugin's process-wide state: one Playwright, one capturing proxy with a tap per browser, and a scenario
worker per browser, shared by scenario items and the fixtures."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, sync_playwright
from playwright.sync_api._context_manager import PlaywrightContextManager

from harness.capture.proxy import CaptureProxy, Tap
from harness.capture.site import Site
from harness.errors import BrowserLaunchError
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

    def site(self) -> Site:
        root = setting(self.config, "telltale_site") or str(Path(self.config.rootpath) / "scenarios" / "site")
        return Site(Path(root))

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
            self.taps[browser_name] = self.get_proxy().open_tap(self.site())
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
