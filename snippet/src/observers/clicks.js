// Clicks: the nearest recorded node and where, in the top viewport; not on a sensitive field.
import {round} from '../env.js';
import {idOf, st} from '../state.js';
import {isField, offset, target, up} from '../dom.js';
import {on} from '../util.js';
import {SECRET, classify} from '../privacy/classify.js';
import {emit} from '../buffer.js';

export function observeClicks(doc) {
  return on(doc, 'click', function (e) {
    var n = target(e), o = offset(e.view);
    while (n && !st._ids.has(n)) n = up(n);
    if (n && !(isField(n) && classify(n, 0) === SECRET)) emit({type: 'click', id: idOf(n), x: round(e.clientX + o[0]), y: round(e.clientY + o[1])});
  });
}
