"""How long the snippet's own callbacks run, measured in the page (both browsers; Firefox reports no long tasks).

``BEFORE`` runs before the snippet and replaces the entry points through which the browser calls it (event
listeners, MutationObserver, setTimeout, setInterval, requestAnimationFrame) with versions that time each callback;
the snippet keeps those it finds as it loads (snippet/src/env.js). ``AFTER`` runs right after the snippet and puts
the originals back, so page code registers its callbacks untimed: every time recorded is the snippet's. What this
does not see: the snippet's code run inside a page call (its patched history.pushState, attachShadow, CSSOM edits)
and its promise callbacks (the delivery of a batch), all small by construction. Firefox's performance.now() ticks
in whole milliseconds here (no cross-origin isolation): one callback reads 0 or 1 ms, but a sum over many is still
a fair estimate (each reading is off by less than a tick, either way).
"""

from __future__ import annotations

from typing import TypedDict

BEFORE = """(() => {
  const now = performance.now.bind(performance), spans = [];
  const wrapped = new WeakMap();
  const timed = fn => {
    if (typeof fn !== 'function') return fn;
    if (!wrapped.has(fn)) wrapped.set(fn, function () {
      const t = now();
      try { return fn.apply(this, arguments); } finally { spans.push([t, now() - t]); }
    });
    return wrapped.get(fn);
  };
  const ET = EventTarget.prototype, saved = {
    add: ET.addEventListener, remove: ET.removeEventListener, MO: window.MutationObserver,
    setTimeout: window.setTimeout, setInterval: window.setInterval, raf: window.requestAnimationFrame,
  };
  ET.addEventListener = function (type, fn, opts) { return saved.add.call(this, type, timed(fn), opts); };
  ET.removeEventListener = function (type, fn, opts) { return saved.remove.call(this, type, wrapped.get(fn) || fn, opts); };
  window.MutationObserver = function (cb) { return new saved.MO(timed(cb)); };
  window.setTimeout = function (fn, ms) { return saved.setTimeout.call(window, timed(fn), ms); };
  window.setInterval = function (fn, ms) { return saved.setInterval.call(window, timed(fn), ms); };
  window.requestAnimationFrame = function (fn) { return saved.raf.call(window, timed(fn)); };
  Object.defineProperty(window, '__snippetClock', {value: {spans, saved}, enumerable: false});
})();"""

AFTER = """(() => {
  const saved = window.__snippetClock.saved, ET = EventTarget.prototype;
  ET.addEventListener = saved.add; ET.removeEventListener = saved.remove; window.MutationObserver = saved.MO;
  window.setTimeout = saved.setTimeout; window.setInterval = saved.setInterval; window.requestAnimationFrame = saved.raf;
})();"""

# [start ms (performance.now), duration ms] of every snippet callback so far.
SPANS = "() => window.__snippetClock.spans"


class Spans(TypedDict):
    """What the page reports of the snippet's callbacks."""

    longest_ms: float
    total_ms: float
    calls: int


def summary(spans: list[list[float]]) -> Spans:
    """The longest callback, the total time and the number of calls."""
    return {"longest_ms": max((d for _, d in spans), default=0.0), "total_ms": sum(d for _, d in spans), "calls": len(spans)}


def busiest(spans: list[list[float]], windows: list[list[float]]) -> float:
    """The most snippet time inside any one of ``windows`` ([start, end] in performance.now ms): the snippet's share
    of one page task when each window is a task."""
    return max((sum(d for t, d in spans if start <= t <= end) for start, end in windows), default=0.0)
