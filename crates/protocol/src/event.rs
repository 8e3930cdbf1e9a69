//! Event kinds of protocol v1.
//!
//! Times are milliseconds. `t` on an [`Event`] is relative to the view's
//! navigation start (`performance.now()` style); durations and phases are
//! plain millisecond lengths. Sizes are bytes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::attributes::Attributes;

/// One event: fields every kind shares, plus the kind-specific body (tagged by `kind`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Event {
    /// Id chosen by the agent, unique within the event's view (at most 64 characters):
    /// the Sightline agent counts `0`, `1`, … per view; a random, globally unique id is
    /// just as valid. The store keeps one event per project, view and id, so retries
    /// never double-count.
    pub id: String,
    /// Time on the document's timeline, ms (`performance.now()`: since the document's
    /// navigation start, which for SPA route views is earlier than the view's start).
    #[serde(default)]
    pub t: Option<f64>,
    /// Time by the device clock, epoch ms. Used when `t` or the context's `time_origin` is missing.
    #[serde(default)]
    pub ts: Option<f64>,
    /// The view this event belongs to, when not the context's current view
    /// (e.g. the final vitals of the previous SPA route).
    #[serde(default)]
    pub view_id: Option<String>,
    /// The page URL of that view, when not the context's URL.
    #[serde(default)]
    pub view_url: Option<String>,
    /// The view's name, when not the context's `view_name`.
    #[serde(default)]
    pub view_name: Option<String>,
    /// The kind-specific payload.
    #[serde(flatten)]
    pub body: EventBody,
}

/// The payload of an event, by kind. Room is left for mobile kinds
/// (`app_start`, `crash`, `anr`): unknown kinds are dropped with the outcome
/// `unknown_event_kind`, never failing the batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    /// A page load or an SPA route change.
    View(ViewEvent),
    /// A Core Web Vital or other page vital, with attribution.
    Vital(VitalEvent),
    /// A JavaScript, resource, network or CSP error.
    Error(ErrorEvent),
    /// A fetch or XHR request made by the page.
    Request(RequestEvent),
    /// A summarized resource timing entry (one of a view's notable resources).
    Resource(ResourceEvent),
    /// A long animation frame (or a long task where LoAF is unsupported).
    LongAnimationFrame(LongAnimationFrameEvent),
    /// A user action: click, tap, key press or a custom action.
    Action(ActionEvent),
    /// An application-defined event with an optional numeric value.
    Custom(CustomEvent),
}

/// The kind of an event, as a plain enum (the `kind` tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// See [`ViewEvent`].
    View,
    /// See [`VitalEvent`].
    Vital,
    /// See [`ErrorEvent`].
    Error,
    /// See [`RequestEvent`].
    Request,
    /// See [`ResourceEvent`].
    Resource,
    /// See [`LongAnimationFrameEvent`].
    LongAnimationFrame,
    /// See [`ActionEvent`].
    Action,
    /// See [`CustomEvent`].
    Custom,
}

impl EventKind {
    /// Every kind, in wire order.
    pub const ALL: [EventKind; 8] = [
        Self::View,
        Self::Vital,
        Self::Error,
        Self::Request,
        Self::Resource,
        Self::LongAnimationFrame,
        Self::Action,
        Self::Custom,
    ];

    /// The wire name, e.g. `long_animation_frame`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Vital => "vital",
            Self::Error => "error",
            Self::Request => "request",
            Self::Resource => "resource",
            Self::LongAnimationFrame => "long_animation_frame",
            Self::Action => "action",
            Self::Custom => "custom",
        }
    }
}

impl EventBody {
    /// The kind of this payload.
    pub fn kind(&self) -> EventKind {
        match self {
            Self::View(_) => EventKind::View,
            Self::Vital(_) => EventKind::Vital,
            Self::Error(_) => EventKind::Error,
            Self::Request(_) => EventKind::Request,
            Self::Resource(_) => EventKind::Resource,
            Self::LongAnimationFrame(_) => EventKind::LongAnimationFrame,
            Self::Action(_) => EventKind::Action,
            Self::Custom(_) => EventKind::Custom,
        }
    }
}

