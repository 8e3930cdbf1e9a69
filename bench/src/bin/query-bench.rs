//! query-bench: the dashboard's queries against the real server over a bulk-loaded store,
//! with DuckDB over the same Parquet files as the reference.
//!
//! 1. **Load** (`sightline_bench::bulk`): `--views` page views of the simulated population
//!    (30 days ending at the start of today, UTC), through the intake's pipeline, written
//!    as the store's own Parquet files (`view`, `vital`, `error`, `request`; every kind with
//!    `--all-kinds`, for the dashboard's page timings over the same data). `--reuse` keeps a
//!    data directory loaded before. The load goes in parts of about 5 million views
//!    (`--parts N` to choose), its progress saved beside the data after each: a run stopped
//!    (or ended by `--load-minutes M`, which starts no part after M minutes) goes on at its
//!    next part when run again with the same options, and queries once every part is in.
//! 2. **Serve**: the release `sightline serve` on a loopback port over that directory
//!    (`[api] query_threads = 2`, a long query timeout), and an API token from
//!    `sightline token create`.
//! 3. **Query**: a fixed set of dashboard queries through `POST /api/v1/query`, one
//!    unmeasured run then `--runs` measured ones each; the median is printed. The server's
//!    resident memory is sampled meanwhile (and its peak, `VmHWM`).
//! 4. **Reference**: `bench/query-bench/duckdb_queries.py` runs the same questions in DuckDB
//!    (PyPI's, in a virtualenv under `target/`) over the same files, the same runs (or
//!    `--duckdb-runs`: DuckDB takes minutes per query at 100M page views); the ratio
//!    Sightline ÷ DuckDB is printed per query. When DuckDB fails, Sightline's figures are
//!    printed without it.
//!
//! `query-bench [--views N] [--runs N] [--data-dir DIR] [--reuse] [--binary PATH]
//! [--threads N] [--seed N] [--all-kinds] [--parts N] [--load-minutes M] [--no-duckdb]
//! [--duckdb-runs N] [--python PATH] [--smoke]`

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sightline_bench::bulk::{self, BulkLoad, BulkOptions, LoadState, VIEWS_PER_PART, add_report};
use sightline_bench::server_process::{Sampler, Server, memory};
use sightline_protocol::EventKind;
use sightline_simulate::population::Part;
use sightline_store::{EmbeddedStore, EmbeddedStoreOptions, Manifest, Store as _};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PROJECT: &str = "shop";
const DAY_MS: i64 = 86_400_000;
const TARGET_MS: f64 = 500.0;
/// The DuckDB script, written next to the data when it runs.
const DUCKDB_SCRIPT: &str = include_str!("../../query-bench/duckdb_queries.py");
/// The releases compared (the population's last two).
const RELEASES: [&str; 2] = ["2.4.1", "2.4.0"];

struct Args {
    views: u64,
    runs: usize,
    data_dir: Option<PathBuf>,
    reuse: bool,
    binary: PathBuf,
    threads: usize,
    seed: u64,
    all_kinds: bool,
    parts: Option<u64>,
    load_minutes: Option<u64>,
    duckdb: bool,
    /// DuckDB's measured runs per query (`--runs` when not given).
    duckdb_runs: Option<usize>,
    python: Option<PathBuf>,
    smoke: bool,
}

const USAGE: &str = "usage: query-bench [--views N] [--runs N] [--data-dir DIR] [--reuse] [--binary PATH] \
                     [--threads N] [--seed N] [--all-kinds] [--parts N] [--load-minutes M] [--no-duckdb] \
                     [--duckdb-runs N] [--python PATH] [--smoke]";

