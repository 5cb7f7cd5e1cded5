"""harness/heatmaps.py: clicks, pointer movement and scroll depth in page coordinates, rasterised with NumPy, and
added up across runs of the same page (harness/visual.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from harness.replay import heatmaps
from harness.replay.documents import HeatmapEntry, VisualDocument
from harness.replay.events import Event
from harness.replay.session import PageView, TimedEvent
from harness.replay.visual import aggregate_heatmaps


def view_of(*events: tuple[float, dict[str, Any]], url: str = "https://shop.test/index.html?q=*") -> PageView:
    view = PageView("a" * 16, "0" * 32, 0, url=url, width=400, height=300)
    snapshot = {"type": "snapshot", "t": 0, "node": {"id": 1, "root": "doc"}}
    view.events = [TimedEvent(0.0, Event("snapshot", 0, snapshot))]
    view.events += [TimedEvent(at, Event(e["type"], int(at), e)) for at, e in events]
    return view


def test_page_key_is_host_and_path_without_the_query() -> None:
    assert heatmaps.page_key("https://shop.test/search-results.html?q=*#x") == "shop.test_search-results.html"
    assert heatmaps.page_key("https://shop.test/") == "shop.test"


def test_positions_become_page_coordinates_with_the_scroll_in_force() -> None:
    view = view_of(
        (100.0, {"type": "click", "id": 1, "x": 10, "y": 20}),
        (200.0, {"type": "scroll", "id": 1, "x": 0, "y": 500}),
        (300.0, {"type": "click", "id": 1, "x": 10, "y": 20}),
        (400.0, {"type": "scroll", "id": 7, "x": 0, "y": 90}),  # an element's scroll: not the window's
        (500.0, {"type": "move", "path": [[0, 30, 40], [50, 60, 80]]}),
    )
    act = heatmaps.activity(view, 400, 2000)
    assert act.clicks == [(10.0, 20.0), (10.0, 520.0)]
    assert act.moves == [[(10.0, 20.0), (10.0, 520.0), (30.0, 540.0), (60.0, 580.0)]]  # clicks are on the path
    assert act.reached == [800.0]  # deepest scroll 500 + viewport 300
    # The replay's scroll track (which corrects lost samples) wins over the recorded one.
    act = heatmaps.activity(view, 400, 2000, [(0.0, 0, 0), (250.0, 0, 1000)])
    assert act.clicks[1] == (10.0, 1020.0) and act.reached == [1300.0]


def test_density_counts_points_and_leaves_out_those_off_the_page() -> None:
    grid = heatmaps.density([(1.2, 1.9), (1.0, 1.0), (-1, 0), (5, 5)], width=3, height=3)
    assert grid.sum() == 2 and grid[1, 1] == 2


def test_blur_spreads_and_keeps_the_mass_away_from_the_edges() -> None:
    grid = np.zeros((41, 41))
    grid[20, 20] = 1.0
    blurred = heatmaps.blur(grid, 6)
    assert blurred.sum() == pytest.approx(1.0)
    assert blurred[20, 20] == blurred.max() and blurred[20, 26] > 0 and blurred[20, 40] == 0
    assert np.allclose(blurred, blurred.T)  # as wide as it is tall


def test_path_points_fill_segments_evenly() -> None:
    points = heatmaps.path_points([[(0.0, 0.0), (30.0, 0.0)], [(5.0, 5.0)]], step=3.0)
    xs = sorted(points[points[:, 1] == 0][:, 0])
    assert xs[0] == 0 and xs[-1] == 30 and np.allclose(np.diff(xs), 3.0)
    assert (points == [5.0, 5.0]).all(axis=1).any()


def test_reach_is_the_share_of_visits_that_saw_each_row() -> None:
    share = heatmaps.reach([100.0, 300.0], height=400)
    assert share[0] == 1.0 and share[99] == 1.0 and share[100] == 0.5 and share[299] == 0.5 and share[300] == 0.0


def test_colour_ramp_ends() -> None:
    ends = heatmaps.colour(np.array([[0.0, 1.0]]))
    assert ends[0, 0].tolist() == list(heatmaps.RAMP[0][1]) and ends[0, 1].tolist() == list(heatmaps.RAMP[-1][1])


def test_each_heatmap_is_drawn_over_the_frame_at_page_size(tmp_path: Path) -> None:
    base = Image.new("RGBA", (400, 1000), (255, 255, 255, 255))
    act = heatmaps.PageActivity("k", "u", 400, 1200, (400, 300), [(50.0, 60.0)], [[(0.0, 0.0), (200.0, 900.0)]], [700.0])
    paths = heatmaps.write(base, act, tmp_path)
    for kind in heatmaps.KINDS:
        with Image.open(paths[kind]) as image:
            assert image.size == (400, 1200)
            pixels = np.asarray(image.convert("RGB"))
            assert pixels.std() > 0  # something was drawn
    clicks = np.asarray(Image.open(paths["clicks"]).convert("RGB")).astype(int)
    assert clicks[60, 50, 0] > clicks[60, 50, 2]  # the click is hot (red), not cold (blue)
    scroll = np.asarray(Image.open(paths["scroll"]).convert("RGB")).astype(int)
    assert (scroll[650, 200] != scroll[750, 200]).any()  # seen and unseen rows look different
    assert heatmaps.PageActivity.from_json(json.loads((tmp_path / "activity.json").read_text())) == act


def _fake_run(root: Path, name: str, act: heatmaps.PageActivity) -> tuple[Path, VisualDocument]:
    run_dir = root / "runs" / name
    folder = run_dir / "heatmaps" / f"1-{act.key}"
    heatmaps.write(Image.new("RGBA", (act.width, act.height), (250, 250, 250, 255)), act, folder)
    Image.new("RGBA", (act.width, act.height), (250, 250, 250, 255)).save(folder / "frame.png")
    images = {kind: f"heatmaps/1-{act.key}/{kind}.png" for kind in ("frame", "clicks", "moves", "scroll")}
    entry: HeatmapEntry = {"page": act.url, "key": act.key, "start_ms": 0.0, "frame": images["frame"],
                           "clicks": images["clicks"], "moves": images["moves"], "scroll": images["scroll"]}
    return run_dir, {"heatmaps": [entry]}


def test_runs_of_the_same_page_add_up(tmp_path: Path) -> None:
    one = heatmaps.PageActivity("shop.test_index.html", "https://shop.test/index.html", 300, 600, (300, 200),
                                [(10.0, 10.0)], [], [200.0])
    two = heatmaps.PageActivity("shop.test_index.html", "https://shop.test/index.html", 300, 600, (300, 200),
                                [(20.0, 500.0), (30.0, 30.0)], [[(0.0, 0.0), (9.0, 9.0)]], [600.0])
    other = heatmaps.PageActivity("shop.test_login.html", "https://shop.test/login.html", 300, 400, (300, 200),
                                  [], [], [200.0])
    runs = [_fake_run(tmp_path, "a-chromium", one), _fake_run(tmp_path, "b-firefox", two),
            _fake_run(tmp_path, "c-chromium", other)]
    index = aggregate_heatmaps(runs, tmp_path)
    assert index == {"shop.test_index.html": ["a-chromium", "b-firefox"], "shop.test_login.html": ["c-chromium"]}
    merged = heatmaps.PageActivity.from_json(json.loads((tmp_path / "heatmaps" / "shop.test_index.html" / "activity.json").read_text()))
    assert merged.runs == 2 and len(merged.clicks) == 3 and merged.reached == [200.0, 600.0]
    share = heatmaps.reach(merged.reached, merged.height)
    assert share[100] == 1.0 and share[400] == 0.5
    assert json.loads((tmp_path / "heatmaps" / "index.json").read_text()) == index
