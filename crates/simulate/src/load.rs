//! Bulk loading of a simulated population into a store directory, without a server:
//! beacons from [`population`](crate::population), through the intake's
//! [`Pipeline`] (parse, validate, normalize, enrich), into the store's own Parquet files
//! by [`BulkWriter`] (the flush's writer and layout, listed in the manifest). A server that
//! opens the directory afterwards sees the events as if it had ingested them.
//!
//! The population is cut into `threads` shards, each its own seed (`seed + shard`) and
//! share of the sessions over the same window. Each shard's thread generates beacons and
//! runs them through the pipeline; the calling thread receives the records, has the
//! writer sort and write them a day at a time, and reports progress. Only the event
//! kinds asked for are generated ([`Population::with_kinds`]): the others cost neither
//! serialization nor the pipeline.
//!
//! `sightline demo` loads its history with this (every kind, its stories, its project),
//! and the query benchmark its data (the kinds the dashboard's queries read).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sightline_ingest::{Pipeline, Project, ProjectConfig};
use sightline_protocol::{EventKind, EventRecord};
use sightline_store::{BulkReport, BulkWriter, DEFAULT_BULK_ROWS_PER_FILE};

use crate::Error;
use crate::population::stories::Scenario;
use crate::population::{Part, Population, PopulationOptions, shop_project};

/// Page views per session of the population (its geometric page count: 3.6 on average),
/// to size the population for a number of page views.
pub const VIEWS_PER_SESSION: f64 = 3.6;

const DAY_MS: i64 = 86_400_000;

/// Beacons queued between the generators and the writer: the generators go on while the
/// writer sorts, compresses and syncs a finished day's files (seconds at millions of views;
/// with 256, the generators stood still for most of it). About 4 kB of records a beacon.
const QUEUED_BEACONS: usize = 8192;

/// What to load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Page views wanted (approximately: the population is sized for it).
    pub views: u64,
    /// The population's seed (shard `i` uses `seed + i`).
    pub seed: u64,
    /// End of the simulated window, epoch ms.
    pub now_ms: i64,
    /// Length of the window, ms.
    pub window_ms: i64,
    /// Generator threads (at least one).
    pub threads: usize,
    /// Kinds kept; every kind when empty.
    pub kinds: Vec<EventKind>,
    /// The stories the population tells.
    pub scenario: Scenario,
    /// The project the beacons are processed for (its routes, allowlist and caps).
    pub project: ProjectConfig,
    /// The part of the population to load (the whole by default): a long load in parts,
    /// each a load of its own, can stop between parts and go on later.
    pub part: Part,
}

impl Default for LoadOptions {
    /// A day of 10 000 page views of the plain population for the shop's project, every
    /// kind, one thread.
    fn default() -> Self {
        Self {
            views: 10_000,
            seed: 7,
            now_ms: crate::population::DEFAULT_NOW_MS,
            window_ms: DAY_MS,
            threads: 1,
            kinds: Vec::new(),
            scenario: Scenario::Plain,
            project: shop_project(),
            part: Part::WHOLE,
        }
    }
}

/// What a load did (so far, when given to the progress callback).
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Beacons generated.
    pub beacons: u64,
    /// Events the pipeline produced (of the kinds kept).
    pub events: u64,
    /// Records kept and written, by kind.
    pub rows: BTreeMap<&'static str, u64>,
    /// `view` events (one per page view, a few views have a second).
    pub views: u64,
    /// Events of beacons the pipeline refused, or events it dropped.
    pub dropped: u64,
    /// What the writer wrote (at the end only).
    pub written: BulkReport,
    /// Wall time.
    pub elapsed: Duration,
}