/// The load's state beside the data (the window it covers, the parts loaded).
const LOAD_STATE_FILE: &str = "query-bench-window.json";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        views: 1_000_000,
        runs: 5,
        data_dir: None,
        reuse: false,
        binary: PathBuf::from("target/release/sightline"),
        threads: 2,
        seed: 1,
        all_kinds: false,
        parts: None,
        load_minutes: None,
        duckdb: true,
        duckdb_runs: None,
        python: None,
        smoke: false,
    };
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        let mut value = |name: &str| argv.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--views" => args.views = number("--views", &value("--views")?)?,
            "--runs" => args.runs = number::<usize>("--runs", &value("--runs")?)?.max(1),
            "--data-dir" => args.data_dir = Some(PathBuf::from(value("--data-dir")?)),
            "--reuse" => args.reuse = true,
            "--binary" => args.binary = PathBuf::from(value("--binary")?),
            "--threads" => args.threads = number::<usize>("--threads", &value("--threads")?)?.max(1),
            "--seed" => args.seed = number("--seed", &value("--seed")?)?,
            "--all-kinds" => args.all_kinds = true,
            "--parts" => args.parts = Some(number::<u64>("--parts", &value("--parts")?)?.max(1)),
            "--load-minutes" => args.load_minutes = Some(number("--load-minutes", &value("--load-minutes")?)?),
            "--no-duckdb" => args.duckdb = false,
            "--duckdb-runs" => {
                args.duckdb_runs = Some(number::<usize>("--duckdb-runs", &value("--duckdb-runs")?)?.max(1));
            }
            "--python" => args.python = Some(PathBuf::from(value("--python")?)),
            "--smoke" => {
                args.smoke = true;
                args.views = 3_000;
                args.runs = 2;
            }
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.replace('_', "").parse().map_err(|_| format!("{flag}: {text:?} is not a number"))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("query-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// One query of the set: its name, what it shows, and the query.
struct Query {
    name: &'static str,
    what: &'static str,
    body: Value,
}

/// The times the queries cover.
struct Window {
    from_ms: i64,
    to_ms: i64,
    week_from_ms: i64,
}

fn run(args: &Args) -> Result<(), String> {
    let build = if cfg!(debug_assertions) { "debug build: figures are not representative" } else { "release build" };
    let temporary = tempfile::tempdir().map_err(|error| format!("cannot create a temporary directory: {error}"))?;
    let data_dir = match (&args.data_dir, args.smoke) {
        (Some(dir), _) => dir.clone(),
        (None, true) => temporary.path().to_path_buf(),
        (None, false) => PathBuf::from(format!("/tmp/sightline-query-bench/{}", args.views)),
    };
    println!(
        "query-bench: {} page views, {} runs per query ({build}), data in {}",
        args.views,
        args.runs,
        data_dir.display()
    );
    if !args.binary.is_file() {
        return Err(format!(
            "no sightline binary at {}: build it with `cargo build --release -p sightline-cli` (or pass --binary)",
            args.binary.display()
        ));
    }

    let store_dir = data_dir.join("store");
    let Some(window) = load_or_reuse(args, &data_dir, &store_dir)? else {
        return Ok(());
    };
    print_storage(&store_dir, args.views)?;

    let config = data_dir.join("query-bench.toml");
    std::fs::write(&config, config_toml(&data_dir))
        .map_err(|error| format!("cannot write {}: {error}", config.display()))?;
    let token = create_token(&args.binary, &config)?;
    let log = data_dir.join("sightline.log");
    // The timeline's session is picked by a server of its own: the week's session list is
    // not in the set, and its memory would show in the set's peak.
    let picking = Server::start(&args.binary, &config, &log, Duration::from_secs(120))?;
    let session = pick_session(&picking.address, &token, &window)?;
    picking.stop(Duration::from_secs(120))?;
    let started = Instant::now();
    let server = Server::start(&args.binary, &config, &log, Duration::from_secs(120))?;
    println!("server up in {:.1} s (pid {}), RSS {}", started.elapsed().as_secs_f64(), server.pid(), rss(server.pid()));
    let queries = query_set(&window, &session);
    let sampler = Sampler::start(server.pid(), Duration::from_millis(100));
    let mut ours = Vec::new();
    let mut answers = Vec::new();
    for query in &queries {
        let (times, answer) = time_query(&server.address, &token, query, args.runs)?;
        ours.push(times);
        answers.push(answer);
    }
    let samples = sampler.finish();
    let peak_sampled = samples.iter().map(|sample| sample.memory.rss_kib).max().unwrap_or(0);
    let after = memory(server.pid()).unwrap_or_default();
    server.stop(Duration::from_secs(120))?;

    // Sightline's figures are printed even when DuckDB fails (at 100M page views it runs
    // for most of an hour after them); the run then fails with DuckDB's reason.
    let (reference, duckdb_failure) = if args.duckdb {
        match duckdb(args, &data_dir, &store_dir, &window, &session) {
            Ok(reference) => (reference, None),
            Err(why) => {
                println!("DuckDB failed (the reason at the end): the table has no reference column");
                (None, Some(why))
            }
        }
    } else {
        println!("DuckDB: left out (--no-duckdb)");
        (None, None)
    };
    print_table(&queries, &ours, reference.as_ref());
    println!("Sightline's answers (first figures):");
    for (query, answer) in queries.iter().zip(&answers) {
        println!("  {}: {}", query.name, summary(answer));
    }
    println!(
        "server memory during the query set: peak sampled RSS {:.0} MB, VmHWM {:.0} MB (since its start), RSS after {:.0} MB",
        peak_sampled as f64 / 1024.0,
        after.peak_kib as f64 / 1024.0,
        after.rss_kib as f64 / 1024.0
    );
    duckdb_failure.map_or(Ok(()), Err)
}

/// Loads the population into `data_dir`, goes on with a load stopped between parts, or
/// reuses a complete one; the window it covers, or `None` when `--load-minutes` stopped the
/// load before its last part.
fn load_or_reuse(args: &Args, data_dir: &Path, store_dir: &Path) -> Result<Option<Window>, String> {
    let state_file = data_dir.join(LOAD_STATE_FILE);
    let asked = LoadState {
        now_ms: today_ms(),
        views: args.views,
        seed: args.seed,
        all_kinds: args.all_kinds,
        shards: args.threads as u64,
        parts: args.parts.unwrap_or(args.views.div_ceil(VIEWS_PER_PART)).max(1),
        parts_done: 0,
        // A new load begins where no manifest was saved yet (a resumed one checks its own).
        store_version: Some(0),
    };
    let mut state = match LoadState::read(&state_file)? {
        Some(state) if state.is_complete() && args.reuse => {
            println!("reusing the data loaded before (window ending {})", state.now_ms);
            write_due_day_rollups(data_dir)?;
            return Ok(Some(window_of(state.now_ms)));
        }
        Some(state) if state.is_complete() => {
            return Err(format!("{} holds a store already: pass --reuse, or delete it", data_dir.display()));
        }
        Some(mut state) => {
            // `--parts` left out: the parts of the load under way.
            let asked = LoadState { parts: args.parts.unwrap_or(state.parts), ..asked };
            if let Some(why) = asked.differs_from(&state) {
                return Err(why);
            }
            state.reconcile(manifest_version(store_dir)?)?;
            println!(
                "going on with the load: {} of {} parts loaded before ({} generator threads, as it began)",
                state.parts_done, state.parts, state.shards
            );
            state
        }
        None if store_dir.join("manifest.json").is_file() => {
            return Err(format!(
                "{} holds a store but no {LOAD_STATE_FILE}: it was not loaded by query-bench; delete it",
                data_dir.display()
            ));
        }
        None => {
            std::fs::create_dir_all(data_dir)
                .map_err(|error| format!("cannot create {}: {error}", data_dir.display()))?;
            asked.save(&state_file)?;
            asked
        }
    };
    let started = Instant::now();
    let cpu_started = process_cpu_seconds();
    let mut total = BulkLoad::default();
    while !state.is_complete() {
        if args.load_minutes.is_some_and(|minutes| started.elapsed() >= Duration::from_secs(minutes * 60)) {
            println!(
                "stopped after {} of {} parts (--load-minutes): run the same command again to go on",
                state.parts_done, state.parts
            );
            print_load(&total, process_cpu_seconds() - cpu_started);
            return Ok(None);
        }
        let part = load_part(args, data_dir, &state)?;
        add_report(&mut total, &part);
        state.parts_done += 1;
        state.store_version = Some(manifest_version(store_dir)?);
        state.save(&state_file)?;
    }
    print_load(&total, process_cpu_seconds() - cpu_started);
    Ok(Some(window_of(state.now_ms)))
}

/// Writes the day rollups a store loaded by an older version lacks (a load writes its
/// days' as it finishes), so that the server starts with none due: its maintenance would
/// write them while the queries are measured.
fn write_due_day_rollups(data_dir: &Path) -> Result<(), String> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a runtime: {error}"))?;
    let report = runtime.block_on(async {
        let (store, _) = EmbeddedStore::open(data_dir, &EmbeddedStoreOptions::default())
            .map_err(|error| format!("cannot open the store to write its day rollups: {error}"))?;
        let report = store.write_day_rollups(Duration::MAX).await;
        store.close().await;
        report.map_err(|error| format!("cannot write the store's day rollups: {error}"))
    })?;
    if report.written > 0 {
        println!(
            "wrote the {} day rollups the store lacked in {:.1} s",
            report.written,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Loads the next part of `state`'s load.
fn load_part(args: &Args, data_dir: &Path, state: &LoadState) -> Result<BulkLoad, String> {
    let options = BulkOptions {
        views: state.views,
        seed: state.seed,
        now_ms: state.now_ms,
        window_ms: 30 * DAY_MS,
        threads: state.shards as usize,
        // The kinds the query set reads; every kind when empty.
        kinds: if state.all_kinds {
            Vec::new()
        } else {
            vec![EventKind::View, EventKind::Vital, EventKind::Error, EventKind::Request]
        },
        progress: (!args.smoke).then_some(Duration::from_secs(30)),
        part: Part { index: state.parts_done, parts: state.parts },
    };
    let part = bulk::load(data_dir, &options)?;
    if state.parts > 1 {
        println!(
            "part {} of {}: {} page views in {:.1} s",
            state.parts_done + 1,
            state.parts,
            part.views,
            part.elapsed.as_secs_f64()
        );
    }
    Ok(part)
}

/// The version of the manifest of the store in `store_dir` (0 before its first save).
fn manifest_version(store_dir: &Path) -> Result<u64, String> {
    Manifest::load(store_dir).map(|manifest| manifest.version).map_err(|error| error.to_string())
}

/// What this run loaded, and how fast (`cpu`: the process's CPU seconds meanwhile).
fn print_load(load: &BulkLoad, cpu: f64) {
    let seconds = load.elapsed.as_secs_f64().max(1e-9);
    println!(
        "loaded {} page views ({} beacons, {} events through the pipeline, {} dropped) in {seconds:.1} s: \
         {:.0} views/s, {:.0} events/s, {:.2} cores",
        load.views,
        load.beacons,
        load.events,
        load.dropped,
        load.views as f64 / seconds,
        load.events as f64 / seconds,
        cpu / seconds
    );
    println!(
        "kept {} rows ({}) in {} files, {:.1} MB",
        load.written.rows,
        load.rows.iter().map(|(kind, rows)| format!("{kind} {rows}")).collect::<Vec<_>>().join(", "),
        load.written.files,
        load.written.bytes as f64 / 1e6
    );
}

fn window_of(now_ms: i64) -> Window {
    Window { from_ms: now_ms - 30 * DAY_MS, to_ms: now_ms, week_from_ms: now_ms - 7 * DAY_MS }
}

/// The start of today, UTC, epoch ms: data within the default retention of a project.
fn today_ms() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    now - now.rem_euclid(DAY_MS)
}

/// Rows, files and bytes per kind, and per page view.
fn print_storage(store_dir: &Path, views: u64) -> Result<(), String> {
    let manifest = Manifest::load(store_dir).map_err(|error| error.to_string())?;
    let mut kinds: std::collections::BTreeMap<&str, (u64, u64, usize)> = std::collections::BTreeMap::new();
    for file in &manifest.files {
        let entry = kinds.entry(file.kind.as_str()).or_default();
        *entry = (entry.0 + file.rows, entry.1 + file.bytes, entry.2 + 1);
    }
    let views_stored = kinds.get("view").map_or(views, |entry| entry.0).max(1);
    println!("{:<10} {:>12} {:>6} {:>12} {:>10} {:>12}", "kind", "rows", "files", "MB", "bytes/row", "rows/view");
    let (mut rows, mut bytes) = (0, 0);
    for (kind, (kind_rows, kind_bytes, files)) in &kinds {
        rows += kind_rows;
        bytes += kind_bytes;
        println!(
            "{kind:<10} {kind_rows:>12} {files:>6} {:>12.1} {:>10.1} {:>12.2}",
            *kind_bytes as f64 / 1e6,
            *kind_bytes as f64 / (*kind_rows).max(1) as f64,
            *kind_rows as f64 / views_stored as f64
        );
    }
    println!(
        "{:<10} {rows:>12} {:>6} {:>12.1} {:>10.1} {:>12.2}   ({:.0} bytes per page view)",
        "all",
        manifest.files.len(),
        bytes as f64 / 1e6,
        bytes as f64 / rows.max(1) as f64,
        rows as f64 / views_stored as f64,
        bytes as f64 / views_stored as f64
    );
    let rollups = store_dir.join(sightline_store::ROLLUPS_DIR);
    let size = |path: &str| std::fs::metadata(rollups.join(path)).map_or(0, |metadata| metadata.len());
    let covered: std::collections::HashSet<&str> =
        manifest.day_rollups.iter().flat_map(|rollup| rollup.covers.iter().map(String::as_str)).collect();
    let (file_rollups, covered_rollups) = manifest.files.iter().fold((0, 0), |(all, covered_bytes), file| {
        let bytes = size(&file.path);
        (all + bytes, covered_bytes + if covered.contains(file.path.as_str()) { bytes } else { 0 })
    });
    let day_rollups: u64 = manifest.day_rollups.iter().map(|rollup| size(&rollup.path)).sum();
    println!(
        "rollups: the files' {:.1} MB; {} day rollups {:.1} MB, read in place of {} files' {:.1} MB",
        file_rollups as f64 / 1e6,
        manifest.day_rollups.len(),
        day_rollups as f64 / 1e6,
        covered.len(),
        covered_rollups as f64 / 1e6
    );
    Ok(())
}

fn config_toml(data_dir: &Path) -> String {
    let data_dir = Value::String(data_dir.display().to_string());
    format!(
        "# Written by query-bench.\nlisten = \"127.0.0.1:0\"\ndata_dir = {data_dir}\nlog_level = \"warn\"\n\n\
         [api]\nquery_timeout_secs = 3600\nquery_threads = 2\nmax_concurrent_queries = 4\n\n\
         [[projects]]\nid = \"{PROJECT}\"\nname = \"Query benchmark\"\ningest_key = \"pk_query_bench_0001\"\n\
         retention_days = 36500\n"
    )
}

/// A fresh API token for the project, from `sightline token create`.
fn create_token(binary: &Path, config: &Path) -> Result<String, String> {
    let name = format!("query-bench-{}", std::process::id());
    let output = Command::new(binary)
        .args(["token", "create", "--project", PROJECT, "--name", &name, "--config"])
        .arg(config)
        .output()
        .map_err(|error| format!("cannot run {} token create: {error}", binary.display()))?;
    if !output.status.success() {
        return Err(format!("token create failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// One session with a few views, from a session list (not measured): its id and time range.
struct Session {
    id: String,
    from_ms: i64,
    to_ms: i64,
}

fn pick_session(address: &str, token: &str, window: &Window) -> Result<Session, String> {
    let query = json!({
        "shape": "session_list",
        "range": {"from": window.week_from_ms, "to": window.to_ms},
        "sort_by": "views",
        "limit": 1
    });
    let (status, body) = post_json(address, "/api/v1/query", token, &query.to_string())?;
    if status != 200 {
        return Err(format!("session list: {status} {body}"));
    }
    let value: Value = serde_json::from_str(&body).map_err(|error| format!("session list: {error}"))?;
    let row = &value["rows"][0];
    let time = |field: &str| {
        row[field].as_str().and_then(parse_rfc3339_ms).ok_or(format!("session list: no {field} in {row}"))
    };
    Ok(Session {
        id: row["session_id"].as_str().ok_or("session list: no session")?.to_owned(),
        from_ms: time("start")?,
        to_ms: time("end")? + 1,
    })
}

/// `2026-01-01T08:07:05.730Z` → epoch ms (UTC answers only).
fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let mut date_parts = date.split('-').map(|part| part.parse::<i64>().ok());
    let (year, month, day) = (date_parts.next()??, date_parts.next()??, date_parts.next()??);
    let (hms, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let mut time_parts = hms.split(':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (time_parts.next()??, time_parts.next()??, time_parts.next()??);
    let millis: i64 = format!("{fraction:0<3}")[..3].parse().ok()?;
    // Howard Hinnant's days_from_civil.
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// The dashboard's queries.
fn query_set(window: &Window, session: &Session) -> Vec<Query> {
    let month = json!({"from": window.from_ms, "to": window.to_ms});
    let week = json!({"from": window.week_from_ms, "to": window.to_ms});
    let release = |name: &str| json!([{"dimension": "release", "op": "eq", "value": name}]);
    vec![
        Query {
            name: "overview",
            what: "tiles, 30 days: page views, p75 LCP / INP / CLS, error rate",
            body: json!({"shape": "values", "range": month, "tiles": [
                {"metric": "page_views", "statistic": "count"},
                {"metric": "lcp", "statistic": "p75"},
                {"metric": "inp", "statistic": "p75"},
                {"metric": "cls", "statistic": "p75"},
                {"metric": "error_rate", "statistic": "rate"}
            ]}),
        },
        Query {
            name: "lcp_series",
            what: "p75 LCP by hour, 30 days",
            body: json!({"shape": "time_series", "range": month, "metric": "lcp", "statistics": ["p75"], "bucket": "hour"}),
        },
        Query {
            name: "inp_breakdown",
            what: "p75 INP by route × browser, 30 days, top 10",
            body: json!({"shape": "breakdown", "range": month, "metric": "inp", "statistics": ["p75"],
                "group_by": ["route", "browser"], "limit": 10}),
        },
        Query {
            name: "cls_distribution",
            what: "CLS histogram, 30 days",
            body: json!({"shape": "distribution", "range": month, "metric": "cls"}),
        },
        Query {
            name: "error_groups",
            what: "error groups, 7 days",
            body: json!({"shape": "error_groups", "range": week}),
        },
        Query {
            name: "session_timeline",
            what: "one session's timeline",
            body: json!({"shape": "session_timeline", "range": {"from": session.from_ms, "to": session.to_ms},
                "session_id": session.id}),
        },
        Query {
            name: "release_comparison",
            what: "p75 LCP and page views, 2.4.1 vs 2.4.0, 30 days",
            body: json!({"shape": "values", "range": month, "filters": release(RELEASES[0]),
                "tiles": [{"metric": "lcp", "statistic": "p75"}, {"metric": "page_views", "statistic": "count"}],
                "compare": {"filters": release(RELEASES[1])}}),
        },
    ]
}

/// One unmeasured run, then `runs` measured ones: seconds each, and the first answer.
fn time_query(address: &str, token: &str, query: &Query, runs: usize) -> Result<(Vec<f64>, Value), String> {
    let body = query.body.to_string();
    let mut times = Vec::with_capacity(runs);
    let mut first = Value::Null;
    for run in 0..=runs {
        let started = Instant::now();
        let (status, answer) = post_json(address, "/api/v1/query", token, &body)?;
        let elapsed = started.elapsed().as_secs_f64();
        if status != 200 {
            return Err(format!("{}: {status} {}", query.name, answer.chars().take(500).collect::<String>()));
        }
        if run == 0 {
            first = serde_json::from_str(&answer).unwrap_or(Value::Null);
        } else {
            times.push(elapsed);
        }
    }
    Ok((times, first))
}

/// The first figures of an answer, to compare with DuckDB's.
fn summary(answer: &Value) -> String {
    let figures: Vec<String> = match answer["shape"].as_str() {
        Some("values") => answer["values"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|tile| match tile["comparison"]["baseline"].as_f64() {
                Some(baseline) => format!("{} (baseline {baseline})", tile["value"]),
                None => tile["value"].to_string(),
            })
            .collect(),
        Some("time_series") => vec![answer["series"][0]["points"][0].to_string()],
        Some("breakdown") => vec![answer["rows"][0].to_string()],
        Some("distribution") => vec![answer["buckets"][0].to_string(), format!("count {}", answer["count"])],
        Some("error_groups") => vec![format!("{} groups; first {}", answer["total_groups"], answer["groups"][0])],
        Some("session_timeline") => {
            vec![format!("{} events", answer["events"].as_array().map_or(0, Vec::len))]
        }
        _ => vec![answer.to_string()],
    };
    let text = figures.join(", ");
    if text.chars().count() > 400 { text.chars().take(400).collect::<String>() + "…" } else { text }
}

/// `POST path` with a JSON body over a fresh connection: the status and the body.
fn post_json(address: &str, path: &str, token: &str, body: &str) -> Result<(u16, String), String> {
    let fail = |error: std::io::Error| format!("POST {path}: {error}");
    let mut stream = TcpStream::connect(address).map_err(fail)?;
    stream.set_read_timeout(Some(Duration::from_secs(3600))).map_err(fail)?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(fail)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(fail)?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").ok_or(format!("POST {path}: no HTTP answer"))?;
    let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    Ok((status, if chunked { dechunk(body) } else { body.to_owned() }))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// DuckDB's medians per query, or `None` with a note when it is not installed (smoke) .
fn duckdb(
    args: &Args,
    data_dir: &Path,
    store_dir: &Path,
    window: &Window,
    session: &Session,
) -> Result<Option<Value>, String> {
    let Some(python) = python(args)? else { return Ok(None) };
    let script = data_dir.join("duckdb_queries.py");
    std::fs::write(&script, DUCKDB_SCRIPT).map_err(|error| format!("cannot write {}: {error}", script.display()))?;
    let input = json!({
        "tables": store_dir.join("tables"),
        "project": PROJECT,
        "from_ms": window.from_ms,
        "to_ms": window.to_ms,
        "week_from_ms": window.week_from_ms,
        "session": {"id": session.id, "from_ms": session.from_ms, "to_ms": session.to_ms},
        "releases": RELEASES,
        "runs": args.duckdb_runs.unwrap_or(args.runs),
        "threads": args.threads,
    });
    let output = Command::new(&python)
        .arg(&script)
        .arg(input.to_string())
        .output()
        .map_err(|error| format!("cannot run {}: {error}", python.display()))?;
    if !output.status.success() {
        return Err(format!("the DuckDB script failed:\n{}", String::from_utf8_lossy(&output.stderr)));
    }
    let value: Value =
        serde_json::from_slice(&output.stdout).map_err(|error| format!("the DuckDB script's answer: {error}"))?;
    println!(
        "DuckDB {} over the same files, {} threads, {} runs per query",
        value["duckdb"].as_str().unwrap_or("?"),
        args.threads,
        input["runs"]
    );
    Ok(Some(value))
}

/// The Python with DuckDB: `--python`, or the virtualenv under `target/`, made (with
/// `pip install duckdb`) when missing, except in smoke mode, which never downloads.
fn python(args: &Args) -> Result<Option<PathBuf>, String> {
    if let Some(python) = &args.python {
        return Ok(Some(python.clone()));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/query-bench-venv");
    let python = venv.join("bin/python");
    let has_duckdb = |python: &Path| {
        Command::new(python).args(["-c", "import duckdb"]).output().is_ok_and(|out| out.status.success())
    };
    if python.is_file() && has_duckdb(&python) {
        return Ok(Some(python));
    }
    if args.smoke {
        println!(
            "DuckDB: not installed, the reference column is left out (a full run installs it into {})",
            venv.display()
        );
        return Ok(None);
    }
    println!("installing DuckDB from PyPI into {}", venv.display());
    let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status();
    let installed = made.is_ok_and(|status| status.success())
        && Command::new(venv.join("bin/pip")).args(["install", "-q", "duckdb"]).status().is_ok_and(|s| s.success());
    if !installed || !has_duckdb(&python) {
        return Err(format!("cannot install DuckDB into {} (python3 -m venv, pip install duckdb)", venv.display()));
    }
    Ok(Some(python))
}

fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn print_table(queries: &[Query], ours: &[Vec<f64>], reference: Option<&Value>) {
    println!(
        "\n| query | what | Sightline median ms | min–max | DuckDB median ms | Sightline ÷ DuckDB | ≤ {TARGET_MS:.0} ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---|");
    for (query, times) in queries.iter().zip(ours) {
        let ms = median(times) * 1e3;
        let (min, max) = times.iter().fold((f64::MAX, 0.0_f64), |(lo, hi), t| (lo.min(*t), hi.max(*t)));
        let duck = reference
            .and_then(|value| value["queries"][query.name].as_array())
            .map(|runs| median(&runs.iter().filter_map(Value::as_f64).collect::<Vec<_>>()) * 1e3);
        let (duck_text, ratio) = match duck {
            Some(duck) => (format!("{duck:.1}"), format!("{:.2}", ms / duck)),
            None => ("—".to_owned(), "—".to_owned()),
        };
        println!(
            "| {} | {} | {ms:.1} | {:.0}–{:.0} | {duck_text} | {ratio} | {} |",
            query.name,
            query.what,
            min * 1e3,
            max * 1e3,
            if ms <= TARGET_MS { "meets" } else { "misses" }
        );
    }
    if let Some(answers) = reference.map(|value| &value["answers"]) {
        println!("DuckDB's answers (first figure of each statement): {answers}");
    }
}

fn rss(pid: u32) -> String {
    memory(pid).map_or("?".into(), |memory| format!("{:.0} MB", memory.rss_kib as f64 / 1024.0))
}

fn process_cpu_seconds() -> f64 {
    let ticks = sightline_bench::server_process::cpu_ticks(None).unwrap_or(0);
    ticks as f64 / sightline_bench::server_process::clock_ticks().0
}
