// Microsoft Clarity's open-source recorder (clarity-js), started with its defaults and uploading to the site's own
// collector instead of Microsoft's. Sites load it as a script in the page, once the document exists: injected
// before that, it would find no document element to read, so it starts when the page has one.
import { clarity } from "clarity-js";

function start() {
  clarity.start({ projectId: "telltale", upload: "https://clarity.tracker.test/collect", track: true, content: true });
}

if (/^https?:$/.test(location.protocol)) {
  if (document.documentElement) start();
  else document.addEventListener("readystatechange", start, { once: true });
}
