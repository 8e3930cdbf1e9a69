//! Bulk loading: clean records written straight into a store's Parquet files, without the
//! write-ahead log, for benchmarks and imports of history.
//!
//! A [`BulkWriter`] takes records in any amount, keeps them per partition (project, kind,
//! UTC day) as Arrow batches, and writes a partition as one file once it holds
//! `rows_per_file` rows, or when the caller says no more records of its day will come
//! ([`BulkWriter::write_days_before`]), or at [`BulkWriter::finish`]. Files are written
//! exactly as a flush writes them (session order, zstd, the same properties, `.tmp` + fsync +
//! rename), the partitions of a batch on as many threads as the machine has cores, and listed in
//! the manifest together at [`BulkWriter::finish`]: a store opened on the directory sees them as
//! if it had ingested them, and a load that did not finish leaves nothing a store reads (its
//! files are swept when the next writer or the store opens the directory). Loads one after
//! another add to the store. The writer holds the store's lock until it is dropped (a store
//! or another writer cannot open the directory meanwhile), and refuses a directory whose store
//! already has a write-ahead log (its records would be replayed on top).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use sightline_protocol::EventRecord;

use super::background::map_on_all_cores;
use super::buffer::PartitionKey;
use super::flush::write_file;
use super::manifest::{DataFile, Manifest, TABLES_DIR};
use super::order;
use crate::StoreError;
use crate::columns;

/// Rows of a file written by a [`BulkWriter`] by default: the compaction's largest merged
/// file, so the store leaves bulk-loaded files as they are.
pub const DEFAULT_BULK_ROWS_PER_FILE: usize = 1_000_000;

/// Records of a partition converted into one Arrow batch together.
const SEAL_ROWS: usize = 8192;

/// What a bulk load wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// Files written.
    pub files: usize,
    /// Rows written.
    pub rows: u64,
    /// Bytes of the files.
    pub bytes: u64,
}

#[derive(Debug, Default)]
struct Pending {
    sealed: Vec<RecordBatch>,
    open: Vec<EventRecord>,
    rows: usize,
}

/// Writes records into a store directory's Parquet files directly (see the module doc).
#[derive(Debug)]
pub struct BulkWriter {
    store_dir: PathBuf,
    manifest: Manifest,
    pending: BTreeMap<PartitionKey, Pending>,
    rows_per_file: usize,
    written: Vec<DataFile>,
    /// This load's files are `b<load>-<n>`: `load` is the manifest version its save makes,
    /// so the files of every load have names of their own.
    load: u64,
    names: u64,
    report: BulkReport,
    /// The store's lock (`wal/LOCK`), held while the writer lives.
    _lock: std::fs::File,
}

impl BulkWriter {
    /// A writer into the store under `data_dir` (`<data_dir>/store`, created when missing),
    /// writing files of at most `rows_per_file` rows.
    pub fn create(data_dir: &Path, rows_per_file: usize) -> Result<Self, StoreError> {
        let store_dir = data_dir.join("store");
        let open_error = |message: String| StoreError::Open { path: store_dir.display().to_string(), message };
        std::fs::create_dir_all(store_dir.join(TABLES_DIR)).map_err(|error| open_error(error.to_string()))?;
        let wal_dir = store_dir.join("wal");
        std::fs::create_dir_all(&wal_dir).map_err(|error| open_error(error.to_string()))?;
        let lock = crate::wal::lock_dir(&wal_dir).map_err(|error| open_error(error.to_string()))?;
        let has_wal = std::fs::read_dir(&wal_dir).is_ok_and(|mut entries| {
            entries.any(|entry| entry.is_ok_and(|entry| entry.path().extension().is_some_and(|ext| ext == "wal")))
        });
        if has_wal {
            return Err(open_error(
                "the store has a write-ahead log: bulk loads go into a store that never ingested".into(),
            ));
        }
        let mut manifest = Manifest::load(&store_dir)?;
        manifest.sweep(&store_dir)?;
        Ok(Self {
            store_dir,
            load: manifest.version + 1,
            manifest,
            pending: BTreeMap::new(),
            rows_per_file: rows_per_file.max(1),
            written: Vec::new(),
            names: 0,
            report: BulkReport::default(),
            _lock: lock,
        })
    }

