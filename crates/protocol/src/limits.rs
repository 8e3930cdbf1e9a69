//! Field and batch limits of protocol v1.
//!
//! Strings longer than their limit are trimmed (at a character boundary) and the
//! event is marked [`crate::QualityFlags::TRIMMED`]; items over a count limit are
//! dropped and counted as an outcome. Numeric ranges per metric live here too so
//! that the agent, the intake and the docs agree.

/// Deepest JSON nesting accepted in a beacon (the format itself needs 6).
pub const MAX_JSON_DEPTH: usize = 32;
/// Events kept from one beacon; the rest are dropped (`too_many_events`).
pub const MAX_EVENTS_PER_BATCH: usize = 500;
/// Attributes kept per event, per context and per user; the rest are dropped.
pub const MAX_ATTRIBUTES: usize = 64;
/// Server-Timing entries kept per view.
pub const MAX_SERVER_TIMINGS: usize = 16;
/// Scripts kept per long animation frame or INP attribution.
pub const MAX_SCRIPTS: usize = 10;

/// Ids: event, session and view ids.
pub const MAX_ID_LEN: usize = 64;
/// Short labels: agent name/version, release, environment, error type, method…
pub const MAX_LABEL_LEN: usize = 128;
/// Names: custom event names, attribute keys, server-timing names, route names.
pub const MAX_NAME_LEN: usize = 256;
/// URLs: page, referrer, request, resource and script URLs.
pub const MAX_URL_LEN: usize = 2048;
/// Attribute string values, CSS selectors, element descriptions, action targets.
pub const MAX_VALUE_LEN: usize = 1024;
/// Error messages.
pub const MAX_MESSAGE_LEN: usize = 4096;
/// Error stack traces.
pub const MAX_STACK_LEN: usize = 16 * 1024;

/// Largest duration accepted for timings (navigation phases, requests, LoAF…): 10 minutes in ms.
pub const MAX_DURATION_MS: f64 = 600_000.0;
/// Largest time on the document's timeline accepted (`t`, `start`, interaction and shift
/// times): 24 hours in ms, since single-page apps stay open for long.
pub const MAX_TIMELINE_MS: f64 = 24.0 * 3600.0 * 1000.0;
/// Brands kept from a client-hints brand list.
pub const MAX_CLIENT_HINT_BRANDS: usize = 8;
/// Largest CLS value accepted (a score, unitless).
pub const MAX_CLS: f64 = 100.0;
/// Largest byte size accepted for transfer/body sizes: 4 GiB.
pub const MAX_BYTES: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;
/// Decimal places kept of millisecond values (durations, times on the document's
/// timeline, ms vitals): 0.1 ms. Browsers coarsen their timers to at least that, and
/// float noise such as `1424.4000000059605` costs bytes on disk.
pub const MS_DECIMALS: i32 = 1;
/// Decimal places kept of CLS scores (the `cls` vital, `largest_shift_value`).
pub const CLS_DECIMALS: i32 = 4;

/// How far in the future (ms, after drift correction) an event time may be before it is clamped.
pub const MAX_FUTURE_SKEW_MS: i64 = 60_000;
/// How old (ms, after drift correction) an event may be before its time is clamped: 24 hours.
pub const MAX_EVENT_AGE_MS: i64 = 24 * 3600 * 1000;
