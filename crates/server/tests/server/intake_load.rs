//! More work than the server takes at once: beacons in flight past
//! `max_concurrent_beacons` get `503 overloaded` at once, CPU-bound work waits for
//! one of `max_parallel_processing` permits, and past `max_connections` nothing more
//! is accepted until a connection closes.

use std::time::Duration;

use crate::support::http::{self, ANSWER_TIMEOUT, request_bytes};
use crate::support::{
    Beacon, CHROME_UA, RawConnection, SHOP_KEY, SHOP_ORIGIN, ServerOptions, eventually, gzip, ingest_path,
};

/// How long a request that must wait is watched to make sure it does wait.
const STILL_WAITING: Duration = Duration::from_millis(500);

/// The bytes of a shop beacon as a browser posts it, plus `extra` headers.
fn shop_request(body: &[u8], extra: &[(&str, &str)]) -> Vec<u8> {
    let mut headers = vec![("Content-Type", "application/json"), ("User-Agent", CHROME_UA), ("Origin", SHOP_ORIGIN)];
    headers.extend_from_slice(extra);
    request_bytes("POST", &ingest_path(SHOP_KEY), &headers, body)
}

#[tokio::test]
async fn past_the_beacons_in_flight_cap_a_beacon_gets_503_overloaded_with_retry_after() {
    let server = ServerOptions::default().intake(|intake| intake.max_concurrent_beacons = 1).start().await;
    let seed = server.seed().await;
    // A body that never arrives holds the only permit until its deadline (2 s).
    let mut slow = RawConnection::open(server.addr).await;
    let head = shop_request(b"{", &[("Content-Length", "5000"), ("Connection", "keep-alive")]);
    slow.write(&head).await.expect("start a body that never finishes");
    eventually(Duration::from_secs(5), "the slow beacon holds the permit", || async {
        server.state.beacons_in_flight.available_permits() == 0
    })
    .await;

    let refused = Beacon::realistic();
    let response = server.post_beacon(&refused).await;

    response.assert_error(503, "overloaded");
    assert_eq!(response.header("retry-after"), Some("1"));
    assert!(response.header("access-control-expose-headers").is_some_and(|h| h.contains("Retry-After")));
    assert_eq!(server.outcome_count("shop", "overloaded").await, 1);
    assert!(server.records_with_ids(&refused.event_ids()).is_empty());
    slow.read_response(Duration::from_secs(5)).await.assert_error(408, "request_timeout");
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn processing_waits_for_a_free_permit_on_the_inline_and_the_blocking_path() {
    let server = ServerOptions::default().intake(|intake| intake.max_parallel_processing = 1).start().await;
    let small = Beacon::new().with_event(crate::support::event::custom("inline"));
    let compressed = Beacon::realistic();
    let cases = [
        ("small identity body, processed inline", shop_request(&small.to_bytes(), &[])),
        (
            "gzip body, processed on the blocking pool",
            shop_request(&gzip(&compressed.to_bytes()), &[("Content-Encoding", "gzip")]),
        ),
    ];

    for (case, request) in cases {
        let held = server.state.processing.acquire().await.expect("the only processing permit");
        let addr = server.addr;
        let mut answer = tokio::spawn(async move { http::send(addr, &request).await });

        assert!(
            tokio::time::timeout(STILL_WAITING, &mut answer).await.is_err(),
            "{case}: processed while no permit was free"
        );
        drop(held);
        let response = tokio::time::timeout(ANSWER_TIMEOUT, answer).await.expect("answered").expect("task");
        assert_eq!(response.status, 202, "{case}: {}", response.text());
    }
    assert_eq!(server.records_with_ids(&small.event_ids()).len(), 1);
    assert_eq!(server.records_with_ids(&compressed.event_ids()).len(), 10);
}

#[tokio::test]
async fn past_the_connection_cap_nothing_is_accepted_until_a_connection_closes() {
    let server = ServerOptions::default()
        .intake(|intake| {
            intake.max_connections = 2;
            intake.header_timeout_secs = 30;
        })
        .start()
        .await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut connection = RawConnection::open(server.addr).await;
        connection.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.expect("start a head");
        open.push(connection);
    }

    // The kernel completes the handshake (backlog), but the server does not accept it.
    let mut waiting = RawConnection::open(server.addr).await;
    waiting.write(&request_bytes("GET", "/healthz", &[], b"")).await.expect("send a request");
    assert!(
        tokio::time::timeout(STILL_WAITING, waiting.read_response(ANSWER_TIMEOUT)).await.is_err(),
        "a third connection was served beside two open ones"
    );

    drop(open.pop());
    let response = waiting.read_response(Duration::from_secs(5)).await;
    assert_eq!(response.status, 200, "served once a connection closed: {}", response.text());
}
