//! The `Store` seam: where clean events go once the intake has accepted them.
//!
//! The intake acknowledges a beacon only after [`Store::append`] returns `Ok`,
//! which means the records are on disk (fsynced). [`EmbeddedStore`] is the
//! implementation `sightline serve` runs: write-ahead log → in-memory Arrow
//! buffer → Parquet files, flushed in the background
//! ([`EmbeddedStore::start_maintenance`]).

pub mod columns;
mod engine;
pub mod sketch;
pub mod wal;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use datafusion::prelude::SessionContext;

use sightline_protocol::EventRecord;

/// Arrow, as the store's tables and batches use it (the same version).
pub use datafusion::arrow;
/// Parquet, as the store's data files use it (the same version).
pub use datafusion::parquet;
pub use engine::{
    BackfillReport, DAILY_GROUPING, DEFAULT_BULK_ROWS_PER_FILE, DayRollupReport, GROUPING_SETS, ITEM_COLUMNS,
    ITEM_GROUPING_SETS, ROLLUP_DIMENSIONS, ROLLUP_MEASURES, ROLLUP_TABLE, ROLLUPS_DIR, SKETCH_QUANTILE, rollup_of,
};
pub use engine::{
    BulkReport, BulkWriter, CompactionOptions, CompactionReport, DataFile, DayRollup, EmbeddedStore,
    EmbeddedStoreOptions, EraseReport, EventTable, FlushReport, Manifest, OpenReport, PartitionKey, PartitionSnapshot,
    RetentionReport, Selector, StoreSnapshot, day_of, rollup_session_context, session_context,
};
pub use engine::{DEFAULT_FLUSH_INTERVAL, DEFAULT_FLUSH_ROWS, MaintenanceOptions};

/// A boxed future, so that `Store` can be used as a trait object.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Errors of a store.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Writing or syncing failed (disk full, I/O error); nothing of the batch is acknowledged.
    #[error("storage write failed: {0}")]
    Write(String),
    /// The store refuses writes until it recovers by itself (flushes failing and the buffer
    /// full); the message says why and what to do.
    #[error("storage cannot take writes: {0}")]
    Unavailable(String),
    /// More appends are waiting than the store queues: it is slower than the intake right now.
    #[error("storage write queue is full")]
    QueueFull,
    /// The store is shutting down and takes no more writes.
    #[error("storage is closed")]
    Closed,
    /// The store's tables could not be read.
    #[error("storage read failed: {0}")]
    Read(String),
    /// The store could not be opened.
    #[error("cannot open storage at {path}: {message}")]
    Open {
        /// The path that failed.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// Where queries read: the store's events as a DataFusion session holding one table per
/// event kind (`view`, `vital`, `error`, …). A session is cheap to make (no I/O), so the
/// API makes one per query. A seam of its own rather than a method of [`Store`], so
/// that a store that cannot be read (a test double) need not pretend to.
pub trait Tables: Send + Sync + std::fmt::Debug + 'static {
    /// A new session over the store's tables as of now.
    fn session_context(&self) -> Result<SessionContext, StoreError>;
}

/// The API's sessions read the rollups too: the dashboard's statistics come from them
/// where they cover the query (approximate quantiles, see `docs/query.md`).
impl Tables for Arc<EmbeddedStore> {
    fn session_context(&self) -> Result<SessionContext, StoreError> {
        rollup_session_context(self).map_err(|error| StoreError::Read(error.to_string()))
    }
}

/// Whether the store can take writes right now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreHealth {
    /// True while writes succeed.
    pub writable: bool,
    /// The last write error, until a write succeeds again.
    pub last_error: Option<String>,
}

/// A store's figures at one moment, exported at `/metrics`. A store fills what applies to
/// it and leaves the rest at zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Rows acknowledged and held in memory, not yet in files (a flush in progress excluded).
    pub buffered_rows: u64,
    /// How long the oldest buffered row has waited for a flush; none when the buffer is empty.
    pub oldest_buffered_age: Option<Duration>,
    /// Data files.
    pub files: u64,
    /// Rows in the data files.
    pub file_rows: u64,
    /// Bytes of the data files on disk.
    pub file_bytes: u64,
    /// The last record written to the write-ahead log.
    pub wal_last_lsn: u64,
    /// Every write-ahead log record up to this one is in the data files.
    pub wal_flushed_lsn: u64,
    /// Flushes that wrote files, since the start.
    pub flushes: u64,
    /// Flushes that failed (their rows stayed buffered), since the start.
    pub flush_failures: u64,
    /// How long the last flush took, failed or not.
    pub last_flush_duration: Duration,
    /// Events dropped because the same project and event id was stored recently (retries).
    pub duplicates_dropped: u64,
    /// Write-ahead log records skipped at start because they could not be decoded.
    pub wal_undecodable_records: u64,
    /// Torn or corrupt tails cut off the write-ahead log's last segment when the store opened
    /// (an incomplete last segment removed counts too): what a crash mid-write leaves.
    pub wal_tail_cuts: u64,
    /// Bytes of those tails.
    pub wal_tail_bytes_cut: u64,
    /// Bytes of damaged older write-ahead log segments skipped when the store opened.
    pub wal_damaged_bytes_skipped: u64,
    /// Write-ahead log records missing between segments when the store opened.
    pub wal_missing_records: u64,
    /// Write-ahead log commits (one write and one fdatasync each), since the start.
    pub wal_commits: u64,
    /// Commits slower than 50 ms, since the start.
    pub wal_slow_commits: u64,
    /// The longest commit since the start.
    pub wal_longest_commit: Duration,
}

/// Durable storage of clean events.
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Appends `records` durably. `Ok` means they survive a crash (fsynced);
    /// on `Err` none of them may be reported as stored.
    fn append(&self, records: Vec<EventRecord>) -> StoreFuture<'_, Result<(), StoreError>>;

    /// Whether writes currently succeed.
    fn health(&self) -> StoreHealth;

    /// The store's figures for `/metrics`, read when they are scraped: cheap, no I/O.
    fn stats(&self) -> StoreStats {
        StoreStats::default()
    }

    /// Finishes pending writes and stops taking new ones.
    fn close(&self) -> StoreFuture<'_, ()> {
        Box::pin(async {})
    }
}
