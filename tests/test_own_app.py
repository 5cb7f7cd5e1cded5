"""Testing the user's own application: scenarios against a real web app on loopback (tests/apps/shop_app.py), its
requests forwarded through the capturing proxy, in Chromium and Firefox, through the CLI and the pytest plugin.

Each leak is caught with the right field, channel and party; the app's own traffic (a form post answered by a
redirect with a session cookie and a CSRF token, a SPA's fetch login, a declared search API) is not a finding.
"""

from __future__ import annotations

import io
import json
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli import ExitStatus, main
from tests.apps.fixtures import shop_app  # noqa: F401 - the fixture, by name
from tests.apps.shop_app import ShopApp

SCENARIOS = Path(__file__).resolve().parent / "apps" / "scenarios"
TREE = Path(__file__).resolve().parent.parent
BROWSERS = ["chromium", "firefox"]


def run_app(tmp_path: Path, app: ShopApp, browser: str, name: str, *extra: str, text: str | None = None) -> tuple[int, dict[str, Any], str]:
    """``telltale run`` of one app scenario (copied, so that its baselines land in tmp_path) against ``app``."""
    folder = tmp_path / "scenarios"
    folder.mkdir(exist_ok=True)
    scenario = folder / f"{name}.yaml"
    if text is None:
        shutil.copy(SCENARIOS / f"{name}.yaml", scenario)
    else:
        scenario.write_text(text)
    report = tmp_path / f"report-{name}-{browser}"
    out, err = io.StringIO(), io.StringIO()
    argv = ["run", str(scenario), "--base-url", app.base_url, "--browser", browser, "--report", str(report), *extra]
    status = main(argv, out, err)
    document = json.loads((report / "results.json").read_text())
    return status, document, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("engine", BROWSERS)
def test_a_real_login_runs_through_the_proxy_and_is_no_finding(tmp_path: Path, shop_app: ShopApp, engine: str) -> None:  # noqa: F811
    before = len(shop_app.requests)
    status, document, output = run_app(tmp_path, shop_app, engine, "login")
    (run,) = document["runs"]
    assert run["status"] == "passed" and status == ExitStatus.OK, output
    # It is the real app: the form post carried the session's CSRF token and was answered by a redirect.
    served = [(r.method, r.path, r.status) for r in shop_app.requests[before:]]
    assert ("POST", "/login", 303) in served and ("GET", "/account", 200) in served
    traffic = json.loads((tmp_path / f"report-login-{engine}" / run["dir"] / "traffic.json").read_text())
    posts = [r for r in traffic["requests"] if r["method"] == "POST" and r["url"].endswith("/login")]
    assert posts and posts[0]["party"] == "first" and posts[0]["status"] == 303


@pytest.mark.parametrize("engine", BROWSERS)
def test_an_inline_tracker_beaconing_a_field_is_caught_as_third_party(tmp_path: Path, shop_app: ShopApp, engine: str) -> None:  # noqa: F811
    status, document, output = run_app(tmp_path, shop_app, engine, "leaky", "--no-snippet")
    (run,) = document["runs"]
    assert status == ExitStatus.CHECK_FAILED and run["status"] == "failed", output
    found = {(f["rule"], f["field"], f["channel"], f["party"]) for f in run["findings"]}
    assert ("not-before-submit", "#signup-email", "beacon", "third") in found, found
    assert all(f["url"].startswith("https://collect.tracker.example/") for f in run["findings"])


@pytest.mark.parametrize("engine", BROWSERS)
def test_a_self_hosted_ingest_endpoint_is_a_first_party_finding(tmp_path: Path, shop_app: ShopApp, engine: str) -> None:  # noqa: F811
    status, document, output = run_app(tmp_path, shop_app, engine, "ingest_leaky", "--no-snippet")
    (run,) = document["runs"]
    assert status == ExitStatus.CHECK_FAILED, output
    parties = {(f["field"], f["party"]) for f in run["findings"] if f["url"].endswith("/ingest")}
    assert ("#signup-email", "first") in parties, run["findings"]


def test_the_apps_own_search_api_is_a_first_party_finding_until_declared(tmp_path: Path, shop_app: ShopApp) -> None:  # noqa: F811
    text = (SCENARIOS / "search.yaml").read_text()
    status, document, output = run_app(tmp_path, shop_app, "chromium", "search", text=text)
    (run,) = document["runs"]
    assert status == ExitStatus.CHECK_FAILED, output
    assert {(f["rule"], f["party"]) for f in run["findings"]} == {("not-before-submit", "first")}
    assert all("/api/search" in f["url"] for f in run["findings"])
    declared = text.replace("start: /search\n", "start: /search\nsite_api: ['GET /api/search']\n")
    status, document, output = run_app(tmp_path, shop_app, "chromium", "search", text=declared)
    assert status == ExitStatus.OK and document["runs"][0]["findings"] == [], output


