"""Settings (harness/config.py): the file search, the precedence of flags, environment, file and defaults, paths
relative to the file, and one exact line for every malformed value."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import get_args

import pytest

from harness import config
from harness.config import MapRule, Settings, WebServerSettings, env_var, find_config, load_settings
from harness.errors import UsageError
from harness.resources import SHIPPED_SNIPPET
from harness.run import browsers

DOCS = Path(__file__).resolve().parent.parent / "docs" / "config.md"
ALLOWED = "allowed: base_url, browsers, snippet, third_party, map, site_api, web_server, report, trust_upstream, site, observation_window, connect, proxy_host, safe_forms"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder, also the working directory (so errors name files relative to it)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(folder: Path, flags: dict[str, object] | None = None, environ: dict[str, str] | None = None) -> Settings:
    return load_settings(folder, flags or {}, environ or {})


# -- defaults and precedence -------------------------------------------------------------------------------------------


def test_without_a_config_file_every_value_is_its_default(project: Path) -> None:
    settings = load(project)
    assert settings == Settings(report=project / "telltale-report", root=project, source=settings.source)
    assert settings.snippet == SHIPPED_SNIPPET and settings.browsers == ("chromium",) and settings.web_server is None
    assert settings.config_file is None
    assert set(settings.source.values()) == {"default"}
    assert set(settings.source) == set(config.KEYS)


@pytest.mark.parametrize(
    ("flag", "env", "expected", "source"),
    [
        ("http://flag.test/", "http://env.test/", "http://flag.test/", "flag"),
        (None, "http://env.test/", "http://env.test/", "env TELLTALE_BASE_URL"),
        (None, "", "http://file.test/", "telltale.toml:2"),  # an empty variable counts as unset
        (None, None, "http://file.test/", "telltale.toml:2"),
    ],
)
def test_a_flag_beats_the_environment_which_beats_the_file(
    project: Path, flag: str | None, env: str | None, expected: str, source: str
) -> None:
    write(project, "telltale.toml", '# the app\nbase_url = "http://file.test/"\n')
    environ = {} if env is None else {"TELLTALE_BASE_URL": env}
    settings = load(project, {"base_url": flag}, environ)
    assert settings.base_url == expected
    assert settings.source["base_url"] == source


def test_every_key_is_read_from_its_environment_variable(project: Path) -> None:
    write(project, "vendor.js", "// stub")
    write(project, "demo/index.html", "<p>hi</p>")
    environ = {
        "TELLTALE_BASE_URL": "https://app.test:8443",
        "TELLTALE_BROWSERS": "firefox, webkit,firefox",
        "TELLTALE_SNIPPET": "none",
        "TELLTALE_THIRD_PARTY": "live",
        "TELLTALE_MAP": "https://cdn.test/a.js?v=1=vendor.js, https://cdn.test/b/*=vendor.js",
        "TELLTALE_SITE_API": "post /api/contact,GET https://app.test:8443/api/me",
        "TELLTALE_WEB_SERVER_COMMAND": "npm start",
        "TELLTALE_WEB_SERVER_URL": "http://127.0.0.1:3000/health",
        "TELLTALE_WEB_SERVER_TIMEOUT": "2.5",
        "TELLTALE_WEB_SERVER_REUSE_EXISTING": "0",
        "TELLTALE_WEB_SERVER_CWD": "app",
        "TELLTALE_REPORT": "out",
        "TELLTALE_TRUST_UPSTREAM": "TRUE",
        "TELLTALE_SITE": "demo",
        "TELLTALE_OBSERVATION_WINDOW": "12.5",
        "TELLTALE_CONNECT": "ws://10.0.0.7:3000/",
        "TELLTALE_PROXY_HOST": "10.0.0.5",
        "TELLTALE_SAFE_FORMS": "#search-form, #newsletter-form",
    }
    settings = load(project, environ=environ)
    assert settings == Settings(
        base_url="https://app.test:8443",
        browsers=("firefox", "webkit"),
        snippet=None,
        third_party="live",
        map=(MapRule("https://cdn.test/a.js?v=1", project / "vendor.js"), MapRule("https://cdn.test/b/*", project / "vendor.js")),
        site_api=(("POST", "https://app.test:8443/api/contact"), ("GET", "https://app.test:8443/api/me")),
        web_server=WebServerSettings("npm start", "http://127.0.0.1:3000/health", 2.5, False, project / "app"),
        report=project / "out",
        trust_upstream=True,
        site=project / "demo",
        observation_window=12.5,
        connect=("ws://10.0.0.7:3000/",),
        proxy_host="10.0.0.5",
        safe_forms=("#search-form", "#newsletter-form"),
        root=project,
        source=settings.source,
    )
    assert settings.source == {key: f"env {env_var(key)}" for key in settings.source if key != "web_server"} | {
        "web_server": "env TELLTALE_WEB_SERVER_COMMAND"
    }


@pytest.mark.parametrize(("text", "expected"), [("1", True), ("true", True), ("True", True), ("0", False), ("false", False)])
def test_environment_booleans_are_1_0_true_false(project: Path, text: str, expected: bool) -> None:
    assert load(project, environ={"TELLTALE_TRUST_UPSTREAM": text}).trust_upstream is expected


def test_every_key_is_read_from_flags(project: Path) -> None:
    write(project, "tracker.js", "// t")
    flags: dict[str, object] = {
        "base_url": "http://127.0.0.1:8000",
        "browsers": ["webkit"],
        "snippet": Path("tracker.js"),
        "third_party": "stub",
        "map": {"*.example.com/*": "tracker.js"},
        "site_api": ("PUT /api/cart",),
        "web_server": {"command": "make serve", "url": "http://127.0.0.1:8000/", "timeout": 9, "reuse_existing": None},
        "report": "r",
        "trust_upstream": True,
        "site": None,
        "observation_window": 0,
    }
    settings = load(project, flags)
    assert settings.snippet == project / "tracker.js"
    assert settings.map == (MapRule("*.example.com/*", project / "tracker.js"),)
    assert settings.site_api == (("PUT", "http://127.0.0.1:8000/api/cart"),)
    assert settings.web_server == WebServerSettings("make serve", "http://127.0.0.1:8000/", 9.0, True, project)
    assert settings.report == project / "r" and settings.trust_upstream and settings.site is None
    assert settings.source["site"] == "default" and settings.source["web_server.reuse_existing"] == "default"
    assert settings.source["web_server.timeout"] == "flag"
    assert settings.observation_window == 0.0 and settings.source["observation_window"] == "flag"


def test_a_flag_naming_no_setting_is_a_programming_error(project: Path) -> None:
    with pytest.raises(ValueError, match="no setting named 'browser'"):
        load(project, {"browser": ["firefox"]})


def test_web_server_keys_are_merged_one_by_one_across_layers(project: Path) -> None:
    write(project, "telltale.toml", '[web_server]\ncommand = "npm start"\nurl = "http://127.0.0.1:3000"\n')
    settings = load(project, {"web_server": {"timeout": 5}}, {"TELLTALE_WEB_SERVER_REUSE_EXISTING": "false"})
    assert settings.web_server == WebServerSettings("npm start", "http://127.0.0.1:3000", 5.0, False, project)
    assert settings.source["web_server"] == settings.source["web_server.command"] == "telltale.toml:2"
    assert settings.source["web_server.reuse_existing"] == "env TELLTALE_WEB_SERVER_REUSE_EXISTING"
    assert settings.source["web_server.timeout"] == "flag"


def test_a_bad_value_in_the_file_is_reported_even_when_a_flag_overrides_it(project: Path) -> None:
    write(project, "telltale.toml", 'browsers = "chrome"\n')
    with pytest.raises(UsageError, match=r"^telltale.toml:1: 'browsers'"):
        load(project, {"browsers": ["firefox"]})


# -- the file: where it is found, what its paths mean -------------------------------------------------------------------


def test_the_nearest_config_file_above_the_start_folder_is_read(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, "telltale.toml", 'report = "out"\nsnippet = "js/t.js"\nsite = "demo"\n[web_server]\ncommand = "serve"\n'
                                    'url = "http://127.0.0.1:1"\ncwd = "app"\n[map]\n"https://cdn.test/x.js" = "stubs/x.js"\n')
    write(project, "stubs/x.js", "")
    start = project / "tests" / "deep"
    start.mkdir(parents=True)
    monkeypatch.chdir(start)
    settings = load(start)
    assert find_config(start) == settings.config_file == project / "telltale.toml"
    assert settings.root == project
    # paths in the file are relative to the file's folder, not to where the search started
    assert settings.report == project / "out" and settings.snippet == project / "js" / "t.js"
    assert settings.site == project / "demo" and settings.map == (MapRule("https://cdn.test/x.js", project / "stubs" / "x.js"),)
    assert settings.web_server is not None and settings.web_server.cwd == project / "app"


def test_paths_given_as_flags_or_variables_are_relative_to_the_working_directory(project: Path) -> None:
    write(project, "telltale.toml", 'report = "from-file"\n')
    (project / "sub").mkdir()
    start = project / "sub"
    assert load(start, {"report": "r1"}).report == project / "r1"
    assert load(start, environ={"TELLTALE_REPORT": "r2"}).report == project / "r2"


def test_defaults_with_paths_are_in_the_config_file_folder(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.telltale]\n[tool.telltale.web_server]\ncommand = "x"\nurl = "http://h.test"\n')
    nested = project / "nested"
    nested.mkdir()
    settings = load(nested)
    assert settings.report == project / "telltale-report"
    assert settings.web_server is not None and settings.web_server.cwd == project
    assert settings.source["web_server.url"] == "pyproject.toml:4"


def test_telltale_toml_wins_over_pyproject_in_the_same_folder(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.telltale]\nthird_party = "live"\n')
    write(project, "telltale.toml", 'third_party = "stub"\n')
    settings = load(project)
    assert settings.config_file == project / "telltale.toml"
    assert settings.third_party == "stub"


def test_a_nearer_pyproject_wins_over_a_telltale_toml_further_up(project: Path) -> None:
    write(project, "telltale.toml", 'third_party = "stub"\n')
    write(project, "app/pyproject.toml", '[project]\nname = "app"\n\n[tool.telltale]\nthird_party = "live"\n')
    settings = load(project / "app")
    assert settings.third_party == "live" and settings.source["third_party"] == "app/pyproject.toml:5"


def test_a_pyproject_without_a_telltale_table_is_passed_over(project: Path) -> None:
    write(project, "telltale.toml", 'third_party = "live"\n')
    write(project, "a/pyproject.toml", '[project]\nname = "telltale-user"\ndependencies = ["telltale"]\n[tool.ruff]\n')
    write(project, "a/b/pyproject.toml", "this is [not toml\n")  # someone else's broken file, not mentioning us
    assert load(project / "a" / "b").config_file == project / "telltale.toml"


def test_an_empty_telltale_toml_is_a_valid_config(project: Path) -> None:
    write(project, "telltale.toml", "")
    settings = load(project)
    assert settings.config_file == project / "telltale.toml" and settings.base_url is None


def test_a_file_outside_the_working_directory_is_named_by_its_full_path(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, "telltale.toml", "\nbrowsers = []\n")
    inner = project / "work"
    inner.mkdir()
    monkeypatch.chdir(inner)
    with pytest.raises(UsageError) as error:
        load(inner)
    assert str(error.value).startswith(f"{project / 'telltale.toml'}:2: 'browsers' must be a non-empty list")


def test_snippet_none_injects_nothing_from_any_layer(project: Path) -> None:
    write(project, "telltale.toml", 'snippet = "none"\n')
    assert load(project).snippet is None
    assert load(project, {"snippet": "t.js"}).snippet == project / "t.js"


def test_site_api_paths_join_the_base_url_and_methods_are_upper_case(project: Path) -> None:
    write(project, "telltale.toml", 'base_url = "https://app.test/shop/"\nsite_api = ["post /api/a", "delete https://other.test/x"]\n')
    assert load(project).site_api == (("POST", "https://app.test/api/a"), ("DELETE", "https://other.test/x"))


@pytest.mark.parametrize(
    ("pattern", "url", "matches"),
    [
        ("https://cdn.test/a.js", "https://cdn.test/a.js", True),
        ("https://cdn.test/a.js", "https://cdn.test/a.js?v=2", False),  # the whole URL, query included
        ("https://cdn.test/a.js*", "https://cdn.test/a.js?v=2", True),
        ("https://cdn.test/*.js", "https://cdn.test/lib/x.js", True),
        ("https://cdn.test/*.js", "https://cdn.test/lib/x.css", False),
        ("*://*.tracker.test/*", "http://eu.tracker.test/t.js", True),
        ("https://cdn.test/a.js", "https://cdnXtest/a.js", False),  # a dot is a dot
    ],
)
def test_a_map_pattern_matches_whole_urls_with_stars(pattern: str, url: str, matches: bool) -> None:
    assert MapRule(pattern, Path("x.js")).matches(url) is matches


def test_explain_lists_every_value_with_its_source(project: Path) -> None:
    write(project, "telltale.toml", '\nbase_url = "http://127.0.0.1:8000"\n')
    lines = load(project, {"browsers": ["firefox"]}).explain()
    assert "base_url = http://127.0.0.1:8000  (telltale.toml:2)" in lines
    assert "browsers = [firefox]  (flag)" in lines
    assert "web_server = none  (default)" in lines
    assert len(lines) == len(config.KEYS)


# -- malformed settings: one exact line each ---------------------------------------------------------------------------

MALFORMED: list[tuple[str, str, str, str]] = [
    # (case, file, text, the whole message)
    ("unknown key", "telltale.toml", 'base_url = "http://a.test"\n# browsers\n\nbrowser = ["firefox"]\n',
     f"telltale.toml:4: unknown key 'browser'; {ALLOWED}"),
    ("unknown quoted key", "telltale.toml", '"browser" = ["firefox"]\n', f"telltale.toml:1: unknown key 'browser'; {ALLOWED}"),
    ("unknown key in pyproject, same name in another table", "pyproject.toml",
     '[project]\nname = "shop"\nbrowser = 1\n\n[tool.telltale]\nbase_url = "http://a.test"\nbrowser = ["firefox"]\n',
     f"pyproject.toml:7: unknown key 'browser'; {ALLOWED}"),
    ("unknown key in web_server", "telltale.toml", '[web_server]\ncommand = "npm start"\nport = 3000\n',
     "telltale.toml:3: unknown key 'port' in web_server; allowed: command, url, timeout, reuse_existing, cwd"),
    ("browsers a string", "telltale.toml", 'browsers = "chrome"\n',
     "telltale.toml:1: 'browsers' must be a non-empty list of chromium, firefox, webkit, got string 'chrome'"),
    ("browsers unknown", "telltale.toml", '\nbrowsers = ["chromium", "edge"]\n',
     "telltale.toml:2: 'browsers' must be a non-empty list of chromium, firefox, webkit, got list ['chromium', 'edge']"),
    ("base_url not http", "telltale.toml", 'base_url = "localhost:8000"\n',
     "telltale.toml:1: 'base_url' must be an http(s) URL, got string 'localhost:8000'"),
    ("trust_upstream a string", "pyproject.toml", '[tool.telltale]\ntrust_upstream = "yes"\n',
     "pyproject.toml:2: 'trust_upstream' must be true or false, got string 'yes'"),
    ("third_party unknown", "telltale.toml", 'third_party = "block"\n',
     "telltale.toml:1: 'third_party' must be stub or live, got string 'block'"),
    ("snippet a number", "telltale.toml", "snippet = 3\n",
     "telltale.toml:1: 'snippet' must be a path to a .js file or \"none\", got number 3"),
    ("observation_window negative", "telltale.toml", "observation_window = -1\n",
     "telltale.toml:1: 'observation_window' must be a number of seconds, 0 or more, got number -1"),
    ("observation_window a string", "telltale.toml", 'observation_window = "30s"\n',
     "telltale.toml:1: 'observation_window' must be a number of seconds, 0 or more, got string '30s'"),
    ("report empty", "telltale.toml", 'report = ""\n', "telltale.toml:1: 'report' must be a path, got string ''"),
    ("site a date", "telltale.toml", "site = 2024-01-01\n", "telltale.toml:1: 'site' must be a path, got date datetime.date(2024, 1, 1)"),
    ("site_api without a method", "telltale.toml", 'site_api = ["https://a.test/api"]\n',
     "telltale.toml:1: 'site_api' must be a list of 'METHOD URL' strings (e.g. 'POST https://example.com/api/x' or "
     "'POST /api/x'), got string 'https://a.test/api'"),
    ("site_api path without base_url", "telltale.toml", 'site_api = ["POST /api/x"]\n',
     "telltale.toml:1: 'site_api' entry 'POST /api/x' is a path, and base_url is not set"),
    ("web_server a string", "telltale.toml", 'web_server = "npm start"\n',
     "telltale.toml:1: 'web_server' must be a table with keys command, url, timeout, reuse_existing, cwd, got string 'npm start'"),
    ("web_server timeout a string", "telltale.toml", '[web_server]\ncommand = "npm start"\nurl = "http://a.test"\ntimeout = "soon"\n',
     "telltale.toml:4: 'web_server.timeout' must be a number of seconds greater than 0, got string 'soon'"),
    ("web_server timeout zero, dotted key", "telltale.toml",
     'web_server.command = "npm start"\nweb_server.url = "http://a.test"\nweb_server.timeout = 0\n',
     "telltale.toml:3: 'web_server.timeout' must be a number of seconds greater than 0, got number 0"),
    ("web_server reuse_existing a number", "pyproject.toml",
     '[tool.telltale.web_server]\ncommand = "x"\nurl = "http://a.test"\nreuse_existing = 1\n',
     "pyproject.toml:4: 'web_server.reuse_existing' must be true or false, got number 1"),
    ("web_server without url", "telltale.toml", 'base_url = "http://a.test"\n\n[web_server]\ncommand = "npm start"\n',
     "telltale.toml:3: 'web_server' is missing 'url' (required: command, url)"),
    ("web_server without url, dotted keys", "telltale.toml", 'base_url = "http://a.test"\nweb_server.command = "npm start"\n',
     "telltale.toml:2: 'web_server' is missing 'url' (required: command, url)"),
    ("web_server inline without command", "telltale.toml", 'web_server = {url = "http://a.test"}\n',
     "telltale.toml:1: 'web_server' is missing 'command' (required: command, url)"),
    ("map entry with a missing file", "telltale.toml", '[map]\n"https://cdn.test/a.js" = "stubs/a.js"\n"https://cdn.test/b/*" = "stubs/b.js"\n',
     "telltale.toml:3: 'map' entry 'https://cdn.test/b/*': file stubs/b.js does not exist"),
    ("map inline with a missing file", "telltale.toml", 'map = {"https://cdn.test/c.js" = "c.js"}\n',
     "telltale.toml:1: 'map' entry 'https://cdn.test/c.js': file c.js does not exist"),
    ("map pattern not a URL", "telltale.toml", '[map]\n"cdn.test/*" = "stubs/a.js"\n',
     "telltale.toml:2: 'map' entry 'cdn.test/*' must be an http(s) URL or a pattern with *"),
    ("map a list", "telltale.toml", 'map = ["stubs/a.js"]\n',
     "telltale.toml:1: 'map' must be a table of URL or URL pattern = file, got list ['stubs/a.js']"),
    ("tool.telltale not a table", "pyproject.toml", "[tool]\ntelltale = 1\n",
     "pyproject.toml:2: 'tool.telltale' must be a table, got number 1"),
    ("invalid TOML", "telltale.toml", 'base_url = "http://a.test"\nbrowsers = [chromium]\n',
     "telltale.toml:2:13: invalid TOML: Invalid value"),
    ("invalid TOML: a duplicate key", "pyproject.toml", '[tool.telltale]\nsite = "a"\nsite = "b"\n',
     "pyproject.toml:3:11: invalid TOML: Cannot overwrite a value"),
    ("invalid TOML at the end of the document", "telltale.toml", 'report = "a"\nbrowsers = ["firefox"',
     "telltale.toml:2:22: invalid TOML: Unclosed array"),
]


@pytest.mark.parametrize(("case", "name", "text", "message"), MALFORMED, ids=[case[0] for case in MALFORMED])
def test_a_malformed_config_file_names_file_line_and_what_was_expected(
    project: Path, case: str, name: str, text: str, message: str
) -> None:
    write(project, name, text)
    write(project, "stubs/a.js", "")
    with pytest.raises(UsageError) as error:
        load(project)
    assert str(error.value) == message
    assert "\n" not in str(error.value)


MALFORMED_ENV_AND_FLAGS: list[tuple[str, dict[str, object], dict[str, str], str]] = [
    ("env list", {}, {"TELLTALE_BROWSERS": "chromium,edge"},
     "env TELLTALE_BROWSERS: 'browsers' must be a non-empty list of chromium, firefox, webkit, got list ['chromium', 'edge']"),
    ("env boolean", {}, {"TELLTALE_TRUST_UPSTREAM": "yes"},
     "env TELLTALE_TRUST_UPSTREAM: 'trust_upstream' must be 1, 0, true or false, got string 'yes'"),
    ("env number", {}, {"TELLTALE_WEB_SERVER_TIMEOUT": "soon"},
     "env TELLTALE_WEB_SERVER_TIMEOUT: 'web_server.timeout' must be a number of seconds greater than 0, got string 'soon'"),
    ("env window", {}, {"TELLTALE_OBSERVATION_WINDOW": "soon"},
     "env TELLTALE_OBSERVATION_WINDOW: 'observation_window' must be a number of seconds, 0 or more, got string 'soon'"),
    ("flag window", {"observation_window": -2.0}, {},
     "flag: 'observation_window' must be a number of seconds, 0 or more, got number -2.0"),
    ("env map", {}, {"TELLTALE_MAP": "https://cdn.test/a.js"},
     "env TELLTALE_MAP: 'map' must be comma-separated PATTERN=FILE pairs, got string 'https://cdn.test/a.js'"),
    ("env web server without url", {}, {"TELLTALE_WEB_SERVER_COMMAND": "npm start"},
     "env TELLTALE_WEB_SERVER_COMMAND: 'web_server' is missing 'url' (required: command, url)"),
    ("flag browsers", {"browsers": ["edge"]}, {}, "flag: 'browsers' must be a non-empty list of chromium, firefox, webkit, got list ['edge']"),
    ("flag third_party", {"third_party": "off"}, {}, "flag: 'third_party' must be stub or live, got string 'off'"),
    ("flag web_server key", {"web_server": {"port": 1}}, {},
     "flag: unknown key 'port' in web_server; allowed: command, url, timeout, reuse_existing, cwd"),
    ("flag map file", {"map": {"https://a.test/x.js": "nope.js"}}, {}, "flag: 'map' entry 'https://a.test/x.js': file nope.js does not exist"),
    ("flag map absolute file", {"map": {"https://a.test/x.js": "/nonexistent/x.js"}}, {},
     "flag: 'map' entry 'https://a.test/x.js': file /nonexistent/x.js does not exist"),
]


@pytest.mark.parametrize(("case", "flags", "environ", "message"), MALFORMED_ENV_AND_FLAGS,
                         ids=[case[0] for case in MALFORMED_ENV_AND_FLAGS])
def test_a_malformed_variable_or_flag_names_itself(
    project: Path, case: str, flags: dict[str, object], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError) as error:
        load(project, flags, environ)
    assert str(error.value) == message


def test_an_unreadable_config_file_is_one_line(project: Path) -> None:
    (project / "telltale.toml").write_bytes(b'report = "\xff"\n')
    with pytest.raises(UsageError) as error:
        load(project)
    assert str(error.value) == "telltale.toml: not UTF-8 text"


# -- one source for every list ---------------------------------------------------------------------------------------


def test_the_browser_names_are_the_browser_registry_s() -> None:
    assert config.BROWSER_NAMES == browsers.BROWSER_NAMES
    assert get_args(config.BrowserName) == get_args(browsers.BrowserName)


def test_settings_has_a_field_for_every_key() -> None:
    fields = [f.name for f in dataclasses.fields(Settings)]
    assert fields == [*config.KEYS, "root", "config_file", "source"]
    server_fields = [f.name.removesuffix("_s") for f in dataclasses.fields(WebServerSettings)]
    assert server_fields == list(config.WEB_SERVER_KEYS)


def test_the_docs_describe_every_key_and_its_variable() -> None:
    text = DOCS.read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z_.]+)` \|.*$", text, flags=re.MULTILINE)}
    documented = [*(k for k in config.KEYS if k != "web_server"), *(f"web_server.{s}" for s in config.WEB_SERVER_KEYS)]
    assert sorted(rows) == sorted(documented)
    for key in documented:
        assert f"`{env_var(key)}`" in rows[key], f"docs/config.md: the row of {key} does not name {env_var(key)}"
