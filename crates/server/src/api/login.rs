//! Logging in to the dashboard: `POST`, `GET` and `DELETE /api/v1/session`, the session
//! cookie, and the CSRF check of cookie-authenticated writes.
//!
//! - `POST /api/v1/session` `{"user", "password"}` → 200 `{"user"}` and
//!   `Set-Cookie: sightline_session=…; HttpOnly; SameSite=Strict; Path=/; Max-Age=…`
//!   (`Secure` behind https). Wrong credentials → 401 after a short delay; too many failures
//!   from one client or for one user → 429 with `Retry-After`.
//! - `GET` → 200 `{"user"}` or 401; `DELETE` → 204, the session forgotten, the cookie cleared.
//! - A request authenticated by the cookie whose method is not GET, HEAD or OPTIONS, and
//!   the login itself, must send `X-Sightline-CSRF: 1`, and an `Origin`, when sent, must be
//!   the server's own ([`csrf_guard`]): 403 `csrf_refused` otherwise. Bearer tokens are not
//!   cookies, so a foreign page cannot make a browser send one: they are not checked.

mod throttle;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sightline_ingest::privacy::client_ip::client_ip;
use tokio::sync::Semaphore;

use super::error::ApiError;
use super::sessions::{Session, SessionStore};
use super::users::{UserStore, decoy_hash, epoch_ms, verify_password};
use crate::state::AppState;

pub use throttle::LoginThrottle;

/// The session cookie's name.
pub const COOKIE: &str = "sightline_session";
/// The header a cookie-authenticated write must carry, with the value `1`.
pub const CSRF_HEADER: &str = "x-sightline-csrf";
/// Largest login body, bytes.
const MAX_LOGIN_BYTES: usize = 4096;

/// Users, their sessions and the guard against guessing.
#[derive(Debug)]
pub struct Logins {
    /// Who may log in (`users.json`).
    pub users: UserStore,
    /// Who is logged in.
    pub sessions: SessionStore,
    /// Failed logins per client and per user.
    pub throttle: LoginThrottle,
    /// How long a wrong password waits before its 401.
    pub failure_delay: Duration,
    /// Password checks at once (each takes ~19 MiB and tens of milliseconds).
    hashing: Semaphore,
}

impl Logins {
    /// Logins for the users of `users` and the sessions of `sessions`.
    pub fn new(users: UserStore, sessions: SessionStore) -> Self {
        Self {
            users,
            sessions,
            throttle: LoginThrottle::default(),
            failure_delay: Duration::from_secs(1),
            hashing: Semaphore::new(2),
        }
    }

    /// The live session of `token` whose user still exists and has not changed password since.
    pub fn session(&self, token: &str) -> Option<Session> {
        let session = self.sessions.touch(token, now_ms())?;
        let users = self.users.current();
        let valid = users.get(&session.user).is_some_and(|user| user.password_set_at_ms <= session.created_ms);
        if !valid {
            self.sessions.end(token);
            return None;
        }
        Some(session)
    }
}

/// The body of `POST /api/v1/session`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The user name (`admin` for the first user).
    pub user: String,
    /// The password.
    pub password: String,
}

/// Who is logged in.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SessionInfo {
    /// The user name.
    pub user: String,
}

/// `POST /api/v1/session`: checks the password and begins a session.
pub async fn create(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let logins = logins(&state)?;
    let bytes =
        axum::body::to_bytes(body, MAX_LOGIN_BYTES).await.map_err(|_| ApiError::PayloadTooLarge(MAX_LOGIN_BYTES))?;
    let request: LoginRequest = serde_json::from_slice(&bytes).map_err(|error| {
        ApiError::InvalidRequest(format!("the body must be {{\"user\": \"…\", \"password\": \"…\"}}: {error}"))
    })?;
    let client = login_client(&state, peer, &headers);
    logins.throttle.check(client, &request.user).map_err(ApiError::TooManyAttempts)?;
    if !check_password(logins, &request).await {
        logins.throttle.failed(client, &request.user);
        tracing::warn!(user = %request.user.escape_debug(), %client, "dashboard login refused");
        tokio::time::sleep(logins.failure_delay).await;
        return Err(ApiError::Unauthorized("wrong user name or password".into()));
    }
    logins.throttle.succeeded(client);
    let (token, session) = logins.sessions.create(&request.user, now_ms());
    tracing::info!(user = %session.user, "dashboard login");
    // The browser keeps it as long as a session can last; the server ends it sooner when idle.
    let max_age = super::sessions::ABSOLUTE_MS / 1000;
    let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{}", secure(&headers));
    Ok(with_cookie(Json(SessionInfo { user: session.user }).into_response(), &cookie))
}

