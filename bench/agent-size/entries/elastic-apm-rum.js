// @elastic/apm-rum: page-load transactions, fetch/XHR spans, errors.
import { init as initApm } from "@elastic/apm-rum";

initApm({ serviceName: "bench", serverUrl: "https://apm.example.com" });
