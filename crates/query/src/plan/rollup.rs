//! Answering from the store's rollups (`sightline_store::ROLLUP_TABLE`) when they cover a
//! query: per hour, measure and a few dimension sets, the units' counts, sums, ratings and
//! (for the vitals) a quantile sketch. Covered: the five vitals (quantiles, mean, count,
//! sum, ratings, and the distribution); the counts `page_views`, `sessions`, `errors`,
//! `requests`, `actions`, `rage_clicks`, `dead_clicks`; and the rates `error_rate`,
//! `poor_vital_share`, `bounce_rate`, `failed_request_rate`, each the weight of one measure's
//! rows over another's ([`Measures::Ratio`]: views with an error over page views…). A range
//! on whole UTC hours (whole UTC days read from the daily rows: a row per day, not 24); no buckets, or hour or day buckets in UTC; filters and groups on the
//! dimensions of one of the rollup's sets (route, browser, device class, country, release,
//! environment, and the pairs the store keeps). Everything else reads the events. Quantiles
//! from sketches are within 0.5 % (relative) of the exact ones; the other figures are the
//! events' but at the edges of files and units (docs/query.md lists where).
//!
//! The statement has the same output columns as the exact one ([`super::aggregate`]), so
//! everything after it is shared: `units` has one row per rollup row, `c` (weight), `k`
//! (units), `sv` (Σ weight · value), `rg`, `rn`, `rp` (weights per rating) and `sk` (sketch);
//! for a rate `c` and `k` are the denominator's rows', `sv` the weight of the numerator's (the
//! rate is `Σ sv / Σ c`) and the others null. A breakdown, a distribution and single values
//! read the rows themselves ([`rows`], [`measure_rows`]) and merge them in Rust
//! (`run/rollups.rs`).

use super::sql::Sql;
use super::units::{Scope, filter};
use super::{Bucketing, Statement};
use crate::QueryError;
use crate::model::{BucketSize, Condition, Dimension, Metric, Rating, Statistic};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

// The store's rollup layout (`sightline_store::{ROLLUP_TABLE, …}`), repeated here so that the
// query crate plans onto any session without depending on the store; a test checks they agree.
/// The rollups' table.
pub(crate) const ROLLUP_TABLE: &str = "rollup";
/// The sketch-merging quantile aggregate.
const SKETCH_QUANTILE: &str = "sightline_sketch_quantile";
/// The dimension columns.
const ROLLUP_DIMENSIONS: [&str; 6] = ["route", "browser", "device_class", "country", "release", "environment"];
/// A daily row's `grouping`: this plus the hourly rows' it sums.
const DAILY_GROUPING: u8 = 100;
/// The dimension sets kept, by `grouping`.
const GROUPING_SETS: [&[usize]; 12] =
    [&[], &[0], &[1], &[2], &[3], &[4], &[5], &[0, 1], &[0, 2], &[0, 4], &[3, 2], &[1, 2]];

/// The payload columns of rollup units.
pub(super) const PAYLOAD: [&str; 7] = ["c", "k", "sv", "rg", "rn", "rp", "sk"];
/// The rollup's columns of [`PAYLOAD`].
const PAYLOAD_COLUMNS: [&str; 7] = [
    "e.\"count\" AS c",
    "e.samples AS k",
    "e.\"sum\" AS sv",
    "e.good AS rg",
    "e.needs_improvement AS rn",
    "e.poor AS rp",
    "e.sketch AS sk",
];

/// The rollup measures behind a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measures {
    /// One measure's rows: a vital's (valued) or a count's.
    One(&'static str),
    /// A rate: the weight of the numerator's rows over the denominator's.
    Ratio { denominator: &'static str, numerator: &'static str },
}

