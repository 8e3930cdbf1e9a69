//! Lists, timelines and error groups against a plain computation over the records: every
//! stored session (whatever it was kept for), nothing weighted.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sightline_protocol::{EventBody, EventRecord, VitalName};
use sightline_query::fingerprint::fingerprint;
use sightline_query::{
    BucketSize, Condition, Dimension, ErrorGroupQuery, ErrorGroupSort, ErrorGroupsQuery, Filter, ListQuery, ListResult,
    ListSort, Order, Query, QueryResult, SessionTimelineQuery, TimeRange, TimeZone, TimelineDetail,
};
use sightline_store::Store as _;

use super::data::{BASE_MS, DAY_MS, HOUR_MS};
use super::{Fixture, all_days, fixture, range};

fn list(range: TimeRange, filters: &[Filter], sort_by: ListSort, order: Order, limit: usize) -> ListQuery {
    ListQuery { range, filters: filters.to_vec(), sort_by, order, limit, cursor: None }
}

impl Fixture {
    /// Every page of a list, following the cursors.
    async fn pages<T>(
        &self,
        query: ListQuery,
        shape: fn(ListQuery) -> Query,
        rows: fn(QueryResult) -> ListResult<T>,
    ) -> Vec<T> {
        let mut all = Vec::new();
        let mut query = query;
        for _ in 0..1000 {
            let page = rows(self.run(shape(query.clone())).await);
            assert!(page.rows.len() <= query.limit);
            all.extend(page.rows);
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return all,
            }
        }
        panic!("more than 1000 pages")
    }

    /// The records of project `shop` in `range` matching `filters` (no navigation type).
    fn stored(&self, range: TimeRange, filters: &[Filter]) -> Vec<&EventRecord> {
        let oracle = self.oracle(range, filters);
        let navigation = HashMap::new();
        self.records
            .iter()
            .filter(|r| {
                r.context.project == "shop" && r.timestamp_ms >= range.from.ms() && r.timestamp_ms < range.to.ms()
            })
            .filter(|r| {
                filters.iter().all(|f| {
                    let value = oracle.dimension(r, &f.dimension, &navigation);
                    match &f.condition {
                        Condition::In(values) => value.is_some_and(|v| values.contains(&v)),
                        other => panic!("the test filters with `in` only, not {other:?}"),
                    }
                })
            })
            .collect()
    }
}

fn errors_list(result: QueryResult) -> ListResult<sightline_query::ErrorRow> {
    let QueryResult::ErrorList(page) = result else { panic!("an error list") };
    page
}

fn requests_list(result: QueryResult) -> ListResult<sightline_query::RequestRow> {
    let QueryResult::RequestList(page) = result else { panic!("a request list") };
    page
}

fn views_list(result: QueryResult) -> ListResult<sightline_query::ViewRow> {
    let QueryResult::ViewList(page) = result else { panic!("a view list") };
    page
}

fn sessions_list(result: QueryResult) -> ListResult<sightline_query::SessionRow> {
    let QueryResult::SessionList(page) = result else { panic!("a session list") };
    page
}

fn countries() -> Vec<Filter> {
    vec![Filter { dimension: Dimension::Country, condition: Condition::In(vec!["US".into(), "DE".into()]) }]
}

/// Each key once, and the same keys as expected.
fn once<K: Ord + Clone + std::fmt::Debug>(actual: impl IntoIterator<Item = K>, expected: &BTreeSet<K>, what: &str) {
    let actual: Vec<K> = actual.into_iter().collect();
    let unique: BTreeSet<K> = actual.iter().cloned().collect();
    assert_eq!(unique.len(), actual.len(), "{what}: a row repeats across pages");
    assert_eq!(&unique, expected, "{what}: other rows than the reference's");
}

