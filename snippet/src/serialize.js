// Nodes as the wire has them (schema.json: node), masked by their level. Each serialised node gets its id here.
import {st} from './state.js';
import {FIELDS, HTML_NS, SKIP} from './dom.js';
import {failed} from './util.js';
import {PUBLIC, SECRET, isSecret, own, passes} from './privacy/classify.js';
import {attr, maskText} from './privacy/mask.js';

function assign(n) { st._ids.set(n, ++st._nextId); return st._nextId }
export function rules(sheet) { try { return [].map.call(sheet.cssRules, function (r) { return r.cssText }).join('\n') } catch (e) { return '' } }
function kidsOf(n, lvl, ns) { var out = [], c, s; for (c = n.firstChild; c; c = c.nextSibling) if ((s = ser(c, lvl, ns))) out.push(s); return out.length ? out : undefined }
// A document or shadow root, its children left out.
export function rootShell(r) {
  var o = {id: assign(r), root: r.nodeType === 9 ? 'doc' : 'shadow'}, sh = r.adoptedStyleSheets, d = r.doctype;
  if (d) o.doctype = {name: d.name, publicId: d.publicId, systemId: d.systemId}; // standards or quirks mode
  if (sh && sh.length) o.sheets = [].map.call(sh, rules);
  if (sh) st._adoptedSeen.set(r, [].slice.call(sh));
  return o;
}
export function serRoot(r, lvl) { var o = rootShell(r), k = kidsOf(r, lvl, HTML_NS); if (k) o.kids = k; return o }
// One node, its children and shadow root left out: lvl, its inherited level; pns, its parent's namespace. null:
// never recorded. What its children inherit goes in into: kl (level) and ns, and kids = 1 when they are recorded.
// Frames met are attached afterwards (st._later). Most elements have no attributes: asking first spares creating
// their attribute map.
export function shell(n, lvl, pns, into) {
  try {
    var t = n.nodeType;
    if (t === 3) return {id: assign(n), text: lvl ? maskText(n.data) : n.data};
    if (t !== 1 || SKIP[n.localName]) return null;
    var tag = n.localName, has = n.hasAttributes(), self = has || FIELDS[tag] ? own(n) : isSecret(n) ? SECRET : PUBLIC,
      o = {id: assign(n), tag: tag}, a, i, v, ns = n.namespaceURI;
    if (has) for (a = n.attributes, i = 0; i < a.length; i++) {
      v = attr(tag, a[i].name, a[i].value, self === SECRET || lvl > PUBLIC);
      if (v !== null) (o.attrs || (o.attrs = {}))[a[i].name] = v;
    }
    if (ns !== pns) o.ns = ns;
    into.kl = tag === 'style' ? PUBLIC : Math.max(lvl, passes(n, self)); into.ns = ns; into.kids = tag !== 'textarea';
    if (tag === 'iframe') st._later.push(n);
    if (tag === 'style' && !n.firstChild && n.sheet) o.css = rules(n.sheet); // CSS-in-JS
    return o;
  } catch (e) { failed(); st._ids.delete(n); return null }
}
// A node and everything under it. Shadow roots met are watched afterwards (st._later).
export function ser(n, lvl, pns) {
  var f = {}, o = shell(n, lvl, pns, f), v;
  try {
    if (o && f.kids && (v = kidsOf(n, f.kl, f.ns))) o.kids = v;
    if (o && n.shadowRoot) { o.shadow = serRoot(n.shadowRoot, f.kl); st._later.push(n.shadowRoot) }
  } catch (e) { failed() }
  return o;
}
