//! Background maintenance: when to flush the buffer into Parquet, compact files and apply
//! retention.
//!
//! One task per store ([`EmbeddedStore::start_maintenance`]) looks at the buffer a few times
//! per second (every `flush_interval / 4`, at most every 250 ms; one short lock) and flushes
//! when it holds `flush_rows` rows or its oldest row has waited `flush_interval`. Flushes
//! never overlap (the store's flush lock). A failed flush is logged and retried after a
//! backoff (1 s, doubling up to 1 min) while the rows stay buffered and in the WAL; a success
//! resets it. When no flush is due, the task merges one group of small files (see
//! [`compaction`](super::compaction)), looking again at once while there is work, after a
//! flush wrote files, and otherwise after [`COMPACTION_PAUSE`]; then it writes the rollups
//! listed files lack (a store written by an older version, see
//! [`backfill`](super::rollup::backfill)) for up to [`BACKFILL_BUDGET`] at a time, and the
//! due day rollups ([`day`](super::rollup::day)) for up to [`DAY_ROLLUP_BUDGET`]. It
//! applies retention when it starts and every [`RETENTION_INTERVAL`], and deletes the files
//! those replaced once their grace period is over. All of it runs in this one task, one step
//! at a time.
//! [`Store::close`](crate::Store::close) stops the task, then flushes one last time.
//!
//! Two things keep the store from staying broken with nobody noticing, or from noticing
//! only when traffic comes back:
//!
//! - **Probes.** While the WAL's last write failed (a full disk), the task writes a probe
//!   every [`PROBE_INTERVAL`]: a WAL record holding no events (an ordinary record of an empty
//!   batch, which a replay reads as nothing), written and fsynced like any other. Its
//!   success makes the store healthy again, so `/readyz` recovers even when a load balancer
//!   has stopped sending beacons.
//! - **A bounded buffer.** The buffer holds at most [`MaintenanceOptions::buffer_limit`]
//!   rows ([`BUFFER_LIMIT_FLUSHES`] × `flush_rows`). Past it (flushes failing, or far
//!   behind), appends are refused with [`StoreError::Unavailable`] and the store reports
//!   itself unhealthy ("flushes failing: …"); the next flush that succeeds ends both. So
//!   memory and the WAL stay bounded however long flushes fail.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError, Weak};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::rewrite::RETIRED_GRACE;
use super::{EmbeddedStore, codec, manifest, retention};
use crate::StoreError;

/// Default `flush_rows`.
pub const DEFAULT_FLUSH_ROWS: usize = 500_000;
/// Default `flush_interval`.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(60);
/// The buffer holds at most this many times `flush_rows`: past it, appends are refused
/// until a flush succeeds ([`MaintenanceOptions::buffer_limit`]).
pub const BUFFER_LIMIT_FLUSHES: usize = 4;
/// The longest time between two looks at the buffer.
const MAX_TICK: Duration = Duration::from_millis(250);
/// The wait before the first retry of a failed flush; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How often the task probes the WAL while its writes fail.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// The wait before looking for files to merge again, when there were none (or it failed).
pub const COMPACTION_PAUSE: Duration = Duration::from_secs(30);
/// How often retention is applied (and once at the start).
pub const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);

/// When the maintenance task flushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceOptions {
    /// Flush once the buffer holds this many rows (at least 1).
    pub flush_rows: usize,
    /// Flush once the oldest buffered row has waited this long (more than zero).
    pub flush_interval: Duration,
}

impl Default for MaintenanceOptions {
    fn default() -> Self {
        Self { flush_rows: DEFAULT_FLUSH_ROWS, flush_interval: DEFAULT_FLUSH_INTERVAL }
    }
}

impl MaintenanceOptions {
    /// Rows buffered at most: past it, appends are refused (`503`) until a flush brings the
    /// buffer under it again — what bounds memory and the WAL while flushes fail.
    pub fn buffer_limit(&self) -> usize {
        self.flush_rows.saturating_mul(BUFFER_LIMIT_FLUSHES)
    }

    /// How often the task looks at the buffer.
    fn tick(&self) -> Duration {
        (self.flush_interval / 4).clamp(Duration::from_millis(1), MAX_TICK)
    }
}

/// The running task, kept by the store so that `close` can stop it.
#[derive(Debug)]
pub(super) struct Task {
    stop: oneshot::Sender<()>,
    handle: JoinHandle<()>,
}

