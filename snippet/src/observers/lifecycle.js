// Hidden (another tab, the app in the background): the page lives on, so the batch is compressed and sent by fetch.
// pagehide (leaving, closing; it comes before the hidden state then): synchronous, by beacon.
import {W, D} from '../env.js';
import {st} from '../state.js';
import {all, on} from '../util.js';
import {emit} from '../buffer.js';
import {flush} from '../recorder.js';
import {abandon} from './fields.js';

export function observeLifecycle() {
  var gone = 0;
  function leave(sync) { if (!st._left) { st._left = 1; abandon() } flush(sync) }
  return all([
    on(D, 'visibilitychange', function () {
      var hidden = D.visibilityState === 'hidden';
      emit({type: 'visibility', state: hidden ? 'hidden' : 'visible'});
      if (hidden) leave(gone); else st._left = 0;
    }),
    on(W, 'pagehide', function () { gone = 1; leave(true) }),
    on(W, 'pageshow', function () { st._left = gone = 0 })
  ]);
}
