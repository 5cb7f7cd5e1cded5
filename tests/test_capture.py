"""Capture at the wire, in real browsers: every channel a page can send through is recorded, including what
Playwright's own events miss (beacons at unload, bodies in Firefox), and nothing reaches the real network."""

from __future__ import annotations

import fcntl
import json
import threading
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

from harness.capture.proxy import CaptureProxy, ensure_ca, sent_at
from harness.plugin.fixtures import Capture
from harness.privacy.fragments import REORDER_MS
from harness.run.steps import close_page
from harness.run.storage import snapshot

SITE = "https://shop.test/index.html"


def _bodies(capture: Capture, path: str) -> list[bytes]:
    return [r.body for r in capture.requests if path in r.url]


def test_fetch_xhr_beacon_and_image_are_captured_with_channel_and_body(tracked_page: Page, capture: Capture) -> None:
    tracked_page.goto(SITE)
    tracked_page.evaluate(
        """async () => {
          await fetch('https://collector.test/fetch', {method: 'POST', body: 'fetch-body-1'});
          await new Promise((done) => {
            const xhr = new XMLHttpRequest();
            xhr.open('POST', 'https://collector.test/xhr');
            xhr.onloadend = done;
            xhr.send('xhr-body-2');
          });
          navigator.sendBeacon('https://collector.test/beacon', 'beacon-body-3');
          await new Promise((done) => { const img = new Image(); img.onload = img.onerror = done;
                                         img.src = 'https://collector.test/pixel.gif?v=image-query-4'; });
        }"""
    )
    # sendBeacon returns before its request leaves: it may reach the wire after the image the page awaited.
    capture.wait_for(lambda c: _bodies(c, "collector.test/beacon"), "the beacon")
    capture.settle()
    channels = {r.url.split("/")[-1].split("?")[0]: r for r in capture.requests if "collector.test" in r.url}
    assert channels["fetch"].body == b"fetch-body-1" and channels["fetch"].channel == "fetch"
    assert channels["xhr"].body == b"xhr-body-2" and channels["xhr"].channel in ("xhr", "fetch")
    assert channels["beacon"].body == b"beacon-body-3" and channels["beacon"].channel == "beacon"
    assert channels["pixel.gif"].url.endswith("v=image-query-4") and channels["pixel.gif"].channel == "image"
    # Cross-origin requests carry the origin only (strict-origin-when-cross-origin).
    assert channels["fetch"].header("referer") == "https://shop.test/"


def test_websocket_frames_are_captured_both_ways(tracked_page: Page, capture: Capture) -> None:
    tracked_page.goto(SITE)
    echoed = tracked_page.evaluate(
        """() => new Promise((done) => {
          const ws = new WebSocket('wss://socket.test/live');
          ws.onopen = () => ws.send(JSON.stringify({k: 'frame-5'}));
          ws.onmessage = (e) => done(e.data);
        })"""
    )
    assert json.loads(echoed) == {"k": "frame-5"}
    capture.settle()
    sent = [f for f in capture.frames if f.direction == "sent"]
    received = [f for f in capture.frames if f.direction == "received"]
    assert [f.data for f in sent] == [b'{"k":"frame-5"}'] and sent[0].url == "https://socket.test/live"
    assert [f.data for f in received] == [b'{"k":"frame-5"}']


def test_beacon_and_keepalive_fetch_sent_while_the_page_closes_are_captured(tracked_page: Page, capture: Capture) -> None:
    tracked_page.goto(SITE)
    tracked_page.evaluate(
        """() => addEventListener('pagehide', () => {
          navigator.sendBeacon('https://collector.test/unload-beacon', 'bye-6');
          fetch('https://collector.test/unload-fetch', {method: 'POST', body: 'bye-7', keepalive: true});
        })"""
    )
    close_page(tracked_page)
    # The page is gone; what it sent on the way out may still be on its way through a loaded browser.
    capture.wait_for(lambda c: _bodies(c, "unload-beacon") and _bodies(c, "unload-fetch"), "the unload beacon and fetch")
    capture.settle()  # and nothing sent twice
    assert _bodies(capture, "unload-beacon") == [b"bye-6"]
    assert _bodies(capture, "unload-fetch") == [b"bye-7"]


