// Batches to the collector: gzip-compressed by fetch while the page lives (retried with backoff), plain JSON by
// beacon when it goes.
import {W, N, U8, CS, Resp, TE, Promise_, beacon, crypto_, fetch_, rnd, stringify} from './env.js';
import {V, config, st} from './state.js';
import {noop, timeout} from './util.js';

export function store(k, v) { try { var s = W.sessionStorage; if (v == null) return s.getItem(k); s.setItem(k, v) } catch (e) {} return null }
export function hex(n) { var a = new U8(n), s = ''; rnd.call(crypto_, a); for (var i = 0; i < n; i++) s += (a[i] + 256).toString(16).slice(1); return s }
function nextSeq() { st._seq = Math.max(st._seq, +store('telltale_seq') || 0) + 1; store('telltale_seq', String(st._seq)); return st._seq }
function gzip(s) {
  var cs = new CS('gzip'), w = cs.writable.getWriter();
  w.write(new TE().encode(s)).catch(noop); w.close().catch(noop);
  return new Resp(cs.readable).arrayBuffer();
}
function post(body, gz) {
  var url = config.url;
  return fetch_.call(W, gz ? url + (url.indexOf('?') < 0 ? '?' : '&') + 'z=gzip' : url, {method: 'POST', body: body, credentials: 'omit',
    keepalive: (body.byteLength || body.length) < 6e4, headers: {'Content-Type': gz ? 'application/octet-stream' : 'text/plain;charset=UTF-8'}});
}
// For page exit: synchronous, plain JSON.
export function sendNow(b) {
  b.done = 1; st._inflight.delete(b);
  var ok = false;
  try { ok = beacon.call(N, config.url, b.json) } catch (e) {}
  if (!ok) try { post(b.json, false).catch(noop) } catch (e) {}
}
export function send(b) {
  var g = st._gen, z = null;
  st._inflight.add(b);
  try { z = CS && gzip(b.json) } catch (e) {}
  Promise_.resolve(z).then(null, noop).then(function (gz) {
    if (b.done || g !== st._gen) return;
    b.posting = 1;
    return post(gz ? new U8(gz) : b.json, !!gz).then(function (r) { if (r.ok || r.status < 500 && r.status !== 429) return 1 }, noop).then(function (ok) {
      b.posting = 0;
      if (g !== st._gen || b.done) return;
      if (ok || ++b.tries > 4) { b.done = 1; st._inflight.delete(b); return }
      var tm = timeout(function () { st._retries.delete(tm); if (g === st._gen && !b.done) send(b) }, 1000 * Math.pow(2, b.tries));
      st._retries.add(tm);
    });
  }).catch(noop);
}
// Events as batches; at exit (sync) each must fit a beacon: split.
export function batches(events, sync, out) {
  var h = events.length >> 1, json = stringify({v: V, sid: st._sid, seq: 0, page: st._page, t0: st._t0, dropped: st._dropped, events: events});
  if (sync && h && json.length > 6e4) { batches(events.slice(0, h), sync, out); batches(events.slice(h), sync, out) }
  else { st._dropped = 0; out.push({json: json.replace('"seq":0', '"seq":' + nextSeq()), tries: 0}) }
  return out;
}
