//! Bulk loading of the simulated population into a store directory, without a server, for
//! the query benchmark: [`sightline_simulate::load`] (population → the intake's pipeline →
//! the store's bulk writer) with the plain population, the shop's project, and progress
//! printed to stderr. The query benchmark keeps `view`, `vital`, `error` and `request`: the
//! other kinds would double the data and no dashboard query reads them.
//!
//! A large load goes in parts ([`Part`]), each a load of its own whose files the store lists
//! when it ends; [`LoadState`], saved next to the data after every part, lets a load stopped
//! between parts (or in one: that part's files are swept) go on where it stopped.

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sightline_protocol::EventKind;
use sightline_simulate::load::{self, LoadOptions};
use sightline_simulate::population::stories::Scenario;
use sightline_simulate::population::{Part, shop_project};

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
    /// The part of the population to load.
    pub part: Part,
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
        part: options.part,
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

/// Page views per part of a load by default: about ten minutes of loading on two cores.
pub const VIEWS_PER_PART: u64 = 5_000_000;

/// What a load in parts was asked for and how far it got, kept in a file beside the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadState {
    /// End of the simulated window, epoch ms.
    pub now_ms: i64,
    /// Page views asked for.
    pub views: u64,
    /// The population's seed.
    pub seed: u64,
    /// Every kind kept (rather than the query set's four).
    pub all_kinds: bool,
    /// Shards of the population (one generator thread each): fixed for the whole load, as
    /// each shard's seed and share of the sessions depend on how many there are.
    pub shards: u64,
    /// Parts of the load.
    pub parts: u64,
    /// Parts loaded.
    pub parts_done: u64,
    /// The store's manifest version once those parts were in (each part's finish saves the
    /// manifest once), `None` in a state saved before it was recorded.
    pub store_version: Option<u64>,
}

impl LoadState {
    /// Whether every part is loaded.
    pub fn is_complete(&self) -> bool {
        self.parts_done >= self.parts
    }

    /// Reads the state saved at `path`; `None` when there is none. A file from before loads
    /// in parts (`now_ms` and `views` only) is a complete load of one part; one from before
    /// the shards were recorded had the benchmark's default two.
    pub fn read(path: &Path) -> Result<Option<Self>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
        };
        let value: Value = serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        let field = |name: &str| value[name].as_u64();
        let now_ms = value["now_ms"].as_i64().ok_or_else(|| format!("{}: no now_ms", path.display()))?;
        let parts = field("parts").unwrap_or(1);
        Ok(Some(Self {
            now_ms,
            views: field("views").unwrap_or(0),
            seed: field("seed").unwrap_or(0),
            all_kinds: value["all_kinds"].as_bool().unwrap_or(false),
            shards: field("shards").unwrap_or(2),
            parts,
            parts_done: field("parts_done").unwrap_or(parts),
            store_version: field("store_version"),
        }))
    }

    /// Saves the state at `path` (`.tmp`, fsync and rename: a reader sees the old or the new
    /// one, and a saved state survives a crash).
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let value = json!({
            "now_ms": self.now_ms,
            "views": self.views,
            "seed": self.seed,
            "all_kinds": self.all_kinds,
            "shards": self.shards,
            "parts": self.parts,
            "parts_done": self.parts_done,
            "store_version": self.store_version,
        });
        let temporary = path.with_extension("json.tmp");
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(value.to_string().as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temporary, path)
        };
        write().map_err(|error| format!("cannot write {}: {error}", path.display()))
    }

    /// Why a load asked for with `other`'s options cannot go on with this one, if it cannot
    /// (the shards are the load's own: a resumed load keeps them).
    pub fn differs_from(&self, other: &Self) -> Option<String> {
        let asked = (self.views, self.seed, self.all_kinds, self.parts);
        let loading = (other.views, other.seed, other.all_kinds, other.parts);
        (asked != loading).then(|| {
            format!(
                "the data directory holds an unfinished load of {} views (seed {}, all kinds {}, {} parts, {} done): \
                 run with the same --views, --seed, --all-kinds and --parts to go on with it, or delete the \
                 directory",
                other.views, other.seed, other.all_kinds, other.parts, other.parts_done
            )
        })
    }

    /// Squares the state with the store's manifest version: a part whose files the manifest
    /// lists although the state was not saved after it (stopped in between) counts as done;
    /// any other difference means something else wrote the store.
    pub fn reconcile(&mut self, manifest_version: u64) -> Result<(), String> {
        match self.store_version {
            None => {}
            Some(version) if version == manifest_version => {}
            Some(version) if version + 1 == manifest_version && !self.is_complete() => {
                self.parts_done += 1;
                self.store_version = Some(manifest_version);
            }
            Some(version) => {
                return Err(format!(
                    "the store's manifest is at version {manifest_version}, but the load left it at {version}: \
                     something else wrote to the directory, delete it and load again"
                ));
            }
        }
        Ok(())
    }
}

/// Adds a part's report to the totals of a load in parts (the elapsed times add up).
pub fn add_report(total: &mut BulkLoad, part: &BulkLoad) {
    total.beacons += part.beacons;
    total.events += part.events;
    total.views += part.views;
    total.dropped += part.dropped;
    for (kind, rows) in &part.rows {
        *total.rows.entry(kind).or_default() += rows;
    }
    total.written.files += part.written.files;
    total.written.rows += part.written.rows;
    total.written.bytes += part.written.bytes;
    total.elapsed += part.elapsed;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_state_reads_back_as_saved_and_an_old_window_file_is_a_complete_load() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state.json");
        assert_eq!(LoadState::read(&path).expect("reads"), None);
        let state = LoadState {
            now_ms: 1_796_515_200_000,
            views: 9,
            seed: 3,
            all_kinds: true,
            shards: 3,
            parts: 4,
            parts_done: 2,
            store_version: Some(2),
        };
        state.save(&path).expect("saves");
        assert_eq!(LoadState::read(&path).expect("reads"), Some(state));
        assert!(!state.is_complete());
        let other = LoadState { views: 10, ..state };
        assert!(other.differs_from(&state).is_some_and(|why| why.contains("unfinished load of 9 views")));
        assert_eq!(LoadState { parts_done: 0, shards: 2, ..state }.differs_from(&state), None);

        std::fs::write(&path, r#"{"now_ms": 1796515200000, "views": 10000000}"#).expect("writes");
        let old = LoadState::read(&path).expect("reads").expect("a state");
        assert!(old.is_complete() && old.parts == 1 && old.views == 10_000_000 && old.shards == 2);
    }

    #[test]
    fn a_part_listed_in_the_manifest_but_not_saved_in_the_state_counts_as_done() {
        let state = LoadState {
            now_ms: 0,
            views: 9,
            seed: 1,
            all_kinds: false,
            shards: 2,
            parts: 4,
            parts_done: 2,
            store_version: Some(2),
        };
        let mut same = state;
        same.reconcile(2).expect("squares");
        assert_eq!(same, state);
        let mut stopped = state;
        stopped.reconcile(3).expect("squares");
        assert_eq!((stopped.parts_done, stopped.store_version), (3, Some(3)));
        assert!(state.clone().reconcile(5).is_err_and(|why| why.contains("something else wrote")));
        assert!(state.clone().reconcile(0).is_err(), "a store deleted under the load");
        let mut unknown = LoadState { store_version: None, ..state };
        unknown.reconcile(7).expect("a state from before the versions: cannot tell");
        assert_eq!(unknown.parts_done, 2);
    }
}
