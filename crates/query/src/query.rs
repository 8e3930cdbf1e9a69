//! The shapes of a query: what is asked, as the JSON body of `/api/v1/query`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod diagnostics;

pub(crate) use self::diagnostics::ListKind;
pub use self::diagnostics::{
    ErrorGroupQuery, ErrorGroupSort, ErrorGroupsQuery, ListQuery, ListSort, MAX_ROWS, MAX_SAMPLES, MAX_TIMELINE_EVENTS,
    SessionTimelineQuery,
};
use crate::QueryError;
use crate::model::{
    BucketSize, Dimension, Filter, MAX_BUCKETS, MAX_FILTERS, MAX_GROUPS, MAX_STATISTICS, Metric, MetricKind, Statistic,
    TimeRange, TimeZone,
};

/// A question, tagged by its `shape`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum Query {
    /// Single values: several metric × statistic tiles over the whole range.
    Values(ValuesQuery),
    /// One metric per time bucket, optionally per group.
    TimeSeries(TimeSeriesQuery),
    /// One metric per group of one or two dimensions, top N and `(other)`.
    Breakdown(BreakdownQuery),
    /// A histogram of one metric's values over fixed buckets.
    Distribution(DistributionQuery),
    /// A page of sessions.
    SessionList(ListQuery),
    /// A page of page views.
    ViewList(ListQuery),
    /// A page of errors.
    ErrorList(ListQuery),
    /// A page of requests.
    RequestList(ListQuery),
    /// One session's events in time order, with its context.
    SessionTimeline(SessionTimelineQuery),
    /// Errors grouped by fingerprint.
    ErrorGroups(ErrorGroupsQuery),
    /// One error group: its figures, count over time and latest events.
    ErrorGroup(ErrorGroupQuery),
}

/// Several tiles at once: `{"shape": "values", "range": …, "filters": […], "tiles": [{"metric": "lcp", "statistic": "p75"}]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValuesQuery {
    /// The events read.
    pub range: TimeRange,
    /// Every filter must match (AND).
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// What to compute, 1 to 20 tiles.
    pub tiles: Vec<Tile>,
    /// Also compute every tile over a baseline and compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<Baseline>,
}

/// What values are compared with: the same tiles over another range (the previous week),
/// with other filters (the previous release), or both. What is not given is the query's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The baseline's range instead of the query's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<TimeRange>,
    /// The baseline's filters instead of the query's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<Filter>>,
}

/// One figure: a statistic of a metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tile {
    /// What is measured.
    pub metric: Metric,
    /// How it is summarized.
    pub statistic: Statistic,
}

/// A metric per time bucket (and per group, top `limit` groups by count and `(other)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeSeriesQuery {
    /// The events read.
    pub range: TimeRange,
    /// Every filter must match (AND).
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// What is measured.
    pub metric: Metric,
    /// The statistics per bucket, 1 to 20.
    pub statistics: Vec<Statistic>,
    /// Bucket width.
    pub bucket: BucketSize,
    /// The zone whose hours and days the buckets follow; UTC by default.
    #[serde(default)]
    pub time_zone: TimeZone,
    /// One series per value of this dimension.
    #[serde(default)]
    pub group_by: Option<Dimension>,
    /// With `group_by`: the most series before the rest is folded into `(other)`.
    #[serde(default = "default_limit")]
    pub limit: usize,
}

/// A metric per group of one or two dimensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakdownQuery {
    /// The events read.
    pub range: TimeRange,
    /// Every filter must match (AND).
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// What is measured.
    pub metric: Metric,
    /// The statistics per group, 1 to 20.
    pub statistics: Vec<Statistic>,
    /// One or two dimensions.
    pub group_by: Vec<Dimension>,
    /// The rows are sorted by this statistic (one of `statistics`, or `count`, the
    /// default); the first `limit` are kept and the rest folded into `(other)`.
    #[serde(default)]
    pub sort_by: Option<Statistic>,
    /// Sort order, `desc` by default.
    #[serde(default)]
    pub order: Order,
    /// The most rows before `(other)`.
    #[serde(default = "default_limit")]
    pub limit: usize,
}

