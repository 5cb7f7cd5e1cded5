// The top window's viewport size, sampled like scrolls.
import {W} from '../env.js';
import {now} from '../state.js';
import {all, on} from '../util.js';
import {emit} from '../buffer.js';
import {sampler} from './sampler.js';

export function observeResize() {
  var last = 0, s = sampler(function () { emit({type: 'resize', t: last, w: W.innerWidth, h: W.innerHeight}) });
  return all([on(W, 'resize', function () { last = now(); s.later() }), s.stop]);
}
