"""The browser registry: where each browser comes from and how it is pointed at the capturing proxy.

Playwright's own builds are used where installed; otherwise the system's (Debian's ``chromium`` and
``firefox-esr``; Firefox is then driven over WebDriver BiDi through ``channel="moz-firefox"``).
"""

from __future__ import annotations

import json
import os
import shutil
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Error, Playwright

from harness.errors import BrowserLaunchError

BrowserName = Literal["chromium", "firefox", "webkit"]
BROWSER_NAMES: tuple[BrowserName, ...] = ("chromium", "firefox", "webkit")
CONNECT_TIMEOUT_MS: Final = 60_000  # a browser server launches the browser on connect: as long as a launch may take

SYSTEM_EXECUTABLES: dict[str, tuple[str, ...]] = {
    "chromium": ("/usr/bin/chromium", "/usr/bin/chromium-browser"),
    "firefox": ("/usr/bin/firefox-esr", "/usr/bin/firefox"),
    "webkit": (),
}

INSTALL_HINTS: dict[str, str] = {
    "chromium": "install it with `playwright install chromium` or, on Debian, `apt-get install -y chromium`",
    "firefox": "install it with `playwright install firefox` or, on Debian, `apt-get install -y firefox-esr`",
    "webkit": "install it with `playwright install --with-deps webkit`",
}

# Chromium calls Google services even when asked not to; these flags quiet most of it and the proxy answers the
# rest. Unload beacons ignore the context's ignore_https_errors, hence the launch flag.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--ignore-certificate-errors",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter",
    # navigator.webdriver false, as in a browser nobody drives: trackers drop what a driven one records (posthog-js
    # sends no session at all). Firefox has no such switch: FIREFOX_NOT_DRIVEN.
    "--disable-blink-features=AutomationControlled",
)

FIREFOX_NOT_DRIVEN: Final = (
    "Object.defineProperty(Navigator.prototype, 'webdriver', {get() { return false; }, configurable: true});\n"
)
"""navigator.webdriver as a browser nobody drives has it, for Firefox, whose remote agent sets it with no switch or
pref to unset it: run before the probe in every document (`harness.run.runner.instrument`)."""

FIREFOX_QUIET_PREFS: dict[str, Any] = {
    "app.update.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "browser.search.update": False,
    "extensions.update.enabled": False,
    "toolkit.telemetry.enabled": False,
    # DNS over HTTPS would bypass the proxy's view of host names.
    "network.trr.mode": 5,
    # An app under test on loopback goes through the proxy too (Firefox sends loopback direct otherwise).
    "network.proxy.allow_hijacking_localhost": True,
}


@dataclass(frozen=True)
class BrowserSource:
    """Where a browser comes from: Playwright's own build, or a system executable."""

    name: BrowserName
    executable: str | None  # None: Playwright's own build

    @property
    def description(self) -> str:
        return f"{self.name} ({self.executable or 'Playwright build'})"


def find_browser(playwright: Playwright, name: BrowserName) -> BrowserSource:
    """Prefer Playwright's own build; fall back to a system executable; raise if there is neither."""
    browser_type = getattr(playwright, name)
    own = browser_type.executable_path
    if own and Path(own).exists():
        return BrowserSource(name, None)
    for candidate in SYSTEM_EXECUTABLES[name]:
        if Path(candidate).exists() or shutil.which(candidate):
            return BrowserSource(name, candidate)
    raise BrowserLaunchError(f"{name} is not installed: {INSTALL_HINTS[name]}")


