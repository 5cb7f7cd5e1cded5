"""Telltale's settings, read in one place from flags, the environment, a config file and defaults.

Precedence, highest first: a **flag** (what the CLI or the pytest plugin was given) > an **environment variable**
``TELLTALE_<KEY>`` > the **config file** > the **default**. Every value a layer gives is checked, even one a higher
layer overrides, so a broken file is reported however it is run.

The config file is the nearest ``telltale.toml`` (keys at its top level) or ``pyproject.toml`` holding a
``[tool.telltale]`` table, searched from a start folder up to the filesystem root; a folder holding both uses
``telltale.toml``. Paths written in the file are relative to the file's folder; paths given as flags or environment
variables are relative to the working directory. ``docs/config.md`` lists the keys for users; :data:`KEYS` is the
list the code and that page are checked against.

Errors are :class:`UsageError` with one line naming where the value was written: ``telltale.toml:3: ...`` (tomllib
gives no line numbers, so the line of a key is found by scanning the text: good enough for hand-written files),
``env TELLTALE_BROWSERS: ...`` or ``flag: ...``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, TypeVar
from urllib.parse import urljoin, urlsplit

from harness.errors import UsageError
from harness.resources import SHIPPED_SNIPPET

BrowserName = Literal["chromium", "firefox", "webkit"]
BROWSER_NAMES: Final[tuple[BrowserName, ...]] = ("chromium", "firefox", "webkit")  # = harness.run.browsers' (tested)
ThirdParty = Literal["stub", "live"]
THIRD_PARTY_MODES: Final[tuple[ThirdParty, ...]] = ("stub", "live")

CONFIG_FILE: Final = "telltale.toml"
PYPROJECT: Final = "pyproject.toml"
PYPROJECT_TABLE: Final = ("tool", "telltale")
ENV_PREFIX: Final = "TELLTALE_"
DEFAULT_REPORT: Final = "telltale-report"
NO_SNIPPET: Final = "none"

EnvForm = Literal["text", "list", "bool", "number", "pairs", "table"]

# Every key a config file may hold, in the order docs show them, with how its environment variable is written.
KEYS: Final[dict[str, EnvForm]] = {
    "base_url": "text",
    "browsers": "list",
    "snippet": "text",
    "third_party": "text",
    "map": "pairs",
    "site_api": "list",
    "web_server": "table",  # no variable of its own: one per sub-key, TELLTALE_WEB_SERVER_<SUBKEY>
    "report": "text",
    "trust_upstream": "bool",
    "site": "text",
    "observation_window": "number",
    "connect": "list",
    "proxy_host": "text",
    "safe_forms": "list",
}
WEB_SERVER_KEYS: Final[dict[str, EnvForm]] = {
    "command": "text",
    "url": "text",
    "timeout": "number",
    "reuse_existing": "bool",
    "cwd": "text",
}
WEB_SERVER_REQUIRED: Final = ("command", "url")


def env_var(key: str) -> str:
    """The environment variable of a key (``base_url`` → ``TELLTALE_BASE_URL``; ``web_server.url`` →
    ``TELLTALE_WEB_SERVER_URL``)."""
    return ENV_PREFIX + key.replace(".", "_").upper()


@dataclass(frozen=True)
class MapRule:
    """One ``map`` entry: a request whose URL matches ``pattern`` is answered with the contents of ``file``."""

    pattern: str
    file: Path

    def matches(self, url: str) -> bool:
        """Whether ``pattern`` matches the whole ``url`` (query included); each ``*`` stands for any characters."""
        regex = ".*".join(re.escape(part) for part in self.pattern.split("*"))
        return re.fullmatch(regex, url, flags=re.DOTALL) is not None


@dataclass(frozen=True)
class WebServerSettings:
    """The ``web_server`` table: a command that serves the application under test at ``url``."""

    command: str
    url: str
    timeout_s: float = 60.0
    reuse_existing: bool = True
    cwd: Path | None = None  # None only when built by hand; load_settings puts the config file's folder


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every setting with its value, and in :attr:`source` where each value came from.

    ``source`` maps each key (and each ``web_server.<subkey>``) to ``"flag"``, ``"env TELLTALE_<KEY>"``,
    ``"<file>:<line>"`` or ``"default"``.
    """

    base_url: str | None = None  # None: no application of the user's; the demo site is tested
    browsers: tuple[BrowserName, ...] = ("chromium",)
    snippet: Path | None = SHIPPED_SNIPPET  # None: inject no snippet ("none")
    third_party: ThirdParty = "stub"
    map: tuple[MapRule, ...] = ()
    site_api: tuple[tuple[str, str], ...] = ()  # (METHOD, absolute URL)
    web_server: WebServerSettings | None = None
    report: Path = Path(DEFAULT_REPORT)
    trust_upstream: bool = False
    site: Path | None = None  # None: the demo site next to the scenarios
    observation_window: float = 30.0  # seconds each page's pending timers get before it goes (harness.run.window)
    connect: tuple[str, ...] = ()  # Playwright browser servers (ws:// endpoints) to run the browsers on
    proxy_host: str = "127.0.0.1"  # the address the capturing proxy listens on, as the browsers reach it
    safe_forms: tuple[str, ...] = ()  # forms `telltale scan` may submit without --submit (their selectors)
    root: Path = Path(".")  # the config file's folder, else the folder the search started from
    config_file: Path | None = None
    source: dict[str, str] = field(default_factory=dict)

    def explain(self) -> list[str]:
        """One line per key, ``key = value  (source)``: what a run used and why (for ``-v`` output and reports)."""
        shown: dict[str, object] = {key: getattr(self, key) for key in KEYS if key != "web_server"}
        shown["map"] = [f"{rule.pattern} -> {rule.file}" for rule in self.map]
        shown["site_api"] = [f"{method} {url}" for method, url in self.site_api]
        if self.web_server is None:
            shown["web_server"] = None
        else:
            server = self.web_server
            shown |= {"web_server.command": server.command, "web_server.url": server.url,
                      "web_server.timeout": server.timeout_s, "web_server.reuse_existing": server.reuse_existing,
                      "web_server.cwd": server.cwd}
        return [f"{key} = {_shown_value(value)}  ({self.source.get(key, 'default')})" for key, value in shown.items()]


