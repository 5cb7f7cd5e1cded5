// Pointer moves: a sample per config.move ms, from the moves themselves (a timer task costs more). The move before a
// pause waits (st._pend*) and is kept when the next one comes late, or at a flush. Positions are copied, not the
// event: keeping events alive costs more than the copy. Moves are throttled on their own timeStamp (per document: a
// frame's clock starts at its own load); the clock is read only for the points kept.
import {round} from '../env.js';
import {config, now, st} from '../state.js';
import {offset} from '../dom.js';
import {on} from '../util.js';
import {push} from '../buffer.js';

// Our time of an event of window v stamped ts.
function evTime(v, ts) {
  try { return now() - round(new v.Event('t').timeStamp - ts) } catch (e) { return now() }
}
// Up to 20 points per move event, relative to its time.
function point(t, x, y, v) {
  var o = offset(v);
  if (!st._move || st._move.path.length >= 20) { st._move = {type: 'move', t: t, path: []}; if (!push(st._move)) { st._move = null; return } }
  st._move.path.push([t - st._move.t, round(x + o[0]), round(y + o[1])]);
}
export function observeMoves(doc) {
  var v = doc.defaultView; // the view of every pointer event that reaches doc
  return on(doc, 'pointermove', function (e) {
    var ts = e.timeStamp, t;
    if (v === st._lastV && ts - st._lastTs < config.move) { st._pendTs = ts; st._pendX = e.clientX; st._pendY = e.clientY; st._pendV = v; return }
    t = now();
    if (st._pendTs >= 0 && (st._pendV !== v || ts - st._pendTs >= config.move)) point(st._pendV === v ? t - round(ts - st._pendTs) : evTime(st._pendV, st._pendTs), st._pendX, st._pendY, st._pendV);
    st._pendTs = -1; st._lastTs = ts; st._lastV = v; point(t, e.clientX, e.clientY, v);
  });
}
// At a flush: the move that waited is kept, and the next point starts a new move event.
export function flushMoves() {
  if (st._pendTs >= 0) { point(evTime(st._pendV, st._pendTs), st._pendX, st._pendY, st._pendV); st._lastTs = st._pendTs; st._lastV = st._pendV }
  st._move = null; st._pendTs = -1;
}
