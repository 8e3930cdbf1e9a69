//! Single values: every statistic of every metric, and the rules they rest on.

use std::sync::Arc;

use sightline_protocol::{
    EventBody, EventRecord, NavigationType, PageLocation, QualityFlags, SamplingReason, ViewEvent, VitalEvent,
    VitalName,
};
use sightline_query::{
    BucketSize, Condition, Dimension, Filter, Metric, Query, QueryError, QueryResult, Statistic, TimeSeriesQuery,
    TimeZone, Timestamp, execute,
};
use sightline_store::{Store as _, session_context};

use super::data::{BASE_MS, DAY_MS, HOUR_MS};
use super::oracle::{self, Oracle, close};
use super::{all_days, all_metrics, expected, fixture, range, statistics_of};

#[tokio::test]
async fn every_statistic_of_every_metric_matches_the_reference() {
    let fixture = fixture().await;
    let filters = [
        Filter { dimension: Dimension::Country, condition: Condition::In(vec!["US".into(), "DE".into(), "NG".into()]) },
        Filter { dimension: Dimension::Environment, condition: Condition::Ne("staging".into()) },
    ];
    let scopes = [(all_days(), &[][..]), (range(BASE_MS + 6 * HOUR_MS, BASE_MS + 30 * HOUR_MS), &filters[..])];
    for (range, filters) in scopes {
        for metric in all_metrics() {
            let statistics = statistics_of(&metric);
            let units = fixture.oracle(range, filters).units(&metric, &[]);
            assert!(units.len() >= 10, "{metric:?}: the data has too few units ({}) to test anything", units.len());
            let actual = fixture.values(range, filters, &metric, &statistics).await;
            for (statistic, actual) in statistics.iter().zip(actual) {
                let expected = expected(&metric, statistic, &units, |_| Vec::new());
                assert!(
                    close(actual, expected),
                    "{metric:?} {statistic:?} over {range:?}: {actual:?}, expected {expected:?}"
                );
            }
        }
    }
}

/// The rules must change the answers on this data, or the comparison above proves nothing.
#[tokio::test]
async fn the_data_exercises_weights_exclusions_and_last_values() {
    let fixture = fixture().await;
    let range = all_days();
    let p75 = |metric: Metric| {
        let fixture = &fixture;
        async move { fixture.values(range, &[], &metric, &[Statistic::P75, Statistic::Mean]).await }
    };

    // Weighting: the unweighted p75 and mean of LCP differ.
    let units = fixture.oracle(range, &[]).units(&Metric::Lcp, &[]);
    let unweighted: Vec<_> = units.iter().map(|u| oracle::Unit { w: 1.0, ..u.clone() }).collect();
    let lcp = p75(Metric::Lcp).await;
    assert_eq!(lcp[0], oracle::quantile(&units, 0.75));
    assert_ne!(lcp[1], oracle::statistic(&Metric::Lcp, &Statistic::Mean, &unweighted), "weights change the mean");

    // Exclusion: counting kept sessions changes the mean INP and the page views.
    let mut everyone = fixture.records.clone();
    for record in &mut everyone {
        let mut context = (*record.context).clone();
        context.sampling_reason = SamplingReason::Sampled;
        record.context = Arc::new(context);
    }
    let with_kept =
        Oracle { records: &everyone, project: "shop", from: range.from.ms(), to: range.to.ms(), filters: &[] };
    let inp = p75(Metric::Inp).await;
    assert_ne!(inp[1], oracle::statistic(&Metric::Inp, &Statistic::Mean, &with_kept.units(&Metric::Inp, &[])));
    let views = fixture.values(range, &[], &Metric::PageViews, &[Statistic::Count]).await;
    assert_ne!(
        views[0],
        oracle::statistic(&Metric::PageViews, &Statistic::Count, &with_kept.units(&Metric::PageViews, &[]))
    );

    // Last value per view: INP and CLS were resent; summing every report differs.
    let mut reports = 0.0;
    for record in fixture
        .records
        .iter()
        .filter(|r| r.context.project == "shop" && r.context.sampling_reason == SamplingReason::Sampled)
    {
        if let EventBody::Vital(vital) = &record.body
            && vital.name == VitalName::Inp
        {
            reports += 1.0 / record.context.sample_rate;
        }
    }
    let inp_count = fixture.values(range, &[], &Metric::Inp, &[Statistic::Count]).await;
    assert!(inp_count[0].is_some_and(|count| count < reports), "{inp_count:?} views, {reports} reports");
}

