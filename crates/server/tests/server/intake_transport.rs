//! Hostile transport: bodies too large (as declared, as sent, once inflated),
//! broken or unknown compression, wrong media types, clients too slow to wait
//! for, and bodies that are no beacon at all. Each answer has a status and a
//! reason, is counted, and leaves the server healthy with earlier data intact.

use std::time::{Duration, Instant};

use crate::support::bomb::{gzip_bomb, zlib_bomb};
use crate::support::http::request_bytes;
use crate::support::{
    Beacon, CHROME_UA, RawConnection, SHOP_KEY, SHOP_ORIGIN, ServerOptions, TestServer, deflate, eventually, gzip,
    ingest_path, peak_resident_memory_bytes,
};
use tokio::io::AsyncWriteExt;

/// Headers of a browser posting JSON to the shop, without framing.
fn browser_headers() -> Vec<(&'static str, &'static str)> {
    vec![("Content-Type", "application/json"), ("User-Agent", CHROME_UA), ("Origin", SHOP_ORIGIN)]
}

/// The browser's headers, with `extra` added or replacing them.
fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut headers: Vec<(&str, &str)> = browser_headers();
    headers.retain(|(name, _)| !extra.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)));
    headers.extend_from_slice(extra);
    headers
}

#[tokio::test]
async fn a_declared_length_of_a_terabyte_is_refused_before_the_body_is_read() {
    // The body deadline is long, so an answer within seconds proves the server did not wait for the body.
    let server = ServerOptions::default().intake(|intake| intake.body_timeout_secs = 30).start().await;
    let seed = server.seed().await;
    let mut connection = RawConnection::open(server.addr).await;
    let head = request_bytes("POST", &ingest_path(SHOP_KEY), &with(&[("Content-Length", "1000000000000")]), b"{\"co");
    let started = Instant::now();

    connection.write(&head).await.expect("send headers and a few bytes");
    let response = connection.read_response(Duration::from_secs(10)).await;

    assert!(started.elapsed() < Duration::from_secs(5), "answered in {:?}", started.elapsed());
    response.assert_error(413, "payload_too_large");
    assert_eq!(response.header("connection"), Some("close"));
    assert!(connection.closed_within(Duration::from_secs(2)).await, "the connection is closed, the body never read");
    assert_eq!(server.outcome_count("shop", "payload_too_large").await, 1);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_with_413_while_it_is_still_being_sent() {
    let server = ServerOptions::default().intake(|intake| intake.max_body_bytes = 64 * 1024).start().await;
    let seed = server.seed().await;
    // A valid beacon, padded with an unknown field to twice the cap, honestly framed.
    let padding = "x".repeat(128 * 1024);
    let body = Beacon::realistic().with_context("padding", serde_json::json!(padding)).to_bytes();
    let (mut reader, mut writer) = RawConnection::open(server.addr).await.split();

    let request = request_bytes("POST", &ingest_path(SHOP_KEY), &browser_headers(), &body);
    let sending = tokio::spawn(async move { writer.write_all(&request).await });
    let response = reader.read_response(Duration::from_secs(5)).await;

    response.assert_error(413, "payload_too_large");
    sending.abort();
    assert_eq!(server.outcome_count("shop", "payload_too_large").await, 1);
    assert_eq!(server.records().len(), seed.ids.len(), "nothing of the refused beacon stored");
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn an_endless_chunked_body_is_cut_off_at_the_cap_and_the_connection_closed() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let (mut reader, mut writer) = RawConnection::open(server.addr).await.split();
    let head = request_bytes("POST", &ingest_path(SHOP_KEY), &with(&[("Transfer-Encoding", "chunked")]), b"");
    // Sends 8 KiB chunks until the server hangs up, or gives up at 256 MiB.
    let sending = tokio::spawn(async move {
        let mut chunk = b"2000\r\n".to_vec();
        chunk.extend(std::iter::repeat_n(b' ', 0x2000));
        chunk.extend(b"\r\n");
        let mut sent = 0usize;
        writer.write_all(&head).await.expect("send the head");
        while sent < 256 << 20 {
            if writer.write_all(&chunk).await.is_err() {
                return sent;
            }
            sent += 0x2000;
        }
        sent
    });

    let response = reader.read_response(Duration::from_secs(10)).await;

    response.assert_error(413, "payload_too_large");
    let sent = tokio::time::timeout(Duration::from_secs(10), sending)
        .await
        .expect("the server hangs up on the endless body")
        .expect("sender task");
    assert!(sent < 64 << 20, "the server stopped reading soon after the 1 MiB cap, yet took {sent} bytes");
    assert_eq!(server.outcome_count("shop", "payload_too_large").await, 1);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_gzip_bomb_is_refused_with_413_and_memory_stays_flat() {
    // A 1 GiB bomb is ~1 MiB compressed: the raw cap is raised so the decompression cap is what stops it.
    let server = ServerOptions::default().intake(|intake| intake.max_body_bytes = 2 << 20).start().await;
    let seed = server.seed().await;
    for (encoding, bomb) in [("gzip", gzip_bomb(1024)), ("deflate", zlib_bomb(1024))] {
        assert!(bomb.len() < 2 << 20, "{encoding} bomb of {} bytes fits the raw cap", bomb.len());
        assert_inflates_past(&bomb, encoding, 64 << 20);
        let peak_before = peak_resident_memory_bytes();

        let response = server.post(&ingest_path(SHOP_KEY), &with(&[("Content-Encoding", encoding)]), &bomb).await;

        let grown = peak_resident_memory_bytes().saturating_sub(peak_before);
        assert!(grown < 100 << 20, "the {encoding} bomb raised the peak memory by {} MiB", grown >> 20);
        response.assert_error(413, "payload_too_large");
    }
    assert_eq!(server.outcome_count("shop", "payload_too_large").await, 2);
    server.assert_survived(&seed).await;
}

/// The bomb really inflates past `at_least` bytes (streamed, so the check itself stays small).
fn assert_inflates_past(bomb: &[u8], encoding: &str, at_least: u64) {
    use std::io::Read;
    let decoder: Box<dyn Read + '_> = match encoding {
        "gzip" => Box::new(flate2::read::GzDecoder::new(bomb)),
        _ => Box::new(flate2::read::ZlibDecoder::new(bomb)),
    };
    let inflated = std::io::copy(&mut decoder.take(at_least), &mut std::io::sink()).expect("the bomb inflates");
    assert_eq!(inflated, at_least, "the {encoding} bomb inflates past {at_least} bytes");
}

#[tokio::test]
async fn corrupt_and_truncated_compressed_bodies_are_refused_as_invalid_compression() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let body = Beacon::realistic().to_bytes();
    let zipped = gzip(&body);
    let deflated = deflate(&body);
    let mut flipped = zipped.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    let raw_deflate = deflated[2..deflated.len() - 4].to_vec();
    let cases: [(&str, &str, Vec<u8>); 6] = [
        ("gzip truncated", "gzip", zipped[..zipped.len() / 2].to_vec()),
        ("gzip with a flipped byte", "gzip", flipped),
        ("plain JSON labelled gzip", "gzip", body.clone()),
        ("deflate truncated", "deflate", deflated[..deflated.len() / 2].to_vec()),
        ("raw deflate without the zlib wrapper", "deflate", raw_deflate),
        ("gzip labelled deflate", "deflate", zipped),
    ];

    for (case, encoding, bytes) in &cases {
        let response = server.post(&ingest_path(SHOP_KEY), &with(&[("Content-Encoding", encoding)]), bytes).await;
        assert_eq!(response.status, 400, "{case}: {}", response.text());
        assert_eq!(response.error_code(), "invalid_compression", "{case}");
    }

    assert_eq!(server.outcome_count("shop", "invalid_compression").await, cases.len() as u64);
    assert_eq!(server.records().len(), seed.ids.len(), "no part of a refused batch is stored");
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn unknown_content_encodings_are_refused_with_415() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let body = gzip(&Beacon::realistic().to_bytes());

    for encoding in ["br", "zstd", "compress", "gzip, br"] {
        let response = server.post(&ingest_path(SHOP_KEY), &with(&[("Content-Encoding", encoding)]), &body).await;
        response.assert_error(415, "unsupported_encoding");
    }
    let by_query = server.post(&format!("{}?encoding=br", ingest_path(SHOP_KEY)), &browser_headers(), &body).await;
    by_query.assert_error(415, "unsupported_encoding");

    assert_eq!(server.outcome_count("shop", "unsupported_encoding").await, 5);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn the_encoding_query_flag_serves_compressed_send_beacon_bodies() {
    let server = TestServer::start_default().await;
    let send_beacon =
        [("Content-Type", "text/plain;charset=UTF-8"), ("User-Agent", CHROME_UA), ("Origin", SHOP_ORIGIN)];

    for (flag, compress) in [("gzip", gzip as fn(&[u8]) -> Vec<u8>), ("deflate", deflate)] {
        let beacon = Beacon::realistic();
        let path = format!("{}?encoding={flag}", ingest_path(SHOP_KEY));

        let response = server.post(&path, &send_beacon, &compress(&beacon.to_bytes())).await;

        assert_eq!(response.accepted_dropped(), (10, 0), "?encoding={flag}");
        assert_eq!(server.records_with_ids(&beacon.event_ids()).len(), 10, "?encoding={flag}");
    }
}

#[tokio::test]
async fn form_and_other_media_types_are_refused_with_415() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let body = Beacon::realistic().to_bytes();

    for media_type in ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/html"] {
        let response = server.post(&ingest_path(SHOP_KEY), &with(&[("Content-Type", media_type)]), &body).await;
        assert_eq!(response.status, 415, "{media_type}: {}", response.text());
        assert_eq!(response.error_code(), "unsupported_media_type", "{media_type}");
    }

    assert_eq!(server.outcome_count("shop", "unsupported_media_type").await, 3);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_client_sending_one_byte_a_second_gets_408_and_is_disconnected() {
    let server = TestServer::start_default().await; // 2 s body deadline
    let seed = server.seed().await;
    let body = Beacon::realistic().to_bytes();
    let (mut reader, mut writer) = RawConnection::open(server.addr).await.split();
    let length = body.len().to_string();
    let head = request_bytes("POST", &ingest_path(SHOP_KEY), &with(&[("Content-Length", &length)]), b"");
    let started = Instant::now();
    let dripping = tokio::spawn(async move {
        writer.write_all(&head).await.expect("send the head");
        for byte in body.iter().take(30) {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });

    let response = reader.read_response(Duration::from_secs(10)).await;

    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(1900) && waited < Duration::from_secs(6), "answered after {waited:?}");
    response.assert_error(408, "request_timeout");
    assert_eq!(response.header("connection"), Some("close"));
    assert!(reader.closed_within(Duration::from_secs(2)).await, "the server closes the connection");
    dripping.abort();
    let metrics = server.metrics().await;
    assert_eq!(metrics.outcome("shop", "request_timeout"), 1);
    assert_eq!(metrics.slow_clients(), 1, "counted once as a slow client");
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn an_endless_chunked_body_sent_slowly_gets_408() {
    let server = TestServer::start_default().await; // 2 s body deadline
    let seed = server.seed().await;
    let (mut reader, mut writer) = RawConnection::open(server.addr).await.split();
    let head = request_bytes("POST", &ingest_path(SHOP_KEY), &with(&[("Transfer-Encoding", "chunked")]), b"");
    let dripping = tokio::spawn(async move {
        writer.write_all(&head).await.expect("send the head");
        for _ in 0..100 {
            if writer.write_all(b"1\r\n \r\n").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });

    let response = reader.read_response(Duration::from_secs(10)).await;

    response.assert_error(408, "request_timeout");
    assert!(reader.closed_within(Duration::from_secs(2)).await, "the server closes the connection");
    dripping.abort();
    let metrics = server.metrics().await;
    assert_eq!(metrics.outcome("shop", "request_timeout"), 1);
    assert_eq!(metrics.slow_clients(), 1);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn headers_that_never_end_get_the_connection_closed_after_the_header_timeout() {
    let server = ServerOptions::default().intake(|intake| intake.header_timeout_secs = 1).start().await;
    let seed = server.seed().await;
    let (mut reader, mut writer) = RawConnection::open(server.addr).await.split();
    let started = Instant::now();
    let dripping = tokio::spawn(async move {
        let head = format!("POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", ingest_path(SHOP_KEY));
        writer.write_all(head.as_bytes()).await.expect("send the start of the head");
        for _ in 0..50 {
            if writer.write_all(b"a").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });

    assert!(reader.closed_within(Duration::from_secs(5)).await, "the server hangs up on the endless head");

    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900), "closed after {waited:?}, before the header timeout");
    dripping.abort();
    eventually(Duration::from_secs(2), "the slow client is counted", || async {
        server.metrics().await.slow_clients() == 1
    })
    .await;
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn empty_and_shapeless_bodies_are_refused_with_a_reason() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let cases: [(&[u8], &str); 7] = [
        (b"", "empty_body"),
        (b" \r\n\t ", "empty_body"),
        (b"{}", "invalid_context"),
        (b"[]", "invalid_json"),
        (b"null", "invalid_json"),
        (b"\"beacon\"", "invalid_json"),
        (b"{\"context\":", "invalid_json"),
    ];

    for (body, code) in cases {
        let response = server.post(&ingest_path(SHOP_KEY), &browser_headers(), body).await;
        assert_eq!(response.status, 400, "{:?}: {}", String::from_utf8_lossy(body), response.text());
        assert_eq!(response.error_code(), code, "{:?}", String::from_utf8_lossy(body));
    }

    let metrics = server.metrics().await;
    assert_eq!(metrics.outcome("shop", "empty_body"), 2);
    assert_eq!(metrics.outcome("shop", "invalid_context"), 1);
    assert_eq!(metrics.outcome("shop", "invalid_json"), 4);
    server.assert_survived(&seed).await;
}
