//! The embedded store: write-ahead log → in-memory Arrow buffer → Parquet files.
//!
//! An append drops event ids seen recently ([`dedup`]), writes the rest as one WAL record
//! (group commit, fsynced), then puts them into the [`buffer`] in LSN order and only then
//! answers: an acknowledged event is durable and visible to the next query. Ids whose write
//! is still in flight are not stored yet: a retry of them waits for that write's outcome.
//! Past its limit (flushes failing) the buffer refuses appends ([`maintenance`]). A flush moves
//! the buffer into Parquet files ([`flush`]), lists them in the [`manifest`] together with
//! the last WAL record they hold, and deletes the WAL segments before it. On start, the
//! manifest's unlisted files are swept and the WAL is replayed past that record.
//! A background task ([`maintenance`]) flushes by row count and age, merges the small files
//! of a partition ([`compaction`]), drops the days past a project's retention ([`retention`])
//! and `close` flushes once more; [`erase`] removes a session's or a user's rows for good.
//! Those three replace files through [`rewrite`]: new files first, then one manifest save,
//! then the old files are deleted. [`stats`] holds the figures `/metrics` exports.
//!
//! Layout under `<data_dir>/store/`: `manifest.json`, `wal/` and `tables/` (see
//! `docs/storage.md`).

mod background;
mod buffer;
mod bulk;
mod codec;
mod compaction;
mod dedup;
#[cfg(test)]
mod durability_tests;
mod erase;
mod flush;
mod maintenance;
mod manifest;
mod order;
mod retention;
mod rewrite;
mod rollup;
mod rollup_table;
mod stats;
mod table;
#[cfg(test)]
mod test_records;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use sightline_protocol::EventRecord;
use tokio::sync::{oneshot, watch};

use self::background::Priority;
use self::buffer::{Buffer, Seal};
pub use self::buffer::{PartitionKey, PartitionSnapshot, day_of};
pub use self::bulk::{BulkReport, BulkWriter, DEFAULT_BULK_ROWS_PER_FILE};
pub use self::compaction::{CompactionOptions, CompactionReport};
pub use self::dedup::DEFAULT_CAPACITY as DEFAULT_DEDUP_CAPACITY;
use self::dedup::{Identity, RecentIds};
pub use self::erase::{EraseReport, Selector};
pub use self::maintenance::{DEFAULT_FLUSH_INTERVAL, DEFAULT_FLUSH_ROWS, MaintenanceOptions};
pub use self::manifest::{DataFile, DayRollup, Manifest};
pub use self::retention::RetentionReport;
pub use self::rollup::backfill::BackfillReport;
pub use self::rollup::day::DayRollupReport;
pub use self::rollup::{
    DAILY_GROUPING, GROUPING_SETS, ITEM_COLUMNS, ITEM_GROUPING_SETS, MEASURES as ROLLUP_MEASURES, ROLLUP_DIMENSIONS,
    ROLLUP_TABLE, ROLLUPS_DIR, rollup_of,
};
pub use self::rollup_table::SKETCH_QUANTILE;
pub use self::table::{EventTable, rollup_session_context, session_context};
use crate::wal::{Lsn, Recovery, Wal, WalError, WalOptions};
use crate::{Store, StoreError, StoreFuture, StoreHealth, StoreStats};

/// Options of an [`EmbeddedStore`].
#[derive(Debug, Clone)]
pub struct EmbeddedStoreOptions {
    /// The write-ahead log's options.
    pub wal: WalOptions,
    /// Event ids remembered for dedup, at most (see [`dedup`]).
    pub dedup_capacity: usize,
    /// When the small files of a partition are merged.
    pub compaction: CompactionOptions,
}

impl Default for EmbeddedStoreOptions {
    fn default() -> Self {
        Self {
            wal: WalOptions::default(),
            dedup_capacity: DEFAULT_DEDUP_CAPACITY,
            compaction: CompactionOptions::default(),
        }
    }
}

