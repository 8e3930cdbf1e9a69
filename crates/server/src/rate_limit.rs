//! Token buckets: one per client (an IPv4 address or an IPv6 /64) and one per project.
//!
//! A bucket holds at most `burst` tokens and refills at `per_second`; each beacon
//! takes one. A rate of 0 disables a limit. The client map is bounded: past
//! [`MAX_TRACKED_CLIENTS`], buckets that have refilled completely are forgotten
//! (they hold nothing worth keeping), at most once per [`SWEEP_INTERVAL`] since a
//! sweep visits every bucket; when none is idle, newcomers are refused for a second
//! rather than throwing away the buckets of clients being throttled.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Most clients tracked at once.
pub const MAX_TRACKED_CLIENTS: usize = 100_000;
/// How often at most a full client map is swept for idle buckets.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(1);
/// How long a newcomer is told to wait while the map is full of active clients.
const FULL_WAIT: Duration = Duration::from_secs(1);
/// The longest wait ever announced: a tiny rate must not ask for years (or overflow a `Duration`).
pub const MAX_WAIT: Duration = Duration::from_secs(3600);

/// Refill rate and size of a bucket.
#[derive(Debug, Clone, Copy)]
struct Rate {
    per_second: f64,
    burst: f64,
}

impl Rate {
    fn new(per_second: f64, burst: f64) -> Self {
        Self { per_second, burst: burst.max(1.0) }
    }

    fn is_unlimited(self) -> bool {
        self.per_second <= 0.0
    }
}

/// The state of one bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Self {
        Self { tokens: rate.burst, updated: now }
    }

    fn tokens_at(&self, rate: Rate, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        (self.tokens + elapsed * rate.per_second).min(rate.burst)
    }

    /// Takes a token, or says how long to wait for one.
    fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        self.tokens = self.tokens_at(rate, now);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        Err(wait((1.0 - self.tokens) / rate.per_second))
    }

    /// Full again by `now`: forgetting it changes nothing for its client.
    fn is_idle(&self, rate: Rate, now: Instant) -> bool {
        self.tokens_at(rate, now) >= rate.burst
    }
}

/// `seconds` as a wait, never more than [`MAX_WAIT`] and never a panic (NaN, negative, huge).
fn wait(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds).map_or(MAX_WAIT, |wait| wait.min(MAX_WAIT))
}

/// One bucket shared by every request it limits: a project's.
#[derive(Debug)]
pub struct TokenBucket {
    rate: Rate,
    bucket: Mutex<Bucket>,
}

impl TokenBucket {
    /// A full bucket refilling at `per_second`, holding at most `burst`. A rate of 0 disables it.
    pub fn new(per_second: f64, burst: f64) -> Self {
        let rate = Rate::new(per_second, burst);
        Self { rate, bucket: Mutex::new(Bucket::full(rate, Instant::now())) }
    }

    /// Takes a token, or says how long to wait for one.
    pub fn check(&self, now: Instant) -> Result<(), Duration> {
        if self.rate.is_unlimited() {
            return Ok(());
        }
        self.bucket.lock().unwrap_or_else(PoisonError::into_inner).take(self.rate, now)
    }
}

/// The client a bucket belongs to: an IPv4 address as it is, an IPv6 address by its
/// /64 prefix (one subscriber's network: a single host can pick any of its 2^64 addresses).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

/// Buckets per client, all with the same rate and burst, at most a bounded number of them.
#[derive(Debug)]
pub struct ClientRateLimiter {
    rate: Rate,
    capacity: usize,
    clients: Mutex<Clients>,
}

#[derive(Debug, Default)]
struct Clients {
    buckets: HashMap<IpAddr, Bucket>,
    last_sweep: Option<Instant>,
}

impl Clients {
    /// Forgets idle buckets when the last sweep is [`SWEEP_INTERVAL`] old; true when
    /// there is room for one more client afterwards.
    fn make_room(&mut self, rate: Rate, capacity: usize, now: Instant) -> bool {
        let due = self.last_sweep.is_none_or(|last| now.saturating_duration_since(last) >= SWEEP_INTERVAL);
        if due {
            self.buckets.retain(|_, bucket| !bucket.is_idle(rate, now));
            self.last_sweep = Some(now);
        }
        self.buckets.len() < capacity
    }
}

impl ClientRateLimiter {
    /// Buckets refilling at `per_second`, holding at most `burst`. A rate of 0 disables limiting.
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self::with_capacity(per_second, burst, MAX_TRACKED_CLIENTS)
    }

    fn with_capacity(per_second: f64, burst: f64, capacity: usize) -> Self {
        Self { rate: Rate::new(per_second, burst), capacity, clients: Mutex::new(Clients::default()) }
    }

    /// Takes a token for `client`, or says how long to wait for one.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.rate.is_unlimited() {
            return Ok(());
        }
        let key = client_key(client);
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = clients.buckets.get_mut(&key) {
            return bucket.take(self.rate, now);
        }
        if clients.buckets.len() >= self.capacity && !clients.make_room(self.rate, self.capacity, now) {
            return Err(FULL_WAIT);
        }
        let mut bucket = Bucket::full(self.rate, now);
        let taken = bucket.take(self.rate, now);
        clients.buckets.insert(key, bucket);
        taken
    }

    /// Clients tracked right now.
    pub fn tracked(&self) -> usize {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner).buckets.len()
    }
}

