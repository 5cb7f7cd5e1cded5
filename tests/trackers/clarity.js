// Microsoft Clarity's open-source recorder (clarity-js), started with its defaults and uploading to the site's own
// collector instead of Microsoft's.
import { clarity } from "clarity-js";

clarity.start({ projectId: "telltale", upload: "https://clarity.tracker.test/collect", track: true, content: true });