/// What opening the store found.
#[derive(Debug)]
pub struct OpenReport {
    /// The WAL's recovery report (records replayed, damage cut off).
    pub wal: Recovery,
    /// WAL records that could not be decoded (counted, skipped).
    pub undecodable_records: u64,
    /// Events replayed from the WAL into the buffer.
    pub replayed_events: u64,
    /// Files of unfinished flushes deleted.
    pub swept_files: Vec<PathBuf>,
    /// Event ids of data files remembered for dedup ([`dedup::seed_from_files`]).
    pub seeded_ids: u64,
}

/// What a flush did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FlushReport {
    /// Files written.
    pub files: usize,
    /// Rows written.
    pub rows: u64,
    /// Buffered rows not written because their day is past their project's retention.
    pub expired_rows: u64,
    /// WAL segments deleted.
    pub wal_segments_removed: usize,
}

/// Everything a query reads at one moment: the files and the buffered rows.
#[derive(Debug, Clone)]
pub struct StoreSnapshot {
    /// The tables directory the files' paths are relative to.
    pub tables_dir: PathBuf,
    /// Parquet files.
    pub files: Vec<DataFile>,
    /// The day rollups, each covering only listed files.
    pub day_rollups: Vec<DayRollup>,
    /// Buffered partitions, including the rows of a flush in progress.
    pub partitions: Vec<PartitionSnapshot>,
}

/// The embedded store.
#[derive(Debug)]
pub struct EmbeddedStore {
    dir: PathBuf,
    wal: Wal,
    state: Arc<Mutex<State>>,
    /// One change of the manifest at a time: a flush, or the file swap of a compaction,
    /// retention or erase.
    flush_lock: tokio::sync::Mutex<()>,
    /// One compaction, retention or erase at a time (each holds it throughout).
    maintenance_lock: tokio::sync::Mutex<()>,
    compaction: CompactionOptions,
    /// Days kept per project; projects not listed keep everything.
    retention: Mutex<HashMap<String, u32>>,
    /// Test hook: a compaction or erase stops (as a crash would) before its manifest save.
    #[cfg(test)]
    stop_before_swap: std::sync::atomic::AtomicBool,
    /// Flushes, duplicates and undecodable records, for [`EmbeddedStore::stats`].
    counters: stats::Counters,
    /// The background flush task, once started ([`EmbeddedStore::start_maintenance`]).
    maintenance: Mutex<Option<maintenance::Task>>,
    /// Rows buffered at most before appends are refused: set by the maintenance task
    /// ([`MaintenanceOptions::buffer_limit`]); no limit without it.
    buffer_limit: AtomicUsize,
    /// The rows held in memory, buffered or being flushed, as of the last change of the
    /// state ([`State::held_rows`]): what [`refusal`](Self::refusal) compares to the limit
    /// on every append and health check without taking the store's lock.
    held_rows: Arc<AtomicUsize>,
    /// The last flush's error, until a flush succeeds.
    flush_error: Mutex<Option<String>>,
    /// The Parquet files' parsed footers, for queries.
    footers: table::FooterCache,
}

#[derive(Debug)]
struct State {
    recent: RecentIds,
    /// Ids whose WAL write is still in flight: known, but not stored yet; with the number of
    /// the write that holds them (a key of `writes`).
    pending: HashMap<u128, u64, Identity>,
    /// The writes in flight that hold pending ids, by number: where each publishes its outcome.
    writes: HashMap<u64, Outcome>,
    /// The number of the next write holding pending ids.
    next_write: u64,
    buffer: Buffer,
    /// The rows being written by a flush: still read by queries until the files are listed.
    flushing: Vec<PartitionSnapshot>,
    /// Their count.
    flushing_rows: usize,
    /// Where [`State::publish_held_rows`] puts the rows held (shared with the store).
    held_rows: Arc<AtomicUsize>,
    manifest: Manifest,
    /// Files no longer listed, deleted once queries that may still read them are done
    /// ([`rewrite::RETIRED_GRACE`]); a crash leaves them to the sweep of the next start.
    retired: Vec<(PathBuf, Instant)>,
    /// Acknowledged WAL records waiting for an earlier one before entering the buffer.
    waiting: BTreeMap<Lsn, (Vec<EventRecord>, oneshot::Sender<()>)>,
}

