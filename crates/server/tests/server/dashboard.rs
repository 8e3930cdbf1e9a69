//! The dashboard's server side against the real server on a loopback port: the embedded
//! app and its headers, logging in and out, the session cookie on the API, CSRF refusals,
//! sessions and ingest health kept across a restart, project settings changed by an admin.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::support::http::{self, Response, request_bytes};
use crate::support::{Beacon, CHROME_UA, GOOGLEBOT_UA, SHOP_KEY, SHOP_ORIGIN, ServerOptions, event, now_ms};
use serde_json::{Value, json};
use sightline_ingest::Pipeline;
use sightline_ingest::enrich::Enricher;
use sightline_server::api::login::Logins;
use sightline_server::api::sessions::{self, SessionStore};
use sightline_server::api::tokens::TokenFile;
use sightline_server::api::users::{UserFile, UserStore};
use sightline_server::outcome_history::{self, OutcomeHistory};
use sightline_server::project_settings::ProjectSettings;
use sightline_server::{Api, ApiConfig, AppState, IntakeConfig, Metrics, ProjectRegistry, dashboard};
use sightline_store::{EmbeddedStore, EmbeddedStoreOptions, Store, Tables};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const PASSWORD: &str = "correct horse battery";
const CSRF: (&str, &str) = ("X-Sightline-CSRF", "1");

