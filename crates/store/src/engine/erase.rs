//! Erase: every row of one session or one user of a project removed for good (a GDPR
//! request).
//!
//! 1. Memory: with the flush lock held, the matching rows leave the buffer and the rest is
//!    flushed at once. The flush moves the manifest's `flushed_lsn` past every WAL record
//!    that held an erased row, so no replay can bring one back.
//! 2. Files: each file of the project is checked, cheaply first: the row groups whose
//!    `session_id` (or `user_id`) statistics exclude the value are skipped, the others are
//!    scanned reading that one column. A file with matching rows is rewritten without them
//!    (or dropped when nothing is left), then one manifest save swaps old files for new and
//!    the old files are deleted (see [`rewrite`](super::rewrite)).
//!
//! When `erase` returns `Ok`, no query and no restart shows an erased row. Rows of the
//! session that arrive while it runs may be kept: erase once the session is over. The WAL
//! segments that held the rows keep their bytes until they are deleted, after the flushes
//! that pass their last record (the active segment once it is full); the old Parquet files
//! go [`RETIRED_GRACE`](super::rewrite::RETIRED_GRACE) after the swap, or at `close`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Instant;

use datafusion::arrow::array::{Array, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::compute::kernels::cmp::eq;
use datafusion::arrow::compute::{filter_record_batch, not, prep_null_mask_filter};
use datafusion::arrow::error::ArrowError;
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::file::statistics::Statistics;
use sightline_protocol::EventKind;

use super::EmbeddedStore;
use super::flush::write_file;
use super::manifest::{DataFile, TABLES_DIR};
use super::rewrite::{fresh_name, key_of, open_reader, read_batches};
use crate::StoreError;

/// Whose rows to erase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Every row of this session id.
    SessionId(String),
    /// Every row of this application user id.
    UserId(String),
}

impl Selector {
    /// The column that holds the id.
    pub fn column(&self) -> &'static str {
        match self {
            Self::SessionId(_) => "session_id",
            Self::UserId(_) => "user_id",
        }
    }

    /// The id.
    pub fn value(&self) -> &str {
        match self {
            Self::SessionId(value) | Self::UserId(value) => value,
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.column(), self.value())
    }
}

/// What an erase removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EraseReport {
    /// Rows removed per event kind, from memory and files.
    pub rows: BTreeMap<EventKind, u64>,
    /// Of those, rows removed from memory (not yet flushed).
    pub buffered_rows: u64,
    /// Files of the project looked at.
    pub files_checked: usize,
    /// Files skipped by their column statistics alone.
    pub files_skipped_by_statistics: usize,
    /// Files rewritten without the rows.
    pub files_rewritten: usize,
    /// Files dropped because every row of theirs was erased.
    pub files_dropped: usize,
}

impl EraseReport {
    /// Rows removed in all.
    pub fn total_rows(&self) -> u64 {
        self.rows.values().sum()
    }
}

/// One file's fate.
struct Rewritten {
    old: DataFile,
    new: Option<DataFile>,
    removed: u64,
}

impl EmbeddedStore {
    /// Removes every row of `project` that `selector` matches, from memory and files, for
    /// good (see the module docs for the guarantee).
    pub async fn erase(&self, project: &str, selector: &Selector) -> Result<EraseReport, StoreError> {
        let _one_at_a_time = self.maintenance_lock.lock().await;
        let mut report = EraseReport::default();
        {
            let _manifest_changes = self.flush_lock.lock().await;
            let removed = {
                let mut state = self.lock();
                let removed = state.buffer.remove_rows(project, |batch| matching(batch, selector));
                state.publish_held_rows();
                removed
            }
            .map_err(|error| StoreError::Write(format!("cannot erase from memory: {error}")))?;
            report.buffered_rows = removed.values().sum();
            report.rows = removed;
            let started = Instant::now();
            let flushed = self.write_buffer_locked().await;
            self.counters.flushed(&flushed, started.elapsed());
            flushed.map_err(|error| {
                StoreError::Write(format!(
                    "{error}; the erased rows left memory, but the write-ahead log still holds them until a \
                     flush succeeds: run the erase again"
                ))
            })?;
        }

        let files: Vec<DataFile> =
            self.lock().manifest.files.iter().filter(|file| file.project == project).cloned().collect();
        report.files_checked = files.len();
        let (tables, wanted) = (self.dir.join(TABLES_DIR), selector.clone());
        let rewritten = tokio::task::spawn_blocking(move || {
            let mut rewritten = Vec::new();
            let mut skipped = 0;
            for file in files {
                let done = match count_matches(&tables, &file, &wanted) {
                    Ok(None) => {
                        skipped += 1;
                        continue;
                    }
                    Ok(Some(0)) => continue,
                    Ok(Some(matches)) => rewrite_without(&tables, file, &wanted, matches),
                    Err(error) => Err(error),
                };
                match done {
                    Ok(done) => rewritten.push(done),
                    Err(error) => {
                        remove_new_files(&tables, &rewritten);
                        return Err(error);
                    }
                }
            }
            Ok((rewritten, skipped))
        })
        .await
        .unwrap_or_else(|error| Err(StoreError::Write(format!("the erase task failed: {error}"))));
        let (rewritten, skipped) = rewritten?;
        let old: Vec<DataFile> = rewritten.iter().map(|done| done.old.clone()).collect();
        let new: Vec<DataFile> = rewritten.iter().filter_map(|done| done.new.clone()).collect();
        if !rewritten.is_empty() {
            self.stopped_before_swap()?;
            if let Err(error) = self.swap_files(&old, &new).await {
                remove_new_files(&self.dir.join(TABLES_DIR), &rewritten);
                return Err(error);
            }
        }
        report.files_skipped_by_statistics = skipped;
        for done in &rewritten {
            *report.rows.entry(done.old.kind).or_default() += done.removed;
            match done.new {
                Some(_) => report.files_rewritten += 1,
                None => report.files_dropped += 1,
            }
        }
        Ok(report)
    }
}