impl EmbeddedStore {
    /// Opens (or creates) the store under `<data_dir>/store`, replaying the WAL. Blocking.
    pub fn open(data_dir: &Path, options: &EmbeddedStoreOptions) -> Result<(Self, OpenReport), StoreError> {
        // Absolute: queries name the data files to DataFusion's object store, which reads a
        // relative path (`data_dir = "sightline-data"`) from the root of the file system.
        let open_error = |dir: &Path, error: std::io::Error| StoreError::Open {
            path: dir.display().to_string(),
            message: format!("{error}: check that the directory exists and is writable"),
        };
        let dir = std::path::absolute(data_dir.join("store")).map_err(|error| open_error(data_dir, error))?;
        std::fs::create_dir_all(&dir).map_err(|error| open_error(&dir, error))?;
        let manifest = Manifest::load(&dir)?;
        if rollup::backfill::remove_old_rollups(&dir) > 0 {
            tracing::info!("removed the rollups of an older version; the maintenance task writes the current ones");
        }
        let mut state = State {
            recent: RecentIds::new(options.dedup_capacity),
            pending: HashMap::default(),
            writes: HashMap::new(),
            next_write: 0,
            buffer: Buffer::default(),
            flushing: Vec::new(),
            flushing_rows: 0,
            held_rows: Arc::new(AtomicUsize::new(0)),
            manifest,
            retired: Vec::new(),
            waiting: BTreeMap::new(),
        };
        let (mut undecodable_records, mut replayed_events) = (0, 0);
        let replay_after = Lsn(state.manifest.flushed_lsn);
        let (wal, recovery) = Wal::open(&dir.join("wal"), &options.wal, replay_after, |lsn, payload| {
            // A health probe's record is an ordinary one with no events (see `maintenance`).
            match codec::decode(payload) {
                Ok(records) => {
                    replayed_events += records.len() as u64;
                    state.replay(lsn, records);
                }
                Err(error) => {
                    tracing::warn!(%lsn, %error, "skipping a WAL record that cannot be decoded");
                    undecodable_records += 1;
                    state.buffer.insert(lsn, Vec::new());
                }
            }
        })
        .map_err(|error| wal_error(&error))?;
        // Only now, holding the WAL's lock, is the store ours: another process may have been
        // writing files its manifest did not list yet, or saved a new manifest meanwhile.
        if Manifest::load(&dir)? != state.manifest {
            return Err(StoreError::Open {
                path: dir.display().to_string(),
                message: "another Sightline process changed the store while it was being opened; try again".into(),
            });
        }
        let swept_files = state.manifest.sweep(&dir)?;
        // The WAL's ids are the newest; the data files' fill what room is left.
        let seeded_ids =
            dedup::seed_from_files(&mut state.recent, &dir.join(manifest::TABLES_DIR), &state.manifest.files);
        // Appends continue after the log's last record, flushed or replayed.
        state.buffer.set_last_lsn(wal.last_lsn());
        state.publish_held_rows();
        let held_rows = Arc::clone(&state.held_rows);
        let report = OpenReport { wal: recovery, undecodable_records, replayed_events, swept_files, seeded_ids };
        let store = Self {
            dir,
            wal,
            state: Arc::new(Mutex::new(state)),
            flush_lock: tokio::sync::Mutex::new(()),
            maintenance_lock: tokio::sync::Mutex::new(()),
            compaction: options.compaction.clone(),
            retention: Mutex::new(HashMap::new()),
            #[cfg(test)]
            stop_before_swap: std::sync::atomic::AtomicBool::new(false),
            counters: stats::Counters::new(&report.wal, undecodable_records),
            maintenance: Mutex::new(None),
            buffer_limit: AtomicUsize::new(usize::MAX),
            held_rows,
            flush_error: Mutex::new(None),
            footers: table::FooterCache::new(),
        };
        Ok((store, report))
    }

    /// The store's directory (`<data_dir>/store`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where queries keep the Parquet files' parsed footers.
    fn footers(&self) -> &table::FooterCache {
        &self.footers
    }

    /// The files and buffered rows a query reads, as of now.
    pub fn snapshot(&self) -> StoreSnapshot {
        let state = self.lock();
        let mut partitions = state.flushing.clone();
        partitions.extend(state.buffer.snapshot());
        StoreSnapshot {
            tables_dir: self.dir.join(manifest::TABLES_DIR),
            files: state.manifest.files.clone(),
            day_rollups: state.manifest.day_rollups.clone(),
            partitions,
        }
    }

