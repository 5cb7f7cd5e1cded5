// Privacy by default, decided here: every observer asks classify() what a node may show.
//   PUBLIC: recorded as is; TYPED: text masked, values only at submit; SECRET: masked, only focus and blur.
import {markers} from '../../../harness/resources/markers.json';
import {WM, WS} from '../env.js';
import {FIELDS, up} from '../dom.js';
import {lower, set} from '../util.js';

export var PUBLIC = 0, TYPED = 1, SECRET = 2;

// Other tools' markers and ours, as attribute or class, in any case (harness/resources/markers.json, shared with
// the harness).
var MARKLIST = markers.join(' ').toLowerCase();
export var MARKS = set(MARKLIST), MARK_CLASS = new RegExp('(^|\\s)(' + MARKLIST.replace(/ /g, '|') + ')(\\s|$)', 'i');
var SECRET_AC = set('one-time-code current-password new-password cc-number cc-csc'),
  SECRET_WORDS = set('password passwd pwd passcode pin otp cvv cvc csc ssn');

// Levels are cached per node as ver * 4 + level (a level is 0..2); a mutation that may change one moves ver (stale()).
var ver = 0, owns = new WM(), levels = new WM(), secret = new WS(); // once sensitive, always (show-password toggle, card typed)
export function stale() { ver++ }
export function wasClassified(n) { return levels.has(n) || owns.has(n) }
export function isSecret(n) { return secret.has(n) }
export function markSecret(n) { secret.add(n) }

export function cardIn(s) { // Luhn-valid, 13-19 digits
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
// An element's own level from its attributes, cached until a mutation may change it; a field's value is checked
// every time (a card number can be typed into any field).
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
export function own(el) {
  if (secret.has(el)) return SECRET;
  var k = owns.get(el), base = ver * 4, l = k !== undefined && k >= base ? k - base : ownAttrs(el);
  if (k === undefined || k < base) owns.set(el, base + l);
  if (l === TYPED && FIELDS[el.localName] && el.localName !== 'select' && cardIn(el.value)) { secret.add(el); return SECRET }
  return l;
}
// A select is typed, its options are not.
export function passes(el, l) { return l === TYPED && FIELDS[el.localName] ? PUBLIC : l }
// The level a child of n inherits, cached like own().
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
// kids: the level of a child of node, rather than of node.
export function classify(node, kids) {
  var l = kids || node.nodeType !== 1 ? PUBLIC : own(node);
  return l === SECRET ? l : Math.max(l, inherit(kids ? node : up(node)));
}
