// DOM changes: one MutationObserver for every watched root, its records drained into mutation events at most once
// per animation frame. drain() runs the jobs in order: read the records, serialise what was added, read the changed
// attributes and texts, compare stylesheets, emit.
import {W, MO, Set_, Map_, raf, caf} from './env.js';
import {now, idOf, st} from './state.js';
import {HTML_NS, up} from './dom.js';
import {each, guard, lower, set} from './util.js';
import {PUBLIC, SECRET, MARKS, MARK_CLASS, classify, markSecret, own, stale, wasClassified} from './privacy/classify.js';
import {attr, maskText} from './privacy/mask.js';
import {ser} from './serialize.js';
import {push} from './buffer.js';
import {restyle} from './styles.js';
import {attachLater} from './roots.js';

var KINDS = ['removes', 'adds', 'attrs', 'texts', 'css', 'adopted'];
export var MO_OPTS = {childList: true, subtree: true, attributes: true, characterData: true, attributeOldValue: true};

// Levels go stale when an attribute classify() reads changes, or when a node that was classified where it stood is
// inserted again (moved): its subtree inherits anew. Removals alone and new nodes leave every cached level right.
var CLASSIFIED = set('type autocomplete id name contenteditable');
function staleAttr(r) {
  var n = lower(r.attributeName);
  return CLASSIFIED[n] || MARKS[n] || n === 'class' && (MARK_CLASS.test(r.oldValue || '') || MARK_CLASS.test(r.target.getAttribute('class') || ''));
}
function touch(recs) {
  for (var i = 0, r, j, n; i < recs.length; i++) {
    r = recs[i];
    if (r.type === 'childList') { for (j = 0, n = r.addedNodes; j < n.length; j++) if (wasClassified(n[j])) return stale() }
    else if (r.type === 'attributes' && staleAttr(r)) return stale();
  }
}

// The first change after a quiet frame is drained at once, in the observer's callback; changes that follow it within
// the frame wait for the next one. Asking for a frame per change would cost a frame request and a callback each.
// Records drained at once are checked for stale levels as they are read; those that wait, on arrival (an event may
// classify before the drain).
function onMutations(recs) {
  var t = now();
  if (!st._mq.length) st._mT = t;
  st._mq.push(recs);
  if (st._mFrame || t - st._mLast < 16) { touch(recs); drainNextFrame() }
  else drain(1);
}
var frameDrain = guard(function () { st._mFrame = 0; drain() });
export function drainNextFrame() { if (!st._mFrame) st._mFrame = raf.call(W, frameDrain) }

// The observer; watch() points it at each root. Its teardown drops records not drained yet.
export function observeMutations() {
  var mo = st._mo = new MO(guard(onMutations));
  return function () {
    mo.disconnect();
    if (st._mFrame) caf.call(W, st._mFrame);
    st._mFrame = 0; st._mq = [];
  };
}

// Job 1: what the records say, added to c (Changes). Removed ids; added nodes (a node added and removed again cancels
// out); changed attribute names and texts of nodes the replay has. fresh: no list was checked for stale levels yet
// (else only the records taken now).
export function read(lists, fresh, more, c) {
  var removes = c.removes, added = c.added, attrs = c.attrs, texts = c.texts, bump = 0;
  each(lists, function (recs) {
    var check = fresh || recs === more;
    for (var i = 0, r, j, n, s, l; i < recs.length; i++) {
      r = recs[i];
      if (r.type === 'childList') {
        for (j = 0, l = r.removedNodes; j < l.length; j++) { s = l[j]; if (added && added.has(s)) added.delete(s); else if (st._ids.has(s)) removes.push(idOf(s)) }
        for (j = 0, l = r.addedNodes; j < l.length; j++) { (added || (added = new Set_())).add(s = l[j]); if (check && !bump && wasClassified(s)) bump = 1 }
        continue;
      }
      if (check && !bump && r.type === 'attributes' && staleAttr(r)) bump = 1;
      if (!st._ids.has(n = r.target)) continue;
      if (r.type === 'attributes') {
        if (r.attributeName === 'type' && lower(r.oldValue) === 'password') markSecret(n);
        attrs = attrs || new Map_();
        (attrs.get(n) || attrs.set(n, new Set_()).get(n)).add(r.attributeName);
      } else (texts || (texts = new Set_())).add(n);
    }
  });
  c.added = added; c.attrs = attrs; c.texts = texts; c.bump = bump;
  return c;
}