def test_a_spa_login_by_fetch_is_its_forms_own_submission(tmp_path: Path, shop_app: ShopApp) -> None:  # noqa: F811
    """The password leaves by fetch after the submit, carrying the form's values: the form's own submission."""
    text = (SCENARIOS / "spa_login.yaml").read_text().replace('site_api: ["POST /api/login"]\n', "")
    status, document, output = run_app(tmp_path, shop_app, "chromium", "spa_login", text=text)
    (run,) = document["runs"]
    assert status == ExitStatus.OK and run["findings"] == [], output


def test_the_tracker_the_app_ships_is_tested_with_no_snippet_injected(tmp_path: Path, shop_app: ShopApp) -> None:  # noqa: F811
    status, document, output = run_app(tmp_path, shop_app, "chromium", "with_snippet", "--no-snippet")
    (run,) = document["runs"]
    assert document["snippet"] is None and run["status"] == "passed", output
    collected = [d for d in run["inspected"]["destinations"] if d["origin"] == shop_app.base_url]
    assert collected, run["inspected"]["destinations"]


def test_the_pytest_plugin_runs_app_scenarios_against_the_base_url(pytester: pytest.Pytester, shop_app: ShopApp) -> None:  # noqa: F811
    folder = pytester.path / "scenarios"
    folder.mkdir()
    for name in ("login", "leaky"):
        shutil.copy(SCENARIOS / f"{name}.yaml", folder / f"{name}.yaml")
    result = pytester.runpytest_subprocess(
        "scenarios", "--browser", "chromium", "--base-url", shop_app.base_url, "-p", "no:cacheprovider",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*not-before-submit: #signup-email*beacon*collect.tracker.example/k (third party)*"])


def test_the_tracked_page_fixture_reaches_the_app(
    pytester: pytest.Pytester, shop_app: ShopApp, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(TREE))  # the plugin (Capture.wait_for) from this tree, not the installed one
    pytester.makepyfile(test_app="""
        def test_leaky_page(tracked_page, capture, privacy):
            tracked_page.goto("/leaky")
            tracked_page.type("#signup-email", "ada.lovelace@example.org", delay=20)
            capture.wait_for(lambda c: any(b"ada.lovelace@example.org" in r.body for r in c.requests), "the last keyup's beacon")
            capture.settle()
            found = privacy.findings(sensitive=["ada.lovelace@example.org"])
            assert {(f.channel, f.party) for f in found} == {("beacon", "third")}
            assert any(r.party == "first" and r.status == 200 for r in capture.requests)
    """)
    result = pytester.runpytest_subprocess("--browser", "chromium", "--base-url", shop_app.base_url, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_start_from_nothing_init_then_run_starts_the_app_and_tests_it(tmp_path: Path) -> None:
    """telltale init, then a web_server in telltale.toml: telltale run starts the app, tests it, stops it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    out, err = io.StringIO(), io.StringIO()
    assert main(["init", str(tmp_path), "--base-url", base_url], out, err) == ExitStatus.OK, err.getvalue()
    config = tmp_path / "telltale.toml"
    command = f"{sys.executable} -m tests.apps.shop_app --port {port}"
    config.write_text(config.read_text() + f'\n[web_server]\ncommand = "{command}"\nurl = "{base_url}/login"\n'
                      f'cwd = "{Path(__file__).resolve().parent.parent}"\nreuse_existing = false\n')
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(tmp_path / "scenarios"), "--config", str(tmp_path)], out, err)
    assert status == ExitStatus.OK, out.getvalue() + err.getvalue()
    document = json.loads((tmp_path / "telltale-report" / "results.json").read_text())
    assert [run["status"] for run in document["runs"]] == ["passed"]
    assert "GET /" in (tmp_path / "telltale-report" / "web-server.log").read_text()
    with pytest.raises(OSError):  # stopped with the runs
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, as a developer's local HTTPS server has."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert, pem_key = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    pem_key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, pem_key


def test_an_app_with_a_self_signed_certificate_needs_trust_upstream(tmp_path: Path) -> None:
    with ShopApp(tls=_self_signed(tmp_path)) as app:
        status, document, output = run_app(tmp_path, app, "chromium", "login")
        (run,) = document["runs"]
        assert run["status"] == "error" and status == ExitStatus.CHECK_FAILED, output
        first = run["error"].splitlines()[0]
        assert f"start /login: the app did not answer: {app.base_url}/login: " in first
        assert "certificate" in first and "--trust-upstream" in first, first
        before = len(app.requests)
        status, document, output = run_app(tmp_path, app, "chromium", "login", "--trust-upstream")
        (run,) = document["runs"]
        assert run["status"] == "passed" and status == ExitStatus.OK, output
        assert ("POST", "/login", 303) in [(r.method, r.path, r.status) for r in app.requests[before:]]


# A vendor's tag as a site loads it from a CDN: it beacons the email on each keyup to the vendor's collector.
VENDOR_TAG = """
document.getElementById('signup-email').addEventListener('keyup', (event) => {
  navigator.sendBeacon(COLLECTOR, JSON.stringify({v: event.target.value}));
});
"""


def _vendor_scenario(src: str) -> str:
    return f"""
name: A signup page with a vendor's tag from {src}
start: /vendor-tag?src={src}
secrets:
  email: "{{canary:email}}"
steps:
  - type: {{selector: "#signup-email", text: "{{email}}", delay: 30}}
  - leave: close
"""


@pytest.mark.parametrize("engine", BROWSERS)
def test_a_cdn_tag_mapped_to_a_vendored_copy_runs_hermetically_and_is_caught(
    tmp_path: Path, shop_app: ShopApp, engine: str  # noqa: F811
) -> None:
    vendored = tmp_path / "vendor" / "tag.js"
    vendored.parent.mkdir()
    vendored.write_text(VENDOR_TAG.replace("COLLECTOR", '"https://collect.vendor.example/c"'))
    (tmp_path / "telltale.toml").write_text('[map]\n"https://cdn.vendor.example/tag.js*" = "vendor/tag.js"\n')
    scenario = _vendor_scenario("https://cdn.vendor.example/tag.js?v=3")
    status, document, output = run_app(tmp_path, shop_app, engine, "vendor", "--no-snippet", "--config",
                                       str(tmp_path), text=scenario)
    (run,) = document["runs"]
    assert run["status"] == "failed" and status == ExitStatus.CHECK_FAILED, output
    leaks = {(f["field"], f["channel"], f["party"], f["url"]) for f in run["findings"]}
    assert ("#signup-email", "beacon", "third", "https://collect.vendor.example/c") in leaks, leaks
    # Without the map, the stubbed CDN answers nothing runnable: the tag never runs and nothing is checked.
    (tmp_path / "telltale.toml").unlink()
    status, document, output = run_app(tmp_path, shop_app, engine, "vendor", "--no-snippet", "--config",
                                       str(tmp_path), text=scenario)
    assert document["runs"][0]["status"] == "inconclusive", output


class _VendorServer:
    """A vendor on another loopback port (another origin: a third party): serves its tag, counts its beacons."""

    def __init__(self) -> None:
        import http.server
        import threading

        vendor = self
        self.beacons: list[bytes] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = VENDOR_TAG.replace("COLLECTOR", json.dumps(f"{vendor.origin}/c")).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/javascript")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                vendor.beacons.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("engine", BROWSERS)
def test_live_third_parties_reach_the_real_vendor_and_stub_keeps_them_local(
    tmp_path: Path, shop_app: ShopApp, engine: str  # noqa: F811
) -> None:
    vendor = _VendorServer()
    try:
        scenario = _vendor_scenario(f"{vendor.origin}/tag.js")
        status, document, output = run_app(tmp_path, shop_app, engine, "vendor", "--no-snippet", text=scenario)
        assert document["runs"][0]["status"] == "inconclusive" and vendor.beacons == [], output  # stub: nothing left
        status, document, output = run_app(tmp_path, shop_app, engine, "vendor", "--no-snippet", "--third-party",
                                           "live", text=scenario)
        (run,) = document["runs"]
        assert run["status"] == "failed", output
        assert {(f["field"], f["party"]) for f in run["findings"]} == {("#signup-email", "third")}
        assert vendor.beacons, "live: the vendor's real collector got the beacons"
    finally:
        vendor.close()


def test_chromium_names_the_script_that_sent_each_leak(tmp_path: Path, shop_app: ShopApp) -> None:  # noqa: F811
    status, document, output = run_app(tmp_path, shop_app, "chromium", "leaky", "--no-snippet")
    (run,) = document["runs"]
    initiators = {f["initiator"] for f in run["findings"]}
    # The leak comes from the page's own inline script: Chromium names the page and the line of the beacon call.
    assert initiators and all(i.startswith(f"script {shop_app.base_url}/leaky:") for i in initiators), initiators
    assert "sent by script" in output
    traffic = json.loads((tmp_path / "report-leaky-chromium" / run["dir"] / "traffic.json").read_text())
    beacons = [r for r in traffic["requests"] if r["url"].startswith("https://collect.tracker.example/")]
    assert beacons and all(r["initiator"] in initiators for r in beacons)
    page = (tmp_path / "report-leaky-chromium" / "index.html").read_text()
    assert "sent by <code>script" in page
