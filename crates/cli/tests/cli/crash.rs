//! Crash safety of the real binary: the load generator's shoppers post continuously while
//! `sightline serve` is killed with SIGKILL at random moments, again and again, on the same
//! data directory — some kills land while the server starts (replaying the write-ahead log
//! the previous kill left), the others while it takes beacons. The posters behave like the
//! agent: a beacon without an answer (or with a 5xx) is sent again, the same bytes with the
//! same event ids, until the server answers it. After every start, the server itself is
//! asked (`POST /api/v1/sql` with an API token) for every stored event: each acknowledged
//! (202) event is there exactly once, nothing of a refused (4xx) beacon is there, and
//! nothing is there that was not sent.
//!
//! `SIGHTLINE_CRASH_KILLS` sets the number of kills (5 by default, for CI), and
//! `SIGHTLINE_CRASH_SEED` the seed of the kill moments and of the population (printed
//! either way, so a failure can be replayed). The long run, by hand (docs/storage.md):
//! `SIGHTLINE_CRASH_KILLS=200 cargo nextest run -p sightline-cli --no-capture crash::`.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sightline_simulate::population::{GeneratedBeacon, Population, PopulationOptions};

use crate::support::sightline;

const POSTERS: usize = 3;
/// Every this many beacons, one is made invalid (an empty session id): its events must
/// never be stored.
const INVALID_EVERY: u64 = 11;
const INGEST_KEY: &str = "pk_crash_test_0123456789";
const TABLES: [&str; 8] = ["view", "vital", "error", "request", "resource", "long_animation_frame", "action", "custom"];

/// An event as the store knows it (its project is always `shop`): view id and event id.
type Key = (String, String);

/// What the posters know about each event.
#[derive(Debug, Default)]
struct Ledger {
    /// Answered 202.
    acknowledged: HashSet<Key>,
    /// Of a beacon answered 4xx (all of them invalid on purpose).
    refused: HashSet<Key>,
    /// Sent, without an answer yet: may or may not be stored (a kill cut the request).
    unanswered: HashSet<Key>,
    beacons_acknowledged: u64,
    beacons_refused: u64,
    /// Attempts that got no answer or a 5xx and were sent again.
    retries: u64,
    /// Beacons acknowledged after at least one attempt without an answer.
    acknowledged_after_retry: u64,
    /// The beacon (its number) of each event sent, and what became of each beacon's
    /// attempts ("start 3: no answer, start 4: 202"): told when a check fails.
    beacon_of: HashMap<Key, u64>,
    history: HashMap<u64, String>,
}

impl Ledger {
    /// What became of the beacons of `keys`, for a failure's message.
    fn story(&self, keys: &[&Key]) -> String {
        let beacons: std::collections::BTreeSet<u64> =
            keys.iter().filter_map(|key| self.beacon_of.get(*key)).copied().collect();
        let told: Vec<String> = beacons
            .iter()
            .map(|beacon| format!("beacon {beacon}: {}", self.history.get(beacon).map_or("", String::as_str)))
            .collect();
        told.join("; ")
    }
}

/// The posters' view of the server: its address while it runs (and has been checked).
/// A poster holds the read lock for a whole request, so that once the main thread holds
/// the write lock no request to a killed server is still on its way.
struct Shared {
    address: RwLock<Option<String>>,
    ledger: Mutex<Ledger>,
    beacons: Mutex<Box<dyn Iterator<Item = GeneratedBeacon> + Send>>,
    stop: AtomicBool,
    next_beacon: Mutex<u64>,
    /// The number of the server's current start.
    start: AtomicUsize,
}

/// What happened over the run, for the report.
#[derive(Debug, Default)]
struct Figures {
    starts: usize,
    kills_before_ready: usize,
    kills_before_store_opened: usize,
    kills_while_serving: usize,
    replayed_events: u64,
    checks: usize,
    /// Events found stored at a start although their request had no answer: durable but
    /// unacknowledged when the server was killed, so the posters send them again.
    stored_unanswered: usize,
}