    /// Rows buffered in memory (not yet in Parquet).
    pub fn buffered_rows(&self) -> usize {
        self.lock().buffer.rows()
    }

    /// Writes the buffered rows into Parquet files, lists them in the manifest and deletes
    /// the WAL segments they cover. On error the rows stay buffered (and in the WAL).
    pub async fn flush(&self) -> Result<FlushReport, StoreError> {
        let started = Instant::now();
        let result = self.write_buffer().await;
        self.counters.flushed(&result, started.elapsed());
        *self.flush_error.lock().unwrap_or_else(PoisonError::into_inner) =
            result.as_ref().err().map(ToString::to_string);
        result
    }

    async fn write_buffer(&self) -> Result<FlushReport, StoreError> {
        let _one_at_a_time = self.flush_lock.lock().await;
        self.write_buffer_locked().await
    }

    /// The flush, with the flush lock held. Partitions past their project's retention are
    /// not written: the manifest's `flushed_lsn` passes their WAL records all the same.
    async fn write_buffer_locked(&self) -> Result<FlushReport, StoreError> {
        let now_ms = retention::now_ms();
        let (partitions, flushed_lsn, oldest, mut manifest, expired_rows, priority) = {
            let mut state = self.lock();
            let taken = state.buffer.take();
            let priority = self.flush_priority(taken.rows());
            let (kept, expired): (Vec<_>, Vec<_>) =
                taken.snapshot().into_iter().partition(|partition| !self.expired(&partition.key, now_ms));
            state.flushing = kept;
            state.flushing_rows = state.flushing.iter().map(PartitionSnapshot::rows).sum();
            state.publish_held_rows();
            let expired_rows = expired.iter().map(|partition| partition.rows() as u64).sum::<u64>();
            (state.flushing.clone(), taken.last_lsn(), taken.oldest(), state.manifest.clone(), expired_rows, priority)
        };
        if partitions.is_empty() && flushed_lsn.0 == manifest.flushed_lsn {
            return Ok(FlushReport::default());
        }
        let dir = self.dir.clone();
        let written = background::run("sightline-flush", priority, move || {
            let tables = dir.join(manifest::TABLES_DIR);
            let name = format!("f{:020}", flushed_lsn.0);
            let mut files = Vec::new();
            for partition in &partitions {
                files.extend(flush::write_partition(&tables, partition, &name)?);
            }
            manifest.files.extend(files.iter().cloned());
            manifest.flushed_lsn = flushed_lsn.0;
            manifest.save(&dir)?;
            Ok::<_, StoreError>((files, manifest))
        })
        .await
        .and_then(|written| written);
        let (files, manifest) = match written {
            Ok(written) => written,
            Err(error) => {
                self.restore_unflushed(oldest);
                return Err(error);
            }
        };
        {
            let mut state = self.lock();
            state.manifest = manifest;
            state.flushing.clear();
            state.flushing_rows = 0;
            state.publish_held_rows();
        }
        let wal_segments_removed = self.wal.remove_through(flushed_lsn).unwrap_or_else(|error| {
            tracing::warn!(%error, "cannot delete flushed WAL segments; retrying after the next flush");
            0
        });
        let rows = files.iter().map(|file| file.rows).sum();
        Ok(FlushReport { files: files.len(), rows, expired_rows, wal_segments_removed })
    }

    /// A flush runs below the intake's priority unless it finds the buffer behind: at least
    /// half the buffer's limit, twice the rows a flush is due at (see [`background`]).
    fn flush_priority(&self, rows: usize) -> Priority {
        let behind = self.buffer_limit.load(Ordering::Relaxed) / 2;
        if rows >= behind { Priority::Normal } else { Priority::Background }
    }

