// Stylesheets changed by script, in one window: CSSOM edits and adoptedStyleSheets assigned (a push onto it calls
// nothing of ours: a flush compares those).
import {all, guard, noop} from '../util.js';
import {patch} from '../patch.js';
import {restyleSoon} from '../styles.js';

var EDITS = ['insertRule', 'deleteRule', 'addRule', 'removeRule', 'replaceSync', 'replace'];

export function observeSheets(win) {
  var proto = win.CSSStyleSheet && win.CSSStyleSheet.prototype, changed = guard(restyleSoon);
  if (!proto) return noop;
  return all(EDITS.map(function (m) {
    return patch(proto, m, function (orig) {
      return function () {
        var r = orig.apply(this, arguments), sheet = this;
        changed(sheet);
        if (r && typeof r.then === 'function') r.then(guard(function () { restyleSoon(sheet) }), noop); // replace() is async
        return r;
      };
    });
  }).concat([win.Document, win.ShadowRoot].map(function (C) {
    return C && C.prototype ? patch(C.prototype, 'adoptedStyleSheets', function (set) {
      return function (v) { set.call(this, v); changed() };
    }, true) : noop;
  })));
}
