//! Answering from the store's rollups (`sightline_store::ROLLUP_TABLE`) when they cover a
//! query: per hour, vital (or page views) and a few dimension sets, the page views' counts,
//! sums, ratings and a quantile sketch. Covered: the five vitals (quantiles, mean, count,
//! sum, ratings, and the distribution), `page_views` (count) and `error_rate` (the page
//! views' rows over the views with an error's, [`VIEW_WITH_ERROR`]); a range on whole UTC hours; no buckets, or hour
//! or day buckets in UTC; filters and groups on the dimensions of one of the rollup's sets
//! (route, browser, device class, country, release, environment, and the pairs the store
//! keeps). Everything else reads the events. Quantiles from sketches are within 0.5 %
//! (relative) of the exact ones; counts, sums, means and rating shares are exact but for a
//! view whose reports landed in two data files, which the rollups count twice.
//!
//! The statement has the same output columns as the exact one ([`super::aggregate`]), so
//! everything after it is shared: `units` has one row per rollup row, `c` (weight), `k`
//! (units), `sv` (Σ weight · value), `rg`, `rn`, `rp` (weights per rating) and `sk` (sketch).
//! A breakdown and a distribution read the rows themselves ([`rows`]) and merge them in Rust
//! (`run/rollups.rs`).

use super::sql::Sql;
use super::units::{Scope, filter};
use super::{Bucketing, Statement};
use crate::QueryError;
use crate::model::{BucketSize, Dimension, Metric, Rating, Statistic};

const HOUR_MS: i64 = 3_600_000;

// The store's rollup layout (`sightline_store::{ROLLUP_TABLE, …}`), repeated here so that the
// query crate plans onto any session without depending on the store; a test checks they agree.
/// The rollups' table.
pub(crate) const ROLLUP_TABLE: &str = "rollup";
/// The sketch-merging quantile aggregate.
const SKETCH_QUANTILE: &str = "sightline_sketch_quantile";
/// The `name` of page-view rows.
const PAGE_VIEW: &str = "page_view";
/// The `name` of the rows of views with an error (the `error` files' rollups): each view with
/// an error counted once per data file, at its final error's hour, grouped and filtered by
/// that error's page context (the same route, browser, release… as its view's).
const VIEW_WITH_ERROR: &str = "view_with_error";
/// The dimension columns.
const ROLLUP_DIMENSIONS: [&str; 6] = ["route", "browser", "device_class", "country", "release", "environment"];
/// The dimension sets kept, by `grouping`.
const GROUPING_SETS: [&[usize]; 12] =
    [&[], &[0], &[1], &[2], &[3], &[4], &[5], &[0, 1], &[0, 2], &[0, 4], &[3, 2], &[1, 2]];

/// The payload columns of rollup units.
const PAYLOAD: [&str; 7] = ["c", "k", "sv", "rg", "rn", "rp", "sk"];
/// The payload columns of the error rate's units: `ew` is the weight of the views with an
/// error (the [`VIEW_WITH_ERROR`] rows; `c` and `k` the page views').
const ERROR_RATE_PAYLOAD: [&str; 3] = ["c", "k", "ew"];

/// The payload columns of `metric`'s rollup units.
pub(super) fn payload(metric: &Metric) -> &'static [&'static str] {
    if *metric == Metric::ErrorRate { &ERROR_RATE_PAYLOAD } else { &PAYLOAD }
}

