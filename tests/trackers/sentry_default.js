// Sentry Session Replay as its docs set it up: every session replayed, the replay's defaults kept
// (maskAllText, maskAllInputs, blockAllMedia all true).
import * as Sentry from "@sentry/browser";

Sentry.init({
  dsn: "https://public@o1.ingest.sentry.io/1",
  integrations: [Sentry.replayIntegration()],
  replaysSessionSampleRate: 1,
});
