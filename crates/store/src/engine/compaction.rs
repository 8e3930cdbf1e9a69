//! Compaction: the small files of a partition (project, kind, UTC day) merged into one.
//!
//! Every flush writes one file per partition, so a busy day collects many small files, each
//! with its own footer, dictionaries and row groups. Once a partition has `min_files` files
//! under half of `max_rows` rows each, they are merged in groups of at most `max_rows` rows
//! (the merge streams, so memory does not grow with the group). Merging
//!
//! - keeps the first row of each event (project, view id, event id) and drops later ones:
//!   the dedup window of the append path is bounded, so a retry that arrives after it has
//!   forgotten the id is stored twice until its files are merged (exactly-once per group of
//!   merged files); the row kept is the first in sort order, from the oldest file on ties;
//! - keeps the rows in [`order`](super::order) (session, view, time): the sources are in
//!   that order already, so the merge streams them one batch per file at a time.
//!
//! The merged file replaces its sources through [`rewrite`](super::rewrite): written, then
//! one manifest save, then the sources deleted; a crash at any point leaves one of the two.

use std::collections::BTreeMap;
use std::path::Path;

use datafusion::arrow::array::{Array, BooleanArray, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::error::ArrowError;

use super::EmbeddedStore;
use super::background::Priority;
use super::buffer::PartitionKey;
use super::dedup::{RecentIds, event_id_columns};
use super::flush::write_file;
use super::manifest::{DataFile, TABLES_DIR};
use super::order::Merge;
use super::rewrite::{fresh_name, key_of, read_batches};
use crate::StoreError;

/// When a partition's files are merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactionOptions {
    /// Merge once a partition has this many small files (at least 2).
    pub min_files: usize,
    /// Rows of one merged file at most (the merge streams: this bounds the file, not the
    /// memory). Files of at least half this many rows are left as they are.
    pub max_rows: u64,
}

impl Default for CompactionOptions {
    fn default() -> Self {
        Self { min_files: 4, max_rows: 1_000_000 }
    }
}

/// What a compaction did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CompactionReport {
    /// Files merged (and deleted).
    pub files_merged: usize,
    /// Files written.
    pub files_written: usize,
    /// Rows of the written files.
    pub rows: u64,
    /// Rows dropped because an earlier row of the group had the same event id.
    pub duplicates_dropped: u64,
    /// Bytes of the merged files.
    pub bytes_before: u64,
    /// Bytes of the written files.
    pub bytes_after: u64,
}

impl EmbeddedStore {
    /// Merges the small files of every partition that has enough of them (see
    /// [`CompactionOptions`]), dropping repeated event ids and sorting by time.
    pub async fn compact(&self) -> Result<CompactionReport, StoreError> {
        self.compact_groups(usize::MAX).await
    }

    /// Merges at most `max_groups` groups of files (the maintenance task merges one at a time,
    /// so that flushes are never kept waiting for long).
    pub(super) async fn compact_groups(&self, max_groups: usize) -> Result<CompactionReport, StoreError> {
        let _one_at_a_time = self.maintenance_lock.lock().await;
        let groups = plan(&self.lock().manifest.files, &self.compaction);
        let mut report = CompactionReport::default();
        for group in groups.into_iter().take(max_groups) {
            let tables = self.dir.join(TABLES_DIR);
            let sources = group.clone();
            let merged =
                super::background::run("sightline-merge", Priority::Background, move || merge(&tables, &sources))
                    .await??;
            self.stopped_before_swap()?;
            if let Err(error) = self.swap_files(&group, merged.file.as_slice()).await {
                if let Some(file) = &merged.file {
                    let _ = std::fs::remove_file(self.dir.join(TABLES_DIR).join(&file.path));
                }
                return Err(error);
            }
            report.files_merged += group.len();
            report.bytes_before += group.iter().map(|file| file.bytes).sum::<u64>();
            report.duplicates_dropped += merged.duplicates;
            if let Some(file) = merged.file {
                report.files_written += 1;
                report.rows += file.rows;
                report.bytes_after += file.bytes;
            }
        }
        Ok(report)
    }
}

/// The groups of files to merge: per partition with at least `min_files` small files, runs
/// of them (in manifest order, oldest first) of at most `max_rows` rows, two files or more.
fn plan(files: &[DataFile], options: &CompactionOptions) -> Vec<Vec<DataFile>> {
    let mut partitions: BTreeMap<PartitionKey, Vec<&DataFile>> = BTreeMap::new();
    for file in files.iter().filter(|file| file.rows < options.max_rows / 2) {
        partitions.entry(key_of(file)).or_default().push(file);
    }
    let mut groups = Vec::new();
    for small in partitions.into_values().filter(|small| small.len() >= options.min_files.max(2)) {
        let mut group: Vec<DataFile> = Vec::new();
        let mut rows = 0;
        for file in small {
            if rows + file.rows > options.max_rows && group.len() >= 2 {
                groups.push(std::mem::take(&mut group));
                rows = 0;
            } else if rows + file.rows > options.max_rows {
                group.clear();
                rows = 0;
            }
            rows += file.rows;
            group.push(file.clone());
        }
        if group.len() >= 2 {
            groups.push(group);
        }
    }
    groups
}

/// A merged group.
struct Merged {
    /// The new file; none when no row is left (cannot happen with at least one row).
    file: Option<DataFile>,
    duplicates: u64,
}

/// Merges the files of one partition (each in [`order`](super::order) already) into a new file of the
/// partition, dropping repeated events. Streams: memory holds one batch per source file,
/// the set of event keys seen and the writer's current row group. Blocking.
fn merge(tables_dir: &Path, files: &[DataFile]) -> Result<Merged, StoreError> {
    let key = key_of(&files[0]);
    let merge_error = |error: &dyn std::fmt::Display| StoreError::Write(format!("cannot merge files: {error}"));
    let sources = files
        .iter()
        .map(|file| {
            let batches = read_batches(tables_dir, file)?;
            Ok(batches.map(|batch| batch.map_err(|error| ArrowError::ExternalError(Box::new(error)))))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let merged = Merge::new(sources).map_err(|error| merge_error(&error))?;
    let mut seen = RecentIds::new(usize::MAX);
    let mut duplicates = 0;
    let unique = merged.map(|batch| {
        let batch = batch.map_err(|error| merge_error(&error))?;
        let (kept, dropped) = drop_seen_events(&key.project, &batch, &mut seen).map_err(|error| merge_error(&error))?;
        duplicates += dropped;
        Ok(kept)
    });
    let name = fresh_name(tables_dir, &key, 'c');
    let file = write_file(tables_dir, &key, &name, unique)?;
    Ok(Merged { file, duplicates })
}

/// The rows of `batch` whose event (view id and event id) `seen` does not know yet, which
/// it then knows, and how many were dropped.
fn drop_seen_events(project: &str, batch: &RecordBatch, seen: &mut RecentIds) -> Result<(RecordBatch, u64), String> {
    let (views, ids) = event_id_columns(batch)?;
    let keep: BooleanArray = (0..ids.len())
        .map(|row| Some(ids.is_null(row) || seen.insert(seen.key(project, views.value(row), ids.value(row)))))
        .collect();
    let dropped = (ids.len() - keep.true_count()) as u64;
    if dropped == 0 {
        return Ok((batch.clone(), 0));
    }
    let kept = filter_record_batch(batch, &keep).map_err(|error| error.to_string())?;
    Ok((kept, dropped))
}

#[cfg(test)]
mod tests;