/// The rollup's name of a metric.
fn measure(metric: &Metric) -> Option<&'static str> {
    match metric {
        Metric::Lcp => Some("lcp"),
        Metric::Inp => Some("inp"),
        Metric::Cls => Some("cls"),
        Metric::Fcp => Some("fcp"),
        Metric::Ttfb => Some("ttfb"),
        Metric::PageViews | Metric::ErrorRate => Some(PAGE_VIEW),
        _ => None,
    }
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
    if !scope.rollups || measure(metric).is_none() {
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
        if *metric == Metric::ErrorRate {
            return matches!(statistic, Statistic::Rate | Statistic::Count | Statistic::Sum);
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
/// (for the error rate `units(b, g0…, c, k, ew)`: the page views' rows and the views with an
/// error's, read in one scan).
pub(super) fn units(
    sql: &mut Sql,
    metric: &Metric,
    scope: &Scope<'_>,
    bucketing: Option<&Bucketing<'_>>,
    dims: &[Dimension],
    grouping: usize,
) -> Result<String, QueryError> {
    let name = measure(metric).expect("a covered metric has a measure");
    let (project, from, to) = (sql.text(scope.project), sql.time(scope.range.from.ms()), sql.time(scope.range.to.ms()));
    let mut columns = Vec::new();
    if let Some(bucketing) = bucketing {
        columns.push(format!("date_trunc('{}', e.\"timestamp\") AS b", bucketing.size.trunc_unit()));
    }
    for (i, dimension) in dims.iter().enumerate() {
        let index = column(dimension).expect("a covered dimension has a column");
        columns.push(format!("e.\"{}\" AS g{i}", ROLLUP_DIMENSIONS[index]));
    }
    let payload: Vec<String> = if *metric == Metric::ErrorRate {
        vec![
            format!("CASE WHEN e.name = '{PAGE_VIEW}' THEN e.\"count\" ELSE 0.0 END AS c"),
            format!("CASE WHEN e.name = '{PAGE_VIEW}' THEN e.samples ELSE CAST(0 AS BIGINT) END AS k"),
            format!("CASE WHEN e.name = '{PAGE_VIEW}' THEN 0.0 ELSE e.\"count\" END AS ew"),
        ]
    } else {
        [
            "e.\"count\" AS c",
            "e.samples AS k",
            "e.\"sum\" AS sv",
            "e.good AS rg",
            "e.needs_improvement AS rn",
            "e.poor AS rp",
            "e.sketch AS sk",
        ]
        .map(String::from)
        .to_vec()
    };
    columns.extend(payload);
    let names = if *metric == Metric::ErrorRate {
        format!("e.name IN ('{name}', '{VIEW_WITH_ERROR}')")
    } else {
        format!("e.name = '{name}'")
    };
    let mut conditions = vec![format!(
        "e.project = {project} AND e.\"timestamp\" >= {from} AND e.\"timestamp\" < {to} AND {names} \
         AND e.\"grouping\" = {grouping}"
    )];
    for f in scope.filters {
        conditions.push(format!("({})", filter(sql, f, "vital")));
    }
    let rollup = format!("SELECT {} FROM \"{ROLLUP_TABLE}\" e WHERE {}", columns.join(", "), conditions.join(" AND "));
    Ok(format!("WITH units AS ({rollup})"))
}

/// The statement of the rollup rows behind `metric`'s `statistics` grouped by `dims`
/// (columns `g0`…, `c`, `k`, `sv`, `rg`, `rn`, `rp`, `sk`), to be merged by the caller;
/// none when the rollups do not cover them (or for the error rate, which they answer in SQL).
pub(crate) fn rows(
    metric: &Metric,
    scope: &Scope<'_>,
    dims: &[Dimension],
    statistics: &[Statistic],
) -> Result<Option<Statement>, QueryError> {
    if *metric == Metric::ErrorRate {
        return Ok(None);
    }
    let Some(grouping) = grouping(metric, scope, None, dims, statistics) else { return Ok(None) };
    let mut sql = Sql::default();
    let with = units(&mut sql, metric, scope, None, dims, grouping)?;
    Ok(Some(Statement { text: format!("{with} SELECT * FROM units"), params: sql.params }))
}

/// The SQL of one statistic over rollup units.
pub(super) fn statistic(sql: &mut Sql, metric: &Metric, statistic: &Statistic) -> String {
    if *metric == Metric::ErrorRate {
        return match statistic {
            Statistic::Rate => "sum(ew) / sum(c)".into(),
            Statistic::Sum => "sum(ew)".into(),
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
        assert_eq!(PAGE_VIEW, sightline_store::PAGE_VIEW);
        assert_eq!(VIEW_WITH_ERROR, sightline_store::VIEW_WITH_ERROR);
        assert_eq!(ROLLUP_DIMENSIONS, sightline_store::ROLLUP_DIMENSIONS);
        assert_eq!(GROUPING_SETS, sightline_store::GROUPING_SETS);
    }
}