    /// After a failed flush: the rows go back to being buffered, ahead of newer ones.
    fn restore_unflushed(&self, oldest: Option<Instant>) {
        let mut state = self.lock();
        let newer = state.buffer.take();
        let last_lsn = newer.last_lsn();
        let oldest = oldest.into_iter().chain(newer.oldest()).min();
        let flushing = std::mem::take(&mut state.flushing);
        state.flushing_rows = 0;
        let mut restored = Buffer::default();
        for partition in flushing.iter().chain(&newer.snapshot()) {
            restored.restore(partition);
        }
        restored.set_last_lsn(last_lsn);
        restored.set_oldest(oldest);
        state.buffer = restored;
        state.publish_held_rows();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Splits `records` into the new ones, whose ids it remembers as pending on `outcome`
    /// (the write about to hold them), the ones already stored (dropped and counted), and the
    /// ones a write still in flight holds: those are not stored yet, so the append waits for
    /// that write's outcome.
    fn admit(&self, records: Vec<EventRecord>, outcome: Outcome) -> Admitted {
        let mut state = self.lock();
        let write = state.next_write;
        state.next_write += 1;
        let mut admitted = Admitted { write, ..Admitted::default() };
        let mut waits_on = Vec::new();
        for record in records {
            let key = state.recent.key(&record.context.project, &record.view_id, &record.event_id);
            if let Some(&other) = state.pending.get(&key) {
                if other == write {
                    admitted.duplicates += 1; // the same event twice in this append
                } else {
                    if !waits_on.contains(&other) {
                        waits_on.push(other);
                    }
                    admitted.pending_duplicates += 1;
                }
                continue;
            }
            if !state.recent.insert(key) {
                admitted.duplicates += 1;
                continue;
            }
            state.pending.insert(key, write);
            admitted.keys.push(key);
            admitted.records.push(record);
        }
        if !admitted.keys.is_empty() {
            state.writes.insert(write, outcome);
        }
        admitted.waits = waits_on.iter().filter_map(|other| state.writes.get(other).cloned()).collect();
        drop(state);
        self.counters.dropped_duplicates(admitted.duplicates);
        admitted
    }

    async fn append_records(&self, records: Vec<EventRecord>) -> Result<(), StoreError> {
        if let Some(reason) = self.refusal() {
            return Err(StoreError::Unavailable(reason));
        }
        let (publish, outcome) = watch::channel(None);
        let admitted = self.admit(records, outcome);
        if !admitted.records.is_empty() {
            let payload = codec::encode(&admitted.records);
            let pending = Pending { write: admitted.write, keys: admitted.keys, publish };
            let written = self.write(admitted.records, payload, Some(pending));
            written.await.map_err(|error| StoreError::Write(format!("the append task failed: {error}")))??;
        }
        // Events another write holds are acknowledged with that write, or refused with it.
        for mut other in admitted.waits {
            let result = other.wait_for(Option::is_some).await.map(|outcome| outcome.clone());
            result.map_err(|_| StoreError::Closed)?.unwrap_or(Err(StoreError::Closed))?;
        }
        self.counters.dropped_duplicates(admitted.pending_duplicates);
        Ok(())
    }

    /// Writes `payload` (holding `records`) to the WAL, then puts the records into the buffer
    /// in log order. It runs in a task of its own: the buffer insert must happen even if the
    /// caller goes away (a client hanging up mid-request), as the WAL record is durable and
    /// later records wait for it. At the end it releases the `pending` ids (forgotten too if
    /// the write failed) and publishes the outcome to appends waiting for them.
    fn write(
        &self,
        records: Vec<EventRecord>,
        payload: Vec<u8>,
        pending: Option<Pending>,
    ) -> tokio::task::JoinHandle<Result<(), StoreError>> {
        let written = self.wal.append(payload);
        let state = Arc::clone(&self.state);
        tokio::spawn(async move {
            let result = match written.await {
                Ok(lsn) => {
                    let (reply, visible) = oneshot::channel();
                    let seals =
                        state.lock().unwrap_or_else(PoisonError::into_inner).insert_in_order(lsn, records, reply);
                    if !seals.is_empty() {
                        // Converting full partitions into batches takes milliseconds: not
                        // under the lock every append and query needs, nor before the answer.
                        let state = Arc::clone(&state);
                        tokio::spawn(async move {
                            for seal in seals {
                                let sealed = seal.build();
                                state.lock().unwrap_or_else(PoisonError::into_inner).buffer.complete(sealed);
                            }
                        });
                    }
                    visible.await.map_err(|_| StoreError::Closed)
                }
                Err(error) => Err(wal_error(&error)),
            };
            if let Some(Pending { write, keys, publish }) = pending {
                let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                state.writes.remove(&write);
                for key in keys {
                    state.pending.remove(&key);
                    if result.is_err() {
                        state.recent.remove(key);
                    }
                }
                drop(state);
                publish.send_replace(Some(result.clone()));
            }
            result
        })
    }
}

/// Where a WAL write in flight publishes its outcome, for the appends of a retry that wait
/// for it (`None` until then).
type Outcome = watch::Receiver<Option<Result<(), StoreError>>>;

/// The ids a write holds, and where it publishes its outcome.
struct Pending {
    /// Its number (a key of `State::writes`).
    write: u64,
    keys: Vec<u128>,
    publish: watch::Sender<Option<Result<(), StoreError>>>,
}

/// What [`EmbeddedStore::admit`] let through.
#[derive(Default)]
struct Admitted {
    /// The number of the write that holds the records.
    write: u64,
    /// Records to write.
    records: Vec<EventRecord>,
    /// Their dedup keys.
    keys: Vec<u128>,
    /// Writes in flight that hold some of the append's events.
    waits: Vec<Outcome>,
    /// Events already stored, dropped.
    duplicates: usize,
    /// Events held by a write in flight: duplicates once that write succeeds.
    pending_duplicates: usize,
}

impl State {
    /// Rows held in memory: buffered, or being flushed (they come back if the flush fails).
    fn held_rows(&self) -> usize {
        self.buffer.rows() + self.flushing_rows
    }

