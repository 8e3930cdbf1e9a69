//! Hostile content: bytes that are not UTF-8, JSON nested to blow the stack,
//! batches and maps far over their caps, strings of megabytes, absurd times and
//! vitals, duplicates, unknown and malformed events. The beacon is refused with a
//! reason when it is unusable as a whole; otherwise each bad part is dropped or
//! trimmed, counted, and marked on the stored record.

use crate::support::beacon::unique;
use crate::support::{Beacon, ServerOptions, TestServer, event, now_ms};
use serde_json::{Value, json};
use sightline_protocol::{CustomEvent, EventBody, EventRecord, QualityFlags};

fn custom(record: &EventRecord) -> &CustomEvent {
    match &record.body {
        EventBody::Custom(custom) => custom,
        other => panic!("expected a custom event, got {other:?}"),
    }
}

/// A vital of its own view (so that the one-per-view rule does not interfere).
fn vital_of_new_view(name: &str, value: Value) -> Value {
    let mut vital = event::vital(name, 1.0);
    vital["value"] = value;
    vital["view_id"] = json!(unique("view"));
    vital
}

#[tokio::test]
async fn invalid_utf8_is_refused_whole_never_repaired() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let valid = Beacon::new().with_event(event::error("MARKER")).to_bytes();
    let marker = valid.windows(6).position(|w| w == b"MARKER").expect("marker in the body");
    let invalid_sequences: [&[u8]; 4] = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xe2\x82"];

    for sequence in invalid_sequences {
        let mut body = valid.clone();
        body.splice(marker..marker + 6, sequence.iter().copied());
        let response = server.post_body(crate::support::SHOP_KEY, &body, &[]).await;
        response.assert_error(400, "invalid_utf8");
    }

    assert_eq!(server.outcome_count("shop", "invalid_utf8").await, 4);
    assert_eq!(server.records().len(), seed.ids.len());
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_lone_surrogate_escape_drops_only_its_event() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let good = event::custom("kept");
    let body = Beacon::new().with_event(event::error("PLACEHOLDER")).with_event(good.clone()).to_bytes();
    let body = String::from_utf8(body).expect("utf-8").replace("PLACEHOLDER", r"broken \ud800 escape");

    let response = server.post_body(crate::support::SHOP_KEY, body.as_bytes(), &[]).await;

    assert_eq!(response.accepted_dropped(), (1, 1));
    assert_eq!(server.outcome_count("shop", "invalid_event").await, 1);
    server.record(good["id"].as_str().expect("id"));
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn nesting_a_hundred_thousand_levels_deep_is_refused_as_too_deep() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let depth = 100_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let beacon = Beacon::realistic().to_json().to_string();
    let inject = |at: &str, value: String| {
        assert!(beacon.contains(at), "{at} in the beacon");
        beacon.replacen(at, &format!("{at}{value}"), 1)
    };
    let cases = [
        ("as an event", inject(r#""events":["#, format!("{deep},"))),
        ("in an unknown top-level field", inject("{", format!(r#""x":{deep},"#))),
        ("in an unknown context field", inject(r#""context":{"#, format!(r#""x":{deep},"#))),
        ("in a context attribute", inject(r#""context":{"#, format!(r#""attributes":{{"a":{deep}}},"#))),
        ("in an unknown field of an event", inject(r#""events":[{"#, format!(r#""x":{deep},"#))),
    ];

    let mut not_refused = Vec::new();
    for (case, body) in &cases {
        assert!(body.len() > 2 * depth, "{case}: the deep value is in the body");
        let response = server.post_body(crate::support::SHOP_KEY, body.as_bytes(), &[]).await;
        if response.status != 400 || response.error_code() != "too_deep" {
            not_refused.push(format!("{case}: {} {}", response.status, response.text()));
        }
    }

    assert!(not_refused.is_empty(), "not refused as 400 too_deep:\n{}", not_refused.join("\n"));
    assert_eq!(server.outcome_count("shop", "too_deep").await, cases.len() as u64);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_million_events_in_one_beacon_keep_the_first_500_and_count_the_rest() {
    let server = ServerOptions::default().intake(|intake| intake.max_decompressed_bytes = 64 << 20).start().await;
    let seed = server.seed().await;
    let total = 1_000_000;
    let first: Vec<Value> = (0..500).map(|_| event::custom("tick")).collect();
    let kept_ids: Vec<String> = first.iter().map(|e| e["id"].as_str().expect("id").to_owned()).collect();
    let head = Beacon::new().with_events(first).to_json().to_string();
    let tiny = r#",{"id":"again","kind":"custom","name":"tick"}"#;
    let insert_at = head.rfind("]").expect("end of the events array");
    let mut body = String::with_capacity(head.len() + tiny.len() * total);
    body.push_str(&head[..insert_at]);
    (500..total).for_each(|_| body.push_str(tiny));
    body.push_str(&head[insert_at..]);

    let response = server.post_gzipped(body.as_bytes()).await;

    assert_eq!(response.accepted_dropped(), (500, 999_500));
    assert_eq!(server.outcome_count("shop", "too_many_events").await, 999_500);
    assert_eq!(server.records_with_ids(&kept_ids).len(), 500, "the first 500 are stored");
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn an_event_with_a_hundred_thousand_attributes_keeps_64() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let attributes: serde_json::Map<String, Value> = (0..100_000).map(|i| (format!("k{i:06}"), json!(i))).collect();
    let mut bloated = event::custom("bloated");
    bloated["attributes"] = Value::Object(attributes);
    let id = bloated["id"].as_str().expect("id").to_owned();

    let response = server.post_gzipped(&Beacon::new().with_event(bloated).to_bytes()).await;

    assert_eq!(response.accepted_dropped(), (1, 0));
    let record = server.record(&id);
    assert_eq!(custom(&record).attributes.entries.len(), 64);
    assert_eq!(custom(&record).attributes.entries[63].0, "k000063", "the first 64, in order");
    assert!(record.quality.has(QualityFlags::ATTRIBUTES_DROPPED));
    assert_eq!(server.outcome_count("shop", "attribute_dropped").await, 100_000 - 64);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_64_kib_event_name_is_trimmed_to_256_bytes_at_a_character_boundary() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let ascii = event::custom(&"n".repeat(64 * 1024));
    let euros = event::custom(&"€".repeat(64 * 1024 / 3)); // 3 bytes each: 256 is not a boundary

    let response = server.post_beacon(&Beacon::new().with_events([ascii.clone(), euros.clone()])).await;

    assert_eq!(response.accepted_dropped(), (2, 0));
    let ascii = server.record(ascii["id"].as_str().expect("id"));
    assert_eq!(custom(&ascii).name, "n".repeat(256));
    assert!(ascii.quality.has(QualityFlags::TRIMMED));
    let euros = server.record(euros["id"].as_str().expect("id"));
    assert_eq!(custom(&euros).name, "€".repeat(85), "255 bytes: cut before the character that would cross 256");
    assert!(euros.quality.has(QualityFlags::TRIMMED));
    assert_eq!(server.outcome_count("shop", "field_trimmed").await, 2);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_10_mb_error_message_is_trimmed_to_4096_bytes() {
    let server = ServerOptions::default().intake(|intake| intake.max_decompressed_bytes = 16 << 20).start().await;
    let seed = server.seed().await;
    let message = "Uncaught RangeError: Maximum call stack size exceeded. ".repeat(10_000_000 / 55);
    let error = event::error(&message);

    let response = server.post_gzipped(&Beacon::new().with_event(error.clone()).to_bytes()).await;

    assert_eq!(response.accepted_dropped(), (1, 0));
    let record = server.record(error["id"].as_str().expect("id"));
    let EventBody::Error(stored) = &record.body else { panic!("expected an error event") };
    assert_eq!(stored.message.len(), 4096);
    assert!(message.starts_with(&stored.message), "the start of the message is kept");
    assert!(record.quality.has(QualityFlags::TRIMMED));
    assert_eq!(server.outcome_count("shop", "field_trimmed").await, 1);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_1_mb_request_url_is_trimmed_to_2048_bytes_and_marked() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let long_path = "segment/".repeat(1_000_000 / 8);
    let request = event::request(&format!("https://shop.example.com/api/{long_path}"));

    let response = server.post_gzipped(&Beacon::new().with_event(request.clone()).to_bytes()).await;

    assert_eq!(response.accepted_dropped(), (1, 0));
    let record = server.record(request["id"].as_str().expect("id"));
    let EventBody::Request(stored) = &record.body else { panic!("expected a request event") };
    assert!(stored.url.len() <= 2048, "stored URL of {} bytes", stored.url.len());
    assert!(
        stored.url.starts_with("https://shop.example.com/api/segment/segment/"),
        "the start of the URL is kept, got {:?}",
        &stored.url[..stored.url.len().min(80)]
    );
    assert!(record.quality.has(QualityFlags::TRIMMED), "marked trimmed, flags {:?}", record.quality.names());
    assert_eq!(server.outcome_count("shop", "field_trimmed").await, 1);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_1_mb_page_url_is_trimmed_to_2048_bytes_and_marked() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let long_path = "segment/".repeat(1_000_000 / 8);
    let beacon = Beacon::on(&format!("https://shop.example.com/{long_path}")).with_event(event::custom("deep_page"));

    let response = server.post_gzipped(&beacon.to_bytes()).await;

    assert_eq!(response.status, 202, "a long page URL is trimmed, not refused: {}", response.text());
    let record = server.record(&beacon.event_ids()[0]);
    assert!(record.page.url.len() <= 2048, "stored page URL of {} bytes", record.page.url.len());
    assert!(record.page.url.starts_with("https://shop.example.com/segment/segment/"));
    assert!(record.quality.has(QualityFlags::TRIMMED), "marked trimmed, flags {:?}", record.quality.names());
    assert!(server.outcome_count("shop", "field_trimmed").await >= 1);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn absurd_event_times_end_up_inside_the_accepted_window() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let now = now_ms().round();
    let at = |ts: f64| {
        let mut event = event::custom("timed");
        event.as_object_mut().expect("object").remove("t");
        event["ts"] = json!(ts);
        event
    };
    let year_9999 = at(253_402_000_000_000.0);
    let two_days_ago = at(now - 48.0 * 3_600_000.0);
    let negative = at(-5.0);
    let zero = at(0.0);
    let a_second_ago = at(now - 1_000.0);
    let beacon = Beacon::new().without_context("time_origin").sent_at(None).with_events([
        year_9999.clone(),
        two_days_ago.clone(),
        negative.clone(),
        zero.clone(),
        a_second_ago.clone(),
    ]);

    let response = server.post_beacon(&beacon).await;

    assert_eq!(response.accepted_dropped(), (5, 0));
    let stored = |event: &Value| server.record(event["id"].as_str().expect("id"));
    for event in [&year_9999, &two_days_ago, &negative, &zero, &a_second_ago] {
        let record = stored(event);
        let window = record.context.received_at_ms - 24 * 3_600_000..=record.context.received_at_ms + 60_000;
        assert!(window.contains(&record.timestamp_ms), "ts {} stored at {}", event["ts"], record.timestamp_ms);
    }
    for clamped in [&year_9999, &two_days_ago] {
        let record = stored(clamped);
        assert_eq!(record.timestamp_ms, record.context.received_at_ms, "clamped to the receive time");
        assert!(record.quality.has(QualityFlags::TIMESTAMP_CLAMPED));
    }
    for unusable in [&negative, &zero] {
        // Not a usable time: set to the receive time, and marked like any other clamp.
        let record = stored(unusable);
        assert_eq!(record.timestamp_ms, record.context.received_at_ms);
        assert!(record.quality.has(QualityFlags::TIMESTAMP_CLAMPED));
    }
    let recent = stored(&a_second_ago);
    assert_eq!(recent.timestamp_ms, now as i64 - 1_000, "a sane time is kept as sent");
    assert!(recent.quality.0 & (QualityFlags::TIMESTAMP_CLAMPED | QualityFlags::CLOCK_CORRECTED) == 0);
    assert_eq!(server.outcome_count("shop", "timestamp_clamped").await, 4);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_device_clock_a_month_off_is_corrected_by_the_server_clock() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let month_ms = 30.0 * 24.0 * 3_600_000.0;
    for device_offset in [-month_ms, month_ms] {
        let device_now = now_ms().round() + device_offset;
        let mut event = event::custom("skewed");
        event.as_object_mut().expect("object").remove("t");
        event["ts"] = json!(device_now - 1_000.0);
        let beacon = Beacon::new().without_context("time_origin").sent_at(Some(device_now)).with_event(event);

        let response = server.post_beacon(&beacon).await;

        assert_eq!(response.accepted_dropped(), (1, 0));
        let record = server.record(&beacon.event_ids()[0]);
        assert_eq!(
            record.timestamp_ms,
            record.context.received_at_ms - 1_000,
            "one second before it was sent, by the server clock"
        );
        assert!(record.quality.has(QualityFlags::CLOCK_CORRECTED));
        assert!(!record.quality.has(QualityFlags::TIMESTAMP_CLAMPED));
    }
    assert_eq!(server.outcome_count("shop", "timestamp_clamped").await, 0);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn vitals_out_of_range_are_dropped_and_counted() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let sane = vital_of_new_view("lcp", json!(2400.0));
    let beacon = Beacon::new().with_events([
        vital_of_new_view("lcp", json!(-5.0)),
        vital_of_new_view("lcp", json!(1e12)),
        vital_of_new_view("cls", json!(1e9)),
        vital_of_new_view("inp", json!(-0.001)),
        sane.clone(),
    ]);

    let response = server.post_beacon(&beacon).await;

    assert_eq!(response.accepted_dropped(), (1, 4));
    assert_eq!(server.outcome_count("shop", "vital_out_of_range").await, 4);
    server.record(sane["id"].as_str().expect("id"));
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn an_out_of_range_vital_does_not_shadow_a_valid_one_of_the_same_view() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let valid = event::vital("lcp", 2400.0);
    let beacon = Beacon::new().with_events([event::vital("lcp", -5.0), valid.clone()]);

    let response = server.post_beacon(&beacon).await;

    assert_eq!(response.accepted_dropped(), (1, 1));
    server.record(valid["id"].as_str().expect("id"));
    let metrics = server.metrics().await;
    assert_eq!(metrics.outcome("shop", "vital_out_of_range"), 1);
    assert_eq!(metrics.outcome("shop", "duplicate_vital"), 0);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn ten_thousand_lcps_for_one_view_store_one() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let vitals: Vec<Value> = (0..10_000).map(|i| event::vital("lcp", 1000.0 + f64::from(i))).collect();
    let first = vitals[0]["id"].as_str().expect("id").to_owned();
    let beacon = Beacon::new().with_events(vitals);

    let response = server.post_gzipped(&beacon.to_bytes()).await;

    assert_eq!(response.accepted_dropped(), (1, 9_999));
    let metrics = server.metrics().await;
    assert_eq!(metrics.outcome("shop", "too_many_events"), 9_500, "over the 500-event batch cap");
    assert_eq!(metrics.outcome("shop", "duplicate_vital"), 499, "the rest of the first 500");
    let stored = server.records_with_ids(&beacon.event_ids());
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].event_id, first, "the first value of the view wins");
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn the_same_beacon_sent_twice_is_accepted_twice_and_stored_once() {
    let server = TestServer::start_default().await;
    let beacon = Beacon::realistic();

    let first = server.post_beacon(&beacon).await;
    let retry = server.post_beacon(&beacon).await;

    assert_eq!(first.accepted_dropped(), (10, 0));
    assert_eq!(retry.accepted_dropped(), (10, 0), "a retry is not an error: the agent must not resend again");
    // The store drops events whose (project, event id) it stored recently.
    for id in beacon.event_ids() {
        assert_eq!(server.records_with_ids(std::slice::from_ref(&id)).len(), 1, "{id} is stored once");
    }
    assert_eq!(server.metrics().await.sum("sightline_store_duplicates_dropped_total", &[]), 10.0);
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_repeated_event_id_within_a_beacon_keeps_the_first() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let first = event::custom("first");
    let mut second = event::custom("second");
    second["id"] = first["id"].clone();

    let response = server.post_beacon(&Beacon::new().with_events([first.clone(), second])).await;

    assert_eq!(response.accepted_dropped(), (1, 1));
    assert_eq!(custom(&server.record(first["id"].as_str().expect("id"))).name, "first");
    assert_eq!(server.outcome_count("shop", "duplicate_event_id").await, 1);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn unknown_event_kinds_are_dropped_and_the_rest_stored() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let known = [event::view(), event::custom("kept")];
    let beacon = Beacon::new().with_events([
        known[0].clone(),
        json!({ "id": unique("mobile"), "kind": "app_start", "t": 10.0, "duration": 830.0, "cold": true }),
        json!({ "id": unique("mobile"), "kind": "crash", "t": 20.0, "message": "SIGSEGV" }),
        known[1].clone(),
    ]);

    let response = server.post_beacon(&beacon).await;

    assert_eq!(response.accepted_dropped(), (2, 2));
    assert_eq!(server.outcome_count("shop", "unknown_event_kind").await, 2);
    for event in &known {
        server.record(event["id"].as_str().expect("id"));
    }
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn malformed_events_are_dropped_alone() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let without = |mut event: Value, field: &str| {
        event.as_object_mut().expect("object").remove(field);
        event
    };
    let with = |mut event: Value, field: &str, value: Value| {
        event[field] = value;
        event
    };
    let good = event::custom("kept");
    let beacon = Beacon::new().with_events([
        without(event::vital("lcp", 1.0), "value"),
        without(event::error("x"), "message"),
        with(event::request("https://shop.example.com/api"), "duration", json!("slow")),
        with(event::error("x"), "line", json!(1.5)),
        with(event::vital("lcp", 1.0), "name", json!("lcp2")),
        without(event::custom("no kind"), "kind"),
        json!(42),
        json!(null),
        without(event::custom("no id"), "id"),
        with(event::custom("empty id"), "id", json!("")),
        with(event::custom("binary id"), "id", json!("id\u{0}with\u{7f}controls")),
        good.clone(),
    ]);

    let response = server.post_beacon(&beacon).await;

    assert_eq!(response.accepted_dropped(), (1, 11));
    let metrics = server.metrics().await;
    // An id that is there but empty or not printable makes the event invalid; only a missing one is missing.
    assert_eq!(metrics.outcome("shop", "invalid_event"), 10, "{:?}", metrics.outcomes_of("shop"));
    assert_eq!(metrics.outcome("shop", "missing_event_id"), 1);
    server.record(good["id"].as_str().expect("id"));
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn an_event_that_is_an_array_is_invalid_not_an_unknown_kind() {
    // `unknown_event_kind` tells operators a newer agent sends kinds this server lacks;
    // garbage must not inflate it.
    let server = TestServer::start_default().await;
    let beacon = Beacon::new().with_events([json!(["app_start", "id-1"]), event::custom("kept")]);

    let response = server.post_beacon(&beacon).await;

    assert_eq!(response.accepted_dropped(), (1, 1));
    let metrics = server.metrics().await;
    assert_eq!(metrics.outcome("shop", "invalid_event"), 1, "{:?}", metrics.outcomes_of("shop"));
    assert_eq!(metrics.outcome("shop", "unknown_event_kind"), 0);
}

#[tokio::test]
async fn a_future_protocol_version_is_refused_whole() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let mut beacon = Beacon::realistic().to_json();
    beacon["v"] = json!(2);

    let response = server.post_body(crate::support::SHOP_KEY, beacon.to_string().as_bytes(), &[]).await;

    response.assert_error(400, "unsupported_version");
    assert_eq!(server.outcome_count("shop", "unsupported_version").await, 1);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_leading_byte_order_mark_is_ignored() {
    let server = TestServer::start_default().await;
    let beacon = Beacon::realistic();
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(beacon.to_bytes());

    let response = server.post_body(crate::support::SHOP_KEY, &body, &[]).await;

    assert_eq!(response.accepted_dropped(), (10, 0));
}
