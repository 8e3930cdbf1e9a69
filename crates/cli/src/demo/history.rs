//! The demo's history: the simulated shop with the demo's stories over the last days,
//! written straight into the store's Parquet files by `sightline_simulate::load` (no
//! server, no write-ahead log), with a progress bar on stderr.

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use sightline_ingest::ProjectConfig;
use sightline_simulate::load::{self, LoadOptions};
use sightline_simulate::population::Part;
use sightline_simulate::population::stories::Scenario;

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
    let load_options = LoadOptions {
        views: options.views,
        seed: SEED,
        now_ms: options.now_ms,
        window_ms: options.window_ms,
        threads: std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 8),
        // Every kind: sessions, actions, long animation frames and resources all show.
        kinds: Vec::new(),
        scenario: Scenario::DemoHistory,
        project: project.clone(),
        part: Part::WHOLE,
    };
    let mut bar = ProgressBar::new(options.views);
    let report = load::load(data_dir, &load_options, &mut |so_far| bar.update(so_far.views))
        .context("generating the demo history failed")?;
    bar.finish(report.views);
    Ok(HistoryReport { views: report.views, events: report.written.rows, seconds: report.elapsed.as_secs_f64() })
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
