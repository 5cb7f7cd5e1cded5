// The first snapshot, taken in slices: serialising a page of 50,000 nodes takes some 100-400 ms, which as one task
// would block the page that long. A slice runs for at most BUDGET ms, then yields by a timer (the snippet's own
// setTimeout: env.js); a small page is done in the first slice, at once. The page may change between slices. What
// keeps the replay (the snapshot, then one mutation event of the changes held meanwhile) equal to the page:
// - the observer watches before the first slice; each slice first reads the records since the last one, as a drain
//   would (read()): removed ids are taken then, before a node moved elsewhere is serialised again under a new id;
// - a change to a node not serialised yet is dropped: the walk serialises it as it is when it gets there;
// - a node added under a serialised parent is held: the walk skips it, and it goes as an add after the snapshot;
// - an element's children are listed when the walk enters it: one no longer there when its turn comes was removed
//   or moved, and is skipped (the walk meets it where it went, or it was added under a serialised parent: held);
// - the levels the open elements pass on are read again at every slice (an attribute may have made one sensitive).
import {W, D, pnow, stringify} from './env.js';
import {now, st} from './state.js';
import {HTML_NS} from './dom.js';
import {failed, on, timeout} from './util.js';
import {PUBLIC, classify, stale} from './privacy/classify.js';
import {rootShell, shell} from './serialize.js';
import {emit} from './buffer.js';
import {MO_OPTS, read} from './mutations.js';

var BUDGET = 20; // ms of serialising per slice: well under the 50 ms of a long task

// An element or root entered by the walk: its wire object, the children it had then, what they inherit, and where
// its text goes (slot of up's kids, or up's shadow).
function enter(n, o, kl, ns, up, slot) {
  var list = [], c, i = 0;
  for (c = n.firstChild; c; c = c.nextSibling) list[i++] = c; // no Array method: the page may have replaced them
  return {n: n, o: o, kl: kl, ns: ns, list: list, i: 0, kids: [], up: up, slot: slot, sh: ''};
}
// The wire text of an entered node, once its children are done: JSON is written node by node, in the slices too
// (stringified at once, 50,000 nodes would block the page again at the first flush).
function close(f) {
  var s = stringify(f.o), k = f.kids, t = '', i;
  for (i = 0; i < k.length; i++) t += (i ? ',' : '') + k[i];
  return s.slice(0, -1) + (t ? ',"kids":[' + t + ']' : '') + (f.sh ? ',"shadow":' + f.sh : '') + '}';
}

// Emits the snapshot of D once complete, then calls done(held, leaving): held, the changes read meanwhile (a
// mutation's Changes, plus hosts: [host, shadow root] attached to serialised hosts meanwhile); leaving: the page
// is being left (its rest was serialised at once).
export function snapshot(done) {
  var gen = st._gen, held = st._snap = {removes: [], hosts: []}, stack = [enter(D, rootShell(D), PUBLIC, HTML_NS, null, -1)],
    off = on(W, 'pagehide', function () { slice(1) }), text;
  st._stops.push(off);
  function step() {
    var f = stack[stack.length - 1], c, o, into = {}, r, k;
    if (f.i === f.list.length) {
      stack.pop(); c = close(f);
      if (f.slot < 0) f.up ? f.up.sh = c : text = c; else f.up.kids[f.slot] = c;
      return;
    }
    c = f.list[f.i++];
    if (c.parentNode !== f.n || held.added && held.added.has(c) || !(o = shell(c, f.kl, f.ns, into))) return;
    r = c.shadowRoot; k = f.kids.length;
    if (!r && !(into.kids && c.firstChild)) { f.kids[k] = stringify(o); return }
    f.kids[k] = 'null'; // until the node is closed
    stack[stack.length] = f = enter(c, o, into.kl, into.ns, f, k);
    if (r) {
      st._mo.observe(r, MO_OPTS); st._later.push(r); // watched whole once the snapshot is sent
      stack[stack.length] = enter(r, rootShell(r), into.kl, HTML_NS, f, -1);
    }
  }
  // What changed since the last slice.
  function catchUp() {
    var lists = st._mq, more = st._mo.takeRecords(), i, f;
    st._mq = [];
    if (more.length) lists.push(more);
    read(lists, 1, null, held);
    if (held.bump) stale();
    if (held.added) held.added.forEach(function (n) { if (!n.parentNode || !st._ids.has(n.parentNode)) held.added.delete(n) });
    for (i = 0; i < stack.length; i++) { f = stack[i]; f.kl = f.n.localName === 'style' ? PUBLIC : classify(f.n, 1) }
  }
  function slice(leaving) {
    if (gen !== st._gen || st._snap !== held) return; // stopped, or done (at pagehide)
    var node, end = leaving || D.visibilityState === 'hidden' ? Infinity : pnow() + BUDGET, k = 0;
    catchUp();
    while (stack.length) {
      try { step() } catch (e) { failed() }
      if (!(++k & 31) && pnow() > end) return timeout(slice, 0);
    }
    node = {type: 'snapshot', t: now()};
    node._j = '{"type":"snapshot","node":' + text + ',"t":' + node.t + '}'; // as sent (transport.js: batches)
    emit(node);
    st._snap = 0; off();
    done(held, leaving);
  }
  slice();
}
