//! Event ids seen recently, so that an agent's or a proxy's retry is stored once.
//!
//! An event is known by its project, its view and its id (the agent numbers the events of a
//! view; random ids work as well). Two generations of 128-bit keys (a hash of the three):
//! new ids go into the current one; when it holds half the capacity, it becomes the previous
//! one and the old previous one is forgotten. Memory stays under `capacity` keys (16 bytes
//! each plus the table's overhead) and the last `capacity / 2` ids, at least, are always
//! remembered: with the default capacity of 4 million, the last 2 million events (up to 4
//! million). In time that is what the traffic makes of it: about 5½ hours at 100 events/s,
//! 33 minutes at 1 000 events/s, but only 20 seconds (up to 40) at 100 000 events/s. The
//! agent's six attempts span about half a minute (longer under `Retry-After`), so at the
//! highest rates a late retry can be stored twice; raise `store.dedup_capacity` for more
//! (16 bytes per id), and compaction drops repeated events among the files it merges.
//!
//! Keys are hashed with a per-process random seed, so the set is never persisted: on start
//! it is rebuilt from the WAL records replayed and, up to the guaranteed half, from the
//! event ids of the newest data files ([`seed_from_files`], reading only the id columns),
//! so that a retry across a restart (even a graceful one, which flushes everything) is still
//! caught.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::arrow::ProjectionMask;
use foldhash::fast::RandomState;

use super::manifest::DataFile;
use super::rewrite::open_reader;
use crate::StoreError;

/// Default number of ids remembered at most.
pub const DEFAULT_CAPACITY: usize = 4_000_000;

/// A key: two independent 64-bit hashes of project, view id and event id.
type Key = u128;

/// The recent ids.
#[derive(Debug)]
pub struct RecentIds {
    capacity: usize,
    current: HashSet<Key, Identity>,
    previous: HashSet<Key, Identity>,
    seeds: (RandomState, RandomState),
}

impl RecentIds {
    /// Remembers at most `capacity` ids (at least 2).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            current: HashSet::default(),
            previous: HashSet::default(),
            seeds: (RandomState::default(), RandomState::default()),
        }
    }

    /// The key of an event.
    pub fn key(&self, project: &str, view_id: &str, event_id: &str) -> Key {
        let hash = |state: &RandomState| {
            let mut hasher = state.build_hasher();
            // Lengths first: no split of the same bytes into three parts can collide.
            for part in [project, view_id, event_id] {
                hasher.write_usize(part.len());
            }
            for part in [project, view_id, event_id] {
                hasher.write(part.as_bytes());
            }
            hasher.finish()
        };
        (u128::from(hash(&self.seeds.0)) << 64) | u128::from(hash(&self.seeds.1))
    }

    /// Whether `key` was seen.
    pub fn contains(&self, key: Key) -> bool {
        self.current.contains(&key) || self.previous.contains(&key)
    }

    /// Remembers `key`; false when it was already known.
    pub fn insert(&mut self, key: Key) -> bool {
        if self.contains(key) {
            return false;
        }
        if self.current.len() >= self.capacity / 2 {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key)
    }

    /// Forgets `key` (an append that failed gives its ids back).
    pub fn remove(&mut self, key: Key) {
        self.current.remove(&key);
        self.previous.remove(&key);
    }

    /// Ids remembered.
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    /// How many more ids can be added before any could be forgotten.
    pub fn room(&self) -> usize {
        (self.capacity / 2).saturating_sub(self.len())
    }
}

