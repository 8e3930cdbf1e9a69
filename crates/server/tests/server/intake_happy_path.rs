//! The intake's promise to a well-behaved agent: every way a browser sends a
//! beacon is accepted with `202 {"accepted":N,"dropped":0}`, and what is stored
//! is clean and enriched.

use crate::support::{Beacon, CHROME_UA, SHOP_KEY, SHOP_ORIGIN, TestServer, deflate, event, gzip, ingest_path};
use sightline_protocol::{DeviceClass, EventBody, EventKind, QualityFlags, Rating};

#[tokio::test]
async fn a_json_beacon_is_stored_enriched_and_answered_with_counts() {
    let server = TestServer::start_default().await;
    let beacon = Beacon::realistic();

    let response = server.post_beacon(&beacon).await;

    assert_eq!(response.status, 202, "{}", response.text());
    assert_eq!(response.json(), serde_json::json!({ "accepted": 10, "dropped": 0 }));
    let records = server.records();
    assert_eq!(records.len(), 10);
    for record in &records {
        assert_eq!(record.context.project, "shop");
        assert_eq!(record.context.session_id, beacon.session_id());
        assert_eq!(record.context.client.browser, "Chrome", "browser from the Chrome user agent");
        assert_eq!(record.context.client.browser_version, "131");
        assert_eq!(record.context.client.os, "Windows");
        assert_eq!(record.context.client.device_class, DeviceClass::Desktop);
        assert_eq!(record.page.host, "shop.example.com");
        assert_eq!(
            record.page.url, "https://shop.example.com/products/4711?utm_source=newsletter",
            "allow-listed query kept, `coupon` and the fragment dropped"
        );
        assert_eq!(record.page.route, "/products/:id", "route derived from the path");
        assert_eq!(record.context.referrer_host.as_deref(), Some("www.google.com"));
        assert_eq!(record.quality, QualityFlags::default(), "nothing had to be changed: {:?}", record.quality.names());
        let window = record.context.received_at_ms - 24 * 3_600_000..=record.context.received_at_ms + 60_000;
        assert!(window.contains(&record.timestamp_ms), "event time inside the accepted window");
    }
    let request = records.iter().find(|r| r.body.kind() == EventKind::Request).expect("the request event");
    let EventBody::Request(request) = &request.body else { unreachable!("kind checked") };
    assert_eq!(request.url, "https://shop.example.com/api/cart", "request query dropped");
    let lcp = records
        .iter()
        .find_map(|r| match &r.body {
            EventBody::Vital(vital) if vital.name == sightline_protocol::VitalName::Lcp => Some(vital),
            _ => None,
        })
        .expect("the LCP");
    assert_eq!(lcp.rating, Some(Rating::Good), "rating recomputed by the server");
}

#[tokio::test]
async fn a_send_beacon_text_plain_body_is_accepted() {
    let server = TestServer::start_default().await;
    let beacon = Beacon::realistic();

    let response = server
        .post(
            &ingest_path(SHOP_KEY),
            &[("Content-Type", "text/plain;charset=UTF-8"), ("User-Agent", CHROME_UA), ("Origin", SHOP_ORIGIN)],
            &beacon.to_bytes(),
        )
        .await;

    assert_eq!(response.accepted_dropped(), (10, 0));
    assert_eq!(server.records_with_ids(&beacon.event_ids()).len(), 10);
}

#[tokio::test]
async fn gzip_and_deflate_bodies_announced_by_content_encoding_are_accepted() {
    let server = TestServer::start_default().await;
    for (encoding, compress) in [("gzip", gzip as fn(&[u8]) -> Vec<u8>), ("deflate", deflate)] {
        let beacon = Beacon::realistic();

        let response = server
            .post(
                &ingest_path(SHOP_KEY),
                &[
                    ("Content-Type", "application/json"),
                    ("Content-Encoding", encoding),
                    ("User-Agent", CHROME_UA),
                    ("Origin", SHOP_ORIGIN),
                ],
                &compress(&beacon.to_bytes()),
            )
            .await;

        assert_eq!(response.accepted_dropped(), (10, 0), "{encoding}");
        assert_eq!(server.records_with_ids(&beacon.event_ids()).len(), 10, "{encoding}");
    }
}

