// Generated from crates/protocol/beacon.schema.json by agent/scripts/generate-protocol-types.mjs — do not edit; run `make protocol`.
// Field semantics, limits and what the server does with each value: docs/protocol.md.

/**
 * `navigator.connection.effectiveType`.
 *
 * - `slow-2g`
 * - `2g`
 * - `3g`
 * - `4g`: 4g (or better)
 * - `unknown`: A value this server does not know yet (e.g. a future `5g`).
 */
export type EffectiveConnectionType = "slow-2g" | "2g" | "3g" | "4g" | "unknown";
/**
 * Tracking consent state.
 *
 * - `granted`: The user agreed.
 * - `denied`: The user declined: the server drops the batch (`consent_denied`).
 * - `pending`: Not decided yet.
 * - `unknown`: A state this server does not know yet; treated like `pending`.
 */
export type ConsentState = "granted" | "denied" | "pending" | "unknown";
/**
 * Why a session's events are sent.
 *
 * - `sampled`: The session was drawn by `sessionSampleRate`: it represents the population.
 * - `kept_for_error`: Not sampled, kept because an error happened: diagnostics only, excluded from percentiles.
 * - `kept_for_poor_vital`: Not sampled, kept because a vital was poor: diagnostics only, excluded from percentiles.
 * - `other`: A reason this server does not know yet: diagnostics only, excluded from percentiles.
 */
export type SamplingReason = "sampled" | "kept_for_error" | "kept_for_poor_vital" | "other";
/**
 * One event: fields every kind shares, plus the kind-specific body (tagged by `kind`).
 */
export type Event = EventCommon & EventBody;
/**
 * The `kind`-specific fields of an Event: a union discriminated on `kind`.
 */
export type EventBody =
  | ViewEventBody
  | VitalEventBody
  | ErrorEventBody
  | RequestEventBody
  | ResourceEventBody
  | LongAnimationFrameEventBody
  | ActionEventBody
  | CustomEventBody;
/**
 * How a view started.
 *
 * - `navigate`: A normal navigation (link, address bar).
 * - `reload`: A reload.
 * - `back_forward`: History back/forward, loaded from network or HTTP cache.
 * - `back_forward_cache`: Restored from the back/forward cache (a new view, no load timings).
 * - `prerender`: A prerendered page that was activated.
 * - `restore`: Restored after the page was discarded.
 * - `route_change`: An SPA route change detected by the agent (history API, popstate, hashchange).
 * - `soft_navigation`: An SPA route change reported by the browser's native soft-navigation API.
 * - `other`: A navigation type this server does not know yet (sent by a newer agent).
 */
export type NavigationType =
  | "navigate"
  | "reload"
  | "back_forward"
  | "back_forward_cache"
  | "prerender"
  | "restore"
  | "route_change"
  | "soft_navigation"
  | "other";
/**
 * The vitals Sightline measures.
 *
 * - `lcp`: Largest Contentful Paint, ms.
 * - `inp`: Interaction to Next Paint, ms.
 * - `cls`: Cumulative Layout Shift, unitless.
 * - `fcp`: First Contentful Paint, ms.
 * - `ttfb`: Time to First Byte, ms.
 */
export type VitalName = "lcp" | "inp" | "cls" | "fcp" | "ttfb";
/**
 * A Core Web Vitals rating.
 *
 * - `good`: At or under the "good" threshold.
 * - `needs_improvement`: Between the thresholds.
 * - `poor`: Over the "poor" threshold.
 */
export type Rating = "good" | "needs_improvement" | "poor";
/**
 * Where an error came from.
 *
 * - `unhandled`: An uncaught exception (`window.onerror`).
 * - `promise`: An unhandled promise rejection.
 * - `console`: `console.error` (when enabled).
 * - `resource`: A failed resource load (`<img>`, `<script>`, `<link>`).
 * - `network`: A failed fetch/XHR.
 * - `csp`: A Content-Security-Policy violation.
 * - `custom`: Reported by the application (`addError`).
 * - `other`: A source this server does not know yet (sent by a newer agent).
 */
export type ErrorSource =
  "unhandled" | "promise" | "console" | "resource" | "network" | "csp" | "custom" | "other";