/// A histogram of one metric over its fixed buckets (see `docs/query.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributionQuery {
    /// The events read.
    pub range: TimeRange,
    /// Every filter must match (AND).
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// What is measured: a value metric.
    pub metric: Metric,
}

/// Sort order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Largest first.
    #[default]
    Desc,
    /// Smallest first.
    Asc,
}

fn default_limit() -> usize {
    10
}

impl Query {
    /// Checks everything the types cannot: sizes, ranges, that statistics fit metrics.
    pub fn validate(&self) -> Result<(), QueryError> {
        match self {
            Self::Values(query) => query.validate(),
            Self::TimeSeries(query) => query.validate(),
            Self::Breakdown(query) => query.validate(),
            Self::Distribution(query) => query.validate(),
            Self::SessionList(query) => query.validate(ListKind::Sessions),
            Self::ViewList(query) => query.validate(ListKind::Views),
            Self::ErrorList(query) => query.validate(ListKind::Errors),
            Self::RequestList(query) => query.validate(ListKind::Requests),
            Self::SessionTimeline(query) => query.validate(),
            Self::ErrorGroups(query) => query.validate(),
            Self::ErrorGroup(query) => query.validate(),
        }
    }
}

fn validate_scope(range: &TimeRange, filters: &[Filter]) -> Result<(), QueryError> {
    range.validate("range")?;
    if filters.len() > MAX_FILTERS {
        return Err(QueryError::invalid("filters", format!("at most {MAX_FILTERS} filters")));
    }
    for (i, filter) in filters.iter().enumerate() {
        filter.validate(&format!("filters[{i}]"))?;
    }
    Ok(())
}

fn validate_statistics(metric: &Metric, statistics: &[Statistic]) -> Result<(), QueryError> {
    metric.validate("metric")?;
    if statistics.is_empty() || statistics.len() > MAX_STATISTICS {
        return Err(QueryError::invalid("statistics", format!("takes 1 to {MAX_STATISTICS} statistics")));
    }
    for (i, statistic) in statistics.iter().enumerate() {
        metric.check_statistic(statistic, &format!("statistics[{i}]"))?;
    }
    Ok(())
}

fn validate_limit(limit: usize) -> Result<(), QueryError> {
    if !(1..=MAX_GROUPS).contains(&limit) {
        return Err(QueryError::invalid("limit", format!("between 1 and {MAX_GROUPS}")));
    }
    Ok(())
}

impl ValuesQuery {
    /// See [`Query::validate`].
    pub fn validate(&self) -> Result<(), QueryError> {
        validate_scope(&self.range, &self.filters)?;
        if self.tiles.is_empty() || self.tiles.len() > MAX_STATISTICS {
            return Err(QueryError::invalid("tiles", format!("takes 1 to {MAX_STATISTICS} tiles")));
        }
        for (i, tile) in self.tiles.iter().enumerate() {
            tile.metric.validate(&format!("tiles[{i}].metric"))?;
            tile.metric.check_statistic(&tile.statistic, &format!("tiles[{i}].statistic"))?;
        }
        if let Some(baseline) = &self.compare {
            if baseline.range.is_none() && baseline.filters.is_none() {
                return Err(QueryError::invalid("compare", "a baseline has a `range`, `filters` or both"));
            }
            if let Some(range) = &baseline.range {
                range.validate("compare.range")?;
            }
            let filters = baseline.filters.as_deref().unwrap_or_default();
            if filters.len() > MAX_FILTERS {
                return Err(QueryError::invalid("compare.filters", format!("at most {MAX_FILTERS} filters")));
            }
            for (i, filter) in filters.iter().enumerate() {
                filter.validate(&format!("compare.filters[{i}]"))?;
            }
        }
        Ok(())
    }
}

