// Fields: focus, blur with time spent and corrections, and which fields of a form were typed into. Typed content is
// never read here, except to spot a card.
import {Set_} from '../env.js';
import {idOf, now, st} from '../state.js';
import {FIELDS, isField, target, valueOf} from '../dom.js';
import {all, on} from '../util.js';
import {SECRET, cardIn, classify, markSecret} from '../privacy/classify.js';
import {emit} from '../buffer.js';

function fieldOf(e) { var n = target(e); return n && st._ids.has(n) && isField(n) ? n : null }

export function observeFields(doc) {
  return all([
    on(doc, 'focusin', function (e) { var f = fieldOf(e); if (f) { emit({type: 'focus', id: idOf(f)}); st._fst.set(f, {t: now(), fixes: 0}) } }),
    on(doc, 'focusout', function (e) {
      var f = fieldOf(e), s = f && st._fst.get(f), ev;
      if (!f) return;
      ev = {type: 'blur', id: idOf(f)};
      if (s && classify(f, 0) < SECRET) { ev.ms = now() - s.t; ev.fixes = s.fixes }
      st._fst.delete(f); emit(ev);
    }),
    on(doc, 'input', function (e) {
      var f = fieldOf(e), s, form;
      if (!f || classify(f, 0) === SECRET) return;
      if (!FIELDS[f.localName] && cardIn(valueOf(f))) { markSecret(f); return }
      if ((s = st._fst.get(f)) && String(e.inputType).indexOf('delete') === 0) s.fixes++;
      if ((form = f.form)) (st._dirty.get(form) || st._dirty.set(form, new Set_()).get(form)).add(f);
    })
  ]);
}
// When the page is left: which fields held typed text, never what.
export function abandon() {
  st._dirty.forEach(function (fields, form) {
    var list = [];
    fields.forEach(function (f) { if (st._ids.has(f) && classify(f, 0) < SECRET && valueOf(f) !== '') list.push(idOf(f)) });
    if (list.length && st._ids.has(form)) emit({type: 'abandon', id: idOf(form), fields: list});
  });
}