/**
 * The API a request was made with.
 *
 * - `fetch`: `fetch()`.
 * - `xhr`: `XMLHttpRequest`.
 * - `other`: An API this server does not know yet (sent by a newer agent).
 */
export type RequestApi = "fetch" | "xhr" | "other";
/**
 * How a request failed.
 *
 * - `network`: Network error (DNS, connection refused, CORS).
 * - `aborted`: Aborted by the page.
 * - `timeout`: Timed out.
 * - `other`: A failure this server does not know yet (sent by a newer agent).
 */
export type RequestFailure = "network" | "aborted" | "timeout" | "other";
/**
 * Kinds of user actions.
 *
 * - `click`: A mouse click.
 * - `tap`: A touch tap.
 * - `keypress`: A key press (on a button-like element).
 * - `custom`: An application-defined action.
 * - `other`: An action type this server does not know yet (sent by a newer agent).
 */
export type ActionType = "click" | "tap" | "keypress" | "custom" | "other";

/**
 * One batch sent by the agent: the context shared by its events, the events, and
 * when it was sent (for clock-drift correction).
 */
export interface Beacon {
  /**
   * What all events of this batch share: agent, session, view, page, device, sampling.
   */
  context: Context;
  /**
   * The events, at most 500 per batch (the rest are dropped and counted).
   */
  events: Event[];
  /**
   * When the agent sent this batch, epoch milliseconds by the device's clock.
   * The server compares it with its own receive time to correct device clock drift.
   */
  sent_at?: number | null | undefined;
  /**
   * Protocol version; `1` for this format.
   *
   * Integer (uint32).
   *
   * @default 1
   */
  v?: number | undefined;
}
/**
 * What every event of a beacon shares.
 */
export interface Context {
  /**
   * The agent that sent the beacon.
   */
  agent: AgentInfo;
  /**
   * Global attributes set by the application (`setAttributes`).
   */
  attributes?: Attributes | undefined;
  /**
   * User-Agent Client Hints (`navigator.userAgentData`), when the browser has them.
   */
  client_hints?: ClientHints | null | undefined;
  /**
   * Network Information API values.
   */
  connection?: ConnectionInfo | null | undefined;
  /**
   * Tracking consent as last set by the application.
   */
  consent?: ConsentState | null | undefined;
  /**
   * Device capabilities reported by the browser.
   */
  device?: DeviceInfo | null | undefined;
  /**
   * Deployment environment, e.g. `production`, `staging`.
   */
  environment?: string | null | undefined;
  /**
   * `document.referrer`; only its host is kept.
   */
  referrer?: string | null | undefined;
  /**
   * The application's release or version (e.g. `2.14.0` or a commit sha).
   */
  release?: string | null | undefined;
  /**
   * Share of sessions the agent keeps, in (0, 1]; percentiles weight each view by its inverse.
   *
   * @default 1
   */
  sample_rate?: number | undefined;
  /**
   * Why this session's events are being sent.
   *
   * @default "sampled"
   */
  sampling_reason?: SamplingReason | undefined;
  /**
   * Screen size in CSS pixels.
   */
  screen?: Size | null | undefined;
  /**
   * Session id chosen by the agent (random, at most 64 characters).
   */
  session_id: string;
  /**
   * `performance.timeOrigin` of the current view's document: epoch ms by the device clock.
   * Event times relative to navigation start (`t`) are added to it.
   */
  time_origin?: number | null | undefined;
  /**
   * Full URL of the current page. The server keeps only scheme, host, path and
   * allow-listed query parameters; fragments are dropped.
   */
  url: string;
  /**
   * The signed-in user, when the application set one.
   */
  user?: UserInfo | null | undefined;
  /**
   * Id of the view (page load or SPA route) current when the batch was sent, unique
   * within the session (at most 64 characters). The Sightline agent derives it from the
   * session id: `<session id>.<random page id>.<number of the view in the page>` (`0`, `1`, …).
   */
  view_id: string;
  /**
   * Name of the current view set by the application (`startView(name)`), e.g. `checkout`.
   * When present it is the route of every event of the view, instead of the URL-derived route.
   */
  view_name?: string | null | undefined;
  /**
   * Viewport size in CSS pixels.
   */
  viewport?: Size | null | undefined;
}
/**
 * Name and version of the agent.
 */
