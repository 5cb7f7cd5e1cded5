"""The plugin's process-wide state: one Playwright, one capturing proxy with a tap per browser, and a scenario
worker per browser, shared by scenario items and the fixtures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, sync_playwright
from playwright.sync_api._context_manager import PlaywrightContextManager

from harness.capture.proxy import CaptureProxy, Tap
from harness.capture.routing import Routing
from harness.capture.site import Site
from harness.config import Settings, load_settings
from harness.errors import BrowserLaunchError, UsageError
from harness.pipeline import CA_DIR
from harness.run.browsers import BrowserName
from harness.run.runner import Worker
from harness.run.snippet import read_snippet


def setting(config: pytest.Config, name: str) -> str:
    """A ``--telltale-*`` option, else its ``telltale_*`` ini key; '' when neither is given."""
    value = config.getoption(name) or config.getini(name)
    return str(value) if value else ""


def _window_seconds(text: str) -> float | None:
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise UsageError(f"--telltale-observation-window must be a number of seconds, 0 or more, got {text!r}")
    return seconds


def plugin_settings(config: pytest.Config, environ: Mapping[str, str]) -> Settings:
    """The settings of a pytest session, by the CLI's one precedence: the ``--telltale-*`` options and ``telltale_*``
    ini keys (pytest's own configuration, as the CLI's flags), then TELLTALE_* variables, then telltale.toml or
    ``[tool.telltale]`` nearest the rootdir, then the defaults. pytest-playwright's ``--base-url`` is the base URL."""
    base_url = config.getoption("base_url", None) or config.getini("base_url")
    flags: dict[str, object] = {
        "base_url": str(base_url) if base_url else None,
        "snippet": setting(config, "telltale_snippet") or None,
        "site": setting(config, "telltale_site") or None,
        "report": setting(config, "telltale_report") or None,
        "third_party": setting(config, "telltale_third_party") or None,
        "trust_upstream": True if config.getoption("telltale_trust_upstream", False) else None,
        "observation_window": _window_seconds(setting(config, "telltale_observation_window")),
    }
    return load_settings(Path(config.rootpath), flags, environ)


@dataclass
class PluginSession:
    """Process-wide state: one Playwright, one proxy with a tap per browser, scenario workers by browser."""

    config: pytest.Config
    settings: Settings
    playwright: Playwright | None = None
    proxy: CaptureProxy | None = None
    workers: dict[str, Worker] = field(default_factory=dict)
    taps: dict[str, Tap] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    _manager: PlaywrightContextManager | None = None

    def site(self) -> Site | None:
        """The demo site: the ``site`` setting, else ``scenarios/site`` under the rootdir when it exists."""
        given = self.settings.site
        root = given if given is not None else Path(self.config.rootpath) / "scenarios" / "site"
        if given is not None and not root.is_dir():
            raise UsageError(f"--telltale-site: the demo site folder {root} does not exist")
        return Site(root) if root.is_dir() else None

    def base_url(self) -> str | None:
        """The app under test (pytest-playwright's ``--base-url``, or ``base_url`` in the config)."""
        return self.settings.base_url

    def routing(self) -> Routing:
        """The demo site, the app at the base URL (forwarded to its real server), the third-party policy and map."""
        settings = self.settings
        routing = Routing(self.site(), third_party=settings.third_party, mapped=settings.map,
                          trust_upstream=settings.trust_upstream)
        return routing.including([settings.base_url]) if settings.base_url else routing

    def window_ms(self) -> float:
        """The observation window, in ms."""
        return self.settings.observation_window * 1000.0

    def snippet(self) -> str | None:
        """The snippet under test (None: ``snippet = "none"``); a file that cannot be read is a usage error."""
        return read_snippet(self.settings.snippet)

    def report_dir(self) -> Path:
        return self.settings.report

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