#[test]
fn acknowledged_events_survive_sigkills_exactly_once_through_restarts_and_retries() {
    let kills: usize = std::env::var("SIGHTLINE_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let seed: u64 = std::env::var("SIGHTLINE_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_nanos() as u64 % 1_000_000_007
    });
    eprintln!("crash test: {kills} kills, seed {seed} (SIGHTLINE_CRASH_SEED={seed} replays the run)");
    let temp = tempfile::tempdir().expect("temp dir");
    // SIGHTLINE_CRASH_KEEP keeps the data directory and the servers' logs, to look into a failure.
    let (_temp, dir) = if std::env::var_os("SIGHTLINE_CRASH_KEEP").is_some() {
        let kept = temp.keep();
        eprintln!("crash test: data directory {}", kept.display());
        (None, kept)
    } else {
        let path = temp.path().to_owned();
        (Some(temp), path)
    };
    let config = write_config(&dir);
    let token = create_token(&config, &dir);
    let shared = Arc::new(Shared {
        address: RwLock::new(None),
        ledger: Mutex::new(Ledger::default()),
        beacons: Mutex::new(population(seed)),
        stop: AtomicBool::new(false),
        next_beacon: Mutex::new(0),
        start: AtomicUsize::new(0),
    });
    let posters: Vec<_> = (0..POSTERS)
        .map(|_| {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || post_until_stopped(&shared))
        })
        .collect();

    let mut random = seed | 1;
    let mut figures = Figures::default();
    let mut startup = Duration::from_millis(300); // the last start's time to its banner
    let run_started = Instant::now();
    for kill in 0..kills {
        // Every third kill lands in the start (the store's replay), the others while serving.
        let during_start = kill % 3 == 1;
        random = next(random);
        let delay = if during_start {
            startup.mul_f64((random % 1000) as f64 / 1000.0)
        } else {
            Duration::from_millis(200 + random % 1300)
        };
        let log = dir.join(format!("server-{kill}.log"));
        let spawned = Instant::now();
        let (mut server, banner) = spawn(&config, &dir, &log);
        figures.starts += 1;
        let address = if during_start {
            match banner.recv_timeout(delay) {
                Ok(address) => Some(address),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("the server ended at its start: {}", std::fs::read_to_string(&log).unwrap_or_default())
                }
            }
        } else {
            Some(banner.recv_timeout(Duration::from_secs(60)).expect("the server starts"))
        };
        let Some(address) = address else {
            kill_now(&mut server);
            figures.kills_before_ready += 1;
            if !store_opened(&log).0 {
                figures.kills_before_store_opened += 1;
            }
            continue;
        };
        startup = spawned.elapsed();
        figures.replayed_events += store_opened(&log).1;
        let ledger = shared.ledger.lock().expect("the ledger");
        let stored = check(&address, &token, &ledger, &format!("start {kill}"));
        figures.stored_unanswered += ledger.unanswered.iter().filter(|key| stored.contains_key(*key)).count();
        drop(ledger);
        figures.checks += 1;
        shared.start.store(kill, Ordering::Relaxed);
        *shared.address.write().expect("the address") = Some(address);
        let since_ready = if during_start { delay.saturating_sub(spawned.elapsed()) } else { delay };
        std::thread::sleep(since_ready);
        kill_now(&mut server);
        figures.kills_while_serving += 1;
        // Waits for the requests cut by the kill to fail.
        *shared.address.write().expect("the address") = None;
    }

    // A last start, to read everything back; then a graceful stop ends the posters' run.
    let log = dir.join("server-last.log");
    let (server, banner) = spawn(&config, &dir, &log);
    figures.starts += 1;
    let address = banner.recv_timeout(Duration::from_secs(60)).expect("the server starts");
    figures.replayed_events += store_opened(&log).1;
    let stored = check(&address, &token, &shared.ledger.lock().expect("the ledger"), "the last start");
    figures.checks += 1;
    shared.stop.store(true, Ordering::Relaxed);
    for poster in posters {
        poster.join().expect("a poster thread");
    }
    crate::support::stop(server);

    let ledger = shared.ledger.lock().expect("the ledger");
    let unanswered_stored = ledger.unanswered.iter().filter(|key| stored.contains_key(*key)).count();
    eprintln!(
        "crash test, seed {seed}: {kills} SIGKILLs in {:.1} s ({} before the server was ready, {} of them before \
         its store had opened; {} while serving), {} starts, {} events replayed from the WAL at starts; \
         {} events found stored at a start before their beacon was answered (sent again); \
         {} beacons acknowledged ({} of them after a retry; {} retries in all), {} refused; \
         {} events acknowledged, {} found, each exactly once ({} duplicates); {} refused events, none found; \
         {} events never answered, {} of them stored",
        run_started.elapsed().as_secs_f64(),
        figures.kills_before_ready,
        figures.kills_before_store_opened,
        figures.kills_while_serving,
        figures.starts,
        figures.replayed_events,
        figures.stored_unanswered,
        ledger.beacons_acknowledged,
        ledger.acknowledged_after_retry,
        ledger.retries,
        ledger.beacons_refused,
        ledger.acknowledged.len(),
        ledger.acknowledged.iter().filter(|key| stored.get(*key) == Some(&1)).count(),
        stored.values().filter(|count| **count > 1).count(),
        ledger.refused.len(),
        ledger.unanswered.len(),
        unanswered_stored,
    );
    assert!(figures.checks > kills / 2, "most starts were checked: {figures:?}");
    assert!(ledger.acknowledged.len() > kills * 20, "traffic flowed: {} acknowledged", ledger.acknowledged.len());
    assert!(ledger.beacons_refused > 0, "invalid beacons were refused");
}

