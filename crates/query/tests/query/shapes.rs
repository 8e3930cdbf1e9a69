//! Breakdowns, time series, filters and distributions against the reference.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use sightline_query::{
    BreakdownQuery, BucketSize, Condition, Dimension, DistributionQuery, Filter, Metric, Order, Query, QueryResult,
    Statistic, TimeSeriesQuery, TimeZone, histogram_buckets,
};

use super::data::{BASE_MS, DAY_MS, HOUR_MS};
use super::oracle::{Unit, close};
use super::{Fixture, all_days, expected, fixture, range};

type Group = Vec<Option<String>>;

/// An expected series: its group, whether it is `(other)`, its units per bucket start.
type ExpectedSeries = (Option<Option<String>>, bool, BTreeMap<i64, Vec<Unit>>);

fn by_group(units: Vec<Unit>) -> BTreeMap<Group, Vec<Unit>> {
    let mut groups: BTreeMap<Group, Vec<Unit>> = BTreeMap::new();
    for unit in units {
        groups.entry(unit.group.clone()).or_default().push(unit);
    }
    groups
}

fn order(a: Option<f64>, b: Option<f64>, descending: bool) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) if descending => b.total_cmp(&a),
        (Some(a), Some(b)) => a.total_cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

async fn check_breakdown(fixture: &Fixture, query: BreakdownQuery) {
    let QueryResult::Breakdown(result) = fixture.run(Query::Breakdown(query.clone())).await else { panic!() };
    let units = fixture.oracle(query.range, &query.filters).units(&query.metric, &query.group_by);
    let groups = by_group(units);
    let sort = query.sort_by.unwrap_or(Statistic::Count);
    let figure = |units: &[Unit], statistic: &Statistic| expected(&query.metric, statistic, units, |u| u.group.clone());
    let mut rows: Vec<(&Group, Option<f64>)> =
        groups.iter().map(|(group, units)| (group, figure(units, &sort))).collect();
    rows.sort_by(|a, b| order(a.1, b.1, query.order == Order::Desc).then_with(|| a.0.cmp(b.0)));

    assert_eq!(result.groups, rows.len() as u64, "{query:?}");
    let shown = rows.len().min(query.limit);
    let other = rows.len() > query.limit;
    assert_eq!(result.rows.len(), shown + usize::from(other), "{query:?}");
    for ((group, _), row) in rows.iter().take(shown).zip(&result.rows) {
        assert_eq!(&row.group, *group, "{query:?}: rows out of order");
        assert!(!row.other);
        let units = &groups[*group];
        for (statistic, actual) in query.statistics.iter().zip(&row.values) {
            let expected = figure(units, statistic);
            assert!(close(*actual, expected), "{query:?} {group:?} {statistic:?}: {actual:?}, expected {expected:?}");
        }
        assert!(close(Some(row.count), figure(units, &Statistic::Count)), "{query:?} {group:?} count");
    }
    if other {
        let rest: Vec<Unit> = rows[shown..].iter().flat_map(|(group, _)| groups[*group].iter().cloned()).collect();
        let row = result.rows.last().expect("the other row");
        assert!(row.other && row.group.iter().all(Option::is_none));
        for (statistic, actual) in query.statistics.iter().zip(&row.values) {
            let expected = figure(&rest, statistic);
            assert!(close(*actual, expected), "{query:?} (other) {statistic:?}: {actual:?}, expected {expected:?}");
        }
    }
}

#[tokio::test]
async fn breakdowns_match_with_top_n_and_other() {
    let fixture = fixture().await;
    let base = |metric: Metric, statistics: Vec<Statistic>, group_by: Vec<Dimension>| BreakdownQuery {
        range: all_days(),
        filters: Vec::new(),
        metric,
        statistics,
        group_by,
        sort_by: None,
        order: Order::Desc,
        limit: 10,
    };
    use Statistic::*;
    let queries = [
        BreakdownQuery { limit: 3, ..base(Metric::Lcp, vec![P75, Poor, Count], vec![Dimension::Country]) },
        BreakdownQuery {
            sort_by: Some(P75),
            order: Order::Asc,
            limit: 4,
            ..base(Metric::Lcp, vec![P75, P95, Good], vec![Dimension::Browser, Dimension::DeviceClass])
        },
        base(Metric::Inp, vec![P75, Mean], vec![Dimension::NavigationType]),
        base(Metric::Inp, vec![P75, Count], vec![Dimension::EffectiveType]),
        BreakdownQuery {
            limit: 2,
            ..base(Metric::ErrorRate, vec![Rate, Sum], vec![Dimension::UserAttribute("plan".into())])
        },
        BreakdownQuery { limit: 2, ..base(Metric::Sessions, vec![Count], vec![Dimension::Country]) },
        base(Metric::FailedRequestRate, vec![Rate], vec![Dimension::Release, Dimension::Attribute("beta".into())]),
        BreakdownQuery {
            sort_by: Some(P90),
            limit: 3,
            ..base(Metric::RequestDuration, vec![P90], vec![Dimension::Route])
        },
        base(Metric::Errors, vec![Count], vec![Dimension::UserAttribute("seats".into())]),
        BreakdownQuery { limit: 3, ..base(Metric::BounceRate, vec![Rate, Count], vec![Dimension::Route]) },
        base(Metric::SessionErrorRate, vec![Rate, Sum], vec![Dimension::Release]),
    ];
    for query in queries {
        check_breakdown(&fixture, query).await;
    }
}