#[tokio::test]
async fn a_small_gzip_body_that_inflates_past_the_inline_limit_is_still_accepted_whole() {
    // Under 8 KiB compressed, over 32 KiB of JSON: inflated on the worker up to its limit,
    // then processed again from the start in the blocking pool.
    let server = TestServer::start_default().await;
    let events = (0..300).map(|n| event::custom(&format!("step-{n}")));
    let beacon = Beacon::realistic().with_events(events);
    let (json, body) = (beacon.to_bytes(), gzip(&beacon.to_bytes()));
    assert!(json.len() > 32 * 1024 && body.len() < 8 * 1024, "{} JSON, {} gzip", json.len(), body.len());

    let response = server
        .post(
            &ingest_path(SHOP_KEY),
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
                ("User-Agent", CHROME_UA),
                ("Origin", SHOP_ORIGIN),
            ],
            &body,
        )
        .await;

    assert_eq!(response.accepted_dropped(), (310, 0));
    assert_eq!(server.records_with_ids(&beacon.event_ids()).len(), 310);
}

#[tokio::test]
async fn metrics_count_accepted_events_by_kind_and_requests_by_route_and_status() {
    let server = TestServer::start_default().await;
    for _ in 0..3 {
        assert_eq!(server.post_beacon(&Beacon::realistic()).await.status, 202);
    }

    let metrics = server.metrics().await;

    for (kind, per_beacon) in [
        ("view", 1),
        ("vital", 3),
        ("error", 1),
        ("request", 1),
        ("resource", 1),
        ("long_animation_frame", 1),
        ("action", 1),
        ("custom", 1),
    ] {
        assert_eq!(metrics.events_accepted("shop", kind), 3 * per_beacon, "events_accepted_total for {kind}");
    }
    let posts = [("route", "/ingest/v1/{project_key}"), ("method", "POST"), ("status", "202")];
    assert_eq!(metrics.sum("sightline_http_requests_total", &posts), 3.0);
    assert_eq!(metrics.sum("sightline_beacons_accepted_total", &[("project", "shop")]), 3.0);
    assert!(metrics.outcomes_of("shop").is_empty(), "nothing dropped: {:?}", metrics.outcomes_of("shop"));
}

#[tokio::test]
async fn the_documented_example_beacon_is_accepted_whole_with_times_moved_to_today() {
    let server = TestServer::start_default().await;
    let example = include_str!("../../../protocol/tests/example_beacon.json");
    let android_chrome = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

    let response = server
        .post(
            &ingest_path(SHOP_KEY),
            &[("Content-Type", "text/plain;charset=UTF-8"), ("User-Agent", android_chrome), ("Origin", SHOP_ORIGIN)],
            example.as_bytes(),
        )
        .await;

    assert_eq!(response.json(), serde_json::json!({ "accepted": 10, "dropped": 0 }));
    let records = server.records();
    assert_eq!(records.len(), 10);
    for record in &records {
        assert_eq!(record.page.route, "product", "route from view_name");
        assert_eq!(record.page.url, "https://shop.example.com/products/4711?utm_source=newsletter");
        assert_eq!(record.context.client.device_class, DeviceClass::Mobile);
        assert!((record.context.sample_rate - 0.25).abs() < 1e-9);
        assert!(record.quality.has(QualityFlags::CLOCK_CORRECTED), "sent_at is from 2026-01-01: drift corrected");
        assert!(!record.quality.has(QualityFlags::TIMESTAMP_CLAMPED), "corrected, not clamped");
        assert!(record.timestamp_ms <= record.context.received_at_ms + 60_000);
        assert!(record.timestamp_ms >= record.context.received_at_ms - 60_000, "shifted to about now");
    }
}