export interface AgentInfo {
  /**
   * e.g. `sightline-browser`.
   */
  name: string;
  /**
   * Semantic version of the agent.
   */
  version: string;
}
/**
 * Key/value attributes. Values are strings, numbers or booleans; anything else is dropped and counted. At most 64 entries are kept; keys are trimmed to 256 bytes, string values to 1024.
 */
export interface Attributes {
  [k: string]: string | number | boolean;
}
/**
 * User-Agent Client Hints as exposed by `navigator.userAgentData` (+ high-entropy values).
 */
export interface ClientHints {
  /**
   * Brand list, e.g. `[{"brand":"Google Chrome","version":"126"}]`.
   */
  brands?: ClientHintBrand[] | undefined;
  /**
   * True on mobile devices.
   */
  mobile?: boolean | null | undefined;
  /**
   * High-entropy device model, e.g. `Pixel 8`.
   */
  model?: string | null | undefined;
  /**
   * e.g. `Android`, `Windows`, `macOS`.
   */
  platform?: string | null | undefined;
  /**
   * High-entropy platform version, e.g. `15.0.0`.
   */
  platform_version?: string | null | undefined;
}
/**
 * One entry of a client-hints brand list.
 */
export interface ClientHintBrand {
  /**
   * Brand name.
   */
  brand: string;
  /**
   * Major (or full) version.
   */
  version: string;
}
/**
 * Network Information API (`navigator.connection`).
 */
export interface ConnectionInfo {
  /**
   * Physical connection type when known: `wifi`, `cellular`, `ethernet`, …
   */
  connection_type?: string | null | undefined;
  /**
   * Estimated downlink, Mbit/s.
   */
  downlink_mbps?: number | null | undefined;
  /**
   * Effective connection type.
   */
  effective_type?: EffectiveConnectionType | null | undefined;
  /**
   * Estimated round-trip time, ms.
   */
  rtt_ms?: number | null | undefined;
  /**
   * The user asked for reduced data usage.
   */
  save_data?: boolean | null | undefined;
}
/**
 * Device capabilities.
 */
export interface DeviceInfo {
  /**
   * `navigator.hardwareConcurrency`.
   *
   * Integer (uint32).
   */
  cores?: number | null | undefined;
  /**
   * `navigator.deviceMemory`, GiB (coarse: 0.25 … 8).
   */
  memory_gb?: number | null | undefined;
}
/**
 * A width and height in CSS pixels.
 */
export interface Size {
  /**
   * Height, CSS px.
   *
   * Integer (uint32).
   */
  height: number;
  /**
   * Width, CSS px.
   *
   * Integer (uint32).
   */
  width: number;
}
/**
 * The signed-in user (`setUser`).
 */
export interface UserInfo {
  /**
   * Attributes of the user, e.g. plan or role.
   */
  attributes?: Attributes | undefined;
  /**
   * The application's id for the user. Never an email: emails are scrubbed.
   */
  id?: string | null | undefined;
}
/**
 * Fields every Event has, whatever its `kind`.
 */
export interface EventCommon {
  /**
   * Id chosen by the agent, unique within the event's view (at most 64 characters):
   * the Sightline agent counts `0`, `1`, … per view; a random, globally unique id is
   * just as valid. The store keeps one event per project, view and id, so retries
   * never double-count.
   */
  id: string;
  /**
   * Time on the document's timeline, ms (`performance.now()`: since the document's
   * navigation start, which for SPA route views is earlier than the view's start).
   */
  t?: number | null | undefined;
  /**
   * Time by the device clock, epoch ms. Used when `t` or the context's `time_origin` is missing.
   */
  ts?: number | null | undefined;
  /**
   * The view this event belongs to, when not the context's current view
   * (e.g. the final vitals of the previous SPA route).
   */
  view_id?: string | null | undefined;
  /**
   * The view's name, when not the context's `view_name`.
   */
  view_name?: string | null | undefined;
  /**
   * The page URL of that view, when not the context's URL.
   */
  view_url?: string | null | undefined;
}
/**
 * A page load or an SPA route change.
 */