def _shown_value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, Path | str):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_shown_value(item) for item in value) + "]"
    return repr(value).lower() if isinstance(value, bool) else repr(value)


# -- where a value was written ---------------------------------------------------------------------------------------

_PART = r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+'
_DOTTED = rf"(?:{_PART})(?:\s*\.\s*(?:{_PART}))*"
_HEADER = re.compile(rf"\s*\[\[?\s*({_DOTTED})\s*\]")
_ASSIGNMENT = re.compile(rf"\s*({_DOTTED})\s*=")


def _key_parts(dotted: str) -> tuple[str, ...]:
    parts = []
    for match in re.finditer(_PART, dotted):
        part = match.group(0)
        if part.startswith('"'):
            try:
                part = str(tomllib.loads(f"k = {part}")["k"])
            except tomllib.TOMLDecodeError:
                part = part[1:-1]
        elif part.startswith("'"):
            part = part[1:-1]
        parts.append(part)
    return tuple(parts)


class _KeyLines:
    """The line each key path of a TOML text is first written on, found by scanning table headers and ``key =``
    lines (tomllib keeps no positions). Keys inside multi-line strings could fool it; config files have none."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                table = _key_parts(header.group(1))
                self.lines.setdefault(table, number)
                continue
            assignment = _ASSIGNMENT.match(line)
            if assignment:
                full = table + _key_parts(assignment.group(1))
                for end in range(len(table) + 1, len(full) + 1):
                    self.lines.setdefault(full[:end], number)

    def find(self, path: tuple[str, ...]) -> int:
        """The line of ``path``, else of its nearest enclosing key or table that was found, else 1."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


@dataclass(frozen=True)
class _Place:
    """Where a value was written: a file's key (its line is looked up when needed), an environment variable or a
    flag; ``base`` is the folder its relative paths start from."""

    label: str  # a file's shown name, "env TELLTALE_X" or "flag"
    base: Path
    lines: _KeyLines | None = None
    path: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.label}:{self.lines.find(self.path)}" if self.lines is not None else self.label

    def child(self, *names: str) -> _Place:
        return _Place(self.label, self.base, self.lines, self.path + names)

    def error(self, message: str) -> UsageError:
        return UsageError(f"{self.where}: {message}")


