//! Bulk loading of the simulated population into a store directory, without a server:
//! beacons from [`population`](crate::population), through the intake's
//! [`Pipeline`](sightline_ingest::Pipeline) (parse, validate, normalize, enrich), into the
//! store's own Parquet files by [`BulkWriter`] (the flush's writer and layout, listed in the
//! manifest). `sightline serve` opens the directory as if it had ingested the events.
//!
//! The population is cut into `threads` shards, each its own seed and share of the
//! sessions over the same window; each shard's thread generates beacons and runs them
//! through the pipeline, and one writer thread (this one) sorts and writes the files.
//! Only the event kinds asked for are kept (the query benchmark keeps `view`, `vital`,
//! `error` and `request`: the other kinds would double the data and no dashboard query
//! reads them).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sightline_ingest::Pipeline;
use sightline_protocol::{EventKind, EventRecord};
use sightline_store::{BulkReport, BulkWriter, DEFAULT_BULK_ROWS_PER_FILE};

use crate::beacon;
use crate::population::{Population, PopulationOptions};

/// Page views per session of the population (its geometric page count: 3.6 on average),
/// to size the population for a number of page views.
pub const VIEWS_PER_SESSION: f64 = 3.6;

const DAY_MS: i64 = 86_400_000;

/// What to load.
#[derive(Debug, Clone)]
pub struct BulkOptions {
    /// Page views wanted (approximately: the population is sized for it).
    pub views: u64,
    /// The population's seed (shard `i` uses `seed + i`).
    pub seed: u64,
    /// End of the simulated window, epoch ms.
    pub now_ms: i64,
    /// Length of the window, ms.
    pub window_ms: i64,
    /// Generator threads.
    pub threads: usize,
    /// Kinds kept; every kind when empty.
    pub kinds: Vec<EventKind>,
    /// Print progress to stderr every this often.
    pub progress: Option<Duration>,
}

/// What a bulk load did.
#[derive(Debug, Clone, Default)]
pub struct BulkLoad {
    /// Beacons generated.
    pub beacons: u64,
    /// Events the pipeline produced (all kinds).
    pub events: u64,
    /// Records kept and written, by kind.
    pub rows: BTreeMap<&'static str, u64>,
    /// `view` events (one per page view, a few views have a second).
    pub views: u64,
    /// Beacons the pipeline refused or events it dropped.
    pub dropped: u64,
    /// What the writer wrote.
    pub written: BulkReport,
    /// Wall time.
    pub elapsed: Duration,
}

/// Loads the population into the store under `data_dir` (which must not hold an ingesting
/// store).
pub fn load(data_dir: &Path, options: &BulkOptions) -> Result<BulkLoad, String> {
    let started = Instant::now();
    let mut writer = BulkWriter::create(data_dir, DEFAULT_BULK_ROWS_PER_FILE).map_err(|error| error.to_string())?;
    let threads = options.threads.max(1);
    let sessions = ((options.views as f64 / VIEWS_PER_SESSION).ceil() as u64).max(1);
    let (sender, receiver) = mpsc::sync_channel::<Message>(256);
    let mut handles = Vec::new();
    for shard in 0..threads {
        let shard_sessions = sessions / threads as u64 + u64::from((shard as u64) < sessions % threads as u64);
        let population_options = PopulationOptions {
            now_ms: options.now_ms,
            window_ms: options.window_ms,
            sessions: shard_sessions,
            ..PopulationOptions::default()
        };
        let population = Population::new(options.seed + shard as u64, population_options)?;
        let (sender, kinds) = (sender.clone(), options.kinds.clone());
        handles.push(std::thread::spawn(move || generate(shard, population, &kinds, &sender)));
    }
    drop(sender);

    let mut load = BulkLoad::default();
    let mut last_progress = Instant::now();
    // Each shard's beacons come in time order: once every shard has sent records of day d,
    // the days before d − 1 are complete (a beacon's events are at most a day older than it).
    let mut shard_days = vec![i64::MIN; threads];
    let mut frontier = i64::MIN;
    for message in receiver {
        let (shard, events, dropped, records) = message;
        if let Some(day) = records.iter().map(|record| record.timestamp_ms.div_euclid(DAY_MS)).max() {
            shard_days[shard] = shard_days[shard].max(day);
        }
        load.beacons += 1;
        load.events += events;
        load.dropped += dropped;
        for record in &records {
            let kind = record.body.kind();
            *load.rows.entry(kind.as_str()).or_default() += 1;
            load.views += u64::from(kind == EventKind::View);
        }
        writer.append(records).map_err(|error| error.to_string())?;
        let complete = shard_days.iter().min().copied().unwrap_or(i64::MIN).saturating_sub(1);
        if complete > frontier {
            frontier = complete;
            writer.write_days_before(frontier).map_err(|error| error.to_string())?;
        }
        if let Some(every) = options.progress
            && last_progress.elapsed() >= every
        {
            last_progress = Instant::now();
            let seconds = started.elapsed().as_secs_f64();
            eprintln!(
                "  bulk load: {} views, {} events in {seconds:.0} s ({:.0} views/s)",
                load.views,
                load.events,
                load.views as f64 / seconds
            );
        }
    }
    for handle in handles {
        handle.join().map_err(|_| "a generator thread panicked".to_owned())?;
    }
    load.written = writer.finish().map_err(|error| error.to_string())?;
    load.elapsed = started.elapsed();
    Ok(load)
}

/// The shard, events produced, events dropped, records kept: one beacon's.
type Message = (usize, u64, u64, Vec<EventRecord>);

/// One shard: beacons → pipeline → the kept records, sent to the writer.
fn generate(shard: usize, population: Population, kinds: &[EventKind], sender: &mpsc::SyncSender<Message>) {
    let (pipeline, project) = (Pipeline::default(), beacon::project());
    for generated in population {
        let message = match pipeline.process(&project, &generated.request(), &generated.body) {
            Ok(batch) => {
                let events = batch.records.len() as u64;
                let dropped = (generated.events as u64).saturating_sub(events);
                let mut records = batch.records;
                if !kinds.is_empty() {
                    records.retain(|record| kinds.contains(&record.body.kind()));
                }
                (shard, events, dropped, records)
            }
            // Counted as dropped: every population beacon is accepted whole (a test checks it).
            Err(_) => (shard, 0, generated.events as u64, Vec::new()),
        };
        if sender.send(message).is_err() {
            return;
        }
    }
}
