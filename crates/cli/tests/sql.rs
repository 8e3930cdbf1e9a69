//! `sightline sql` as the agent's end-to-end tests use it: beacons posted to the real server,
//! the server stopped, then the stored rows read back with the real binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

fn sightline() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sightline"));
    for (key, _) in std::env::vars().filter(|(key, _)| key.starts_with("SIGHTLINE_")) {
        command.env_remove(key);
    }
    command
}

/// Starts `sightline serve`; returns it, its address and the default project's ingest key.
fn start(data_dir: &Path) -> (Child, String, String) {
    let mut child = sightline()
        .args(["serve", "--listen", "127.0.0.1:0", "--log-level", "warn", "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sightline");
    let stdout = child.stdout.take().expect("stdout");
    // Both banner lines are read: closing the pipe before the second would end the server.
    let mut lines = BufReader::new(stdout).lines();
    let banner = lines.next().expect("a banner").expect("a banner line");
    lines.next().expect("the project line").expect("a banner line");
    let address = banner.rsplit("http://").next().expect("an address in the banner").to_owned();
    let key = std::fs::read_to_string(data_dir.join("default-ingest-key")).expect("the key file");
    (child, address, key.trim().to_owned())
}

fn stop(mut server: Child) {
    let status = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().expect("kill");
    assert!(status.success());
    assert!(server.wait().expect("waits").success());
}

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
    let mut stream = TcpStream::connect(address).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("a timeout");
    write!(
        stream,
        "POST /ingest/v1/{key} HTTP/1.1\r\nHost: sql.test\r\nContent-Type: application/json\r\nUser-Agent: \
         Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("sends");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer); // the server may close without reading all
    String::from_utf8_lossy(&answer).into_owned()
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
