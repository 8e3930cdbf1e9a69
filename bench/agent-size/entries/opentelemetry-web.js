// OpenTelemetry web: tracer provider with zone context, OTLP/HTTP exporter, document-load and fetch.
import { ZoneContextManager } from "@opentelemetry/context-zone";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { DocumentLoadInstrumentation } from "@opentelemetry/instrumentation-document-load";
import { FetchInstrumentation } from "@opentelemetry/instrumentation-fetch";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { WebTracerProvider } from "@opentelemetry/sdk-trace-web";

const provider = new WebTracerProvider({
  resource: resourceFromAttributes({ "service.name": "bench" }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: "https://otel.example.com/v1/traces" }))],
});
provider.register({ contextManager: new ZoneContextManager() });
registerInstrumentations({ instrumentations: [new DocumentLoadInstrumentation(), new FetchInstrumentation()] });
