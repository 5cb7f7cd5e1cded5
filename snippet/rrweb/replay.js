// The vendor's replay: rrweb's own Replayer (the pinned npm package), driven by the harness in its inert replay
// page (harness/replay/rrweb_page.py). rrweb builds the recorded page in an <iframe sandbox="allow-same-origin">
// (no allow-scripts: nothing recorded runs); the page's CSP and a route refuse every request. As defence in depth,
// and so that the replay fetches nothing at all, every URL that would load something (images, stylesheets, frames,
// fonts, url() in CSS) is taken out of the events before rrweb sees them, and counted.
import {Replayer} from 'rrweb';

// Attributes that name something to fetch or navigate to (an <a>/<area> href fetches nothing, and is kept).
const URL_ATTRS = new Set(['src', 'srcset', 'href', 'xlink:href', 'poster', 'data', 'action', 'formaction', 'ping',
  'background', 'lowsrc', 'dynsrc', 'longdesc', 'cite', 'codebase', 'archive', 'classid', 'manifest', 'icon',
  'imagesrcset', 'usemap', 'code', 'attributionsrc', 'srcdoc', 'rr_src']);
// A URL that runs script, however spelled (browsers drop tabs and newlines inside a scheme).
const SCRIPT_URL = /^[\u0000-\u0020]*(j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t\s*:|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t\s*:|d\s*a\s*t\s*a\s*:\s*text\/html)/i;
const CSS_URL = /url\(\s*(['"]?)(.*?)\1\s*\)/gi;
const EVENT = {FullSnapshot: 2, IncrementalSnapshot: 3};
const SOURCE = {Mutation: 0, StyleSheetRule: 8, StyleDeclaration: 13, AdoptedStyleSheet: 15};

const neutralised = {};
function count(what) { neutralised[what] = (neutralised[what] || 0) + 1; }

function css(text) {
  return String(text)
    .replace(/@import[^;]*;?/gi, () => { count('css @import'); return ''; })
    .replace(CSS_URL, (all, q, url) => {
      if (/^data:(?!text\/html)/i.test(url)) return all;
      count('css url()');
      return 'none';
    });
}

function attributes(tag, attrs) {
  for (const name of Object.keys(attrs || {})) {
    const n = name.toLowerCase(), value = attrs[name];
    if (typeof value !== 'string') continue;
    if (n.startsWith('on')) { count('attribute ' + n); delete attrs[name]; continue; }
    if (n === 'style' || n === '_csstext') { attrs[name] = css(value); continue; }
    if (n === 'http-equiv') { count('attribute ' + n); delete attrs[name]; delete attrs.content; continue; }
    if (SCRIPT_URL.test(value)) { count('script url in ' + n); delete attrs[name]; continue; }
    if (URL_ATTRS.has(n) && !(n === 'href' && (tag === 'a' || tag === 'area'))) {
      if (/^data:(?!text\/html)/i.test(value) && n !== 'srcdoc') continue;
      count('url ' + n);
      delete attrs[name];
    }
  }
}

function node(n) {
  if (!n || typeof n !== 'object') return;
  if (n.type === 2) attributes(String(n.tagName || '').toLowerCase(), n.attributes);
  if (n.type === 3 && n.isStyle && typeof n.textContent === 'string') n.textContent = css(n.textContent);
  for (const kid of n.childNodes || []) node(kid);
}

function rules(list) {
  for (const r of list || []) if (r && typeof r.rule === 'string') r.rule = css(r.rule);
}

// One event, copied, with everything that could load or run taken out.
function sanitise(event) {
  const e = JSON.parse(JSON.stringify(event));
  const d = e.data || {};
  if (e.type === EVENT.FullSnapshot) node(d.node);
  if (e.type === EVENT.IncrementalSnapshot) {
    if (d.source === SOURCE.Mutation) {
      for (const add of d.adds || []) node(add.node);
      for (const change of d.attributes || []) attributes('', change.attributes);
      for (const text of d.texts || []) if (typeof text.value === 'string' && /url\(|@import/i.test(text.value)) text.value = css(text.value);
    }
    if (d.source === SOURCE.StyleSheetRule) rules(d.adds);
    if (d.source === SOURCE.StyleDeclaration && d.set && typeof d.set.value === 'string') d.set.value = css(d.set.value);
    if (d.source === SOURCE.AdoptedStyleSheet) for (const s of d.styles || []) rules(s.rules);
  }
  return e;
}

let replayer = null;

window.__ttRrweb = {
  version: REPLAYER_VERSION,
  neutralised,
  // Starts over with `events` (rrweb's own, in time order) under `root`; returns the first event's timestamp.
  load(events, root) {
    if (replayer) replayer.destroy();
    for (const key of Object.keys(neutralised)) delete neutralised[key];
    replayer = new Replayer(events.map(sanitise), {
      root, showWarning: false, showDebug: false, mouseTail: false, triggerFocus: false, UNSAFE_replayCanvas: false,
      pauseAnimation: true, skipInactive: false, speed: 1,
    });
    return replayer.getMetaData().startTime;
  },
  // The recorded page as it was `offset` ms after the first event; the frame rrweb built it in.
  pause(offset) {
    replayer.pause(offset);
    return replayer.iframe;
  },
};
