// Frames that load (or load again) inside a root: their documents are recorded when same-origin.
import {on} from '../util.js';
import {frame} from '../roots.js';

export function observeFrames(root) {
  return on(root, 'load', function (e) { if (e.target.localName === 'iframe') frame(e.target) });
}
