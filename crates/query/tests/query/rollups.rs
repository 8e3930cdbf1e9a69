//! The rollup path (`sightline_store::rollup_session_context`): the statistics the rollups
//! cover, against the reference — quantiles within 1 % (relative) of the exact ones, the
//! other figures equal up to the views whose reports landed in two files (none here: the
//! store is flushed once) — and the queries they do not cover still exact.

use std::sync::Arc;

use sightline_query::{
    BreakdownQuery, BucketSize, Condition, Dimension, DistributionQuery, Filter, Metric, Order, Query, QueryResult,
    Statistic, TimeSeriesQuery, TimeZone,
};
use sightline_store::{EmbeddedStore, EmbeddedStoreOptions, Store as _, rollup_session_context};

use super::data::{self, BASE_MS, DAY_MS, HOUR_MS};
use super::oracle::{Unit, close};
use super::{Fixture, SESSIONS, all_days, expected, range, statistics_of};

/// The population in one flush (one file per kind and day), read with the rollups.
async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let records = data::records(7, SESSIONS);
    let (store, _) = EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("the store opens");
    let store = Arc::new(store);
    for chunk in records.chunks(2_000) {
        store.append(chunk.to_vec()).await.expect("appends");
    }
    store.flush().await.expect("flushes");
    let context = rollup_session_context(&store).expect("the tables register");
    Fixture { _dir: dir, _store: store, records, context }
}

/// Whether `actual` is what the rollups promise for `statistic`: a quantile within 1 %,
/// anything else within rounding.
fn within(statistic: &Statistic, actual: Option<f64>, expected: Option<f64>) -> bool {
    match (actual, expected) {
        (Some(actual), Some(expected)) if statistic.quantile().is_some() => {
            (actual - expected).abs() <= 0.01 * expected.abs()
        }
        _ => close(actual, expected) || matches!((actual, expected), (Some(a), Some(b)) if (a - b).abs() <= 1e-9),
    }
}

const VITALS: [Metric; 5] = [Metric::Lcp, Metric::Inp, Metric::Cls, Metric::Fcp, Metric::Ttfb];

#[tokio::test]
async fn vitals_from_the_rollups_are_within_one_percent() {
    let fixture = fixture().await;
    let filter = |dimension: Dimension, condition: Condition| Filter { dimension, condition };
    let filter_sets = [
        vec![],
        vec![filter(Dimension::Country, Condition::In(vec!["US".into(), "DE".into()]))],
        vec![filter(Dimension::Release, Condition::Eq("2.4.1".into()))],
        vec![filter(Dimension::Route, Condition::Prefix("/products".into()))],
    ];
    let ranges = [all_days(), range(BASE_MS + DAY_MS, BASE_MS + DAY_MS + 5 * HOUR_MS)];
    let (mut checked, mut approximate) = (0, 0);
    for metric in VITALS.iter().chain([&Metric::PageViews]) {
        let statistics = statistics_of(metric);
        for range in ranges {
            for filters in &filter_sets {
                let values = fixture.values(range, filters, metric, &statistics).await;
                let units: Vec<Unit> = fixture.oracle(range, filters).units(metric, &[]);
                for (statistic, actual) in statistics.iter().zip(values) {
                    let expected = expected(metric, statistic, &units, |_| Vec::new());
                    let expected = match statistic {
                        Statistic::Count | Statistic::Sum => expected.or(Some(0.0)),
                        _ => expected,
                    };
                    assert!(
                        within(statistic, actual, expected),
                        "{metric:?} {statistic:?} {filters:?}: {actual:?}, exact {expected:?}"
                    );
                    checked += 1;
                    approximate += usize::from(!close(actual, expected));
                }
            }
        }
    }
    assert!(checked > 300, "{checked} figures checked");
    assert!(approximate > 0, "the quantiles come from sketches (none differed from the exact ones)");
}

