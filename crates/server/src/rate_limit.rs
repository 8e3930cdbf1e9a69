//! Token buckets per client address and per project.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Most addresses tracked at once; past it, idle buckets are forgotten first.
const MAX_TRACKED_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// A set of token buckets keyed by `K`, all with the same rate and burst.
#[derive(Debug)]
pub struct RateLimiter<K> {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    /// Buckets refilling at `per_second`, holding at most `burst`. A rate of 0 disables limiting.
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self { per_second, burst: burst.max(1.0), buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a token for `key`, or says how long to wait for one.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED_KEYS && !buckets.contains_key(key) {
            self.forget_idle(&mut buckets, now);
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket { tokens: self.burst, updated: now });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_second))
    }

    /// Drops buckets that have refilled completely (they hold no state worth keeping);
    /// if that frees nothing, drops everything (a flood of fresh addresses).
    fn forget_idle(&self, buckets: &mut HashMap<K, Bucket>, now: Instant) {
        let full_after = Duration::from_secs_f64(self.burst / self.per_second);
        buckets.retain(|_, bucket| now.saturating_duration_since(bucket.updated) < full_after);
        if buckets.len() >= MAX_TRACKED_KEYS {
            buckets.clear();
        }
    }
}

/// `Retry-After` seconds for a wait (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let limiter = RateLimiter::new(10.0, 5.0);
        let start = Instant::now();
        for _ in 0..5 {
            assert!(limiter.check(&"ip", start).is_ok());
        }
        let wait = limiter.check(&"ip", start).expect_err("bucket is empty");
        assert!(wait <= Duration::from_millis(100));
        assert!(limiter.check(&"ip", start + Duration::from_millis(100)).is_ok(), "one token refilled");
        assert!(limiter.check(&"other", start).is_ok(), "other keys are unaffected");
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let limiter = RateLimiter::new(0.0, 0.0);
        let now = Instant::now();
        assert!((0..10_000).all(|_| limiter.check(&1u32, now).is_ok()));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
    }

    #[test]
    fn tracked_keys_stay_bounded() {
        let limiter = RateLimiter::new(1.0, 1.0);
        let now = Instant::now();
        for key in 0..(MAX_TRACKED_KEYS as u32 + 10) {
            let _ = limiter.check(&key, now);
        }
        assert!(limiter.buckets.lock().expect("lock").len() <= MAX_TRACKED_KEYS);
    }
}