#[tokio::test]
async fn error_and_request_pages_cover_every_row_once_in_order() {
    let fixture = fixture().await;
    for filters in [Vec::new(), countries()] {
        let stored = fixture.stored(all_days(), &filters);
        let errors: BTreeSet<(String, String)> = stored
            .iter()
            .filter(|r| matches!(r.body, EventBody::Error(_)))
            .map(|r| (r.view_id.clone(), r.event_id.clone()))
            .collect();
        assert!(errors.len() > 200, "{} errors", errors.len());
        let rows = fixture
            .pages(list(all_days(), &filters, ListSort::Time, Order::Desc, 97), Query::ErrorList, errors_list)
            .await;
        assert!(rows.windows(2).all(|w| w[0].time >= w[1].time), "newest first");
        once(rows.iter().map(|r| (r.view_id.clone(), r.event_id.clone())), &errors, "errors");

        let requests: BTreeMap<(String, String), f64> = stored
            .iter()
            .filter_map(|r| match &r.body {
                EventBody::Request(request) => Some(((r.view_id.clone(), r.event_id.clone()), request.duration)),
                _ => None,
            })
            .collect();
        let rows = fixture
            .pages(list(all_days(), &filters, ListSort::Duration, Order::Asc, 250), Query::RequestList, requests_list)
            .await;
        assert!(rows.windows(2).all(|w| w[0].duration <= w[1].duration), "shortest first");
        for row in &rows {
            assert_eq!(row.duration, Some(requests[&(row.view_id.clone(), row.event_id.clone())]));
        }
        once(
            rows.iter().map(|r| (r.view_id.clone(), r.event_id.clone())),
            &requests.keys().cloned().collect(),
            "requests",
        );
    }
}

/// The final value of a vital per view among `records` (latest timestamp, received, id).
fn final_vitals(records: &[&EventRecord], name: VitalName) -> HashMap<String, f64> {
    let mut last: HashMap<String, (i64, i64, String, f64)> = HashMap::new();
    for r in records {
        if let EventBody::Vital(vital) = &r.body
            && vital.name == name
        {
            let key = (r.timestamp_ms, r.context.received_at_ms, r.event_id.clone(), vital.value);
            let entry = last.entry(r.view_id.clone()).or_insert(key.clone());
            if (key.0, key.1, &key.2) > (entry.0, entry.1, &entry.2) {
                *entry = key;
            }
        }
    }
    last.into_iter().map(|(view, (.., value))| (view, value)).collect()
}

