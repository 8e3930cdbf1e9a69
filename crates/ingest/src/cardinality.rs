//! The cardinality guard: caps on distinct values per project and dimension.
//!
//! A hostile or buggy page can invent a new route, event name or attribute key
//! on every request and blow up storage and every group-by. Each dimension
//! remembers the first N distinct values it sees; later newcomers are folded
//! into [`OTHER`] (or dropped, for attribute keys) and counted.

use std::collections::HashSet;
use std::sync::Mutex;

/// The value that stands for everything over the cap.
pub const OTHER: &str = "(other)";

/// Remembers up to `cap` distinct values of one dimension.
#[derive(Debug)]
pub struct DistinctCap {
    cap: usize,
    seen: Mutex<HashSet<Box<str>>>,
}

impl DistinctCap {
    /// A cap of `cap` distinct values.
    pub fn new(cap: usize) -> Self {
        Self { cap, seen: Mutex::new(HashSet::new()) }
    }

    /// True when `value` is known or there is still room for it (it is then remembered).
    pub fn admit(&self, value: &str) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.contains(value) {
            return true;
        }
        if seen.len() >= self.cap {
            return false;
        }
        seen.insert(value.into());
        true
    }

    /// How many distinct values are remembered.
    pub fn len(&self) -> usize {
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    /// True when nothing has been remembered yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The caps of one project.
#[derive(Debug)]
pub struct CardinalityGuard {
    /// Distinct routes.
    pub routes: DistinctCap,
    /// Distinct custom event names.
    pub event_names: DistinctCap,
    /// Distinct attribute keys.
    pub attribute_keys: DistinctCap,
}

impl CardinalityGuard {
    /// A guard with the given caps.
    pub fn new(max_routes: usize, max_event_names: usize, max_attribute_keys: usize) -> Self {
        Self {
            routes: DistinctCap::new(max_routes),
            event_names: DistinctCap::new(max_event_names),
            attribute_keys: DistinctCap::new(max_attribute_keys),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_known_values_and_refuses_newcomers_over_the_cap() {
        let cap = DistinctCap::new(2);
        assert!(cap.admit("/a"));
        assert!(cap.admit("/b"));
        assert!(!cap.admit("/c"));
        assert!(cap.admit("/a"), "known values stay admitted");
        assert_eq!(cap.len(), 2);
    }

    #[test]
    fn a_random_name_bomb_stays_bounded() {
        let cap = DistinctCap::new(100);
        let admitted = (0..100_000).filter(|i| cap.admit(&format!("/route-{i}"))).count();
        assert_eq!(admitted, 100);
        assert_eq!(cap.len(), 100);
    }
}
