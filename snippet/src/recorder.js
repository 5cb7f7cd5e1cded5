// The life cycle: a session starts (a snapshot, then every observer), flushes its buffer, and stops at opt-out.
import {W, D, N, WM, WS, Set_, Map_, setI, clearI, clearT, raf, dnow, pnow, loc} from './env.js';
import {config, idOf, st} from './state.js';
import {each, guard, on, timeout} from './util.js';
import {maskUrl} from './privacy/mask.js';
import {snapshot} from './snapshot.js';
import {emit} from './buffer.js';
import {MO_OPTS, drain, observeMutations} from './mutations.js';
import {shadow, watch} from './roots.js';
import {batches, full, hex, refused, resume, send, sendNow, store} from './transport.js';
import {flushMoves} from './observers/moves.js';
import {offsetPx} from './observers/sampler.js';
import {observeResize} from './observers/resize.js';
import {observeLifecycle} from './observers/lifecycle.js';
import {observeNavigation} from './observers/navigation.js';
import {observeShadows} from './observers/shadows.js';
import {observeSheets} from './observers/sheets.js';

var OPTOUT = 'telltale_optout';

export function optedOut() { try { return N.globalPrivacyControl === true || /(?:^|;\s*)telltale_optout=1(?:;|$)/.test(D.cookie) } catch (e) { return true } }
export function setOptOut(out) {
  D.cookie = OPTOUT + '=' + (out ? '1; max-age=31536000' : '; max-age=0') + '; path=/; SameSite=Lax' + (loc.protocol === 'https:' ? '; Secure' : '');
}
export function maybeStart() { if (st._ready && !st._running && !optedOut() && (!config.consent || st._consented)) start() }

function start() {
  st._running = 1; st._gen++; st._stops = []; st._samplers = []; st._left = 0;
  st._ids = new WM(); st._nextId = 0; st._watched = new WS(); st._later = [];
  st._buf = []; st._dropped = 0; st._cheap = {move: 0, scroll: 0};
  st._move = null; st._pendTs = -1; st._lastTs = -1e9; st._lastV = null;
  st._mq = []; st._mLast = -1e9; st._restyled = st._sT = 0; st._dirtySheets = new Set_(); st._adopters = []; st._adoptedSeen = new WM();
  st._dirty = new Map_(); st._fst = new WM(); st._inflight = new Set_();
  st._sid = store('telltale_sid');
  if (!/^[0-9a-f]{32}$/.test(st._sid || '')) store('telltale_sid', st._sid = hex(16));
  st._page = hex(8); st._t0 = dnow(); st._p0 = pnow();
  emit(st._meta = {type: 'meta', url: maskUrl(loc.href), title: String(D.title), w: 0, h: 0, dpr: W.devicePixelRatio || 1});
  // Changes, shadow roots and stylesheets are followed while the snapshot is taken (snapshot.js).
  st._stops.push(observeMutations(), observeShadows(W), observeSheets(W));
  st._mo.observe(D, MO_OPTS);
  snapshot(recorded);
}
// The snapshot has been emitted: the changes held while it was taken follow it, then every observer starts.
function recorded(held, leaving) {
  watch(D); drain(1, held);
  each(held.hosts, function (h) { shadow(h[0], h[1]) });
  st._stops.push(observeResize(), observeLifecycle(), observeNavigation(), on(W, 'online', resume),
    on(D, 'securitypolicyviolation', function (e) { if (refused(e)) stop() })); // one violation report, not one per retry
  st._flushTimer = setI.call(W, guard(function () { flush(false) }), config.flushInterval);
  if (leaving) flush(true);
  else afterLayout(function () { flush(false) }); // the snapshot goes at once: a session starts on the collector
}
// Viewport and scroll are read once the browser has laid the page out: read while it loads, they would force a
// layout of their own (a flush before then reads them, a page leaving may).
function afterLayout(fn) {
  var g = st._gen, run = guard(function () { if (g === st._gen) fn() });
  if (D.visibilityState === 'hidden') timeout(run, 0); else raf.call(W, function () { timeout(run, 0) });
}
function measure() {
  if (!st._meta) return;
  st._meta.w = W.innerWidth; st._meta.h = W.innerHeight;
  if (W.scrollX || W.scrollY) emit({type: 'scroll', id: idOf(D), x: offsetPx(W.scrollX), y: offsetPx(W.scrollY)});
  st._meta = null;
}
// Everything pending goes: samples, DOM changes, the last move. sync: at page exit, by beacon.
export function flush(sync) {
  if (!st._running) return;
  // Adopted sheets are compared too (a push onto adoptedStyleSheets calls nothing of ours).
  measure(); st._samplers.forEach(function (f) { f() }); st._restyled = st._restyled || st._adopters.length; drain();
  flushMoves();
  if ((st._buf.length || st._dropped) && (sync || !full())) { // full: the events wait in the buffer
    var ev = st._buf; st._buf = []; st._cheap = {move: 0, scroll: 0};
    batches(ev, sync, []).forEach(function (b) { sync ? sendNow(b) : send(b) });
  }
  if (sync) st._inflight.forEach(function (b) { if (!b.posting) sendNow(b) });
}
// Opt-out: all torn down, buffers dropped, no goodbye.
export function stop() {
  if (!st._running) return;
  st._running = 0; st._gen++; st._snap = 0;
  st._stops.forEach(function (f) { f() });
  clearI.call(W, st._flushTimer);
  st._inflight.forEach(function (b) { clearT.call(W, b.tm) });
  st._buf = []; st._move = null; st._inflight = new Set_(); st._dirty = new Map_();
}