def launch_options(source: BrowserSource, proxy_host: str, proxy_port: int) -> dict[str, Any]:
    """Keyword arguments for ``BrowserType.launch`` that route every request through the proxy."""
    options: dict[str, Any] = {"headless": True}
    proxy = {"server": f"http://{proxy_host}:{proxy_port}", "bypass": "<-loopback>"}
    if source.name == "chromium":
        args = list(CHROMIUM_ARGS)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        options.update(args=args, proxy=proxy)
        if source.executable:
            options["executable_path"] = source.executable
    elif source.name == "firefox":
        prefs = dict(FIREFOX_QUIET_PREFS)
        if source.executable:
            # Over BiDi, Firefox ignores Playwright's proxy option: set the profile's proxy prefs instead.
            options.update(channel="moz-firefox", executable_path=source.executable)
            prefs.update(
                {
                    "network.proxy.type": 1,
                    "network.proxy.http": proxy_host,
                    "network.proxy.http_port": proxy_port,
                    "network.proxy.ssl": proxy_host,
                    "network.proxy.ssl_port": proxy_port,
                    "network.proxy.no_proxies_on": "",
                }
            )
        else:
            options["proxy"] = proxy
        options["firefox_user_prefs"] = prefs
    else:
        options["proxy"] = proxy
    return options


def launch(playwright: Playwright, name: BrowserName, proxy_host: str, proxy_port: int) -> Browser:
    """Launch ``name`` through the proxy; a browser that cannot start raises :class:`BrowserLaunchError`."""
    source = find_browser(playwright, name)
    try:
        return getattr(playwright, name).launch(**launch_options(source, proxy_host, proxy_port))
    except Error as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BrowserLaunchError(
            f"{source.description} cannot start ({first_line}); {INSTALL_HINTS[name]}"
        ) from error


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def on_this_machine(endpoint: str) -> bool:
    """A browser server on loopback sees this machine's files: it can run the browsers found here."""
    host = urlsplit(endpoint).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def connect(playwright: Playwright, name: BrowserName, endpoint: str, proxy_host: str, proxy_port: int) -> Browser:
    """``name`` on the Playwright browser server at ``endpoint`` (``playwright run-server``), routed through the
    proxy at ``proxy_host:proxy_port``, which that server's machine must reach.

    The launch options travel in the connection's ``x-playwright-launch-options`` header, as Playwright's server
    reads them. A server started with ``--unsafe`` honours all of them (the Chromium flags, Firefox's proxy prefs,
    an executable path); without it, only the proxy and headless, so unload beacons over TLS may be lost. A server
    on loopback runs the browsers found here (Debian's, say); elsewhere, the server's own Playwright builds.
    """
    source = find_browser(playwright, name) if on_this_machine(endpoint) else BrowserSource(name, None)
    options = {_camel(key): value for key, value in launch_options(source, proxy_host, proxy_port).items()}
    try:
        return getattr(playwright, name).connect(
            endpoint, headers={"x-playwright-launch-options": json.dumps(options)}, timeout=CONNECT_TIMEOUT_MS
        )
    except Error as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BrowserLaunchError(f"{name} on the browser server {endpoint} cannot start ({first_line}); start one "
                                 f"with `playwright run-server --port PORT --unsafe` where the browsers are") from error


def browser_version(browser: Browser) -> str:
    """``name version`` of a running browser, for the report's environment section."""
    return f"{browser.browser_type.name} {browser.version}"


_VISITOR_AGENTS: weakref.WeakKeyDictionary[Browser, str | None] = weakref.WeakKeyDictionary()


def visitor_user_agent(browser: Browser) -> str | None:
    """The user agent a person's copy of this browser sends, where the harness's copy says otherwise; None when
    it says the same.

    Headless Chromium names itself ``HeadlessChrome``, and trackers treat that as a bot: posthog-js drops every
    event such a browser records, without an error, so a run would check nothing and pass. Observed as in a
    browser nobody drives, a tracker sees the browser a visitor has: the same version, ``Chrome``.
    """
    if browser not in _VISITOR_AGENTS:
        context = browser.new_context()
        try:
            agent = str(context.new_page().evaluate("navigator.userAgent"))
        finally:
            context.close()
        _VISITOR_AGENTS[browser] = agent.replace("HeadlessChrome/", "Chrome/") if "HeadlessChrome/" in agent else None
    return _VISITOR_AGENTS[browser]