fn record(view: &str, timestamp_ms: i64, received_at_ms: i64, id: &str, body: EventBody) -> EventRecord {
    let template = &super::data::records(1, 1)[0];
    let mut context = (*template.context).clone();
    context.received_at_ms = received_at_ms;
    context.sample_rate = 1.0;
    context.sampling_reason = SamplingReason::Sampled;
    EventRecord {
        event_id: id.into(),
        timestamp_ms,
        view_id: view.into(),
        page: Arc::new(PageLocation {
            url: "https://a.test/".into(),
            host: "a.test".into(),
            path: "/".into(),
            route: "/".into(),
        }),
        quality: QualityFlags::default(),
        body,
        context: Arc::new(context),
    }
}

fn inp(value: f64) -> EventBody {
    EventBody::Vital(VitalEvent { name: VitalName::Inp, value, rating: None, attribution: None })
}

fn view() -> EventBody {
    EventBody::View(ViewEvent { navigation_type: NavigationType::Navigate, ..ViewEvent::default() })
}

#[tokio::test]
async fn the_final_value_is_the_last_by_time_then_by_receipt_and_days_follow_the_time_zone() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (store, _) = sightline_store::EmbeddedStore::open(dir.path(), &Default::default()).expect("opens");
    let store = Arc::new(store);
    // 2026-03-29: Berlin moves from +01:00 to +02:00 at 01:00 UTC.
    let dst_day = 1_774_742_400_000; // 2026-03-29T00:00:00Z
    let records = vec![
        record("v1", dst_day + 1_000, dst_day + 5_000, "1", inp(100.0)),
        record("v1", dst_day + 3_000, dst_day + 4_000, "2", inp(300.0)),
        record("v1", dst_day + 3_000, dst_day + 4_500, "3", inp(250.0)),
        record("v1", dst_day + 3_000, dst_day + 4_100, "4", inp(400.0)),
        record("v1", dst_day, dst_day, "0", view()),
        // 22:30 UTC on the 29th is the 30th in Berlin (+02:00), still the 29th in UTC.
        record("v2", dst_day + 22 * HOUR_MS + 1_800_000, dst_day + 23 * HOUR_MS, "0", view()),
        // 23:30 UTC on the 28th is already the 29th in Berlin (+01:00).
        record("v3", dst_day - 1_800_000, dst_day, "0", view()),
    ];
    store.append(records).await.expect("appends");
    // LCP 100 (weight 1), 200 (weight 8: sample rate 1/8), 300 (weight 1), 4100 (weight 2,
    // from a session kept for an error: left out). W = 10.
    let lcp = |view: &str, value: f64, rate: f64, reason: SamplingReason| {
        let mut record = record(
            view,
            dst_day + 60_000,
            dst_day + 60_000,
            "9",
            EventBody::Vital(VitalEvent { name: VitalName::Lcp, value, rating: None, attribution: None }),
        );
        let mut context = (*record.context).clone();
        (context.sample_rate, context.sampling_reason) = (rate, reason);
        record.context = Arc::new(context);
        record
    };
    let weighted = vec![
        lcp("w1", 100.0, 1.0, SamplingReason::Sampled),
        lcp("w2", 200.0, 0.125, SamplingReason::Sampled),
        lcp("w3", 300.0, 1.0, SamplingReason::Sampled),
        lcp("w4", 4100.0, 0.5, SamplingReason::KeptForError),
    ];
    store.append(weighted).await.expect("appends");
    let context = session_context(&store).expect("registers");
    let range = range(dst_day - DAY_MS, dst_day + 2 * DAY_MS);
    let statistics = [0.1, 0.11, 0.9, 0.91].map(Statistic::Quantile).into_iter().chain([
        Statistic::Mean,
        Statistic::Count,
        Statistic::Good,
        Statistic::Poor,
    ]);
    let tiles = statistics.map(|statistic| sightline_query::Tile { metric: Metric::Lcp, statistic }).collect();
    let query = Query::Values(sightline_query::ValuesQuery { range, filters: Vec::new(), tiles, compare: None });
    let QueryResult::Values(values) = execute(&context, "shop", &query).await.expect("runs") else { panic!() };
    let figures: Vec<_> = values.values.iter().map(|v| v.value).collect();
    // Cumulative weights 1, 9, 10: q·W = 1 → 100; 1.1 → 200; 9 → 200; 9.1 → 300.
    let mean = (100.0 + 8.0 * 200.0 + 300.0) / 10.0;
    assert_eq!(
        figures,
        [Some(100.0), Some(200.0), Some(200.0), Some(300.0), Some(mean), Some(10.0), Some(1.0), Some(0.0)]
    );
    let query = Query::Values(sightline_query::ValuesQuery {
        range,
        filters: Vec::new(),
        tiles: vec![sightline_query::Tile { metric: Metric::Inp, statistic: Statistic::Mean }],
        compare: None,
    });
    let QueryResult::Values(values) = execute(&context, "shop", &query).await.expect("runs") else { panic!() };
    assert_eq!(values.values[0].value, Some(250.0), "the report received last among the latest wins");
    assert_eq!(values.values[0].samples, 1);

    let series = |zone: &str| {
        Query::TimeSeries(TimeSeriesQuery {
            range,
            filters: Vec::new(),
            metric: Metric::PageViews,
            statistics: vec![Statistic::Count],
            bucket: BucketSize::Day,
            time_zone: TimeZone(zone.into()),
            group_by: None,
            limit: 10,
        })
    };
    let days = |result: QueryResult| match result {
        QueryResult::TimeSeries(result) => {
            result.series[0].points.iter().map(|p| (p.time.to_string(), p.count)).collect::<Vec<_>>()
        }
        _ => panic!(),
    };
    let berlin = days(execute(&context, "shop", &series("Europe/Berlin")).await.expect("runs"));
    assert_eq!(berlin, [("2026-03-28T23:00:00Z".to_owned(), 2.0), ("2026-03-29T22:00:00Z".to_owned(), 1.0)]);
    let utc = days(execute(&context, "shop", &series("UTC")).await.expect("runs"));
    assert_eq!(utc, [("2026-03-28T00:00:00Z".to_owned(), 1.0), ("2026-03-29T00:00:00Z".to_owned(), 2.0)]);
    let _ = Timestamp(0);
}

