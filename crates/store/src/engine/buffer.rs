//! The in-memory buffer: acknowledged events not yet in Parquet, queryable at once.
//!
//! Rows are kept per partition (project, event kind, UTC day), the unit of a Parquet file.
//! New records wait as `Arc`s in a partition's open list; every [`SEAL_ROWS`] they are
//! converted into one Arrow `RecordBatch`. An append converts them outside the store's lock:
//! [`Buffer::insert_deferred`] hands out a [`Seal`] of the first open rows (`Arc` clones),
//! the batch is built unlocked, and [`Buffer::complete`] swaps it in for those rows if they
//! are still the partition's first open rows (a flush or an erase may have taken them
//! meanwhile: then the batch is dropped and nothing changes). The rows stay readable as open
//! rows until then. A query takes a [`PartitionSnapshot`] under the store's lock (cloning
//! `Arc`s only) and converts the few open rows outside it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::BooleanArray;
use datafusion::arrow::compute::{filter_record_batch, not};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use sightline_protocol::{EventKind, EventRecord};

use crate::columns;
use crate::wal::Lsn;

/// Open rows of a partition that are converted into one record batch together.
pub const SEAL_ROWS: usize = 4096;

const DAY_MS: i64 = 86_400_000;

/// The UTC day of an epoch-ms timestamp, as days since 1970-01-01.
pub fn day_of(timestamp_ms: i64) -> i64 {
    timestamp_ms.div_euclid(DAY_MS)
}

/// A partition: the rows of one project and event kind on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKey {
    /// Project id.
    pub project: String,
    /// Event kind.
    pub kind: EventKind,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
}

impl PartitionKey {
    /// The partition of `record`.
    pub fn of(record: &EventRecord) -> Self {
        Self { project: record.context.project.clone(), kind: record.body.kind(), day: day_of(record.timestamp_ms) }
    }
}

#[derive(Debug)]
struct Partition {
    sealed: Vec<RecordBatch>,
    open: Vec<Arc<EventRecord>>,
    time_range: (i64, i64),
    /// A [`Seal`] of its first open rows is being built.
    sealing: bool,
}

impl Default for Partition {
    fn default() -> Self {
        Self { sealed: Vec::new(), open: Vec::new(), time_range: (i64::MAX, i64::MIN), sealing: false }
    }
}

/// The first [`SEAL_ROWS`] open rows of a partition, to be converted into a record batch
/// outside the store's lock ([`Seal::build`]) and put back with [`Buffer::complete`].
#[derive(Debug)]
pub struct Seal {
    key: PartitionKey,
    rows: Vec<Arc<EventRecord>>,
}

/// A [`Seal`]'s record batch, ready to replace its rows.
#[derive(Debug)]
pub struct Sealed {
    key: PartitionKey,
    rows: Vec<Arc<EventRecord>>,
    batch: RecordBatch,
}

impl Seal {
    /// Converts the rows (the expensive part: no lock needed).
    pub fn build(self) -> Sealed {
        let batch = columns::record_batch(self.key.kind, self.rows.iter().map(|record| &**record))
            .expect("a partition holds one kind");
        Sealed { key: self.key, rows: self.rows, batch }
    }
}

/// The buffered rows of every partition, and the WAL position they reach.
#[derive(Debug, Default)]
pub struct Buffer {
    partitions: BTreeMap<PartitionKey, Partition>,
    rows: usize,
    last_lsn: Lsn,
    /// When the oldest row still here was inserted (the flush policy's age).
    oldest: Option<Instant>,
}

impl Buffer {
    /// Adds the records of the WAL record `lsn`, sealing full partitions at once; records
    /// arrive in LSN order.
    pub fn insert(&mut self, lsn: Lsn, records: Vec<EventRecord>) {
        for seal in self.insert_deferred(lsn, records) {
            self.complete(seal.build());
        }
    }

    /// Adds the records of the WAL record `lsn` (in LSN order) and returns the seals of the
    /// partitions they filled: the caller builds them, outside its lock, and gives them back
    /// with [`complete`](Self::complete). Until then their rows are open rows like the others.
    #[must_use = "a seal not completed leaves its rows open (readable, but unconverted)"]
    pub fn insert_deferred(&mut self, lsn: Lsn, records: Vec<EventRecord>) -> Vec<Seal> {
        debug_assert!(lsn > self.last_lsn, "records arrive in LSN order");
        self.last_lsn = lsn;
        self.rows += records.len();
        if !records.is_empty() && self.oldest.is_none() {
            self.oldest = Some(Instant::now());
        }
        let mut seals = Vec::new();
        for record in records {
            let key = PartitionKey::of(&record);
            let partition = self.partitions.entry(key).or_default();
            let (min, max) = partition.time_range;
            partition.time_range = (min.min(record.timestamp_ms), max.max(record.timestamp_ms));
            partition.open.push(Arc::new(record));
            if partition.open.len() >= SEAL_ROWS && !partition.sealing {
                partition.sealing = true;
                let rows = partition.open[..SEAL_ROWS].to_vec();
                seals.push(Seal { key: PartitionKey::of(&rows[0]), rows });
            }
        }
        seals
    }

