//! Day rollups: the rollups of a partition's (project, kind, UTC day) data files merged
//! into one, which a query reads instead of theirs.
//!
//! A data file's rollup covers every hour and nearly every dimension value of its day: the
//! file holds up to a million rows in session order, not a slice of the day. So a busy day
//! of ten files has ten rollups that repeat each other's groups, and the rollup rows a
//! month's query reads grew with the traffic. Merged, a day's rollup holds each group once
//! (counts and sums add, sketches merge exactly: the same buckets), so a month is about 30
//! rollups per kind whatever the volume.
//!
//! The manifest lists each day rollup with the files it covers ([`DayRollup`]); a query
//! reads it and the rollups of the day's listed files it does not cover. A partition gets a
//! new one once [`MIN_UNCOVERED_FILES`] of its files are not in its current one: merged
//! from the current one and those files' rollups, written under a fresh name, then swapped
//! in by one manifest save (the old one deleted after the grace of replaced files). A
//! rewrite that replaces a covered file (compaction, erase, retention) drops the day rollup
//! in the same save ([`Manifest::drop_stale_day_rollups`]): until the next is written, the
//! day's files' own rollups are read.
//!
//! The maintenance task writes them ([`EmbeddedStore::write_day_rollups`]), and a bulk load
//! writes its days' before listing its files ([`write_due`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{
    Array, AsArray, BinaryArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use foldhash::fast::RandomState;

use super::super::EmbeddedStore;
use super::super::background::{self, Priority, map_on_all_cores};
use super::super::buffer::PartitionKey;
use super::super::flush::partition_dir;
use super::super::manifest::{DataFile, DayRollup, Manifest};
use super::super::rewrite::{fresh_name, key_of};
use super::groups::Figures;
use super::{Dictionary, ITEM_COLUMNS, KEYS, MEASURES, NULL, ROLLUP_DIMENSIONS, ROLLUPS_DIR, RowRef};
use super::{has_rollup, rollup_batch, rollup_path, rollup_schema, write_rollup};
use crate::StoreError;

/// A partition gets a new day rollup once this many of its listed files are not in its
/// current one (with one, the query reads two rollups, not worth a rewrite of the day's).
pub const MIN_UNCOVERED_FILES: usize = 2;
/// Day rollups are named `d<n>.parquet` in their partition's directory of the rollups (data
/// files, whose rollups are beside them, are named `f…`, `b…`, `c…` and `e…`).
const NAME_PREFIX: char = 'd';
const DAY_MS: i64 = 86_400_000;

/// The first and last millisecond of `day` (days since 1970-01-01).
pub fn day_range(day: i64) -> (i64, i64) {
    (day * DAY_MS, day * DAY_MS + DAY_MS - 1)
}

/// The partition of a day rollup.
pub fn partition_of(rollup: &DayRollup) -> PartitionKey {
    PartitionKey { project: rollup.project.clone(), kind: rollup.kind, day: rollup.day }
}

/// A partition whose day rollup is due: its current one, if any, and the listed files it
/// does not cover that have their own rollup.
#[derive(Debug, Clone)]
pub struct DayRollupJob {
    key: PartitionKey,
    current: Option<DayRollup>,
    uncovered: Vec<DataFile>,
}

/// What [`EmbeddedStore::write_day_rollups`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayRollupReport {
    /// Day rollups written.
    pub written: usize,
    /// Day rollups that could not be written (logged; due again at the next call).
    pub failed: usize,
    /// Partitions whose day rollup is still due.
    pub remaining: usize,
}