/// Remembers the event ids of `files`, newest first (by their latest event), while there is
/// [`RecentIds::room`], reading only the `view_id` and `event_id` columns; returns how many
/// ids it added. A file that cannot be read is skipped with a warning: its rows are still
/// stored, only a retry of them would not be caught. Blocking.
pub fn seed_from_files(recent: &mut RecentIds, tables_dir: &Path, files: &[DataFile]) -> u64 {
    let mut newest_first: Vec<&DataFile> = files.iter().collect();
    newest_first.sort_by(|a, b| (b.max_timestamp_ms, &b.path).cmp(&(a.max_timestamp_ms, &a.path)));
    let mut added = 0;
    for file in newest_first {
        if recent.room() == 0 {
            break;
        }
        match seed_from_file(recent, tables_dir, file) {
            Ok(ids) => added += ids,
            Err(error) => tracing::warn!(
                file = file.path,
                %error,
                "cannot read the event ids of a data file; a retry of its events would be stored again"
            ),
        }
    }
    added
}

/// The `view_id` and `event_id` columns of `batch` as text: with the file's project, an
/// event's identity.
pub(super) fn event_id_columns(batch: &RecordBatch) -> Result<(StringArray, StringArray), String> {
    let text = |name: &str| -> Result<StringArray, String> {
        let column = batch.column_by_name(name).ok_or_else(|| format!("no column {name}"))?;
        let column = cast(column, &DataType::Utf8).map_err(|error| error.to_string())?;
        Ok(column.as_string::<i32>().clone())
    };
    Ok((text("view_id")?, text("event_id")?))
}

fn seed_from_file(recent: &mut RecentIds, tables_dir: &Path, file: &DataFile) -> Result<u64, StoreError> {
    let read_error = |error: &dyn std::fmt::Display| StoreError::Read(format!("{}: {error}", file.path));
    let builder = open_reader(tables_dir, file)?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), ["view_id", "event_id"]);
    let reader = builder.with_projection(mask).build().map_err(|error| read_error(&error))?;
    let mut added = 0;
    for batch in reader {
        let batch = batch.map_err(|error| read_error(&error))?;
        let (views, ids) = event_id_columns(&batch).map_err(|error| read_error(&error))?;
        for row in 0..ids.len() {
            if recent.room() == 0 {
                return Ok(added);
            }
            if ids.is_null(row) {
                continue;
            }
            let key = recent.key(&file.project, views.value(row), ids.value(row));
            added += u64::from(recent.insert(key));
        }
    }
    Ok(added)
}

/// The keys are hashes already: use their low bits as they are.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Identity;

impl BuildHasher for Identity {
    type Hasher = IdentityHasher;

    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher(0)
    }
}

#[derive(Debug)]
pub(super) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u128` is used; fold anything else in so the hasher stays correct.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u128(&mut self, key: u128) {
        self.0 = key as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_stored_once_per_project_and_view() {
        let mut ids = RecentIds::new(100);
        let key = ids.key("shop", "v1", "0");
        assert!(ids.insert(key));
        assert!(!ids.insert(key));
        assert!(ids.insert(ids.key("blog", "v1", "0")), "another project's id is another event");
        assert!(ids.insert(ids.key("shop", "v2", "0")), "another view's id is another event");
        assert_ne!(ids.key("ab", "c", "d"), ids.key("a", "bc", "d"));
        assert_ne!(ids.key("a", "bc", "d"), ids.key("a", "b", "cd"));
    }

    #[test]
    fn memory_is_bounded_and_the_latest_half_is_always_remembered() {
        let mut ids = RecentIds::new(1000);
        for i in 0..10_000 {
            ids.insert(ids.key("shop", "v", &i.to_string()));
            assert!(ids.len() <= 1000);
        }
        for i in 10_000 - 500..10_000 {
            assert!(ids.contains(ids.key("shop", "v", &i.to_string())), "{i} forgotten");
        }
        assert!(!ids.contains(ids.key("shop", "v", "0")), "the oldest ids are forgotten");
    }

    #[test]
    fn removed_ids_can_come_again() {
        let mut ids = RecentIds::new(10);
        let key = ids.key("shop", "v", "e1");
        ids.insert(key);
        ids.remove(key);
        assert!(ids.insert(key));
    }
}
