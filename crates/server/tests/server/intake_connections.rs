//! Abuse of the connection itself, below the beacon: requests smuggled inside
//! refused bodies, framing headers that contradict each other, oversized heads,
//! a crowd of slow clients, and probing that could mint metric labels.

use std::time::{Duration, Instant};

use crate::support::http::request_bytes;
use crate::support::{
    Beacon, CHROME_UA, RawConnection, SHOP_KEY, SHOP_ORIGIN, ServerOptions, TestServer, event, eventually, ingest_path,
};

#[tokio::test]
async fn the_body_of_a_refused_request_is_never_read_as_a_request() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let smuggled = Beacon::new().with_event(event::custom("smuggled"));
    let inner = request_bytes(
        "POST",
        &ingest_path(SHOP_KEY),
        &[("Content-Type", "application/json"), ("User-Agent", CHROME_UA), ("Connection", "keep-alive")],
        &smuggled.to_bytes(),
    );
    let cases = [
        ("unsupported media type", ingest_path(SHOP_KEY), "text/html", 415),
        ("unknown key", ingest_path("pk_no_such_project_99"), "application/json", 403),
    ];

    for (case, path, content_type, status) in cases {
        let mut connection = RawConnection::open(server.addr).await;
        let outer = request_bytes(
            "POST",
            &path,
            &[("Content-Type", content_type), ("User-Agent", CHROME_UA), ("Connection", "keep-alive")],
            &inner,
        );
        connection.write(&outer).await.expect("send the request");
        assert_eq!(connection.read_response(Duration::from_secs(10)).await.status, status, "{case}");

        // Whatever the server made of the refused body, the next answer on this
        // connection is to the next request, or there is none (connection closed).
        let _ = connection.write(&request_bytes("GET", "/healthz", &[], b"")).await;
        if let Some(next) = connection.next_response(Duration::from_secs(10)).await {
            assert_eq!((next.status, next.json()), (200, serde_json::json!({ "status": "ok" })), "{case}");
        }
    }

    assert!(server.records_with_ids(&smuggled.event_ids()).is_empty(), "the smuggled beacon was processed");
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn contradicting_framing_headers_are_refused_and_nothing_is_stored() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let beacon = Beacon::realistic();
    let body = beacon.to_bytes();
    let length = body.len().to_string();
    let cases = [
        ("two lengths", vec![("Content-Length", length.as_str()), ("Content-Length", "10")]),
        ("a negative length", vec![("Content-Length", "-1")]),
        ("a length that is no number", vec![("Content-Length", "1e3")]),
        ("an unknown transfer coding", vec![("Transfer-Encoding", "gzip")]),
    ];

    for (case, framing) in cases {
        let mut headers =
            vec![("Content-Type", "application/json"), ("User-Agent", CHROME_UA), ("Origin", SHOP_ORIGIN)];
        headers.extend(framing);
        let response = server.send_raw(&request_bytes("POST", &ingest_path(SHOP_KEY), &headers, &body)).await;
        assert_eq!(response.status, 400, "{case}: {}", response.text());
    }

    assert!(server.records_with_ids(&beacon.event_ids()).is_empty());
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn an_oversized_header_block_is_refused_and_the_server_stays_healthy() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let junk = "x".repeat(1 << 20);
    let many: Vec<(String, String)> = (0..2000).map(|i| (format!("X-Junk-{i}"), "y".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let body = Beacon::realistic().to_bytes();

    for (case, headers) in [("one 1 MiB header", vec![("X-Junk", junk.as_str())]), ("2000 headers", many)] {
        let mut connection = RawConnection::open(server.addr).await;
        let _ = connection.write(&request_bytes("POST", &ingest_path(SHOP_KEY), &headers, &body)).await;
        let response = connection.read_response(Duration::from_secs(10)).await;
        assert_eq!(response.status, 431, "{case}: {}", response.text());
    }

    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_crowd_of_slow_clients_does_not_starve_the_others() {
    let server = TestServer::start_default().await; // 2 s header deadline
    let seed = server.seed().await;
    let mut crowd = Vec::new();
    for _ in 0..100 {
        let mut connection = RawConnection::open(server.addr).await;
        let head = format!("POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", ingest_path(SHOP_KEY));
        connection.write(head.as_bytes()).await.expect("start a head");
        crowd.push(connection);
    }
    let started = Instant::now();

    server.assert_survived(&seed).await;

    assert!(started.elapsed() < Duration::from_secs(2), "served in {:?} beside 100 stalled clients", started.elapsed());
    for connection in &mut crowd {
        assert!(connection.closed_within(Duration::from_secs(5)).await, "every stalled client is cut off");
    }
    eventually(Duration::from_secs(2), "every stalled client is counted", || async {
        server.metrics().await.slow_clients() == 100
    })
    .await;
}

#[tokio::test]
async fn probing_keys_and_paths_never_adds_metric_labels() {
    let server = TestServer::start_default().await;
    let probes: Vec<String> = (0..50).map(|i| format!("pk_probe_{i:04}_zzqx")).collect();

    for key in &probes {
        let response = server.post(&ingest_path(key), &[("Content-Type", "application/json")], b"{}").await;
        response.assert_error(403, "forbidden");
    }
    for key in probes.iter().take(10) {
        // Outside the server's own paths, a GET is a deep link into the dashboard.
        assert_eq!(server.get(&format!("/{key}/admin")).await.status, 200);
        assert_eq!(server.get(&ingest_path(key)).await.status, 405);
    }
    // Any token is a valid method: one made up per request must not mint a series each.
    for i in 0..30 {
        let method = format!("ZZQX{i:03}");
        for path in ["/healthz", "/metrics", "/no/such/path"] {
            let response = server.send_raw(&request_bytes(&method, path, &[], b"")).await;
            assert!((400..500).contains(&response.status), "{method} {path}: {}", response.status);
        }
    }

    let metrics = server.metrics().await;
    let text = server.get("/metrics").await.text();
    assert!(!text.to_ascii_lowercase().contains("zzqx"), "a probed key, path or method became a label");
    let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "other"];
    let other_requests = metrics.sum("sightline_http_requests_total", &[("method", "other")]);
    assert_eq!(other_requests, 90.0, "made-up methods are counted, under `other`");
    for sample in &metrics.samples {
        for (name, value) in &sample.labels {
            match name.as_str() {
                "method" => assert!(methods.contains(&value.as_str()), "method {value}"),
                "project" => assert!(["shop", "blog", "off", "(unknown)"].contains(&value.as_str()), "project {value}"),
                "route" => assert!(
                    ["/ingest/v1/{project_key}", "/healthz", "/readyz", "/metrics", "(unmatched)"]
                        .contains(&value.as_str()),
                    "route {value}"
                ),
                _ => {}
            }
        }
    }
    assert_eq!(metrics.outcome("(unknown)", "forbidden"), 50);
}

#[tokio::test]
async fn a_64_kib_user_agent_is_parsed_from_its_start_without_delay() {
    let server = TestServer::start_default().await;
    let user_agent = format!("{CHROME_UA} {}", "(compatible; padding) ".repeat(3000));
    let beacon = Beacon::realistic();
    let started = Instant::now();

    let response = server.post_beacon_with(SHOP_KEY, &beacon, &[("User-Agent", &user_agent)]).await;

    assert!(started.elapsed() < Duration::from_secs(2), "answered in {:?}", started.elapsed());
    assert_eq!(response.accepted_dropped(), (10, 0));
    assert_eq!(server.record(&beacon.event_ids()[0]).context.client.browser, "Chrome");
}

#[tokio::test]
async fn a_slow_client_on_a_short_deadline_does_not_hold_the_next_one() {
    let server = ServerOptions::default().intake(|intake| intake.body_timeout_secs = 1).start().await;
    let mut slow = RawConnection::open(server.addr).await;
    let head = request_bytes("POST", &ingest_path(SHOP_KEY), &[("Content-Length", "5000")], b"{");
    slow.write(&head).await.expect("start a body that never finishes");

    let response = server.post_beacon(&Beacon::realistic()).await;

    assert_eq!(response.accepted_dropped(), (10, 0), "served while another body is pending");
    slow.read_response(Duration::from_secs(5)).await.assert_error(408, "request_timeout");
}
