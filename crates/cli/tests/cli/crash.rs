//! Crash safety of the real binary: clients post continuously while `sightline serve` is
//! killed with SIGKILL at random moments, again and again. After every kill, every event
//! that was acknowledged (202) is stored exactly once, and no event of a refused beacon is
//! stored at all. Events whose request was cut by the kill may or may not be stored.
//!
//! `SIGHTLINE_CRASH_ROUNDS` sets the number of kills (6 by default, for CI; run 50 or more
//! by hand: `SIGHTLINE_CRASH_ROUNDS=50 cargo nextest run -p sightline-cli --test crash`).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sightline_store::arrow::array::{Int64Array, StringArray};
use sightline_store::{EmbeddedStore, EmbeddedStoreOptions, Store, session_context};

const POSTERS: usize = 3;
const EVENTS_PER_BEACON: usize = 5;
/// Every this many beacons, one is invalid on purpose (its events must never be stored).
const INVALID_EVERY: usize = 7;

/// What the clients know about each event.
#[derive(Debug, Default)]
struct Ledger {
    acknowledged: HashSet<String>,
    refused: HashSet<String>,
    unknown: HashSet<String>,
}

#[test]
fn every_acknowledged_event_survives_sigkill_exactly_once() {
    let rounds: usize = std::env::var("SIGHTLINE_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(6);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path());
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut random = 0x5eed_u64;
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    for round in 0..rounds {
        let (mut server, address) = start(&config, dir.path());
        let stop = Arc::new(AtomicBool::new(false));
        let posters: Vec<_> = (0..POSTERS)
            .map(|poster| {
                let (address, stop, ledger) = (address.clone(), Arc::clone(&stop), Arc::clone(&ledger));
                std::thread::spawn(move || post_until(&address, &format!("r{round}p{poster}"), &stop, &ledger))
            })
            .collect();
        random = next(random);
        std::thread::sleep(Duration::from_millis(300 + random % 1200));
        server.kill().expect("SIGKILL");
        let _ = server.wait();
        stop.store(true, Ordering::Relaxed);
        for poster in posters {
            poster.join().expect("a poster thread");
        }
        let stored = runtime.block_on(stored_event_ids(dir.path()));
        check(&ledger.lock().expect("the ledger"), &stored, round);
    }
    let ledger = ledger.lock().expect("the ledger");
    eprintln!(
        "{rounds} SIGKILLs: {} events acknowledged (all stored once), {} refused (none stored), {} cut by a kill",
        ledger.acknowledged.len(),
        ledger.refused.len(),
        ledger.unknown.len()
    );
    assert!(ledger.acknowledged.len() > rounds * 50, "traffic flowed: {} acknowledged", ledger.acknowledged.len());
    assert!(!ledger.refused.is_empty(), "invalid beacons were refused");
}

fn check(ledger: &Ledger, stored: &HashMap<String, i64>, round: usize) {
    let missing: Vec<_> = ledger.acknowledged.iter().filter(|id| !stored.contains_key(*id)).take(5).collect();
    assert!(missing.is_empty(), "round {round}: acknowledged events missing: {missing:?}");
    let repeated: Vec<_> = stored.iter().filter(|(_, count)| **count > 1).take(5).collect();
    assert!(repeated.is_empty(), "round {round}: events stored twice: {repeated:?}");
    let refused: Vec<_> = ledger.refused.iter().filter(|id| stored.contains_key(*id)).take(5).collect();
    assert!(refused.is_empty(), "round {round}: refused events stored: {refused:?}");
    let foreign: Vec<_> = stored
        .keys()
        .filter(|id| !ledger.acknowledged.contains(*id) && !ledger.unknown.contains(*id))
        .take(5)
        .collect();
    assert!(foreign.is_empty(), "round {round}: events nobody sent: {foreign:?}");
}

/// Opens the store as the next start would (replaying the WAL), counts each event id, and
/// closes it again (a final flush, as a graceful stop does).
async fn stored_event_ids(data_dir: &Path) -> HashMap<String, i64> {
    let (store, _) = EmbeddedStore::open(data_dir, &EmbeddedStoreOptions::default()).expect("the store opens");
    let store = Arc::new(store);
    let context = session_context(&store).expect("tables");
    let batches = context
        .sql("SELECT event_id, count(*) AS n FROM custom GROUP BY event_id")
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    let mut stored = HashMap::new();
    for batch in batches {
        let ids = batch.column(0).as_any().downcast_ref::<StringArray>().expect("ids");
        let counts = batch.column(1).as_any().downcast_ref::<Int64Array>().expect("counts");
        for row in 0..batch.num_rows() {
            stored.insert(ids.value(row).to_owned(), counts.value(row));
        }
    }
    store.close().await;
    stored
}

/// Posts beacons one after another until `stop`, recording what became of each event.
fn post_until(address: &str, prefix: &str, stop: &AtomicBool, ledger: &Mutex<Ledger>) {
    let mut beacon = 0;
    while !stop.load(Ordering::Relaxed) {
        beacon += 1;
        let ids: Vec<String> = (0..EVENTS_PER_BEACON).map(|i| format!("{prefix}b{beacon}e{i}")).collect();
        let invalid = beacon % INVALID_EVERY == 0;
        let outcome = post(address, &body(&ids, invalid));
        let mut ledger = ledger.lock().expect("the ledger");
        let set = match outcome {
            Some(202) => &mut ledger.acknowledged,
            Some(_) => &mut ledger.refused,
            None => &mut ledger.unknown,
        };
        set.extend(ids);
        drop(ledger);
        if outcome.is_none() {
            std::thread::sleep(Duration::from_millis(20)); // the server is down: don't spin
        }
    }
}

fn body(ids: &[String], invalid: bool) -> String {
    let events: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"kind":"custom","id":"{id}","t":100,"name":"crash_test","value":1}}"#))
        .collect();
    let session = if invalid { "" } else { "crash-session" }; // an empty session id is refused
    format!(
        r#"{{"v":1,"context":{{"agent":{{"name":"crash","version":"1"}},"session_id":"{session}","view_id":"v1","url":"https://crash.test/"}},"events":[{}]}}"#,
        events.join(",")
    )
}

