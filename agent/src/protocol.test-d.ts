// Type-level tests of the generated wire types. Nothing here runs: `npm run protocol:check`
// compiles this file with the agent's strict settings, so a regeneration that stops
// accepting a real beacon, or starts accepting a malformed one, fails the check.

import { PROTOCOL_VERSION } from "./protocol.gen";
import type { Beacon, Event, EventOfKind, Rating, VitalAttribution } from "./protocol.gen";

/** A page load as the agent sends it: a view, an LCP with attribution, an error and a request. */
export const pageLoad: Beacon = {
  v: PROTOCOL_VERSION,
  sent_at: 1_767_225_603_412.5,
  context: {
    agent: { name: "sightline-browser", version: "0.1.0" },
    session_id: "s_01JH7Q3V9M8K2XKQ4T6W0YB1RC",
    view_id: "v_01JH7Q3VA2C7P0N9G5E1M4ZQ8D",
    url: "https://shop.example.com/products/4711?utm_source=newsletter&session=abc",
    view_name: "product",
    referrer: "https://www.google.com/",
    viewport: { width: 390, height: 844 },
    screen: { width: 390, height: 844 },
    device: { memory_gb: 4, cores: 6 },
    connection: { effective_type: "4g", rtt_ms: 50, downlink_mbps: 9.6, save_data: false },
    client_hints: {
      brands: [{ brand: "Google Chrome", version: "131" }],
      mobile: true,
      platform: "Android",
    },
    release: "2.14.0",
    environment: "production",
    user: { id: "u_48213", attributes: { plan: "pro", seats: 3 } },
    attributes: { ab_checkout: "variant_b", logged_in: true },
    consent: "granted",
    sample_rate: 0.25,
    sampling_reason: "sampled",
    time_origin: 1_767_225_598_120.3,
  },
  events: [
    {
      id: "e_01",
      kind: "view",
      t: 0,
      navigation_type: "navigate",
      timing: { dns: 12.4, connect: 41.2, tls: 27.9, request: 183.7, ttfb: 262.5, load: 2140.2 },
      transfer_size: 18_432,
      server_timing: [{ name: "db", duration: 53.2, description: "product query" }],
    },
    {
      id: "e_02",
      kind: "vital",
      t: 2412.6,
      name: "lcp",
      value: 2412.6,
      rating: "good",
      attribution: {
        element: "main > div.hero > img",
        resource_url: "https://cdn.example.com/img/hero-4711.avif",
        time_to_first_byte: 262.5,
        resource_load_delay: 310.2,
        resource_load_duration: 1406.8,
        element_render_delay: 433.1,
      },
    },
    {
      id: "e_03",
      kind: "error",
      t: 3105.2,
      error_type: "TypeError",
      message: "Cannot read properties of undefined (reading 'price')",
      stack: "TypeError: Cannot read properties of undefined (reading 'price')\n    at renderCart (https://shop.example.com/assets/app.3f9c.js:1:48213)",
      source: "unhandled",
      source_url: "https://shop.example.com/assets/app.3f9c.js",
      line: 1,
      column: 48213,
    },
    {
      id: "e_04",
      kind: "request",
      t: 3380.4,
      api: "fetch",
      method: "POST",
      url: "https://shop.example.com/api/cart",
      status: 201,
      start: 3002.1,
      duration: 378.3,
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      span_id: "00f067aa0ba902b7",
    },
  ],
};

/** Optional fields accept `undefined`, so instrumentation can pass through what it measured. */
export function lcp(value: number, rating: Rating | undefined, attribution?: VitalAttribution): Event {
  return { id: "e_05", kind: "vital", name: "lcp", value, rating, attribution, t: undefined };
}

/** `kind` narrows an event to its body, and every kind is handled. */
export function headline(event: Event): string {
  switch (event.kind) {
    case "view":
      return event.navigation_type ?? "navigate";
    case "vital":
      return `${event.name} ${event.value}`;
    case "error":
      return event.message;
    case "request":
      return `${event.method} ${event.url} ${event.duration}`;
    case "resource":
      return event.url;
    case "long_animation_frame":
      return `${event.duration}`;
    case "action":
      return event.target ?? event.action_type ?? "click";
    case "custom":
      return event.name;
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}

export const oneKind: EventOfKind<"request">["method"] = "GET";

export const rejected: Event[] = [
  // @ts-expect-error: unknown kinds are not part of protocol v1
  { id: "e_10", kind: "app_start", duration: 812 },
  // @ts-expect-error: a vital needs a value
  { id: "e_11", kind: "vital", name: "inp" },
  // @ts-expect-error: ratings are snake_case on the wire (web-vitals says "needs-improvement")
  { id: "e_12", kind: "vital", name: "inp", value: 240, rating: "needs-improvement" },
  // @ts-expect-error: fields of one kind do not belong to another
  { id: "e_13", kind: "error", message: "boom", duration: 12 },
  // @ts-expect-error: every event needs an id
  { kind: "custom", name: "checkout_started" },
];
