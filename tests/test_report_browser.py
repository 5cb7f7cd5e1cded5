"""The report as QA uses it, in a real browser: failures first and open, passed runs closed, the run filter and the
expanders work, the session video and heatmaps are shown once per run, and opening it makes no request beyond the
report folder's own files. A screenshot of the summary is kept as the test's artifact.

The report is written from a hand-made results document (fast, and it holds every status); tests/test_report.py
opens one from a real run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page

from harness.report.html import write_report

# (slug, browser, status): written in this order, which is not the order the report shows them in.
RUNS = (
    ("checkout", "chromium", "passed"),
    ("login", "chromium", "failed"),
    ("search", "firefox", "inconclusive"),
    ("profile", "firefox", "error"),
    ("checkout", "firefox", "passed"),
)
PAGES = ("https://shop.test/login.html", "https://shop.test/account.html")  # each run's page views


def _image(path: Path, colour: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 40), colour).save(path, format="PNG")


def _run(report: Path, slug: str, browser: str, status: str) -> dict[str, Any]:
    """One run's entry with its files on disk: checkpoints, a session video and heatmaps for two page views."""
    folder = f"runs/{slug}-{browser}"
    for name in ("traffic.json", "timeline.json", "storage.json", "visual.json"):
        (report / folder).mkdir(parents=True, exist_ok=True)
        (report / folder / name).write_text("{}", encoding="utf-8")
    checkpoints = []
    for name in ("filled", "after login"):
        images = {key: f"{folder}/checkpoints/{name}-{key}.png" for key in ("live", "replay", "diff")}
        for path in images.values():
            _image(report / path, "#8ab")
        checkpoints.append({"name": name, "t_ms": 900.0, **images, "status": "passed", "hidden_boxes": 1,
                            "fidelity": 0.99512, "heatmap": f"{folder}/heatmaps/1-login/moves.png"})
    heatmaps = []
    for index, url in enumerate(PAGES, 1):
        paths = {kind: f"{folder}/heatmaps/{index}-page/{kind}.png" for kind in ("frame", "clicks", "moves", "scroll")}
        for path in paths.values():
            _image(report / path, "#c84")
        heatmaps.append({"page": url, **paths, "aggregate": {}})
    _image(report / folder / "replay.webp", "#4a8")  # a PNG under the video's name: the browser sniffs it
    finding = {"rule": "never-sent", "field": "#password", "reason": "sensitive: type=password", "value_kind": "password",
               "channel": "beacon", "encoding": "base64", "url": "https://evil.test/b", "where": "body",
               "variant": "exact", "t_ms": 500.0, "since_submit_ms": -100.0, "when": "before submit",
               "fingerprint": "⟦fp:0123456789ab⟧", "excerpt": "v=⟦fp:0123456789ab⟧", "count": 1, "line": "x"}
    return {
        "scenario": f"{slug.title()} flow", "slug": slug, "file": f"{slug}.yaml", "browser": browser,
        "browser_version": f"{browser} 1", "status": status, "error": "the browser failed" if status == "error" else "",
        "inconclusive": ["the tracker sent nothing"] if status == "inconclusive" else [],
        "findings": [finding] if status == "failed" else [], "requests": 3, "websocket_frames": 0, "bytes": 10,
        "duration_ms": 1500.0, "dir": folder, "values": [], "rules": {}, "inspected": {}, "timeline": {},
        "checkpoints": checkpoints,
        "replay": {"status": "replayed", "error": "", "session": None, "thresholds": None, "inert": None,
                   "video": f"{folder}/replay.webp", "heatmaps": heatmaps, "redaction": []},
    }


@pytest.fixture
def report(tmp_path: Path) -> Path:
    folder = tmp_path / "report"
    document = {"harness_version": "0", "runs": [_run(folder, *run) for run in RUNS]}
    return write_report(document, folder)


def _shown(page: Page) -> list[str]:
    """The ids of the runs the page shows, in its order."""
    return list(page.eval_on_selector_all("details.run", "(runs) => runs.filter((r) => !r.hidden).map((r) => r.id)"))