#[tokio::test]
async fn other_projects_stay_invisible_and_invalid_queries_read_nothing() {
    let fixture = fixture().await;
    let range = all_days();
    let other =
        Oracle { records: &fixture.records, project: "other", from: range.from.ms(), to: range.to.ms(), filters: &[] };
    let query = |metric: Metric, statistic| {
        Query::Values(sightline_query::ValuesQuery {
            range,
            filters: Vec::new(),
            tiles: vec![sightline_query::Tile { metric, statistic }],
            compare: None,
        })
    };
    let QueryResult::Values(views) =
        execute(&fixture.context, "other", &query(Metric::PageViews, Statistic::Count)).await.expect("runs")
    else {
        panic!()
    };
    let expected = oracle::statistic(&Metric::PageViews, &Statistic::Count, &other.units(&Metric::PageViews, &[]));
    assert!(expected.is_some_and(|n| n > 0.0));
    assert_eq!(views.values[0].value, expected);

    let QueryResult::Values(nothing) =
        execute(&fixture.context, "nobody", &query(Metric::Lcp, Statistic::P75)).await.expect("runs")
    else {
        panic!()
    };
    assert_eq!((nothing.values[0].value, nothing.values[0].samples), (None, 0));

    let error = execute(&fixture.context, "shop", &query(Metric::PageViews, Statistic::P75)).await.expect_err("fails");
    assert!(matches!(&error, QueryError::Invalid { field, .. } if field == "tiles[0].statistic"), "{error}");
}

