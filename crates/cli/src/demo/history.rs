//! The demo's history: the load generator's simulated shop over the last days, written
//! straight into the store's Parquet files by the bulk writer (no server, no write-ahead
//! log). Each generator thread runs its share of the sessions through the intake's
//! pipeline; this thread sorts and writes the records and draws the progress bar.

use std::io::Write as _;
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context as _;
use sightline_bench::population::stories::Scenario;
use sightline_bench::population::{Population, PopulationOptions};
use sightline_ingest::{Pipeline, Project, ProjectConfig};
use sightline_protocol::{EventKind, EventRecord};
use sightline_store::{BulkWriter, DEFAULT_BULK_ROWS_PER_FILE};

/// Page views per session of the population (its geometric page count).
const VIEWS_PER_SESSION: f64 = 3.6;
const DAY_MS: i64 = 86_400_000;
/// The population's seed: the same history every time.
const SEED: u64 = 7;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct HistoryOptions {
    /// Page views wanted (approximately).
    pub views: u64,
    /// End of the history, epoch ms.
    pub now_ms: i64,
    /// Its length, ms.
    pub window_ms: i64,
}

/// What was generated.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryReport {
    /// `view` events written.
    pub views: u64,
    /// Events written (all kinds).
    pub events: u64,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// Generates the history into the store under `data_dir`.
pub fn generate(data_dir: &Path, project: &ProjectConfig, options: &HistoryOptions) -> anyhow::Result<HistoryReport> {
    let started = Instant::now();
    let mut writer = BulkWriter::create(data_dir, DEFAULT_BULK_ROWS_PER_FILE)?;
    let threads = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 8);
    let sessions = ((options.views as f64 / VIEWS_PER_SESSION).ceil() as u64).max(1);
    let (sender, receiver) = mpsc::sync_channel::<(usize, Vec<EventRecord>)>(256);
    let mut handles = Vec::new();
    for shard in 0..threads {
        let shard_sessions = sessions / threads as u64 + u64::from((shard as u64) < sessions % threads as u64);
        let population_options = PopulationOptions {
            now_ms: options.now_ms,
            window_ms: options.window_ms,
            sessions: shard_sessions,
            ..PopulationOptions::default()
        };
        let population = Population::new(SEED + shard as u64, population_options)
            .map_err(anyhow::Error::msg)?
            .with_scenario(Scenario::DemoHistory);
        let project = Project::new(project.clone()).map_err(anyhow::Error::msg)?;
        let sender = sender.clone();
        handles.push(std::thread::spawn(move || feed(shard, population, &project, &sender)));
    }
    drop(sender);

    let mut report = HistoryReport::default();
    let mut bar = ProgressBar::new(options.views);
    // Every shard sends its beacons in time order, so once the slowest shard is past day d,
    // the days before d − 1 are complete (a beacon's events are at most a day older).
    let mut frontier = i64::MIN;
    let mut shard_days = vec![i64::MIN; threads];
    for (shard, records) in receiver {
        if let Some(day) = records.iter().map(|record| record.timestamp_ms.div_euclid(DAY_MS)).max() {
            shard_days[shard] = shard_days[shard].max(day);
        }
        report.events += records.len() as u64;
        report.views += records.iter().filter(|record| record.body.kind() == EventKind::View).count() as u64;
        writer.append(records)?;
        let complete = shard_days.iter().min().copied().unwrap_or(i64::MIN).saturating_sub(1);
        if complete > frontier {
            frontier = complete;
            writer.write_days_before(frontier)?;
        }
        bar.update(report.views);
    }
    for handle in handles {
        handle.join().map_err(|_| anyhow::anyhow!("a history generator thread panicked"))?;
    }
    writer.finish().context("writing the last history files failed")?;
    bar.finish(report.views);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// One shard: beacons → pipeline → records, sent to the writer.
fn feed(shard: usize, population: Population, project: &Project, sender: &mpsc::SyncSender<(usize, Vec<EventRecord>)>) {
    let pipeline = Pipeline::default();
    for beacon in population {
        // Every population beacon is accepted whole (the bench crate's tests check it).
        let Ok(batch) = pipeline.process(project, &beacon.request(), &beacon.body) else {
            continue;
        };
        if sender.send((shard, batch.records)).is_err() {
            return;
        }
    }
}

/// A one-line progress bar on stderr, redrawn at most ten times a second.
struct ProgressBar {
    expected: u64,
    started: Instant,
    drawn: Option<Instant>,
}

impl ProgressBar {
    const WIDTH: usize = 30;

    fn new(expected: u64) -> Self {
        Self { expected: expected.max(1), started: Instant::now(), drawn: None }
    }

    fn update(&mut self, done: u64) {
        if self.drawn.is_some_and(|drawn| drawn.elapsed().as_millis() < 100) {
            return;
        }
        self.drawn = Some(Instant::now());
        self.draw(done, self.expected);
    }

    fn finish(&mut self, done: u64) {
        self.draw(done, done.max(1));
        eprintln!();
    }

    fn draw(&self, done: u64, expected: u64) {
        let share = (done as f64 / expected as f64).clamp(0.0, 1.0);
        let filled = (share * Self::WIDTH as f64).round() as usize;
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(Self::WIDTH - filled));
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r  [{bar}] {:>3.0}%  {done} page views  {:.0} s",
            share * 100.0,
            self.started.elapsed().as_secs_f64()
        );
        let _ = err.flush();
    }
}

/// `YYYY-MM-DD HH:MM UTC` of an epoch time in ms.
pub fn format_day(epoch_ms: i64) -> String {
    let minutes = epoch_ms.rem_euclid(DAY_MS) / 60_000;
    let date = sightline_protocol::calendar::date_of_day(epoch_ms.div_euclid(DAY_MS));
    format!("{date} {:02}:{:02} UTC", minutes / 60, minutes % 60)
}
