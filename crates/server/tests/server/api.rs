//! The query API against the real server on a loopback port: the real router and accept
//! loop, the real `EmbeddedStore` in a temporary data directory, tokens in its
//! `tokens.json`, beacons through the real intake, queries over HTTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::support::http::{self, Response, request_bytes};
use crate::support::{BLOG_KEY, Beacon, CHROME_UA, SHOP_KEY, ServerOptions, event, now_ms};
use datafusion::prelude::SessionContext;
use serde_json::{Value, json};
use sightline_ingest::enrich::Enricher;
use sightline_ingest::{Pipeline, ProjectConfig};
use sightline_server::api::tokens::TokenFile;
use sightline_server::{Api, ApiConfig, AppState, IntakeConfig, Metrics, ProjectRegistry};
use sightline_store::{EmbeddedStore, EmbeddedStoreOptions, Store, StoreError, Tables};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The server, its data directory and a token of each kind.
struct ApiServer {
    addr: SocketAddr,
    dir: TempDir,
    shop_token: String,
    blog_token: String,
    all_token: String,
    state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

fn projects() -> Vec<ProjectConfig> {
    ServerOptions::default().projects
}

/// Starts the server with `config`; queries read `tables`, or the store when none.
async fn start(config: ApiConfig, tables: Option<Arc<dyn Tables>>) -> ApiServer {
    let dir = tempfile::tempdir().expect("data directory");
    let mut file = TokenFile::default();
    let now = SystemTime::now();
    let shop_token = file.create("shop-reader", Some("shop"), now).expect("token");
    let blog_token = file.create("blog-reader", Some("blog"), now).expect("token");
    let all_token = file.create("admin", None, now).expect("token");
    file.save(&TokenFile::path(dir.path())).expect("token file");

    let (store, _) = EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("store");
    let store = Arc::new(store);
    let tables = tables.unwrap_or_else(|| Arc::new(Arc::clone(&store)) as Arc<dyn Tables>);
    let api = Api::new(config, tables, TokenFile::path(dir.path())).expect("api");
    let intake = IntakeConfig { header_timeout_secs: 5, body_timeout_secs: 5, ..IntakeConfig::default() };
    let metrics = Arc::new(Metrics::new());
    let state = AppState::new(
        intake.clone(),
        ProjectRegistry::new(projects()).expect("projects"),
        Pipeline::new(Enricher::new(None)),
        store as Arc<dyn Store>,
        Arc::clone(&metrics),
    )
    .with_api(api);
    let state = Arc::new(state);
    let router = sightline_server::router(Arc::clone(&state));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("loopback port");
    let addr = listener.local_addr().expect("address");
    let (shutdown, stop) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let stopped = async {
            let _ = stop.await;
        };
        sightline_server::listener::serve(listener, router, &intake, metrics, stopped).await
    });
    ApiServer { addr, dir, shop_token, blog_token, all_token, state, shutdown: Some(shutdown) }
}