/// A running server over a data directory that outlives it.
struct Server {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Makes a data directory with the user `admin` and an every-project token.
fn data_dir() -> (TempDir, String) {
    let dir = tempfile::tempdir().expect("data directory");
    let mut users = UserFile::default();
    users.create("admin", PASSWORD, SystemTime::now()).expect("user");
    users.save(&UserFile::path(dir.path())).expect("user file");
    let mut tokens = TokenFile::default();
    let token = tokens.create("admin", None, SystemTime::now()).expect("token");
    tokens.save(&TokenFile::path(dir.path())).expect("token file");
    (dir, token)
}

impl Server {
    /// Starts the server on `dir`, wired as `sightline serve` wires it.
    async fn start(dir: &Path) -> Self {
        let (store, _) = EmbeddedStore::open(dir, &EmbeddedStoreOptions::default()).expect("store");
        let store = Arc::new(store);
        let now = now_ms() as i64;
        let mut logins =
            Logins::new(UserStore::new(UserFile::path(dir)), SessionStore::open(dir.join(sessions::FILE_NAME), now));
        logins.failure_delay = Duration::from_millis(300);
        let tables = Arc::new(Arc::clone(&store)) as Arc<dyn Tables>;
        let api = Api::new(ApiConfig::default(), tables, TokenFile::path(dir)).expect("api").with_logins(logins);
        let intake = IntakeConfig { header_timeout_secs: 5, body_timeout_secs: 5, ..IntakeConfig::default() };
        let metrics = Arc::new(Metrics::new());
        let history = OutcomeHistory::open(dir.join(outcome_history::FILE_NAME), now);
        let mut projects = ServerOptions::default().projects;
        let settings = ProjectSettings::open(dir, &mut projects).expect("project settings");
        let retention_store = Arc::clone(&store);
        let settings = settings.on_retention(Box::new(move |days| retention_store.set_retention(days)));
        let state = Arc::new(
            AppState::new(
                intake.clone(),
                ProjectRegistry::new(projects).expect("projects"),
                Pipeline::new(Enricher::new(None)),
                store as Arc<dyn Store>,
                Arc::clone(&metrics),
            )
            .with_api(api)
            .with_outcome_history(history)
            .with_project_settings(settings),
        );
        let router = sightline_server::router(Arc::clone(&state));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("loopback port");
        let addr = listener.local_addr().expect("address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let stopped = async {
                let _ = stop.await;
            };
            sightline_server::listener::serve(listener, router, &intake, metrics, stopped).await
        });
        Self { addr, state, shutdown: Some(shutdown), task }
    }

    /// Stops it as `sightline serve` does at SIGTERM: connections closed, state saved.
    async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let task = std::mem::replace(&mut self.task, tokio::spawn(async { Ok(()) }));
        task.await.expect("the server task").expect("served");
        self.state.save();
        self.state.store.close().await;
    }

    async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        http::send(self.addr, &request_bytes(method, path, headers, body)).await
    }

    async fn login(&self, user: &str, password: &str, extra: &[(&str, &str)]) -> Response {
        let body = json!({"user": user, "password": password}).to_string();
        let mut headers = vec![("Content-Type", "application/json")];
        headers.extend_from_slice(extra);
        self.send("POST", "/api/v1/session", &headers, body.as_bytes()).await
    }

    /// Logs in as admin and returns the `Cookie` header value.
    async fn cookie(&self) -> String {
        let answer = self.login("admin", PASSWORD, &[CSRF]).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        let set_cookie = answer.header("set-cookie").expect("a cookie");
        set_cookie.split(';').next().expect("name=value").to_owned()
    }

    async fn post_beacon(&self, beacon: &Beacon, user_agent: &str) -> Response {
        let headers = [("Content-Type", "application/json"), ("User-Agent", user_agent), ("Origin", SHOP_ORIGIN)];
        self.send("POST", &format!("/ingest/v1/{SHOP_KEY}"), &headers, &beacon.to_bytes()).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

fn views_query() -> Vec<u8> {
    let now = now_ms() as i64;
    json!({"shape": "values", "range": {"from": now - 3_600_000, "to": now + 60_000},
           "tiles": [{"metric": "page_views", "statistic": "count"}]})
    .to_string()
    .into_bytes()
}

fn page_views(answer: &Response) -> f64 {
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()["values"][0]["value"].as_f64().unwrap_or_else(|| panic!("no value: {}", answer.text()))
}

#[tokio::test]
async fn login_sets_a_strict_cookie_and_logout_forgets_the_session() {
    let (dir, _) = data_dir();
    let server = Server::start(dir.path()).await;
    let answer = server.login("admin", PASSWORD, &[CSRF]).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json(), json!({"user": "admin"}));
    let set_cookie = answer.header("set-cookie").expect("a cookie").to_owned();
    let value = set_cookie.strip_prefix("sightline_session=").and_then(|rest| rest.split(';').next()).expect("value");
    assert_eq!(value.len(), 43, "32 random bytes, base64url: {set_cookie}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.split("; ").any(|part| part == flag), "{flag} in {set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
    let stored = std::fs::read_to_string(dir.path().join(sessions::FILE_NAME)).expect("sessions saved");
    assert!(!stored.contains(value), "only the hash is kept");

    let behind_tls = server.login("admin", PASSWORD, &[CSRF, ("X-Forwarded-Proto", "https")]).await;
    assert!(behind_tls.header("set-cookie").is_some_and(|cookie| cookie.contains("; Secure")));

    let cookie = format!("sightline_session={value}");
    let me = server.send("GET", "/api/v1/session", &[("Cookie", &cookie)], b"").await;
    assert_eq!((me.status, me.json()), (200, json!({"user": "admin"})));
    let out = server.send("DELETE", "/api/v1/session", &[("Cookie", &cookie), CSRF], b"").await;
    assert_eq!(out.status, 204, "{}", out.text());
    assert!(out.header("set-cookie").is_some_and(|c| c.starts_with("sightline_session=;") && c.contains("Max-Age=0")));
    server.send("GET", "/api/v1/session", &[("Cookie", &cookie)], b"").await.assert_error(401, "unauthorized");
    server.send("GET", "/api/v1/projects", &[("Cookie", &cookie)], b"").await.assert_error(401, "unauthorized");
    server.send("GET", "/api/v1/session", &[], b"").await.assert_error(401, "unauthorized");
}

#[tokio::test]
async fn wrong_passwords_are_refused_after_a_delay_and_then_throttled() {
    let (dir, _) = data_dir();
    let server = Server::start(dir.path()).await;
    let started = Instant::now();
    let wrong = server.login("admin", "not the password", &[CSRF]).await;
    wrong.assert_error(401, "unauthorized");
    assert!(wrong.header("set-cookie").is_none());
    assert!(started.elapsed() >= Duration::from_millis(300), "a failure waits before its answer");
    server.login("nobody", PASSWORD, &[CSRF]).await.assert_error(401, "unauthorized");
    server.login("admin", "", &[CSRF]).await.assert_error(401, "unauthorized");
    let not_json = server.send("POST", "/api/v1/session", &[CSRF], b"user=admin").await;
    not_json.assert_error(400, "invalid_request");
    for _ in 3..10 {
        server.login("admin", "guess", &[CSRF]).await.assert_error(401, "unauthorized");
    }
    let throttled = server.login("admin", PASSWORD, &[CSRF]).await;
    throttled.assert_error(429, "too_many_attempts");
    let retry_after: u64 = throttled.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
}

#[tokio::test]
async fn a_session_survives_a_restart() {
    let (dir, _) = data_dir();
    let server = Server::start(dir.path()).await;
    let cookie = server.cookie().await;
    server.stop().await;
    let again = Server::start(dir.path()).await;
    let me = again.send("GET", "/api/v1/session", &[("Cookie", &cookie)], b"").await;
    assert_eq!((me.status, me.json()), (200, json!({"user": "admin"})), "{}", me.text());

    // A new password ends the sessions opened before it.
    let path = UserFile::path(dir.path());
    let mut users = UserFile::load(&path).expect("users");
    tokio::time::sleep(Duration::from_millis(5)).await;
    users.set_password("admin", "another good password", SystemTime::now()).expect("set");
    users.save(&path).expect("saved");
    crate::support::eventually(Duration::from_secs(5), "the old session ends", || {
        let (again, cookie) = (&again, &cookie);
        async move { again.send("GET", "/api/v1/session", &[("Cookie", cookie)], b"").await.status == 401 }
    })
    .await;
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_header_and_the_own_origin_while_tokens_do_not() {
    let (dir, token) = data_dir();
    let server = Server::start(dir.path()).await;
    let body = views_query();
    let path = "/api/v1/query?project=shop";

    let refused = server.login("admin", PASSWORD, &[]).await;
    refused.assert_error(403, "csrf_refused");
    assert!(refused.json()["error"]["message"].as_str().is_some_and(|m| m.contains("X-Sightline-CSRF")));
    let foreign = server.login("admin", PASSWORD, &[CSRF, ("Origin", "https://evil.example")]).await;
    foreign.assert_error(403, "csrf_refused");

    let cookie = server.cookie().await;
    let cookie = ("Cookie", cookie.as_str());
    server.send("POST", path, &[cookie], &body).await.assert_error(403, "csrf_refused");
    let evil = [cookie, CSRF, ("Origin", "https://evil.example")];
    server.send("POST", path, &evil, &body).await.assert_error(403, "csrf_refused");
    let null = [cookie, CSRF, ("Origin", "null")];
    server.send("POST", path, &null, &body).await.assert_error(403, "csrf_refused");
    server.send("DELETE", "/api/v1/session", &[cookie], b"").await.assert_error(403, "csrf_refused");
    assert_eq!(page_views(&server.send("POST", path, &[cookie, CSRF], &body).await), 0.0);
    let own = [cookie, CSRF, ("Origin", "http://127.0.0.1")];
    assert_eq!(page_views(&server.send("POST", path, &own, &body).await), 0.0);
    // Reads need no header.
    assert_eq!(server.send("GET", "/api/v1/projects", &[cookie], b"").await.status, 200);

    // A bearer token is not a cookie: no header needed, whatever the origin.
    let bearer = format!("Bearer {token}");
    let with_token = [("Authorization", bearer.as_str()), ("Origin", "https://elsewhere.example")];
    assert_eq!(page_views(&server.send("POST", path, &with_token, &body).await), 0.0);
}

#[tokio::test]
async fn a_session_reads_every_project_and_keys_still_never_read() {
    let (dir, token) = data_dir();
    let server = Server::start(dir.path()).await;
    let beacon = Beacon::new().with_events([event::view(), event::vital("lcp", 1200.0)]);
    assert_eq!(server.post_beacon(&beacon, CHROME_UA).await.status, 202);
    let cookie = server.cookie().await;
    let with_cookie = [("Cookie", cookie.as_str()), CSRF];
    let shop = server.send("POST", "/api/v1/query?project=shop", &with_cookie, &views_query()).await;
    assert_eq!(page_views(&shop), 1.0);
    let blog = server.send("POST", "/api/v1/query?project=blog", &with_cookie, &views_query()).await;
    assert_eq!(page_views(&blog), 0.0);
    server.send("POST", "/api/v1/query", &with_cookie, &views_query()).await.assert_error(400, "invalid_request");
    let projects = server.send("GET", "/api/v1/projects", &with_cookie, b"").await.json();
    assert_eq!(projects["projects"].as_array().map(Vec::len), Some(3), "{projects}");
    let sql = json!({"sql": "SELECT count(*) AS n FROM view"}).to_string();
    let rows = server.send("POST", "/api/v1/sql?project=shop", &with_cookie, sql.as_bytes()).await;
    assert_eq!(rows.json()["rows"], json!([[1]]), "{}", rows.text());

    let bearer = format!("Bearer {token}");
    let by_token =
        server.send("POST", "/api/v1/query?project=shop", &[("Authorization", &bearer)], &views_query()).await;
    assert_eq!(page_views(&by_token), 1.0);
    let key = format!("Bearer {SHOP_KEY}");
    let by_key = server.send("POST", "/api/v1/query?project=shop", &[("Authorization", &key)], &views_query()).await;
    by_key.assert_error(401, "ingest_key_cannot_read");
    let key_cookie = format!("sightline_session={SHOP_KEY}");
    let forged = server.send("GET", "/api/v1/projects", &[("Cookie", &key_cookie)], b"").await;
    forged.assert_error(401, "unauthorized");
}

#[tokio::test]
async fn the_app_is_served_with_a_strict_policy_and_deep_links_fall_back_to_it() {
    let (dir, _) = data_dir();
    let server = Server::start(dir.path()).await;
    let root = server.send("GET", "/", &[], b"").await;
    let deep = server.send("GET", "/errors/abc?range=7d", &[], b"").await;
    for answer in [&root, &deep] {
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(answer.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(answer.header("content-security-policy"), Some(dashboard::CONTENT_SECURITY_POLICY));
        assert!(!dashboard::CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(answer.header("referrer-policy"), Some("same-origin"));
        assert_eq!(answer.header("x-frame-options"), Some("DENY"));
        assert_eq!(answer.header("cache-control"), Some("no-cache"));
        assert!(answer.text().to_ascii_lowercase().contains("<!doctype html>"), "{}", answer.text());
    }
    assert_eq!(root.body, deep.body, "a deep link is the app's page");
    let etag = root.header("etag").expect("an ETag").to_owned();
    let again = server.send("GET", "/sessions/s-1", &[("If-None-Match", &etag)], b"").await;
    assert_eq!(again.status, 304);
    let gzipped = server.send("GET", "/", &[("Accept-Encoding", "gzip")], b"").await;
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));

    if dashboard::is_built() {
        let html = root.text();
        let script =
            html.split("src=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a script in index.html");
        let script = server.send("GET", &format!("/{}", script.trim_start_matches('/')), &[], b"").await;
        assert_eq!(script.status, 200);
        assert_eq!(script.header("content-type"), Some("text/javascript; charset=utf-8"));
        assert!(script.header("content-security-policy").is_some());
        assert!(!html.contains("<script>"), "no inline script: {html}");
    }

    let nope = server.send("GET", "/api/v1/nope", &[], b"").await;
    nope.assert_error(404, "not_found");
    server.send("GET", "/api/v2/anything", &[], b"").await.assert_error(404, "not_found");
    assert_eq!(server.send("GET", "/app-MISSING1.js", &[], b"").await.status, 404);
    assert_eq!(server.send("GET", "/demo/page", &[], b"").await.status, 404);
    assert_eq!(server.send("GET", "/healthz", &[], b"").await.json(), json!({"status": "ok"}));
    assert_eq!(server.send("POST", "/errors/abc", &[], b"").await.status, 405);
    let agent = server.send("GET", "/agent.js", &[], b"").await;
    assert_eq!(agent.header("content-type"), Some("text/javascript; charset=utf-8"));
}

#[tokio::test]
async fn ingest_health_counts_accepted_and_refused_beacons_and_survives_a_restart() {
    let (dir, token) = data_dir();
    let server = Server::start(dir.path()).await;
    let good = Beacon::new().with_events([event::view(), event::vital("lcp", 900.0), event::custom("buy")]);
    assert_eq!(server.post_beacon(&good, CHROME_UA).await.accepted_dropped(), (3, 0));
    let bot = Beacon::new().with_events([event::view(), event::custom("crawl")]);
    assert_eq!(server.post_beacon(&bot, GOOGLEBOT_UA).await.accepted_dropped(), (0, 2));
    let headers = [("Content-Type", "application/json"), ("User-Agent", CHROME_UA), ("Origin", SHOP_ORIGIN)];
    let broken = server.send("POST", &format!("/ingest/v1/{SHOP_KEY}"), &headers, b"{\"v\":1,").await;
    assert_eq!(broken.status, 400);

    let bearer = format!("Bearer {token}");
    let read = |server: &Server| {
        let bearer = bearer.clone();
        let addr = server.addr;
        async move {
            let path = "/api/v1/outcomes?project=shop";
            let answer = http::send(addr, &request_bytes("GET", path, &[("Authorization", &bearer)], b"")).await;
            assert_eq!(answer.status, 200, "{}", answer.text());
            answer.json()
        }
    };
    let series = read(&server).await;
    let expect_totals = |series: &Value| {
        let totals = &series["totals"];
        assert_eq!(totals["accepted"], 3, "{series}");
        assert_eq!(totals["dropped"]["bot"], 2, "{series}");
        assert_eq!(totals["rejected"]["invalid_json"], 1, "{series}");
        let buckets = series["buckets"].as_array().expect("buckets");
        assert!((1..=2).contains(&buckets.len()), "one minute, or two across its end: {series}");
        let first = buckets[0]["start"].as_str().expect("a start");
        assert!(first.ends_with(":00Z"), "{first}");
    };
    expect_totals(&series);
    let blog = http::send(
        server.addr,
        &request_bytes("GET", "/api/v1/outcomes?project=blog", &[("Authorization", &bearer)], b""),
    )
    .await;
    assert_eq!(blog.json()["buckets"], json!([]));
    let bad = http::send(
        server.addr,
        &request_bytes("GET", "/api/v1/outcomes?project=shop&from=yesterday", &[("Authorization", &bearer)], b""),
    )
    .await;
    bad.assert_error(400, "invalid_request");
    let future = now_ms() as i64 + 3_600_000;
    let later = format!("/api/v1/outcomes?project=shop&from={future}&to={}", future + 60_000);
    let empty = http::send(server.addr, &request_bytes("GET", &later, &[("Authorization", &bearer)], b"")).await;
    assert_eq!(empty.json()["totals"]["accepted"], 0);

    server.stop().await;
    let again = Server::start(dir.path()).await;
    expect_totals(&read(&again).await);
}

#[tokio::test]
async fn an_admin_changes_project_settings_which_hold_at_once_and_after_a_restart() {
    let (dir, token) = data_dir();
    let server = Server::start(dir.path()).await;
    let cookie = server.cookie().await;
    let cookie = ("Cookie", cookie.as_str());
    let bearer = format!("Bearer {token}");
    let by_token = ("Authorization", bearer.as_str());
    let json = ("Content-Type", "application/json");
    let path = "/api/v1/projects/shop/settings";

    let detail = server.send("GET", "/api/v1/projects/shop", &[cookie], b"").await;
    assert_eq!(detail.status, 200, "{}", detail.text());
    let detail = detail.json();
    assert_eq!(detail["ingest_key"], SHOP_KEY);
    assert_eq!(detail["settings"]["allowed_origins"], json!([SHOP_ORIGIN]));
    assert_eq!((detail["editable"].clone(), detail["changed"].clone()), (json!(true), json!([])));
    let read_only = server.send("GET", "/api/v1/projects/shop", &[by_token], b"").await.json();
    assert_eq!(read_only["editable"], false, "a token reads but never changes");
    server.send("GET", "/api/v1/projects/nope", &[cookie], b"").await.assert_error(404, "unknown_project");

    let new_origin = "https://m.shop.example";
    let from_new_origin = |server: &Server| {
        let headers = [json, ("User-Agent", CHROME_UA), ("Origin", new_origin)];
        let request = request_bytes("POST", &format!("/ingest/v1/{SHOP_KEY}"), &headers, &Beacon::new().to_bytes());
        let addr = server.addr;
        async move { http::send(addr, &request).await.status }
    };
    assert_eq!(from_new_origin(&server).await, 403);

    let change = json!({"allowed_origins": [SHOP_ORIGIN, new_origin], "retention_days": 90}).to_string();
    let change = change.as_bytes();
    server.send("PUT", path, &[cookie, json], change).await.assert_error(403, "csrf_refused");
    server.send("PUT", path, &[by_token, json], change).await.assert_error(403, "admin_only");
    server.send("PUT", path, &[json, CSRF], change).await.assert_error(401, "unauthorized");
    for (body, field) in [
        (json!({"retention_days": 0}), "retention_days"),
        (json!({"allowed_origins": ["m.shop.example"]}), "allowed_origins"),
        (json!({"sample_rate": 2}), "sample_rate"),
    ] {
        let refused = server.send("PUT", path, &[cookie, CSRF, json], body.to_string().as_bytes()).await;
        refused.assert_error(400, "invalid_setting");
        assert_eq!(refused.json()["error"]["field"], field, "{}", refused.text());
    }
    let unknown = server.send("PUT", path, &[cookie, CSRF, json], br#"{"ingest_key": "pk_mine_123"}"#).await;
    unknown.assert_error(400, "invalid_setting");
    assert_eq!(from_new_origin(&server).await, 403, "refused changes change nothing");

    let changed = server.send("PUT", path, &[cookie, CSRF, json], change).await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    let changed = changed.json();
    assert_eq!(changed["changed"], json!(["allowed_origins", "retention_days"]));
    assert_eq!(
        (changed["changed_by"].clone(), changed["configured"]["retention_days"].clone()),
        (json!("admin"), json!(30))
    );
    assert_eq!(from_new_origin(&server).await, 202, "in force at once");

    server.stop().await;
    let server = Server::start(dir.path()).await;
    let cookie = server.cookie().await;
    let cookie = ("Cookie", cookie.as_str());
    let detail = server.send("GET", "/api/v1/projects/shop", &[cookie], b"").await.json();
    assert_eq!(detail["settings"]["retention_days"], 90, "{detail}");
    assert_eq!(from_new_origin(&server).await, 202, "kept across a restart");

    server.send("DELETE", path, &[cookie], b"").await.assert_error(403, "csrf_refused");
    let reset = server.send("DELETE", path, &[cookie, CSRF], b"").await.json();
    assert_eq!((reset["changed"].clone(), reset["settings"]["retention_days"].clone()), (json!([]), json!(30)));
    assert_eq!(from_new_origin(&server).await, 403, "the configuration file's origins again");
}
