// Shadow roots attached late (custom elements), in one window.
import {guard} from '../util.js';
import {patch} from '../patch.js';
import {shadow} from '../roots.js';

export function observeShadows(win) {
  var attached = guard(shadow);
  return patch(win.Element.prototype, 'attachShadow', function (orig) {
    return function () { var r = orig.apply(this, arguments); attached(this, r); return r };
  });
}