/// The partitions of `manifest` whose day rollup is due (see the module doc).
pub fn due(manifest: &Manifest, store_dir: &Path) -> Vec<DayRollupJob> {
    let mut partitions: BTreeMap<PartitionKey, Vec<&DataFile>> = BTreeMap::new();
    for file in manifest.files.iter().filter(|file| has_rollup(file.kind)) {
        partitions.entry(key_of(file)).or_default().push(file);
    }
    let current_of = |key: &PartitionKey| manifest.day_rollups.iter().find(|rollup| partition_of(rollup) == *key);
    let rollups = store_dir.join(ROLLUPS_DIR);
    let mut jobs = Vec::new();
    for (key, files) in partitions {
        // One whose file is gone (deleted by hand) is merged from the day's files again.
        let current = current_of(&key).filter(|current| rollups.join(&current.path).is_file());
        let covered: HashSet<&str> =
            current.iter().flat_map(|rollup| rollup.covers.iter().map(String::as_str)).collect();
        let uncovered: Vec<DataFile> = files
            .into_iter()
            .filter(|file| !covered.contains(file.path.as_str()) && rollup_path(store_dir, &file.path).exists())
            .cloned()
            .collect();
        if uncovered.len() >= MIN_UNCOVERED_FILES {
            jobs.push(DayRollupJob { key, current: current.cloned(), uncovered });
        }
    }
    jobs
}

/// Writes `job`'s day rollup under a fresh name; returns it, for the manifest to list.
pub fn write(store_dir: &Path, job: &DayRollupJob) -> Result<DayRollup, StoreError> {
    let rollups = store_dir.join(ROLLUPS_DIR);
    let sources = job.current.iter().map(|current| rollups.join(&current.path));
    let sources = sources.chain(job.uncovered.iter().map(|file| rollup_path(store_dir, &file.path)));
    let mut merger = Merger::default();
    for source in sources {
        let read_error = |error: &dyn std::fmt::Display| {
            StoreError::Write(format!("cannot read the rollup {} to merge it: {error}", source.display()))
        };
        let file = std::fs::File::open(&source).map_err(|error| read_error(&error))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|builder| builder.build())
            .map_err(|error| read_error(&error))?;
        for batch in reader {
            merger.add(&batch.map_err(|error| read_error(&error))?)?;
        }
    }
    let batch = merger.finish()?.unwrap_or_else(|| RecordBatch::new_empty(rollup_schema()));
    let path = fresh_path(&rollups, &job.key);
    write_rollup(&rollups.join(&path), &batch)?;
    let mut covers: Vec<String> = job.current.iter().flat_map(|current| current.covers.iter().cloned()).collect();
    covers.extend(job.uncovered.iter().map(|file| file.path.clone()));
    Ok(DayRollup { path, project: job.key.project.clone(), kind: job.key.kind, day: job.key.day, covers })
}

/// A path under the rollups directory `rollups` for a new day rollup of `key`: named as
/// the rewrites name their files (one writer at a time: the maintenance lock, or the bulk
/// writer's store lock).
fn fresh_path(rollups: &Path, key: &PartitionKey) -> String {
    format!("{}/{}.parquet", partition_dir(key), fresh_name(rollups, key, NAME_PREFIX))
}

/// Puts `rollup` in `manifest` in place of its partition's current one; returns the one it
/// replaced, if any.
fn replace_in(manifest: &mut Manifest, rollup: DayRollup) -> Option<DayRollup> {
    let key = partition_of(&rollup);
    let replaced = manifest
        .day_rollups
        .iter()
        .position(|other| partition_of(other) == key)
        .map(|at| manifest.day_rollups.swap_remove(at));
    manifest.day_rollups.push(rollup);
    replaced
}

/// Writes every due day rollup of `manifest` (a bulk load's, before its save) on as many
/// threads as the machine has cores, and lists them in it; returns the ones they replaced,
/// whose files the caller deletes once saved. One that cannot be written is logged and left
/// out (its day is read from its files' rollups): it never fails the load.
pub fn write_due(store_dir: &Path, manifest: &mut Manifest) -> Vec<DayRollup> {
    let jobs = due(manifest, store_dir);
    let written = map_on_all_cores(jobs, |job| write(store_dir, &job).inspect_err(|error| log_failure(&job, error)));
    written.into_iter().flatten().filter_map(|rollup| replace_in(manifest, rollup)).collect()
}

