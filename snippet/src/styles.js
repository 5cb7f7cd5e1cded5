// Stylesheets changed by script (CSS-in-JS inserting rules, constructed sheets): sent whole at the next drain.
import {now, idOf, st} from './state.js';
import {rules} from './serialize.js';
import {drainNextFrame} from './mutations.js';

// The drain's job: the <style> sheets changed, and adopted sheets that differ from what was sent.
export function restyle(css, adopted) {
  st._restyled = st._sT = 0;
  st._dirtySheets.forEach(function (sheet) {
    var n = sheet.ownerNode;
    if (n && n.localName === 'style' && st._ids.has(n) && n.isConnected) css.push({id: idOf(n), text: rules(sheet)});
  });
  // Adopted sheets change by assignment or in place (push): compare with what was sent.
  st._adopters.forEach(function (root) {
    var cur = root.adoptedStyleSheets, seen = st._adoptedSeen.get(root) || [], i, same = cur.length === seen.length;
    for (i = 0; same && i < cur.length; i++) same = cur[i] === seen[i] && !st._dirtySheets.has(cur[i]);
    if (!same && st._ids.has(root)) { st._adoptedSeen.set(root, [].slice.call(cur)); adopted.push({id: idOf(root), sheets: [].map.call(cur, rules)}) }
  });
  st._dirtySheets.clear();
}
// A sheet (or, without one, some root's adopted sheets) changed: compare at the next frame's drain.
export function restyleSoon(sheet) {
  if (!st._running) return;
  if (sheet) st._dirtySheets.add(sheet);
  if (!st._restyled) { st._restyled = 1; st._sT = now() }
  drainNextFrame();
}