@pytest.mark.only_browser("chromium")
def test_report_shows_failures_first_filters_runs_and_makes_no_request(
    report: Path, page: Page, tmp_path_factory: pytest.TempPathFactory
) -> None:
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(report.as_uri(), wait_until="load")

    # The summary's matrix lists the scenarios worst first too.
    rows = page.locator("#summary ~ table").first.locator("tr td:first-child").all_inner_texts()
    assert rows == ["Login flow", "Profile flow", "Search flow", "Checkout flow", "total"]
    # Failures first (failed, error, inconclusive, passed); open unless passed.
    order = ["run-login-chromium", "run-profile-firefox", "run-search-firefox", "run-checkout-chromium",
             "run-checkout-firefox"]
    assert _shown(page) == order
    opened = page.eval_on_selector_all("details.run", "(runs) => runs.map((r) => [r.id, r.open])")
    assert opened == [[run_id, "checkout" not in run_id] for run_id in order]
    assert page.locator("#run-checkout-chromium .checkpoint").first.is_visible() is False

    # The expander opens a passed run, and closes a failed one.
    page.locator("#run-checkout-chromium > summary").click()
    assert page.locator("#run-checkout-chromium .checkpoint").first.is_visible()
    page.locator("#run-login-chromium > summary").click()
    assert page.eval_on_selector("#run-login-chromium", "(run) => run.open") is False
    # A link from the summary to a closed run opens it.
    page.locator("#summary ~ table a[href='#run-checkout-firefox']").click()
    assert page.eval_on_selector("#run-checkout-firefox", "(run) => run.open") is True

    # The filter, by status and by browser; the contents follow it.
    status, browser = page.locator("#run-filter select[name=status]"), page.locator("#run-filter select[name=browser]")
    assert page.locator("#run-filter").is_visible()
    status.select_option("failed")
    assert _shown(page) == ["run-login-chromium", "run-profile-firefox"]
    assert page.locator("nav.toc a[data-run-status]:visible").count() == 2
    assert page.locator("#run-filter-count").inner_text() == "2 of 5 runs shown"
    browser.select_option("firefox")
    assert _shown(page) == ["run-profile-firefox"]
    status.select_option("inconclusive")
    assert _shown(page) == ["run-search-firefox"]
    status.select_option("all")
    assert _shown(page) == ["run-profile-firefox", "run-search-firefox", "run-checkout-firefox"]
    browser.select_option("")
    assert _shown(page) == order

    # Once per run: the video and each page view's three heatmaps; none repeated at the checkpoints.
    run = page.locator("#run-login-chromium")
    assert run.locator("img[src$='replay.webp']").count() == 1
    assert run.locator("img[src$='/moves.png']").count() == len(PAGES)
    assert run.locator(".checkpoint img[src*='heatmaps']").count() == 0
    # Every image opens full size in a new tab; every file of the run is linked.
    assert page.eval_on_selector_all(
        "img", "(imgs) => imgs.every((img) => img.closest('a')?.getAttribute('href') === img.getAttribute('src')"
               " && img.closest('a').target === '_blank')")
    files = run.locator("ul.files a").evaluate_all("(links) => links.map((a) => a.textContent)")
    assert {"traffic.json", "timeline.json", "storage.json", "visual.json", "replay.webp"} <= set(files)
    assert len(files) == 4 + 1 + 2 * 3 + len(PAGES) * 4  # json files, video, checkpoint images, heatmap sets
    # Only the status word is coloured: a failed run's text reads like a passed one's.
    colours = page.eval_on_selector_all("details.run h3", "(hs) => [...new Set(hs.map((h) => getComputedStyle(h).color))]")
    assert len(colours) == 1
    # Checkpoint facts as a table (the login run was closed above; this one was opened).
    fact = page.locator("#run-checkout-chromium .checkpoint table.facts tr", has_text="fidelity").first
    assert fact.is_visible() and fact.inner_text().split() == ["fidelity", "0.9951"]

    page.wait_for_timeout(100)  # let every image load (or fail) before checking them
    folder = report.parent.as_uri() + "/"
    assert [url for url in requests if not url.startswith(folder)] == []
    assert problems == []
    assert page.evaluate("() => [...document.images].every((img) => img.complete && img.naturalWidth > 0)")

    shot = report.parent / "report-screenshot.png"
    page.locator("#summary").scroll_into_view_if_needed()
    page.screenshot(path=str(shot))
    kept = tmp_path_factory.getbasetemp() / "report-screenshot.png"  # a stable place to look at after the run
    kept.write_bytes(shot.read_bytes())
    print(f"report screenshot: {kept}")