    /// Adds `records`; full partitions are written.
    pub fn append(&mut self, records: Vec<EventRecord>) -> Result<(), StoreError> {
        let mut full = Vec::new();
        for record in records {
            let key = PartitionKey::of(&record);
            let pending = self.pending.entry(key.clone()).or_default();
            pending.open.push(record);
            pending.rows += 1;
            if pending.open.len() >= SEAL_ROWS {
                seal(&key, pending)?;
            }
            if pending.rows >= self.rows_per_file {
                full.push(key);
            }
        }
        self.write(&full)
    }

    /// Writes the partitions of the days before `day` (days since 1970-01-01): the caller
    /// will send no more records of them.
    pub fn write_days_before(&mut self, day: i64) -> Result<(), StoreError> {
        let done: Vec<PartitionKey> = self.pending.keys().filter(|key| key.day < day).cloned().collect();
        self.write(&done)
    }

    /// Writes every partition still held, and the day rollups of the days that now have
    /// enough files without one, and lists them all in the manifest.
    pub fn finish(mut self) -> Result<BulkReport, StoreError> {
        let keys: Vec<PartitionKey> = self.pending.keys().cloned().collect();
        self.write(&keys)?;
        self.manifest.files.append(&mut self.written);
        let replaced = super::rollup::day::write_due(&self.store_dir, &mut self.manifest);
        self.manifest.save(&self.store_dir)?;
        let rollups = self.store_dir.join(super::rollup::ROLLUPS_DIR);
        for old in replaced {
            let _ = std::fs::remove_file(rollups.join(&old.path));
        }
        Ok(self.report)
    }

    /// Writes the partitions of `keys`, each as a file, on as many threads as the machine
    /// has cores (a day of every kind is several files, and sorting and compressing them is
    /// most of a bulk load's work).
    fn write(&mut self, keys: &[PartitionKey]) -> Result<(), StoreError> {
        let mut jobs = Vec::new();
        for key in keys {
            if let Some(pending) = self.pending.remove(key) {
                self.names += 1;
                jobs.push(Job { key: key.clone(), name: format!("b{:06}-{:08}", self.load, self.names), pending });
            }
        }
        if jobs.is_empty() {
            return Ok(());
        }
        let tables_dir = self.store_dir.join(TABLES_DIR);
        for file in map_on_all_cores(jobs, |job| write_job(&tables_dir, job)) {
            if let Some(file) = file? {
                self.report.files += 1;
                self.report.rows += file.rows;
                self.report.bytes += file.bytes;
                self.written.push(file);
            }
        }
        Ok(())
    }
}

/// A partition to write as the file `name`.
struct Job {
    key: PartitionKey,
    name: String,
    pending: Pending,
}

/// Sorts a partition's rows into session order and writes them as one file.
fn write_job(tables_dir: &Path, job: Job) -> Result<Option<DataFile>, StoreError> {
    let Job { key, name, mut pending } = job;
    seal(&key, &mut pending)?;
    let sort_error = |error: ArrowError| StoreError::Write(format!("cannot sort the rows of a bulk load: {error}"));
    let sorted = order::sorted(&pending.sealed).map_err(sort_error)?;
    write_file(tables_dir, &key, &name, sorted.map(|batch| batch.map_err(sort_error)))
}

