// The roots recorded: the document, open shadow roots and same-origin frames' documents, each watched for DOM
// changes and for the events that stay inside it.
import {D} from './env.js';
import {idOf, st} from './state.js';
import {all} from './util.js';
import {classify} from './privacy/classify.js';
import {serRoot} from './serialize.js';
import {emit} from './buffer.js';
import {MO_OPTS} from './mutations.js';
import {observeScroll} from './observers/scroll.js';
import {observeSubmit} from './observers/submit.js';
import {observeFrames} from './observers/frames.js';
import {observeMoves} from './observers/moves.js';
import {observeClicks} from './observers/clicks.js';
import {observeFields} from './observers/fields.js';
import {observeShadows} from './observers/shadows.js';
import {observeSheets} from './observers/sheets.js';

export function watch(root) {
  if (st._watched.has(root)) return;
  st._watched.add(root);
  st._mo.observe(root, MO_OPTS);
  if (root.adoptedStyleSheets) st._adopters.push(root);
  var l = [observeScroll(root), observeSubmit(root), observeFrames(root)];
  if (root.nodeType === 9) {
    l.push(observeMoves(root), observeClicks(root), observeFields(root));
    if (root !== D) l.push(observeShadows(root.defaultView), observeSheets(root.defaultView));
  }
  st._stops.push(all(l));
}
// Shadow roots and frames met while serialising, once the node that holds them is sent.
export function attachLater() { var l = st._later; st._later = []; l.forEach(function (x) { x.nodeType === 11 ? watch(x) : frame(x) }) }
// A shadow root attached after its host was recorded (custom elements).
// While the first snapshot is taken, held for after it (snapshot.js).
export function shadow(host, r) {
  if (st._running && st._snap) return st._snap.hosts.push([host, r]);
  if (!st._running || r.mode !== 'open' || !st._ids.has(host) || st._watched.has(r)) return;
  emit({type: 'attach', host: idOf(host), node: serRoot(r, classify(host, 1))});
  watch(r); attachLater();
}
// A same-origin frame's document, when it has one.
export function frame(f) {
  var doc; try { doc = f.contentDocument } catch (e) {}
  if (!st._running || !doc || !doc.documentElement || !st._ids.has(f) || st._watched.has(doc)) return;
  emit({type: 'attach', host: idOf(f), node: serRoot(doc, classify(f, 1))});
  watch(doc); attachLater();
}