/// Logs that `job`'s day rollup could not be written.
fn log_failure(job: &DayRollupJob, error: &StoreError) {
    tracing::warn!(
        project = %job.key.project,
        kind = job.key.kind.as_str(),
        day = %partition_dir(&job.key),
        %error,
        "cannot write a day rollup; the day is read from its files' rollups meanwhile"
    );
}

impl EmbeddedStore {
    /// Writes the due day rollups, one partition at a time on a background thread, for
    /// about `budget` (at least one when any is due). One that fails is logged and
    /// counted, and the others go on (it is due again at the next call).
    pub async fn write_day_rollups(&self, budget: Duration) -> Result<DayRollupReport, StoreError> {
        let _one_at_a_time = self.maintenance_lock.lock().await;
        let started = Instant::now();
        let manifest = self.lock().manifest.clone();
        let mut jobs = due(&manifest, &self.dir);
        let mut report = DayRollupReport::default();
        while let Some(job) = jobs.pop() {
            if report.written + report.failed > 0 && started.elapsed() >= budget {
                jobs.push(job);
                break;
            }
            let store_dir = self.dir.clone();
            let task = job.clone();
            let written =
                background::run("sightline-day-rollup", Priority::Background, move || write(&store_dir, &task))
                    .await
                    .and_then(|written| written);
            match written {
                Ok(rollup) => match self.list_day_rollup(rollup).await {
                    Ok(()) => report.written += 1,
                    Err(error) => {
                        log_failure(&job, &error);
                        report.failed += 1;
                    }
                },
                Err(error) => {
                    log_failure(&job, &error);
                    report.failed += 1;
                }
            }
        }
        report.remaining = jobs.len();
        Ok(report)
    }

    /// Lists `rollup` in the manifest in place of its partition's current one, which is
    /// deleted after the grace of replaced files. Refused (its file deleted) when a file it
    /// covers is no longer listed.
    async fn list_day_rollup(&self, rollup: DayRollup) -> Result<(), StoreError> {
        let _manifest_changes = self.flush_lock.lock().await;
        let rollups = self.dir.join(ROLLUPS_DIR);
        let path = rollups.join(&rollup.path);
        let mut manifest = self.lock().manifest.clone();
        let replaced = replace_in(&mut manifest, rollup);
        if !manifest.drop_stale_day_rollups().is_empty() {
            let _ = std::fs::remove_file(&path);
            return Err(StoreError::Write(
                "the day's files changed while its rollup was merged; retrying later".into(),
            ));
        }
        let dir = self.dir.clone();
        let saved = tokio::task::spawn_blocking(move || manifest.save(&dir).map(|()| manifest))
            .await
            .unwrap_or_else(|error| Err(StoreError::Write(format!("the manifest save failed: {error}"))));
        let manifest = saved.inspect_err(|_| {
            let _ = std::fs::remove_file(&path);
        })?;
        let mut state = self.lock();
        state.manifest = manifest;
        state.retired.extend(replaced.map(|old| (rollups.join(&old.path), Instant::now())));
        Ok(())
    }
}

/// A rollup row's key: grouping, measure, hour, key value ids.
type RowKey = (u8, u8, i64, [u32; KEYS]);

/// Merges rollup rows of one project: the figures of rows with equal keys add up.
#[derive(Debug, Default)]
struct Merger {
    project: Option<String>,
    dictionaries: [Dictionary; KEYS],
    rows: HashMap<RowKey, Figures, RandomState>,
}

