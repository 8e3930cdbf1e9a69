//! Bulk loading of the simulated population into a store directory, without a server, for
//! the query benchmark: [`sightline_simulate::load`] (population → the intake's pipeline →
//! the store's bulk writer) with the plain population, the shop's project, and progress
//! printed to stderr. The query benchmark keeps `view`, `vital`, `error` and `request`: the
//! other kinds would double the data and no dashboard query reads them.

use std::path::Path;
use std::time::{Duration, Instant};

use sightline_protocol::EventKind;
use sightline_simulate::load::{self, LoadOptions};
use sightline_simulate::population::shop_project;
use sightline_simulate::population::stories::Scenario;

pub use sightline_simulate::load::{LoadReport as BulkLoad, VIEWS_PER_SESSION};

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

/// Loads the population into the store under `data_dir` (which must not hold an ingesting
/// store).
pub fn load(data_dir: &Path, options: &BulkOptions) -> Result<BulkLoad, String> {
    let load_options = LoadOptions {
        views: options.views,
        seed: options.seed,
        now_ms: options.now_ms,
        window_ms: options.window_ms,
        threads: options.threads,
        kinds: options.kinds.clone(),
        scenario: Scenario::Plain,
        project: shop_project(),
    };
    let mut last_progress = Instant::now();
    let mut progress = |so_far: &BulkLoad| {
        let Some(every) = options.progress else { return };
        if last_progress.elapsed() < every {
            return;
        }
        last_progress = Instant::now();
        let seconds = so_far.elapsed.as_secs_f64();
        eprintln!(
            "  bulk load: {} views, {} events in {seconds:.0} s ({:.0} views/s)",
            so_far.views,
            so_far.events,
            so_far.views as f64 / seconds
        );
    };
    load::load(data_dir, &load_options, &mut progress).map_err(|error| error.to_string())
}
