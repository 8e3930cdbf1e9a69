//! Retention: each project keeps its last `retention_days` UTC days; older days are dropped
//! whole.
//!
//! A day partition `d` is dropped once `d < today - retention_days`: then every event in it
//! is more than `retention_days` days old, and at least the last `retention_days` full days
//! plus today are always kept. Files are dropped with one manifest save (they are deleted
//! after it, see [`rewrite`](super::rewrite)), by [`EmbeddedStore::apply_retention`]: the
//! maintenance task calls it when it starts and every hour. Buffered rows of an expired day
//! are not written by the next flush (queries see them until then). Projects without a
//! retention (none set, or 0 days) keep everything.

use std::collections::HashMap;
use std::time::SystemTime;

use super::buffer::{PartitionKey, day_of};
use super::manifest::DataFile;
use super::{EmbeddedStore, PoisonError};
use crate::StoreError;

/// What applying retention did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RetentionReport {
    /// Day partitions (project, kind, day) dropped.
    pub partitions: usize,
    /// Files dropped.
    pub files: usize,
    /// Rows dropped.
    pub rows: u64,
    /// Bytes dropped.
    pub bytes: u64,
}

/// Now, in epoch ms.
pub fn now_ms() -> i64 {
    let since = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

impl EmbeddedStore {
    /// Sets the days of data each project keeps; projects not in `days` (or with 0) keep
    /// everything. Takes effect at the next [`apply_retention`](Self::apply_retention) and flush.
    pub fn set_retention(&self, days: HashMap<String, u32>) {
        *self.retention.lock().unwrap_or_else(PoisonError::into_inner) = days;
    }

    /// Drops the files of every day partition past its project's retention as of `now_ms`.
    pub async fn apply_retention(&self, now_ms: i64) -> Result<RetentionReport, StoreError> {
        let _one_at_a_time = self.maintenance_lock.lock().await;
        let expired: Vec<DataFile> = {
            let files = self.lock().manifest.files.clone();
            files.into_iter().filter(|file| self.expired(&super::rewrite::key_of(file), now_ms)).collect()
        };
        if expired.is_empty() {
            return Ok(RetentionReport::default());
        }
        self.swap_files(&expired, &[]).await?;
        let mut partitions: Vec<PartitionKey> = expired.iter().map(super::rewrite::key_of).collect();
        partitions.sort();
        partitions.dedup();
        Ok(RetentionReport {
            partitions: partitions.len(),
            files: expired.len(),
            rows: expired.iter().map(|file| file.rows).sum(),
            bytes: expired.iter().map(|file| file.bytes).sum(),
        })
    }

    /// Whether the partition `key` is past its project's retention at `now_ms`.
    pub(super) fn expired(&self, key: &PartitionKey, now_ms: i64) -> bool {
        let retention = self.retention.lock().unwrap_or_else(PoisonError::into_inner);
        match retention.get(&key.project) {
            Some(&days) if days > 0 => key.day < day_of(now_ms) - i64::from(days),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Store;
    use crate::engine::test_records::{NOON_MS, context, page, record};
    use crate::engine::{EmbeddedStoreOptions, session_context};

    const DAY_MS: i64 = 86_400_000;

    async fn count(store: &Arc<EmbeddedStore>, sql: &str) -> i64 {
        let context = session_context(store).expect("tables register");
        let batches = context.sql(sql).await.expect("plans").collect().await.expect("runs");
        let column = batches[0].column(0);
        column.as_any().downcast_ref::<datafusion::arrow::array::Int64Array>().expect("a count").value(0)
    }

    /// Two events per day (a vital and a custom event) for each of the days `0..days` before `NOON_MS`.
    async fn days_of_events(store: &EmbeddedStore, project: &str, days: i64) {
        let (context, page) = (context(project, "s"), page());
        let records = (0..days * 2)
            .map(|i| record(&context, &page, &format!("{project}{i}"), NOON_MS - (i / 2) * DAY_MS, i as usize));
        store.append(records.collect()).await.expect("appends");
    }

    #[tokio::test]
    async fn drops_exactly_the_days_past_retention_and_keeps_today() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("opens").0);
        days_of_events(&store, "shop", 5).await;
        days_of_events(&store, "blog", 5).await;
        store.flush().await.expect("flushes");
        assert_eq!(store.stats().files, 20, "2 projects × 2 kinds × 5 days");
        store.set_retention(HashMap::from([("shop".to_owned(), 2)]));

        let report = store.apply_retention(NOON_MS).await.expect("applies");

        assert_eq!(report, RetentionReport { partitions: 4, files: 4, rows: 4, bytes: report.bytes });
        assert_eq!(count(&store, "SELECT count(*) FROM vital WHERE project = 'shop'").await, 3, "today and 2 days");
        let oldest =
            "SELECT count(*) FROM custom WHERE project = 'shop' AND timestamp < TIMESTAMP '2025-12-30T00:00:00Z'";
        assert_eq!(count(&store, oldest).await, 0);
        assert_eq!(count(&store, "SELECT count(*) FROM vital WHERE project = 'blog'").await, 5, "no retention set");
        assert_eq!(store.apply_retention(NOON_MS).await.expect("applies"), RetentionReport::default());

        // The dropped files are deleted by close; a reopen lists and finds only the kept ones.
        let dropped = dir.path().join("store/tables/vital/shop/2025-12-28");
        assert!(dropped.exists(), "deleted only after the grace period");
        store.close().await;
        assert!(!dropped.exists(), "the day directory is gone with its files");
        drop(store);
        let (store, report) = EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("reopens");
        assert!(report.swept_files.is_empty(), "{:?}", report.swept_files);
        assert_eq!(store.stats().file_rows, 20 - 4);
    }

    #[tokio::test]
    async fn a_flush_does_not_write_buffered_rows_past_retention() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("opens").0);
        store.set_retention(HashMap::from([("shop".to_owned(), 1)]));
        let (context, page) = (context("shop", "s"), page());
        let now = now_ms();
        let records = vec![record(&context, &page, "old", now - 3 * DAY_MS, 0), record(&context, &page, "new", now, 0)];
        store.append(records).await.expect("appends");

        let report = store.flush().await.expect("flushes");

        assert_eq!((report.files, report.rows, report.expired_rows), (1, 1, 1));
        assert_eq!(count(&store, "SELECT count(*) FROM vital").await, 1);
        store.close().await;
        drop(store);
        let (_, report) = EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("reopens");
        assert_eq!(report.replayed_events, 0, "the expired row is not replayed either");
    }
}