/// The start of the bucket of `ms` in a zone `offset_ms` ahead of UTC (fixed: the data has
/// no daylight-saving change).
fn bucket_start(ms: i64, size: i64, offset_ms: i64) -> i64 {
    (ms + offset_ms).div_euclid(size) * size - offset_ms
}

async fn check_series(fixture: &Fixture, query: TimeSeriesQuery, offset_ms: i64) {
    let QueryResult::TimeSeries(result) = fixture.run(Query::TimeSeries(query.clone())).await else { panic!() };
    let dims: Vec<Dimension> = query.group_by.iter().cloned().collect();
    let units = fixture.oracle(query.range, &query.filters).units(&query.metric, &dims);
    let size = query.bucket.ms();

    // Groups ranked by count over the whole range; past the limit, the rest is `(other)`.
    let groups = by_group(units.clone());
    let mut ranked: Vec<(&Group, Option<f64>)> = groups
        .iter()
        .map(|(group, units)| (group, expected(&query.metric, &Statistic::Count, units, |u| u.group.clone())))
        .collect();
    ranked.sort_by(|a, b| order(a.1, b.1, true).then_with(|| a.0.cmp(b.0)));
    let top: Vec<&Group> = ranked.iter().take(query.limit).map(|(group, _)| *group).collect();
    let folded = ranked.len() > query.limit;

    let mut expected_series: Vec<ExpectedSeries> = Vec::new();
    if dims.is_empty() {
        expected_series.push((None, false, BTreeMap::new()));
    } else {
        for group in &top {
            expected_series.push((Some(group[0].clone()), false, BTreeMap::new()));
        }
        if folded {
            expected_series.push((None, true, BTreeMap::new()));
        }
    }
    for unit in units {
        let index = if dims.is_empty() {
            0
        } else {
            top.iter().position(|group| **group == unit.group).unwrap_or(expected_series.len() - 1)
        };
        let bucket = bucket_start(unit.time_ms, size, offset_ms);
        expected_series[index].2.entry(bucket).or_default().push(unit);
    }
    expected_series.retain(|(_, _, points)| !points.is_empty());

    assert_eq!(result.series.len(), expected_series.len(), "{query:?}");
    for (series, (group, other, points)) in result.series.iter().zip(&expected_series) {
        assert_eq!((&series.group, series.other), (group, *other), "{query:?}");
        let times: Vec<i64> = series.points.iter().map(|p| p.time.ms()).collect();
        assert_eq!(times, points.keys().copied().collect::<Vec<_>>(), "{query:?} {group:?}: buckets");
        for (point, units) in series.points.iter().zip(points.values()) {
            let key = |u: &Unit| {
                vec![Some(bucket_start(u.time_ms, size, offset_ms).to_string()), u.group.first().cloned().flatten()]
            };
            for (statistic, actual) in query.statistics.iter().zip(&point.values) {
                let expected = expected(&query.metric, statistic, units, key);
                assert!(
                    close(*actual, expected),
                    "{query:?} {group:?} {}: {statistic:?} {actual:?}, expected {expected:?}",
                    point.time
                );
            }
        }
    }
}

#[tokio::test]
async fn time_series_match_per_bucket_and_group() {
    let fixture = fixture().await;
    let base = |metric: Metric, statistics: Vec<Statistic>, bucket: BucketSize, zone: &str| TimeSeriesQuery {
        range: all_days(),
        filters: Vec::new(),
        metric,
        statistics,
        bucket,
        time_zone: TimeZone(zone.into()),
        group_by: None,
        limit: 10,
    };
    use Statistic::*;
    let cases = [
        (base(Metric::Lcp, vec![P75, Count, Poor], BucketSize::Hour, "UTC"), 0),
        (base(Metric::PageViews, vec![Count], BucketSize::Day, "+05:30"), 19_800_000),
        (
            TimeSeriesQuery {
                group_by: Some(Dimension::Release),
                limit: 2,
                ..base(Metric::Inp, vec![P90, Mean], BucketSize::Day, "America/New_York")
            },
            -5 * HOUR_MS,
        ),
        (
            TimeSeriesQuery {
                group_by: Some(Dimension::DeviceClass),
                ..base(Metric::Sessions, vec![Count], BucketSize::Day, "UTC")
            },
            0,
        ),
        (
            TimeSeriesQuery {
                group_by: Some(Dimension::Country),
                limit: 3,
                ..base(Metric::SessionErrorRate, vec![Rate, Count], BucketSize::Hour, "-03:00")
            },
            -3 * HOUR_MS,
        ),
        (base(Metric::BounceRate, vec![Rate], BucketSize::Day, "UTC"), 0),
        (
            TimeSeriesQuery {
                range: range(BASE_MS + 10 * HOUR_MS, BASE_MS + 12 * HOUR_MS),
                ..base(Metric::Requests, vec![Count], BucketSize::Minute, "UTC")
            },
            0,
        ),
    ];
    for (query, offset) in cases {
        check_series(&fixture, query, offset).await;
    }
}