/// Asks the server for every stored event and checks them against what the posters know
/// (none of whom is posting meanwhile). Returns how often each event is stored.
fn check(address: &str, token: &str, ledger: &Ledger, when: &str) -> HashMap<Key, u64> {
    let stored = stored_events(address, token);
    let missing: Vec<_> = ledger.acknowledged.iter().filter(|key| !stored.contains_key(*key)).take(5).collect();
    assert!(missing.is_empty(), "{when}: acknowledged events missing: {missing:?} ({})", ledger.story(&missing));
    let repeated: Vec<_> = stored.iter().filter(|(_, count)| **count > 1).take(5).collect();
    let keys: Vec<&Key> = repeated.iter().map(|(key, _)| *key).collect();
    assert!(repeated.is_empty(), "{when}: events stored more than once: {repeated:?} ({})", ledger.story(&keys));
    let refused: Vec<_> = ledger.refused.iter().filter(|key| stored.contains_key(*key)).take(5).collect();
    assert!(refused.is_empty(), "{when}: events of refused beacons stored: {refused:?}");
    let foreign: Vec<_> = stored
        .keys()
        .filter(|key| !ledger.acknowledged.contains(*key) && !ledger.unanswered.contains(*key))
        .take(5)
        .collect();
    assert!(foreign.is_empty(), "{when}: stored events that were never sent: {foreign:?}");
    stored
}

/// Every stored event of the project with how often it is stored, through `/api/v1/sql`.
fn stored_events(address: &str, token: &str) -> HashMap<Key, u64> {
    let union: Vec<String> = TABLES.iter().map(|table| format!("SELECT view_id, event_id FROM {table}")).collect();
    let sql = format!(
        "SELECT view_id, event_id, count(*) AS n FROM ({}) AS events GROUP BY view_id, event_id",
        union.join(" UNION ALL ")
    );
    let body = json!({ "sql": sql, "max_rows": 1_000_000 }).to_string();
    let mut stream = TcpStream::connect(address).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(60))).expect("a timeout");
    // HTTP/1.0: the answer comes whole, not chunked, and the connection closes after it.
    write!(
        stream,
        "POST /api/v1/sql HTTP/1.0\r\nHost: crash.test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("sends the query");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("reads the answer");
    let answer = String::from_utf8(answer).expect("UTF-8");
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
    let result: Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(result["truncated"], false, "every row is read");
    result["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            let text = |i: usize| row[i].as_str().expect("an id").to_owned();
            ((text(0), text(1)), row[2].as_u64().expect("a count"))
        })
        .collect()
}

/// One beacon as a poster keeps it until the server answers it.
struct Beacon {
    number: u64,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
    keys: Vec<Key>,
    invalid: bool,
}

/// The next beacon of the population; one in [`INVALID_EVERY`] (the third, the fourteenth, …) is made invalid.
fn next_beacon(shared: &Shared) -> Beacon {
    let generated = shared.beacons.lock().expect("the population").next().expect("an endless population");
    let number = {
        let mut next = shared.next_beacon.lock().expect("the counter");
        *next += 1;
        *next
    };
    let mut beacon: Value = serde_json::from_slice(&generated.body).expect("the generator writes JSON");
    let view = beacon["context"]["view_id"].as_str().expect("a view id").to_owned();
    let keys = beacon["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| {
            let view = event["view_id"].as_str().unwrap_or(&view).to_owned();
            (view, event["id"].as_str().expect("an event id").to_owned())
        })
        .collect();
    let invalid = number % INVALID_EVERY == 3; // the third beacon already
    let body = if invalid {
        beacon["context"]["session_id"] = json!(""); // refused whole: a beacon needs a session
        serde_json::to_vec(&beacon).expect("JSON")
    } else {
        generated.body.clone()
    };
    Beacon { number, body, headers: generated.headers(), keys, invalid }
}

