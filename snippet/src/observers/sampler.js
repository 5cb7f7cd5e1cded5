// Scroll and resize are sampled: the last position per config.scroll ms. A flush takes pending samples too, so a page
// that is left keeps its last scroll.
import {W, clearT, round} from '../env.js';
import {config, st} from '../state.js';
import {timeout} from '../util.js';

export function sampler(take) {
  var tm = 0;
  function sample() { if (tm) { clearT.call(W, tm); tm = 0; take() } }
  st._samplers.push(sample);
  return {
    later: function () { tm = tm || timeout(sample, config.scroll) },
    stop: function () { clearT.call(W, tm); tm = 0 }
  };
}
export function offsetPx(v) { return round(v * 100) / 100 } // engines scroll by fractions of a pixel
