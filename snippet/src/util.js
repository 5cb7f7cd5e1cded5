// Small helpers every part uses. Nothing the snippet runs may throw into the page: guard(), each() and on() swallow
// and count.
import {W, ael, rel, setT} from './env.js';

var errors = 0, OPTS = {capture: true, passive: true};

export function noop() {}
export function lower(s) { return s ? String(s).toLowerCase() : '' }
// A lookup table from space-separated keys (no prototype: 'constructor' is not a key).
export function set(s) { var o = Object.create(null); s.split(' ').forEach(function (k) { o[k] = 1 }); return o }
export function all(fns) { return function () { fns.forEach(function (f) { f() }) } }
export function failed() { errors++ }
export function errorCount() { return errors }
export function guard(fn) { return function () { try { return fn.apply(this, arguments) } catch (e) { errors++ } } }
export function each(c, fn) { c.forEach(function (x, k) { try { fn(x, k) } catch (e) { errors++ } }) }
// A listener's guard takes the event alone: cheaper than apply(arguments) on every event.
export function on(t, type, fn) {
  var g = function (e) { try { fn(e) } catch (x) { errors++ } };
  ael.call(t, type, g, OPTS);
  return function () { rel.call(t, type, g, OPTS) };
}
export function timeout(fn, ms) { return setT.call(W, guard(fn), ms) }
