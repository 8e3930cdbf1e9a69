// @grafana/faro-web-sdk with its default instrumentations (no tracing).
import { getWebInstrumentations, initializeFaro } from "@grafana/faro-web-sdk";

initializeFaro({
  url: "https://collector.example.com/collect",
  app: { name: "bench", version: "1.0.0" },
  instrumentations: [...getWebInstrumentations()],
});