#[tokio::test]
async fn grouped_and_bucketed_vitals_from_the_rollups_are_within_one_percent() {
    let fixture = fixture().await;
    for metric in VITALS {
        let query = BreakdownQuery {
            range: all_days(),
            filters: Vec::new(),
            metric: metric.clone(),
            statistics: vec![Statistic::P75, Statistic::Poor],
            group_by: vec![Dimension::Route, Dimension::Browser],
            sort_by: None,
            order: Order::Desc,
            limit: 100,
        };
        let QueryResult::Breakdown(result) = fixture.run(Query::Breakdown(query.clone())).await else { panic!() };
        let units = fixture.oracle(query.range, &[]).units(&metric, &query.group_by);
        assert!(!result.rows.is_empty());
        for row in &result.rows {
            let group: Vec<Unit> = units.iter().filter(|unit| unit.group == row.group).cloned().collect();
            for (statistic, actual) in query.statistics.iter().zip(&row.values) {
                let expected = expected(&metric, statistic, &group, |_| Vec::new());
                assert!(within(statistic, *actual, expected), "{metric:?} {:?} {statistic:?}", row.group);
            }
        }

        let query = TimeSeriesQuery {
            range: all_days(),
            filters: Vec::new(),
            metric: metric.clone(),
            statistics: vec![Statistic::P75, Statistic::Mean],
            bucket: BucketSize::Hour,
            time_zone: TimeZone::default(),
            group_by: None,
            limit: 10,
        };
        let QueryResult::TimeSeries(result) = fixture.run(Query::TimeSeries(query.clone())).await else { panic!() };
        let units = fixture.oracle(query.range, &[]).units(&metric, &[]);
        for point in &result.series[0].points {
            let start = point.time.ms();
            let bucket: Vec<Unit> =
                units.iter().filter(|unit| unit.time_ms >= start && unit.time_ms < start + HOUR_MS).cloned().collect();
            for (statistic, actual) in query.statistics.iter().zip(&point.values) {
                let expected = expected(&metric, statistic, &bucket, |_| Vec::new());
                assert!(within(statistic, *actual, expected), "{metric:?} {start} {statistic:?}");
            }
        }
    }
}

#[tokio::test]
async fn what_the_rollups_do_not_cover_stays_exact() {
    let fixture = fixture().await;
    let os = vec![Filter { dimension: Dimension::Os, condition: Condition::Eq("Android".into()) }];
    let off_hour = range(BASE_MS + 90_000, BASE_MS + DAY_MS);
    for (range, filters) in [(all_days(), os.clone()), (off_hour, Vec::new())] {
        let values = fixture.values(range, &filters, &Metric::Lcp, &[Statistic::P75, Statistic::P99]).await;
        let units = fixture.oracle(range, &filters).units(&Metric::Lcp, &[]);
        for (statistic, actual) in [Statistic::P75, Statistic::P99].iter().zip(values) {
            let expected = expected(&Metric::Lcp, statistic, &units, |_| Vec::new());
            assert!(close(actual, expected), "{filters:?} {statistic:?}: {actual:?} exact {expected:?}");
        }
    }
}

#[tokio::test]
async fn the_error_rate_from_the_rollups_matches_the_reference() {
    let fixture = fixture().await;
    let release = vec![Filter { dimension: Dimension::Release, condition: Condition::Eq("2.4.1".into()) }];
    let statistics = [Statistic::Rate, Statistic::Count, Statistic::Sum];
    for filters in [Vec::new(), release] {
        let values = fixture.values(all_days(), &filters, &Metric::ErrorRate, &statistics).await;
        let units = fixture.oracle(all_days(), &filters).units(&Metric::ErrorRate, &[]);
        for (statistic, actual) in statistics.iter().zip(values) {
            let expected = expected(&Metric::ErrorRate, statistic, &units, |_| Vec::new());
            assert!(within(statistic, actual, expected), "{filters:?} {statistic:?}: {actual:?}, exact {expected:?}");
        }
    }
    // By route, and per hour: the same figures per group and bucket.
    let query = BreakdownQuery {
        range: all_days(),
        filters: Vec::new(),
        metric: Metric::ErrorRate,
        statistics: vec![Statistic::Rate],
        group_by: vec![Dimension::Route],
        sort_by: None,
        order: Order::Desc,
        limit: 100,
    };
    let QueryResult::Breakdown(result) = fixture.run(Query::Breakdown(query.clone())).await else { panic!() };
    let units = fixture.oracle(query.range, &[]).units(&Metric::ErrorRate, &query.group_by);
    assert!(result.rows.len() > 2);
    for row in &result.rows {
        let group: Vec<Unit> = units.iter().filter(|unit| unit.group == row.group).cloned().collect();
        let expected = expected(&Metric::ErrorRate, &Statistic::Rate, &group, |_| Vec::new());
        assert!(within(&Statistic::Rate, row.values[0], expected), "{:?}: {:?} vs {expected:?}", row.group, row.values);
    }
}

