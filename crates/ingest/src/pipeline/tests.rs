use serde_json::{Value, json};
use sightline_protocol::{DeviceClass, EventBody, EventRecord};

use super::*;
use crate::enrich::user_agent::HintHeaders;

const NOW: i64 = 1_790_000_000_000;
const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

fn project(adjust: impl FnOnce(&mut ProjectConfig)) -> Project {
    let mut config = ProjectConfig { ingest_key: "pk_test_123456".into(), ..ProjectConfig::default() };
    adjust(&mut config);
    Project::new(config).expect("valid project")
}

fn request(user_agent: &str) -> RequestMeta<'_> {
    RequestMeta {
        received_at_ms: NOW,
        client_ip: None,
        user_agent,
        hint_headers: HintHeaders::default(),
        cdn_geo: None,
        do_not_track: false,
    }
}

fn beacon(events: &Value) -> Value {
    json!({
        "v": 1,
        "context": {
            "agent": {"name": "sightline-browser", "version": "0.1.0"},
            "session_id": "sess-1",
            "view_id": "view-1",
            "url": "https://shop.test/orders/12345?email=jane@example.com&utm_source=news#top",
            "referrer": "https://www.google.com/search?q=shoes",
            "viewport": {"width": 1280, "height": 720},
            "connection": {"effective_type": "4g", "rtt_ms": 50.0},
            "release": "2.14.0",
            "environment": "production",
            "user": {"id": "u-42", "attributes": {"plan": "pro"}},
            "sample_rate": 0.5,
            "time_origin": (NOW - 10_000) as f64
        },
        "events": events,
        "sent_at": NOW as f64
    })
}

fn process(project: &Project, user_agent: &str, body: &Value) -> Result<ProcessedBatch, Rejection> {
    Pipeline::default().process(project, &request(user_agent), body.to_string().as_bytes())
}

/// A beacon of custom events `name-{from}`… `name-{to - 1}`.
fn custom_events(from: usize, to: usize) -> Value {
    let events = (from..to).map(|i| json!({"id": format!("c{i}"), "kind": "custom", "name": format!("name-{i}")}));
    beacon(&Value::Array(events.collect()))
}