/// A page load or SPA route change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ViewEvent {
    /// How the view started.
    #[serde(default)]
    pub navigation_type: NavigationType,
    /// Navigation timing phases (page loads only).
    #[serde(default)]
    pub timing: Option<NavigationTiming>,
    /// Bytes transferred for the document (`transferSize`), including headers.
    #[serde(default)]
    pub transfer_size: Option<f64>,
    /// Compressed document body size, bytes.
    #[serde(default)]
    pub encoded_body_size: Option<f64>,
    /// Uncompressed document body size, bytes.
    #[serde(default)]
    pub decoded_body_size: Option<f64>,
    /// `Server-Timing` entries of the document response (at most 16).
    #[serde(default, deserialize_with = "crate::parse::capped::<_, _, { crate::limits::MAX_SERVER_TIMINGS }>")]
    pub server_timing: Vec<ServerTiming>,
}

/// How a view started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NavigationType {
    /// A normal navigation (link, address bar).
    #[default]
    Navigate,
    /// A reload.
    Reload,
    /// History back/forward, loaded from network or HTTP cache.
    BackForward,
    /// Restored from the back/forward cache (a new view, no load timings).
    BackForwardCache,
    /// A prerendered page that was activated.
    Prerender,
    /// Restored after the page was discarded.
    Restore,
    /// An SPA route change detected by the agent (history API, popstate, hashchange).
    RouteChange,
    /// An SPA route change reported by the browser's native soft-navigation API.
    SoftNavigation,
    /// A navigation type this server does not know yet (sent by a newer agent).
    #[serde(other)]
    Other,
}

impl NavigationType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Navigate => "navigate",
            Self::Reload => "reload",
            Self::BackForward => "back_forward",
            Self::BackForwardCache => "back_forward_cache",
            Self::Prerender => "prerender",
            Self::Restore => "restore",
            Self::RouteChange => "route_change",
            Self::SoftNavigation => "soft_navigation",
            Self::Other => "other",
        }
    }
}

/// Navigation timing phases of a page load, each a duration in ms
/// (derived from `PerformanceNavigationTiming`), except the three document
/// milestones which are times since navigation start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NavigationTiming {
    /// redirectEnd − redirectStart.
    #[serde(default)]
    pub redirect: Option<f64>,
    /// domainLookupEnd − domainLookupStart.
    #[serde(default)]
    pub dns: Option<f64>,
    /// connectEnd − connectStart (includes TLS).
    #[serde(default)]
    pub connect: Option<f64>,
    /// connectEnd − secureConnectionStart.
    #[serde(default)]
    pub tls: Option<f64>,
    /// responseStart − requestStart.
    #[serde(default)]
    pub request: Option<f64>,
    /// responseStart − navigation start (time to first byte).
    #[serde(default)]
    pub ttfb: Option<f64>,
    /// responseEnd − responseStart (download).
    #[serde(default)]
    pub response: Option<f64>,
    /// domInteractive, ms since navigation start.
    #[serde(default)]
    pub dom_interactive: Option<f64>,
    /// domContentLoadedEventEnd, ms since navigation start.
    #[serde(default)]
    pub dom_content_loaded: Option<f64>,
    /// loadEventEnd, ms since navigation start.
    #[serde(default)]
    pub load: Option<f64>,
}

/// One `Server-Timing` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServerTiming {
    /// Metric name, e.g. `db`.
    pub name: String,
    /// Duration, ms.
    #[serde(default)]
    pub duration: Option<f64>,
    /// Free-text description.
    #[serde(default)]
    pub description: Option<String>,
}

/// A vital measured for a view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VitalEvent {
    /// Which vital.
    pub name: VitalName,
    /// The final value: ms, except CLS (unitless score).
    pub value: f64,
    /// The agent's rating; the server recomputes it from the Core Web Vitals thresholds.
    #[serde(default)]
    pub rating: Option<Rating>,
    /// web-vitals attribution for this vital.
    #[serde(default)]
    pub attribution: Option<VitalAttribution>,
}

/// The vitals Sightline measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VitalName {
    /// Largest Contentful Paint, ms.
    Lcp,
    /// Interaction to Next Paint, ms.
    Inp,
    /// Cumulative Layout Shift, unitless.
    Cls,
    /// First Contentful Paint, ms.
    Fcp,
    /// Time to First Byte, ms.
    Ttfb,
}

impl VitalName {
    /// Every vital.
    pub const ALL: [VitalName; 5] = [Self::Lcp, Self::Inp, Self::Cls, Self::Fcp, Self::Ttfb];

