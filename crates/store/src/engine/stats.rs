//! What the store counts for `/metrics`: flushes, their duration, duplicates dropped, and
//! the WAL damage its opening found (undecodable records, tails cut, bytes skipped, records
//! missing), plus the figures read from the buffer, the manifest and the WAL
//! at the moment of a scrape ([`EmbeddedStore::stats`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{EmbeddedStore, FlushReport};
use crate::wal::{DamageAction, Recovery};
use crate::{StoreError, StoreStats};

/// Counters kept by the store itself; each is updated with one atomic add or store.
#[derive(Debug, Default)]
pub(super) struct Counters {
    flushes: AtomicU64,
    flush_failures: AtomicU64,
    last_flush_micros: AtomicU64,
    duplicates_dropped: AtomicU64,
    undecodable_records: AtomicU64,
    /// The WAL damage found when the store opened; never changes after.
    damage: Damage,
}

/// The WAL damage the store's opening found, as counted for `/metrics`.
#[derive(Debug, Default, Clone, Copy)]
struct Damage {
    tail_cuts: u64,
    tail_bytes_cut: u64,
    bytes_skipped: u64,
    missing_records: u64,
}

impl Damage {
    fn of(recovery: &Recovery) -> Self {
        let mut damage = Self::default();
        for place in &recovery.damage {
            if place.action == DamageAction::Skipped {
                damage.bytes_skipped += place.dropped_bytes;
            } else {
                damage.tail_cuts += 1;
                damage.tail_bytes_cut += place.dropped_bytes;
            }
        }
        damage.missing_records = recovery.gaps.iter().map(|gap| gap.last.0.saturating_sub(gap.first.0) + 1).sum();
        damage
    }
}

impl Counters {
    /// Counters of a store whose WAL's opening found `recovery` and `undecodable_records`.
    pub(super) fn new(recovery: &Recovery, undecodable_records: u64) -> Self {
        Self { undecodable_records: undecodable_records.into(), damage: Damage::of(recovery), ..Self::default() }
    }

    /// Counts a flush that wrote files or failed; a flush of an empty buffer counts nothing.
    pub(super) fn flushed(&self, result: &Result<FlushReport, StoreError>, took: Duration) {
        match result {
            Ok(report) if report.files == 0 => return,
            Ok(_) => self.flushes.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.flush_failures.fetch_add(1, Ordering::Relaxed),
        };
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.last_flush_micros.store(micros, Ordering::Relaxed);
    }

    /// Counts events dropped because their id was seen recently.
    pub(super) fn dropped_duplicates(&self, count: usize) {
        if count > 0 {
            self.duplicates_dropped.fetch_add(count as u64, Ordering::Relaxed);
        }
    }
}

impl EmbeddedStore {
    /// The store's figures now: buffer, files, WAL positions and counters. Cheap: one short
    /// lock of the store's state, no I/O.
    pub fn stats(&self) -> StoreStats {
        let counters = &self.counters;
        let commits = self.wal.commit_figures();
        let state = self.lock();
        StoreStats {
            buffered_rows: state.buffer.rows() as u64,
            oldest_buffered_age: state.buffer.oldest().map(|since| since.elapsed()),
            files: state.manifest.files.len() as u64,
            file_rows: state.manifest.rows(),
            file_bytes: state.manifest.files.iter().map(|file| file.bytes).sum(),
            wal_last_lsn: self.wal.last_lsn().0,
            wal_flushed_lsn: state.manifest.flushed_lsn,
            flushes: counters.flushes.load(Ordering::Relaxed),
            flush_failures: counters.flush_failures.load(Ordering::Relaxed),
            last_flush_duration: Duration::from_micros(counters.last_flush_micros.load(Ordering::Relaxed)),
            duplicates_dropped: counters.duplicates_dropped.load(Ordering::Relaxed),
            wal_undecodable_records: counters.undecodable_records.load(Ordering::Relaxed),
            wal_tail_cuts: counters.damage.tail_cuts,
            wal_tail_bytes_cut: counters.damage.tail_bytes_cut,
            wal_damaged_bytes_skipped: counters.damage.bytes_skipped,
            wal_missing_records: counters.damage.missing_records,
            wal_commits: commits.commits,
            wal_slow_commits: commits.slow_commits,
            wal_longest_commit: commits.longest,
        }
    }
}
