// Batches to the collector: gzip-compressed by fetch while the page lives, plain JSON by beacon when it goes.
// Delivery: a batch keeps its sequence number through every try (the collector dedupes by (sid, seq)), and a number
// is never given to two batches. A try that fails (5xx or 429, a network error or reset, no answer within
// config.timeout, the browser offline) is tried again with backoff for as long as the page lives; a success, or the
// browser coming back online, sends the next waiting batch at once, one after the other.
// Memory: while config.maxPending batches (or MAX_BYTES of them) wait, flush() makes no new batch: events stay in the
// bounded buffer (buffer.js), which drops and counts them, and the next batch reports the count (`dropped`).
import {W, N, U8, CS, Resp, TE, Promise_, AC, URL_, beacon, crypto_, fetch_, rnd, stringify, clearT} from './env.js';
import {V, config, st} from './state.js';
import {noop, timeout} from './util.js';

var MAX_BYTES = 2e6;

export function store(k, v) { try { var s = W.sessionStorage; if (v == null) return s.getItem(k); s.setItem(k, v) } catch (e) {} return null }
export function hex(n) { var a = new U8(n), s = ''; rnd.call(crypto_, a); for (var i = 0; i < n; i++) s += (a[i] + 256).toString(16).slice(1); return s }
function nextSeq() { st._seq = Math.max(st._seq, +store('telltale_seq') || 0) + 1; store('telltale_seq', String(st._seq)); return st._seq }
function gzip(s) {
  var cs = new CS('gzip'), w = cs.writable.getWriter();
  w.write(new TE().encode(s)).catch(noop); w.close().catch(noop);
  return new Resp(cs.readable).arrayBuffer();
}
function post(body, gz, signal) {
  var url = config.url;
  return fetch_.call(W, gz ? url + (url.indexOf('?') < 0 ? '?' : '&') + 'z=gzip' : url, {method: 'POST', body: body, credentials: 'omit', signal: signal,
    keepalive: (body.byteLength || body.length) < 6e4, headers: {'Content-Type': gz ? 'application/octet-stream' : 'text/plain;charset=UTF-8'}});
}
// One try: resolves truthy when the collector took the batch (a 4xx other than 429 too: trying again would not help),
// falsy on anything else, within config.timeout. Never rejects.
function attempt(body, gz) {
  return new Promise_(function (done) {
    var ac = AC && new AC(), tm = timeout(function () { done(0); if (ac) ac.abort() }, config.timeout);
    post(body, gz, ac && ac.signal).then(function (r) { return r.ok || r.status < 500 && r.status !== 429 }, noop)
      .then(function (ok) { clearT.call(W, tm); done(ok) });
  });
}
// Whether a securitypolicyviolation refused the collector (the page's CSP connect-src): no batch can ever go.
export function refused(e) { try { return new URL_(e.blockedURI).origin === new URL_(config.url).origin } catch (x) {} }
// No new batch while this many wait (at pagehide every one goes).
export function full() {
  var bytes = 0;
  st._inflight.forEach(function (b) { bytes += b.json.length });
  return st._inflight.size >= config.maxPending || bytes >= MAX_BYTES;
}
// The first batch waiting for its retry goes now (the collector answered, or the browser is back online).
export function resume() {
  var first;
  st._inflight.forEach(function (b) { if (b.tm && !first) first = b });
  if (first) { clearT.call(W, first.tm); send(first) }
}
function retry(b, g) {
  b.tm = timeout(function () { if (g === st._gen && !b.done) send(b) }, Math.min(2000 * Math.pow(2, b.tries++), 3e4));
}
// For page exit: synchronous, plain JSON.
export function sendNow(b) {
  b.done = 1; st._inflight.delete(b); clearT.call(W, b.tm);
  var ok = false;
  try { ok = beacon.call(N, config.url, b.json) } catch (e) {}
  if (!ok) try { post(b.json, false).catch(noop) } catch (e) {}
}
export function send(b) {
  var g = st._gen;
  st._inflight.add(b); b.tm = 0;
  if (N.onLine === false) return retry(b, g); // no request while offline: the online event resumes
  b.posting = 1;
  if (!b.z) { try { b.z = CS && gzip(b.json) } catch (e) {} b.z = Promise_.resolve(b.z).then(null, noop) }
  b.z.then(function (gz) { return b.done || g !== st._gen ? 0 : attempt(gz ? new U8(gz) : b.json, !!gz) }).then(null, noop).then(function (ok) {
    b.posting = 0;
    if (g !== st._gen || b.done) return;
    if (ok) { b.done = 1; st._inflight.delete(b); resume() } else retry(b, g);
  }).catch(noop);
}
// Events as batches; at exit (sync) each must fit a beacon: split.
// An event written in advance (the snapshot) has its text in _j.
export function batches(events, sync, out) {
  var h = events.length >> 1, json = stringify({v: V, sid: st._sid, seq: 0, page: st._page, t0: st._t0, dropped: st._dropped, events: 0}), t = '', i;
  for (i = 0; i < events.length; i++) t += (i ? ',' : '') + (events[i]._j || stringify(events[i]));
  json = json.slice(0, -2) + '[' + t + ']}';
  if (sync && h && json.length > 6e4) { batches(events.slice(0, h), sync, out); batches(events.slice(h), sync, out) }
  else { st._dropped = 0; out.push({json: json.replace('"seq":0', '"seq":' + nextSeq()), tries: 0}) }
  return out;
}
