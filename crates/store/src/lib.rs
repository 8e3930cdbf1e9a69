//! The `Store` seam: where clean events go once the intake has accepted them.
//!
//! The intake acknowledges a beacon only after [`Store::append`] returns `Ok`,
//! which means the records are on disk (fsynced). Until the embedded engine
//! (WAL → Arrow → Parquet → DataFusion) lands, [`LogStore`] is the simplest
//! durable implementation: an append-only JSON-lines file with group commit.

mod log_store;
pub mod wal;

use std::future::Future;
use std::pin::Pin;

use sightline_protocol::EventRecord;

pub use log_store::{LogStore, LogStoreOptions};

/// A boxed future, so that `Store` can be used as a trait object.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Errors of a store.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Writing or syncing failed (disk full, I/O error); nothing of the batch is acknowledged.
    #[error("storage write failed: {0}")]
    Write(String),
    /// More appends are waiting than the store queues: it is slower than the intake right now.
    #[error("storage write queue is full")]
    QueueFull,
    /// The store is shutting down and takes no more writes.
    #[error("storage is closed")]
    Closed,
    /// The store could not be opened.
    #[error("cannot open storage at {path}: {message}")]
    Open {
        /// The path that failed.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// Whether the store can take writes right now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreHealth {
    /// True while writes succeed.
    pub writable: bool,
    /// The last write error, until a write succeeds again.
    pub last_error: Option<String>,
}

/// Durable storage of clean events.
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Appends `records` durably. `Ok` means they survive a crash (fsynced);
    /// on `Err` none of them may be reported as stored.
    fn append(&self, records: Vec<EventRecord>) -> StoreFuture<'_, Result<(), StoreError>>;

    /// Whether writes currently succeed.
    fn health(&self) -> StoreHealth;

    /// Finishes pending writes and stops taking new ones.
    fn close(&self) -> StoreFuture<'_, ()> {
        Box::pin(async {})
    }
}