/// The rollup measures of a metric; none when the rollups do not hold it.
fn measures(metric: &Metric) -> Option<Measures> {
    let ratio = |denominator, numerator| Some(Measures::Ratio { denominator, numerator });
    match metric {
        Metric::Lcp => Some(Measures::One("lcp")),
        Metric::Inp => Some(Measures::One("inp")),
        Metric::Cls => Some(Measures::One("cls")),
        Metric::Fcp => Some(Measures::One("fcp")),
        Metric::Ttfb => Some(Measures::One("ttfb")),
        Metric::PageViews => Some(Measures::One("page_view")),
        Metric::Sessions => Some(Measures::One("session")),
        Metric::Errors => Some(Measures::One("error")),
        Metric::Requests => Some(Measures::One("request")),
        Metric::Actions => Some(Measures::One("action")),
        Metric::RageClicks => Some(Measures::One("rage_click")),
        Metric::DeadClicks => Some(Measures::One("dead_click")),
        Metric::ErrorRate => ratio("page_view", "view_with_error"),
        Metric::PoorVitalShare => ratio("page_view", "view_with_poor_vital"),
        Metric::BounceRate => ratio("session", "bounced_session"),
        Metric::FailedRequestRate => ratio("request", "failed_request"),
        _ => None,
    }
}

impl Measures {
    /// The measures' names: the one, or the denominator and the numerator.
    pub(crate) fn names(self) -> Vec<&'static str> {
        match self {
            Self::One(name) => vec![name],
            Self::Ratio { denominator, numerator } => vec![denominator, numerator],
        }
    }
}

/// Whether the rollups answer `metric` with a ratio of two measures.
fn is_ratio(metric: &Metric) -> bool {
    matches!(measures(metric), Some(Measures::Ratio { .. }))
}

fn column(dimension: &Dimension) -> Option<usize> {
    let name = match dimension {
        Dimension::Route => "route",
        Dimension::Browser => "browser",
        Dimension::DeviceClass => "device_class",
        Dimension::Country => "country",
        Dimension::Release => "release",
        Dimension::Environment => "environment",
        _ => return None,
    };
    ROLLUP_DIMENSIONS.iter().position(|known| *known == name)
}

/// The rollup grouping set that answers the query, when one does.
pub(super) fn grouping(
    metric: &Metric,
    scope: &Scope<'_>,
    bucketing: Option<&Bucketing<'_>>,
    dims: &[Dimension],
    statistics: &[Statistic],
) -> Option<usize> {
    let measures = measures(metric).filter(|_| scope.rollups)?;
    // A session counts once per value of a dimension among its views (a route…): a filter
    // admitting several values would count it once per value it saw.
    let per_session = matches!(metric, Metric::Sessions | Metric::BounceRate);
    if per_session && scope.filters.iter().any(|filter| !matches!(filter.condition, Condition::Eq(_))) {
        return None;
    }
    if scope.range.from.ms().rem_euclid(HOUR_MS) != 0 || scope.range.to.ms().rem_euclid(HOUR_MS) != 0 {
        return None;
    }
    if let Some(bucketing) = bucketing
        && (!bucketing.zone.is_utc() || !matches!(bucketing.size, BucketSize::Hour | BucketSize::Day))
    {
        return None;
    }
    let covered = statistics.iter().all(|statistic| {
        if matches!(measures, Measures::Ratio { .. }) {
            return matches!(statistic, Statistic::Rate | Statistic::Count | Statistic::Sum);
        }
        if metric.vital().is_none() {
            return *statistic == Statistic::Count;
        }
        statistic.quantile().is_some()
            || matches!(
                statistic,
                Statistic::Mean
                    | Statistic::Count
                    | Statistic::Sum
                    | Statistic::Good
                    | Statistic::NeedsImprovement
                    | Statistic::Poor
            )
    });
    if !covered {
        return None;
    }
    let mut needed = Vec::new();
    for dimension in dims.iter().chain(scope.filters.iter().map(|filter| &filter.dimension)) {
        let index = column(dimension)?;
        if !needed.contains(&index) {
            needed.push(index);
        }
    }
    GROUPING_SETS
        .iter()
        .enumerate()
        .filter(|(_, set)| needed.iter().all(|index| set.contains(index)))
        .min_by_key(|(_, set)| set.len())
        .map(|(grouping, _)| grouping)
}

