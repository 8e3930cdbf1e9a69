//! store-bench: the embedded store alone, in this process (no HTTP), fed by the load
//! generator's population through the real pipeline.
//!
//! Concurrent tasks take beacons from the population, run `Pipeline::process` and
//! `EmbeddedStore::append` (durable: WAL group commit and fsync) with the server's default
//! store settings and its maintenance task (flushes, compaction). Printed: events/s, CPU per
//! event (with the pipeline's share measured alone first), resident memory over the run,
//! then, after a last flush and compaction, bytes on disk per event by kind and the
//! heaviest columns of the `vital` table. It is the quick loop for the store's CPU, memory
//! and on-disk size; `ingest-server-bench` measures the whole server over HTTP.
//!
//! `--rollups` measures only the building of rollups instead: the population's `vital` and
//! `view` events, through the pipeline and in a data file's order (session, view, time),
//! rolled up as a flush does (best of five, CPU time per 100 000 rows, and the rollup's
//! size so that two builds can be compared).
//!
//! `--recovery` measures a restart after a crash instead: the population's events are
//! appended (durably, with no flush) until the write-ahead log holds `--wal-mib` MiB (1 024),
//! the store is dropped without closing, as a killed process leaves it, and a fresh process
//! (this program with `--reopen DIR`) opens the store: the time to replay the log into the
//! buffer, its CPU, and its peak memory.
//!
//! `store-bench [--events N] [--tasks N] [--data-dir DIR] [--rollups] [--recovery [--wal-mib N]] [--smoke]`

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sightline_bench::beacon;
use sightline_bench::population::{GeneratedBeacon, Population, PopulationOptions};
use sightline_bench::server_process::{Sample, Sampler, clock_ticks, cpu_ticks};
use sightline_ingest::{Pipeline, Project};
use sightline_protocol::{EventKind, EventRecord};
use sightline_store::parquet::file::reader::{FileReader, SerializedFileReader};
use sightline_store::{
    EmbeddedStore, EmbeddedStoreOptions, MaintenanceOptions, Manifest, Store, arrow, columns, rollup_of,
};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EVENTS_PER_BEACON: usize = 20;