#[tokio::test]
async fn the_error_rate_per_day_matches_the_reference_with_and_without_the_error_rollups() {
    let fixture = fixture().await;
    let query = TimeSeriesQuery {
        range: all_days(),
        filters: Vec::new(),
        metric: Metric::ErrorRate,
        statistics: vec![Statistic::Rate, Statistic::Sum],
        bucket: BucketSize::Day,
        time_zone: TimeZone::default(),
        group_by: None,
        limit: 10,
    };
    let units = fixture.oracle(query.range, &[]).units(&Metric::ErrorRate, &[]);
    let check = |result: QueryResult| {
        let QueryResult::TimeSeries(result) = result else { panic!("a time series") };
        assert_eq!(result.series[0].points.len(), 3);
        for point in &result.series[0].points {
            let start = point.time.ms();
            let bucket: Vec<Unit> =
                units.iter().filter(|unit| unit.time_ms >= start && unit.time_ms < start + DAY_MS).cloned().collect();
            for (statistic, actual) in query.statistics.iter().zip(&point.values) {
                let expected = expected(&Metric::ErrorRate, statistic, &bucket, |_| Vec::new());
                assert!(within(statistic, *actual, expected), "{start} {statistic:?}: {actual:?}, exact {expected:?}");
            }
        }
    };
    check(fixture.run(Query::TimeSeries(query.clone())).await);
    // A store written before the `error` files had rollups: theirs are computed from the files.
    let rollups = fixture._store.dir().join("rollups/v3/error");
    assert!(rollups.is_dir(), "the flush wrote the error files' rollups in {}", rollups.display());
    std::fs::remove_dir_all(&rollups).expect("removes the error rollups");
    check(fixture.run(Query::TimeSeries(query.clone())).await);
    let values = fixture.values(all_days(), &[], &Metric::ErrorRate, &[Statistic::Rate]).await;
    let expected = expected(&Metric::ErrorRate, &Statistic::Rate, &units, |_| Vec::new());
    assert!(within(&Statistic::Rate, values[0], expected), "{values:?}, exact {expected:?}");
}

#[tokio::test]
async fn a_breakdown_from_the_rollups_folds_the_other_groups_sketches() {
    let fixture = fixture().await;
    let query = BreakdownQuery {
        range: all_days(),
        filters: Vec::new(),
        metric: Metric::Inp,
        statistics: vec![Statistic::P75, Statistic::Mean, Statistic::Good],
        group_by: vec![Dimension::Route, Dimension::Browser],
        sort_by: Some(Statistic::P75),
        order: Order::Desc,
        limit: 3,
    };
    let QueryResult::Breakdown(result) = fixture.run(Query::Breakdown(query.clone())).await else { panic!() };
    let units = fixture.oracle(query.range, &[]).units(&Metric::Inp, &query.group_by);
    let mut distinct: Vec<&Vec<Option<String>>> = units.iter().map(|unit| &unit.group).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(result.groups, distinct.len() as u64);
    assert_eq!(result.rows.len(), 4, "three groups and (other)");
    let kept: Vec<&Vec<Option<String>>> = result.rows[..3].iter().map(|row| &row.group).collect();
    let p75s: Vec<f64> = result.rows[..3].iter().map(|row| row.values[0].expect("a p75")).collect();
    assert!(p75s.windows(2).all(|pair| pair[0] >= pair[1]), "sorted by p75: {p75s:?}");
    for row in &result.rows {
        let group: Vec<Unit> = units
            .iter()
            .filter(|unit| if row.other { !kept.contains(&&unit.group) } else { unit.group == row.group })
            .cloned()
            .collect();
        for (statistic, actual) in query.statistics.iter().zip(&row.values) {
            let expected = expected(&Metric::Inp, statistic, &group, |_| Vec::new());
            assert!(within(statistic, *actual, expected), "{:?} {statistic:?}: {actual:?} vs {expected:?}", row.group);
        }
        assert_eq!(row.samples, group.len() as u64, "{:?}", row.group);
    }
}

#[tokio::test]
async fn a_distribution_from_the_rollups_places_each_view_within_the_sketch_accuracy() {
    let fixture = fixture().await;
    for metric in VITALS {
        let query = DistributionQuery { range: all_days(), filters: Vec::new(), metric: metric.clone() };
        let QueryResult::Distribution(result) = fixture.run(Query::Distribution(query)).await else { panic!() };
        let units = fixture.oracle(all_days(), &[]).units(&metric, &[]);
        let total: f64 = units.iter().map(|unit| unit.w).sum();
        assert!((result.count - total).abs() <= 1e-9 * total, "{metric:?}: {} vs {total}", result.count);
        assert_eq!(result.samples, units.len() as u64);
        // Up to each edge, the histogram holds at least the units a little below it and at
        // most those a little above it (each log bucket goes to the bucket of its value).
        let spec = sightline_query::histogram_buckets(&metric);
        let mut cumulative = 0.0;
        for (i, bucket) in result.buckets.iter().enumerate().take(result.buckets.len() - 1) {
            cumulative += bucket.count;
            let edge = spec.edge(i as u32 + 1);
            let below = |limit: f64| units.iter().filter(|unit| unit.v <= limit).map(|unit| unit.w).sum::<f64>();
            let (low, high) = (below(edge * (1.0 - 0.0101)), below(edge * (1.0 + 0.0101)));
            assert!(
                cumulative >= low - 1e-9 && cumulative <= high + 1e-9,
                "{metric:?} up to {edge}: {cumulative} not in [{low}, {high}]"
            );
        }
    }
}