impl ApiServer {
    async fn post_query(&self, token: Option<&str>, path: &str, body: &[u8]) -> Response {
        let bearer = token.map(|token| format!("Bearer {token}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(bearer) = &bearer {
            headers.push(("Authorization", bearer.as_str()));
        }
        http::send(self.addr, &request_bytes("POST", path, &headers, body)).await
    }

    async fn query(&self, token: &str, query: &Value) -> Response {
        self.post_query(Some(token), "/api/v1/query", query.to_string().as_bytes()).await
    }

    async fn get(&self, token: Option<&str>, path: &str) -> Response {
        let bearer = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = bearer.iter().map(|b| ("Authorization", b.as_str())).collect();
        http::send(self.addr, &request_bytes("GET", path, &headers, b"")).await
    }

    /// A page view with an LCP of `lcp` ms, through the real intake.
    async fn ingest_view(&self, key: &str, lcp: f64) {
        self.ingest(key, [event::view(), event::vital("lcp", lcp)]).await;
    }

    /// A page view with an error, through the real intake.
    async fn ingest_error(&self, key: &str, message: &str) {
        self.ingest(key, [event::view(), event::error(message)]).await;
    }

    /// One beacon of `events` from a page of the key's site, as Chrome; accepted.
    async fn ingest(&self, key: &str, events: impl IntoIterator<Item = Value>) {
        let (origin, url) = if key == BLOG_KEY {
            (crate::support::BLOG_ORIGIN, format!("https://{}/posts/1", crate::support::BLOG_HOST))
        } else {
            (crate::support::SHOP_ORIGIN, format!("https://{}/products/1", crate::support::SHOP_HOST))
        };
        let beacon = Beacon::on(&url).with_events(events);
        let headers = [("Content-Type", "application/json"), ("User-Agent", CHROME_UA), ("Origin", origin)];
        let answer =
            http::send(self.addr, &request_bytes("POST", &format!("/ingest/v1/{key}"), &headers, &beacon.to_bytes()))
                .await;
        assert_eq!(answer.status, 202, "{}", answer.text());
    }
}

/// Page views and p75 LCP over the last hour (and the next minute).
fn views_query() -> Value {
    let now = now_ms() as i64;
    json!({
        "shape": "values",
        "range": {"from": now - 3_600_000, "to": now + 60_000},
        "tiles": [{"metric": "page_views", "statistic": "count"}, {"metric": "lcp", "statistic": "p75"}]
    })
}

fn tile(answer: &Value, index: usize) -> f64 {
    answer["values"][index]["value"].as_f64().unwrap_or_else(|| panic!("no value {index} in {answer}"))
}

#[tokio::test]
async fn a_token_reads_its_own_project_and_never_another() {
    let server = start(ApiConfig::default(), None).await;
    for lcp in [1000.0, 2000.0, 3000.0] {
        server.ingest_view(SHOP_KEY, lcp).await;
    }
    server.ingest_view(BLOG_KEY, 9000.0).await;

    let shop = server.query(&server.shop_token, &views_query()).await;
    assert_eq!(shop.status, 200, "{}", shop.text());
    let shop = shop.json();
    assert_eq!(shop["shape"], "values");
    assert_eq!(tile(&shop, 0), 3.0, "{shop}");
    assert_eq!(tile(&shop, 1), 3000.0, "p75 of 1, 2 and 3 s: {shop}");

    let blog = server.query(&server.blog_token, &views_query()).await.json();
    assert_eq!((tile(&blog, 0), tile(&blog, 1)), (1.0, 9000.0), "{blog}");

    // A project's token naming another project is refused, not quietly narrowed.
    let body = views_query().to_string();
    let crossing = server.post_query(Some(&server.shop_token), "/api/v1/query?project=blog", body.as_bytes()).await;
    crossing.assert_error(403, "forbidden");
    let own = server.post_query(Some(&server.shop_token), "/api/v1/query?project=shop", body.as_bytes()).await;
    assert_eq!(tile(&own.json(), 0), 3.0);

    // A token for every project must name one, and then reads exactly that one.
    server
        .post_query(Some(&server.all_token), "/api/v1/query", body.as_bytes())
        .await
        .assert_error(400, "invalid_request");
    let named = server.post_query(Some(&server.all_token), "/api/v1/query?project=blog", body.as_bytes()).await;
    assert_eq!(tile(&named.json(), 0), 1.0);
    let unknown = server.post_query(Some(&server.all_token), "/api/v1/query?project=nope", body.as_bytes()).await;
    unknown.assert_error(404, "unknown_project");

    // Every shape goes through: a breakdown by browser and a time series by hour.
    let now = now_ms() as i64;
    let range = json!({"from": now - 3_600_000, "to": now + 60_000});
    let breakdown = server
        .query(
            &server.shop_token,
            &json!({"shape": "breakdown", "range": range, "metric": "lcp", "statistics": ["p75"], "group_by": ["browser"]}),
        )
        .await;
    assert_eq!(breakdown.status, 200, "{}", breakdown.text());
    let breakdown = breakdown.json();
    assert_eq!(breakdown["rows"][0]["group"], json!(["Chrome"]), "{breakdown}");
    assert_eq!(breakdown["rows"][0]["samples"], 3);
    let series = server
        .query(
            &server.shop_token,
            &json!({"shape": "time_series", "range": range, "metric": "page_views", "statistics": ["count"], "bucket": "hour"}),
        )
        .await
        .json();
    let points = series["series"][0]["points"].as_array().expect("points");
    let total: f64 = points.iter().map(|point| point["values"][0].as_f64().unwrap_or(0.0)).sum();
    assert_eq!(total, 3.0, "{series}");
}

#[tokio::test]
async fn missing_bad_and_ingest_keys_are_refused() {
    let server = start(ApiConfig::default(), None).await;
    let body = views_query().to_string();
    let none = server.post_query(None, "/api/v1/query", body.as_bytes()).await;
    none.assert_error(401, "unauthorized");
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    let wrong = format!("slt_{}", "0".repeat(64));
    server.post_query(Some(&wrong), "/api/v1/query", body.as_bytes()).await.assert_error(401, "unauthorized");
    let ingest = server.post_query(Some(SHOP_KEY), "/api/v1/query", body.as_bytes()).await;
    ingest.assert_error(401, "ingest_key_cannot_read");
    assert!(ingest.json()["error"]["message"].as_str().is_some_and(|m| m.contains("ingest key")), "{}", ingest.text());
    let basic = http::send(
        server.addr,
        &request_bytes("POST", "/api/v1/query", &[("Authorization", "Basic dXNlcjpwYXNz")], body.as_bytes()),
    )
    .await;
    basic.assert_error(401, "unauthorized");
    server.get(Some(SHOP_KEY), "/api/v1/projects").await.assert_error(401, "ingest_key_cannot_read");
    server.get(None, "/api/v1/projects").await.assert_error(401, "unauthorized");
}

#[tokio::test]
async fn bodies_queries_and_ranges_are_bounded() {
    let config = ApiConfig { max_body_bytes: 2048, ..ApiConfig::default() };
    let server = start(config, None).await;
    let token = server.shop_token.clone();
    let mut large = views_query();
    large["filters"] = json!([{"dimension": "route", "op": "eq", "value": "x".repeat(4000)}]);
    server.query(&token, &large).await.assert_error(413, "payload_too_large");

    let not_json = server.post_query(Some(&token), "/api/v1/query", b"{\"shape\": ").await;
    not_json.assert_error(400, "invalid_query");
    let unknown_shape = server.query(&token, &json!({"shape": "everything"})).await;
    unknown_shape.assert_error(400, "invalid_query");
    assert!(unknown_shape.json()["error"]["message"].as_str().is_some_and(|m| m.contains("everything")));

    let mut too_long = views_query();
    too_long["range"] = json!({"from": "2025-01-01T00:00:00Z", "to": "2026-06-01T00:00:00Z"});
    let refused = server.query(&token, &too_long).await;
    refused.assert_error(400, "invalid_query");
    let message = refused.json()["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("range") && message.contains("400 days"), "{message}");

    let mut bad_statistic = views_query();
    bad_statistic["tiles"] = json!([{"metric": "page_views", "statistic": "p75"}]);
    server.query(&token, &bad_statistic).await.assert_error(400, "invalid_query");

    let elsewhere = server.get(Some(&token), "/api/v1/nothing-here").await;
    elsewhere.assert_error(404, "not_found");
}

/// Tables whose session takes `delay` to make, as a query over a huge store would take to run.
#[derive(Debug)]
struct SlowTables {
    delay: Duration,
}

impl Tables for SlowTables {
    fn session_context(&self) -> Result<SessionContext, StoreError> {
        std::thread::sleep(self.delay);
        Err(StoreError::Read("too slow".into()))
    }
}

#[tokio::test]
async fn a_slow_query_is_cancelled_at_its_limit_while_beacons_still_flow() {
    let config = ApiConfig {
        query_timeout_secs: 1,
        max_concurrent_queries: 1,
        queue_wait_ms: 0,
        query_threads: 1,
        ..ApiConfig::default()
    };
    let server = Arc::new(start(config, Some(Arc::new(SlowTables { delay: Duration::from_secs(3) }))).await);
    let slow = {
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            let started = Instant::now();
            let answer = server.query(&server.shop_token, &views_query()).await;
            (answer, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The one query slot is taken: the next query is told to come back.
    let busy = server.query(&server.shop_token, &views_query()).await;
    busy.assert_error(503, "overloaded");
    assert_eq!(busy.header("retry-after"), Some("1"));
    // The intake does not share the query runtime: a beacon is stored meanwhile.
    let started = Instant::now();
    server.ingest_view(SHOP_KEY, 1500.0).await;
    // Sharing the blocked query thread, it would wait until the 3 s block ends.
    assert!(started.elapsed() < Duration::from_secs(2), "the intake waited {:?}", started.elapsed());

    let (answer, elapsed) = slow.await.expect("the query task");
    answer.assert_error(504, "query_timeout");
    // Without the limit the answer would come after the 3 s the tables take.
    assert!(elapsed < Duration::from_millis(2800), "answered after {elapsed:?}, not at the 1 s limit");
}

#[tokio::test]
async fn a_query_waits_for_a_busy_slot_instead_of_being_refused() {
    let config =
        ApiConfig { max_concurrent_queries: 1, queue_wait_ms: 3_000, query_threads: 1, ..ApiConfig::default() };
    let server = Arc::new(start(config, Some(Arc::new(SlowTables { delay: Duration::from_millis(600) }))).await);
    let started = Instant::now();
    let asks = (0..2).map(|_| {
        let server = Arc::clone(&server);
        tokio::spawn(async move { server.query(&server.shop_token, &views_query()).await })
    });
    for answer in futures_util::future::join_all(asks).await {
        // Each reached the tables (which fail after their delay): neither was turned away.
        answer.expect("the query task").assert_error(503, "store_unavailable");
    }
    // One slot: the second query ran after the first, not beside it.
    assert!(started.elapsed() >= Duration::from_millis(1_150), "both ran at once: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_store_that_cannot_answer_is_a_503() {
    let server = start(ApiConfig::default(), Some(Arc::new(SlowTables { delay: Duration::ZERO }))).await;
    let answer = server.query(&server.shop_token, &views_query()).await;
    answer.assert_error(503, "store_unavailable");
    assert_eq!(answer.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn projects_are_the_ones_the_token_reads() {
    let server = start(ApiConfig::default(), None).await;
    let shop = server.get(Some(&server.shop_token), "/api/v1/projects").await;
    assert_eq!(shop.status, 200, "{}", shop.text());
    assert_eq!(shop.json(), json!({"projects": [{"id": "shop", "name": "Web shop"}]}));
    let all = server.get(Some(&server.all_token), "/api/v1/projects").await.json();
    let ids: Vec<&str> = all["projects"].as_array().expect("list").iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(ids, ["blog", "off", "shop"]);
}

#[tokio::test]
async fn a_project_is_described_to_its_readers_and_never_changed_by_a_token() {
    let server = start(ApiConfig::default(), None).await;
    let shop = server.get(Some(&server.shop_token), "/api/v1/projects/shop").await;
    assert_eq!(shop.status, 200, "{}", shop.text());
    let shop = shop.json();
    assert_eq!((shop["ingest_key"].clone(), shop["editable"].clone()), (json!(SHOP_KEY), json!(false)));
    assert_eq!(shop["settings"]["retention_days"], 30);
    server.get(Some(&server.shop_token), "/api/v1/projects/blog").await.assert_error(403, "forbidden");
    server.get(Some(&server.all_token), "/api/v1/projects/nope").await.assert_error(404, "unknown_project");
    server.get(Some(SHOP_KEY), "/api/v1/projects/shop").await.assert_error(401, "ingest_key_cannot_read");
    server.get(None, "/api/v1/projects/shop").await.assert_error(401, "unauthorized");
    for token in [&server.shop_token, &server.all_token] {
        let bearer = format!("Bearer {token}");
        let headers = [("Authorization", bearer.as_str()), ("X-Sightline-CSRF", "1")];
        let body = br#"{"retention_days": 7}"#;
        let put =
            http::send(server.addr, &request_bytes("PUT", "/api/v1/projects/shop/settings", &headers, body)).await;
        put.assert_error(403, "admin_only");
        let delete =
            http::send(server.addr, &request_bytes("DELETE", "/api/v1/projects/shop/settings", &headers, b"")).await;
        delete.assert_error(403, "admin_only");
    }
}

#[tokio::test]
async fn the_served_openapi_document_is_the_committed_one() {
    let server = start(ApiConfig::default(), None).await;
    let served = server.get(None, "/api/v1/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("application/json"));
    let committed = include_str!("../../../../docs/openapi.json");
    assert!(
        served.text() == committed,
        "docs/openapi.json differs from the served document: run `make openapi` and commit it"
    );
    let document = served.json();
    assert_eq!(document["openapi"], "3.1.0");
    for path in ["/api/v1/query", "/api/v1/projects", "/api/v1/openapi.json"] {
        assert!(document["paths"].get(path).is_some(), "{path} is not described");
    }
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

#[tokio::test]
async fn tokens_created_and_revoked_while_running_count_within_seconds() {
    let server = start(ApiConfig::default(), None).await;
    let path = TokenFile::path(server.dir.path());
    // The server has read the file once already.
    server.get(Some(&server.shop_token), "/api/v1/projects").await;
    let mut file = TokenFile::load(&path).expect("load");
    let fresh = file.create("late", Some("blog"), SystemTime::now()).expect("token");
    file.save(&path).expect("save");
    crate::support::eventually(Duration::from_secs(5), "the new token is accepted", || {
        let server = &server;
        let fresh = fresh.clone();
        async move { server.get(Some(&fresh), "/api/v1/projects").await.status == 200 }
    })
    .await;
    let mut file = TokenFile::load(&path).expect("load");
    assert!(file.revoke("late"));
    file.save(&path).expect("save");
    crate::support::eventually(Duration::from_secs(5), "the revoked token is refused", || {
        let server = &server;
        let fresh = fresh.clone();
        async move { server.get(Some(&fresh), "/api/v1/projects").await.status == 401 }
    })
    .await;
}

#[tokio::test]
async fn sql_reads_the_tokens_project_only_and_never_writes() {
    let server = start(ApiConfig { sql_max_rows: 2, ..ApiConfig::default() }, None).await;
    for lcp in [1000.0, 2000.0, 3000.0] {
        server.ingest_view(SHOP_KEY, lcp).await;
    }
    server.ingest_view(BLOG_KEY, 9000.0).await;
    let sql = |text: &str| json!({"sql": text}).to_string();
    let count = "SELECT count(*) AS n, max(value) AS top FROM vital WHERE name = 'lcp'";

    let shop = server.post_query(Some(&server.shop_token), "/api/v1/sql", sql(count).as_bytes()).await;
    assert_eq!(shop.status, 200, "{}", shop.text());
    let shop = shop.json();
    assert_eq!(shop["rows"], json!([[3, 3000.0]]), "{shop}");
    assert_eq!(shop["columns"][0]["name"], "n");
    let blog = server.post_query(Some(&server.all_token), "/api/v1/sql?project=blog", sql(count).as_bytes()).await;
    assert_eq!(blog.json()["rows"], json!([[1, 9000.0]]));
    let crossing = server.post_query(Some(&server.shop_token), "/api/v1/sql?project=blog", sql(count).as_bytes()).await;
    crossing.assert_error(403, "forbidden");

    // More rows than the server's limit: cut, and said so; a client may ask for fewer.
    let all =
        server.post_query(Some(&server.shop_token), "/api/v1/sql", sql("SELECT value FROM vital").as_bytes()).await;
    let all = all.json();
    assert_eq!((all["rows"].as_array().map(Vec::len), &all["truncated"]), (Some(2), &json!(true)), "{all}");
    let one = json!({"sql": "SELECT value FROM vital", "max_rows": 1}).to_string();
    let one = server.post_query(Some(&server.shop_token), "/api/v1/sql", one.as_bytes()).await.json();
    assert_eq!(one["rows"].as_array().map(Vec::len), Some(1));

    for refused in ["DELETE FROM vital", "SELECT 1; SELECT 2", "SELECT * FROM nowhere"] {
        let answer = server.post_query(Some(&server.shop_token), "/api/v1/sql", sql(refused).as_bytes()).await;
        answer.assert_error(400, "invalid_query");
    }
    server
        .post_query(Some(SHOP_KEY), "/api/v1/sql", sql(count).as_bytes())
        .await
        .assert_error(401, "ingest_key_cannot_read");
    let after = server.post_query(Some(&server.shop_token), "/api/v1/sql", sql(count).as_bytes()).await.json();
    assert_eq!(after["rows"], json!([[3, 3000.0]]), "nothing was deleted");
}

#[tokio::test]
async fn a_query_past_the_memory_limit_fails_alone_and_the_server_answers_the_next() {
    let server = start(ApiConfig { query_memory_mb: Some(64), ..ApiConfig::default() }, None).await;
    for lcp in [1000.0, 2000.0, 3000.0] {
        server.ingest_view(SHOP_KEY, lcp).await;
    }
    // A hash join's build side cannot spill: 81 rows (3 to the 4th) of 1 MiB each need 81 MiB.
    let pad = |c: char| {
        format!("(SELECT v1.name, repeat('{c}', 1048576) AS pad FROM vital v1, vital v2, vital v3, vital v4)")
    };
    let heavy = format!(
        "SELECT max(length(a.pad) + length(b.pad)) AS n FROM {} a JOIN {} b ON a.name = b.name",
        pad('x'),
        pad('y')
    );
    let body = json!({ "sql": heavy }).to_string();
    let refused = server.post_query(Some(&server.shop_token), "/api/v1/sql", body.as_bytes()).await;
    refused.assert_error(503, "query_out_of_memory");
    let message = refused.json()["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("64 MiB") && message.contains("api.query_memory_mb"), "{message}");

    // What fits still runs, on the same server and pool.
    let answer = server.query(&server.shop_token, &views_query()).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(tile(&answer.json(), 0), 3.0);
    let small = json!({ "sql": "SELECT count(*) AS n FROM vital" }).to_string();
    let small = server.post_query(Some(&server.shop_token), "/api/v1/sql", small.as_bytes()).await;
    assert_eq!(small.json()["rows"], json!([[3]]), "{}", small.text());
    // Error groups take a second step in a session of their own: in the same runtime.
    server.ingest_error(SHOP_KEY, "TypeError: x is undefined").await;
    let now = now_ms() as i64;
    let range = json!({"from": now - 3_600_000, "to": now + 60_000});
    for (listed, key) in [
        (json!({"shape": "session_list", "range": range, "sort_by": "views", "limit": 10}), "rows"),
        (json!({"shape": "error_groups", "range": range}), "groups"),
    ] {
        let answer = server.query(&server.shop_token, &listed).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert!(answer.json()[key].as_array().is_some_and(|rows| !rows.is_empty()), "{}", answer.text());
    }
    // Every query gave back what it held, the refused one too.
    let api = server.state.api.as_ref().expect("the API");
    assert_eq!(api.sessions.memory_in_use(), 0);
}
