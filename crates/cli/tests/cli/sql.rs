//! `sightline sql` as the agent's end-to-end tests use it: beacons posted to the real server,
//! the server stopped, then the stored rows read back with the real binary.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::{post_beacon, sightline, start, stop};

/// Posts one beacon of `session` with an LCP (with attribution) and two custom events.
fn post(address: &str, key: &str, session: &str, lcp: f64) -> String {
    let body = format!(
        r#"{{"v":1,"context":{{"agent":{{"name":"test","version":"1"}},"session_id":"{session}","view_id":"{session}-v",
            "url":"https://sql.test/products/1?coupon=X"}},"events":[
            {{"kind":"vital","id":"{session}-lcp","t":900,"name":"lcp","value":{lcp},
              "attribution":{{"element":"main > img.hero","resource_url":"https://sql.test/hero.avif"}}}},
            {{"kind":"custom","id":"{session}-c1","t":100,"name":"added","value":2}},
            {{"kind":"custom","id":"{session}-c2","t":200,"name":"added","value":3}}]}}"#
    );
    post_beacon(address, key, "sql.test", &body)
}

fn sql(data_dir: &Path, extra: &[&str], query: &str) -> Output {
    sightline().arg("sql").arg("--data-dir").arg(data_dir).args(extra).arg(query).output().expect("runs")
}

fn json_lines(output: &Output) -> Vec<Value> {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is a JSON object"))
        .collect()
}

#[test]
fn sql_reads_back_what_the_server_stored_once_it_is_stopped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, address, key) = start(dir.path());
    for (session, lcp) in [("s1", 1234.5), ("s2", 2600.0)] {
        let answer = post(&address, &key, session, lcp);
        assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    }

    let refused = sql(dir.path(), &[], "SELECT count(*) FROM vital");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("stop sightline first"), "{stderr}");

    stop(server);
    let rows = json_lines(&sql(
        dir.path(),
        &[],
        "SELECT session_id, value, rating, element, resource_url, page_url FROM vital WHERE name = 'lcp' ORDER BY session_id",
    ));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["session_id"], "s1");
    assert_eq!(rows[0]["value"], 1234.5);
    assert_eq!(rows[0]["rating"], "good");
    assert_eq!(rows[0]["element"], "main > img.hero");
    assert_eq!(rows[0]["resource_url"], "https://sql.test/hero.avif");
    assert_eq!(rows[0]["page_url"], "https://sql.test/products/1", "the query string is not stored");
    assert_eq!(rows[1]["rating"], "needs_improvement");

    // Nulls are printed, so every row has every column.
    let rows = json_lines(&sql(dir.path(), &[], "SELECT session_id, input_delay FROM vital ORDER BY session_id"));
    assert_eq!(rows[0], serde_json::json!({"session_id": "s1", "input_delay": null}));

    let rows = json_lines(&sql(
        dir.path(),
        &[],
        "WITH c AS (SELECT session_id, sum(value) AS total FROM custom GROUP BY session_id) \
         SELECT session_id, total FROM c ORDER BY session_id",
    ));
    assert_eq!(
        rows,
        [serde_json::json!({"session_id": "s1", "total": 5.0}), serde_json::json!({"session_id": "s2", "total": 5.0})]
    );

    let table = sql(dir.path(), &["--format", "table"], "SELECT name, count(*) AS n FROM custom GROUP BY name");
    assert!(table.status.success(), "{}", String::from_utf8_lossy(&table.stderr));
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert!(stdout.contains("| name  | n |"), "{stdout}");
    assert!(stdout.contains("| added | 4 |"), "{stdout}");
    assert!(stdout.trim_end().ends_with("(1 row)"), "{stdout}");

    // A query finds the rows again: reading left the store as it was.
    let rows = json_lines(&sql(dir.path(), &[], "SELECT count(*) AS n FROM custom"));
    assert_eq!(rows, [serde_json::json!({"n": 4})]);
}

#[test]
fn sql_refuses_anything_but_one_query_and_leaves_the_store_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, address, key) = start(dir.path());
    assert!(post(&address, &key, "s1", 1000.0).starts_with("HTTP/1.1 202"));
    stop(server);

    let copy_target = dir.path().join("copy.parquet");
    let copy = format!("COPY (SELECT * FROM custom) TO '{}'", copy_target.display());
    for statement in [
        "DELETE FROM custom",
        "INSERT INTO custom (event_id) VALUES ('x')",
        "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/passwd'",
        copy.as_str(),
        "SELECT 1; DROP TABLE custom",
    ] {
        let output = sql(dir.path(), &[], statement);
        assert!(!output.status.success(), "{statement} is refused");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("read-only query") || stderr.contains("one statement"), "{statement}: {stderr}");
    }
    assert!(!copy_target.exists(), "COPY wrote nothing");
    let rows = json_lines(&sql(dir.path(), &[], "SELECT count(*) AS n FROM custom"));
    assert_eq!(rows, [serde_json::json!({"n": 2})]);

    let unknown = sql(dir.path(), &[], "SELECT nope FROM custom");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("cannot be planned"));
}

#[test]
fn sql_needs_an_existing_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = sql(dir.path(), &[], "SELECT 1");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("there is no store"), "{stderr}");
    assert!(!dir.path().join("store").exists(), "nothing was created");
}
