//! The answers of the diagnostic shapes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::Timestamp;

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ListResult<T> {
    /// The rows, in the query's order.
    pub rows: Vec<T>,
    /// Pass it as `cursor` (with the same query) for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A session in a list: its figures over the query's range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionRow {
    /// Session id.
    pub session_id: String,
    /// Its first page view in the range.
    pub start: Timestamp,
    /// Its last page view, action, request or error in the range.
    pub end: Timestamp,
    /// Page views in the range.
    pub views: u64,
    /// Errors in the range (folded errors counted as many times as they happened).
    pub errors: u64,
    /// Application user id (the latest known).
    pub user_id: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// Browser family.
    pub browser: Option<String>,
    /// OS family.
    pub os: Option<String>,
    /// Device class.
    pub device_class: Option<String>,
    /// Application release.
    pub release: Option<String>,
    /// Why the session was kept: `sampled`, `kept_for_error`, `kept_for_poor_vital`, `other`.
    pub sampling_reason: Option<String>,
}

/// A page view in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ViewRow {
    /// View id.
    pub view_id: String,
    /// Its session.
    pub session_id: String,
    /// Route.
    pub route: Option<String>,
    /// Page URL.
    pub url: Option<String>,
    /// When it started.
    pub start: Timestamp,
    /// How it started (`navigate`, `route_change`…).
    pub navigation_type: Option<String>,
    /// Final LCP, ms.
    pub lcp: Option<f64>,
    /// Final INP, ms.
    pub inp: Option<f64>,
    /// Final CLS.
    pub cls: Option<f64>,
    /// Load time (`loadEventEnd`), ms.
    pub load: Option<f64>,
}

/// An error in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorRow {
    /// When it happened.
    pub time: Timestamp,
    /// Event id (unique within its view).
    pub event_id: String,
    /// Its session.
    pub session_id: String,
    /// Its view.
    pub view_id: String,
    /// Route.
    pub route: Option<String>,
    /// Error class.
    pub error_type: Option<String>,
    /// Message.
    pub message: Option<String>,
    /// Where it came from (`unhandled`, `promise`, `console`…).
    pub source: Option<String>,
    /// Identical errors folded into this one.
    pub count: u64,
    /// Its group (see `error_groups`).
    pub fingerprint: String,
}

/// A request in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RequestRow {
    /// When it happened.
    pub time: Timestamp,
    /// Event id (unique within its view).
    pub event_id: String,
    /// Its session.
    pub session_id: String,
    /// Its view.
    pub view_id: String,
    /// HTTP method.
    pub method: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// HTTP status (null or 0: no response).
    pub status: Option<u32>,
    /// Duration, ms.
    pub duration: Option<f64>,
    /// How it failed, if it did.
    pub failure: Option<String>,
    /// W3C trace id.
    pub trace_id: Option<String>,
}

/// One session's events in time order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionTimelineResult {
    /// The session.
    pub session_id: String,
    /// Who and where, from its latest page view; absent when no view is in the range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<SessionInfo>,
    /// The events by time (then kind and event id).
    pub events: Vec<TimelineEvent>,
    /// True when the session had more events than the timeline returns (5 000).
    pub truncated: bool,
}

/// A session's context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionInfo {
    /// Browser family.
    pub browser: Option<String>,
    /// Browser major version.
    pub browser_version: Option<String>,
    /// OS family.
    pub os: Option<String>,
    /// OS version.
    pub os_version: Option<String>,
    /// Device class.
    pub device_class: Option<String>,
    /// Device model.
    pub device_model: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// Region code.
    pub region: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Application release.
    pub release: Option<String>,
    /// Deployment environment.
    pub environment: Option<String>,
    /// Application user id.
    pub user_id: Option<String>,
    /// Why the session was kept.
    pub sampling_reason: Option<String>,
    /// The session's sample rate.
    pub sample_rate: f64,
}

/// One event of a timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimelineEvent {
    /// When it happened.
    pub time: Timestamp,
    /// Its view.
    pub view_id: String,
    /// Event id (unique within its view).
    pub event_id: String,
    /// Route of its page.
    pub route: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub detail: TimelineDetail,
}

