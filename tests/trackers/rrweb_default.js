// rrweb's recorder as its README sets it up: record() with an emit that batches events and posts them to the
// site's own collector. No options: rrweb then masks password inputs only (maskInputOptions {password: true}).
import { record } from "@rrweb/record";

const COLLECTOR = "https://rrweb.tracker.test/events";
// A beacon (and a keepalive fetch) carries at most 64 KB; a larger batch goes by plain fetch.
const KEEPALIVE_LIMIT = 60000;
let events = [];

function flush() {
  if (!events.length) return;
  const body = JSON.stringify({ events });
  events = [];
  fetch(COLLECTOR, { method: "POST", body, keepalive: body.length < KEEPALIVE_LIMIT }).catch(() => {});
}

record({ emit: (event) => events.push(event) });
setInterval(flush, 1000);
addEventListener("pagehide", flush);