def _describe(raw: object) -> str:
    if isinstance(raw, bool):
        return f"boolean {str(raw).lower()}"
    if isinstance(raw, int | float):
        return f"number {raw!r}"
    if isinstance(raw, str):
        return f"string {raw!r}"
    if isinstance(raw, os.PathLike):
        return f"path {os.fspath(raw)!r}"
    if isinstance(raw, list | tuple):
        text = f"list {list(raw)!r}"
        return text if len(text) <= 80 else text[:79] + "…]"
    if isinstance(raw, Mapping):
        return "a table"
    return f"{type(raw).__name__} {raw!r}"  # TOML dates and times


def _wrong(place: _Place, key: str, expected: str, raw: object) -> UsageError:
    return place.error(f"'{key}' must be {expected}, got {_describe(raw)}")


# -- one converter per kind of value: raw (TOML, flag or parsed environment) → typed, or a one-line error ---------------


def is_http_url(raw: object) -> bool:
    """Whether ``raw`` is an absolute ``http://`` or ``https://`` URL with a host."""
    if not isinstance(raw, str):
        return False
    parts = urlsplit(raw)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _url(raw: object, place: _Place, key: str) -> str:
    if not is_http_url(raw):
        raise _wrong(place, key, "an http(s) URL", raw)
    assert isinstance(raw, str)
    return raw


