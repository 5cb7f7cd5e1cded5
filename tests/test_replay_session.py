"""harness/session.py: captured batches become a session (gzip, sequence order, retries dropped, gaps reported, times
on the harness clock); and the replay's pure helpers (assets, pointer track)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from harness.capture.proxy import CapturedRequest, Recording
from harness.capture.site import Site
from harness.replay.page import AssetResolver, MaskRegion, pointer_track
from harness.replay.session import decode_session

WALL = 1_800_000_000.0  # the run's start, epoch seconds
T0 = int(WALL * 1000) + 500  # the page view started 500 ms into the run
SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"


def batch(seq: int, *events: dict[str, Any], page: str = "a" * 16, t0: int = T0, sid: str = "0" * 32) -> dict[str, Any]:
    return {"v": 2, "sid": sid, "seq": seq, "page": page, "t0": t0, "dropped": 0, "events": list(events)}


def request(body: dict[str, Any], at_ms: float, gz: bool = False, path: str = "/telltale/collect") -> CapturedRequest:
    raw = json.dumps(body).encode()
    url = f"https://shop.test{path}" + ("?z=gzip" if gz else "")
    return CapturedRequest(at_ms, "POST", url, (), gzip.compress(raw) if gz else raw, "fetch")


META = {"type": "meta", "t": 0, "url": "https://shop.test/login.html", "title": "Sign in", "w": 1280, "h": 720, "dpr": 1}
SNAPSHOT = {"type": "snapshot", "t": 2, "node": {"id": 1, "root": "doc", "kids": [{"id": 2, "tag": "html"}]}}


def recording(*requests: CapturedRequest) -> Recording:
    return Recording(started=0.0, wall_started=WALL, requests=list(requests))


def test_batches_in_sequence_order_with_retries_dropped_and_gaps_reported() -> None:
    click = {"type": "click", "t": 40, "id": 2, "x": 5, "y": 6}
    focus = {"type": "focus", "t": 90, "id": 2}
    session = decode_session(recording(
        request(batch(3, focus), 700.0),
        request(batch(1, META, SNAPSHOT), 520.0, gz=True),
        request(batch(1, META, SNAPSHOT), 530.0),  # a retry repeats its seq
        request(batch(5, {"type": "blur", "t": 95, "id": 2}), 720.0),
        request(batch(2, click), 600.0),
        CapturedRequest(510.0, "GET", "https://shop.test/login.html", (), b"", "document"),
    ))
    assert (session.batches, session.duplicates, session.gaps, session.problems) == (4, 1, [4], [])
    (view,) = session.pages
    assert [e.type for e in view.events] == ["meta", "snapshot", "click", "focus", "blur"]
    assert (view.url, view.width, view.height) == ("https://shop.test/login.html", 1280, 720)
    # page time t0 + t, on the harness clock (ms since the run started)
    assert [round(e.at_ms) for e in view.events] == [500, 502, 540, 590, 595]
    assert session.page_at(501) is None and session.page_at(502) is view


def test_received_sequence_numbers_identical_retries_and_conflicting_repeats() -> None:
    # The collector dedupes by (sid, seq): a repeat with the same content is a retry; with different content, the
    # snippet gave one number to two batches (a bug: counted, reported, the first kept).
    click = {"type": "click", "t": 40, "id": 2, "x": 5, "y": 6}
    session = decode_session(recording(
        request(batch(1, META, SNAPSHOT), 520.0, gz=True),
        request(batch(1, META, SNAPSHOT), 530.0),  # the same batch, by beacon: plain JSON
        request(batch(2, click), 600.0),
        request(batch(2, click), 610.0, gz=True),
        request(batch(2, {**click, "x": 6}), 620.0),
        request(batch(4, click), 700.0),
        request(batch(1, META, SNAPSHOT, sid="1" * 32), 800.0),  # a second tab session
    ))
    assert (session.received, session.duplicates, session.conflicts, session.gaps) == ([1, 2, 4], 2, 1, [3])
    assert session.problems == ["seq 2: received again with different content"]
    clicks = [e.event for v in session.pages for e in v.events if e.type == "click"]
    assert [c["x"] for c in clicks] == [5, 5]  # the first seq 2 kept, and seq 4
    document = session.to_json()
    assert (document["received"], document["duplicates"], document["conflicts"]) == ([1, 2, 4], 2, 1)


def test_an_event_is_never_placed_after_its_batch_arrived() -> None:
    late = {"type": "focus", "t": 30_000, "id": 2}  # a page clock ahead of the harness's (a skewed or mocked clock)
    session = decode_session(recording(request(batch(1, META, SNAPSHOT, late), 900.0)))
    assert session.clamped == 1
    assert session.pages[0].events[-1].at_ms == 900.0


def test_samples_keep_the_times_of_the_events_they_were_taken_from() -> None:
    # The snippet sends a scroll sample after the scroll event it stamps it with, behind later events: put in order.
    scroll = {"type": "scroll", "t": 390, "id": 1, "x": 0, "y": 300.5}
    focus = {"type": "focus", "t": 400, "id": 2}
    session = decode_session(recording(request(batch(1, META, SNAPSHOT, focus, scroll), 1500.0)))
    assert [(e.type, e.at_ms) for e in session.pages[0].events][-2:] == [
        ("scroll", T0 + 390 - WALL * 1000), ("focus", T0 + 400 - WALL * 1000)]


def test_pointer_paths_keep_the_times_of_their_pointer_events() -> None:
    # Points are taken from the pointer events themselves, not by a timer: placing them earlier would put a move the
    # visitor made after a checkpoint into that checkpoint's replay (its pointer, so its :hover).
    focus = {"type": "focus", "t": 200, "id": 2}
    path = {"type": "move", "t": 400, "path": [[0, 10, 10], [30, 20, 20]]}
    session = decode_session(recording(request(batch(1, META, SNAPSHOT, focus, path), 1500.0)))
    assert session.pages[0].events[-1].at_ms == T0 + 400 - WALL * 1000


def test_page_views_and_returns_from_the_back_forward_cache() -> None:
    second = {**META, "url": "https://shop.test/account.html"}
    shown_again = {"type": "visibility", "t": 900, "state": "visible"}
    session = decode_session(recording(
        request(batch(1, META, SNAPSHOT), 600.0),
        request(batch(2, second, SNAPSHOT, page="b" * 16, t0=T0 + 300), 900.0),
        request(batch(3, shown_again), 1500.0),
    ))
    first, _ = session.pages
    assert session.page_at(805).url.endswith("account.html")
    assert session.page_at(1400) is first  # the first page came back at 500 + 900 ms


@pytest.mark.parametrize(
    ("body", "problem"),
    [(b"\x1f\x8bnot gzip", "should be gzip"), (b"[1, 2]", "should be a JSON object")],
    ids=["bad-gzip", "not-an-object"],
)
def test_undecodable_batches_are_reported_not_fatal(body: bytes, problem: str) -> None:
    bad = CapturedRequest(10.0, "POST", "https://shop.test/telltale/collect", (), body, "beacon")
    session = decode_session(recording(bad, request(batch(1, META, SNAPSHOT), 600.0)))
    assert len(session.pages) == 1 and problem in session.problems[0]


def test_schema_violations_are_listed() -> None:
    rogue = {"type": "click", "t": 5, "id": 2, "x": 1, "y": 2, "value": "typed text"}
    session = decode_session(recording(request(batch(1, META, SNAPSHOT, rogue), 600.0)))
    assert any("seq 1" in p and "click" in p for p in session.problems)


def test_pointer_track_merges_paths_and_clicks_in_time_order() -> None:
    move = {"type": "move", "t": 10, "path": [[0, 1, 1], [50, 2, 2]]}
    click = {"type": "click", "t": 30, "id": 2, "x": 9, "y": 9}
    session = decode_session(recording(request(batch(1, META, SNAPSHOT, move, click), 900.0)))
    assert [(x, y) for _, x, y in pointer_track(session.pages[0])] == [(1, 1), (9, 9), (2, 2)]


def test_assets_are_resolved_from_the_served_site_only() -> None:
    assets = AssetResolver(Site(SITE))
    css = assets.resolve("https://shop.test/site.css", stylesheet=True)
    assert css is not None and "body" in css["css"]
    assert assets.resolve("https://evil.test/site.css", stylesheet=True) is None
    assert assets.resolve("https://shop.test/../../etc/passwd", stylesheet=False) is None
    assert AssetResolver(None).resolve("https://shop.test/site.css", stylesheet=True) is None


def test_mask_region_boxes_grow_and_clip() -> None:
    region = MaskRegion("field", "input#email", 10.2, 20.5, 100.0, 30.0)
    assert region.box(4, 1280, 720) == (6, 16, 115, 55)
    assert MaskRegion("field", "x", -50, -50, 10, 10).box(4, 1280, 720) is None
    assert region.box(4, 50, 40) == (6, 16, 50, 40)
