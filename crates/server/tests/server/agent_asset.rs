//! `GET /agent.js` on the real server over loopback: the embedded browser agent, with the
//! headers a script tag on a customer's page needs (type, caching, revalidation, gzip).

use std::io::Read;

use crate::support::TestServer;
use crate::support::http::request_bytes;
use flate2::read::GzDecoder;

#[tokio::test]
async fn the_agent_is_served_as_javascript_with_short_caching_and_an_etag() {
    let server = TestServer::start_default().await;

    let response = server.get("/agent.js").await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    let cache = response.header("cache-control").expect("cache-control");
    assert!(cache.contains("max-age=300"), "short max-age: {cache}");
    let etag = response.header("etag").expect("etag");
    assert!(etag.starts_with('"') && etag.ends_with('"'), "strong etag: {etag}");
    assert_eq!(response.header("content-encoding"), None, "no Accept-Encoding, no gzip");
    let script = response.text();
    assert!(script.contains("sightline-browser"), "the agent names itself in every beacon");
    assert!(script.contains("/ingest/v1/"), "it posts to the intake");
    assert!(script.contains("largest-contentful-paint"), "it observes LCP");
    // web-vitals' rating spelling (the wire's is `needs_improvement`): its attribution build is inside.
    assert!(script.contains("needs-improvement"), "web-vitals is bundled in");
    assert!(script.len() > 10_000, "a whole bundle, not a placeholder: {} bytes", script.len());
}

#[tokio::test]
async fn browsers_that_accept_gzip_get_the_same_script_compressed() {
    let server = TestServer::start_default().await;
    let plain = server.get("/agent.js").await;

    let request = request_bytes("GET", "/agent.js", &[("Accept-Encoding", "gzip, deflate, br")], b"");
    let response = server.send_raw(&request).await;

    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    assert_eq!(response.header("vary"), Some("Accept-Encoding"));
    assert_eq!(response.header("etag"), plain.header("etag"));
    let mut decoded = Vec::new();
    GzDecoder::new(&response.body[..]).read_to_end(&mut decoded).expect("valid gzip");
    assert_eq!(decoded, plain.body, "the gzip copy is the same script");
    assert!(response.body.len() <= 12 * 1024, "within the 12 KiB gzip budget: {} bytes", response.body.len());
}

#[tokio::test]
async fn a_matching_if_none_match_is_answered_304_without_a_body() {
    let server = TestServer::start_default().await;
    let etag = server.get("/agent.js").await.header("etag").expect("etag").to_owned();

    let response = server.send_raw(&request_bytes("GET", "/agent.js", &[("If-None-Match", &etag)], b"")).await;
    assert_eq!(response.status, 304);
    assert!(response.body.is_empty());
    assert_eq!(response.header("etag"), Some(etag.as_str()));

    let stale = server.send_raw(&request_bytes("GET", "/agent.js", &[("If-None-Match", "\"0\"")], b"")).await;
    assert_eq!(stale.status, 200, "another version's tag gets the script");
}
