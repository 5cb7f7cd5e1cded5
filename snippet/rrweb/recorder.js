// A small tracker for tests, on rrweb's own recorder (the pinned npm package): it records with rrweb's defaults
// (passwords masked, other inputs in clear) and posts its events as a JSON array to /rrweb/collect on the page's
// origin, once a second and at pagehide. window.rrwebTrackerOptions (set before it loads) is passed to record().
import {record} from 'rrweb';

const endpoint = '/rrweb/collect';
let pending = [];

function flush(beacon) {
  if (!pending.length) return;
  const body = JSON.stringify(pending);
  pending = [];
  if (beacon && navigator.sendBeacon(endpoint, body)) return;
  fetch(endpoint, {method: 'POST', body, keepalive: body.length < 60000, headers: {'Content-Type': 'application/json'}})
    .catch(() => {});
}

function start() {
  record(Object.assign({emit(event) { pending.push(event); }}, window.rrwebTrackerOptions || {}));
  setInterval(() => flush(false), 1000);
  addEventListener('pagehide', () => flush(true));
}

// Pages only, top window only: rrweb records same-origin frames from the top (a second session from inside a frame
// would start a page of its own in the replay), and recording the empty about:blank of a new tab hangs it.
if (window === window.top && /^https?:$/.test(location.protocol)) {
  if (document.readyState === 'loading') addEventListener('DOMContentLoaded', start); else start();
}