    /// The wire name, e.g. `lcp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lcp => "lcp",
            Self::Inp => "inp",
            Self::Cls => "cls",
            Self::Fcp => "fcp",
            Self::Ttfb => "ttfb",
        }
    }

    /// The Core Web Vitals thresholds: (good up to, poor above).
    pub fn thresholds(self) -> (f64, f64) {
        match self {
            Self::Lcp => (2500.0, 4000.0),
            Self::Inp => (200.0, 500.0),
            Self::Cls => (0.1, 0.25),
            Self::Fcp => (1800.0, 3000.0),
            Self::Ttfb => (800.0, 1800.0),
        }
    }

    /// The largest plausible value; anything above is dropped (`vital_out_of_range`).
    pub fn max_value(self) -> f64 {
        match self {
            Self::Cls => crate::limits::MAX_CLS,
            _ => crate::limits::MAX_DURATION_MS,
        }
    }

    /// True when `value` is a plausible measurement: finite, from 0 to [`Self::max_value`].
    pub fn accepts(self, value: f64) -> bool {
        value.is_finite() && (0.0..=self.max_value()).contains(&value)
    }

    /// The rating of `value` by the Core Web Vitals thresholds.
    pub fn rate(self, value: f64) -> Rating {
        let (good, poor) = self.thresholds();
        if value <= good {
            Rating::Good
        } else if value <= poor {
            Rating::NeedsImprovement
        } else {
            Rating::Poor
        }
    }
}

/// A Core Web Vitals rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// At or under the "good" threshold.
    Good,
    /// Between the thresholds.
    NeedsImprovement,
    /// Over the "poor" threshold.
    Poor,
}

impl Rating {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::NeedsImprovement => "needs_improvement",
            Self::Poor => "poor",
        }
    }
}

/// web-vitals attribution, flattened over all vitals; each field says which vital fills it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VitalAttribution {
    /// LCP: the LCP element (CSS selector).
    #[serde(default)]
    pub element: Option<String>,
    /// LCP: URL of the LCP resource (image), when there is one.
    #[serde(default)]
    pub resource_url: Option<String>,
    /// LCP / FCP: time to first byte, ms.
    #[serde(default)]
    pub time_to_first_byte: Option<f64>,
    /// LCP: resource load delay, ms.
    #[serde(default)]
    pub resource_load_delay: Option<f64>,
    /// LCP: resource load duration, ms.
    #[serde(default)]
    pub resource_load_duration: Option<f64>,
    /// LCP: element render delay, ms.
    #[serde(default)]
    pub element_render_delay: Option<f64>,
    /// FCP: first byte to FCP, ms.
    #[serde(default)]
    pub first_byte_to_fcp: Option<f64>,
    /// INP: the interaction target (CSS selector).
    #[serde(default)]
    pub interaction_target: Option<String>,
    /// INP: `pointer` or `keyboard`.
    #[serde(default)]
    pub interaction_type: Option<String>,
    /// INP: when the interaction happened, ms since navigation start.
    #[serde(default)]
    pub interaction_time: Option<f64>,
    /// INP: input delay, ms.
    #[serde(default)]
    pub input_delay: Option<f64>,
    /// INP: processing duration, ms.
    #[serde(default)]
    pub processing_duration: Option<f64>,
    /// INP: presentation delay, ms.
    #[serde(default)]
    pub presentation_delay: Option<f64>,
    /// INP / CLS: document load state at the time (`loading`, `dom-interactive`, `dom-content-loaded`, `complete`).
    #[serde(default)]
    pub load_state: Option<String>,
    /// INP: scripts of the long animation frames that overlapped the interaction (at most 10).
    #[serde(default, deserialize_with = "crate::parse::capped::<_, _, { crate::limits::MAX_SCRIPTS }>")]
    pub scripts: Vec<ScriptAttribution>,
    /// CLS: the element of the largest shift (CSS selector).
    #[serde(default)]
    pub largest_shift_target: Option<String>,
    /// CLS: the value of the largest shift.
    #[serde(default)]
    pub largest_shift_value: Option<f64>,
    /// CLS: when the largest shift happened, ms since navigation start.
    #[serde(default)]
    pub largest_shift_time: Option<f64>,
    /// TTFB: waiting (redirects, service worker start), ms.
    #[serde(default)]
    pub waiting_duration: Option<f64>,
    /// TTFB: HTTP cache lookup, ms.
    #[serde(default)]
    pub cache_duration: Option<f64>,
    /// TTFB: DNS, ms.
    #[serde(default)]
    pub dns_duration: Option<f64>,
    /// TTFB: TCP + TLS connection, ms.
    #[serde(default)]
    pub connection_duration: Option<f64>,
    /// TTFB: request until first byte, ms.
    #[serde(default)]
    pub request_duration: Option<f64>,
}