    /// Publishes [`held_rows`](Self::held_rows) to the store's refusal check; called after
    /// every change of the buffer or of the rows being flushed.
    fn publish_held_rows(&self) {
        self.held_rows.store(self.held_rows(), Ordering::Relaxed);
    }

    /// A replayed WAL record: in order by construction.
    fn replay(&mut self, lsn: Lsn, records: Vec<EventRecord>) {
        for record in &records {
            let key = self.recent.key(&record.context.project, &record.view_id, &record.event_id);
            self.recent.insert(key);
        }
        self.buffer.insert(lsn, records);
    }

    /// Puts an acknowledged WAL record's events into the buffer once every earlier record is
    /// there, then answers its appender (and any waiting successors). Returns the partitions
    /// to seal, for the caller to build outside the lock ([`Buffer::insert_deferred`]).
    #[must_use = "seals not completed leave their rows open"]
    fn insert_in_order(&mut self, lsn: Lsn, records: Vec<EventRecord>, reply: oneshot::Sender<()>) -> Vec<Seal> {
        self.waiting.insert(lsn, (records, reply));
        let mut seals = Vec::new();
        while let Some(entry) = self.waiting.first_entry() {
            if entry.key().0 != self.buffer.last_lsn().0 + 1 {
                break;
            }
            let (lsn, (records, reply)) = entry.remove_entry();
            seals.extend(self.buffer.insert_deferred(lsn, records));
            let _ = reply.send(());
        }
        self.publish_held_rows();
        seals
    }
}

impl Store for EmbeddedStore {
    fn append(&self, records: Vec<EventRecord>) -> StoreFuture<'_, Result<(), StoreError>> {
        Box::pin(self.append_records(records))
    }

    fn health(&self) -> StoreHealth {
        let wal = self.wal.health();
        match self.refusal() {
            Some(reason) if wal.writable => StoreHealth { writable: false, last_error: Some(reason) },
            _ => wal,
        }
    }

    fn stats(&self) -> StoreStats {
        EmbeddedStore::stats(self)
    }

    fn close(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.stop_maintenance().await;
            if let Err(error) = self.flush().await {
                tracing::warn!(%error, "the last flush failed; the WAL keeps the rows for the next start");
            }
            self.delete_retired(std::time::Duration::ZERO);
            self.wal.close().await;
        })
    }
}

fn wal_error(error: &WalError) -> StoreError {
    match error {
        WalError::QueueFull => StoreError::QueueFull,
        WalError::Closed => StoreError::Closed,
        WalError::Open { path, message } => StoreError::Open { path: path.clone(), message: message.clone() },
        other => StoreError::Write(other.to_string()),
    }
}
