//! `sightline token` and `sightline query` end to end: a token made with the real binary,
//! beacons posted to the real server, the answer read back with the real binary as a
//! table and as JSON, and the server's refusals printed as their message.

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{post_beacon, sightline, start, stop};

/// Posts one page view of `session` with an LCP of `lcp` ms, as Chrome.
fn post(address: &str, key: &str, session: &str, lcp: f64) {
    let body = format!(
        r#"{{"v":1,"context":{{"agent":{{"name":"test","version":"1"}},"session_id":"{session}","view_id":"{session}-v",
            "url":"https://query.test/products/1"}},"events":[
            {{"kind":"view","id":"{session}-view","t":0,"navigation_type":"navigate"}},
            {{"kind":"vital","id":"{session}-lcp","t":900,"name":"lcp","value":{lcp}}}]}}"#
    );
    let answer = post_beacon(address, key, "query.test", &body);
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
}

fn token(data_dir: &Path, args: &[&str]) -> Output {
    sightline().arg("token").args(args).arg("--data-dir").arg(data_dir).output().expect("runs")
}

fn query(address: &str, token: &str, args: &[&str]) -> Output {
    sightline()
        .args(["query", "--url", &format!("http://{address}"), "--token", token])
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn failure(output: &Output) -> String {
    assert!(!output.status.success(), "succeeded: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_token_made_by_the_cli_reads_the_project_through_sightline_query() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let dir = data_dir.path();

    let created = token(dir, &["create", "--project", "default", "--name", "ci"]);
    let secret = stdout(&created).trim().to_owned();
    assert!(secret.starts_with("slt_") && secret.len() == 68, "{secret}");
    assert!(String::from_utf8_lossy(&created.stderr).contains("only this once"));
    let stored = std::fs::read_to_string(dir.join("tokens.json")).expect("the token file");
    assert!(!stored.contains(&secret[4..]), "the token itself is never stored");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("tokens.json")).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let unknown = failure(&token(dir, &["create", "--project", "nope", "--name", "x"]));
    assert!(unknown.contains("no project \"nope\"") && unknown.contains("default"), "{unknown}");
    failure(&token(dir, &["create", "--project", "default", "--name", "ci"]));
    let list = stdout(&token(dir, &["list"]));
    assert!(list.starts_with("NAME") && list.contains("ci") && list.contains("default"), "{list}");
    assert!(!list.contains("slt_"), "{list}");

    let (server, address, key) = start(dir);
    for (i, lcp) in [1000.0, 2000.0, 3000.0].into_iter().enumerate() {
        post(&address, &key, &format!("session-{i}"), lcp);
    }

    // Flags, printed as a table.
    let table = stdout(&query(&address, &secret, &["--metric", "lcp", "--stat", "p75,mean", "--last", "1h"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["METRIC", "STATISTIC", "VALUE", "SAMPLES"], "{table}");
    assert_eq!(lines[2].split_whitespace().collect::<Vec<_>>(), ["lcp", "p75", "3000", "3"], "{table}");
    assert_eq!(lines[3].split_whitespace().collect::<Vec<_>>(), ["lcp", "mean", "2000", "3"], "{table}");

    // The same as JSON.
    let json_text =
        stdout(&query(&address, &secret, &["--metric", "lcp", "--stat", "p75", "--last", "1h", "--format", "json"]));
    let answer: Value = serde_json::from_str(&json_text).expect("JSON");
    assert_eq!(answer["values"][0]["value"], 3000.0, "{answer}");

    // A whole query as JSON, and one on standard input with the token from the environment.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as u64;
    let breakdown = json!({"shape": "breakdown", "range": {"from": now - 3_600_000, "to": now + 60_000},
        "metric": "lcp", "statistics": ["p75"], "group_by": ["browser"]});
    let by_browser = stdout(&query(&address, &secret, &["--query-json", &breakdown.to_string(), "--format", "table"]));
    assert!(
        by_browser.lines().any(|line| line.split_whitespace().collect::<Vec<_>>() == ["Chrome", "3000", "3", "3"]),
        "{by_browser}"
    );
    assert!(by_browser.contains("(1 groups in all)"), "{by_browser}");
    let mut piped = sightline()
        .args(["query", "--url", &format!("http://{address}"), "--query-file", "-", "--format", "json"])
        .env("SIGHTLINE_TOKEN", &secret)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    piped.stdin.take().expect("stdin").write_all(breakdown.to_string().as_bytes()).expect("writes");
    let piped = piped.wait_with_output().expect("ends");
    let answer: Value = serde_json::from_str(&stdout(&piped)).expect("JSON");
    assert_eq!(answer["rows"][0]["group"], json!(["Chrome"]), "{answer}");

    // SQL over the project's tables, through /api/v1/sql.
    let sql = stdout(&query(&address, &secret, &["--sql", "SELECT count(*) AS n, max(value) AS top FROM vital"]));
    assert_eq!(sql.lines().next().map(|l| l.split_whitespace().collect::<Vec<_>>()), Some(vec!["n", "top"]), "{sql}");
    assert!(sql.lines().any(|line| line.split_whitespace().collect::<Vec<_>>() == ["3", "3000"]), "{sql}");
    assert!(sql.contains("(1 row)"), "{sql}");
    let write = failure(&query(&address, &secret, &["--sql", "DELETE FROM vital"]));
    assert!(write.contains("400"), "{write}");

    // The server's refusals, as their message.
    let bad = failure(&query(&address, &format!("slt_{}", "0".repeat(64)), &["--metric", "lcp"]));
    assert!(bad.contains("401") && bad.contains("unknown or revoked API token"), "{bad}");
    let ingest = failure(&query(&address, &key, &["--metric", "lcp"]));
    assert!(ingest.contains("ingest key"), "{ingest}");
    let too_long = failure(&query(&address, &secret, &["--metric", "lcp", "--last", "500d"]));
    assert!(too_long.contains("400 days"), "{too_long}");

    // Revoked while the server runs: refused within seconds, without a restart.
    assert!(stdout(&token(dir, &["revoke", "ci"])).contains("revoked"));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let output = query(&address, &secret, &["--metric", "lcp"]);
        if !output.status.success() {
            assert!(String::from_utf8_lossy(&output.stderr).contains("unknown or revoked"));
            break;
        }
        assert!(Instant::now() < deadline, "the revoked token still reads");
        std::thread::sleep(Duration::from_millis(200));
    }
    stop(server);
}
