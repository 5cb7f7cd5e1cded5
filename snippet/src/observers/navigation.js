// Navigation inside the page (SPA routes, hash changes), with values masked in the URL.
import {W, hist, loc} from '../env.js';
import {st} from '../state.js';
import {all, guard, on} from '../util.js';
import {patch} from '../patch.js';
import {maskUrl} from '../privacy/mask.js';
import {emit} from '../buffer.js';

export function observeNavigation() {
  var last = loc.href, navGuarded = guard(nav);
  function nav(how) { var u = loc.href; if (st._running && u !== last) { last = u; emit({type: 'nav', url: maskUrl(u), how: how}) } }
  return all([
    patch(hist, 'pushState', function (orig) { return function () { var r = orig.apply(this, arguments); navGuarded('push'); return r } }),
    patch(hist, 'replaceState', function (orig) { return function () { var r = orig.apply(this, arguments); navGuarded('replace'); return r } }),
    on(W, 'popstate', function () { nav('pop') }),
    on(W, 'hashchange', function () { nav('hash') })
  ]);
}
