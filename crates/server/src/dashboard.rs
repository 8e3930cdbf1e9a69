//! The dashboard at `/`: every file of `web/dist/`, built and embedded by `build.rs`
//! (`build/dashboard.rs`), served with a gzip copy and a strong ETag like `/agent.js`.
//!
//! It is a single-page app: any `GET` that names no asset and no server route (`/api/…`,
//! `/ingest/…`, `/agent.js`, `/healthz`, `/readyz`, `/metrics`, `/demo/…`) answers
//! `index.html`, so deep links such as `/errors/abc` work. `index.html` and unhashed files
//! are revalidated on every use (`no-cache`, 304 when unchanged); files whose name carries
//! a content hash (`app-3KQ2ZB7D.js`) may be cached for a year. Every answer carries a
//! strict Content-Security-Policy without inline script, and refuses framing and sniffing.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::api::error::ApiError;

/// One embedded file of `web/dist/`.
#[derive(Debug)]
struct Asset {
    /// Its path under `/`, e.g. `/app.js`.
    path: &'static str,
    /// Its bytes.
    body: &'static [u8],
    /// The same bytes gzip-compressed, when that is smaller.
    gzip: Option<&'static [u8]>,
    /// A strong ETag (quoted) of `body`.
    etag: &'static str,
}

/// Every file of the dashboard build (or the built-in "not built" page).
static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/dashboard_assets.rs"));
/// False when `ASSETS` is only the built-in page that says the dashboard was not built.
static BUILT: bool = include!(concat!(env!("OUT_DIR"), "/dashboard_built.rs"));

/// The policy of every dashboard answer: only this origin's scripts, styles, images,
/// fonts and connections; no inline script, no plugins, no framing, no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// Path prefixes that belong to the server, never to the dashboard.
const SERVER_PREFIXES: &[&str] = &["/api/", "/ingest/", "/demo/"];
/// Exact paths that belong to the server.
const SERVER_PATHS: &[&str] = &["/api", "/ingest", "/demo", "/agent.js", "/healthz", "/readyz", "/metrics"];
/// Extensions of static files: a missing one is a 404, never the app's page.
const FILE_EXTENSIONS: &[&str] =
    &["js", "mjs", "css", "map", "png", "svg", "ico", "jpg", "webp", "woff", "woff2", "json", "txt", "webmanifest"];

/// The router's fallback: an asset, the app's page for a deep link, or a 404.
pub(crate) async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if is_server_path(path) {
        return not_found(path);
    }
    if method != Method::GET && method != Method::HEAD {
        let mut response =
            (StatusCode::METHOD_NOT_ALLOWED, "the dashboard answers GET and HEAD only\n").into_response();
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let asset = match find(path) {
        Some(asset) => asset,
        None if looks_like_a_file(path) => return not_found(path),
        None => index(),
    };
    respond(asset, &headers)
}

/// Whether a built dashboard is embedded (not the built-in "not built" page).
pub fn is_built() -> bool {
    BUILT
}

fn is_server_path(path: &str) -> bool {
    SERVER_PATHS.contains(&path) || SERVER_PREFIXES.iter().any(|prefix| path.starts_with(prefix))
}

fn looks_like_a_file(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    last.rsplit_once('.').is_some_and(|(_, extension)| FILE_EXTENSIONS.contains(&extension))
}

fn find(path: &str) -> Option<&'static Asset> {
    let path = if path == "/" { "/index.html" } else { path };
    ASSETS.iter().find(|asset| asset.path == path)
}

fn index() -> &'static Asset {
    // `build.rs` refuses a build without index.html.
    ASSETS.iter().find(|asset| asset.path == "/index.html").unwrap_or(&ASSETS[0])
}

/// A 404: the API's JSON error under `/api`, plain text elsewhere.
fn not_found(path: &str) -> Response {
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::NotFound.into_response();
    }
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

fn respond(asset: &'static Asset, request: &HeaderMap) -> Response {
    let mut response = if etag_matches(request, asset.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match asset.gzip {
            Some(gzipped) if crate::agent_asset::accepts_gzip(request) => {
                let mut response = gzipped.into_response();
                response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                response
            }
            _ => asset.body.into_response(),
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(asset.path)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control(asset.path)));
    headers.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    add_security_headers(headers);
    response
}

/// The headers every dashboard answer carries.
pub fn add_security_headers(headers: &mut HeaderMap) {
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

fn etag_matches(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map_or("", |(_, extension)| extension) {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A year for files named by their content; revalidation for everything else.
fn cache_control(path: &str) -> &'static str {
    if is_hashed(path) { "public, max-age=31536000, immutable" } else { "no-cache" }
}

/// Whether the file name carries a content hash: a last `-` or `.` separated part of its
/// stem of 8 to 64 letters and digits, with at least one digit (`app-3KQ2ZB7D.js`).
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let Some((stem, _)) = name.rsplit_once('.') else {
        return false;
    };
    let part = stem.rsplit(['-', '.']).next().unwrap_or_default();
    stem != part
        && (8..=64).contains(&part.len())
        && part.bytes().all(|byte| byte.is_ascii_alphanumeric())
        && part.bytes().any(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_told_apart_from_plain_ones() {
        assert!(is_hashed("/app-3KQ2ZB7D.js"));
        assert!(is_hashed("/assets/chunk.a1b2c3d4e5.css"));
        assert!(!is_hashed("/app.js"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/vendor-preact.js"), "no digit: a word, not a hash");
        assert!(!is_hashed("/12345678.js"), "a bare number is a name");
    }

    #[test]
    fn server_paths_never_fall_back_to_the_app() {
        for path in ["/api", "/api/v1/nope", "/api/v2/x", "/ingest/v1/k", "/demo/", "/agent.js", "/metrics"] {
            assert!(is_server_path(path), "{path}");
        }
        for path in ["/", "/errors/abc", "/apis", "/metrics-page", "/sessions/s-1"] {
            assert!(!is_server_path(path), "{path}");
        }
        assert!(looks_like_a_file("/app-OLD12345.js"));
        assert!(!looks_like_a_file("/sessions/1.2.3"));
    }

    #[test]
    fn the_table_has_an_index_page() {
        assert_eq!(index().path, "/index.html");
        assert!(ASSETS.iter().all(|asset| asset.path.starts_with('/') && asset.etag.starts_with('"')));
    }
}
