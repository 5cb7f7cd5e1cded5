// Form submissions: the values of non-sensitive fields, re-checked at that moment.
import {idOf, st} from '../state.js';
import {NO_VALUE} from '../dom.js';
import {lower, on} from '../util.js';
import {SECRET, cardIn, classify, markSecret} from '../privacy/classify.js';
import {emit} from '../buffer.js';

function submitted(f) {
  var tag = f.localName, type = lower(f.type), v;
  if (!st._ids.has(f) || f.disabled || classify(f, 0) === SECRET || tag !== 'input' && tag !== 'select' && tag !== 'textarea' ||
    tag === 'input' && (NO_VALUE[type] || (type === 'checkbox' || type === 'radio') && !f.checked)) return null;
  v = f.multiple && f.selectedOptions ? [].map.call(f.selectedOptions, function (o) { return o.value }).join(',') : String(f.value);
  if (cardIn(v)) { markSecret(f); return null }
  return v;
}
export function observeSubmit(root) {
  return on(root, 'submit', function (e) {
    var form = e.target, fields = [], els, i, v, f;
    if (!form || form.localName !== 'form' || !st._ids.has(form)) return;
    for (els = form.elements, i = 0; i < els.length; i++) {
      f = els[i];
      if ((v = submitted(f)) !== null) fields.push({id: idOf(f), name: String(f.name || ''), value: v});
    }
    st._dirty.delete(form);
    emit({type: 'submit', id: idOf(form), fields: fields});
  });
}