/// `file` written again without its `matches` selected rows (no new file when none is left).
fn rewrite_without(
    tables_dir: &Path,
    file: DataFile,
    selector: &Selector,
    matches: u64,
) -> Result<Rewritten, StoreError> {
    let key = key_of(&file);
    let name = fresh_name(tables_dir, &key, 'e');
    let kept = read_batches(tables_dir, &file)?.map(|batch| {
        let batch = batch?;
        let mask = matching(&batch, selector).and_then(|mask| not(&mask));
        mask.and_then(|keep| filter_record_batch(&batch, &keep))
            .map_err(|error| StoreError::Write(format!("cannot erase from {}: {error}", file.path)))
    });
    let new = write_file(tables_dir, &key, &name, kept)?;
    Ok(Rewritten { old: file, new, removed: matches })
}

/// Rows of `file` that `selector` matches, reading only its column, and only the row groups
/// whose statistics do not exclude the value; none when the statistics exclude every one.
fn count_matches(tables_dir: &Path, file: &DataFile, selector: &Selector) -> Result<Option<u64>, StoreError> {
    let read_error = |error: &dyn fmt::Display| StoreError::Write(format!("cannot read {}: {error}", file.path));
    let builder = open_reader(tables_dir, file)?;
    let metadata = builder.metadata().clone();
    let schema = metadata.file_metadata().schema_descr();
    let Some(column) = schema.columns().iter().position(|column| column.name() == selector.column()) else {
        return Ok(Some(0));
    };
    let value = selector.value().as_bytes();
    let row_groups: Vec<usize> = (0..metadata.num_row_groups())
        .filter(|&index| match metadata.row_group(index).column(column).statistics() {
            Some(Statistics::ByteArray(stats)) => {
                let below = stats.min_bytes_opt().is_some_and(|min| value < min);
                let above = stats.max_bytes_opt().is_some_and(|max| value > max);
                !below && !above
            }
            _ => true,
        })
        .collect();
    if row_groups.is_empty() {
        return Ok(None);
    }
    let reader = builder
        .with_projection(ProjectionMask::leaves(schema, [column]))
        .with_row_groups(row_groups)
        .build()
        .map_err(|error| read_error(&error))?;
    let mut count = 0;
    for batch in reader {
        let batch = batch.map_err(|error| read_error(&error))?;
        count += matching(&batch, selector).map_err(|error| read_error(&error))?.true_count() as u64;
    }
    Ok(Some(count))
}

/// Which rows of `batch` the selector matches (a null id matches nothing).
fn matching(batch: &RecordBatch, selector: &Selector) -> Result<BooleanArray, ArrowError> {
    let Some(column) = batch.column_by_name(selector.column()) else {
        return Ok(BooleanArray::from(vec![false; batch.num_rows()]));
    };
    let equal = eq(column, &StringArray::new_scalar(selector.value()))?;
    // `prep_null_mask_filter` expects nulls; without any, the comparison is the mask.
    Ok(if equal.null_count() > 0 { prep_null_mask_filter(&equal) } else { equal })
}

/// After a failure: the new files nobody will list.
fn remove_new_files(tables_dir: &Path, rewritten: &[Rewritten]) {
    for file in rewritten.iter().filter_map(|done| done.new.as_ref()) {
        let _ = std::fs::remove_file(tables_dir.join(&file.path));
    }
}

#[cfg(test)]
mod tests;
