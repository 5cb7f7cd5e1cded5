// What is written in place of masked text, and what is left of attributes and URLs.
import {lower, set} from '../util.js';
import {MARKS} from './classify.js';

var MASK = '\u2022\u2022\u2022',
  // All that sensitive or typed subtrees keep (a title or alt could hold the secret).
  KEEP = set('id class style type role dir lang hidden disabled width height tabindex colspan rowspan contenteditable');

export function maskText(s) { return /\S/.test(s) ? MASK : s }
function maskQuery(q) {
  return q.split('&').map(function (p) { var e = p.indexOf('='); return e < 0 ? (p && '*') : p.slice(0, e + 1) + (p.length > e + 1 ? '*' : '') }).join('&');
}
// Values in query and fragment.
export function maskUrl(u) {
  var h = u.indexOf('#'), hash = h < 0 ? '' : u.slice(h), base = h < 0 ? u : u.slice(0, h), q = base.indexOf('?');
  if (q >= 0) base = base.slice(0, q + 1) + maskQuery(base.slice(q + 1));
  return base + (hash.indexOf('=') > 0 ? '#' + maskQuery(hash.slice(1)) : hash);
}
function jsUrl(v) { var i = v.indexOf(':'); return i > 9 && lower(v.slice(0, i).replace(/[\u0000-\u0020]/g, '')) === 'javascript' }
// An attribute's recorded value; null: dropped (handlers, javascript: URLs, input values). strict: in a sensitive or
// typed subtree.
export function attr(tag, name, v, strict) {
  var n = lower(name);
  if (n.slice(0, 2) === 'on' && n !== 'open' || n === 'srcdoc' || tag === 'input' && n === 'value' ||
    strict && !KEEP[n] && !MARKS[n] || jsUrl(v)) return null;
  return n === 'action' || n === 'formaction' || n === 'href' && (tag === 'a' || tag === 'area') ? maskUrl(v) : v;
}
