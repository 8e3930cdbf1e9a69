//! Writing the rollups that listed files lack: a store written by an older version has
//! none for some kinds, or has them under an older version's directory, whose measures
//! differ ([`ROLLUPS_DIR`]). Until a file's rollup is written, queries compute it from the
//! file each time, so the maintenance task writes them soon after the store opens, one file
//! at a time on a background thread.

use std::path::Path;
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::super::EmbeddedStore;
use super::super::background::{self, Priority};
use super::super::manifest::{DataFile, TABLES_DIR};
use super::{ROLLUPS_DIR, ROLLUPS_ROOT, has_rollup, rollup_of, rollup_path, rollup_schema, write_rollup};
use crate::StoreError;

/// What [`EmbeddedStore::backfill_rollups`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackfillReport {
    /// Rollups written.
    pub written: usize,
    /// Listed files still without one.
    pub remaining: usize,
}

/// Removes the rollups of older versions under `store_dir` (they are never read); returns
/// how many directories went.
pub(in crate::engine) fn remove_old_rollups(store_dir: &Path) -> usize {
    let root = store_dir.join(ROLLUPS_ROOT);
    let current = store_dir.join(ROLLUPS_DIR);
    let Ok(entries) = std::fs::read_dir(&root) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if !current.starts_with(&path) && path.is_dir() {
            match std::fs::remove_dir_all(&path) {
                Ok(()) => removed += 1,
                Err(error) => tracing::warn!(path = %path.display(), %error, "cannot remove an old version's rollups"),
            }
        }
    }
    removed
}

/// Writes the rollup of the data file `relative` (of `kind`) from its rows: empty when it
/// has no sampled unit, so that every listed file has one.
fn write_rollup_of(store_dir: &Path, file: &DataFile) -> Result<(), StoreError> {
    let read_error =
        |error: &dyn std::fmt::Display| StoreError::Write(format!("cannot read {} for its rollup: {error}", file.path));
    let data = std::fs::File::open(store_dir.join(TABLES_DIR).join(&file.path)).map_err(|error| read_error(&error))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(data)
        .and_then(|builder| builder.build())
        .map_err(|error| read_error(&error))?;
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(|error| read_error(&error))?;
    let rollup = rollup_of(file.kind, &batches)?.unwrap_or_else(|| RecordBatch::new_empty(rollup_schema()));
    write_rollup(&rollup_path(store_dir, &file.path), &rollup)
}

impl EmbeddedStore {
    /// The listed files of a kind with rollups that have none.
    fn files_without_rollups(&self) -> Vec<DataFile> {
        let files = self.lock().manifest.files.clone();
        files.into_iter().filter(|file| has_rollup(file.kind) && !rollup_path(&self.dir, &file.path).exists()).collect()
    }

    /// Writes the rollups of listed files that lack one, one file at a time on a background
    /// thread, for about `budget` (at least one file when any lacks it).
    pub async fn backfill_rollups(&self, budget: Duration) -> Result<BackfillReport, StoreError> {
        let _one_at_a_time = self.maintenance_lock.lock().await;
        let started = Instant::now();
        let mut missing = self.files_without_rollups();
        let mut report = BackfillReport::default();
        while let Some(file) = missing.pop() {
            if report.written > 0 && started.elapsed() >= budget {
                missing.push(file);
                break;
            }
            let store_dir = self.dir.clone();
            let path = file.path.clone();
            background::run("sightline-rollup", Priority::Background, move || write_rollup_of(&store_dir, &file))
                .await??;
            // A file compacted away meanwhile: its rollup goes too (an unlisted one is unused).
            if !self.lock().manifest.files.iter().any(|listed| listed.path == path) {
                let _ = std::fs::remove_file(rollup_path(&self.dir, &path));
            }
            report.written += 1;
        }
        report.remaining = missing.len();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::Store as _;
    use crate::engine::{EmbeddedStoreOptions, MaintenanceOptions};

    fn open(dir: &Path) -> Arc<EmbeddedStore> {
        Arc::new(EmbeddedStore::open(dir, &EmbeddedStoreOptions::default()).expect("the store opens").0)
    }

    /// Every rollup file under `dir` (relative path → its rows).
    fn rollups_under(dir: &Path) -> BTreeMap<PathBuf, Vec<RecordBatch>> {
        let mut found = BTreeMap::new();
        let mut pending = vec![dir.to_owned()];
        while let Some(next) = pending.pop() {
            for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                let file = std::fs::File::open(&path).expect("opens");
                let reader = ParquetRecordBatchReaderBuilder::try_new(file).and_then(|b| b.build()).expect("reads");
                let rows = reader.collect::<Result<Vec<_>, _>>().expect("rows");
                found.insert(path.strip_prefix(dir).expect("under").to_owned(), rows);
            }
        }
        found
    }