/// Loads the population into the store under `data_dir`, which must not hold an ingesting
/// store. `progress` is called with the totals so far after every beacon (cheap: throttle
/// what it draws).
pub fn load(
    data_dir: &Path,
    options: &LoadOptions,
    progress: &mut dyn FnMut(&LoadReport),
) -> Result<LoadReport, Error> {
    let started = Instant::now();
    let mut writer = BulkWriter::create(data_dir, DEFAULT_BULK_ROWS_PER_FILE)?;
    let threads = options.threads.max(1);
    let sessions = ((options.views as f64 / VIEWS_PER_SESSION).ceil() as u64).max(1);
    let (sender, receiver) = mpsc::sync_channel::<Message>(QUEUED_BEACONS);
    let mut handles = Vec::new();
    for shard in 0..threads {
        let shard_sessions = sessions / threads as u64 + u64::from((shard as u64) < sessions % threads as u64);
        let population_options = PopulationOptions {
            now_ms: options.now_ms,
            window_ms: options.window_ms,
            sessions: shard_sessions,
            part: options.part,
            ..PopulationOptions::default()
        };
        let population = Population::new(options.seed + shard as u64, population_options)
            .map_err(Error::Options)?
            .with_scenario(options.scenario)
            .with_kinds(&options.kinds);
        let project = Project::new(options.project.clone())?;
        let sender = sender.clone();
        handles.push(std::thread::spawn(move || generate(shard, population, &project, &sender)));
    }
    drop(sender);

    let mut report = LoadReport::default();
    // Each shard's beacons come in time order: once every shard has sent records of day d,
    // the days before d − 1 are complete (a beacon's events are at most a day older than it).
    let mut shard_days = vec![i64::MIN; threads];
    let mut frontier = i64::MIN;
    for (shard, events, dropped, records) in receiver {
        if let Some(day) = records.iter().map(|record| record.timestamp_ms.div_euclid(DAY_MS)).max() {
            shard_days[shard] = shard_days[shard].max(day);
        }
        report.beacons += 1;
        report.events += events;
        report.dropped += dropped;
        for record in &records {
            let kind = record.body.kind();
            *report.rows.entry(kind.as_str()).or_default() += 1;
            report.views += u64::from(kind == EventKind::View);
        }
        writer.append(records)?;
        let complete = shard_days.iter().min().copied().unwrap_or(i64::MIN).saturating_sub(1);
        if complete > frontier {
            frontier = complete;
            writer.write_days_before(frontier)?;
        }
        report.elapsed = started.elapsed();
        progress(&report);
    }
    for handle in handles {
        handle.join().map_err(|_| Error::GeneratorPanicked)?;
    }
    report.written = writer.finish()?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The shard, events produced, events dropped, records kept: one beacon's.
type Message = (usize, u64, u64, Vec<EventRecord>);

/// One shard: beacons → pipeline → records, sent to the writer.
fn generate(shard: usize, population: Population, project: &Project, sender: &mpsc::SyncSender<Message>) {
    let pipeline = Pipeline::default();
    for generated in population {
        let message = match pipeline.process(project, &generated.request(), &generated.body) {
            Ok(batch) => {
                let events = batch.records.len() as u64;
                let dropped = (generated.events as u64).saturating_sub(events);
                (shard, events, dropped, batch.records)
            }
            // Counted as dropped: every population beacon is accepted whole (a test checks it).
            Err(_) => (shard, 0, generated.events as u64, Vec::new()),
        };
        if sender.send(message).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_writes_the_kinds_asked_for_and_reports_progress() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let options = LoadOptions {
            views: 400,
            threads: 2,
            kinds: vec![EventKind::View, EventKind::Error],
            scenario: Scenario::DemoHistory,
            ..LoadOptions::default()
        };
        let mut calls = 0_u64;
        let report = load(dir.path(), &options, &mut |so_far| {
            calls += 1;
            assert_eq!(so_far.beacons, calls);
        })
        .expect("loaded");
        assert_eq!(calls, report.beacons);
        assert!((300..600).contains(&report.views), "about 400 views, got {}", report.views);
        assert_eq!(report.dropped, 0);
        assert!(report.rows.keys().all(|kind| ["view", "error"].contains(kind)), "{:?}", report.rows);
        assert_eq!(report.written.rows, report.rows.values().sum::<u64>());
        assert_eq!(report.events, report.written.rows, "the other kinds were not generated");
        assert!(dir.path().join("store").is_dir());
    }
}