#[tokio::test]
async fn view_and_session_pages_cover_every_row_once_with_their_figures() {
    let fixture = fixture().await;
    let range = range(BASE_MS + 6 * HOUR_MS, BASE_MS + 2 * DAY_MS);
    let stored = fixture.stored(range, &[]);
    let in_range: Vec<&EventRecord> = fixture
        .records
        .iter()
        .filter(|r| r.context.project == "shop" && r.timestamp_ms >= range.from.ms() && r.timestamp_ms < range.to.ms())
        .collect();

    let lcp = final_vitals(&in_range, VitalName::Lcp);
    let views: BTreeSet<String> =
        stored.iter().filter(|r| matches!(r.body, EventBody::View(_))).map(|r| r.view_id.clone()).collect();
    let with_lcp: BTreeSet<String> = views.iter().filter(|v| lcp.contains_key(*v)).cloned().collect();
    let rows = fixture.pages(list(range, &[], ListSort::Lcp, Order::Desc, 150), Query::ViewList, views_list).await;
    assert!(rows.windows(2).all(|w| w[0].lcp >= w[1].lcp), "largest LCP first");
    for row in &rows {
        assert_eq!(row.lcp, lcp.get(&row.view_id).copied(), "{}", row.view_id);
    }
    once(rows.iter().map(|r| r.view_id.clone()), &with_lcp, "views by LCP");
    // By start, the final vitals are read for each page's views only: the same figures.
    let (inp, cls) = (final_vitals(&in_range, VitalName::Inp), final_vitals(&in_range, VitalName::Cls));
    let rows = fixture.pages(list(range, &[], ListSort::Time, Order::Desc, 200), Query::ViewList, views_list).await;
    assert!(rows.windows(2).all(|w| w[0].start >= w[1].start), "latest first");
    for row in &rows {
        let expected = [&lcp, &inp, &cls].map(|finals| finals.get(&row.view_id).copied());
        assert_eq!([row.lcp, row.inp, row.cls], expected, "{}", row.view_id);
    }
    once(rows.iter().map(|r| r.view_id.clone()), &views, "views by time");

    // Sessions with a view in the range: their views, errors (folded ones as many), start.
    let mut sessions: BTreeMap<String, (BTreeSet<String>, u64, i64)> = BTreeMap::new();
    for r in &stored {
        if matches!(r.body, EventBody::View(_)) {
            let entry = sessions.entry(r.context.session_id.clone()).or_insert((BTreeSet::new(), 0, i64::MAX));
            entry.0.insert(r.view_id.clone());
            entry.2 = entry.2.min(r.timestamp_ms);
        }
    }
    for r in &stored {
        if let (EventBody::Error(error), Some(entry)) = (&r.body, sessions.get_mut(&r.context.session_id)) {
            entry.1 += u64::from(error.count);
        }
    }
    let rows =
        fixture.pages(list(range, &[], ListSort::Errors, Order::Desc, 128), Query::SessionList, sessions_list).await;
    assert!(rows.windows(2).all(|w| w[0].errors >= w[1].errors), "most errors first");
    for row in &rows {
        let (views, errors, start) = &sessions[&row.session_id];
        assert_eq!(
            (row.views, row.errors, row.start.ms()),
            (views.len() as u64, *errors, *start),
            "{}",
            row.session_id
        );
        assert!(row.end >= row.start);
    }
    once(rows.iter().map(|r| r.session_id.clone()), &sessions.keys().cloned().collect(), "sessions");
    let rows =
        fixture.pages(list(range, &[], ListSort::Duration, Order::Asc, 300), Query::SessionList, sessions_list).await;
    let durations: Vec<i64> = rows.iter().map(|r| r.end.ms() - r.start.ms()).collect();
    assert!(durations.windows(2).all(|w| w[0] <= w[1]), "shortest first");
    once(rows.iter().map(|r| r.session_id.clone()), &sessions.keys().cloned().collect(), "sessions by duration");

    // By start and by views, errors and end are read for each page's sessions only: the
    // same figures. A session ends at its last view, error, action or request.
    let mut ends: BTreeMap<String, i64> = BTreeMap::new();
    for r in &stored {
        if matches!(r.body, EventBody::View(_) | EventBody::Error(_) | EventBody::Action(_) | EventBody::Request(_))
            && sessions.contains_key(&r.context.session_id)
        {
            let end = ends.entry(r.context.session_id.clone()).or_insert(i64::MIN);
            *end = (*end).max(r.timestamp_ms);
        }
    }
    for (sort, order) in [(ListSort::Time, Order::Desc), (ListSort::Views, Order::Desc), (ListSort::Time, Order::Asc)] {
        let rows = fixture.pages(list(range, &[], sort, order, 64), Query::SessionList, sessions_list).await;
        for row in &rows {
            let (views, errors, start) = &sessions[&row.session_id];
            assert_eq!(
                (row.views, row.errors, row.start.ms(), row.end.ms()),
                (views.len() as u64, *errors, *start, ends[&row.session_id]),
                "{sort:?} {order:?}: {}",
                row.session_id
            );
        }
        let keys: Vec<i64> =
            rows.iter().map(|r| if sort == ListSort::Views { r.views as i64 } else { r.start.ms() }).collect();
        let sorted = match order {
            Order::Desc => keys.windows(2).all(|w| w[0] >= w[1]),
            Order::Asc => keys.windows(2).all(|w| w[0] <= w[1]),
        };
        assert!(sorted, "{sort:?} {order:?}: in order");
        once(
            rows.iter().map(|r| r.session_id.clone()),
            &sessions.keys().cloned().collect(),
            "sessions by start or views",
        );
    }
}

#[tokio::test]
async fn a_session_that_began_before_the_last_day_is_listed_by_its_first_view() {
    // The list by start looks in the range's last day first: a session with a view there
    // but its first long before must not pass for one that just began.
    let mut fixture = fixture().await;
    let range = all_days();
    let first_view = |r: &&EventRecord| r.context.project == "shop" && matches!(r.body, EventBody::View(_));
    let earliest = (*fixture.records.iter().filter(first_view).min_by_key(|r| r.timestamp_ms).expect("views")).clone();
    let mut late = earliest.clone();
    late.timestamp_ms = range.to.ms() - 60_000;
    late.view_id = format!("{}-late", earliest.view_id);
    late.event_id = format!("{}-late", earliest.event_id);
    fixture._store.append(vec![late.clone()]).await.expect("appends");
    fixture.records.push(late);

    let mut starts: BTreeMap<String, i64> = BTreeMap::new();
    for r in fixture.records.iter().filter(first_view) {
        let start = starts.entry(r.context.session_id.clone()).or_insert(i64::MAX);
        *start = (*start).min(r.timestamp_ms);
    }
    let mut expected: Vec<(i64, String)> = starts.into_iter().map(|(id, start)| (start, id)).collect();
    expected.sort_by(|a, b| b.cmp(a));
    for order in [Order::Desc, Order::Asc] {
        let page = sessions_list(fixture.run(Query::SessionList(list(range, &[], ListSort::Time, order, 20))).await);
        let got: Vec<(i64, String)> = page.rows.iter().map(|r| (r.start.ms(), r.session_id.clone())).collect();
        let wanted: Vec<(i64, String)> = match order {
            Order::Desc => expected[..20].to_vec(),
            Order::Asc => expected.iter().rev().take(20).cloned().collect(),
        };
        assert_eq!(got, wanted, "{order:?}");
    }
    assert!(expected.iter().any(|(start, id)| *id == earliest.context.session_id && *start == earliest.timestamp_ms));
}

