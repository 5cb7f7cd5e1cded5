/* Telltale snippet: private-by-design session recording. Wire format: snippet/schema.json (v 2). */
(function (W) {
'use strict';
var V = 2, D = W.document, N = W.navigator;
if (!D || W.telltale) return;

// A same-origin frame is recorded by its parent (shares its API); under a cross-origin parent, never.
var child = W !== W.top;
if (child) try { var parentApi = W.parent.telltale; if (parentApi && parentApi.v === V) { W.telltale = parentApi; return } } catch (e) {}

// Originals, kept now: page code that replaces them cannot break or observe us.
var ET = W.EventTarget.prototype, ael = ET.addEventListener, rel = ET.removeEventListener,
  MO = W.MutationObserver, WM = W.WeakMap, WS = W.WeakSet, Map_ = W.Map, Set_ = W.Set, URL_ = W.URL,
  fetch_ = W.fetch, beacon = N.sendBeacon, stringify = W.JSON.stringify, crypto_ = W.crypto,
  rnd = crypto_ && crypto_.getRandomValues, setT = W.setTimeout, clearT = W.clearTimeout, setI = W.setInterval,
  clearI = W.clearInterval, raf = W.requestAnimationFrame, caf = W.cancelAnimationFrame, perf = W.performance,
  pnow = perf.now.bind(perf), dnow = W.Date.now, CS = W.CompressionStream, Resp = W.Response, TE = W.TextEncoder,
  hist = W.history, loc = W.location, round = Math.round, script = D.currentScript, Promise_ = W.Promise, U8 = W.Uint8Array;

var MASK = '\u2022\u2022\u2022', OPTS = {capture: true, passive: true}, OPTOUT = 'telltale_optout',
  MO_OPTS = {childList: true, subtree: true, attributes: true, characterData: true, attributeOldValue: true};
function set(s) { var o = Object.create(null); s.split(' ').forEach(function (k) { o[k] = 1 }); return o }
// Other tools' markers, as attribute or class.
var MARKLIST = 'data-sensitive clicktalesensitive data-hj-suppress fs-exclude fs-mask data-clarity-mask rr-block ' +
  'rr-mask rr-ignore sentry-mask data-sentry-mask ph-no-capture ph-sensitive data-private data-openreplay-masked ' +
  'data-openreplay-obscured', MARKS = set(MARKLIST), MARK_CLASS = new RegExp('(^|\\s)(' + MARKLIST.replace(/ /g, '|') + ')(\\s|$)', 'i');
var SECRET_AC = set('one-time-code current-password new-password cc-number cc-csc'),
  SECRET_WORDS = set('password passwd pwd passcode pin otp cvv cvc csc ssn'),
  // All that sensitive or typed subtrees keep (a title or alt could hold the secret).
  KEEP = set('id class style type role dir lang hidden disabled width height tabindex colspan rowspan contenteditable'),
  NO_VALUE = set('submit button reset image file'), SKIP = set('script noscript template'), FIELDS = set('input textarea select');

function noop() {}
function lower(s) { return s ? String(s).toLowerCase() : '' }
function all(fns) { return function () { fns.forEach(function (f) { f() }) } }
var errors = 0;
function guard(fn) { return function () { try { return fn.apply(this, arguments) } catch (e) { errors++ } } }
function each(c, fn) { c.forEach(function (x, k) { try { fn(x, k) } catch (e) { errors++ } }) }
function on(t, type, fn) { // a listener's guard takes the event alone: cheaper than apply(arguments) on every event
  var g = function (e) { try { fn(e) } catch (x) { errors++ } };
  ael.call(t, type, g, OPTS);
  return function () { rel.call(t, type, g, OPTS) };
}
function timeout(fn, ms) { return setT.call(W, guard(fn), ms) }

// == Privacy: every observer asks classify().
var PUBLIC = 0, TYPED = 1, SECRET = 2, ver = 0;
var secret = new WS(); // once sensitive, always (show-password toggle, card typed)

function cardIn(s) { // Luhn-valid, 13-19 digits
  if (!s || s.length < 13 || s.length > 1e5) return false;
  var re = /\d(?:[ -]?\d){12,18}/g, m, d, i, sum, x;
  while ((m = re.exec(s))) {
    d = m[0].replace(/\D/g, ''); sum = 0;
    for (i = 0; i < d.length; i++) { x = +d[d.length - 1 - i]; if (i % 2) { x *= 2; if (x > 9) x -= 9 } sum += x }
    if (sum % 10 === 0) return true;
  }
  return false;
}
function words(s) { return s.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/([A-Z])([A-Z][a-z])/g, '$1 $2').toLowerCase().split(/[^a-z]+/) }
function secretField(el) {
  var type = lower(el.getAttribute('type')), ac = lower(el.getAttribute('autocomplete')), w, i;
  if (type === 'password' || type === 'hidden') return true;
  w = ac.split(/\s+/);
  for (i = 0; i < w.length; i++) if (SECRET_AC[w[i]] || w[i].indexOf('cc-exp') === 0) return true;
  w = words((el.getAttribute('id') || '') + ' ' + (el.getAttribute('name') || '') + ' ' + ac);
  for (i = 0; i < w.length; i++) if (SECRET_WORDS[w[i]]) return true;
  return false;
}
// An element's own level from its attributes, cached until a mutation may change it (ver); a field's value is
// checked every time (a card number can be typed into any field).
var owns = new WM();
function ownAttrs(el) {
  var a = el.hasAttributes() && el.attributes, lvl = PUBLIC, i, n;
  for (i = 0; a && i < a.length; i++) {
    n = a[i].name;
    if (MARKS[n] || n === 'class' && MARK_CLASS.test(a[i].value)) return SECRET;
    if (n === 'contenteditable' && lower(a[i].value) !== 'false') lvl = TYPED;
  }
  if (FIELDS[el.localName]) {
    if (secretField(el)) { secret.add(el); return SECRET }
    lvl = TYPED;
  }
  return lvl;
}
function own(el) {
  if (secret.has(el)) return SECRET;
  var k = owns.get(el), base = ver * 4, l = k !== undefined && k >= base ? k - base : ownAttrs(el);
  if (k === undefined || k < base) owns.set(el, base + l);
  if (l === TYPED && FIELDS[el.localName] && el.localName !== 'select' && cardIn(el.value)) { secret.add(el); return SECRET }
  return l;
}
// A select is typed, its options are not.
function passes(el, l) { return l === TYPED && FIELDS[el.localName] ? PUBLIC : l }
function up(n) { // crosses shadow roots and same-origin frames
  var t = n.nodeType;
  if (n.parentNode) return n.parentNode;
  if (t === 11) return n.host || null;
  if (t === 9) try { var w = n.defaultView; return w && w !== W ? w.frameElement : null } catch (e) {}
  return null;
}
// The level a child of n inherits, cached like own() (a level is 0..2, so ver * 4 + level holds both).
var levels = new WM();
function inherit(n) {
  var path = [], l = PUBLIC, base = ver * 4, k, i, o;
  for (; n; n = up(n)) { if ((k = levels.get(n)) !== undefined && k >= base) { l = k - base; break } path.push(n) }
  for (i = path.length; i--;) {
    n = path[i];
    if (l < SECRET && n.nodeType === 1 && (o = passes(n, own(n))) > l) l = o;
    levels.set(n, base + l);
  }
  return l;
}
// PUBLIC; TYPED: masked, values only at submit; SECRET: masked, only focus and blur. kids: for a child of node.
function classify(node, kids) {
  var l = kids || node.nodeType !== 1 ? PUBLIC : own(node);
  return l === SECRET ? l : Math.max(l, inherit(kids ? node : up(node)));
}
function maskText(s) { return /\S/.test(s) ? MASK : s }
function maskQuery(q) {
  return q.split('&').map(function (p) { var e = p.indexOf('='); return e < 0 ? (p && '*') : p.slice(0, e + 1) + (p.length > e + 1 ? '*' : '') }).join('&');
}
function maskUrl(u) { // values in query and fragment
  var h = u.indexOf('#'), hash = h < 0 ? '' : u.slice(h), base = h < 0 ? u : u.slice(0, h), q = base.indexOf('?');
  if (q >= 0) base = base.slice(0, q + 1) + maskQuery(base.slice(q + 1));
  return base + (hash.indexOf('=') > 0 ? '#' + maskQuery(hash.slice(1)) : hash);
}
function jsUrl(v) { var i = v.indexOf(':'); return i > 9 && lower(v.slice(0, i).replace(/[\u0000-\u0020]/g, '')) === 'javascript' }
// null: dropped (handlers, javascript: URLs, input values).
function attr(tag, name, v, strict) {
  var n = lower(name);
  if (n.slice(0, 2) === 'on' && n !== 'open' || n === 'srcdoc' || tag === 'input' && n === 'value' ||
    strict && !KEEP[n] && !MARKS[n] || jsUrl(v)) return null;
  return n === 'action' || n === 'formaction' || n === 'href' && (tag === 'a' || tag === 'area') ? maskUrl(v) : v;
}

// == Recording state (reset by start)
var S, running = 0, gen = 0, ready = 0, needConsent = 0, consented = 0, stops, mo, ids, nextId, watched, later,
  buf, dropped, move, pendTs, pendX, pendY, pendV, lastTs, lastV, cheap, mq = [], mT = 0, mFrame = 0, mLast = -1e9, draining = 0, t0, p0, sid, page, url, seqMem = 0, flushTimer,
  inflight, retries, dirty, fst, left, meta, samplers = [];

function now() { return round(pnow() - p0) }
function idOf(n) { return ids.get(n) }
function assign(n) { ids.set(n, ++nextId); return nextId }

// == Serialisation
function rules(sheet) { try { return [].map.call(sheet.cssRules, function (r) { return r.cssText }).join('\n') } catch (e) { return '' } }
var HTML_NS = 'http://www.w3.org/1999/xhtml';
function kidsOf(n, lvl, ns) { var out = [], c, s; for (c = n.firstChild; c; c = c.nextSibling) if ((s = ser(c, lvl, ns))) out.push(s); return out.length ? out : undefined }
function serRoot(r, lvl) {
  var o = {id: assign(r), root: r.nodeType === 9 ? 'doc' : 'shadow'}, k = kidsOf(r, lvl, HTML_NS), sh = r.adoptedStyleSheets, d = r.doctype;
  if (d) o.doctype = {name: d.name, publicId: d.publicId, systemId: d.systemId}; // standards or quirks mode
  if (k) o.kids = k;
  if (sh && sh.length) o.sheets = [].map.call(sh, rules);
  if (sh) adoptedSeen.set(r, [].slice.call(sh));
  return o;
}
// lvl: inherited level; pns: the parent's namespace. null: never recorded. Most elements have no attributes: asking
// first spares creating their attribute map.
function ser(n, lvl, pns) {
  try {
    var t = n.nodeType;
    if (t === 3) return {id: assign(n), text: lvl ? maskText(n.data) : n.data};
    if (t !== 1 || SKIP[n.localName]) return null;
    var tag = n.localName, has = n.hasAttributes(), self = has || FIELDS[tag] ? own(n) : secret.has(n) ? SECRET : PUBLIC,
      kl = tag === 'style' ? PUBLIC : Math.max(lvl, passes(n, self)), o = {id: assign(n), tag: tag}, a, i, v, ns = n.namespaceURI;
    if (has) for (a = n.attributes, i = 0; i < a.length; i++) {
      v = attr(tag, a[i].name, a[i].value, self === SECRET || lvl > PUBLIC);
      if (v !== null) (o.attrs || (o.attrs = {}))[a[i].name] = v;
    }
    if (ns !== pns) o.ns = ns;
    if (tag !== 'textarea' && (v = kidsOf(n, kl, ns))) o.kids = v;
    if (n.shadowRoot) { o.shadow = serRoot(n.shadowRoot, kl); later.push(n.shadowRoot) }
    if (tag === 'iframe') later.push(n);
    if (tag === 'style' && !n.firstChild && n.sheet) o.css = rules(n.sheet); // CSS-in-JS
    return o;
  } catch (e) { errors++; ids.delete(n); return null }
}
function attachLater() { var l = later; later = []; l.forEach(function (x) { x.nodeType === 11 ? watch(x) : frame(x) }) }

// == Buffer
// Full: drop moves, then scrolls, then the newcomer.
function shed(type) { if (cheap[type]) { buf = buf.filter(function (e) { if (e.type !== type) return true; dropped++ }); cheap[type] = 0; if (type === 'move') move = null } }
function push(ev) {
  if (buf.length >= S.maxEvents) { shed('move'); if (buf.length >= S.maxEvents) shed('scroll') }
  if (buf.length >= S.maxEvents) { dropped++; return false }
  if (ev.type in cheap) cheap[ev.type]++;
  buf.push(ev); return true;
}
// Pending DOM changes first, to keep the order.
function emit(ev) { if (!running) return; if (mq.length && !draining) drain(); ev.t = ev.t == null ? now() : ev.t; push(ev) }

// == Mutations: batched per animation frame
// Levels go stale when an attribute classify() reads changes, or when a node that was classified where it stood is
// inserted again (moved): its subtree inherits anew. Removals alone and new nodes leave every cached level right.
var CLASSIFIED = set('type autocomplete id name contenteditable');
function staleAttr(r) {
  var n = lower(r.attributeName);
  return CLASSIFIED[n] || MARKS[n] || n === 'class' && (MARK_CLASS.test(r.oldValue || '') || MARK_CLASS.test(r.target.getAttribute('class') || ''));
}
function staleAdd(n) { return levels.has(n) || owns.has(n) } // classified where it stood before
function touch(recs) {
  for (var i = 0, r, j, n; i < recs.length; i++) {
    r = recs[i];
    if (r.type === 'childList') { for (j = 0, n = r.addedNodes; j < n.length; j++) if (staleAdd(n[j])) return ver++ }
    else if (r.type === 'attributes' && staleAttr(r)) return ver++;
  }
}
// The first change after a quiet frame is drained at once, in the observer's callback; changes that follow it within
// the frame wait for the next one. Asking for a frame per change would cost a frame request and a callback each.
// Records drained at once are checked for stale levels as they are read; those that wait, on arrival (an event may
// classify before the drain).
function onMutations(recs) {
  var t = now();
  if (!mq.length) mT = t;
  mq.push(recs);
  if (mFrame || t - mLast < 16) { touch(recs); drainNextFrame() }
  else drain(1);
}
var frameDrain = guard(function () { mFrame = 0; drain() });
function drainNextFrame() { if (!mFrame) mFrame = raf.call(W, frameDrain) }
// fresh: no list was touched yet (else only those taken now).
function drain(fresh) {
  if (mFrame) { caf.call(W, mFrame); mFrame = 0 }
  var lists = mq, more = mo && mo.takeRecords(), start = nextId + 1, added, roots, attrs, texts,
    removes = [], adds = [], at = [], tx = [], bump = 0;
  mq = [];
  if (more && more.length) lists.push(more);
  if (!lists.length && !restyled) return;
  mLast = now();
  draining = 1;
  try {
    each(lists, function (recs) {
      var check = fresh || recs === more;
      for (var i = 0, r, j, n, s, l; i < recs.length; i++) {
        r = recs[i];
        if (r.type === 'childList') {
          for (j = 0, l = r.removedNodes; j < l.length; j++) { s = l[j]; if (added && added.has(s)) added.delete(s); else if (ids.has(s)) removes.push(idOf(s)) }
          for (j = 0, l = r.addedNodes; j < l.length; j++) { (added || (added = new Set_())).add(s = l[j]); if (check && !bump && staleAdd(s)) bump = 1 }
          continue;
        }
        if (check && !bump && r.type === 'attributes' && staleAttr(r)) bump = 1;
        if (!ids.has(n = r.target)) continue;
        if (r.type === 'attributes') {
          if (r.attributeName === 'type' && lower(r.oldValue) === 'password') secret.add(n);
          attrs = attrs || new Map_();
          (attrs.get(n) || attrs.set(n, new Set_()).get(n)).add(r.attributeName);
        } else (texts || (texts = new Set_())).add(n);
      }
    });
    if (bump) ver++;
    if (added) {
      // Only roots of the added subtrees.
      roots = new Set_();
      each(added, function (n) { for (var p = up(n); p && p.nodeType !== 9; p = up(p)) if (added.has(p)) return; roots.add(n) });
      each(roots, function (n) {
        roots.delete(n);
        var p = n.parentNode, b = n.nextSibling, a;
        if (!p || !ids.has(p) || !n.isConnected) return;
        // Before the next sibling the replay has (later ones go before their own).
        while (b && !(ids.has(b) && (idOf(b) >= start || !roots.has(b)))) b = b.nextSibling;
        if ((a = {parent: idOf(p), node: ser(n, p.localName === 'style' ? PUBLIC : classify(p, 1), p.namespaceURI || HTML_NS)}).node) adds.push(a);
        if (b) a.before = idOf(b);
      });
    }
    if (attrs) each(attrs, function (names, n) {
      if (idOf(n) >= start || !n.isConnected) return;
      var inh = classify(up(n), 1), strict = inh > PUBLIC || own(n) === SECRET;
      names.forEach(function (name) {
        var v = n.getAttribute(name);
        if (v !== null) v = attr(n.localName, name, v, strict);
        if (v !== null || !/^on/i.test(name)) at.push({id: idOf(n), name: name, value: v});
      });
    });
    if (texts) each(texts, function (n) {
      var p = n.parentNode;
      if (idOf(n) >= start || !p || !n.isConnected) return;
      tx.push({id: idOf(n), text: p.localName === 'style' || !classify(p, 1) ? n.data : maskText(n.data)});
    });
    var ev = {type: 'mutation', t: lists.length ? mT : sT || now()}, css = [], adopted = [];
    if (restyled) restyle(css, adopted);
    if (removes.length) ev.removes = removes;
    if (adds.length) ev.adds = adds;
    if (at.length) ev.attrs = at;
    if (tx.length) ev.texts = tx;
    if (css.length) ev.css = css;
    if (adopted.length) ev.adopted = adopted;
    if (removes.length || adds.length || at.length || tx.length || css.length || adopted.length) push(ev);
  } finally { draining = 0 }
  attachLater();
}

// == Stylesheets changed by script (CSS-in-JS inserting rules, constructed sheets): sent whole at the next drain
var restyled = 0, sT = 0, dirtySheets, adopters, adoptedSeen;
function restyle(css, adopted) {
  restyled = sT = 0;
  dirtySheets.forEach(function (sheet) {
    var n = sheet.ownerNode;
    if (n && n.localName === 'style' && ids.has(n) && n.isConnected) css.push({id: idOf(n), text: rules(sheet)});
  });
  // Adopted sheets change by assignment or in place (push): compare with what was sent.
  adopters.forEach(function (root) {
    var cur = root.adoptedStyleSheets, seen = adoptedSeen.get(root) || [], i, same = cur.length === seen.length;
    for (i = 0; same && i < cur.length; i++) same = cur[i] === seen[i] && !dirtySheets.has(cur[i]);
    if (!same && ids.has(root)) { adoptedSeen.set(root, [].slice.call(cur)); adopted.push({id: idOf(root), sheets: [].map.call(cur, rules)}) }
  });
  dirtySheets.clear();
}
function restyleSoon(sheet) {
  if (!running) return;
  if (sheet) dirtySheets.add(sheet);
  if (!restyled) { restyled = 1; sT = now() }
  drainNextFrame();
}
function observeSheets(win) {
  var proto = win.CSSStyleSheet && win.CSSStyleSheet.prototype, undo = [];
  if (!proto) return noop;
  ['insertRule', 'deleteRule', 'addRule', 'removeRule', 'replaceSync', 'replace'].forEach(function (m) {
    var orig = proto[m], ours;
    if (typeof orig !== 'function') return;
    ours = function () {
      var r = orig.apply(this, arguments), sheet = this;
      guard(restyleSoon)(sheet);
      if (r && typeof r.then === 'function') r.then(guard(function () { restyleSoon(sheet) }), noop); // replace() is async
      return r;
    };
    proto[m] = ours;
    undo.push(function () { if (proto[m] === ours) proto[m] = orig });
  });
  [win.Document, win.ShadowRoot].forEach(function (C) {
    var p = C && C.prototype, d = p && Object.getOwnPropertyDescriptor(p, 'adoptedStyleSheets'), ours;
    if (!d || !d.set || !d.configurable) return;
    ours = {configurable: true, enumerable: d.enumerable, get: d.get, set: function (v) { d.set.call(this, v); guard(restyleSoon)() }};
    Object.defineProperty(p, 'adoptedStyleSheets', ours);
    undo.push(function () { if (Object.getOwnPropertyDescriptor(p, 'adoptedStyleSheets').set === ours.set) Object.defineProperty(p, 'adoptedStyleSheets', d) });
  });
  return all(undo);
}

// == Observers: one per event family; each returns its teardown
// Events from inside an open shadow root reach the document retargeted to its host.
function target(e) { var n = e.target, p; if (n && n.shadowRoot && e.composedPath && (p = e.composedPath()).length) n = p[0]; return n }
function offset(v) { // of a frame's viewport in the top one
  var x = 0, y = 0, f, r;
  try { while (v && v !== W && (f = v.frameElement)) { r = f.getBoundingClientRect(); x += r.left + f.clientLeft; y += r.top + f.clientTop; v = f.ownerDocument.defaultView } } catch (e) {}
  return [x, y];
}
function isField(n) {
  var tag = n.nodeType === 1 && n.localName;
  return tag === 'input' ? !NO_VALUE[lower(n.type)] : tag === 'textarea' || tag === 'select' || !!n.isContentEditable;
}
function fieldOf(e) { var n = target(e); return n && ids.has(n) && isField(n) ? n : null }
function valueOf(f) { return 'value' in f && f.localName !== 'button' ? String(f.value) : String(f.textContent || '') }

// A sample per S.sampling.move ms, from the moves (a timer task costs more). The move before a pause waits (pend*).
// Positions are copied, not the event: keeping events alive costs more than the copy. Moves are throttled on their
// own timeStamp (per document: a frame's clock starts at its own load); the clock is read only for the points kept.
function evTime(v, ts) { // our time of an event of window v stamped ts
  try { return now() - round(new v.Event('t').timeStamp - ts) } catch (e) { return now() }
}
function point(t, x, y, v) {
  var o = offset(v);
  if (!move || move.path.length >= 20) { move = {type: 'move', t: t, path: []}; if (!push(move)) { move = null; return } }
  move.path.push([t - move.t, round(x + o[0]), round(y + o[1])]);
}
function observePointer(doc) {
  var v = doc.defaultView; // the view of every pointer event that reaches doc
  return all([
    on(doc, 'pointermove', function (e) {
      var ts = e.timeStamp, t;
      if (v === lastV && ts - lastTs < S.sampling.move) { pendTs = ts; pendX = e.clientX; pendY = e.clientY; pendV = v; return }
      t = now();
      if (pendTs >= 0 && (pendV !== v || ts - pendTs >= S.sampling.move)) point(pendV === v ? t - round(ts - pendTs) : evTime(pendV, pendTs), pendX, pendY, pendV);
      pendTs = -1; lastTs = ts; lastV = v; point(t, e.clientX, e.clientY, v);
    }),
    on(doc, 'click', function (e) {
      var n = target(e), o = offset(e.view);
      while (n && !ids.has(n)) n = up(n);
      if (n && !(isField(n) && classify(n, 0) === SECRET)) emit({type: 'click', id: idOf(n), x: round(e.clientX + o[0]), y: round(e.clientY + o[1])});
    })
  ]);
}
// Scroll and resize: the last position per S.sampling.scroll ms, stamped with the time of the event that brought it
// there. A flush takes pending samples too, so a page that is left keeps its last scroll.
function sampler(take) {
  var tm = 0;
  function sample() { if (tm) { clearT.call(W, tm); tm = 0; take() } }
  samplers.push(sample);
  return {
    later: function () { tm = tm || timeout(sample, S.sampling.scroll) },
    stop: function () { clearT.call(W, tm); tm = 0 }
  };
}
function offsetPx(v) { return round(v * 100) / 100 } // engines scroll by fractions of a pixel
function observeScroll(root) {
  var pend = new Map_(), s = sampler(function () {
    pend.forEach(function (t, n) {
      var w = n.nodeType === 9 && n.defaultView;
      if (ids.has(n)) emit({type: 'scroll', t: t, id: idOf(n), x: offsetPx(w ? w.scrollX : n.scrollLeft), y: offsetPx(w ? w.scrollY : n.scrollTop)});
    });
    pend.clear();
  });
  return all([on(root, 'scroll', function (e) { pend.set(e.target, now()); s.later() }), s.stop]);
}
function observeResize() {
  var last = 0, s = sampler(function () { emit({type: 'resize', t: last, w: W.innerWidth, h: W.innerHeight}) });
  return all([on(W, 'resize', function () { last = now(); s.later() }), s.stop]);
}
// Typed content is never read here, except to spot a card.
function observeFields(doc) {
  return all([
    on(doc, 'focusin', function (e) { var f = fieldOf(e); if (f) { emit({type: 'focus', id: idOf(f)}); fst.set(f, {t: now(), fixes: 0}) } }),
    on(doc, 'focusout', function (e) {
      var f = fieldOf(e), s = f && fst.get(f), ev;
      if (!f) return;
      ev = {type: 'blur', id: idOf(f)};
      if (s && classify(f, 0) < SECRET) { ev.ms = now() - s.t; ev.fixes = s.fixes }
      fst.delete(f); emit(ev);
    }),
    on(doc, 'input', function (e) {
      var f = fieldOf(e), s, form;
      if (!f || classify(f, 0) === SECRET) return;
      if (!FIELDS[f.localName] && cardIn(valueOf(f))) { secret.add(f); return }
      if ((s = fst.get(f)) && String(e.inputType).indexOf('delete') === 0) s.fixes++;
      if ((form = f.form)) (dirty.get(form) || dirty.set(form, new Set_()).get(form)).add(f);
    })
  ]);
}
// At submit: non-sensitive values only, re-checked now.
function submitted(f) {
  var tag = f.localName, type = lower(f.type), v;
  if (!ids.has(f) || f.disabled || classify(f, 0) === SECRET || tag !== 'input' && tag !== 'select' && tag !== 'textarea' ||
    tag === 'input' && (NO_VALUE[type] || (type === 'checkbox' || type === 'radio') && !f.checked)) return null;
  v = f.multiple && f.selectedOptions ? [].map.call(f.selectedOptions, function (o) { return o.value }).join(',') : String(f.value);
  if (cardIn(v)) { secret.add(f); return null }
  return v;
}
function observeSubmit(root) {
  return on(root, 'submit', function (e) {
    var form = e.target, fields = [], els, i, v, f;
    if (!form || form.localName !== 'form' || !ids.has(form)) return;
    for (els = form.elements, i = 0; i < els.length; i++) {
      f = els[i];
      if ((v = submitted(f)) !== null) fields.push({id: idOf(f), name: String(f.name || ''), value: v});
    }
    dirty.delete(form);
    emit({type: 'submit', id: idOf(form), fields: fields});
  });
}
// Which fields held typed text, never what.
function abandon() {
  dirty.forEach(function (fields, form) {
    var list = [];
    fields.forEach(function (f) { if (ids.has(f) && classify(f, 0) < SECRET && valueOf(f) !== '') list.push(idOf(f)) });
    if (list.length && ids.has(form)) emit({type: 'abandon', id: idOf(form), fields: list});
  });
}
// Hidden (another tab, the app in the background): the page lives on, so the batch is compressed and sent by fetch.
// pagehide (leaving, closing; it comes before the hidden state then): synchronous, by beacon.
function observeLifecycle() {
  var gone = 0;
  function leave(sync) { if (!left) { left = 1; abandon() } flush(sync) }
  return all([
    on(D, 'visibilitychange', function () {
      var hidden = D.visibilityState === 'hidden';
      emit({type: 'visibility', state: hidden ? 'hidden' : 'visible'});
      if (hidden) leave(gone); else left = 0;
    }),
    on(W, 'pagehide', function () { gone = 1; leave(true) }),
    on(W, 'pageshow', function () { left = gone = 0 })
  ]);
}
function observeNavigation() {
  var last = loc.href, undo = [];
  function nav(how) { var u = loc.href; if (running && u !== last) { last = u; emit({type: 'nav', url: maskUrl(u), how: how}) } }
  ['pushState', 'replaceState'].forEach(function (m, i) {
    var orig = hist[m], ours = function () { var r = orig.apply(this, arguments); guard(nav)(i ? 'replace' : 'push'); return r };
    if (typeof orig !== 'function') return;
    hist[m] = ours;
    undo.push(function () { if (hist[m] === ours) hist[m] = orig });
  });
  undo.push(on(W, 'popstate', function () { nav('pop') }), on(W, 'hashchange', function () { nav('hash') }));
  return all(undo);
}
// Shadow roots attached late (custom elements).
function observeShadows(win) {
  var proto = win.Element.prototype, orig = proto.attachShadow, ours;
  if (typeof orig !== 'function') return noop;
  ours = function () { var r = orig.apply(this, arguments); guard(shadow)(this, r); return r };
  proto.attachShadow = ours;
  return function () { if (proto.attachShadow === ours) proto.attachShadow = orig };
}
function shadow(host, r) {
  if (!running || r.mode !== 'open' || !ids.has(host) || watched.has(r)) return;
  emit({type: 'attach', host: idOf(host), node: serRoot(r, classify(host, 1))});
  watch(r); attachLater();
}
function frame(f) {
  var doc; try { doc = f.contentDocument } catch (e) {}
  if (!running || !doc || !doc.documentElement || !ids.has(f) || watched.has(doc)) return;
  emit({type: 'attach', host: idOf(f), node: serRoot(doc, classify(f, 1))});
  watch(doc); attachLater();
}
// A document or open shadow root: DOM changes and events that stay inside it.
function watch(root) {
  if (watched.has(root)) return;
  watched.add(root);
  mo.observe(root, MO_OPTS);
  if (root.adoptedStyleSheets) adopters.push(root);
  var l = [observeScroll(root), observeSubmit(root), on(root, 'load', function (e) { if (e.target.localName === 'iframe') frame(e.target) })];
  if (root.nodeType === 9) {
    l.push(observePointer(root), observeFields(root));
    if (root !== D) l.push(observeShadows(root.defaultView), observeSheets(root.defaultView));
  }
  stops.push(all(l));
}

// == Transport
function store(k, v) { try { var s = W.sessionStorage; if (v == null) return s.getItem(k); s.setItem(k, v) } catch (e) {} return null }
function hex(n) { var a = new U8(n), s = ''; rnd.call(crypto_, a); for (var i = 0; i < n; i++) s += (a[i] + 256).toString(16).slice(1); return s }
function nextSeq() { seqMem = Math.max(seqMem, +store('telltale_seq') || 0) + 1; store('telltale_seq', String(seqMem)); return seqMem }
function gzip(s) {
  var cs = new CS('gzip'), w = cs.writable.getWriter();
  w.write(new TE().encode(s)).catch(noop); w.close().catch(noop);
  return new Resp(cs.readable).arrayBuffer();
}
function post(body, gz) {
  return fetch_.call(W, gz ? url + (url.indexOf('?') < 0 ? '?' : '&') + 'z=gzip' : url, {method: 'POST', body: body, credentials: 'omit',
    keepalive: (body.byteLength || body.length) < 6e4, headers: {'Content-Type': gz ? 'application/octet-stream' : 'text/plain;charset=UTF-8'}});
}
// For page exit: synchronous, plain JSON.
function sendNow(b) {
  b.done = 1; inflight.delete(b);
  var ok = false;
  try { ok = beacon.call(N, url, b.json) } catch (e) {}
  if (!ok) try { post(b.json, false).catch(noop) } catch (e) {}
}
function send(b) {
  var g = gen, z = null;
  inflight.add(b);
  try { z = CS && gzip(b.json) } catch (e) {}
  Promise_.resolve(z).then(null, noop).then(function (gz) {
    if (b.done || g !== gen) return;
    b.posting = 1;
    return post(gz ? new U8(gz) : b.json, !!gz).then(function (r) { if (r.ok || r.status < 500 && r.status !== 429) return 1 }, noop).then(function (ok) {
      b.posting = 0;
      if (g !== gen || b.done) return;
      if (ok || ++b.tries > 4) { b.done = 1; inflight.delete(b); return }
      var tm = timeout(function () { retries.delete(tm); if (g === gen && !b.done) send(b) }, 1000 * Math.pow(2, b.tries));
      retries.add(tm);
    });
  }).catch(noop);
}
// At exit each must fit a beacon: split.
function batches(events, sync, out) {
  var h = events.length >> 1, json = stringify({v: V, sid: sid, seq: 0, page: page, t0: t0, dropped: dropped, events: events});
  if (sync && h && json.length > 6e4) { batches(events.slice(0, h), sync, out); batches(events.slice(h), sync, out) }
  else { dropped = 0; out.push({json: json.replace('"seq":0', '"seq":' + nextSeq()), tries: 0}) }
  return out;
}
function flush(sync) {
  if (!running) return;
  // Pending samples go too, and adopted sheets are compared (a push onto adoptedStyleSheets calls nothing of ours).
  measure(); samplers.forEach(function (f) { f() }); restyled = restyled || adopters.length; drain();
  if (pendTs >= 0) { point(evTime(pendV, pendTs), pendX, pendY, pendV); lastTs = pendTs; lastV = pendV }
  move = null; pendTs = -1;
  if (buf.length || dropped) { var ev = buf; buf = []; cheap = {move: 0, scroll: 0}; batches(ev, sync, []).forEach(function (b) { sync ? sendNow(b) : send(b) }) }
  if (sync) inflight.forEach(function (b) { if (!b.posting) sendNow(b) });
}

// == Life cycle
function optedOut() { try { return N.globalPrivacyControl === true || /(?:^|;\s*)telltale_optout=1(?:;|$)/.test(D.cookie) } catch (e) { return true } }
function setOptOut(out) {
  D.cookie = OPTOUT + '=' + (out ? '1; max-age=31536000' : '; max-age=0') + '; path=/; SameSite=Lax' + (loc.protocol === 'https:' ? '; Secure' : '');
}
function start() {
  running = 1; gen++; stops = []; samplers = []; mLast = -1e9; dirtySheets = new Set_(); adopters = []; adoptedSeen = new WM(); restyled = 0; ids = new WM(); nextId = 0; watched = new WS(); later = []; buf = []; dropped = 0;
  cheap = {move: 0, scroll: 0}; pendTs = -1; lastTs = -1e9; lastV = null;
  move = null; mq = []; inflight = new Set_(); retries = new Set_(); dirty = new Map_(); fst = new WM(); left = 0;
  sid = store('telltale_sid');
  if (!/^[0-9a-f]{32}$/.test(sid || '')) store('telltale_sid', sid = hex(16));
  page = hex(8); t0 = dnow(); p0 = pnow();
  emit(meta = {type: 'meta', url: maskUrl(loc.href), title: String(D.title), w: 0, h: 0, dpr: W.devicePixelRatio || 1});
  emit({type: 'snapshot', node: serRoot(D, PUBLIC)});
  mo = new MO(guard(onMutations));
  watch(D); attachLater();
  stops.push(observeResize(), observeLifecycle(), observeNavigation(), observeShadows(W), observeSheets(W));
  flushTimer = setI.call(W, guard(function () { flush(false) }), S.flushInterval);
  afterLayout(function () { flush(false) }); // the snapshot goes at once: a session starts on the collector
}
// Viewport and scroll are read once the browser has laid the page out: read while it loads, they would force a
// layout of their own (a flush before then reads them, a page leaving may).
function afterLayout(fn) {
  var g = gen, run = guard(function () { if (g === gen) fn() });
  if (D.visibilityState === 'hidden') timeout(run, 0); else raf.call(W, function () { timeout(run, 0) });
}
function measure() {
  if (!meta) return;
  meta.w = W.innerWidth; meta.h = W.innerHeight;
  if (W.scrollX || W.scrollY) emit({type: 'scroll', id: idOf(D), x: offsetPx(W.scrollX), y: offsetPx(W.scrollY)});
  meta = null;
}
// Opt-out: all torn down, buffers dropped, no goodbye.
function stop() {
  if (!running) return;
  running = 0; gen++;
  stops.forEach(function (f) { f() });
  if (mo) mo.disconnect();
  clearI.call(W, flushTimer);
  if (mFrame) caf.call(W, mFrame);
  retries.forEach(function (tm) { clearT.call(W, tm) });
  mFrame = 0; buf = []; mq = []; move = null; inflight = new Set_(); dirty = new Map_();
}
function maybeStart() { if (ready && !running && !child && !optedOut() && (!needConsent || consented)) start() }
function boot() {
  var c = W.telltaleConfig, sm;
  c = c && typeof c === 'object' ? c : {};
  sm = c.sampling || {};
  S = {flushInterval: +c.flushInterval || 5000, maxEvents: +c.maxEvents || 3000, sampling: {move: +sm.move || 50, scroll: +sm.scroll || 100}};
  needConsent = c.consent === 'required' || !!script && script.getAttribute('data-consent') === 'required';
  url = new URL_(c.endpoint || script && script.getAttribute('data-endpoint') || '/telltale/collect', loc.href).href;
  if (c.debug) { api._classify = classify; api._errors = function () { return errors } }
  ready = /^https?:$/.test(loc.protocol);
  maybeStart();
}

var api = W.telltale = {
  v: V,
  optOut: guard(function () { setOptOut(1); stop() }),
  optIn: guard(function () { setOptOut(0); maybeStart() }),
  isOptedOut: function () { return optedOut() },
  consent: guard(function () { consented = 1; maybeStart() })
};
if (D.readyState === 'loading') ael.call(D, 'DOMContentLoaded', guard(boot), {once: true});
else guard(boot)();
})(window);