export interface ViewEventBody {
  kind: "view";
  /**
   * Uncompressed document body size, bytes.
   */
  decoded_body_size?: number | null | undefined;
  /**
   * Compressed document body size, bytes.
   */
  encoded_body_size?: number | null | undefined;
  /**
   * How the view started.
   *
   * @default "navigate"
   */
  navigation_type?: NavigationType | undefined;
  /**
   * `Server-Timing` entries of the document response (at most 16).
   */
  server_timing?: ServerTiming[] | undefined;
  /**
   * Navigation timing phases (page loads only).
   */
  timing?: NavigationTiming | null | undefined;
  /**
   * Bytes transferred for the document (`transferSize`), including headers.
   */
  transfer_size?: number | null | undefined;
}
/**
 * One `Server-Timing` entry.
 */
export interface ServerTiming {
  /**
   * Free-text description.
   */
  description?: string | null | undefined;
  /**
   * Duration, ms.
   */
  duration?: number | null | undefined;
  /**
   * Metric name, e.g. `db`.
   */
  name: string;
}
/**
 * Navigation timing phases of a page load, each a duration in ms
 * (derived from `PerformanceNavigationTiming`), except the three document
 * milestones which are times since navigation start.
 */
export interface NavigationTiming {
  /**
   * connectEnd − connectStart (includes TLS).
   */
  connect?: number | null | undefined;
  /**
   * domainLookupEnd − domainLookupStart.
   */
  dns?: number | null | undefined;
  /**
   * domContentLoadedEventEnd, ms since navigation start.
   */
  dom_content_loaded?: number | null | undefined;
  /**
   * domInteractive, ms since navigation start.
   */
  dom_interactive?: number | null | undefined;
  /**
   * loadEventEnd, ms since navigation start.
   */
  load?: number | null | undefined;
  /**
   * redirectEnd − redirectStart.
   */
  redirect?: number | null | undefined;
  /**
   * responseStart − requestStart.
   */
  request?: number | null | undefined;
  /**
   * responseEnd − responseStart (download).
   */
  response?: number | null | undefined;
  /**
   * connectEnd − secureConnectionStart.
   */
  tls?: number | null | undefined;
  /**
   * responseStart − navigation start (time to first byte).
   */
  ttfb?: number | null | undefined;
}
/**
 * A Core Web Vital or other page vital, with attribution.
 */
export interface VitalEventBody {
  kind: "vital";
  /**
   * web-vitals attribution for this vital.
   */
  attribution?: VitalAttribution | null | undefined;
  /**
   * Which vital.
   */
  name: VitalName;
  /**
   * The agent's rating; the server recomputes it from the Core Web Vitals thresholds.
   */
  rating?: Rating | null | undefined;
  /**
   * The final value: ms, except CLS (unitless score).
   */
  value: number;
}
/**
 * web-vitals attribution, flattened over all vitals; each field says which vital fills it.
 */
export interface VitalAttribution {
  /**
   * TTFB: HTTP cache lookup, ms.
   */
  cache_duration?: number | null | undefined;
  /**
   * TTFB: TCP + TLS connection, ms.
   */
  connection_duration?: number | null | undefined;
  /**
   * TTFB: DNS, ms.
   */
  dns_duration?: number | null | undefined;
  /**
   * LCP: the LCP element (CSS selector).
   */
  element?: string | null | undefined;
  /**
   * LCP: element render delay, ms.
   */
  element_render_delay?: number | null | undefined;
  /**
   * FCP: first byte to FCP, ms.
   */
  first_byte_to_fcp?: number | null | undefined;
  /**
   * INP: input delay, ms.
   */
  input_delay?: number | null | undefined;
  /**
   * INP: the interaction target (CSS selector).
   */
  interaction_target?: string | null | undefined;
  /**
   * INP: when the interaction happened, ms since navigation start.
   */
  interaction_time?: number | null | undefined;
  /**
   * INP: `pointer` or `keyboard`.
   */
  interaction_type?: string | null | undefined;
  /**
   * CLS: the element of the largest shift (CSS selector).
   */
  largest_shift_target?: string | null | undefined;
  /**
   * CLS: when the largest shift happened, ms since navigation start.
   */
  largest_shift_time?: number | null | undefined;
  /**
   * CLS: the value of the largest shift.
   */
  largest_shift_value?: number | null | undefined;
  /**
   * INP / CLS: document load state at the time (`loading`, `dom-interactive`, `dom-content-loaded`, `complete`).
   */
  load_state?: string | null | undefined;
  /**
   * INP: presentation delay, ms.
   */
  presentation_delay?: number | null | undefined;
  /**
   * INP: processing duration, ms.
   */
  processing_duration?: number | null | undefined;
  /**
   * TTFB: request until first byte, ms.
   */
  request_duration?: number | null | undefined;
  /**
   * LCP: resource load delay, ms.
   */
  resource_load_delay?: number | null | undefined;
  /**
   * LCP: resource load duration, ms.
   */
  resource_load_duration?: number | null | undefined;
  /**
   * LCP: URL of the LCP resource (image), when there is one.
   */
  resource_url?: string | null | undefined;
  /**
   * INP: scripts of the long animation frames that overlapped the interaction (at most 10).
   */
  scripts?: ScriptAttribution[] | undefined;
  /**
   * LCP / FCP: time to first byte, ms.
   */
  time_to_first_byte?: number | null | undefined;
  /**
   * TTFB: waiting (redirects, service worker start), ms.
   */
  waiting_duration?: number | null | undefined;
}
/**
 * A script that ran during a long animation frame.
 */
