//! `sightline demo` as a newcomer runs it: a small history, the stories queryable through
//! the API, live traffic arriving, the demo shop served with the agent, the data reused on
//! a restart and generated again with `--reset`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sightline_simulate::population::stories::{
    CDN_COUNTRY, CDN_DURATION_MS, CDN_START, ERROR_RELEASE, INP_RELEASE, RAGE_BUTTON, WIDGET_SCRIPT,
};

use crate::support::sightline;

/// Small enough for a debug build to generate in seconds, big enough for the stories to show.
const HISTORY_VIEWS: &str = "4000";
const DAY_MS: i64 = 86_400_000;

/// A running demo, killed if a failing assertion leaves it running.
struct Demo(Option<Child>);

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts the demo on a free loopback port; returns it, its address and its banner.
fn start(data_dir: &Path, extra: &[&str]) -> (Demo, String, Vec<String>) {
    let mut child = sightline()
        .args(["demo", "--listen", "127.0.0.1:0", "--log-level", "warn", "--history-views", HISTORY_VIEWS])
        .args(["--live-rate", "20", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sightline demo");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let child = Demo(Some(child));
    let mut lines = Vec::new();
    for line in stdout.lines() {
        let line = line.expect("banner line");
        let done = line.contains("docs/demo.md");
        lines.push(line);
        if done {
            break;
        }
    }
    let address = lines[0].rsplit("http://").next().expect("address in banner").to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !request(&address, "GET", "/readyz", &[], "").0.starts_with("HTTP/1.1 200") {
        assert!(Instant::now() < deadline, "the demo never became ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    (child, address, lines)
}

fn stop(mut demo: Demo) {
    let mut child = demo.0.take().expect("running");
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "the demo stops cleanly, got {exit:?}");
}

/// The head and the body of one HTTP/1.1 exchange.
fn request(address: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (String, String) {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return (String::new(), String::new());
    };
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(head.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.to_owned(), body.to_owned())
}

fn marker(data_dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(data_dir.join("demo.json")).expect("demo.json")).expect("json")
}

/// RFC 3339 of an epoch time in seconds.
fn rfc3339(epoch_s: i64) -> String {
    let (days, seconds) = (epoch_s.div_euclid(86_400), epoch_s.rem_euclid(86_400));
    let date = sightline_protocol::calendar::date_of_day(days);
    format!("{date}T{:02}:{:02}:{:02}Z", seconds / 3600, seconds % 3600 / 60, seconds % 60)
}

/// A tile's value and its baseline: `metric`/`statistic` under `filters`, compared with `baseline`.
fn compare(address: &str, token: &str, tile: (&str, &str), filters: &Value, baseline: &Value) -> (f64, f64) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs() as i64;
    let query = json!({
        "shape": "values",
        "range": {"from": rfc3339(now - 40 * 86_400), "to": rfc3339(now + 3600)},
        "filters": filters,
        "tiles": [{"metric": tile.0, "statistic": tile.1}],
        "compare": {"filters": baseline},
    });
    let auth = format!("Bearer {token}");
    let (head, body) = request(
        address,
        "POST",
        "/api/v1/query?project=shop",
        &[("Authorization", &auth), ("Content-Type", "application/json")],
        &query.to_string(),
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
    let answer: Value = serde_json::from_str(&body).expect("query answer");
    let value = &answer["values"][0];
    let number = |value: &Value| value.as_f64().unwrap_or_else(|| panic!("a number in {answer}"));
    (number(&value["value"]), number(&value["comparison"]["baseline"]))
}

/// A tile's value over `[from_ms, to_ms)` under `filters`.
fn value_between(address: &str, token: &str, tile: (&str, &str), filters: &Value, (from_ms, to_ms): (i64, i64)) -> f64 {
    let query = json!({
        "shape": "values",
        "range": {"from": rfc3339(from_ms / 1000), "to": rfc3339(to_ms / 1000)},
        "filters": filters,
        "tiles": [{"metric": tile.0, "statistic": tile.1}],
    });
    let answer = post_json(address, token, "/api/v1/query?project=shop", &query);
    answer["values"][0]["value"].as_f64().unwrap_or_else(|| panic!("a number in {answer}"))
}

/// The rows of one statement through `/api/v1/sql`.
fn sql_rows(address: &str, token: &str, sql: &str) -> Vec<Value> {
    let answer = post_json(address, token, "/api/v1/sql?project=shop", &json!({"sql": sql}));
    answer["rows"].as_array().cloned().unwrap_or_else(|| panic!("rows in {answer}"))
}

fn post_json(address: &str, token: &str, path: &str, body: &Value) -> Value {
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    let (head, answer) = request(address, "POST", path, &headers, &body.to_string());
    assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}\n{answer}");
    serde_json::from_str(&answer).expect("a JSON answer")
}

/// The five stories of docs/demo.md, found through the query and SQL APIs.
fn find_the_stories(address: &str, token: &str, history_end_ms: i64) {
    // 1. 3.2.0 raised INP on the checkout for Chrome on Android.
    let checkout = [eq("route", "checkout"), eq("browser", "Chrome Mobile")];
    let (regressed, before) = compare(
        address,
        token,
        ("inp", "p75"),
        &json!([checkout[0], checkout[1], eq("release", INP_RELEASE)]),
        &json!([checkout[0], checkout[1], eq("release", "3.1.1")]),
    );
    assert!(regressed > 1.8 * before, "INP p75 on /checkout, Chrome Mobile: 3.2.0 {regressed} ms, 3.1.1 {before} ms");

    // 2. Two days of slow TTFB in Germany, against the week before.
    let window_ms = 30 * DAY_MS;
    let cdn_from = history_end_ms - window_ms + (CDN_START * window_ms as f64) as i64;
    let cdn = (cdn_from, cdn_from + CDN_DURATION_MS as i64);
    let week_before = (cdn_from - 7 * DAY_MS, cdn_from);
    let country = json!([eq("country", CDN_COUNTRY)]);
    let during = value_between(address, token, ("ttfb", "p75"), &country, cdn);
    let before = value_between(address, token, ("ttfb", "p75"), &country, week_before);
    assert!(
        during > 2.5 * before,
        "TTFB p75 in {CDN_COUNTRY}: {during} ms during the CDN problem, {before} ms the week before"
    );
    let elsewhere = value_between(
        address,
        token,
        ("ttfb", "p75"),
        &json!([{"dimension": "country", "op": "ne", "value": CDN_COUNTRY}]),
        cdn,
    );
    assert!(during > 1.8 * elsewhere, "TTFB p75 meanwhile: {CDN_COUNTRY} {during} ms, elsewhere {elsewhere} ms");

    // 3. The error spike of 3.1.0, fixed in 3.1.1: a TypeError group of that release.
    let (spike, fixed) = compare(
        address,
        token,
        ("error_rate", "rate"),
        &json!([eq("release", ERROR_RELEASE)]),
        &json!([eq("release", "3.1.1")]),
    );
    assert!(spike > 2.0 * fixed, "error rate: {ERROR_RELEASE} {spike}, 3.1.1 {fixed}");
    let by_release = sql_rows(
        address,
        token,
        "SELECT release, count(*) AS n FROM error WHERE error_type = 'TypeError' GROUP BY release ORDER BY n DESC",
    );
    assert_eq!(
        by_release.first().map(|row| row[0].clone()),
        Some(json!(ERROR_RELEASE)),
        "TypeErrors by release: {by_release:?}"
    );

    // 4. The rage-click button: "Apply coupon" draws most rage clicks.
    let rage = sql_rows(
        address,
        token,
        "SELECT target, selector, count(*) AS n FROM action WHERE rage GROUP BY target, selector ORDER BY n DESC LIMIT 3",
    );
    let top = rage.first().unwrap_or_else(|| panic!("no rage clicks at all"));
    assert_eq!(top[0], json!(RAGE_BUTTON.0), "rage clicks by target: {rage:?}");
    assert!(top[1].as_str().is_some_and(|selector| selector.contains(RAGE_BUTTON.1)), "{rage:?}");

    // 5. The chat widget takes most of the long animation frames it is in, and is in most.
    let frames = sql_rows(address, token, "SELECT scripts FROM long_animation_frame LIMIT 2000");
    assert!(frames.len() > 20, "long animation frames: {}", frames.len());
    let widget_longest = frames
        .iter()
        .filter(|row| {
            let scripts: Value = row[0].as_str().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
            let longest = scripts.as_array().and_then(|scripts| {
                scripts.iter().max_by(|a, b| {
                    a["duration"].as_f64().partial_cmp(&b["duration"].as_f64()).unwrap_or(std::cmp::Ordering::Equal)
                })
            });
            longest.is_some_and(|script| script["source_url"] == json!(WIDGET_SCRIPT.0))
        })
        .count();
    assert!(
        widget_longest * 2 > frames.len(),
        "the widget is the longest script of {widget_longest} of {} long frames",
        frames.len()
    );
}

fn eq(dimension: &str, value: &str) -> Value {
    json!({"dimension": dimension, "op": "eq", "value": value})
}

fn beacons_accepted(address: &str) -> f64 {
    let (_, metrics) = request(address, "GET", "/metrics", &[], "");
    metrics
        .lines()
        .find(|line| line.starts_with("sightline_beacons_accepted_total{project=\"shop\"}"))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn demo_generates_tells_its_stories_serves_the_shop_and_reuses_its_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("demo");
    let (child, address, banner) = start(&data_dir, &[]);
    let first = marker(&data_dir);
    let key = first["ingest_key"].as_str().expect("key").to_owned();
    assert!(first["views"].as_u64().expect("views") > 1_500, "{first}");
    let text = banner.join("\n");
    assert!(text.contains(&format!("http://{address}/demo/")), "{text}");
    assert!(text.contains("admin") && text.contains("sightline-demo"), "the banner tells how to log in: {text}");

    // The demo's admin password logs in.
    let (head, _) = request(
        &address,
        "POST",
        "/api/v1/session",
        &[("Content-Type", "application/json"), ("X-Sightline-CSRF", "1"), ("Origin", &format!("http://{address}"))],
        r#"{"user":"admin","password":"sightline-demo"}"#,
    );
    assert!(head.starts_with("HTTP/1.1 2"), "login: {head}");

    // The stories, through the query API.
    let output = sightline()
        .args(["token", "create", "--all-projects", "--name", "test", "--data-dir"])
        .arg(&data_dir)
        .output()
        .expect("token");
    assert!(output.status.success(), "{output:?}");
    let token = String::from_utf8(output.stdout).expect("utf-8").trim().to_owned();
    let history_end_ms = first["generated_until_ms"].as_i64().expect("generated_until_ms");
    find_the_stories(&address, &token, history_end_ms);

    // Live traffic arrives through the intake.
    let deadline = Instant::now() + Duration::from_secs(20);
    while beacons_accepted(&address) < 5.0 {
        assert!(Instant::now() < deadline, "no live traffic arrived");
        std::thread::sleep(Duration::from_millis(300));
    }

    // The demo shop, with the agent and its own CSP.
    let (head, page) = request(&address, "GET", "/demo/", &[], "");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.to_ascii_lowercase().contains("content-security-policy: default-src 'self'"), "{head}");
    assert!(page.contains("/demo/static/sightline-init.js") && page.contains("/demo/products/1001"), "{page}");
    let (_, init) = request(&address, "GET", "/demo/static/sightline-init.js", &[], "");
    assert!(init.contains("\"/agent.js\"") && init.contains(&key), "{init}");
    for path in ["/demo/products/1001", "/demo/checkout/cart", "/demo/static/checkout.js", "/agent.js"] {
        let (head, _) = request(&address, "GET", path, &[], "");
        assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
    }
    let (head, _) = request(&address, "GET", "/demo/static/img/trail-shoe.svg", &[], "");
    assert!(head.contains("image/svg+xml"), "{head}");
    let (head, body) = request(&address, "POST", "/demo/api/orders", &[("Content-Type", "application/json")], "{}");
    assert!(head.starts_with("HTTP/1.1 200") && body.contains("\"order\""), "{head}\n{body}");
    stop(child);

    // A restart reuses the history and the key.
    let started = Instant::now();
    let (child, _, banner) = start(&data_dir, &[]);
    assert_eq!(marker(&data_dir), first, "the history is reused");
    assert!(banner.join("\n").contains(&key), "the key is kept: {banner:?}");
    assert!(started.elapsed() < Duration::from_secs(20), "reusing is quick: {:?}", started.elapsed());
    stop(child);

    // `--reset` generates it again.
    let (child, _, _) = start(&data_dir, &["--reset"]);
    let again = marker(&data_dir);
    assert_ne!(again["ingest_key"], first["ingest_key"], "a new history, a new project key");
    assert!(again["generated_until_ms"].as_i64() > first["generated_until_ms"].as_i64());
    stop(child);
}

#[test]
fn demo_refuses_to_reset_a_directory_that_is_not_a_demo() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("precious.txt"), "keep me").expect("write");
    let output = sightline()
        .args(["demo", "--reset", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not look like a demo"), "{output:?}");
    assert!(dir.path().join("precious.txt").exists());
}