/// Posts beacons one after another until told to stop, each until it is answered, as the
/// agent does: no answer, 5xx or 429 ⇒ the same beacon again, a little later.
fn post_until_stopped(shared: &Shared) {
    'beacons: while !shared.stop.load(Ordering::Relaxed) {
        let beacon = next_beacon(shared);
        let mut attempts = 0;
        let status = loop {
            if shared.stop.load(Ordering::Relaxed) {
                break 'beacons;
            }
            let status = {
                let address = shared.address.read().expect("the address");
                let Some(address) = address.as_deref() else {
                    drop(address);
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                attempts += 1;
                let start = shared.start.load(Ordering::Relaxed);
                if attempts == 1 {
                    let mut ledger = shared.ledger.lock().expect("the ledger");
                    ledger.unanswered.extend(beacon.keys.iter().cloned());
                    ledger.beacon_of.extend(beacon.keys.iter().map(|key| (key.clone(), beacon.number)));
                }
                let status = post(address, &beacon);
                let outcome = status.map_or("no answer".to_owned(), |status| status.to_string());
                let mut ledger = shared.ledger.lock().expect("the ledger");
                let history = ledger.history.entry(beacon.number).or_default();
                history.push_str(&format!("{}start {start}: {outcome}", if history.is_empty() { "" } else { ", " }));
                status
            };
            match status {
                Some(status) if status < 500 && status != 429 => break status,
                _ => {
                    shared.ledger.lock().expect("the ledger").retries += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        };
        let mut ledger = shared.ledger.lock().expect("the ledger");
        for key in &beacon.keys {
            ledger.unanswered.remove(key);
        }
        match status {
            202 => {
                assert!(!beacon.invalid, "an invalid beacon was acknowledged");
                ledger.beacons_acknowledged += 1;
                ledger.acknowledged_after_retry += u64::from(attempts > 1);
                ledger.acknowledged.extend(beacon.keys);
            }
            400..=499 => {
                assert!(beacon.invalid, "a valid beacon of the population was refused with {status}");
                ledger.beacons_refused += 1;
                ledger.refused.extend(beacon.keys);
            }
            other => panic!("unexpected status {other}"),
        }
    }
}

/// The status of one POST, or `None` when the exchange did not complete.
fn post(address: &str, beacon: &Beacon) -> Option<u16> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut request = format!("POST /ingest/v1/{INGEST_KEY} HTTP/1.1\r\nHost: shop.example.com\r\n");
    for (name, value) in &beacon.headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", beacon.body.len()));
    stream.write_all(request.as_bytes()).ok()?;
    stream.write_all(&beacon.body).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    std::str::from_utf8(answer.get(..12)?).ok()?.strip_prefix("HTTP/1.1 ")?.parse().ok()
}

/// The load generator's shoppers, with beacons of the agent's rhythm and times near now
/// (the server moves them to its clock by `sent_at`), endlessly: one population after another.
fn population(seed: u64) -> Box<dyn Iterator<Item = GeneratedBeacon> + Send> {
    let options = PopulationOptions {
        now_ms: SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis() as i64,
        window_ms: 3_600_000,
        sessions: 2_000,
        ..PopulationOptions::default()
    };
    Box::new((0..).flat_map(move |round: u64| Population::new(seed.wrapping_add(round), options).expect("options")))
}

fn write_config(dir: &Path) -> PathBuf {
    let path = dir.join("sightline.toml");
    let config = format!(
        "log_level = \"info\"\nlog_format = \"json\"\n\n\
         [intake]\nper_ip_rate_limit_per_second = 0\ntrusted_proxies = [\"127.0.0.1/32\"]\ntrust_cdn_headers = true\n\n\
         [store]\nflush_interval = \"1s\"\nwal_segment_bytes = 65536\n\n\
         [api]\nsql_max_rows = 1000000\n\n\
         [[projects]]\nid = \"shop\"\nname = \"Shop\"\ningest_key = \"{INGEST_KEY}\"\nrate_limit_per_second = 0\n"
    );
    std::fs::write(&path, config).expect("writes the config");
    path
}

/// An API token that reads `shop`, made with the real binary.
fn create_token(config: &Path, data_dir: &Path) -> String {
    let output = sightline()
        .args(["token", "create", "--project", "shop", "--name", "crash", "--config"])
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8").trim().to_owned()
}

/// Starts `sightline serve` on a free loopback port, its log in `log`; the address comes
/// through the channel once the server listens (its banner).
fn spawn(config: &Path, data_dir: &Path, log: &Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = sightline()
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(File::create(log).expect("a log file"))
        .spawn()
        .expect("start sightline");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        // Reads to the end: closing the pipe early would end the server.
        for (index, line) in BufReader::new(stdout).lines().map_while(Result::ok).enumerate() {
            if index == 0 {
                let address = line.rsplit("http://").next().expect("an address in the banner").to_owned();
                let _ = sender.send(address);
            }
        }
    });
    (child, receiver)
}

fn kill_now(server: &mut Child) {
    server.kill().expect("SIGKILL");
    server.wait().expect("the killed server is reaped");
}

/// Whether the server's log says its store opened, and how many events it replayed.
fn store_opened(log: &Path) -> (bool, u64) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let opened = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["fields"]["message"] == "store opened");
    opened.map_or((false, 0), |line| (true, line["fields"]["replayed_events"].as_u64().unwrap_or(0)))
}

/// xorshift64: reproducible random kill moments.
fn next(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}