/// `Retry-After` seconds for a wait (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(last: u8) -> IpAddr {
        IpAddr::from([203, 0, 113, last])
    }

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let limiter = ClientRateLimiter::new(10.0, 5.0);
        let start = Instant::now();
        for _ in 0..5 {
            assert!(limiter.check(v4(1), start).is_ok());
        }
        let wait = limiter.check(v4(1), start).expect_err("bucket is empty");
        assert!(wait <= Duration::from_millis(100));
        assert!(limiter.check(v4(1), start + Duration::from_millis(100)).is_ok(), "one token refilled");
        assert!(limiter.check(v4(2), start).is_ok(), "other clients are unaffected");
    }

    #[test]
    fn a_project_bucket_gives_its_burst_then_refills_at_its_rate() {
        let bucket = TokenBucket::new(2.0, 3.0);
        let start = Instant::now();
        assert!((0..3).all(|_| bucket.check(start).is_ok()));
        assert_eq!(bucket.check(start), Err(Duration::from_millis(500)));
        assert!(bucket.check(start + Duration::from_millis(500)).is_ok());
        assert!(bucket.check(start + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let now = Instant::now();
        let limiter = ClientRateLimiter::new(0.0, 0.0);
        assert!((0..10_000).all(|_| limiter.check(v4(1), now).is_ok()));
        let bucket = TokenBucket::new(0.0, 0.0);
        assert!((0..10_000).all(|_| bucket.check(now).is_ok()));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
    }

    #[test]
    fn waits_are_capped_and_never_panic_whatever_the_rate() {
        let now = Instant::now();
        for per_second in [1e-300, f64::MIN_POSITIVE, 0.001, f64::NAN, f64::INFINITY] {
            let bucket = TokenBucket::new(per_second, 1.0);
            let _ = bucket.check(now);
            if let Err(wait) = bucket.check(now) {
                assert!(wait <= MAX_WAIT, "rate {per_second}: {wait:?}");
            }
        }
        let bucket = TokenBucket::new(1e-300, 1.0);
        let _ = bucket.check(now);
        assert_eq!(bucket.check(now), Err(MAX_WAIT));
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64_prefix() {
        let limiter = ClientRateLimiter::new(0.01, 2.0);
        let now = Instant::now();
        let host = |last: u16| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xaa, 0xbb, 0x1234, 0, 0, last));
        assert!(limiter.check(host(1), now).is_ok());
        assert!(limiter.check(host(2), now).is_ok());
        assert!(limiter.check(host(3), now).is_err(), "a new address in the same /64 is the same client");
        let neighbour = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xaa, 0xbc, 0x1234, 0, 0, 1));
        assert!(limiter.check(neighbour, now).is_ok(), "another /64 is another client");
        assert_eq!(client_key(v4(7)), v4(7), "IPv4 keeps its full address");
        let mapped = IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0xcb00, 0x7107));
        assert_eq!(client_key(mapped), v4(7), "IPv4-mapped IPv6 is the IPv4 client");
    }

    #[test]
    fn a_full_map_refuses_newcomers_and_keeps_throttling_the_clients_it_tracks() {
        let limiter = ClientRateLimiter::with_capacity(0.01, 1.0, 3);
        let now = Instant::now();
        for last in 1..=3 {
            assert!(limiter.check(v4(last), now).is_ok());
        }
        assert!(limiter.check(v4(1), now).is_err(), "throttled");

        assert_eq!(limiter.check(v4(4), now), Err(FULL_WAIT), "no idle bucket: the newcomer waits");
        assert!(limiter.check(v4(1), now).is_err(), "the throttled client was not given a fresh burst");
        assert_eq!(limiter.tracked(), 3);
    }

    #[test]
    fn a_full_map_is_swept_at_most_once_per_interval() {
        // 10 tokens a second, burst 1: a bucket is idle again 100 ms after its last beacon.
        let limiter = ClientRateLimiter::with_capacity(10.0, 1.0, 2);
        let start = Instant::now();
        assert!(limiter.check(v4(1), start).is_ok());
        assert!(limiter.check(v4(2), start).is_ok());
        assert!(limiter.check(v4(3), start).is_err(), "swept, nothing idle yet");

        let later = start + Duration::from_millis(500);
        assert!(limiter.check(v4(3), later).is_err(), "both are idle, but the last sweep is too recent");
        assert_eq!(limiter.tracked(), 2);

        let next_sweep = start + SWEEP_INTERVAL;
        assert!(limiter.check(v4(3), next_sweep).is_ok(), "idle buckets forgotten");
        assert_eq!(limiter.tracked(), 1);
    }

    #[test]
    fn tracked_clients_stay_bounded() {
        let limiter = ClientRateLimiter::new(1.0, 1.0);
        let now = Instant::now();
        for n in 0..(MAX_TRACKED_CLIENTS as u32 + 10) {
            let _ = limiter.check(IpAddr::from(n.to_be_bytes()), now);
        }
        assert_eq!(limiter.tracked(), MAX_TRACKED_CLIENTS);
    }
}