def _text(raw: object, place: _Place, key: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _wrong(place, key, "a non-empty string", raw)
    return raw


def _path(raw: object, place: _Place, key: str) -> Path:
    if not isinstance(raw, str | os.PathLike) or not os.fspath(raw).strip():
        raise _wrong(place, key, "a path", raw)
    return place.base / Path(os.fspath(raw)).expanduser()


def _bool(raw: object, place: _Place, key: str) -> bool:
    if not isinstance(raw, bool):
        raise _wrong(place, key, "true or false", raw)
    return raw


def _seconds(raw: object, place: _Place, key: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 < raw < float("inf"):
        raise _wrong(place, key, "a number of seconds greater than 0", raw)
    return float(raw)


def _window(raw: object, place: _Place, key: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw < float("inf"):
        raise _wrong(place, key, "a number of seconds, 0 or more", raw)
    return float(raw)


def _endpoints(raw: object, place: _Place, key: str) -> tuple[str, ...]:
    expected = "a list of Playwright browser server endpoints (ws://host:port/path or wss://...)"
    if not isinstance(raw, list | tuple):
        raise _wrong(place, key, expected, raw)
    for item in raw:
        parts = urlsplit(item) if isinstance(item, str) else None
        if parts is None or parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise _wrong(place, key, expected, item)
    return tuple(dict.fromkeys(raw))


def _selectors(raw: object, place: _Place, key: str) -> tuple[str, ...]:
    expected = "a list of form selectors as `telltale scan` names them (e.g. '#search-form')"
    if not isinstance(raw, list | tuple) or not all(isinstance(item, str) and item.strip() for item in raw):
        raise _wrong(place, key, expected, raw)
    return tuple(dict.fromkeys(item.strip() for item in raw))


def _host(raw: object, place: _Place, key: str) -> str:
    if not isinstance(raw, str) or not raw.strip() or any(c in raw.strip() for c in "/ "):
        raise _wrong(place, key, "an address of this machine the browsers can reach (e.g. 10.0.0.5)", raw)
    return raw.strip()


def _browsers(raw: object, place: _Place, key: str) -> tuple[BrowserName, ...]:
    expected = f"a non-empty list of {', '.join(BROWSER_NAMES)}"
    if not isinstance(raw, list | tuple) or not raw:
        raise _wrong(place, key, expected, raw)
    chosen: list[BrowserName] = []
    for item in raw:
        name = next((b for b in BROWSER_NAMES if b == item), None)
        if name is None:
            raise _wrong(place, key, expected, raw)
        if name not in chosen:
            chosen.append(name)
    return tuple(chosen)


def _snippet(raw: object, place: _Place, key: str) -> Path | None:
    if raw == NO_SNIPPET:
        return None
    if not isinstance(raw, str | os.PathLike) or not os.fspath(raw).strip():
        raise _wrong(place, key, f'a path to a .js file or "{NO_SNIPPET}"', raw)
    return _path(raw, place, key)


def _third_party(raw: object, place: _Place, key: str) -> ThirdParty:
    mode = next((m for m in THIRD_PARTY_MODES if m == raw), None)
    if mode is None:
        raise _wrong(place, key, " or ".join(THIRD_PARTY_MODES), raw)
    return mode


def _map(raw: object, place: _Place, key: str) -> tuple[MapRule, ...]:
    if not isinstance(raw, Mapping):
        raise _wrong(place, key, "a table of URL or URL pattern = file", raw)
    rules = []
    for pattern, file in raw.items():
        at = place.child(str(pattern))
        if not isinstance(pattern, str) or not (is_http_url(pattern) or pattern.startswith("*")):
            raise at.error(f"'{key}' entry {pattern!r} must be an http(s) URL or a pattern with *")
        path = _path(file, at, f"{key}.{pattern}")
        if not path.is_file():
            raise at.error(f"'{key}' entry {pattern!r}: file {file} does not exist")
        rules.append(MapRule(pattern, path))
    return tuple(rules)


def _site_api(raw: object, place: _Place, key: str) -> tuple[tuple[str, str], ...]:
    expected = "a list of 'METHOD URL' strings (e.g. 'POST https://example.com/api/x' or 'POST /api/x')"
    if not isinstance(raw, list | tuple):
        raise _wrong(place, key, expected, raw)
    calls = []
    for item in raw:
        parts = item.split() if isinstance(item, str) else []
        if len(parts) != 2 or not parts[0].isalpha() or not (is_http_url(parts[1]) or parts[1].startswith("/")):
            raise _wrong(place, key, expected, item)
        calls.append((parts[0].upper(), parts[1]))
    return tuple(calls)


# -- environment variables: text → the raw value a file would hold -------------------------------------------------


def _from_env(text: str, form: EnvForm, place: _Place, key: str) -> object:
    text = text.strip()
    if form == "list":
        return [item.strip() for item in text.split(",") if item.strip()]
    if form == "bool":
        spelled = {"1": True, "true": True, "0": False, "false": False}.get(text.lower())
        if spelled is None:
            raise _wrong(place, key, "1, 0, true or false", text)
        return spelled
    if form == "number":
        try:
            return float(text)
        except ValueError:
            return text  # the key's converter says what it expected
    if form == "pairs":
        pairs: dict[str, str] = {}
        for item in (item.strip() for item in text.split(",")):
            pattern, equals, file = item.rpartition("=")
            if not equals or not pattern.strip() or not file.strip():
                raise _wrong(place, key, "comma-separated PATTERN=FILE pairs", text)
            pairs[pattern.strip()] = file.strip()
        return pairs
    return text


# -- the config file -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ConfigFile:
    path: Path
    table: tuple[str, ...]  # where the keys are: () in telltale.toml, ("tool", "telltale") in pyproject.toml
    text: str
    data: dict[str, object]

    @property
    def place(self) -> _Place:
        return _Place(_shown(self.path), self.path.parent, _KeyLines(self.text), self.table)


def _shown(path: Path) -> str:
    """A path as errors show it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read_toml(path: Path) -> tuple[str, dict[str, object]]:
    shown = _shown(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{shown}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{shown}: not UTF-8 text") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        at = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if at:
            line, column = int(at.group(1)), int(at.group(2))
        else:  # "(at end of document)"
            last = text.split("\n")
            line, column = len(last), len(last[-1]) + 1
        detail = re.sub(r"\s*\(at [^()]*\)$", "", message)
        raise UsageError(f"{shown}:{line}:{column}: invalid TOML: {detail}") from None


def _config_in(folder: Path) -> _ConfigFile | None:
    candidate = folder / CONFIG_FILE
    if candidate.is_file():
        text, data = _read_toml(candidate)
        return _ConfigFile(candidate, (), text, data)
    candidate = folder / PYPROJECT
    if candidate.is_file():
        try:
            mentions = "telltale" in candidate.read_text(encoding="utf-8", errors="replace")
        except OSError:
            mentions = True  # let _read_toml say what is wrong
        if mentions:  # someone else's pyproject.toml is none of our business, even a broken one
            text, data = _read_toml(candidate)
            tool = data.get("tool")
            if isinstance(tool, dict) and "telltale" in tool:
                return _ConfigFile(candidate, PYPROJECT_TABLE, text, data)
    return None


def _find(start: Path) -> _ConfigFile | None:
    folder = start.absolute()
    for candidate in (folder, *folder.parents):
        found = _config_in(candidate)
        if found is not None:
            return found
    return None


def find_config(start: Path) -> Path | None:
    """The config file that :func:`load_settings` would read for the folder ``start``, or None. Raises
    :class:`UsageError` when a candidate cannot be read or is not valid TOML."""
    found = _find(start)
    return found.path if found is not None else None


# -- the layers --------------------------------------------------------------------------------------------------------


@dataclass
class _Layer:
    """The values one layer gives, raw, each with its place (keys of web_server as ``web_server.<subkey>``)."""

    values: dict[str, tuple[object, _Place]] = field(default_factory=dict)


def _give(layer: _Layer, key: str, value: object, at: _Place) -> None:
    """Put one key's raw value in ``layer``; a table's keys go in one by one, as ``key.subkey``."""
    if KEYS[key] != "table":
        layer.values[key] = (value, at)
        return
    if not isinstance(value, Mapping):
        raise _wrong(at, key, f"a table with keys {', '.join(WEB_SERVER_KEYS)}", value)
    for sub, sub_value in value.items():
        if sub not in WEB_SERVER_KEYS:
            raise at.child(sub).error(f"unknown key '{sub}' in {key}; allowed: {', '.join(WEB_SERVER_KEYS)}")
        if sub_value is not None:  # a flag not given
            layer.values[f"{key}.{sub}"] = (sub_value, at.child(sub))


def _file_layer(config: _ConfigFile) -> _Layer:
    layer = _Layer()
    place = config.place
    table: object = config.data
    for name in config.table:
        table = table.get(name) if isinstance(table, dict) else None
    if not isinstance(table, dict):
        raise _wrong(place, ".".join(config.table), "a table", table)
    for key, value in table.items():
        if key not in KEYS:
            raise place.child(key).error(f"unknown key '{key}'; allowed: {', '.join(KEYS)}")
        _give(layer, key, value, place.child(key))
    return layer


def _env_layer(environ: Mapping[str, str]) -> _Layer:
    layer = _Layer()
    forms: dict[str, EnvForm] = {key: form for key, form in KEYS.items() if form != "table"}
    forms |= {f"web_server.{sub}": form for sub, form in WEB_SERVER_KEYS.items()}
    for key, form in forms.items():
        text = environ.get(env_var(key), "")
        if text.strip():  # an empty variable is unset (CI files often set them to "")
            place = _Place(f"env {env_var(key)}", Path.cwd())
            layer.values[key] = (_from_env(text, form, place, key), place)
    return layer


def _flag_layer(flags: Mapping[str, object]) -> _Layer:
    layer = _Layer()
    for key, value in flags.items():
        if key not in KEYS:
            raise ValueError(f"load_settings: no setting named {key!r}")  # a programming error, not the user's
        if value is not None:
            _give(layer, key, value, _Place("flag", Path.cwd()))
    return layer


_T = TypeVar("_T")
_D = TypeVar("_D")


class _Resolver:
    """Picks each key's value from the highest layer that gives it, checking the value of every layer."""

    def __init__(self, layers: list[_Layer]) -> None:
        self.layers = layers  # lowest first
        self.source: dict[str, str] = {}
        self.places: dict[str, _Place] = {}

    def given(self, key: str) -> bool:
        return any(key in layer.values for layer in self.layers)

    def highest_place(self, keys: list[str]) -> _Place:
        """Where the highest layer that gives any of ``keys`` gave the first of them."""
        for layer in reversed(self.layers):
            for key in keys:
                if key in layer.values:
                    return layer.values[key][1]
        raise KeyError(keys)

    def get(self, key: str, convert: Callable[[object, _Place, str], _T], default: _D) -> _T | _D:
        chosen: _T | _D = default
        self.source[key] = "default"
        for layer in self.layers:
            if key in layer.values:
                raw, place = layer.values[key]
                chosen, self.source[key], self.places[key] = convert(raw, place, key), place.where, place
        return chosen


def _web_server(resolve: _Resolver, root: Path) -> WebServerSettings | None:
    keys = [f"web_server.{sub}" for sub in WEB_SERVER_KEYS]
    if not any(resolve.given(key) for key in keys):
        resolve.source["web_server"] = "default"
        return None
    command = resolve.get("web_server.command", _text, "")
    url = resolve.get("web_server.url", _url, "")
    timeout = resolve.get("web_server.timeout", _seconds, 60.0)
    reuse = resolve.get("web_server.reuse_existing", _bool, True)
    cwd = resolve.get("web_server.cwd", _path, root)
    for required in WEB_SERVER_REQUIRED:
        if resolve.source[f"web_server.{required}"] == "default":
            place = resolve.highest_place(keys)
            if place.lines is not None:  # point at the table, not at one of its keys
                place = _Place(place.label, place.base, place.lines, place.path[:-1])
            raise place.error(f"'web_server' is missing '{required}' (required: {', '.join(WEB_SERVER_REQUIRED)})")
    resolve.source["web_server"] = resolve.source["web_server.command"]
    return WebServerSettings(command, url, timeout, reuse, cwd)


def _absolute_site_api(resolve: _Resolver,
                       calls: tuple[tuple[str, str], ...], base_url: str | None) -> tuple[tuple[str, str], ...]:
    """``site_api`` with each path (``POST /api/x``) joined to ``base_url``."""
    resolved = []
    for method, url in calls:
        if url.startswith("/"):
            if base_url is None:
                raise resolve.places["site_api"].error(f"'site_api' entry '{method} {url}' is a path, and base_url is not set")
            url = urljoin(base_url, url)
        resolved.append((method, url))
    return tuple(resolved)


def load_settings(start: Path, flags: Mapping[str, object], environ: Mapping[str, str]) -> Settings:
    """Every setting, from ``flags`` (keys of :data:`KEYS`; None means not given; ``web_server`` a mapping of its
    sub-keys), ``environ`` (``TELLTALE_<KEY>``), the config file nearest ``start`` and the defaults, in that order
    of precedence. Raises :class:`UsageError` with one line naming the file and line (or variable, or flag)."""
    config = _find(start)
    root = config.path.parent if config is not None else start.absolute()
    layers = [_file_layer(config)] if config is not None else []
    resolve = _Resolver([*layers, _env_layer(environ), _flag_layer(flags)])
    base_url: str | None = resolve.get("base_url", _url, None)
    return Settings(
        base_url=base_url,
        browsers=resolve.get("browsers", _browsers, Settings.browsers),
        snippet=resolve.get("snippet", _snippet, SHIPPED_SNIPPET),
        third_party=resolve.get("third_party", _third_party, Settings.third_party),
        map=resolve.get("map", _map, ()),
        site_api=_absolute_site_api(resolve, resolve.get("site_api", _site_api, ()), base_url),
        web_server=_web_server(resolve, root),
        report=resolve.get("report", _path, root / DEFAULT_REPORT),
        trust_upstream=resolve.get("trust_upstream", _bool, False),
        site=resolve.get("site", _path, None),
        observation_window=resolve.get("observation_window", _window, Settings.observation_window),
        connect=resolve.get("connect", _endpoints, ()),
        proxy_host=resolve.get("proxy_host", _host, Settings.proxy_host),
        safe_forms=resolve.get("safe_forms", _selectors, ()),
        root=root,
        config_file=config.path if config is not None else None,
        source=resolve.source,
    )


__all__ = [
    "BROWSER_NAMES",
    "CONFIG_FILE",
    "KEYS",
    "WEB_SERVER_KEYS",
    "BrowserName",
    "MapRule",
    "Settings",
    "ThirdParty",
    "WebServerSettings",
    "env_var",
    "find_config",
    "is_http_url",
    "load_settings",
]