/// The counts and rates the rollups hold beside the vitals: sessions and bounces from the
/// `view` files, errors, requests and failures, actions, rage and dead clicks, and the
/// views with a poor vital.
const COUNTS_AND_RATES: [Metric; 9] = [
    Metric::Sessions,
    Metric::Errors,
    Metric::Requests,
    Metric::Actions,
    Metric::RageClicks,
    Metric::DeadClicks,
    Metric::PoorVitalShare,
    Metric::BounceRate,
    Metric::FailedRequestRate,
];

#[tokio::test]
async fn counts_and_rates_from_the_rollups_match_the_reference() {
    let fixture = fixture().await;
    let filter = |dimension: Dimension, condition: Condition| Filter { dimension, condition };
    let filter_sets = [
        vec![],
        vec![filter(Dimension::Release, Condition::Eq("2.4.1".into()))],
        vec![filter(Dimension::Route, Condition::Prefix("/products".into()))],
        vec![filter(Dimension::Browser, Condition::NotIn(vec!["Chrome".into()]))],
    ];
    let mut checked = 0;
    for metric in &COUNTS_AND_RATES {
        let statistics = statistics_of(metric);
        for filters in &filter_sets {
            let values = fixture.values(all_days(), filters, metric, &statistics).await;
            let units = fixture.oracle(all_days(), filters).units(metric, &[]);
            for (statistic, actual) in statistics.iter().zip(values) {
                let expected = expected(metric, statistic, &units, |_| Vec::new());
                let expected = match statistic {
                    Statistic::Count | Statistic::Sum => expected.or(Some(0.0)),
                    _ => expected,
                };
                assert!(
                    within(statistic, actual, expected),
                    "{metric:?} {statistic:?} {filters:?}: {actual:?}, exact {expected:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 9 * 4, "{checked} figures checked");
}

#[tokio::test]
async fn counts_and_rates_by_route_and_per_day_from_the_rollups_match_the_reference() {
    let fixture = fixture().await;
    // Without the data files: every figure below comes from the rollups (reading an event
    // would fail).
    std::fs::remove_dir_all(fixture._store.dir().join("tables")).expect("removes the data files");
    for metric in COUNTS_AND_RATES {
        let statistic = statistics_of(&metric)[0];
        let query = BreakdownQuery {
            range: all_days(),
            filters: Vec::new(),
            metric: metric.clone(),
            statistics: vec![statistic],
            group_by: vec![Dimension::Route],
            sort_by: None,
            order: Order::Desc,
            limit: 100,
        };
        let QueryResult::Breakdown(result) = fixture.run(Query::Breakdown(query.clone())).await else { panic!() };
        let units = fixture.oracle(query.range, &[]).units(&metric, &query.group_by);
        assert!(result.rows.len() > 2, "{metric:?}");
        for row in &result.rows {
            let group: Vec<Unit> = units.iter().filter(|unit| unit.group == row.group).cloned().collect();
            let expected = expected(&metric, &statistic, &group, |unit| unit.group.clone());
            assert!(
                within(&statistic, row.values[0], expected),
                "{metric:?} {:?}: {:?} vs {expected:?}",
                row.group,
                row.values
            );
        }

        let query = TimeSeriesQuery {
            range: all_days(),
            filters: Vec::new(),
            metric: metric.clone(),
            statistics: vec![statistic],
            bucket: BucketSize::Day,
            time_zone: TimeZone::default(),
            group_by: None,
            limit: 10,
        };
        let QueryResult::TimeSeries(result) = fixture.run(Query::TimeSeries(query.clone())).await else { panic!() };
        let units = fixture.oracle(query.range, &[]).units(&metric, &[]);
        assert_eq!(result.series[0].points.len(), 3, "{metric:?}");
        for point in &result.series[0].points {
            let start = point.time.ms();
            let day: Vec<Unit> =
                units.iter().filter(|unit| unit.time_ms >= start && unit.time_ms < start + DAY_MS).cloned().collect();
            let expected = expected(&metric, &statistic, &day, |_| Vec::new());
            assert!(
                within(&statistic, point.values[0], expected),
                "{metric:?} {start}: {:?} vs {expected:?}",
                point.values
            );
        }
    }
}
