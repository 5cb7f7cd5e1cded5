// Events wait here for a flush, at most config.maxEvents of them.
import {config, now, st} from './state.js';
import {drain} from './mutations.js';

// Full: drop moves, then scrolls, then the newcomer.
function shed(type) {
  if (st._cheap[type]) { st._buf = st._buf.filter(function (e) { if (e.type !== type) return true; st._dropped++ }); st._cheap[type] = 0; if (type === 'move') st._move = null }
}
export function push(ev) {
  if (st._buf.length >= config.maxEvents) { shed('move'); if (st._buf.length >= config.maxEvents) shed('scroll') }
  if (st._buf.length >= config.maxEvents) { st._dropped++; return false }
  if (ev.type in st._cheap) st._cheap[ev.type]++;
  st._buf.push(ev); return true;
}
// Pending DOM changes first, to keep the order.
export function emit(ev) { if (!st._running) return; if (st._mq.length && !st._draining) drain(); ev.t = ev.t == null ? now() : ev.t; push(ev) }
