// Sentry Session Replay with masking turned off, as a site may configure it: text and inputs recorded as typed,
// except what Sentry always masks (password inputs).
import * as Sentry from "@sentry/browser";

Sentry.init({
  dsn: "https://public@o1.ingest.sentry.io/1",
  integrations: [Sentry.replayIntegration({ maskAllInputs: false, maskAllText: false, blockAllMedia: false })],
  replaysSessionSampleRate: 1,
});
