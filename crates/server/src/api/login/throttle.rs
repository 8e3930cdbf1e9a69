//! Against password guessing: failed logins are counted per client address and per user
//! name over a 15-minute window. Past 10 failures from one address, or 50 for one user
//! name from anywhere, further attempts are refused (429) until the window ends; a success
//! clears the address's count. Both maps are bounded: when full, windows that ended are
//! dropped, and if none has, the oldest goes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The window failures are counted over.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures from one address within a window before it must wait.
const PER_CLIENT: u32 = 10;
/// Failures for one user name within a window before it must wait.
const PER_USER: u32 = 50;
/// Entries per map at most.
const MAX_ENTRIES: usize = 100_000;

/// Failed logins per client and per user.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    clients: Mutex<HashMap<IpAddr, Window>>,
    users: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

impl LoginThrottle {
    /// `Err(seconds to wait)` when this client or this user has failed too often.
    pub fn check(&self, client: IpAddr, user: &str) -> Result<(), u64> {
        let now = Instant::now();
        let client_wait = wait(&self.clients, &client, PER_CLIENT, now);
        let user_wait = wait(&self.users, &user_key(user), PER_USER, now);
        match client_wait.max(user_wait) {
            Some(wait) => Err(wait.as_secs().max(1)),
            None => Ok(()),
        }
    }

    /// Counts a failure.
    pub fn failed(&self, client: IpAddr, user: &str) {
        let now = Instant::now();
        count(&self.clients, client, now);
        count(&self.users, user_key(user), now);
    }

    /// Clears the client's failures.
    pub fn succeeded(&self, client: IpAddr) {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner).remove(&client);
    }
}

/// The user's entry: names are at most 64 characters, so longer ones share one.
fn user_key(user: &str) -> String {
    user.chars().take(65).collect()
}

fn wait<K: std::hash::Hash + Eq>(
    map: &Mutex<HashMap<K, Window>>,
    key: &K,
    limit: u32,
    now: Instant,
) -> Option<Duration> {
    let map = map.lock().unwrap_or_else(PoisonError::into_inner);
    let window = map.get(key)?;
    let ends = window.started + WINDOW;
    (window.failures >= limit && ends > now).then(|| ends - now)
}

fn count<K: std::hash::Hash + Eq + Clone>(map: &Mutex<HashMap<K, Window>>, key: K, now: Instant) {
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
        map.retain(|_, window| window.started + WINDOW > now);
        let oldest = map.iter().min_by_key(|(_, window)| window.started).map(|(key, _)| key.clone());
        if let (true, Some(oldest)) = (map.len() >= MAX_ENTRIES, oldest) {
            map.remove(&oldest);
        }
    }
    let window = map.entry(key).or_insert(Window { started: now, failures: 0 });
    if window.started + WINDOW <= now {
        *window = Window { started: now, failures: 0 };
    }
    window.failures += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_waits_after_ten_failures_and_a_success_clears_it() {
        let throttle = LoginThrottle::default();
        let client: IpAddr = [192, 0, 2, 1].into();
        for _ in 0..PER_CLIENT {
            assert!(throttle.check(client, "admin").is_ok());
            throttle.failed(client, "admin");
        }
        let wait = throttle.check(client, "admin").expect_err("throttled");
        assert!((1..=WINDOW.as_secs()).contains(&wait), "{wait}");
        let other: IpAddr = [192, 0, 2, 2].into();
        assert!(throttle.check(other, "admin").is_ok(), "another client may still try");
        throttle.succeeded(client);
        assert!(throttle.check(client, "admin").is_ok());
    }
}
