// @grafana/faro-web-sdk with its default instrumentations and @grafana/faro-web-tracing.
import { getWebInstrumentations, initializeFaro } from "@grafana/faro-web-sdk";
import { TracingInstrumentation } from "@grafana/faro-web-tracing";

initializeFaro({
  url: "https://collector.example.com/collect",
  app: { name: "bench", version: "1.0.0" },
  instrumentations: [...getWebInstrumentations(), new TracingInstrumentation()],
});