    /// A store with a flushed file of every kind that has a rollup; its rollups as written.
    async fn flushed_store(dir: &Path) -> BTreeMap<PathBuf, Vec<RecordBatch>> {
        let store = open(dir);
        store.append(super::super::tests::records(11, 60)).await.expect("appends");
        store.flush().await.expect("flushes");
        let written = rollups_under(&store.dir.join(ROLLUPS_DIR));
        let kinds: std::collections::BTreeSet<_> =
            written.keys().filter_map(|path| path.iter().next().map(ToOwned::to_owned)).collect();
        assert_eq!(kinds.len(), 7, "a rollup for every kind with one: {kinds:?}");
        store.close().await;
        written
    }

    #[tokio::test]
    async fn a_store_written_by_an_older_version_gets_the_current_rollups() {
        let dir = tempfile::tempdir().expect("temp dir");
        let written = flushed_store(dir.path()).await;
        // An older version's layout: the vitals' rollups straight under `rollups/`, the
        // other kinds' none.
        let store_dir = dir.path().join("store");
        let (current, old) = (store_dir.join(ROLLUPS_DIR), store_dir.join(ROLLUPS_ROOT));
        std::fs::rename(current.join("vital"), old.join("vital")).expect("moves");
        std::fs::remove_dir_all(&current).expect("removes");

        let store = open(dir.path());
        assert!(!old.join("vital").exists(), "the old version's rollups are removed at open");
        let files = store.files_without_rollups().len();
        assert_eq!(files, written.len());
        let mut remaining = files;
        while remaining > 0 {
            let report = store.backfill_rollups(Duration::ZERO).await.expect("writes");
            assert_eq!(report, BackfillReport { written: 1, remaining: remaining - 1 }, "one file a step");
            remaining = report.remaining;
        }
        assert_eq!(store.backfill_rollups(Duration::ZERO).await.expect("looks"), BackfillReport::default());
        assert_eq!(rollups_under(&current), written, "the same rollups as the flush wrote");
        store.close().await;
    }

    #[tokio::test]
    async fn the_maintenance_task_writes_missing_rollups() {
        let dir = tempfile::tempdir().expect("temp dir");
        let written = flushed_store(dir.path()).await;
        std::fs::remove_dir_all(dir.path().join("store").join(ROLLUPS_ROOT)).expect("removes every rollup");

        let store = open(dir.path());
        store.start_maintenance(MaintenanceOptions::default());
        let deadline = Instant::now() + Duration::from_secs(10);
        while !store.files_without_rollups().is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(rollups_under(&store.dir.join(ROLLUPS_DIR)), written);
        assert_eq!(store.stats().files, written.len() as u64);
        store.close().await;
    }

    #[test]
    fn a_file_without_sampled_units_gets_an_empty_rollup() {
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async {
            let store = open(dir.path());
            let mut records = super::super::tests::records(12, 5);
            for record in &mut records {
                let mut context = (*record.context).clone();
                context.sampling_reason = sightline_protocol::SamplingReason::KeptForError;
                record.context = Arc::new(context);
            }
            store.append(records).await.expect("appends");
            store.flush().await.expect("flushes");
            let rollups = rollups_under(&store.dir.join(ROLLUPS_DIR));
            assert_eq!(rollups.len(), 7, "one per file");
            assert!(rollups.values().flatten().all(|batch| batch.num_rows() == 0));
            assert!(store.files_without_rollups().is_empty(), "nothing for the task to write");
            store.close().await;
        });
    }
}