impl TimeSeriesQuery {
    /// See [`Query::validate`].
    pub fn validate(&self) -> Result<(), QueryError> {
        validate_scope(&self.range, &self.filters)?;
        validate_statistics(&self.metric, &self.statistics)?;
        self.time_zone.checked("time_zone")?;
        let (span, width) = (self.range.span_ms(), self.bucket.ms());
        let buckets = span / width + i64::from(span % width != 0);
        if buckets > MAX_BUCKETS {
            return Err(QueryError::invalid(
                "bucket",
                format!("{buckets} buckets of a {:?} over this range; at most {MAX_BUCKETS}", self.bucket)
                    .to_lowercase(),
            ));
        }
        if let Some(dimension) = &self.group_by {
            dimension.validate("group_by")?;
        }
        validate_limit(self.limit)
    }
}

impl BreakdownQuery {
    /// See [`Query::validate`].
    pub fn validate(&self) -> Result<(), QueryError> {
        validate_scope(&self.range, &self.filters)?;
        validate_statistics(&self.metric, &self.statistics)?;
        if !(1..=2).contains(&self.group_by.len()) {
            return Err(QueryError::invalid("group_by", "takes one or two dimensions"));
        }
        for (i, dimension) in self.group_by.iter().enumerate() {
            dimension.validate(&format!("group_by[{i}]"))?;
        }
        if let Some(sort) = &self.sort_by
            && *sort != Statistic::Count
            && !self.statistics.contains(sort)
        {
            return Err(QueryError::invalid("sort_by", "sorts by `count` or one of `statistics`"));
        }
        validate_limit(self.limit)
    }
}