/// `GET /api/v1/session`: who the cookie belongs to.
pub async fn current(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Json<SessionInfo>, ApiError> {
    let logins = logins(&state)?;
    let session = session_cookie(&headers).and_then(|token| logins.session(token));
    let session = session.ok_or_else(|| ApiError::Unauthorized("not logged in: POST /api/v1/session".into()))?;
    Ok(Json(SessionInfo { user: session.user }))
}

/// `DELETE /api/v1/session`: forgets the session and clears the cookie.
pub async fn delete(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let logins = logins(&state)?;
    if let Some(token) = session_cookie(&headers) {
        logins.sessions.end(token);
    }
    let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}", secure(&headers));
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), &cookie))
}

fn logins(state: &AppState) -> Result<&Logins, ApiError> {
    let api = state.api.as_ref().ok_or(ApiError::StoreUnavailable)?;
    api.logins.as_ref().ok_or_else(|| {
        ApiError::Unauthorized("this server has no dashboard users: use an API token (`sightline token create`)".into())
    })
}

/// Verifies on the blocking pool, an unknown user against a decoy hash so it takes as long.
async fn check_password(logins: &Logins, request: &LoginRequest) -> bool {
    let Ok(_permit) = logins.hashing.acquire().await else {
        return false;
    };
    let users = logins.users.current();
    let hash = users.get(&request.user).map(|user| user.password_hash.clone());
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| decoy_hash().to_owned());
    let password = request.password.clone();
    let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password)).await.unwrap_or(false);
    matches && known
}

/// The client's address, through trusted proxies only, as the intake reads it.
fn login_client(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> std::net::IpAddr {
    let forwarded: Vec<&str> =
        headers.get_all("x-forwarded-for").iter().filter_map(|value| value.to_str().ok()).collect();
    let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
    client_ip(peer.ip(), forwarded.as_deref(), &state.intake.trusted_proxies)
}

/// `; Secure` when the request came over https (as a proxy in front says).
fn secure(headers: &HeaderMap) -> &'static str {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.split(',').next().is_some_and(|first| first.trim().eq_ignore_ascii_case("https")));
    if https { "; Secure" } else { "" }
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The value of the `sightline_session` cookie, if the request has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .filter(|value| !value.is_empty())
}

/// Middleware of `/api/v1`: a write carried by the session cookie (or the login itself)
/// must carry `X-Sightline-CSRF: 1` and come from the server's own origin, if it says.
pub async fn csrf_guard(request: Request, next: Next) -> Response {
    let method = request.method();
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = request.headers();
    let by_cookie = !headers.contains_key(header::AUTHORIZATION)
        && (session_cookie(headers).is_some() || request.uri().path().ends_with("/session"));
    if safe || !by_cookie {
        return next.run(request).await;
    }
    match check_csrf(headers) {
        Ok(()) => next.run(request).await,
        Err(message) => ApiError::CsrfRefused(message).into_response(),
    }
}

/// The CSRF rule for one request's headers.
fn check_csrf(headers: &HeaderMap) -> Result<(), String> {
    if headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok()) != Some("1") {
        return Err("a write with the session cookie must send the header `X-Sightline-CSRF: 1`".into());
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let origin = origin.to_str().unwrap_or_default();
    let own = !host.is_empty() && (origin == format!("http://{host}") || origin == format!("https://{host}"));
    if own {
        Ok(())
    } else {
        Err(format!("the request comes from another origin ({origin:?}): only the dashboard's own pages may write"))
    }
}

fn now_ms() -> i64 {
    epoch_ms(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (header::HeaderName::from_static(name), HeaderValue::from_static(value)))
            .collect()
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        assert_eq!(session_cookie(&headers(&[("cookie", "a=1; sightline_session=abc; b=2")])), Some("abc"));
        assert_eq!(session_cookie(&headers(&[("cookie", "sightline_session_x=abc")])), None);
        assert_eq!(session_cookie(&headers(&[("cookie", "sightline_session=")])), None);
        assert_eq!(session_cookie(&HeaderMap::new()), None);
    }

    #[test]
    fn writes_need_the_header_and_the_own_origin() {
        assert!(check_csrf(&headers(&[("x-sightline-csrf", "1")])).is_ok());
        assert!(check_csrf(&headers(&[])).is_err());
        assert!(check_csrf(&headers(&[("x-sightline-csrf", "yes")])).is_err());
        let own =
            [("x-sightline-csrf", "1"), ("host", "rum.example.com:8080"), ("origin", "https://rum.example.com:8080")];
        assert!(check_csrf(&headers(&own)).is_ok());
        let foreign = [("x-sightline-csrf", "1"), ("host", "rum.example.com"), ("origin", "https://evil.example")];
        assert!(check_csrf(&headers(&foreign)).is_err());
        assert!(check_csrf(&headers(&[("x-sightline-csrf", "1"), ("host", "a"), ("origin", "null")])).is_err());
    }

    #[test]
    fn secure_only_behind_https() {
        assert_eq!(secure(&headers(&[("x-forwarded-proto", "https")])), "; Secure");
        assert_eq!(secure(&headers(&[("x-forwarded-proto", "http")])), "");
        assert_eq!(secure(&HeaderMap::new()), "");
    }
}