export interface ScriptAttribution {
  /**
   * Script run time, ms.
   */
  duration?: number | null | undefined;
  /**
   * Time spent in forced style and layout, ms.
   */
  forced_style_and_layout_duration?: number | null | undefined;
  /**
   * What invoked it, e.g. `BUTTON#buy.onclick` or `Window.requestAnimationFrame`.
   */
  invoker?: string | null | undefined;
  /**
   * `user-callback`, `event-listener`, `resolve-promise`, `reject-promise`, `classic-script`, `module-script`.
   */
  invoker_type?: string | null | undefined;
  /**
   * Function name at the entry point, when known.
   */
  source_function_name?: string | null | undefined;
  /**
   * URL of the script's source (query string dropped).
   */
  source_url?: string | null | undefined;
}
/**
 * A JavaScript, resource, network or CSP error.
 */
export interface ErrorEventBody {
  kind: "error";
  /**
   * Column of the throwing frame.
   *
   * Integer (uint32).
   */
  column?: number | null | undefined;
  /**
   * How many identical errors the agent folded into this one (≥ 1).
   *
   * Integer (uint32).
   *
   * @default 1
   */
  count?: number | undefined;
  /**
   * Error class, e.g. `TypeError`.
   */
  error_type?: string | null | undefined;
  /**
   * True when the application caught it and reported it (`addError`).
   *
   * @default false
   */
  handled?: boolean | undefined;
  /**
   * Line of the throwing frame.
   *
   * Integer (uint32).
   */
  line?: number | null | undefined;
  /**
   * The message (scrubbed of emails, card numbers and tokens; at most 4096 bytes).
   */
  message: string;
  /**
   * Where the error came from.
   *
   * @default "unhandled"
   */
  source?: ErrorSource | undefined;
  /**
   * Script URL of the throwing frame (`filename` of the ErrorEvent), or the failing resource's URL.
   */
  source_url?: string | null | undefined;
  /**
   * The stack trace as the browser printed it (at most 16 KiB).
   */
  stack?: string | null | undefined;
}
/**
 * A fetch or XHR request made by the page.
 */
export interface RequestEventBody {
  kind: "request";
  /**
   * `fetch` or `xhr`.
   *
   * @default "fetch"
   */
  api?: RequestApi | undefined;
  /**
   * Duration until the response finished (or failed), ms.
   */
  duration: number;
  /**
   * How the request failed, when it did.
   */
  failure?: RequestFailure | null | undefined;
  /**
   * HTTP method, upper case.
   */
  method: string;
  /**
   * Request body size, bytes.
   */
  request_size?: number | null | undefined;
  /**
   * Response body size, bytes.
   */
  response_size?: number | null | undefined;
  /**
   * W3C parent span id (16 lowercase hex) of the injected `traceparent`.
   */
  span_id?: string | null | undefined;
  /**
   * When the request started, ms since navigation start.
   */
  start?: number | null | undefined;
  /**
   * HTTP status; absent or 0 when the request failed before a response.
   *
   * Integer (uint16).
   */
  status?: number | null | undefined;
  /**
   * W3C trace id (32 lowercase hex) of the injected `traceparent`.
   */
  trace_id?: string | null | undefined;
  /**
   * Request URL (query string dropped except allow-listed parameters).
   */
  url: string;
}
/**
 * A summarized resource timing entry (one of a view's notable resources).
 */