def test_cookies_and_every_storage_area_are_snapshotted(tracked_page: Page, context: BrowserContext, capture: Capture) -> None:
    tracked_page.goto(SITE)
    tracked_page.evaluate(
        """() => new Promise((done) => {
          document.cookie = 'c1=cookie-8; path=/';
          localStorage.setItem('l1', 'local-9');
          sessionStorage.setItem('s1', 'session-10');
          const open = indexedDB.open('tt-db', 1);
          open.onupgradeneeded = () => open.result.createObjectStore('notes');
          open.onsuccess = () => {
            const tx = open.result.transaction('notes', 'readwrite');
            tx.objectStore('notes').put({text: 'idb-11'}, 'n1');
            tx.oncomplete = () => { open.result.close(); done(); };
          };
        })"""
    )
    shot = snapshot(context, tracked_page, capture.recording.t_ms())
    assert ("c1", "cookie-8") in shot.cookies
    assert ("l1", "local-9") in shot.local_storage
    assert ("s1", "session-10") in shot.session_storage
    assert ("tt-db/notes/n1", '{"text":"idb-11"}') in shot.indexed_db


def test_nothing_reaches_the_real_network(tracked_page: Page, capture: Capture, telltale_proxy: CaptureProxy) -> None:
    before = telltale_proxy.upstream_attempts
    tracked_page.goto(SITE)
    status = tracked_page.evaluate(
        "async () => (await fetch('https://example.com/real-host', {method: 'POST', body: 'x', mode: 'cors'})).status"
    )
    capture.settle()
    # example.com was answered by the proxy itself, and the proxy never tried to open a connection anywhere.
    assert status == 204
    assert any(r.url == "https://example.com/real-host" for r in capture.requests)
    assert telltale_proxy.upstream_attempts == before == 0


def test_browser_background_traffic_is_kept_out(tracked_page: Page, capture: Capture) -> None:
    tracked_page.goto(SITE)
    tracked_page.evaluate("fetch('https://update.googleapis.com/service/update2', {method: 'POST', body: 'u'}).catch(() => 0)")
    capture.settle()
    assert not [r for r in capture.requests if "googleapis.com" in r.url]
    assert capture.recording.background >= 1


def test_https_is_terminated_and_spoken_over_http2(tracked_page: Page, capture: Capture) -> None:
    tracked_page.goto(SITE)
    assert tracked_page.evaluate("window.isSecureContext && !!crypto.subtle")
    capture.settle()
    page_load = next(r for r in capture.requests if r.url == SITE)
    # Both browsers negotiate HTTP/2 with the proxy over TLS signed by the harness's CA.
    assert page_load.http_version == "HTTP/2.0"


def test_a_request_that_waited_for_its_connection_is_placed_when_the_browser_asked_for_it(
    tracked_page: Page, capture: Capture
) -> None:
    """Two beacons sent one after the other: the first to a host with no connection yet, the second over one
    already open. The second reaches the proxy a handshake earlier; the first is placed when its tunnel was asked
    for."""
    tracked_page.goto(SITE)
    tracked_page.evaluate("navigator.sendBeacon('https://warm.test/open', 'x')")
    capture.wait_for(lambda c: _bodies(c, "warm.test/open"), "the connection to warm.test")
    tracked_page.evaluate(
        "navigator.sendBeacon('https://fresh.test/first', '1'); navigator.sendBeacon('https://warm.test/second', '2')"
    )
    capture.wait_for(lambda c: _bodies(c, "fresh.test/first") and _bodies(c, "warm.test/second"), "both beacons")
    first = next(r for r in capture.requests if "fresh.test/first" in r.url)
    second = next(r for r in capture.requests if "warm.test/second" in r.url)
    assert first.sent_ms is not None and first.sent_ms < first.t_ms
    assert second.sent_ms is None  # it went over an open connection: it left as it came
    # The browser asks for the tunnel as it sends the other beacon: near enough for keys to be read in order.
    assert first.left_ms - second.left_ms < REORDER_MS, (first, second)


def test_when_a_request_left_the_browser() -> None:
    asked, ready = 100.0, 100.08  # CONNECT, then TLS set up 80 ms later
    assert sent_at(ready + 0.002, asked, ready, first=True) == asked  # it waited for the connection
    assert sent_at(ready + 0.3, asked, ready, first=True) is None  # a connection opened ahead of it
    assert sent_at(ready + 0.002, asked, ready, first=False) is None  # queued behind the first: sent later
    assert sent_at(asked + 0.01, asked, None, first=True) == asked  # plain HTTP: no TLS to wait for


def test_processes_sharing_the_ca_folder_take_turns_creating_it(tmp_path: Path) -> None:
    """pytest-xdist's workers start proxies at once: one creates the CA while the other waits, never reading a
    half-written file."""
    folder = tmp_path / "ca"
    folder.mkdir()
    created = threading.Event()
    with open(folder / ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another worker is creating it
        worker = threading.Thread(target=lambda: (ensure_ca(folder), created.set()))
        worker.start()
        assert not created.wait(0.5)
        fcntl.flock(held, fcntl.LOCK_UN)
    assert created.wait(30)
    worker.join()
    assert (folder / "mitmproxy-ca-cert.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
