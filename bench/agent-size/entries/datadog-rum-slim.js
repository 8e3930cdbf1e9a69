// @datadog/browser-rum-slim: RUM without session replay.
import { datadogRum } from "@datadog/browser-rum-slim";

datadogRum.init({
  applicationId: "00000000-0000-0000-0000-000000000000",
  clientToken: "pub00000000000000000000000000000000",
  site: "datadoghq.com",
  service: "bench",
  sessionSampleRate: 100,
  trackUserInteractions: true,
  trackResources: true,
  trackLongTasks: true,
});
