//! The diagnostic shapes: lists of sessions, views, errors and requests (a page at a
//! time), one session's timeline, error groups and one group's detail. Unlike the
//! statistics, they read every stored session, whatever it was kept for.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Order, validate_scope};
use crate::QueryError;
use crate::model::{BucketSize, Filter, MAX_BUCKETS, MAX_VALUE_BYTES, TimeRange, TimeZone};

/// The most rows of a list page, error groups of a query and events of a timeline.
pub const MAX_ROWS: usize = 1000;

/// The most events a session's timeline returns.
pub const MAX_TIMELINE_EVENTS: usize = 5000;

/// The most sample events of an error group's detail.
pub const MAX_SAMPLES: usize = 100;

/// A page of a list: `{"shape": "error_list", "range": …, "limit": 50, "cursor": "…"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// The events read.
    pub range: TimeRange,
    /// Every filter must match (AND).
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// What the rows are sorted by; `time` (newest first) by default.
    #[serde(default)]
    pub sort_by: ListSort,
    /// `desc` (default) or `asc`.
    #[serde(default)]
    pub order: Order,
    /// Rows per page, 1 to 1000; 50 by default.
    #[serde(default = "default_page")]
    pub limit: usize,
    /// The previous page's `next_cursor`, for the page after it (with the same query).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// What a list is sorted by. Rows without the value (a view without LCP) are left out
/// when sorting by it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListSort {
    /// The session's or view's start, the error's or request's time.
    #[default]
    Time,
    /// Sessions: from the first to the last event; requests: the request's duration.
    Duration,
    /// Sessions: their page views.
    Views,
    /// Sessions: their errors.
    Errors,
    /// Views: final LCP.
    Lcp,
    /// Views: final INP.
    Inp,
    /// Views: final CLS.
    Cls,
    /// Views: load time.
    Load,
}

impl ListSort {
    /// The name in JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Time => "time",
            Self::Duration => "duration",
            Self::Views => "views",
            Self::Errors => "errors",
            Self::Lcp => "lcp",
            Self::Inp => "inp",
            Self::Cls => "cls",
            Self::Load => "load",
        }
    }
}

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListKind {
    Sessions,
    Views,
    Errors,
    Requests,
}

impl ListKind {
    fn sorts(self) -> &'static [ListSort] {
        use ListSort::*;
        match self {
            Self::Sessions => &[Time, Duration, Views, Errors],
            Self::Views => &[Time, Lcp, Inp, Cls, Load],
            Self::Errors => &[Time],
            Self::Requests => &[Time, Duration],
        }
    }
}

impl ListQuery {
    /// See [`crate::Query::validate`].
    pub(crate) fn validate(&self, kind: ListKind) -> Result<(), QueryError> {
        validate_scope(&self.range, &self.filters)?;
        if !kind.sorts().contains(&self.sort_by) {
            let names: Vec<_> = kind.sorts().iter().map(|s| s.as_str()).collect();
            return Err(QueryError::invalid("sort_by", format!("this list sorts by {}", names.join(", "))));
        }
        validate_rows("limit", self.limit, MAX_ROWS)?;
        if self.cursor.as_ref().is_some_and(|c| c.len() > 16 * MAX_VALUE_BYTES) {
            return Err(QueryError::invalid("cursor", "not a cursor of this list"));
        }
        Ok(())
    }
}

/// One session's events in time order: `{"shape": "session_timeline", "range": …, "session_id": "…"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionTimelineQuery {
    /// The events read (a session list row's `start` and `end` make a good one).
    pub range: TimeRange,
    /// The session.
    pub session_id: String,
}

impl SessionTimelineQuery {
    /// See [`crate::Query::validate`].
    pub fn validate(&self) -> Result<(), QueryError> {
        self.range.validate("range")?;
        if self.session_id.is_empty() || self.session_id.len() > MAX_VALUE_BYTES {
            return Err(QueryError::invalid("session_id", "a session id has 1 to 256 bytes"));
        }
        Ok(())
    }
}

/// Error groups: `{"shape": "error_groups", "range": …, "sort_by": "sessions", "limit": 20}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorGroupsQuery {
    /// The errors read.
    pub range: TimeRange,
    /// Every filter must match (AND).
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// The groups are sorted by this, largest or latest first; `count` by default.
    #[serde(default)]
    pub sort_by: ErrorGroupSort,
    /// Groups returned, 1 to 1000; 50 by default.
    #[serde(default = "default_page")]
    pub limit: usize,
}

/// What error groups are sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorGroupSort {
    /// Occurrences.
    #[default]
    Count,
    /// Sessions affected.
    Sessions,
    /// Users affected.
    Users,
    /// The latest occurrence.
    LastSeen,
}

impl ErrorGroupsQuery {
    /// See [`crate::Query::validate`].
    pub fn validate(&self) -> Result<(), QueryError> {
        validate_scope(&self.range, &self.filters)?;
        validate_rows("limit", self.limit, MAX_ROWS)
    }
}

/// One error group in detail: its figures, its count per bucket, its latest events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorGroupQuery {
    /// The errors read.
    pub range: TimeRange,
    /// Every filter must match (AND).
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// The group, as `error_groups` gives it.
    pub fingerprint: String,
    /// Bucket width of the count's time series.
    pub bucket: BucketSize,
    /// The zone whose hours and days the buckets follow; UTC by default.
    #[serde(default)]
    pub time_zone: TimeZone,
    /// Latest events returned with their stack, 0 to 100; 10 by default.
    #[serde(default = "default_samples")]
    pub samples: usize,
}

impl ErrorGroupQuery {
    /// See [`crate::Query::validate`].
    pub fn validate(&self) -> Result<(), QueryError> {
        validate_scope(&self.range, &self.filters)?;
        if self.fingerprint.len() != 16 || !self.fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(QueryError::invalid("fingerprint", "a fingerprint is 16 hex digits"));
        }
        self.time_zone.checked("time_zone")?;
        let (span, width) = (self.range.span_ms(), self.bucket.ms());
        if span / width + i64::from(span % width != 0) > MAX_BUCKETS {
            return Err(QueryError::invalid("bucket", format!("at most {MAX_BUCKETS} buckets over the range")));
        }
        if self.samples > MAX_SAMPLES {
            return Err(QueryError::invalid("samples", format!("at most {MAX_SAMPLES}")));
        }
        Ok(())
    }
}

fn validate_rows(field: &str, rows: usize, max: usize) -> Result<(), QueryError> {
    if !(1..=max).contains(&rows) {
        return Err(QueryError::invalid(field, format!("between 1 and {max}")));
    }
    Ok(())
}

fn default_page() -> usize {
    50
}

fn default_samples() -> usize {
    10
}