/// The `WITH` list ending in `units(b, g0…, c, k, sv, rg, rn, rp, sk)` over the rollups
/// (for a rate, the denominator's rows and the numerator's read in one scan: `sv` is the
/// numerator's weight).
pub(super) fn units(
    sql: &mut Sql,
    metric: &Metric,
    scope: &Scope<'_>,
    bucketing: Option<&Bucketing<'_>>,
    dims: &[Dimension],
    grouping: usize,
) -> Result<String, QueryError> {
    let measures = measures(metric).expect("a covered metric has its measures");
    let mut columns = Vec::new();
    if let Some(bucketing) = bucketing {
        columns.push(format!("date_trunc('{}', e.\"timestamp\") AS b", bucketing.size.trunc_unit()));
    }
    for (i, dimension) in dims.iter().enumerate() {
        let index = column(dimension).expect("a covered dimension has a column");
        columns.push(format!("e.\"{}\" AS g{i}", ROLLUP_DIMENSIONS[index]));
    }
    let names = match measures {
        Measures::One(name) => {
            columns.extend(PAYLOAD_COLUMNS.map(String::from));
            format!("e.name = '{name}'")
        }
        Measures::Ratio { denominator, numerator } => {
            columns.extend([
                format!("CASE WHEN e.name = '{denominator}' THEN e.\"count\" ELSE 0.0 END AS c"),
                format!("CASE WHEN e.name = '{denominator}' THEN e.samples ELSE CAST(0 AS BIGINT) END AS k"),
                format!("CASE WHEN e.name = '{denominator}' THEN 0.0 ELSE e.\"count\" END AS sv"),
                "CAST(NULL AS DOUBLE) AS rg".into(),
                "CAST(NULL AS DOUBLE) AS rn".into(),
                "CAST(NULL AS DOUBLE) AS rp".into(),
                "CAST(NULL AS BYTEA) AS sk".into(),
            ]);
            format!("e.name IN ('{denominator}', '{numerator}')")
        }
    };
    let hourly_buckets = bucketing.is_some_and(|bucketing| bucketing.size == BucketSize::Hour);
    let rollup = select_rows(sql, scope, &columns, &names, grouping, hourly_buckets);
    Ok(format!("WITH units AS ({rollup})"))
}

/// `SELECT columns FROM` the rollup rows of the scope (project, range and filters) with
/// `names` (a condition on `e.name`) in `grouping`, hourly or (unless `hourly_only`) daily.
fn select_rows(
    sql: &mut Sql,
    scope: &Scope<'_>,
    columns: &[String],
    names: &str,
    grouping: usize,
    hourly_only: bool,
) -> String {
    let (project, from, to) = (sql.text(scope.project), sql.time(scope.range.from.ms()), sql.time(scope.range.to.ms()));
    let groupings = grouping_by_time(sql, grouping, scope.range.from.ms(), scope.range.to.ms(), hourly_only);
    let mut conditions = vec![format!(
        "e.project = {project} AND e.\"timestamp\" >= {from} AND e.\"timestamp\" < {to} AND {names} AND {groupings}"
    )];
    for f in scope.filters {
        conditions.push(format!("({})", filter(sql, f, "vital")));
    }
    format!("SELECT {} FROM \"{ROLLUP_TABLE}\" e WHERE {}", columns.join(", "), conditions.join(" AND "))
}

/// The rows of `grouping` between `from` and `to` (whole hours): each whole UTC day's daily
/// row ([`DAILY_GROUPING`] + `grouping`) and the hourly ones of the hours at either end, or
/// the hourly ones alone when the range holds no whole day or the buckets are hours.
fn grouping_by_time(sql: &mut Sql, grouping: usize, from: i64, to: i64, hourly_only: bool) -> String {
    let (first_day, last_day) =
        (from.div_euclid(DAY_MS) + i64::from(from.rem_euclid(DAY_MS) != 0), to.div_euclid(DAY_MS));
    let hourly = format!("e.\"grouping\" = {grouping}");
    if hourly_only || first_day >= last_day {
        return hourly;
    }
    let (days_from, days_to) = (first_day * DAY_MS, last_day * DAY_MS);
    let daily = grouping + usize::from(DAILY_GROUPING);
    let (days_from, days_to) = (sql.time(days_from), sql.time(days_to));
    format!(
        "((e.\"grouping\" = {daily} AND e.\"timestamp\" >= {days_from} AND e.\"timestamp\" < {days_to}) \
         OR ({hourly} AND (e.\"timestamp\" < {days_from} OR e.\"timestamp\" >= {days_to})))"
    )
}