#[tokio::test]
async fn pages_stay_exact_when_events_arrive_between_them() {
    let fixture = fixture().await;
    let query = list(all_days(), &[], ListSort::Time, Order::Desc, 100);
    let first = errors_list(fixture.run(Query::ErrorList(query.clone())).await);
    let before: BTreeSet<(String, String)> = fixture
        .stored(all_days(), &[])
        .iter()
        .filter(|r| matches!(r.body, EventBody::Error(_)))
        .map(|r| (r.view_id.clone(), r.event_id.clone()))
        .collect();
    // New errors: one newer than every page, one in the middle of the pages already read.
    let template =
        fixture.records.iter().find(|r| matches!(r.body, EventBody::Error(_)) && r.context.project == "shop");
    let template = template.expect("an error").clone();
    let middle = first.rows[50].time.ms();
    let added: Vec<EventRecord> = [(BASE_MS + 3 * DAY_MS - 1, "late-1"), (middle, "late-2")]
        .into_iter()
        .map(|(t, id)| EventRecord { timestamp_ms: t, event_id: id.into(), ..template.clone() })
        .collect();
    fixture._store.append(added).await.expect("appends");

    let mut rows = first.rows;
    let rest = ListQuery { cursor: first.next_cursor, ..query };
    rows.extend(fixture.pages(rest, Query::ErrorList, errors_list).await);
    let seen: Vec<(String, String)> = rows.iter().map(|r| (r.view_id.clone(), r.event_id.clone())).collect();
    let old: Vec<_> = seen.iter().filter(|key| before.contains(*key)).cloned().collect();
    once(old, &before, "errors present before the insert");
    assert!(seen.len() <= fixture.stored(all_days(), &[]).len() + 2);
}

/// The reference's groups: fingerprint → (type, message, count, events, sessions, users,
/// first, last, releases, top route, top browser).
#[derive(Debug, Default)]
struct Group {
    error_type: Option<String>,
    messages: BTreeSet<String>,
    count: u64,
    events: u64,
    sessions: BTreeSet<String>,
    users: BTreeSet<String>,
    first: i64,
    last: i64,
    releases: BTreeSet<String>,
    routes: BTreeMap<String, u64>,
    browsers: BTreeMap<String, u64>,
}

fn top(counts: &BTreeMap<String, u64>) -> Option<String> {
    // Most occurrences; ties to the smallest (BTreeMap order, first maximum kept).
    let mut best: Option<(&String, u64)> = None;
    for (key, n) in counts {
        if best.is_none_or(|(_, m)| *n > m) {
            best = Some((key, *n));
        }
    }
    best.map(|(key, _)| key.clone())
}

fn groups(records: &[&EventRecord]) -> BTreeMap<String, Group> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for r in records {
        let EventBody::Error(error) = &r.body else { continue };
        let fp = fingerprint(error.error_type.as_deref(), Some(&error.message), error.stack.as_deref());
        let g = groups.entry(fp).or_insert_with(|| Group { first: i64::MAX, last: i64::MIN, ..Group::default() });
        g.error_type.clone_from(&error.error_type);
        g.messages.insert(error.message.clone());
        g.count += u64::from(error.count);
        g.events += 1;
        g.sessions.insert(r.context.session_id.clone());
        g.users.extend(r.context.user_id.clone());
        g.first = g.first.min(r.timestamp_ms);
        g.last = g.last.max(r.timestamp_ms);
        g.releases.extend(r.context.release.clone());
        *g.routes.entry(r.page.route.clone()).or_default() += u64::from(error.count);
        *g.browsers.entry(r.context.client.browser.clone()).or_default() += u64::from(error.count);
    }
    groups
}

