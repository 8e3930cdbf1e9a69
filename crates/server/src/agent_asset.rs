//! `GET /agent.js`: the browser agent, served first-party from the binary.
//!
//! `build.rs` bundles `agent/` with esbuild and gzips it at build time; both copies and a
//! strong ETag of the bytes are embedded here. Browsers that accept gzip get the gzip copy.
//! The answer may be cached for five minutes and is then revalidated with `If-None-Match`
//! (304), so a new release reaches pages within minutes without re-downloading unchanged bytes.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The minified IIFE bundle.
static AGENT_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/agent.js"));
/// The same bytes, gzip-compressed.
static AGENT_JS_GZ: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/agent.js.gz"));
/// A strong ETag (quoted) of `AGENT_JS`.
static ETAG: &str = include_str!(concat!(env!("OUT_DIR"), "/agent.etag"));

/// How long browsers and CDNs may use the script before revalidating it.
const CACHE_CONTROL: &str = "public, max-age=300, stale-while-revalidate=3600";

/// Serves the agent, honouring `If-None-Match` and `Accept-Encoding: gzip`.
pub(crate) async fn agent_js(headers: HeaderMap) -> Response {
    let mut response = if etag_matches(&headers) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if accepts_gzip(&headers) {
        let mut response = AGENT_JS_GZ.into_response();
        response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        response
    } else {
        AGENT_JS.into_response()
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    response_headers.insert(header::ETAG, HeaderValue::from_static(ETAG));
    response_headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response_headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Pages that isolate themselves (COEP) may still load it from the collector's origin.
    response_headers.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    response
}

/// `If-None-Match` lists the current ETag (or `*`).
fn etag_matches(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == ETAG))
}

/// `Accept-Encoding` names gzip without `q=0`.
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|value| value.to_str().ok()).any(|value| {
        value.split(',').any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|param| param.replace(' ', "").eq_ignore_ascii_case("q=0"));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (name.clone(), HeaderValue::from_static(value))).collect()
    }

    #[test]
    fn gzip_is_chosen_only_when_accepted() {
        assert!(accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "gzip, deflate, br")])));
        assert!(accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "br;q=1.0, GZIP;q=0.5")])));
        assert!(!accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "gzip;q=0, br")])));
        assert!(!accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "identity")])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn the_embedded_bundle_is_the_agent() {
        assert!(std::str::from_utf8(AGENT_JS).is_ok(), "agent.js is UTF-8");
        assert!(ETAG.starts_with('"') && ETAG.ends_with('"'));
        assert!(AGENT_JS_GZ.len() < AGENT_JS.len());
    }
}