struct Options {
    events: usize,
    tasks: usize,
    data_dir: Option<PathBuf>,
    rollups: bool,
    recovery: bool,
    wal_mib: u64,
    /// `--reopen DIR`: only open the store in DIR and report (the second half of `--recovery`).
    reopen: Option<PathBuf>,
    smoke: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        events: 2_000_000,
        tasks: 64,
        data_dir: None,
        rollups: false,
        recovery: false,
        wal_mib: 1024,
        reopen: None,
        smoke: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--events" => options.events = parse_number("--events", &value("--events")?)?,
            "--tasks" => options.tasks = parse_number("--tasks", &value("--tasks")?)?.max(1),
            "--data-dir" => options.data_dir = Some(PathBuf::from(value("--data-dir")?)),
            "--rollups" => options.rollups = true,
            "--recovery" => options.recovery = true,
            "--wal-mib" => options.wal_mib = parse_number("--wal-mib", &value("--wal-mib")?)? as u64,
            "--reopen" => options.reopen = Some(PathBuf::from(value("--reopen")?)),
            "--smoke" => {
                options.smoke = true;
                options.events = 2_000;
                options.wal_mib = 1;
            }
            "--help" | "-h" => {
                return Err("usage: store-bench [--events N] [--tasks N] [--data-dir DIR] [--rollups] \
                            [--recovery [--wal-mib N]] [--smoke]"
                    .into());
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    Ok(options)
}

fn parse_number(name: &str, value: &str) -> Result<usize, String> {
    value.replace('_', "").parse().map_err(|_| format!("{name}: {value:?} is not a number"))
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let result = if let Some(dir) = &options.reopen {
        reopen(dir)
    } else if options.recovery {
        recovery(&options)
    } else if options.rollups {
        rollups(&options)
    } else {
        run(&options)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("store-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), String> {
    let temporary = tempfile::tempdir().map_err(|error| format!("cannot create a temporary directory: {error}"))?;
    let data_dir = options.data_dir.clone().unwrap_or_else(|| temporary.path().to_path_buf());
    let build = if cfg!(debug_assertions) { "debug build: figures are not representative" } else { "release build" };
    println!(
        "store-bench: the embedded store in-process, {} events, {} tasks ({build})",
        options.events, options.tasks
    );
    println!("data dir: {}", data_dir.display());

    let pipeline = Pipeline::default();
    let project = beacon::project();
    let (generator_us, pipeline_us) = generator_and_pipeline_cost(&pipeline, &project, options.events.min(200_000))?;
    println!("alone, one thread: load generator {generator_us:.2}, pipeline {pipeline_us:.2} µs CPU per event");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the runtime: {error}"))?;
    runtime.block_on(async {
        let (store, _) = EmbeddedStore::open(&data_dir, &EmbeddedStoreOptions::default())
            .map_err(|error| format!("cannot open the store: {error}"))?;
        let store = Arc::new(store);
        store.start_maintenance(MaintenanceOptions::default());
        let run = append_all(&store, Arc::new(pipeline), Arc::new(project), options.events, options.tasks).await?;
        run.print(generator_us, pipeline_us);
        let stopping = Instant::now();
        store.flush().await.map_err(|error| format!("the last flush failed: {error}"))?;
        let mut merged = 0;
        loop {
            let report = store.compact().await.map_err(|error| format!("compaction failed: {error}"))?;
            if report.files_merged == 0 {
                break;
            }
            merged += report.files_merged;
        }
        store.close().await;
        println!("flush + compaction after the run: {:.1} s ({merged} files merged)", stopping.elapsed().as_secs_f64());
        Ok::<_, String>(())
    })?;
    print_disk_usage(&data_dir.join("store"))
}

/// `--rollups`: the CPU time of building the rollups of the population's `vital` and `view`
/// rows, in a data file's order and batches.
fn rollups(options: &Options) -> Result<(), String> {
    let build = if cfg!(debug_assertions) { "debug build: figures are not representative" } else { "release build" };
    println!("store-bench --rollups: the rollups of {} events' vitals and views ({build})", options.events);
    let pipeline = Pipeline::default();
    let project = beacon::project();
    let mut records: BTreeMap<EventKind, Vec<EventRecord>> = BTreeMap::new();
    for beacon in population()?.take(options.events.div_ceil(EVENTS_PER_BEACON)) {
        let batch = pipeline.process(&project, &beacon.request(), &beacon.body).map_err(|e| e.to_string())?;
        for record in batch.records {
            if matches!(record.body.kind(), EventKind::Vital | EventKind::View) {
                records.entry(record.body.kind()).or_default().push(record);
            }
        }
    }
    for (kind, records) in &mut records {
        // A data file's order, and its batches of 8192 rows.
        records.sort_by(|a, b| {
            (&a.context.session_id, &a.view_id, a.timestamp_ms).cmp(&(
                &b.context.session_id,
                &b.view_id,
                b.timestamp_ms,
            ))
        });
        let batches = records
            .chunks(8192)
            .map(|chunk| columns::record_batch(*kind, chunk).map_err(|error| error.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut best = f64::INFINITY;
        let mut built = None;
        for _ in 0..5 {
            let started = cpu_seconds()?;
            let rollup = rollup_of(*kind, &batches).map_err(|error| error.to_string())?;
            best = best.min(cpu_seconds()? - started);
            built = rollup;
        }
        let (rows, sketch_bytes, units) = built.map_or((0, 0, 0), |batch| {
            let sketches = batch.column_by_name("sketch").map_or(0, |column| column.get_buffer_memory_size());
            let samples = batch.column_by_name("samples").and_then(|column| {
                column
                    .as_any()
                    .downcast_ref::<arrow::array::Int64Array>()
                    .map(|samples| samples.values().iter().sum::<i64>())
            });
            (batch.num_rows(), sketches, samples.unwrap_or(0))
        });
        println!(
            "{:<6} {:>8} rows: {:>7.1} ms CPU per 100 000 rows (best of 5); rollup {rows} rows, {units} units counted over all grouping sets, sketch column {:.1} MB",
            kind.as_str(),
            records.len(),
            best * 1e3 * 100_000.0 / records.len().max(1) as f64,
            sketch_bytes as f64 / 1e6
        );
    }
    Ok(())
}

/// CPU µs per event of the load generator and of the pipeline, each alone, over the
/// population's first beacons.
fn generator_and_pipeline_cost(pipeline: &Pipeline, project: &Project, events: usize) -> Result<(f64, f64), String> {
    let started = cpu_seconds()?;
    let beacons: Vec<GeneratedBeacon> = population()?.take(events.div_ceil(EVENTS_PER_BEACON)).collect();
    let generated: usize = beacons.iter().map(|beacon| beacon.events).sum();
    let generator_us = (cpu_seconds()? - started) * 1e6 / generated.max(1) as f64;
    let started = cpu_seconds()?;
    let mut processed = 0;
    for beacon in &beacons {
        let batch = pipeline.process(project, &beacon.request(), &beacon.body).map_err(|e| e.to_string())?;
        processed += batch.records.len();
    }
    Ok((generator_us, (cpu_seconds()? - started) * 1e6 / processed.max(1) as f64))
}

fn population() -> Result<Population, String> {
    let options = PopulationOptions {
        events_per_beacon: Some(EVENTS_PER_BEACON),
        sessions: 1_000_000,
        ..PopulationOptions::default()
    };
    Population::new(7, options)
}

struct Run {
    events: usize,
    wall: Duration,
    cpu_seconds: f64,
    samples: Vec<Sample>,
}

impl Run {
    fn print(&self, generator_us: f64, pipeline_us: f64) {
        let seconds = self.wall.as_secs_f64();
        let per_event_us = self.cpu_seconds * 1e6 / self.events.max(1) as f64;
        println!(
            "appended {} events in {seconds:.1} s: {:.0} events/s, {:.2} cores",
            self.events,
            self.events as f64 / seconds,
            self.cpu_seconds / seconds
        );
        println!(
            "CPU per event: {per_event_us:.2} µs = generator {generator_us:.2} + pipeline {pipeline_us:.2} + store {:.2}",
            per_event_us - generator_us - pipeline_us
        );
        let mb = |kib: u64| format!("{:.0} MB", kib as f64 / 1024.0);
        let at = |fraction: f64| {
            let index = ((self.samples.len() as f64 - 1.0) * fraction).round() as usize;
            self.samples.get(index).map_or("?".into(), |sample| mb(sample.memory.rss_kib))
        };
        let peak = self.samples.iter().map(|sample| sample.memory.peak_kib).max().unwrap_or(0);
        println!(
            "RSS at 0 / 25 / 50 / 75 / 100 % of the run: {} / {} / {} / {} / {}; peak {}",
            at(0.0),
            at(0.25),
            at(0.5),
            at(0.75),
            at(1.0),
            mb(peak)
        );
    }
}

/// Appends the population's beacons until `events` events are in, from `tasks` concurrent
/// tasks.
async fn append_all(
    store: &Arc<EmbeddedStore>,
    pipeline: Arc<Pipeline>,
    project: Arc<Project>,
    events: usize,
    tasks: usize,
) -> Result<Run, String> {
    append_beacons(store, pipeline, project, population()?.take(events.div_ceil(EVENTS_PER_BEACON)), tasks).await
}

/// Appends `beacons` from `tasks` concurrent tasks.
async fn append_beacons(
    store: &Arc<EmbeddedStore>,
    pipeline: Arc<Pipeline>,
    project: Arc<Project>,
    beacons: impl Iterator<Item = GeneratedBeacon> + Send + 'static,
    tasks: usize,
) -> Result<Run, String> {
    let beacons = Arc::new(Mutex::new(beacons));
    let sampler = Sampler::start(std::process::id(), Duration::from_millis(250));
    let (started, cpu_started) = (Instant::now(), cpu_seconds()?);
    let tasks: Vec<_> = (0..tasks)
        .map(|_| {
            let (beacons, pipeline, project, store) =
                (Arc::clone(&beacons), Arc::clone(&pipeline), Arc::clone(&project), Arc::clone(store));
            tokio::spawn(async move {
                let mut appended = 0;
                loop {
                    let Some(beacon) = beacons.lock().expect("not poisoned").next() else { break };
                    let batch =
                        pipeline.process(&project, &beacon.request(), &beacon.body).map_err(|e| e.to_string())?;
                    appended += batch.records.len();
                    store.append(batch.records).await.map_err(|error| format!("append failed: {error}"))?;
                }
                Ok::<_, String>(appended)
            })
        })
        .collect();
    let mut events = 0;
    for task in tasks {
        events += task.await.map_err(|error| format!("a task failed: {error}"))??;
    }
    let (wall, cpu) = (started.elapsed(), cpu_seconds()? - cpu_started);
    Ok(Run { events, wall, cpu_seconds: cpu, samples: sampler.finish() })
}

/// `--recovery`: fills the WAL to `--wal-mib` MiB with no flush, drops the store as a crash
/// would, and has a fresh process reopen it.
fn recovery(options: &Options) -> Result<(), String> {
    let temporary = tempfile::tempdir().map_err(|error| format!("cannot create a temporary directory: {error}"))?;
    let data_dir = options.data_dir.clone().unwrap_or_else(|| temporary.path().to_path_buf());
    let build = if cfg!(debug_assertions) { "debug build: figures are not representative" } else { "release build" };
    println!("store-bench --recovery: a {} MiB write-ahead log replayed after a crash ({build})", options.wal_mib);
    let target_bytes = options.wal_mib << 20;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the runtime: {error}"))?;
    let (events, filled) = runtime.block_on(async {
        let (store, _) = EmbeddedStore::open(&data_dir, &EmbeddedStoreOptions::default())
            .map_err(|error| format!("cannot open the store: {error}"))?;
        // No maintenance task: nothing is flushed, so the WAL keeps every event.
        let store = Arc::new(store);
        let (pipeline, project) = (Arc::new(Pipeline::default()), Arc::new(beacon::project()));
        // The log's size is looked at every 250 beacons (about 2 MB).
        let wal_dir = data_dir.join("store").join("wal");
        let beacons = population()?
            .enumerate()
            .take_while(move |(index, _)| index % 250 != 0 || dir_bytes(&wal_dir) < target_bytes)
            .map(|(_, beacon)| beacon);
        let started = Instant::now();
        let events = append_beacons(&store, pipeline, project, beacons, 8).await?.events;
        // Dropped without `close`: no last flush, as when the process is killed.
        drop(store);
        Ok::<_, String>((events, started.elapsed()))
    })?;
    drop(runtime);
    let wal_bytes = dir_bytes(&data_dir.join("store").join("wal"));
    println!(
        "appended {events} events in {:.1} s, durably, never flushed: write-ahead log {:.0} MiB ({:.0} bytes per event)",
        filled.as_secs_f64(),
        wal_bytes as f64 / f64::from(1 << 20),
        wal_bytes as f64 / events.max(1) as f64
    );
    let program = std::env::current_exe().map_err(|error| format!("cannot find this program: {error}"))?;
    let status = std::process::Command::new(program)
        .arg("--reopen")
        .arg(&data_dir)
        .status()
        .map_err(|error| format!("cannot start the reopening process: {error}"))?;
    if status.success() { Ok(()) } else { Err(format!("the reopening process failed ({status})")) }
}

/// `--reopen DIR`: opens the store in DIR (replaying its WAL) and reports the time, CPU and
/// peak memory it took; exits without closing (no flush).
fn reopen(data_dir: &Path) -> Result<(), String> {
    let (started, cpu_started) = (Instant::now(), cpu_seconds()?);
    let (store, report) = EmbeddedStore::open(data_dir, &EmbeddedStoreOptions::default())
        .map_err(|error| format!("cannot reopen the store: {error}"))?;
    let (wall, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds()? - cpu_started);
    let memory = sightline_bench::server_process::memory(std::process::id())?;
    let mib = report.wal.bytes as f64 / f64::from(1 << 20);
    println!(
        "reopened in {wall:.2} s ({cpu:.2} s CPU): {} records, {} events, {mib:.0} MiB of log replayed into the buffer \
         ({:.0} MiB/s, {:.0} events/s); {} damaged spots; peak RSS {:.0} MB",
        report.wal.records_replayed,
        report.replayed_events,
        mib / wall,
        report.replayed_events as f64 / wall,
        report.wal.damage.len(),
        memory.peak_kib as f64 / 1024.0
    );
    if report.replayed_events == 0 {
        return Err("nothing was replayed".to_owned());
    }
    drop(store);
    Ok(())
}

/// Bytes of the files directly in `dir` (0 when it does not exist).
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().filter_map(|entry| entry.metadata().ok()).map(|meta| meta.len()).sum())
        .unwrap_or(0)
}

fn cpu_seconds() -> Result<f64, String> {
    Ok(cpu_ticks(None)? as f64 / clock_ticks().0)
}

/// Bytes on disk per row by kind (from the manifest), and the heaviest columns of `vital`.
fn print_disk_usage(store_dir: &Path) -> Result<(), String> {
    let manifest = Manifest::load(store_dir).map_err(|error| error.to_string())?;
    let mut kinds: BTreeMap<&str, (u64, u64, usize)> = BTreeMap::new();
    for file in &manifest.files {
        let entry = kinds.entry(file.kind.as_str()).or_default();
        *entry = (entry.0 + file.rows, entry.1 + file.bytes, entry.2 + 1);
    }
    println!("\n{:<22} {:>10} {:>6} {:>12}", "kind", "rows", "files", "bytes/row");
    for (kind, (rows, bytes, files)) in &kinds {
        println!("{kind:<22} {rows:>10} {files:>6} {:>12.1}", *bytes as f64 / (*rows).max(1) as f64);
    }
    let (rows, bytes) = kinds.values().fold((0, 0), |(r, b), (rows, bytes, _)| (r + rows, b + bytes));
    println!("{:<22} {rows:>10} {:>6} {:>12.1}", "all", "", bytes as f64 / rows.max(1) as f64);

    let mut columns: BTreeMap<String, i64> = BTreeMap::new();
    let mut vital_rows = 0;
    for file in manifest.files.iter().filter(|file| file.kind.as_str() == "vital") {
        let path = store_dir.join("tables").join(&file.path);
        let opened = std::fs::File::open(&path).map_err(|error| format!("{}: {error}", path.display()))?;
        let reader = SerializedFileReader::new(opened).map_err(|error| format!("{}: {error}", path.display()))?;
        for group in reader.metadata().row_groups() {
            vital_rows += group.num_rows();
            for column in group.columns() {
                *columns.entry(column.column_path().string()).or_default() += column.compressed_size();
            }
        }
    }
    let mut heaviest: Vec<(String, i64)> = columns.into_iter().collect();
    heaviest.sort_by_key(|(_, bytes)| -bytes);
    println!("\nheaviest columns of `vital` (compressed bytes per row, {vital_rows} rows):");
    for (name, bytes) in heaviest.iter().take(16) {
        println!("  {name:<24} {:>7.2}", *bytes as f64 / vital_rows.max(1) as f64);
    }
    Ok(())
}
