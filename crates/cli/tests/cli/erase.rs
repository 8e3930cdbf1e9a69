//! `sightline erase` as an operator runs it: refused while the server runs, then erasing one
//! session's events for good once it is stopped.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use sightline_store::arrow::array::{Int64Array, StringArray};
use sightline_store::{EmbeddedStore, EmbeddedStoreOptions, Store, session_context};

use crate::support::{post_beacon, sightline, start};

/// Posts three custom events of `session`; returns the HTTP status.
fn post(address: &str, key: &str, session: &str) -> String {
    let events: Vec<String> = (0..3)
        .map(|i| format!(r#"{{"kind":"custom","id":"{session}-{i}","t":100,"name":"erase_test","value":1}}"#))
        .collect();
    let body = format!(
        r#"{{"v":1,"context":{{"agent":{{"name":"test","version":"1"}},"session_id":"{session}","view_id":"v1","url":"https://erase.test/"}},"events":[{}]}}"#,
        events.join(",")
    );
    post_beacon(address, key, "erase.test", &body)
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
