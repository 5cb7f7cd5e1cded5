// Scrolls of the document and of any element in a root, sampled; each sample stamped with the time of the event
// that brought it there.
import {Map_} from '../env.js';
import {idOf, now, st} from '../state.js';
import {all, on} from '../util.js';
import {emit} from '../buffer.js';
import {offsetPx, sampler} from './sampler.js';

export function observeScroll(root) {
  var pend = new Map_(), s = sampler(function () {
    pend.forEach(function (t, n) {
      var w = n.nodeType === 9 && n.defaultView;
      if (st._ids.has(n)) emit({type: 'scroll', t: t, id: idOf(n), x: offsetPx(w ? w.scrollX : n.scrollLeft), y: offsetPx(w ? w.scrollY : n.scrollTop)});
    });
    pend.clear();
  });
  return all([on(root, 'scroll', function (e) { pend.set(e.target, now()); s.later() }), s.stop]);
}
