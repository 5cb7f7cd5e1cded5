// The browser's originals, kept as the snippet loads: page code that replaces them later cannot break or observe us.
// (This module is evaluated first: everything else imports it.)

export var W = window, D = W.document, N = W.navigator, round = Math.round;
var ET = W.EventTarget.prototype, perf = W.performance;
export var ael = ET.addEventListener, rel = ET.removeEventListener,
  MO = W.MutationObserver, WM = W.WeakMap, WS = W.WeakSet, Map_ = W.Map, Set_ = W.Set, URL_ = W.URL,
  fetch_ = W.fetch, beacon = N.sendBeacon, stringify = W.JSON.stringify, crypto_ = W.crypto,
  rnd = crypto_ && crypto_.getRandomValues, setT = W.setTimeout, clearT = W.clearTimeout, setI = W.setInterval,
  clearI = W.clearInterval, raf = W.requestAnimationFrame, caf = W.cancelAnimationFrame,
  pnow = perf.now.bind(perf), dnow = W.Date.now, CS = W.CompressionStream, Resp = W.Response, TE = W.TextEncoder,
  hist = W.history, AC = W.AbortController, loc = W.location, script = D.currentScript, Promise_ = W.Promise, U8 = W.Uint8Array;