/// A script that ran during a long animation frame.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScriptAttribution {
    /// URL of the script's source (query string dropped).
    #[serde(default)]
    pub source_url: Option<String>,
    /// Function name at the entry point, when known.
    #[serde(default)]
    pub source_function_name: Option<String>,
    /// What invoked it, e.g. `BUTTON#buy.onclick` or `Window.requestAnimationFrame`.
    #[serde(default)]
    pub invoker: Option<String>,
    /// `user-callback`, `event-listener`, `resolve-promise`, `reject-promise`, `classic-script`, `module-script`.
    #[serde(default)]
    pub invoker_type: Option<String>,
    /// Script run time, ms.
    #[serde(default)]
    pub duration: Option<f64>,
    /// Time spent in forced style and layout, ms.
    #[serde(default)]
    pub forced_style_and_layout_duration: Option<f64>,
}

/// An error seen by the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorEvent {
    /// Error class, e.g. `TypeError`.
    #[serde(default)]
    pub error_type: Option<String>,
    /// The message (scrubbed of emails, card numbers and tokens; at most 4096 bytes).
    pub message: String,
    /// The stack trace as the browser printed it (at most 16 KiB).
    #[serde(default)]
    pub stack: Option<String>,
    /// Where the error came from.
    #[serde(default)]
    pub source: ErrorSource,
    /// True when the application caught it and reported it (`addError`).
    #[serde(default)]
    pub handled: bool,
    /// Script URL of the throwing frame (`filename` of the ErrorEvent), or the failing resource's URL.
    #[serde(default)]
    pub source_url: Option<String>,
    /// Line of the throwing frame.
    #[serde(default)]
    pub line: Option<u32>,
    /// Column of the throwing frame.
    #[serde(default)]
    pub column: Option<u32>,
    /// How many identical errors the agent folded into this one (≥ 1).
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// Where an error came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorSource {
    /// An uncaught exception (`window.onerror`).
    #[default]
    Unhandled,
    /// An unhandled promise rejection.
    Promise,
    /// `console.error` (when enabled).
    Console,
    /// A failed resource load (`<img>`, `<script>`, `<link>`).
    Resource,
    /// A failed fetch/XHR.
    Network,
    /// A Content-Security-Policy violation.
    Csp,
    /// Reported by the application (`addError`).
    Custom,
    /// A source this server does not know yet (sent by a newer agent).
    #[serde(other)]
    Other,
}

impl ErrorSource {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unhandled => "unhandled",
            Self::Promise => "promise",
            Self::Console => "console",
            Self::Resource => "resource",
            Self::Network => "network",
            Self::Csp => "csp",
            Self::Custom => "custom",
            Self::Other => "other",
        }
    }
}

/// A fetch or XHR request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RequestEvent {
    /// `fetch` or `xhr`.
    #[serde(default)]
    pub api: RequestApi,
    /// HTTP method, upper case.
    pub method: String,
    /// Request URL (query string dropped except allow-listed parameters).
    pub url: String,
    /// HTTP status; absent or 0 when the request failed before a response.
    #[serde(default)]
    pub status: Option<u16>,
    /// When the request started, ms since navigation start.
    #[serde(default)]
    pub start: Option<f64>,
    /// Duration until the response finished (or failed), ms.
    pub duration: f64,
    /// Request body size, bytes.
    #[serde(default)]
    pub request_size: Option<f64>,
    /// Response body size, bytes.
    #[serde(default)]
    pub response_size: Option<f64>,
    /// How the request failed, when it did.
    #[serde(default)]
    pub failure: Option<RequestFailure>,
    /// W3C trace id (32 lowercase hex) of the injected `traceparent`.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// W3C parent span id (16 lowercase hex) of the injected `traceparent`.
    #[serde(default)]
    pub span_id: Option<String>,
}

/// The API a request was made with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestApi {
    /// `fetch()`.
    #[default]
    Fetch,
    /// `XMLHttpRequest`.
    Xhr,
    /// An API this server does not know yet (sent by a newer agent).
    #[serde(other)]
    Other,
}