#[tokio::test]
async fn filters_match_on_every_kind_of_dimension() {
    let fixture = fixture().await;
    let filter = |dimension: Dimension, condition: Condition| Filter { dimension, condition };
    let cases = [
        vec![filter(Dimension::Country, Condition::Eq("NG".into()))],
        vec![filter(Dimension::Country, Condition::Ne("US".into()))],
        vec![filter(Dimension::Country, Condition::NotIn(vec!["US".into(), "DE".into()]))],
        vec![filter(Dimension::Route, Condition::Prefix("/products".into()))],
        vec![filter(Dimension::Route, Condition::Eq("/it's-new".into()))],
        vec![
            filter(Dimension::Region, Condition::Eq("CA".into())),
            filter(Dimension::Browser, Condition::Ne("Chrome".into())),
        ],
        vec![
            filter(Dimension::Browser, Condition::Ne("Chrome".into())),
            filter(Dimension::Region, Condition::Ne("CA".into())),
        ],
        vec![filter(Dimension::UserAttribute("plan".into()), Condition::In(vec!["pro".into(), "team".into()]))],
        vec![filter(Dimension::UserAttribute("seats".into()), Condition::Eq("3.0".into()))],
        vec![filter(Dimension::Attribute("beta".into()), Condition::Eq("true".into()))],
        vec![filter(Dimension::NavigationType, Condition::Eq("route_change".into()))],
        vec![
            filter(Dimension::EffectiveType, Condition::In(vec!["3g".into(), "2g".into()])),
            filter(Dimension::OsVersion, Condition::Eq("14".into())),
        ],
        vec![
            filter(Dimension::ReferrerHost, Condition::Eq("www.google.com".into())),
            filter(Dimension::ConnectionType, Condition::Eq("wifi".into())),
        ],
        vec![filter(Dimension::Path, Condition::Eq("' OR 1=1 --".into()))],
    ];
    let metrics = [
        (Metric::Inp, vec![Statistic::P75, Statistic::Count]),
        (Metric::RequestDuration, vec![Statistic::P50]),
        (Metric::PageViews, vec![Statistic::Count]),
        (Metric::Errors, vec![Statistic::Count]),
    ];
    for filters in &cases {
        for (metric, statistics) in &metrics {
            let units = fixture.oracle(all_days(), filters).units(metric, &[]);
            let actual = fixture.values(all_days(), filters, metric, statistics).await;
            for (statistic, actual) in statistics.iter().zip(actual) {
                let expected = expected(metric, statistic, &units, |_| Vec::new());
                assert!(
                    close(actual, expected),
                    "{metric:?} {statistic:?} with {filters:?}: {actual:?}, expected {expected:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn distributions_match_over_the_fixed_buckets() {
    let fixture = fixture().await;
    let range = range(BASE_MS, BASE_MS + 2 * DAY_MS);
    for metric in [Metric::Lcp, Metric::Cls, Metric::Inp, Metric::RequestDuration, Metric::Custom("purchase".into())] {
        let query = DistributionQuery { range, filters: Vec::new(), metric: metric.clone() };
        let QueryResult::Distribution(result) = fixture.run(Query::Distribution(query)).await else { panic!() };
        let spec = histogram_buckets(&metric);
        let regular = spec.buckets;
        assert_eq!(result.buckets.len(), regular as usize + 1);
        // Bucket i holds (i·width, (i+1)·width] at the stored precision: integer arithmetic.
        let scale = spec.scale.round() as i64;
        let width = (spec.width * spec.scale).round() as i64;
        let mut expected = vec![(0.0, 0u64); regular as usize + 1];
        for unit in fixture.oracle(range, &[]).units(&metric, &[]) {
            let units = (unit.v * scale as f64).round() as i64;
            let index = ((units + width - 1).div_euclid(width) - 1).clamp(0, i64::from(regular)) as usize;
            expected[index].0 += unit.w;
            expected[index].1 += 1;
            if let (Some(vital), Some(rating)) = (metric.vital(), result.buckets[index].rating) {
                assert_eq!(
                    sightline_query::Rating::of(vital, unit.v),
                    rating,
                    "{metric:?} {} in bucket {index}",
                    unit.v
                );
            }
        }
        let actual: Vec<(f64, u64)> = result.buckets.iter().map(|b| (b.count, b.samples)).collect();
        assert_eq!(actual, expected, "{metric:?}");
        assert!(
            expected.iter().filter(|(count, _)| *count > 0.0).count() > 5,
            "{metric:?}: too few buckets filled to test"
        );
    }
}
