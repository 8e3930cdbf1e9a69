//! Event ids seen recently, so that an agent's or a proxy's retry is stored once.
//!
//! An event is known by its project, its view and its id (the agent numbers the events of a
//! view; random ids work as well). Two generations of 128-bit keys (a hash of the three):
//! new ids go into the
//! current one; when it holds half the capacity, it becomes the previous one and the old
//! previous one is forgotten. Memory stays under `capacity` keys (16 bytes each plus the
//! table's overhead) and the last `capacity / 2` ids, at least, are always remembered —
//! minutes of traffic even at 100 000 events/s with the default, far longer than retries
//! take. Keys are hashed with a per-process random seed: the set is rebuilt from the WAL
//! on start, never persisted.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};

use foldhash::fast::RandomState;

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
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

/// The keys are hashes already: use their low bits as they are.
#[derive(Debug, Clone, Copy, Default)]
struct Identity;

impl BuildHasher for Identity {
    type Hasher = IdentityHasher;

    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher(0)
    }
}

#[derive(Debug)]
struct IdentityHasher(u64);

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