/// How a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestFailure {
    /// Network error (DNS, connection refused, CORS).
    Network,
    /// Aborted by the page.
    Aborted,
    /// Timed out.
    Timeout,
    /// A failure this server does not know yet (sent by a newer agent).
    #[serde(other)]
    Other,
}

/// A notable resource of a view (slowest, render-blocking, third-party).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResourceEvent {
    /// Resource URL (query string dropped except allow-listed parameters).
    pub url: String,
    /// `initiatorType`: `script`, `link`, `img`, `css`, `fetch`, …
    #[serde(default)]
    pub initiator: Option<String>,
    /// When it started, ms since navigation start.
    #[serde(default)]
    pub start: Option<f64>,
    /// Total duration, ms.
    pub duration: f64,
    /// DNS, ms.
    #[serde(default)]
    pub dns: Option<f64>,
    /// Connection (TCP + TLS), ms.
    #[serde(default)]
    pub connect: Option<f64>,
    /// TLS, ms.
    #[serde(default)]
    pub tls: Option<f64>,
    /// Request until first byte, ms.
    #[serde(default)]
    pub ttfb: Option<f64>,
    /// Download, ms.
    #[serde(default)]
    pub download: Option<f64>,
    /// Bytes over the wire (0 for a cache hit).
    #[serde(default)]
    pub transfer_size: Option<f64>,
    /// Compressed body size, bytes.
    #[serde(default)]
    pub encoded_body_size: Option<f64>,
    /// Uncompressed body size, bytes.
    #[serde(default)]
    pub decoded_body_size: Option<f64>,
    /// The resource blocked rendering (`renderBlockingStatus`).
    #[serde(default)]
    pub render_blocking: bool,
    /// Served from another site than the page.
    #[serde(default)]
    pub third_party: bool,
}

/// A long animation frame (frames over 50 ms).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LongAnimationFrameEvent {
    /// When the frame started, ms since navigation start.
    #[serde(default)]
    pub start: Option<f64>,
    /// Frame duration, ms.
    pub duration: f64,
    /// Blocking duration (time over 50 ms not yielding to input), ms.
    #[serde(default)]
    pub blocking_duration: Option<f64>,
    /// True when measured with the Long Tasks API (no script attribution).
    #[serde(default)]
    pub long_task_fallback: bool,
    /// The scripts that ran in the frame, longest first (at most 10).
    #[serde(default, deserialize_with = "crate::parse::capped::<_, _, { crate::limits::MAX_SCRIPTS }>")]
    pub scripts: Vec<ScriptAttribution>,
}

/// A user action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionEvent {
    /// What the user did.
    #[serde(default)]
    pub action_type: ActionType,
    /// Readable target name (aria-label, text, id), masked where privacy requires.
    #[serde(default)]
    pub target: Option<String>,
    /// CSS selector of the target element.
    #[serde(default)]
    pub selector: Option<String>,
    /// Name of a custom action.
    #[serde(default)]
    pub name: Option<String>,
    /// ≥ 3 clicks within 1 s in a small area.
    #[serde(default)]
    pub rage: bool,
    /// No DOM change, navigation or request followed within about 1 s.
    #[serde(default)]
    pub dead: bool,
    /// An error followed within 1 s.
    #[serde(default)]
    pub error: bool,
    /// Clicks folded into this action (rage clicks), ≥ 1.
    #[serde(default = "one")]
    pub count: u32,
}

/// Kinds of user actions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionType {
    /// A mouse click.
    #[default]
    Click,
    /// A touch tap.
    Tap,
    /// A key press (on a button-like element).
    Keypress,
    /// An application-defined action.
    Custom,
    /// An action type this server does not know yet (sent by a newer agent).
    #[serde(other)]
    Other,
}

impl ActionType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Click => "click",
            Self::Tap => "tap",
            Self::Keypress => "keypress",
            Self::Custom => "custom",
            Self::Other => "other",
        }
    }
}

/// An application-defined event (`addEvent`), or a User Timing mark or measure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CustomEvent {
    /// Event name (at most 256 bytes; per-project cap on distinct names).
    pub name: String,
    /// Optional numeric value (e.g. a duration in ms for a measure).
    #[serde(default)]
    pub value: Option<f64>,
    /// Event attributes.
    #[serde(default)]
    pub attributes: Attributes,
}