#[tokio::test]
async fn values_compare_with_another_period_or_release() {
    let fixture = fixture().await;
    let day = |n: i64| range(BASE_MS + n * DAY_MS, BASE_MS + (n + 1) * DAY_MS);
    let release = |name: &str| vec![Filter { dimension: Dimension::Release, condition: Condition::Eq(name.into()) }];
    let tiles: Vec<sightline_query::Tile> = [
        (Metric::Lcp, Statistic::P75),
        (Metric::Lcp, Statistic::Good),
        (Metric::PageViews, Statistic::Count),
        (Metric::ErrorRate, Statistic::Rate),
        (Metric::Custom("purchase".into()), Statistic::Mean),
        (Metric::Inp, Statistic::Poor),
    ]
    .into_iter()
    .map(|(metric, statistic)| sightline_query::Tile { metric, statistic })
    .collect();
    let cases = [
        (day(1), Vec::new(), sightline_query::Baseline { range: Some(day(0)), filters: None }, day(0), Vec::new()),
        (
            all_days(),
            release("2.4.1"),
            sightline_query::Baseline { range: None, filters: Some(release("2.4.0")) },
            all_days(),
            release("2.4.0"),
        ),
    ];
    for (range, filters, baseline, baseline_range, baseline_filters) in cases {
        let query = Query::Values(sightline_query::ValuesQuery {
            range,
            filters: filters.clone(),
            tiles: tiles.clone(),
            compare: Some(baseline),
        });
        let QueryResult::Values(result) = execute(&fixture.context, "shop", &query).await.expect("runs") else {
            panic!()
        };
        let mut moved = 0;
        for (tile, value) in tiles.iter().zip(&result.values) {
            let now = expected(
                &tile.metric,
                &tile.statistic,
                &fixture.oracle(range, &filters).units(&tile.metric, &[]),
                |_| Vec::new(),
            );
            let before = expected(
                &tile.metric,
                &tile.statistic,
                &fixture.oracle(baseline_range, &baseline_filters).units(&tile.metric, &[]),
                |_| Vec::new(),
            );
            let comparison = value.comparison.as_ref().expect("a comparison");
            assert!(
                close(value.value, now) && close(comparison.baseline, before),
                "{tile:?}: {value:?}, expected {now:?} against {before:?}"
            );
            let (now, before) = (now.expect("a value"), before.expect("a baseline"));
            assert!(close(comparison.difference, Some(now - before)), "{tile:?}");
            let direction = if now > before {
                sightline_query::Direction::Up
            } else if now < before {
                sightline_query::Direction::Down
            } else {
                sightline_query::Direction::Unchanged
            };
            assert_eq!(comparison.direction, Some(direction), "{tile:?}");
            // Higher is better only for the good share; page views and custom values have no side.
            let expected_improved = match (&tile.metric, tile.statistic, direction) {
                (_, _, sightline_query::Direction::Unchanged) | (Metric::PageViews | Metric::Custom(_), _, _) => None,
                (_, Statistic::Good, direction) => Some(direction == sightline_query::Direction::Up),
                (_, _, direction) => Some(direction == sightline_query::Direction::Down),
            };
            assert_eq!(comparison.improved, expected_improved, "{tile:?}");
            moved += usize::from(direction != sightline_query::Direction::Unchanged);
        }
        assert!(moved >= 4, "the data should move most figures");
    }
}