/// The columns of a rollup batch.
struct RollupColumns<'a> {
    project: &'a StringArray,
    timestamp: &'a TimestampMillisecondArray,
    name: &'a StringArray,
    grouping: &'a Int32Array,
    keys: [&'a StringArray; KEYS],
    floats: [&'a Float64Array; 5],
    samples: &'a Int64Array,
    sketch: &'a BinaryArray,
}

impl<'a> RollupColumns<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self, StoreError> {
        let column = |name: &str| {
            batch.column_by_name(name).ok_or_else(|| StoreError::Write(format!("a rollup lacks the column {name}")))
        };
        let typed = |name: &str| StoreError::Write(format!("a rollup's column {name} has another type"));
        let text = |name: &str| column(name)?.as_string_opt::<i32>().ok_or_else(|| typed(name));
        let float = |name: &str| column(name)?.as_any().downcast_ref::<Float64Array>().ok_or_else(|| typed(name));
        let project = text("project")?;
        let mut keys = [project; KEYS];
        for (key, name) in keys.iter_mut().zip(ROLLUP_DIMENSIONS.iter().chain(&ITEM_COLUMNS)) {
            *key = text(name)?;
        }
        Ok(Self {
            project,
            timestamp: column("timestamp")?.as_any().downcast_ref().ok_or_else(|| typed("timestamp"))?,
            name: text("name")?,
            grouping: column("grouping")?.as_any().downcast_ref().ok_or_else(|| typed("grouping"))?,
            keys,
            floats: [float("count")?, float("sum")?, float("good")?, float("needs_improvement")?, float("poor")?],
            samples: column("samples")?.as_any().downcast_ref().ok_or_else(|| typed("samples"))?,
            sketch: column("sketch")?.as_binary_opt::<i32>().ok_or_else(|| typed("sketch"))?,
        })
    }
}

impl Merger {
    /// Adds the rows of a rollup batch.
    fn add(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        let columns = RollupColumns::of(batch)?;
        let mut last_measure: Option<(&str, u8)> = None;
        for row in 0..batch.num_rows() {
            if self.project.is_none() {
                self.project = Some(columns.project.value(row).to_owned());
            }
            let name = columns.name.value(row);
            let measure = match last_measure {
                Some((last, measure)) if last == name => measure,
                _ => {
                    let measure = MEASURES.iter().position(|known| *known == name).ok_or_else(|| {
                        StoreError::Write(format!(
                            "a rollup holds the measure {name:?}, which this version does not know"
                        ))
                    })? as u8;
                    last_measure = Some((name, measure));
                    measure
                }
            };
            let grouping = u8::try_from(columns.grouping.value(row))
                .map_err(|_| StoreError::Write("a rollup holds a grouping out of range".into()))?;
            let keys: [u32; KEYS] = std::array::from_fn(|i| {
                let column = columns.keys[i];
                if column.is_null(row) { NULL } else { self.dictionaries[i].id(column.value(row)) }
            });
            let figures = self.rows.entry((grouping, measure, columns.timestamp.value(row), keys)).or_default();
            let [count, sum, good, needs, poor] = columns.floats.map(|column| column.value(row));
            figures.count += count;
            figures.sum += sum;
            for (mine, theirs) in figures.ratings.iter_mut().zip([good, needs, poor]) {
                *mine += theirs;
            }
            figures.samples += columns.samples.value(row);
            if !figures.sketch.merge_bytes(columns.sketch.value(row)) {
                return Err(StoreError::Write("a rollup's sketch cannot be read".into()));
            }
        }
        Ok(())
    }

    /// The merged rows, sorted as a data file's rollup; none when no row was added.
    fn finish(self) -> Result<Option<RecordBatch>, StoreError> {
        let Some(project) = self.project else { return Ok(None) };
        let rows: Vec<RowRef<'_>> = self
            .rows
            .iter()
            .map(|(&(grouping, measure, hour, keys), figures)| (grouping, measure, hour, keys, figures))
            .collect();
        rollup_batch(&project, rows, &self.dictionaries).map(Some)
    }
}

#[cfg(test)]
mod tests;
