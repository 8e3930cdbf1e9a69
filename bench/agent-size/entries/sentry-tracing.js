// @sentry/browser with browserTracingIntegration (page loads, navigations, fetch/XHR spans, web vitals).
import * as Sentry from "@sentry/browser";

Sentry.init({
  dsn: "https://public@o0.ingest.sentry.io/0",
  integrations: [Sentry.browserTracingIntegration()],
  tracesSampleRate: 1.0,
});
