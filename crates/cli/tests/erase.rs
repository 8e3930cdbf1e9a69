//! `sightline erase` as an operator runs it: refused while the server runs, then erasing one
//! session's events for good once it is stopped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use sightline_store::arrow::array::{Int64Array, StringArray};
use sightline_store::{EmbeddedStore, EmbeddedStoreOptions, Store, session_context};

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

/// Posts three custom events of `session`; returns the HTTP status.
fn post(address: &str, key: &str, session: &str) -> String {
    let events: Vec<String> = (0..3)
        .map(|i| format!(r#"{{"kind":"custom","id":"{session}-{i}","t":100,"name":"erase_test","value":1}}"#))
        .collect();
    let body = format!(
        r#"{{"v":1,"context":{{"agent":{{"name":"test","version":"1"}},"session_id":"{session}","view_id":"v1","url":"https://erase.test/"}},"events":[{}]}}"#,
        events.join(",")
    );
    let mut stream = TcpStream::connect(address).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("a timeout");
    write!(
        stream,
        "POST /ingest/v1/{key} HTTP/1.1\r\nHost: erase.test\r\nContent-Type: application/json\r\nUser-Agent: \
         Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("sends");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer); // the server may close without reading all
    String::from_utf8_lossy(&answer).into_owned()
}

fn erase(data_dir: &Path, session: &str) -> Output {
    sightline()
        .args(["erase", "--project", "default", "--session-id", session, "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("runs")
}

/// Event ids per session, as a query sees them.
async fn stored(data_dir: &Path) -> Vec<(String, i64)> {
    let store = Arc::new(EmbeddedStore::open(data_dir, &EmbeddedStoreOptions::default()).expect("opens").0);
    let context = session_context(&store).expect("tables");
    let sql = "SELECT session_id, count(*) FROM custom GROUP BY session_id ORDER BY session_id";
    let batches = context.sql(sql).await.expect("plans").collect().await.expect("runs");
    let mut rows = Vec::new();
    for batch in batches {
        let sessions = batch.column(0).as_any().downcast_ref::<StringArray>().expect("sessions");
        let counts = batch.column(1).as_any().downcast_ref::<Int64Array>().expect("counts");
        rows.extend((0..batch.num_rows()).map(|row| (sessions.value(row).to_owned(), counts.value(row))));
    }
    store.close().await;
    rows
}

#[test]
fn erase_refuses_while_the_server_runs_then_removes_the_session() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut server, address, key) = start(dir.path());
    for session in ["keep", "gone"] {
        let answer = post(&address, &key, session);
        assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    }

    let refused = erase(dir.path(), "gone");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("stop sightline first"), "{stderr}");

    let status = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().expect("kill");
    assert!(status.success());
    assert!(server.wait().expect("waits").success());
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    assert_eq!(runtime.block_on(stored(dir.path())), [("gone".to_owned(), 3), ("keep".to_owned(), 3)]);

    let erased = erase(dir.path(), "gone");
    let stdout = String::from_utf8_lossy(&erased.stdout);
    assert!(erased.status.success(), "{}", String::from_utf8_lossy(&erased.stderr));
    assert!(stdout.contains(r#"erased session_id "gone" of project "default": 3 rows (custom 3)"#), "{stdout}");
    assert!(stdout.contains("1 rewritten"), "{stdout}");
    assert_eq!(runtime.block_on(stored(dir.path())), [("keep".to_owned(), 3)]);

    let again = erase(dir.path(), "gone");
    assert!(String::from_utf8_lossy(&again.stdout).contains(": 0 rows"), "nothing left to erase");
}

#[test]
fn erase_needs_a_session_or_a_user_and_an_existing_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output =
        sightline().args(["erase", "--project", "shop"]).arg("--data-dir").arg(dir.path()).output().expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--session-id"), "clap names the options");
    let output = erase(dir.path(), "s1");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("there is no store"), "{stderr}");
}