/// The status of one POST, or `None` when the exchange did not complete.
fn post(address: &str, body: &str) -> Option<u16> {
    let key = KEY.lock().expect("the key").clone();
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let request = format!(
        "POST /ingest/v1/{key} HTTP/1.1\r\nHost: crash.test\r\nContent-Type: application/json\r\nUser-Agent: {USER_AGENT}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// A browser: beacons without a user agent are dropped as bots.
const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

static KEY: Mutex<String> = Mutex::new(String::new());

fn write_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("sightline.toml");
    let config =
        "[intake]\nper_ip_rate_limit_per_second = 0\n\n[store]\nflush_interval = \"1s\"\nwal_segment_bytes = 65536\n";
    std::fs::write(&path, config).expect("writes the config");
    path
}

/// Starts `sightline serve` on a free loopback port and returns it with its address.
fn start(config: &Path, data_dir: &Path) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sightline"));
    for (key, _) in std::env::vars().filter(|(key, _)| key.starts_with("SIGHTLINE_")) {
        command.env_remove(key);
    }
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0", "--log-level", "warn", "--config"])
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sightline");
    let stdout = child.stdout.take().expect("stdout");
    let banner = BufReader::new(stdout).lines().next().expect("a banner").expect("a banner line");
    let address = banner.rsplit("http://").next().expect("an address in the banner").to_owned();
    let key = std::fs::read_to_string(data_dir.join("default-ingest-key")).expect("the key file");
    *KEY.lock().expect("the key") = key.trim().to_owned();
    (child, address)
}

/// xorshift64: reproducible random kill moments.
fn next(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}
