/* Telltale snippet: private-by-design session recording. Wire format: harness/resources/schema.json (v 2).
   The entry point of the bundle (npm run build): the one global, `telltale`, and the boot. */
'use strict'; // the build keeps it inside the snippet's own function (terser's enclose), not over a page's scripts
import {W, D, ael, loc, script, URL_} from './env.js';
import {V, config, st} from './state.js';
import {errorCount, guard} from './util.js';
import {classify} from './privacy/classify.js';
import {maybeStart, optedOut, setOptOut, stop} from './recorder.js';

// A same-origin frame is recorded by its parent (shares its API); under a cross-origin parent, never.
var child = W !== W.top, api;
function adopt() { try { var p = W.parent.telltale; if (p && p.v === V) { W.telltale = p; return 1 } } catch (e) {} }

function boot() {
  var c = W.telltaleConfig, sm;
  c = c && typeof c === 'object' ? c : {};
  sm = c.sampling || {};
  config.flushInterval = +c.flushInterval || 5000; config.maxEvents = +c.maxEvents || 3000;
  config.timeout = +c.timeout || 15000; config.maxPending = +c.maxPending || 20; // a post's bound (ms); batches that may wait
  config.move = +sm.move || 50; config.scroll = +sm.scroll || 100; // ms between samples
  config.consent = c.consent === 'required' || !!script && script.getAttribute('data-consent') === 'required';
  config.url = new URL_(c.endpoint || script && script.getAttribute('data-endpoint') || '/telltale/collect', loc.href).href;
  if (c.debug) { api._classify = classify; api._errors = errorCount }
  st._ready = !child && /^https?:$/.test(loc.protocol);
  maybeStart();
}

if (D && !W.telltale && !(child && adopt())) {
  api = W.telltale = {
    v: V,
    optOut: guard(function () { setOptOut(1); stop() }),
    optIn: guard(function () { setOptOut(0); maybeStart() }),
    isOptedOut: function () { return optedOut() },
    consent: guard(function () { st._consented = 1; maybeStart() })
  };
  if (D.readyState === 'loading') ael.call(D, 'DOMContentLoaded', guard(boot), {once: true});
  else guard(boot)();
}