/// The statement of the rollup rows behind `metric`'s `statistics` grouped by `dims`
/// (columns `g0`…, `c`, `k`, `sv`, `rg`, `rn`, `rp`, `sk`), to be merged by the caller;
/// none when the rollups do not cover them.
pub(crate) fn rows(
    metric: &Metric,
    scope: &Scope<'_>,
    dims: &[Dimension],
    statistics: &[Statistic],
) -> Result<Option<Statement>, QueryError> {
    let Some(grouping) = grouping(metric, scope, None, dims, statistics) else { return Ok(None) };
    let mut sql = Sql::default();
    let with = units(&mut sql, metric, scope, None, dims, grouping)?;
    Ok(Some(Statement { text: format!("{with} SELECT * FROM units"), params: sql.params }))
}

/// The rollup measures that answer `metric`'s `statistics` over the whole scope (a single
/// value, no groups), with the grouping set that holds them; none when the rollups do not.
pub(crate) fn value_measures(
    metric: &Metric,
    scope: &Scope<'_>,
    statistics: &[Statistic],
) -> Option<(usize, Measures)> {
    Some((grouping(metric, scope, None, &[], statistics)?, measures(metric)?))
}

/// The statement of the rollup rows of every measure in `names` in `grouping` over the
/// scope, each row with its measure's name as `g0` (then `c`, `k`, `sv`, `rg`, `rn`, `rp`,
/// `sk`): the single values of several metrics from one scan.
pub(crate) fn measure_rows(scope: &Scope<'_>, grouping: usize, names: &[&str]) -> Statement {
    let mut sql = Sql::default();
    let mut columns = vec!["e.name AS g0".to_owned()];
    columns.extend(PAYLOAD_COLUMNS.map(String::from));
    let quoted: Vec<String> = names.iter().map(|name| format!("'{name}'")).collect();
    let names = format!("e.name IN ({})", quoted.join(", "));
    let text = select_rows(&mut sql, scope, &columns, &names, grouping, false);
    Statement { text, params: sql.params }
}

/// The SQL of one statistic over rollup units.
pub(super) fn statistic(sql: &mut Sql, metric: &Metric, statistic: &Statistic) -> String {
    if is_ratio(metric) {
        return match statistic {
            Statistic::Rate => "sum(sv) / sum(c)".into(),
            Statistic::Sum => "sum(sv)".into(),
            _ => "sum(c)".into(),
        };
    }
    if let Some(q) = statistic.quantile() {
        return format!("{SKETCH_QUANTILE}(sk, {})", sql.float(q));
    }
    match (statistic, statistic.rating()) {
        (_, Some(Rating::Good)) => "sum(rg) / sum(c)".into(),
        (_, Some(Rating::NeedsImprovement)) => "sum(rn) / sum(c)".into(),
        (_, Some(Rating::Poor)) => "sum(rp) / sum(c)".into(),
        (Statistic::Mean, _) => "sum(sv) / sum(c)".into(),
        (Statistic::Sum, _) => "sum(sv)".into(),
        _ => "sum(c)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_the_stores() {
        assert_eq!(ROLLUP_TABLE, sightline_store::ROLLUP_TABLE);
        assert_eq!(SKETCH_QUANTILE, sightline_store::SKETCH_QUANTILE);
        assert_eq!(ROLLUP_DIMENSIONS, sightline_store::ROLLUP_DIMENSIONS);
        assert_eq!(GROUPING_SETS, sightline_store::GROUPING_SETS);
        assert_eq!(DAILY_GROUPING, sightline_store::DAILY_GROUPING);
        let metrics: Vec<Metric> = serde_json::from_str(
            r#"["lcp", "inp", "cls", "fcp", "ttfb", "page_views", "sessions", "errors", "requests", "actions",
               "rage_clicks", "dead_clicks", "error_rate", "poor_vital_share", "bounce_rate", "failed_request_rate"]"#,
        )
        .expect("metrics");
        for metric in metrics {
            for name in measures(&metric).expect("the rollups hold it").names() {
                assert!(sightline_store::ROLLUP_MEASURES.contains(&name), "{metric:?}: {name}");
            }
        }
    }
}