impl DistributionQuery {
    /// See [`Query::validate`].
    pub fn validate(&self) -> Result<(), QueryError> {
        validate_scope(&self.range, &self.filters)?;
        self.metric.validate("metric")?;
        if self.metric.kind() != MetricKind::Value {
            return Err(QueryError::invalid(
                "metric",
                "a distribution is of a value metric (lcp, load, request_duration…)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Query, String> {
        let query: Query = serde_json::from_str(json).map_err(|e| e.to_string())?;
        query.validate().map_err(|e| e.to_string())?;
        Ok(query)
    }

    const RANGE: &str = r#""range": {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}"#;

    #[test]
    fn each_shape_reads_from_json() {
        let values =
            parse(&format!(r#"{{"shape": "values", {RANGE}, "tiles": [{{"metric": "lcp", "statistic": "p75"}}]}}"#));
        assert!(values.is_ok(), "{values:?}");
        let series = parse(&format!(
            r#"{{"shape": "time_series", {RANGE}, "metric": "inp", "statistics": ["p75"], "bucket": "hour", "time_zone": "Europe/Berlin", "group_by": "country"}}"#
        ));
        assert!(matches!(series, Ok(Query::TimeSeries(TimeSeriesQuery { limit: 10, .. }))), "{series:?}");
        let breakdown = parse(&format!(
            r#"{{"shape": "breakdown", {RANGE}, "metric": "cls", "statistics": ["p75", "poor"], "group_by": ["route", "browser"], "sort_by": "poor", "limit": 5}}"#
        ));
        assert!(breakdown.is_ok(), "{breakdown:?}");
        let distribution = parse(&format!(r#"{{"shape": "distribution", {RANGE}, "metric": "lcp"}}"#));
        assert!(distribution.is_ok(), "{distribution:?}");
    }

    #[test]
    fn queries_and_answers_have_json_schemas_for_the_api_document() {
        let query = serde_json::to_string(&schemars::schema_for!(Query)).expect("serializes");
        for needle in [
            "\"time_series\"",
            "\"quantile\"",
            "\"user_attribute\"",
            "\"not_in\"",
            "\"op\"",
            "date-time",
            "\"compare\"",
            "\"session_timeline\"",
            "\"error_groups\"",
            "\"cursor\"",
        ] {
            assert!(query.contains(needle), "{needle} missing from the query schema");
        }
        let answer = serde_json::to_string(&schemars::schema_for!(crate::QueryResult)).expect("serializes");
        for needle in [
            "\"samples\"",
            "\"improved\"",
            "\"other\"",
            "\"needs_improvement\"",
            "\"next_cursor\"",
            "\"long_animation_frame\"",
            "\"top_route\"",
        ] {
            assert!(answer.contains(needle), "{needle} missing from the answer schema");
        }
    }

    #[test]
    fn mistakes_are_named() {
        let error = |json: String| parse(&json).expect_err("fails");
        assert!(error(format!(r#"{{"shape": "values", {RANGE}, "tiles": [], "tile": 1}}"#)).contains("unknown field"));
        assert_eq!(
            error(format!(
                r#"{{"shape": "values", {RANGE}, "tiles": [{{"metric": "page_views", "statistic": "p75"}}]}}"#
            )),
            "tiles[0].statistic: this metric takes count"
        );
        assert!(
            error(r#"{"shape": "values", "tiles": [{"metric": "lcp", "statistic": "p75"}]}"#.into())
                .contains("missing field `range`")
        );
        assert!(
            error(r#"{"shape": "time_series", "range": {"from": 0, "to": 864000000}, "metric": "lcp", "statistics": ["p75"], "bucket": "minute"}"#.into())
                .starts_with("bucket: 14400 buckets")
        );
        assert!(
            error(format!(
                r#"{{"shape": "breakdown", {RANGE}, "metric": "lcp", "statistics": ["p75"], "group_by": []}}"#
            ))
            .starts_with("group_by")
        );
        assert!(error(format!(r#"{{"shape": "breakdown", {RANGE}, "metric": "lcp", "statistics": ["p75"], "group_by": ["os"], "sort_by": "p90"}}"#)).starts_with("sort_by"));
        assert!(error(format!(r#"{{"shape": "breakdown", {RANGE}, "metric": "lcp", "statistics": ["p75"], "group_by": ["os"], "limit": 0}}"#)).starts_with("limit"));
        assert!(error(format!(r#"{{"shape": "distribution", {RANGE}, "metric": "errors"}}"#)).starts_with("metric"));
        assert!(error(format!(r#"{{"shape": "pie", {RANGE}}}"#)).contains("unknown variant `pie`"));
    }

    #[test]
    fn diagnostic_shapes_read_from_json_and_name_their_mistakes() {
        for json in [
            format!(r#"{{"shape": "session_list", {RANGE}, "sort_by": "errors", "limit": 20}}"#),
            format!(r#"{{"shape": "view_list", {RANGE}, "sort_by": "inp", "order": "asc"}}"#),
            format!(r#"{{"shape": "error_list", {RANGE}, "cursor": "7b7d"}}"#),
            format!(r#"{{"shape": "request_list", {RANGE}, "sort_by": "duration"}}"#),
            format!(r#"{{"shape": "session_timeline", {RANGE}, "session_id": "s1"}}"#),
            format!(r#"{{"shape": "error_groups", {RANGE}, "sort_by": "last_seen"}}"#),
            format!(r#"{{"shape": "error_group", {RANGE}, "fingerprint": "a35822fc09af111f", "bucket": "hour"}}"#),
        ] {
            assert!(parse(&json).is_ok(), "{json}: {:?}", parse(&json));
        }
        let error = |json: String| parse(&json).expect_err("fails");
        assert_eq!(
            error(format!(r#"{{"shape": "error_list", {RANGE}, "sort_by": "lcp"}}"#)),
            "sort_by: this list sorts by time"
        );
        assert!(error(format!(r#"{{"shape": "view_list", {RANGE}, "sort_by": "errors"}}"#)).starts_with("sort_by"));
        assert!(error(format!(r#"{{"shape": "session_list", {RANGE}, "limit": 1001}}"#)).starts_with("limit"));
        assert!(
            error(format!(r#"{{"shape": "session_timeline", {RANGE}, "session_id": ""}}"#)).starts_with("session_id")
        );
        assert!(
            error(format!(r#"{{"shape": "error_group", {RANGE}, "fingerprint": "xyz", "bucket": "day"}}"#))
                .starts_with("fingerprint")
        );
        assert!(error(format!(r#"{{"shape": "error_group", {RANGE}, "fingerprint": "a35822fc09af111f", "bucket": "day", "samples": 101}}"#)).starts_with("samples"));
        assert!(
            error(format!(r#"{{"shape": "error_groups", {RANGE}, "sort_by": "pain"}}"#)).contains("unknown variant")
        );
    }
}
