// PostHog's session replay (posthog-js) with the recorder's defaults: every input masked, page text recorded.
// A PostHog project that has replay on tells the page so in its remote config, which the page loads from PostHog
// (config.js sets window._POSTHOG_REMOTE_CONFIG); the harness answers PostHog's hosts locally with nothing, so the
// project's settings are given here, as that script would. Autocapture and pageviews are off: the replay is what
// is tested.
import posthog from "posthog-js";
import "posthog-js/dist/lazy-recorder";

window._POSTHOG_REMOTE_CONFIG = {
  phc_telltale: { config: { sessionRecording: { endpoint: "/s/" }, supportedCompression: ["gzip", "gzip-js"] } },
};
posthog.init("phc_telltale", { api_host: "https://ph.tracker.test", autocapture: false, capture_pageview: false });