    /// Puts a seal's batch in place of its rows if they are still its partition's first open
    /// rows; otherwise (a flush or an erase took them meanwhile) drops it. Either way the
    /// partition may be sealed again.
    pub fn complete(&mut self, sealed: Sealed) {
        let Some(partition) = self.partitions.get_mut(&sealed.key) else { return };
        partition.sealing = false;
        let count = sealed.rows.len();
        let unchanged = partition.open.len() >= count
            && partition.open[..count].iter().zip(&sealed.rows).all(|(open, row)| Arc::ptr_eq(open, row));
        if !unchanged {
            return;
        }
        partition.open.drain(..count);
        partition.sealed.push(sealed.batch);
    }

    /// Rows buffered.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// When the oldest row here was inserted; none when the buffer is empty.
    pub fn oldest(&self) -> Option<Instant> {
        self.oldest
    }

    /// Sets when the oldest row was inserted: after a failed flush, its rows' time.
    pub fn set_oldest(&mut self, oldest: Option<Instant>) {
        self.oldest = oldest;
    }

    /// The last WAL record whose records are here (every earlier one is here too, or flushed).
    pub fn last_lsn(&self) -> Lsn {
        self.last_lsn
    }

    /// What a query (or a flush) reads: every partition's rows at this moment.
    pub fn snapshot(&self) -> Vec<PartitionSnapshot> {
        self.partitions
            .iter()
            .map(|(key, partition)| PartitionSnapshot {
                key: key.clone(),
                sealed: partition.sealed.clone(),
                open: partition.open.clone(),
                time_range: partition.time_range,
            })
            .collect()
    }

    /// Sets the WAL position: after opening, the last record of the log, flushed or replayed.
    pub fn set_last_lsn(&mut self, lsn: Lsn) {
        self.last_lsn = lsn;
    }

    /// Adds back the rows of a partition whose flush failed.
    pub fn restore(&mut self, snapshot: &PartitionSnapshot) {
        let partition = self.partitions.entry(snapshot.key.clone()).or_default();
        partition.sealed.extend(snapshot.sealed.iter().cloned());
        partition.open.extend(snapshot.open.iter().cloned());
        let (min, max) = partition.time_range;
        partition.time_range = (min.min(snapshot.time_range.0), max.max(snapshot.time_range.1));
        self.rows += snapshot.rows();
    }

    /// Removes the rows of `project` for which `matching` is true (an erase); returns the rows
    /// removed per kind. Open rows are sealed into a batch first.
    pub fn remove_rows(
        &mut self,
        project: &str,
        matching: impl Fn(&RecordBatch) -> Result<BooleanArray, ArrowError>,
    ) -> Result<BTreeMap<EventKind, u64>, ArrowError> {
        let mut removed = BTreeMap::new();
        for (key, partition) in self.partitions.iter_mut().filter(|(key, _)| key.project == project) {
            if !partition.open.is_empty() {
                let batch = columns::record_batch(key.kind, partition.open.iter().map(|record| &**record))
                    .expect("a partition holds one kind");
                partition.sealed.push(batch);
                partition.open.clear();
            }
            for batch in &mut partition.sealed {
                let mask = matching(batch)?;
                let count = mask.true_count();
                if count == 0 {
                    continue;
                }
                *batch = filter_record_batch(batch, &not(&mask)?)?;
                *removed.entry(key.kind).or_default() += count as u64;
                self.rows -= count;
            }
            partition.sealed.retain(|batch| batch.num_rows() > 0);
        }
        self.partitions.retain(|_, partition| !partition.sealed.is_empty() || !partition.open.is_empty());
        Ok(removed)
    }

    /// Empties the buffer (its rows are being flushed), keeping its WAL position.
    pub fn take(&mut self) -> Self {
        let taken = std::mem::take(self);
        self.last_lsn = taken.last_lsn;
        taken
    }
}

/// The rows of one partition at one moment.
#[derive(Debug, Clone)]
pub struct PartitionSnapshot {
    /// The partition.
    pub key: PartitionKey,
    sealed: Vec<RecordBatch>,
    open: Vec<Arc<EventRecord>>,
    /// Smallest and largest event timestamp, epoch ms.
    pub time_range: (i64, i64),
}

impl PartitionSnapshot {
    /// Rows.
    pub fn rows(&self) -> usize {
        self.sealed.iter().map(RecordBatch::num_rows).sum::<usize>() + self.open.len()
    }

