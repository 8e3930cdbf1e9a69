//! What compaction, retention and erase share: reading a data file in the current schema,
//! naming new files, swapping files in the manifest, and deleting the files it no longer lists.
//!
//! Every one of them changes the files in the same three steps. New files are written
//! completely (`.tmp`, fsync, rename, directory fsync) while the manifest still lists the old
//! ones; then one manifest save swaps old for new; then the old files are deleted. A crash
//! before the save leaves new files nobody lists, after it old files nobody lists: the sweep
//! of the next start deletes either, and the store holds exactly one of the two versions.
//! Old files are deleted [`RETIRED_GRACE`] after the swap, so that a query planned just
//! before it can still read them.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use datafusion::arrow::array::{RecordBatch, RecordBatchOptions, new_null_array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::EmbeddedStore;
use super::buffer::PartitionKey;
use super::flush::partition_dir;
use super::manifest::{DataFile, TABLES_DIR};
use crate::StoreError;

/// How long a file stays on disk after the manifest stopped listing it.
pub const RETIRED_GRACE: Duration = Duration::from_secs(30);

/// Rows read per batch.
const READ_BATCH_ROWS: usize = 8192;

/// The partition of a listed file.
pub fn key_of(file: &DataFile) -> PartitionKey {
    PartitionKey { project: file.project.clone(), kind: file.kind, day: file.day }
}

/// Opens a data file for reading.
pub fn open_reader(tables_dir: &Path, file: &DataFile) -> Result<ParquetRecordBatchReaderBuilder<File>, StoreError> {
    let path = tables_dir.join(&file.path);
    let read_error =
        |error: &dyn std::fmt::Display| StoreError::Write(format!("cannot read {}: {error}", path.display()));
    let reader = File::open(&path).map_err(|error| read_error(&error))?;
    ParquetRecordBatchReaderBuilder::try_new(reader).map_err(|error| read_error(&error))
}

/// Every row of a data file, in batches of the kind's current schema: a column the file
/// does not have (written before the column existed) reads as nulls.
pub fn read_batches(
    tables_dir: &Path,
    file: &DataFile,
) -> Result<impl Iterator<Item = Result<RecordBatch, StoreError>> + use<>, StoreError> {
    let schema = crate::columns::schema(file.kind);
    let path = tables_dir.join(&file.path);
    let reader = open_reader(tables_dir, file)?
        .with_batch_size(READ_BATCH_ROWS)
        .build()
        .map_err(|error| StoreError::Write(format!("cannot read {}: {error}", path.display())))?;
    Ok(reader.map(move |batch| {
        let batch = batch.map_err(|error| StoreError::Write(format!("cannot read {}: {error}", path.display())))?;
        conform(&batch, &schema)
    }))
}

/// `batch` in `schema`: columns by name, cast where the type differs, nulls where missing.
pub fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, StoreError> {
    let conform_error = |error: &dyn std::fmt::Display| {
        StoreError::Write(format!("a data file does not fit the current schema: {error}"))
    };
    let rows = batch.num_rows();
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) if column.data_type() == field.data_type() => Ok(Arc::clone(column)),
            Some(column) => cast(column, field.data_type()).map_err(|error| conform_error(&error)),
            None => Ok(new_null_array(field.data_type(), rows)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(Arc::clone(schema), columns, &options).map_err(|error| conform_error(&error))
}

/// A file name (without `.parquet`) in `key`'s directory that no file has: `prefix` and the
/// time in ms, counted up past any existing name. Unique as long as one writer uses `prefix`
/// at a time (the maintenance lock) and no other writer uses it (flushes name files `f…`).
pub fn fresh_name(tables_dir: &Path, key: &PartitionKey, prefix: char) -> String {
    let dir = tables_dir.join(partition_dir(key));
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |since| since.as_millis());
    let mut stamp = u64::try_from(now).unwrap_or(u64::MAX);
    loop {
        let name = format!("{prefix}{stamp:020}");
        let taken = ["parquet", "parquet.tmp"].iter().any(|extension| dir.join(format!("{name}.{extension}")).exists());
        if !taken {
            return name;
        }
        stamp += 1;
    }
}

impl EmbeddedStore {
    /// Replaces the files `removed` with `added` in one manifest save, with the day rollups
    /// that covered a removed file; the removed files are deleted after [`RETIRED_GRACE`].
    /// Fails, changing nothing, when a removed file is no longer listed.
    pub(super) async fn swap_files(&self, removed: &[DataFile], added: &[DataFile]) -> Result<(), StoreError> {
        let _manifest_changes = self.flush_lock.lock().await;
        let mut manifest = self.lock().manifest.clone();
        let before = manifest.files.len();
        manifest.files.retain(|file| !removed.iter().any(|gone| gone.path == file.path));
        if manifest.files.len() + removed.len() != before {
            return Err(StoreError::Write("the store's files changed during the rewrite; nothing was changed".into()));
        }
        manifest.files.extend(added.iter().cloned());
        let stale = manifest.drop_stale_day_rollups();
        let dir = self.dir.clone();
        let manifest = tokio::task::spawn_blocking(move || manifest.save(&dir).map(|()| manifest))
            .await
            .unwrap_or_else(|error| Err(StoreError::Write(format!("the manifest save failed: {error}"))))?;
        let tables = self.dir.join(TABLES_DIR);
        let mut state = self.lock();
        state.manifest = manifest;
        let now = Instant::now();
        state.retired.extend(removed.iter().map(|file| (tables.join(&file.path), now)));
        let rollups = self.dir.join(super::rollup::ROLLUPS_DIR);
        state.retired.extend(stale.iter().map(|rollup| (rollups.join(&rollup.path), now)));
        Ok(())
    }

    /// Deletes the unlisted files retired at least `grace` ago, and their directories once
    /// empty. Blocking (a few unlinks); a failure is logged and left to the next start's sweep.
    pub(super) fn delete_retired(&self, grace: Duration) {
        let due: Vec<PathBuf> = {
            let mut state = self.lock();
            let (due, kept): (Vec<_>, Vec<_>) =
                std::mem::take(&mut state.retired).into_iter().partition(|(_, since)| since.elapsed() >= grace);
            state.retired = kept;
            due.into_iter().map(|(path, _)| path).collect()
        };
        for path in due {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot delete a replaced data file; the next start will");
                    continue;
                }
            }
            let tables = self.dir.join(TABLES_DIR);
            // Its rollup goes with it (a leftover one is never read: only listed files' are).
            if let Ok(relative) = path.strip_prefix(&tables) {
                let _ = std::fs::remove_file(self.dir.join(super::rollup::ROLLUPS_DIR).join(relative));
            }
            // A day directory (and its project's) goes once empty; `remove_dir` refuses otherwise.
            let mut dir = path.parent();
            while let Some(parent) = dir.filter(|parent| parent.starts_with(&tables) && *parent != tables) {
                if std::fs::remove_dir(parent).is_err() {
                    break;
                }
                dir = parent.parent();
            }
        }
    }

    /// Test hook: whether a rewrite stops before its manifest save (a simulated crash).
    pub(super) fn stopped_before_swap(&self) -> Result<(), StoreError> {
        #[cfg(test)]
        if self.stop_before_swap.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(StoreError::Write("test: stopped before the manifest save".into()));
        }
        Ok(())
    }
}