#[tokio::test]
async fn error_groups_match_the_reference() {
    let fixture = fixture().await;
    for filters in [Vec::new(), countries()] {
        let stored = fixture.stored(all_days(), &filters);
        let expected = groups(&stored);
        let messages: BTreeSet<_> = stored
            .iter()
            .filter_map(|r| match &r.body {
                EventBody::Error(e) => Some((e.message.clone(), e.stack.clone())),
                _ => None,
            })
            .collect();
        assert!(
            expected.len() >= 3 && expected.len() < messages.len(),
            "{} groups of {} errors",
            expected.len(),
            messages.len()
        );
        let query = ErrorGroupsQuery {
            range: all_days(),
            filters: filters.clone(),
            sort_by: ErrorGroupSort::Count,
            limit: 1000,
        };
        let QueryResult::ErrorGroups(result) = fixture.run(Query::ErrorGroups(query)).await else { panic!() };
        assert_eq!(result.total_groups, expected.len() as u64);
        assert_eq!(result.groups.len(), expected.len());
        assert!(result.groups.windows(2).all(|w| w[0].count >= w[1].count));
        for group in &result.groups {
            let g = &expected[&group.fingerprint];
            assert_eq!(group.error_type, g.error_type);
            assert_eq!(group.message.as_ref(), g.messages.first());
            assert_eq!((group.count, group.events), (g.count, g.events), "{group:?}");
            assert_eq!((group.sessions, group.users), (g.sessions.len() as u64, g.users.len() as u64), "{group:?}");
            assert_eq!((group.first_seen.ms(), group.last_seen.ms()), (g.first, g.last));
            assert_eq!(group.releases, g.releases.iter().cloned().collect::<Vec<_>>());
            assert_eq!((group.top_route.clone(), group.top_browser.clone()), (top(&g.routes), top(&g.browsers)));
        }
        for sort in [ErrorGroupSort::Sessions, ErrorGroupSort::Users, ErrorGroupSort::LastSeen] {
            let query = ErrorGroupsQuery { range: all_days(), filters: filters.clone(), sort_by: sort, limit: 2 };
            let QueryResult::ErrorGroups(result) = fixture.run(Query::ErrorGroups(query)).await else { panic!() };
            let key = |fp: &str| {
                let g = &expected[fp];
                match sort {
                    ErrorGroupSort::Sessions => g.sessions.len() as i64,
                    ErrorGroupSort::Users => g.users.len() as i64,
                    _ => g.last,
                }
            };
            let mut keys: Vec<i64> = expected.keys().map(|fp| key(fp)).collect();
            keys.sort_by(|a, b| b.cmp(a));
            let actual: Vec<i64> = result.groups.iter().map(|g| key(&g.fingerprint)).collect();
            assert_eq!(actual, keys[..2], "{sort:?}");
        }
    }
}

#[tokio::test]
async fn an_error_group_has_its_series_and_latest_events() {
    let fixture = fixture().await;
    let stored = fixture.stored(all_days(), &[]);
    let expected = groups(&stored);
    let (fp, group) = expected.iter().max_by_key(|(_, g)| g.count).expect("a group");
    let query = ErrorGroupQuery {
        range: all_days(),
        filters: Vec::new(),
        fingerprint: fp.clone(),
        bucket: BucketSize::Day,
        time_zone: TimeZone::default(),
        samples: 5,
    };
    let QueryResult::ErrorGroup(result) = fixture.run(Query::ErrorGroup(query)).await else { panic!() };
    assert_eq!(result.group.as_ref().map(|g| g.count), Some(group.count));
    let mut days: BTreeMap<i64, u64> = BTreeMap::new();
    let mut times = Vec::new();
    for r in &stored {
        if let EventBody::Error(e) = &r.body
            && fingerprint(e.error_type.as_deref(), Some(&e.message), e.stack.as_deref()) == *fp
        {
            *days.entry(r.timestamp_ms - (r.timestamp_ms - BASE_MS).rem_euclid(DAY_MS)).or_default() +=
                u64::from(e.count);
            times.push(r.timestamp_ms);
        }
    }
    let series: BTreeMap<i64, u64> = result.series.iter().map(|p| (p.time.ms(), p.count)).collect();
    assert_eq!(series, days);
    times.sort_by(|a, b| b.cmp(a));
    let samples: Vec<i64> = result.samples.iter().map(|s| s.time.ms()).collect();
    assert_eq!(samples, times[..5]);
    for sample in &result.samples {
        let message = sample.message.as_deref();
        let error_type = group.error_type.as_deref();
        assert_eq!(fingerprint(error_type, message, sample.stack.as_deref()), *fp);
    }
}