impl EmbeddedStore {
    /// Starts the maintenance task on the current tokio runtime; false (and nothing started)
    /// when one is already running. [`Store::close`](crate::Store::close) stops it.
    pub fn start_maintenance(self: &Arc<Self>, options: MaintenanceOptions) -> bool {
        let mut task = self.maintenance.lock().unwrap_or_else(PoisonError::into_inner);
        if task.is_some() {
            return false;
        }
        self.buffer_limit.store(options.buffer_limit(), Ordering::Relaxed);
        let (stop, stopped) = oneshot::channel();
        let handle = tokio::spawn(run(Arc::downgrade(self), options, stopped));
        *task = Some(Task { stop, handle });
        true
    }

    /// Stops the maintenance task, letting a flush in progress finish.
    pub(super) async fn stop_maintenance(&self) {
        let task = self.maintenance.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some(Task { stop, handle }) = task else { return };
        let _ = stop.send(());
        if let Err(error) = handle.await
            && error.is_panic()
        {
            tracing::error!(%error, "the store's maintenance task panicked");
        }
    }

    /// Why appends are refused now, if they are: the buffer holds its limit's rows (counting
    /// those of a flush in progress, which come back if it fails). Two atomic loads when
    /// they are not: it runs on every append and health check.
    pub(super) fn refusal(&self) -> Option<String> {
        let limit = self.buffer_limit.load(Ordering::Relaxed);
        let rows = self.held_rows.load(Ordering::Relaxed);
        if rows < limit {
            return None;
        }
        let flush_error = self.flush_error.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let held = format!("{rows} rows are buffered, the most the store holds ({BUFFER_LIMIT_FLUSHES} × flush_rows)");
        Some(match flush_error {
            Some(error) => format!(
                "flushes failing: {error}; {held}, so new events are refused until a flush succeeds (retried by \
                 itself): check the free space and permissions of {}",
                self.dir.join(manifest::TABLES_DIR).display()
            ),
            None => format!("flushes are behind: {held}, so new events are refused until the flush in progress ends"),
        })
    }

    /// Writes a probe record to the WAL (see the module docs); the WAL is healthy again once
    /// one succeeds.
    pub(super) async fn probe(&self) -> Result<(), StoreError> {
        let written = self.write(Vec::new(), codec::encode(&[]), None);
        written.await.map_err(|error| StoreError::Write(format!("the probe task failed: {error}")))?
    }

    /// Whether the buffer should be flushed now.
    fn flush_due(&self, options: &MaintenanceOptions, now: Instant) -> bool {
        let state = self.lock();
        state.buffer.rows() >= options.flush_rows
            || state.buffer.oldest().is_some_and(|since| now.saturating_duration_since(since) >= options.flush_interval)
    }
}

/// Applies retention, logging what it dropped or why it failed (retried at the next interval).
async fn apply_retention(store: &EmbeddedStore) {
    match store.apply_retention(retention::now_ms()).await {
        Ok(report) if report.files > 0 => {
            tracing::info!(
                partitions = report.partitions,
                files = report.files,
                rows = report.rows,
                bytes = report.bytes,
                "dropped the days past their project's retention"
            );
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "applying retention failed; retrying in an hour"),
    }
}

/// Merges one group of small files; returns when to look again.
async fn compact_once(store: &EmbeddedStore) -> Instant {
    match store.compact_groups(1).await {
        Ok(report) if report.files_merged > 0 => {
            tracing::debug!(
                files_merged = report.files_merged,
                rows = report.rows,
                duplicates_dropped = report.duplicates_dropped,
                bytes_before = report.bytes_before,
                bytes_after = report.bytes_after,
                "compacted the files of a partition"
            );
            Instant::now()
        }
        Ok(_) => Instant::now() + COMPACTION_PAUSE,
        Err(error) => {
            tracing::warn!(%error, "compaction failed; its sources stay as they are, retrying later");
            Instant::now() + COMPACTION_PAUSE
        }
    }
}

/// How long one step of writing missing rollups may go on (at least one file).
const BACKFILL_BUDGET: Duration = Duration::from_secs(2);
/// How long until the task looks for files without rollups again once none lacked one:
/// flushes and merges write them with their files, so only a failure leaves one behind.
const BACKFILL_PAUSE: Duration = Duration::from_secs(600);

/// Writes the rollups files lack (written by an older version) for a step; returns when to
/// look again.
async fn backfill_rollups(store: &EmbeddedStore) -> Instant {
    match store.backfill_rollups(BACKFILL_BUDGET).await {
        Ok(report) if report.written > 0 => {
            if report.remaining == 0 {
                tracing::info!("wrote the rollups of every file that lacked one");
            } else {
                tracing::debug!(written = report.written, remaining = report.remaining, "writing missing rollups");
            }
            Instant::now()
        }
        Ok(_) => Instant::now() + BACKFILL_PAUSE,
        Err(error) => {
            tracing::warn!(%error, "writing a missing rollup failed; queries compute it from the file meanwhile");
            Instant::now() + COMPACTION_PAUSE
        }
    }
}

