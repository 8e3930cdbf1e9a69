//! The store's figures ([`sightline_store::StoreStats`]), read from the store at each scrape.

use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use sightline_store::{Store, StoreStats};

/// Asks the watched store for its [`StoreStats`] when `/metrics` is scraped; exports nothing
/// until a store is watched.
#[derive(Debug, Clone, Default)]
pub(super) struct StoreCollector {
    store: Arc<Mutex<Option<Arc<dyn Store>>>>,
}

impl StoreCollector {
    /// Reads `store`'s figures from now on.
    pub(super) fn watch(&self, store: Arc<dyn Store>) {
        *self.store.lock().unwrap_or_else(PoisonError::into_inner) = Some(store);
    }
}

impl Collector for StoreCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let store = self.store.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let Some(store) = store else { return Ok(()) };
        let StoreStats {
            buffered_rows,
            oldest_buffered_age,
            files,
            file_rows,
            file_bytes,
            wal_last_lsn,
            wal_flushed_lsn,
            flushes,
            flush_failures,
            last_flush_duration,
            duplicates_dropped,
            wal_undecodable_records,
            wal_tail_cuts,
            wal_tail_bytes_cut,
            wal_damaged_bytes_skipped,
            wal_missing_records,
            wal_commits,
            wal_slow_commits,
            wal_longest_commit,
        } = store.stats();
        let age = oldest_buffered_age.unwrap_or_default().as_secs_f64();
        let gauges: [(&str, &str, f64); 10] = [
            ("store_buffered_rows", "Rows acknowledged and held in memory, not yet in files", buffered_rows as f64),
            ("store_buffer_oldest_age_seconds", "How long the oldest buffered row has waited for a flush", age),
            ("store_files", "Data (Parquet) files", files as f64),
            ("store_file_rows", "Rows in the data files", file_rows as f64),
            ("store_file_bytes", "Bytes of the data files on disk", file_bytes as f64),
            ("store_wal_last_lsn", "The last record written to the write-ahead log", wal_last_lsn as f64),
            ("store_wal_flushed_lsn", "Write-ahead log records up to this one are in files", wal_flushed_lsn as f64),
            (
                "store_last_flush_duration_seconds",
                "How long the last flush took, failed or not",
                last_flush_duration.as_secs_f64(),
            ),
            (
                "store_wal_undecodable_records",
                "Write-ahead log records skipped at start because they could not be decoded",
                wal_undecodable_records as f64,
            ),
            (
                "store_wal_longest_commit_seconds",
                "The longest write-ahead log commit (write + fdatasync) since the start",
                wal_longest_commit.as_secs_f64(),
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        let counters = [
            ("store_flushes", "Flushes of the buffer into files", flushes),
            ("store_flush_failures", "Flushes that failed; their rows stayed buffered and are retried", flush_failures),
            (
                "store_duplicates_dropped",
                "Events dropped because the same project and event id was stored recently",
                duplicates_dropped,
            ),
            ("store_wal_commits", "Write-ahead log commits (one write and one fdatasync each)", wal_commits),
            ("store_wal_slow_commits", "Write-ahead log commits slower than 50 ms", wal_slow_commits),
            (
                "store_wal_tail_cuts",
                "Torn or corrupt tails cut off the write-ahead log when the store opened (a crash mid-write)",
                wal_tail_cuts,
            ),
            (
                "store_wal_tail_bytes_cut",
                "Bytes cut off the write-ahead log's tail when the store opened",
                wal_tail_bytes_cut,
            ),
            (
                "store_wal_damaged_bytes_skipped",
                "Bytes of damaged older write-ahead log segments skipped when the store opened",
                wal_damaged_bytes_skipped,
            ),
            (
                "store_wal_missing_records",
                "Write-ahead log records missing between segments when the store opened",
                wal_missing_records,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)?;
        }
        Ok(())
    }
}