#[tokio::test]
async fn a_session_timeline_has_every_event_in_order() {
    let fixture = fixture().await;
    let range = all_days();
    let stored = fixture.stored(range, &[]);
    let mut by_session: BTreeMap<&str, Vec<&EventRecord>> = BTreeMap::new();
    for r in &stored {
        by_session.entry(r.context.session_id.as_str()).or_default().push(r);
    }
    let (session, records) = by_session.into_iter().max_by_key(|(_, records)| records.len()).expect("a session");

    // Every event but resources; one view event per view and one vital report per view
    // and name (the final one).
    let mut expected: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut views_seen = BTreeSet::new();
    let finals: Vec<HashMap<String, f64>> =
        [VitalName::Lcp, VitalName::Inp, VitalName::Cls, VitalName::Fcp, VitalName::Ttfb]
            .map(|n| final_vitals(&records, n))
            .into();
    for r in &records {
        let kind = match &r.body {
            EventBody::View(_) if views_seen.insert(r.view_id.clone()) => "view",
            EventBody::View(_) | EventBody::Resource(_) => continue,
            EventBody::Vital(_) => "vital",
            EventBody::Error(_) => "error",
            EventBody::Request(_) => "request",
            EventBody::Action(_) => "action",
            EventBody::Custom(_) => "custom",
            EventBody::LongAnimationFrame(_) => "long_animation_frame",
        };
        if kind != "vital" {
            expected.insert((
                kind.into(),
                r.view_id.clone(),
                if kind == "view" { String::new() } else { r.event_id.clone() },
            ));
        }
    }
    let query = SessionTimelineQuery { range, session_id: session.into() };
    let QueryResult::SessionTimeline(result) = fixture.run(Query::SessionTimeline(query)).await else { panic!() };
    assert!(!result.truncated);
    assert!(result.events.windows(2).all(|w| w[0].time <= w[1].time), "time order");
    let mut actual = BTreeSet::new();
    let mut vitals = 0;
    for event in &result.events {
        let kind = match &event.detail {
            TimelineDetail::View { .. } => "view",
            TimelineDetail::Vital { name, value, .. } => {
                let index = ["lcp", "inp", "cls", "fcp", "ttfb"].iter().position(|n| Some(*n) == name.as_deref());
                let index = index.expect("a vital name");
                assert_eq!(*value, finals[index].get(&event.view_id).copied(), "{event:?}");
                vitals += 1;
                continue;
            }
            TimelineDetail::Error { .. } => "error",
            TimelineDetail::Request { .. } => "request",
            TimelineDetail::Action { .. } => "action",
            TimelineDetail::Custom { .. } => "custom",
            TimelineDetail::LongAnimationFrame { .. } => "long_animation_frame",
        };
        let id = if kind == "view" { String::new() } else { event.event_id.clone() };
        assert!(actual.insert((kind.to_owned(), event.view_id.clone(), id)), "{event:?} repeats");
    }
    assert_eq!(actual, expected);
    assert_eq!(vitals, finals.iter().map(HashMap::len).sum::<usize>());
    let context = result.context.expect("the session's context");
    assert_eq!(context.browser.as_deref(), Some(records[0].context.client.browser.as_str()));
    assert_eq!(context.user_id, records[0].context.user_id);
}

#[tokio::test]
async fn a_cursor_belongs_to_its_list_sort_and_order() {
    let fixture = fixture().await;
    let query = list(all_days(), &[], ListSort::Time, Order::Desc, 5);
    let page = errors_list(fixture.run(Query::ErrorList(query.clone())).await);
    let cursor = page.next_cursor.expect("more than one page");
    let refuse = |query: Query| {
        let fixture = &fixture;
        async move {
            let error = sightline_query::execute(&fixture.context, "shop", &query).await.expect_err("refused");
            assert!(error.to_string().starts_with("cursor: "), "{error}");
        }
    };
    let with =
        |cursor: &str, sort, order| ListQuery { cursor: Some(cursor.into()), sort_by: sort, order, ..query.clone() };
    refuse(Query::RequestList(with(&cursor, ListSort::Time, Order::Desc))).await;
    refuse(Query::ErrorList(with(&cursor, ListSort::Time, Order::Asc))).await;
    refuse(Query::ErrorList(with("not a cursor", ListSort::Time, Order::Desc))).await;
    refuse(Query::ErrorList(with(&cursor[..cursor.len() - 2], ListSort::Time, Order::Desc))).await;
    let next = errors_list(fixture.run(Query::ErrorList(with(&cursor, ListSort::Time, Order::Desc))).await);
    assert!(next.rows[0].time <= page.rows[4].time);
}