/// How long one step of writing day rollups may go on (at least one).
const DAY_ROLLUP_BUDGET: Duration = Duration::from_secs(2);

/// Writes the due day rollups for a step; returns when to look again.
async fn write_day_rollups(store: &EmbeddedStore) -> Instant {
    match store.write_day_rollups(DAY_ROLLUP_BUDGET).await {
        Ok(report) if report.remaining > 0 => {
            tracing::debug!(written = report.written, remaining = report.remaining, "writing day rollups");
            Instant::now()
        }
        Ok(report) => {
            if report.written > 0 {
                tracing::debug!(written = report.written, "wrote the due day rollups");
            }
            Instant::now() + COMPACTION_PAUSE
        }
        Err(error) => {
            tracing::warn!(%error, "writing a day rollup failed; queries read its files' rollups meanwhile");
            Instant::now() + COMPACTION_PAUSE
        }
    }
}

/// The task: looks at the buffer every tick until stopped or the store is gone.
async fn run(store: Weak<EmbeddedStore>, options: MaintenanceOptions, mut stopped: oneshot::Receiver<()>) {
    let tick = options.tick();
    let mut backoff = FIRST_BACKOFF;
    let mut retry_at: Option<Instant> = None;
    let (mut compact_at, mut retention_at, mut probe_at) = (Instant::now(), Instant::now(), Instant::now());
    let (mut backfill_at, mut day_rollups_at) = (Instant::now(), Instant::now());
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            () = tokio::time::sleep(tick) => {}
        }
        let Some(store) = store.upgrade() else { return };
        let now = Instant::now();
        if now >= probe_at && !store.wal.health().writable {
            probe_at = now + PROBE_INTERVAL;
            match store.probe().await {
                Ok(()) => tracing::info!("the write-ahead log takes writes again"),
                Err(error) => tracing::debug!(%error, "the write-ahead log's probe failed"),
            }
        }
        if now >= retention_at {
            retention_at = now + RETENTION_INTERVAL;
            apply_retention(&store).await;
        }
        if retry_at.is_some_and(|at| now < at) || !store.flush_due(&options, now) {
            if now >= compact_at {
                compact_at = compact_once(&store).await;
            }
            if now >= backfill_at {
                backfill_at = backfill_rollups(&store).await;
            }
            if now >= day_rollups_at {
                day_rollups_at = write_day_rollups(&store).await;
            }
            store.delete_retired(RETIRED_GRACE);
            continue;
        }
        match store.flush().await {
            Ok(report) => {
                tracing::debug!(
                    files = report.files,
                    rows = report.rows,
                    wal_segments_removed = report.wal_segments_removed,
                    "flushed the buffer into parquet"
                );
                (backoff, retry_at) = (FIRST_BACKOFF, None);
                if report.files > 0 {
                    compact_at = Instant::now(); // new files: maybe enough to merge
                }
            }
            Err(error) => {
                tracing::warn!(
                    %error,
                    retry_in_secs = backoff.as_secs(),
                    "flush failed; the rows stay buffered and in the WAL, retrying"
                );
                retry_at = Some(Instant::now() + backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::EmbeddedStoreOptions;
    use crate::engine::test_records::{NOON_MS, context, page, record, records_of_one_beacon};
    use crate::{Store, StoreStats};

    fn open(dir: &Path) -> Arc<EmbeddedStore> {
        Arc::new(EmbeddedStore::open(dir, &EmbeddedStoreOptions::default()).expect("the store opens").0)
    }

    /// Polls `condition` for up to 10 s.
    async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !condition() {
            assert!(Instant::now() < deadline, "still not true after 10 s: {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn hour() -> Duration {
        Duration::from_secs(3600)
    }

    #[tokio::test]
    async fn a_full_buffer_is_flushed_without_waiting_for_the_interval() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(dir.path());
        assert!(store.start_maintenance(MaintenanceOptions { flush_rows: 5, flush_interval: hour() }));
        assert!(!store.start_maintenance(MaintenanceOptions::default()), "one task per store");

        store.append(records_of_one_beacon(4)).await.expect("appends");
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(store.buffered_rows(), 4, "under the row threshold and younger than the interval");
        let (context, page) = (context("shop", "s2"), page());
        store.append(vec![record(&context, &page, "x", NOON_MS, 0)]).await.expect("appends");

        eventually("the buffer is flushed", || store.stats().flushes == 1).await;
        let stats = store.stats();
        assert_eq!((stats.file_rows, stats.flushes, stats.flush_failures), (5, 1, 0));
        assert_eq!(stats.wal_flushed_lsn, stats.wal_last_lsn);
        store.close().await;
    }

    #[tokio::test]
    async fn rows_older_than_the_interval_are_flushed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(dir.path());
        store.start_maintenance(MaintenanceOptions { flush_rows: 1000, flush_interval: Duration::from_millis(800) });

        store.append(records_of_one_beacon(3)).await.expect("appends");
        assert_eq!(store.buffered_rows(), 3, "not flushed at once");
        let age = store.stats().oldest_buffered_age.expect("rows are buffered");
        assert!(age < Duration::from_millis(800), "{age:?}");

        eventually("the rows are flushed once they are old enough", || store.stats().flushes == 1).await;
        assert_eq!(store.stats().oldest_buffered_age, None);
        assert_eq!(store.stats().file_rows, 3);
        store.close().await;
    }

    #[tokio::test]
    async fn a_failed_flush_keeps_the_rows_and_is_retried() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(dir.path());
        // A file where the tables directory belongs: every flush fails until it is gone.
        let tables = dir.path().join("store/tables");
        std::fs::write(&tables, b"in the way").expect("writes");
        store.start_maintenance(MaintenanceOptions { flush_rows: 1, flush_interval: hour() });

        store.append(records_of_one_beacon(4)).await.expect("appends");
        eventually("a flush fails", || store.stats().flush_failures >= 1).await;
        assert_eq!(store.buffered_rows(), 4, "the rows stay buffered");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(store.stats().flush_failures, 1, "no retry before the backoff");
        std::fs::remove_file(&tables).expect("removes");

        eventually("the retry succeeds", || store.stats().flushes == 1).await;
        let stats = store.stats();
        assert_eq!((stats.buffered_rows, stats.file_rows, stats.flush_failures), (0, 4, 1));
        store.close().await;
    }

    #[tokio::test]
    async fn close_stops_the_task_and_flushes_what_is_left() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(dir.path());
        store.start_maintenance(MaintenanceOptions { flush_rows: 1000, flush_interval: hour() });
        store.append(records_of_one_beacon(6)).await.expect("appends");

        store.close().await;

        assert!(store.maintenance.lock().expect("not poisoned").is_none(), "the task is stopped");
        let stats = store.stats();
        assert_eq!((stats.buffered_rows, stats.file_rows, stats.flushes), (0, 6, 1));
        drop(store);
        let (store, report) = EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("reopens");
        assert_eq!(report.replayed_events, 0, "everything was flushed");
        assert_eq!(store.stats().file_rows, 6);
    }

    #[tokio::test]
    async fn small_files_are_merged_after_the_flushes_that_wrote_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(dir.path());
        store.start_maintenance(MaintenanceOptions { flush_rows: 2, flush_interval: hour() });
        let page = page();
        for flush in 0..4 {
            let context = context("shop", &format!("s{flush}"));
            let records = (0..2).map(|i| record(&context, &page, &format!("e{flush}-{i}"), NOON_MS, 0)).collect();
            store.append(records).await.expect("appends");
            eventually("the rows are flushed", || store.stats().flushes == flush + 1).await;
        }
        eventually("the four files are merged into one", || store.stats().files == 1).await;
        assert_eq!(store.stats().file_rows, 8);
        store.close().await;
    }

    #[tokio::test]
    async fn the_task_ends_when_the_store_is_dropped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(dir.path());
        store.start_maintenance(MaintenanceOptions { flush_rows: 1, flush_interval: Duration::from_millis(20) });
        let task = store.maintenance.lock().expect("not poisoned").take().expect("a task");
        store.wal.close().await;
        drop(store);
        tokio::time::timeout(Duration::from_secs(5), task.handle).await.expect("ends").expect("no panic");
    }

    #[tokio::test]
    async fn stats_count_duplicates_files_and_wal_positions() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(dir.path());
        assert_eq!(store.stats(), StoreStats::default());

        store.append(records_of_one_beacon(4)).await.expect("appends");
        store.append(records_of_one_beacon(5)).await.expect("a retry with one new event");
        let stats = store.stats();
        assert_eq!((stats.buffered_rows, stats.duplicates_dropped, stats.wal_last_lsn), (5, 4, 2));
        assert_eq!((stats.files, stats.wal_flushed_lsn), (0, 0));

        store.flush().await.expect("flushes");
        store.flush().await.expect("an empty flush is not counted");
        let stats = store.stats();
        assert_eq!((stats.buffered_rows, stats.files, stats.file_rows, stats.flushes), (0, 2, 5, 1));
        assert!(stats.file_bytes > 0);
        assert_eq!(stats.wal_flushed_lsn, 2);
        assert!(stats.last_flush_duration > Duration::ZERO);
        store.close().await;
    }
}