/// What happened, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineDetail {
    /// A page load or route change.
    View {
        /// Page URL.
        url: Option<String>,
        /// How it started.
        navigation_type: Option<String>,
        /// Load time, ms.
        load: Option<f64>,
    },
    /// A vital's final value for its view (the report that counts).
    Vital {
        /// `lcp`, `inp`, `cls`, `fcp`, `ttfb`.
        name: Option<String>,
        /// The value (ms; CLS a score).
        value: Option<f64>,
        /// `good`, `needs_improvement`, `poor`.
        rating: Option<String>,
    },
    /// A user action.
    Action {
        /// `click`, `tap`, `keypress`, `custom`.
        action_type: Option<String>,
        /// Readable target name.
        target: Option<String>,
        /// Custom action name.
        name: Option<String>,
        /// A rage click.
        rage: bool,
        /// A dead click.
        dead: bool,
        /// An error followed.
        error: bool,
        /// Clicks folded into it.
        count: u64,
    },
    /// An error.
    Error {
        /// Error class.
        error_type: Option<String>,
        /// Message.
        message: Option<String>,
        /// Where it came from.
        source: Option<String>,
        /// Identical errors folded into it.
        count: u64,
        /// Its group.
        fingerprint: String,
    },
    /// A fetch or XHR.
    Request {
        /// HTTP method.
        method: Option<String>,
        /// URL.
        url: Option<String>,
        /// HTTP status.
        status: Option<u32>,
        /// Duration, ms.
        duration: Option<f64>,
        /// How it failed.
        failure: Option<String>,
        /// W3C trace id.
        trace_id: Option<String>,
    },
    /// A custom event.
    Custom {
        /// Event name.
        name: Option<String>,
        /// Its value.
        value: Option<f64>,
    },
    /// A long animation frame.
    LongAnimationFrame {
        /// Duration, ms.
        duration: Option<f64>,
        /// Blocking duration, ms.
        blocking_duration: Option<f64>,
    },
}

/// Error groups, sorted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorGroupsResult {
    /// The groups, by the query's `sort_by`, then fingerprint.
    pub groups: Vec<ErrorGroup>,
    /// How many groups there were before the limit.
    pub total_groups: u64,
}

/// One error group's figures over the range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorGroup {
    /// The group's fingerprint (16 hex digits).
    pub fingerprint: String,
    /// Error class.
    pub error_type: Option<String>,
    /// A representative message: the group's smallest (one of its real messages).
    pub message: Option<String>,
    /// Occurrences: stored errors, each counted as many times as the agent folded it.
    pub count: u64,
    /// Stored error events.
    pub events: u64,
    /// Sessions affected.
    pub sessions: u64,
    /// Users affected (distinct user ids; sessions without one are not counted).
    pub users: u64,
    /// The first occurrence in the range.
    pub first_seen: Timestamp,
    /// The last occurrence in the range.
    pub last_seen: Timestamp,
    /// The releases it happened in, sorted.
    pub releases: Vec<String>,
    /// The route with the most occurrences (ties: the smallest).
    pub top_route: Option<String>,
    /// The browser with the most occurrences (ties: the smallest).
    pub top_browser: Option<String>,
}

/// One error group in detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorGroupResult {
    /// Its figures; absent when it has no error in the range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<ErrorGroup>,
    /// Occurrences per bucket (buckets without any left out).
    pub series: Vec<ErrorPoint>,
    /// Its latest events, newest first.
    pub samples: Vec<ErrorSample>,
}

/// Occurrences of an error group in one bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorPoint {
    /// The bucket's start.
    pub time: Timestamp,
    /// Occurrences (folded errors counted as many times).
    pub count: u64,
    /// Stored error events.
    pub events: u64,
}

/// One occurrence of an error group, with its stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorSample {
    /// When it happened.
    pub time: Timestamp,
    /// Event id.
    pub event_id: String,
    /// Its session.
    pub session_id: String,
    /// Its view.
    pub view_id: String,
    /// Route.
    pub route: Option<String>,
    /// Page URL.
    pub url: Option<String>,
    /// Message.
    pub message: Option<String>,
    /// The stack as the browser printed it.
    pub stack: Option<String>,
    /// Script URL of the throwing frame.
    pub source_url: Option<String>,
    /// Line of the throwing frame.
    pub line: Option<u32>,
    /// Column of the throwing frame.
    pub column: Option<u32>,
    /// Browser family.
    pub browser: Option<String>,
    /// OS family.
    pub os: Option<String>,
    /// Application release.
    pub release: Option<String>,
    /// Application user id.
    pub user_id: Option<String>,
}