// Job 2: the added subtrees, serialised from their roots. Nodes serialised in this drain have ids from start on.
function addsOf(added, start) {
  var adds = [], roots = new Set_();
  each(added, function (n) { for (var p = up(n); p && p.nodeType !== 9; p = up(p)) if (added.has(p)) return; roots.add(n) });
  each(roots, function (n) {
    roots.delete(n);
    var p = n.parentNode, b = n.nextSibling, a;
    if (!p || !st._ids.has(p) || !n.isConnected) return;
    // Before the next sibling the replay has (later ones go before their own).
    while (b && !(st._ids.has(b) && (idOf(b) >= start || !roots.has(b)))) b = b.nextSibling;
    if ((a = {parent: idOf(p), node: ser(n, p.localName === 'style' ? PUBLIC : classify(p, 1), p.namespaceURI || HTML_NS)}).node) adds.push(a);
    if (b) a.before = idOf(b);
  });
  return adds;
}

// Job 3: the changed attributes' values now, filtered like the snapshot's.
function attrsOf(attrs, start) {
  var at = [];
  each(attrs, function (names, n) {
    if (idOf(n) >= start || !n.isConnected) return;
    var inh = classify(up(n), 1), strict = inh > PUBLIC || own(n) === SECRET;
    names.forEach(function (name) {
      var v = n.getAttribute(name);
      if (v !== null) v = attr(n.localName, name, v, strict);
      if (v !== null || !/^on/i.test(name)) at.push({id: idOf(n), name: name, value: v});
    });
  });
  return at;
}

// Job 4: the changed texts now, masked by their parent's level.
function textsOf(texts, start) {
  var tx = [];
  each(texts, function (n) {
    var p = n.parentNode;
    if (idOf(n) >= start || !p || !n.isConnected) return;
    tx.push({id: idOf(n), text: p.localName === 'style' || !classify(p, 1) ? n.data : maskText(n.data)});
  });
  return tx;
}

// Every pending change as one mutation event (stylesheets changed by script too), before anything emitted later.
// held: changes read while the first snapshot was taken in slices (snapshot.js); until then, nothing is drained.
export function drain(fresh, held) {
  if (st._snap) return;
  if (st._mFrame) { caf.call(W, st._mFrame); st._mFrame = 0 }
  var lists = st._mq, more = st._mo && st._mo.takeRecords(), start = st._nextId + 1, c, parts, css = [], adopted = [], ev, i, any = 0;
  st._mq = [];
  if (more && more.length) lists.push(more);
  if (!lists.length && !st._restyled && !held) return;
  st._mLast = now();
  st._draining = 1;
  try {
    c = read(lists, fresh, more, held || {removes: []});
    if (c.bump) stale();
    parts = [c.removes, c.added ? addsOf(c.added, start) : [], c.attrs ? attrsOf(c.attrs, start) : [],
      c.texts ? textsOf(c.texts, start) : [], css, adopted];
    ev = {type: 'mutation', t: held ? now() : lists.length ? st._mT : st._sT || now()};
    if (st._restyled) restyle(css, adopted);
    for (i = 0; i < KINDS.length; i++) if (parts[i].length) { ev[KINDS[i]] = parts[i]; any = 1 }
    if (any) push(ev);
  } finally { st._draining = 0 }
  attachLater();
}