export interface ResourceEventBody {
  kind: "resource";
  /**
   * Connection (TCP + TLS), ms.
   */
  connect?: number | null | undefined;
  /**
   * Uncompressed body size, bytes.
   */
  decoded_body_size?: number | null | undefined;
  /**
   * DNS, ms.
   */
  dns?: number | null | undefined;
  /**
   * Download, ms.
   */
  download?: number | null | undefined;
  /**
   * Total duration, ms.
   */
  duration: number;
  /**
   * Compressed body size, bytes.
   */
  encoded_body_size?: number | null | undefined;
  /**
   * `initiatorType`: `script`, `link`, `img`, `css`, `fetch`, …
   */
  initiator?: string | null | undefined;
  /**
   * The resource blocked rendering (`renderBlockingStatus`).
   *
   * @default false
   */
  render_blocking?: boolean | undefined;
  /**
   * When it started, ms since navigation start.
   */
  start?: number | null | undefined;
  /**
   * Served from another site than the page.
   *
   * @default false
   */
  third_party?: boolean | undefined;
  /**
   * TLS, ms.
   */
  tls?: number | null | undefined;
  /**
   * Bytes over the wire (0 for a cache hit).
   */
  transfer_size?: number | null | undefined;
  /**
   * Request until first byte, ms.
   */
  ttfb?: number | null | undefined;
  /**
   * Resource URL (query string dropped except allow-listed parameters).
   */
  url: string;
}
/**
 * A long animation frame (or a long task where LoAF is unsupported).
 */
export interface LongAnimationFrameEventBody {
  kind: "long_animation_frame";
  /**
   * Blocking duration (time over 50 ms not yielding to input), ms.
   */
  blocking_duration?: number | null | undefined;
  /**
   * Frame duration, ms.
   */
  duration: number;
  /**
   * True when measured with the Long Tasks API (no script attribution).
   *
   * @default false
   */
  long_task_fallback?: boolean | undefined;
  /**
   * The scripts that ran in the frame, longest first (at most 10).
   */
  scripts?: ScriptAttribution[] | undefined;
  /**
   * When the frame started, ms since navigation start.
   */
  start?: number | null | undefined;
}
/**
 * A user action: click, tap, key press or a custom action.
 */
export interface ActionEventBody {
  kind: "action";
  /**
   * What the user did.
   *
   * @default "click"
   */
  action_type?: ActionType | undefined;
  /**
   * Clicks folded into this action (rage clicks), ≥ 1.
   *
   * Integer (uint32).
   *
   * @default 1
   */
  count?: number | undefined;
  /**
   * No DOM change, navigation or request followed within about 1 s.
   *
   * @default false
   */
  dead?: boolean | undefined;
  /**
   * An error followed within 1 s.
   *
   * @default false
   */
  error?: boolean | undefined;
  /**
   * Name of a custom action.
   */
  name?: string | null | undefined;
  /**
   * ≥ 3 clicks within 1 s in a small area.
   *
   * @default false
   */
  rage?: boolean | undefined;
  /**
   * CSS selector of the target element.
   */
  selector?: string | null | undefined;
  /**
   * Readable target name (aria-label, text, id), masked where privacy requires.
   */
  target?: string | null | undefined;
}
/**
 * An application-defined event with an optional numeric value.
 */
export interface CustomEventBody {
  kind: "custom";
  /**
   * Event attributes.
   */
  attributes?: Attributes | undefined;
  /**
   * Event name (at most 256 bytes; per-project cap on distinct names).
   */
  name: string;
  /**
   * Optional numeric value (e.g. a duration in ms for a measure).
   */
  value?: number | null | undefined;
}

/** The `kind` of an event. The server drops unknown kinds (outcome `unknown_event_kind`). */
export type EventKind = EventBody["kind"];

/** The event of one kind, e.g. `EventOfKind<"vital">`. */
export type EventOfKind<K extends EventKind> = Extract<Event, { kind: K }>;

/** The protocol version these types describe: the `v` of a beacon. */
export const PROTOCOL_VERSION = 1;
