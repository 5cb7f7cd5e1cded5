// Where a node sits and what kind of element it is: shared by classification, serialisation and the observers.
import {W} from './env.js';
import {lower, set} from './util.js';

export var HTML_NS = 'http://www.w3.org/1999/xhtml',
  FIELDS = set('input textarea select'), NO_VALUE = set('submit button reset image file'), SKIP = set('script noscript template');

// The parent, across shadow roots and same-origin frames.
export function up(n) {
  var t = n.nodeType;
  if (n.parentNode) return n.parentNode;
  if (t === 11) return n.host || null;
  if (t === 9) try { var w = n.defaultView; return w && w !== W ? w.frameElement : null } catch (e) {}
  return null;
}
// Events from inside an open shadow root reach the document retargeted to its host.
export function target(e) { var n = e.target, p; if (n && n.shadowRoot && e.composedPath && (p = e.composedPath()).length) n = p[0]; return n }
// Of a frame's viewport in the top one.
export function offset(v) {
  var x = 0, y = 0, f, r;
  try { while (v && v !== W && (f = v.frameElement)) { r = f.getBoundingClientRect(); x += r.left + f.clientLeft; y += r.top + f.clientTop; v = f.ownerDocument.defaultView } } catch (e) {}
  return [x, y];
}
export function isField(n) {
  var tag = n.nodeType === 1 && n.localName;
  return tag === 'input' ? !NO_VALUE[lower(n.type)] : tag === 'textarea' || tag === 'select' || !!n.isContentEditable;
}
export function valueOf(f) { return 'value' in f && f.localName !== 'button' ? String(f.value) : String(f.textContent || '') }
