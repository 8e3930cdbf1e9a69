//! The answers, typed: the JSON bodies the API returns.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod diagnostics;

pub use self::diagnostics::{
    ErrorGroup, ErrorGroupResult, ErrorGroupsResult, ErrorPoint, ErrorRow, ErrorSample, ListResult, RequestRow,
    SessionInfo, SessionRow, SessionTimelineResult, TimelineDetail, TimelineEvent, ViewRow,
};
use crate::model::{Dimension, Metric, Rating, Statistic, Timestamp};

/// An answer, tagged by the `shape` of its query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum QueryResult {
    /// See [`ValuesResult`].
    Values(ValuesResult),
    /// See [`TimeSeriesResult`].
    TimeSeries(TimeSeriesResult),
    /// See [`BreakdownResult`].
    Breakdown(BreakdownResult),
    /// See [`DistributionResult`].
    Distribution(DistributionResult),
    /// A page of sessions.
    SessionList(ListResult<SessionRow>),
    /// A page of views.
    ViewList(ListResult<ViewRow>),
    /// A page of errors.
    ErrorList(ListResult<ErrorRow>),
    /// A page of requests.
    RequestList(ListResult<RequestRow>),
    /// See [`SessionTimelineResult`].
    SessionTimeline(SessionTimelineResult),
    /// See [`ErrorGroupsResult`].
    ErrorGroups(ErrorGroupsResult),
    /// See [`ErrorGroupResult`].
    ErrorGroup(ErrorGroupResult),
}

/// One value per tile, in the order of the tiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ValuesResult {
    /// The tiles' values.
    pub values: Vec<TileValue>,
}

/// One tile's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TileValue {
    /// The tile's metric.
    pub metric: Metric,
    /// The tile's statistic.
    pub statistic: Statistic,
    /// The figure; null when there is no unit to compute it over (a quantile of nothing).
    pub value: Option<f64>,
    /// The stored units it was computed from (views, requests, sessions…), unweighted.
    pub samples: u64,
    /// With a baseline: how the value compares with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
}

/// A tile's value against its baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Comparison {
    /// The baseline's value.
    pub baseline: Option<f64>,
    /// The baseline's stored units.
    pub baseline_samples: u64,
    /// `value − baseline`; null when either is.
    pub difference: Option<f64>,
    /// `difference / |baseline|`; null when the baseline is 0 or null.
    pub relative: Option<f64>,
    /// Which way the value moved; null when either is null.
    pub direction: Option<Direction>,
    /// Whether the move is an improvement, for figures where lower or higher is better
    /// (latencies, error rates and poor shares lower, good shares higher); null when the
    /// value did not move or the figure has no better side (page views, custom values).
    pub improved: Option<bool>,
}

/// Which way a value moved from its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Larger than the baseline.
    Up,
    /// Smaller than the baseline.
    Down,
    /// Equal.
    Unchanged,
}

impl Comparison {
    /// Compares `value` of `metric`'s `statistic` with `baseline`.
    pub fn of(
        metric: &Metric,
        statistic: &Statistic,
        value: Option<f64>,
        baseline: Option<f64>,
        baseline_samples: u64,
    ) -> Self {
        let difference = value.zip(baseline).map(|(value, baseline)| value - baseline);
        let relative = difference.zip(baseline.filter(|b| *b != 0.0)).map(|(d, b)| d / b.abs());
        let direction = difference.map(|d| match d.partial_cmp(&0.0) {
            Some(std::cmp::Ordering::Greater) => Direction::Up,
            Some(std::cmp::Ordering::Less) => Direction::Down,
            _ => Direction::Unchanged,
        });
        let improved = match (direction, metric.lower_is_better(statistic)) {
            (Some(Direction::Up), Some(lower)) => Some(!lower),
            (Some(Direction::Down), Some(lower)) => Some(lower),
            _ => None,
        };
        Self { baseline, baseline_samples, difference, relative, direction, improved }
    }
}

/// A time series: one series per group (one in all without `group_by`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimeSeriesResult {
    /// The statistics of each point's `values`, in order.
    pub statistics: Vec<Statistic>,
    /// The grouping dimension, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Dimension>,
    /// The series: groups by decreasing count over the range, `(other)` last.
    pub series: Vec<Series>,
}

/// The points of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Series {
    /// The group's value (null: events without a value); absent without `group_by` and
    /// for `(other)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Option<String>>,
    /// True for the series of every group past the limit.
    #[serde(default, skip_serializing_if = "is_false")]
    pub other: bool,
    /// Buckets with at least one unit, in time order (empty buckets are left out).
    pub points: Vec<Point>,
}

/// One bucket of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Point {
    /// The bucket's start.
    pub time: Timestamp,
    /// One value per statistic.
    pub values: Vec<Option<f64>>,
    /// The estimated units in the bucket (sum of weights).
    pub count: f64,
    /// The stored units in the bucket.
    pub samples: u64,
}

/// A breakdown table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BreakdownResult {
    /// The grouping dimensions, the columns of each row's `group`.
    pub group_by: Vec<Dimension>,
    /// The statistics of each row's `values`, in order.
    pub statistics: Vec<Statistic>,
    /// The rows, sorted; `(other)` last.
    pub rows: Vec<BreakdownRow>,
    /// How many groups there were before the limit.
    pub groups: u64,
}

/// One row of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BreakdownRow {
    /// One value per grouping dimension (null: events without a value); all null for `(other)`.
    pub group: Vec<Option<String>>,
    /// True for the row of every group past the limit.
    #[serde(default, skip_serializing_if = "is_false")]
    pub other: bool,
    /// One value per statistic.
    pub values: Vec<Option<f64>>,
    /// The estimated units of the group (sum of weights).
    pub count: f64,
    /// The stored units of the group.
    pub samples: u64,
}

/// A histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DistributionResult {
    /// The metric.
    pub metric: Metric,
    /// Every bucket of the metric, empty ones included, in order.
    pub buckets: Vec<HistogramBucket>,
    /// The estimated units in all buckets.
    pub count: f64,
    /// The stored units in all buckets.
    pub samples: u64,
}

/// One bucket of a histogram: values in `(from, to]` (the first bucket includes `from`;
/// the last has no `to`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistogramBucket {
    /// Lower bound.
    pub from: f64,
    /// Upper bound, included; null for the last bucket.
    pub to: Option<f64>,
    /// The estimated units in the bucket.
    pub count: f64,
    /// `count` over the histogram's `count` (0 when empty).
    pub share: f64,
    /// The stored units in the bucket.
    pub samples: u64,
    /// For vitals: the rating of every value in the bucket (the edges fall on the thresholds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
}

fn is_false(value: &bool) -> bool {
    !*value
}