    /// The rows as record batches of the kind's schema.
    pub fn batches(&self) -> Vec<RecordBatch> {
        let mut batches = self.sealed.clone();
        if !self.open.is_empty() {
            let open = columns::record_batch(self.key.kind, self.open.iter().map(|record| &**record))
                .expect("a partition holds one kind");
            batches.push(open);
        }
        batches
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_records::{NOON_MS, context, page, record};

    #[test]
    fn rows_are_partitioned_by_project_kind_and_day() {
        let mut buffer = Buffer::default();
        let (shop, blog, page) = (context("shop", "s1"), context("blog", "s2"), page());
        buffer.insert(
            Lsn(1),
            vec![
                record(&shop, &page, "a", NOON_MS, 0),
                record(&shop, &page, "b", NOON_MS, 1),
                record(&shop, &page, "c", NOON_MS + DAY_MS, 0),
                record(&blog, &page, "d", NOON_MS, 0),
            ],
        );
        let snapshot = buffer.snapshot();
        let keys: Vec<(&str, EventKind, i64)> =
            snapshot.iter().map(|p| (p.key.project.as_str(), p.key.kind, p.key.day - day_of(NOON_MS))).collect();
        assert_eq!(
            keys,
            [
                ("blog", EventKind::Vital, 0),
                ("shop", EventKind::Vital, 0),
                ("shop", EventKind::Vital, 1),
                ("shop", EventKind::Custom, 0)
            ]
        );
        assert_eq!((buffer.rows(), buffer.last_lsn()), (4, Lsn(1)));
    }

    #[test]
    fn open_rows_are_sealed_into_batches_and_all_stay_readable() {
        let mut buffer = Buffer::default();
        let (context, page) = (context("shop", "s1"), page());
        let total = SEAL_ROWS * 2 + 10;
        for lsn in 0..total {
            let id = format!("e{lsn}");
            buffer.insert(Lsn(lsn as u64 + 1), vec![record(&context, &page, &id, NOON_MS + lsn as i64, 0)]);
        }
        let snapshot = buffer.snapshot();
        assert_eq!(snapshot.len(), 1);
        let batches = snapshot[0].batches();
        assert_eq!(batches.len(), 3, "two sealed batches and the open rows");
        assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), total);
        assert_eq!(snapshot[0].time_range, (NOON_MS, NOON_MS + total as i64 - 1));
    }

    #[test]
    fn a_deferred_seal_replaces_its_rows_unless_they_were_taken_meanwhile() {
        let (context, page) = (context("shop", "s1"), page());
        let rows = |from: usize, count: usize| -> Vec<EventRecord> {
            (from..from + count).map(|i| record(&context, &page, &format!("e{i}"), NOON_MS + i as i64, 0)).collect()
        };
        let mut buffer = Buffer::default();
        let seals = buffer.insert_deferred(Lsn(1), rows(0, SEAL_ROWS + 5));
        assert_eq!(seals.len(), 1);
        assert!(buffer.insert_deferred(Lsn(2), rows(SEAL_ROWS + 5, SEAL_ROWS)).is_empty(), "one seal at a time");
        let readable = |buffer: &Buffer| buffer.snapshot().iter().map(PartitionSnapshot::rows).sum::<usize>();
        assert_eq!(readable(&buffer), 2 * SEAL_ROWS + 5, "rows being sealed stay readable");
        for seal in seals {
            buffer.complete(seal.build());
        }
        let snapshot = buffer.snapshot();
        assert_eq!((snapshot[0].sealed.len(), snapshot[0].open.len()), (1, SEAL_ROWS + 5));
        let ids = |snapshot: &PartitionSnapshot| -> Vec<String> {
            let batches = snapshot.batches();
            let ids = batches.iter().flat_map(|batch| {
                let column = batch.column_by_name("event_id").expect("an event_id column");
                let column = datafusion::arrow::array::AsArray::as_string::<i32>(column);
                column.iter().map(|id| id.unwrap_or_default().to_owned()).collect::<Vec<_>>()
            });
            ids.collect()
        };
        let expected: Vec<String> = (0..2 * SEAL_ROWS + 5).map(|i| format!("e{i}")).collect();
        assert_eq!(ids(&snapshot[0]), expected, "every row once, in order");

        // The next seal; meanwhile a flush takes the rows: the batch is dropped.
        let seals = buffer.insert_deferred(Lsn(3), rows(2 * SEAL_ROWS + 5, 1));
        assert_eq!(seals.len(), 1);
        let taken = buffer.take();
        buffer.insert(Lsn(4), rows(3 * SEAL_ROWS, 3));
        for seal in seals {
            buffer.complete(seal.build());
        }
        assert_eq!((readable(&taken), readable(&buffer)), (2 * SEAL_ROWS + 6, 3), "nothing lost, nothing twice");
        assert_eq!(buffer.snapshot()[0].sealed.len(), 0);
    }

    #[test]
    fn taking_the_rows_keeps_the_wal_position() {
        let mut buffer = Buffer::default();
        let (context, page) = (context("shop", "s1"), page());
        buffer.insert(Lsn(3), vec![record(&context, &page, "a", NOON_MS, 0)]);
        let taken = buffer.take();
        assert_eq!((taken.rows(), buffer.rows(), buffer.last_lsn()), (1, 0, Lsn(3)));
    }

    #[test]
    fn days_before_1970_round_down() {
        assert_eq!(day_of(-1), -1);
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(DAY_MS - 1), 0);
    }
}