/// The names of a batch's custom events, in order.
fn custom_names(batch: &ProcessedBatch) -> Vec<String> {
    batch
        .records
        .iter()
        .map(|r| match &r.body {
            EventBody::Custom(custom) => custom.name.clone(),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn lcp(id: &str, value: f64) -> Value {
    json!({"id": id, "kind": "vital", "t": 1200.0, "name": "lcp", "value": value})
}

#[test]
fn a_realistic_beacon_becomes_clean_enriched_records() {
    let body = beacon(&json!([
        {"id": "e1", "kind": "view", "t": 0.0, "navigation_type": "navigate",
         "timing": {"dns": 12.0, "ttfb": 180.0, "load": 1400.0}},
        lcp("e2", 2300.0),
        {"id": "e3", "kind": "error", "t": 3000.0, "message": "Failed for jane@example.com", "error_type": "TypeError"},
    ]));
    let batch = process(&project(|_| {}), CHROME_MAC, &body).expect("accepted");
    assert_eq!(batch.records.len(), 3);
    let record = &batch.records[1];
    assert_eq!(record.page.host, "shop.test");
    assert_eq!(record.page.route, "/orders/:id");
    assert!(!record.page.url.contains("email") && !record.page.url.contains('#'), "{}", record.page.url);
    assert!(record.page.url.contains("utm_source=news"));
    assert_eq!(record.timestamp_ms, NOW - 10_000 + 1_200);
    assert_eq!(record.context.referrer_host.as_deref(), Some("www.google.com"));
    assert_eq!(record.context.client.browser, "Chrome");
    assert_eq!(record.context.client.device_class, DeviceClass::Desktop);
    assert!((record.context.sample_rate - 0.5).abs() < f64::EPSILON);
    let EventBody::Error(error) = &batch.records[2].body else { panic!("third record is the error") };
    assert!(!error.message.contains("jane@example.com"), "{}", error.message);
    assert!(batch.outcomes.get(Reason::PiiScrubbed) >= 1);
}

#[test]
fn the_normalized_record_snapshot() {
    let body = beacon(&json!([
        {"id": "e1", "kind": "request", "t": 500.0, "method": "post", "url": "/api/cart/items/987?session=abc",
         "status": 201, "duration": 84.5, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"},
        {"id": "e2", "kind": "custom", "t": 900.0, "name": "add_to_cart", "value": 59.9,
         "attributes": {"sku": "SHOE-42", "nested": {"no": 1}, "card": "4111 1111 1111 1111"}},
    ]));
    let batch = process(&project(|_| {}), CHROME_MAC, &body).expect("accepted");
    let records: Vec<&EventRecord> = batch.records.iter().collect();
    insta::assert_yaml_snapshot!(records);
}

#[test]
fn bad_events_are_dropped_alone_with_their_reasons() {
    let body = beacon(&json!([
        lcp("ok", 1000.0),
        {"id": "future", "kind": "app_start", "duration": 5},
        {"id": "broken", "kind": "vital", "name": "lcp"},
        {"kind": "custom", "name": "no id"},
        {"id": "ok", "kind": "custom", "name": "same id again"},
        lcp("dup-vital", 1100.0),
        lcp("negative", -5.0),
        {"id": "cls", "kind": "vital", "name": "cls", "value": 1e9},
        "not even an object",
    ]));
    let batch = process(&project(|_| {}), CHROME_MAC, &body).expect("accepted");
    assert_eq!(batch.records.len(), 1);
    let outcomes = &batch.outcomes;
    assert_eq!(outcomes.get(Reason::UnknownEventKind), 1);
    assert_eq!(outcomes.get(Reason::InvalidEvent), 2);
    assert_eq!(outcomes.get(Reason::MissingEventId), 1);
    assert_eq!(outcomes.get(Reason::DuplicateEventId), 1);
    assert_eq!(outcomes.get(Reason::DuplicateVital), 1, "a second valid LCP for the view");
    assert_eq!(outcomes.get(Reason::VitalOutOfRange), 2, "checked before de-duplication");
    assert_eq!(outcomes.dropped_events(), 8);
}

#[test]
fn event_ids_are_unique_within_their_view_only() {
    // Agents count events per view: the previous route's final vitals and the new
    // route's first events both start at "0".
    let body = beacon(&json!([
        {"id": "0", "kind": "vital", "t": 1200.0, "name": "inp", "value": 120.0,
         "view_id": "sess-1.0", "view_url": "https://shop.test/"},
        {"id": "1", "kind": "vital", "t": 1200.0, "name": "cls", "value": 0.02, "view_id": "sess-1.0"},
        {"id": "0", "kind": "view", "t": 1300.0, "navigation_type": "route_change"},
        {"id": "1", "kind": "custom", "t": 1400.0, "name": "opened"},
        {"id": "1", "kind": "custom", "t": 1500.0, "name": "same view, same id", "view_id": "view-1"},
        {"id": "1", "kind": "custom", "t": 1600.0, "name": "same id again", "view_id": "sess-1.0"},
    ]));
    let batch = process(&project(|_| {}), CHROME_MAC, &body).expect("accepted");
    let kept: Vec<(&str, &str)> = batch.records.iter().map(|r| (r.view_id.as_str(), r.event_id.as_str())).collect();
    assert_eq!(kept, [("sess-1.0", "0"), ("sess-1.0", "1"), ("view-1", "0"), ("view-1", "1")]);
    assert_eq!(batch.outcomes.get(Reason::DuplicateEventId), 2, "repeats within one view are still dropped");
}

#[test]
fn ten_thousand_vitals_for_one_view_keep_one() {
    let events: Vec<Value> = (0..10_000).map(|i| lcp(&format!("v{i}"), 1000.0)).collect();
    let batch = process(&project(|_| {}), CHROME_MAC, &beacon(&Value::Array(events))).expect("accepted");
    assert_eq!(batch.records.len(), 1);
    assert_eq!(batch.outcomes.get(Reason::TooManyEvents), 9_500);
    assert_eq!(batch.outcomes.get(Reason::DuplicateVital), 499);
}

#[test]
fn whole_beacon_policies_drop_with_one_reason() {
    let events = json!([lcp("a", 1000.0), lcp("b", 1000.0)]);
    let mut denied = beacon(&events);
    denied["context"]["consent"] = json!("denied");
    let batch = process(&project(|_| {}), CHROME_MAC, &denied).expect("answered");
    assert!(batch.records.is_empty());
    assert_eq!(batch.outcomes.get(Reason::ConsentDenied), 2);

    let bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    let batch = process(&project(|_| {}), bot, &beacon(&events)).expect("answered");
    assert_eq!((batch.records.len(), batch.outcomes.get(Reason::Bot)), (0, 2));
    let kept = process(&project(|p| p.drop_bots = false), bot, &beacon(&events)).expect("answered");
    assert_eq!(kept.records[0].context.client.device_class, DeviceClass::Bot);

    let honoring = project(|p| p.honor_do_not_track = true);
    let dnt = RequestMeta { do_not_track: true, ..request(CHROME_MAC) };
    let batch = Pipeline::default().process(&honoring, &dnt, beacon(&events).to_string().as_bytes()).expect("answered");
    assert_eq!(batch.outcomes.get(Reason::DoNotTrack), 2);
}

#[test]
fn beacons_from_foreign_hosts_or_without_a_page_are_refused() {
    let strict = project(|p| p.allowed_hosts = vec!["*.shop.example".into()]);
    let refused = process(&strict, CHROME_MAC, &beacon(&json!([]))).expect_err("ghost spam");
    assert_eq!(refused.reason, Reason::HostNotAllowed);
    let mut no_page = beacon(&json!([]));
    no_page["context"]["url"] = json!("javascript:alert(1)");
    assert_eq!(process(&project(|_| {}), CHROME_MAC, &no_page).expect_err("no page").reason, Reason::InvalidContext);
    let mut no_session = beacon(&json!([]));
    no_session["context"]["session_id"] = json!("");
    assert_eq!(
        process(&project(|_| {}), CHROME_MAC, &no_session).expect_err("no session").reason,
        Reason::InvalidContext
    );
}

#[test]
fn server_side_sampling_keeps_whole_sessions_and_scales_the_rate() {
    let half = project(|p| p.sample_rate = 0.5);
    let mut kept = 0;
    for session in 0..400 {
        let mut body = beacon(&json!([lcp("a", 1000.0)]));
        body["context"]["session_id"] = json!(format!("session-{session}"));
        let batch = process(&half, CHROME_MAC, &body).expect("answered");
        if let Some(record) = batch.records.first() {
            kept += 1;
            assert!((record.context.sample_rate - 0.25).abs() < 1e-9, "client 0.5 × server 0.5");
        }
    }
    assert!((150..250).contains(&kept), "about half of 400 sessions kept, got {kept}");
}

#[test]
fn absurd_sample_rates_cannot_inflate_weights() {
    let mut body = beacon(&json!([lcp("a", 1000.0)]));
    body["context"]["sample_rate"] = json!(1e-12);
    let batch = process(&project(|_| {}), CHROME_MAC, &body).expect("answered");
    assert!((batch.records[0].context.sample_rate - crate::MIN_SAMPLE_RATE).abs() < f64::EPSILON);
    body["context"]["sample_rate"] = json!(-3);
    let batch = process(&project(|_| {}), CHROME_MAC, &body).expect("answered");
    assert!((batch.records[0].context.sample_rate - 1.0).abs() < f64::EPSILON);
}

#[test]
fn custom_event_names_over_the_cap_fold_into_other() {
    let capped = project(|p| p.max_event_names = 3);
    let batch = process(&capped, CHROME_MAC, &custom_events(0, 10)).expect("accepted");
    let names = custom_names(&batch);
    assert_eq!(&names[..4], ["name-0", "name-1", "name-2", "(other)"]);
    assert_eq!(batch.outcomes.get(Reason::EventNameCardinality), 7);
}

#[test]
fn events_of_another_view_keep_their_own_page_and_name() {
    let mut body = beacon(&json!([
        {"id": "old", "kind": "vital", "name": "cls", "value": 0.02, "view_id": "view-0",
         "view_url": "https://shop.test/products/77", "view_name": "product"},
        lcp("new", 900.0),
    ]));
    body["context"]["view_name"] = json!("order");
    let batch = process(&project(|_| {}), CHROME_MAC, &body).expect("accepted");
    assert_eq!(batch.records[0].view_id, "view-0");
    assert_eq!(batch.records[0].page.route, "product");
    assert_eq!(batch.records[0].page.path, "/products/77");
    assert_eq!(batch.records[1].view_id, "view-1");
    assert_eq!(batch.records[1].page.route, "order");
}

#[test]
fn refused_and_dropped_beacons_do_not_use_up_the_caps() {
    let capped = project(|p| {
        p.max_routes = 1;
        p.max_attribute_keys = 1;
        p.allowed_hosts = vec!["shop.test".into()];
    });
    let mut ghost = beacon(&json!([lcp("g", 900.0)]));
    ghost["context"]["url"] = json!("https://ghost.test/spam/path");
    assert!(process(&capped, CHROME_MAC, &ghost).is_err());
    let bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    let mut dropped = beacon(&json!([lcp("b", 900.0)]));
    dropped["context"]["url"] = json!("https://shop.test/bot/path");
    dropped["context"]["attributes"] = json!({"bot_key": 1});
    assert!(process(&capped, bot, &dropped).expect("answered").records.is_empty());

    let mut kept = beacon(&json!([lcp("k", 900.0)]));
    kept["context"]["attributes"] = json!({"plan": "pro"});
    let batch = process(&capped, CHROME_MAC, &kept).expect("accepted");
    assert_eq!(batch.records[0].page.route, "/orders/:id", "the first real route is admitted");
    assert_eq!(batch.records[0].context.attributes.entries.len(), 1, "the first real attribute key is admitted");
}

#[test]
fn over_long_ids_are_refused_not_trimmed() {
    let mut long_session = beacon(&json!([]));
    long_session["context"]["session_id"] = json!("s".repeat(65));
    assert_eq!(
        process(&project(|_| {}), CHROME_MAC, &long_session).expect_err("refused").reason,
        Reason::InvalidContext
    );
    let body = beacon(&json!([{"id": "e".repeat(65), "kind": "custom", "name": "x"}]));
    let batch = process(&project(|_| {}), CHROME_MAC, &body).expect("accepted");
    assert_eq!(batch.outcomes.get(Reason::InvalidEvent), 1);
}

#[test]
fn a_settings_change_keeps_the_names_the_caps_have_seen() {
    let names = |project: &Project, from: usize| {
        let batch = process(project, CHROME_MAC, &custom_events(from, from + 3)).expect("accepted");
        (custom_names(&batch), batch.outcomes.get(Reason::EventNameCardinality))
    };
    let capped = project(|p| p.max_event_names = 3);
    assert_eq!(names(&capped, 0).0, ["name-0", "name-1", "name-2"]);

    // A change from the dashboard (the sample rate): the three names keep the cap full.
    let mut config = capped.config.clone();
    config.sample_rate = 1.0;
    config.drop_bots = !config.drop_bots;
    let changed = capped.renewed(config).expect("valid");
    assert_eq!(names(&changed, 3), (vec!["(other)".to_owned(), "(other)".to_owned(), "(other)".to_owned()], 3));
    assert_eq!(names(&changed, 0).0, ["name-0", "name-1", "name-2"], "known names stay admitted");

    // Other caps (only the configuration file sets them, at a start) count afresh.
    let mut config = changed.config.clone();
    config.max_event_names = 4;
    let recapped = changed.renewed(config).expect("valid");
    assert_eq!(names(&recapped, 3).0, ["name-3", "name-4", "name-5"]);
}