/// Converts a partition's open records into a batch.
fn seal(key: &PartitionKey, pending: &mut Pending) -> Result<(), StoreError> {
    if pending.open.is_empty() {
        return Ok(());
    }
    let batch = columns::record_batch(key.kind, pending.open.iter())
        .map_err(|error| StoreError::Write(format!("a bulk partition holds one kind: {error}")))?;
    pending.sealed.push(batch);
    pending.open.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_records::records_of_one_beacon;
    use crate::{EmbeddedStore, EmbeddedStoreOptions, Store as _};

    /// Loads one beacon's records in files of at most 3 rows into `data_dir`, opens the store
    /// there and checks that a query reads every `vital` row of the files.
    async fn load_and_query(data_dir: &Path) {
        let mut writer = BulkWriter::create(data_dir, 3).expect("a writer");
        let records = records_of_one_beacon(10);
        let count = records.len() as u64;
        writer.append(records).expect("appends");
        let report = writer.finish().expect("finishes");
        assert_eq!(report.rows, count);
        assert!(report.files >= 2, "partitions of more than 3 rows make several files: {report:?}");

        let (store, _) = EmbeddedStore::open(data_dir, &EmbeddedStoreOptions::default()).expect("opens");
        let store = std::sync::Arc::new(store);
        let context = crate::session_context(&store).expect("a session");
        let batches =
            context.sql("SELECT count(*) AS n FROM vital").await.expect("plans").collect().await.expect("runs");
        let vitals = batches[0].column(0).as_any().downcast_ref::<datafusion::arrow::array::Int64Array>().expect("i64");
        assert_eq!(vitals.value(0), 5);
        assert_eq!(store.snapshot().files.len(), report.files);
        store.close().await;
        assert!(BulkWriter::create(data_dir, 3).is_err(), "a store that ingested has a log");
    }

    #[tokio::test]
    async fn a_bulk_load_is_read_by_the_store_as_its_own_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        load_and_query(dir.path()).await;
    }

    /// Files under the store's tables directory.
    fn table_files(data_dir: &Path) -> usize {
        walkdir(&data_dir.join("store").join(TABLES_DIR))
    }

    /// Files under the store's rollups directory.
    fn rollup_files(data_dir: &Path) -> usize {
        walkdir(&data_dir.join("store").join(super::super::rollup::ROLLUPS_DIR))
    }

    fn walkdir(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries.flatten().map(|entry| if entry.path().is_dir() { walkdir(&entry.path()) } else { 1 }).sum()
        })
    }

    #[tokio::test]
    async fn loads_one_after_another_add_up_and_an_unfinished_one_leaves_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut unfinished = BulkWriter::create(dir.path(), 3).expect("a writer");
        unfinished.append(records_of_one_beacon(10)).expect("appends");
        unfinished.write_days_before(i64::MAX).expect("writes its files");
        assert!(BulkWriter::create(dir.path(), 3).is_err(), "one writer at a time");
        drop(unfinished);
        assert!(table_files(dir.path()) > 0, "the unfinished load wrote files");
        assert!(rollup_files(dir.path()) > 0, "and their rollups");
        assert!(Manifest::load(&dir.path().join("store")).expect("a manifest").files.is_empty(), "none listed");

        let mut listed = 0;
        for _ in 0..2 {
            let mut writer = BulkWriter::create(dir.path(), 3).expect("a writer");
            writer.append(records_of_one_beacon(10)).expect("appends");
            listed += writer.finish().expect("finishes").files;
        }
        assert_eq!(table_files(dir.path()), listed, "the unfinished load's files were swept, no file overwritten");
        let manifest = Manifest::load(&dir.path().join("store")).expect("a manifest");
        let listed_rollups = manifest.files.iter().filter(|file| super::super::rollup::has_rollup(file.kind)).count();
        assert!(!manifest.day_rollups.is_empty(), "days of several files get one");
        assert_eq!(rollup_files(dir.path()), listed_rollups + manifest.day_rollups.len(), "and their rollups");

        let (store, _) = EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("opens");
        let store = std::sync::Arc::new(store);
        assert_eq!(store.snapshot().files.len(), listed);
        let context = crate::session_context(&store).expect("a session");
        let batches =
            context.sql("SELECT count(*) AS n FROM vital").await.expect("plans").collect().await.expect("runs");
        let vitals = batches[0].column(0).as_any().downcast_ref::<datafusion::arrow::array::Int64Array>().expect("i64");
        assert_eq!(vitals.value(0), 10, "both loads' vitals");
        store.close().await;
    }

    #[tokio::test]
    async fn a_store_in_a_relative_directory_reads_its_files() {
        // Under the working directory (the crate's, in tests), named relative to it.
        let dir = tempfile::tempdir_in(".").expect("a directory under the working directory");
        let relative = Path::new(dir.path().file_name().expect("a name"));
        assert!(relative.is_relative() && relative.is_dir());
        load_and_query(relative).await;
    }
}
