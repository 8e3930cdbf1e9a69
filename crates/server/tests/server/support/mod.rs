//! The harness of the intake's integration tests: the real server (router, accept
//! loop, pipeline and embedded store, wired as `sightline serve` wires them) on a
//! loopback port, a raw HTTP/1.1 client that can send any bytes, a `/metrics`
//! reader, and a builder of realistic beacons.
//!
//! Every test starts its own server with its own data directory, so tests never
//! share state, and asserts on three things a client or an operator can see:
//! the answer, the counters in `/metrics`, and what the store holds.

// Each test binary uses a different part of the harness.
#![allow(dead_code, unused_imports)]

pub mod beacon;
pub mod bomb;
pub mod http;
pub mod metrics;
pub mod server;

use std::future::Future;
use std::time::{Duration, Instant};

pub use beacon::{Beacon, deflate, event, gzip, now_ms};
pub use http::{RawConnection, Response};
pub use metrics::MetricsText;
pub use server::{Seed, ServerOptions, StoreChoice, TestServer, ingest_path};

/// The web shop: browsers post from its origin, pages must be on its host.
pub const SHOP_KEY: &str = "pk_shop_integration_01";
/// `Origin` of the shop's pages.
pub const SHOP_ORIGIN: &str = "https://shop.example.com";
/// The shop's only page host.
pub const SHOP_HOST: &str = "shop.example.com";
/// A second project, to show that one project's trouble does not spill over.
pub const BLOG_KEY: &str = "pk_blog_integration_02";
/// `Origin` and host of the blog.
pub const BLOG_ORIGIN: &str = "https://blog.example.org";
/// The blog's only page host.
pub const BLOG_HOST: &str = "blog.example.org";
/// A project switched off in its configuration.
pub const DISABLED_KEY: &str = "pk_disabled_integration_03";

/// Chrome 131 on Windows 10: a real desktop browser.
pub const CHROME_UA: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
/// Google's crawler.
pub const GOOGLEBOT_UA: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
/// Headless Chrome, as Puppeteer and Playwright send it by default.
pub const HEADLESS_CHROME_UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36";

/// Polls `condition` until it holds, at most `within`; panics with `what` otherwise.
/// For effects that land just after the answer (a connection task counting its end).
pub async fn eventually<F, Fut>(within: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if condition().await {
            return;
        }
        assert!(Instant::now() < deadline, "still not true after {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The peak resident memory of this process so far (`VmHWM`; the server runs in-process), bytes.
/// A peak, not the current size: memory freed right after a spike would hide it.
pub fn peak_resident_memory_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).expect("VmHWM line in /proc/self/status");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|value| value.parse().ok()).expect("VmHWM value in kB");
    kib * 1024
}

/// The median of some durations.
pub fn median(mut samples: Vec<Duration>) -> Duration {
    assert!(!samples.is_empty(), "median of nothing");
    samples.sort();
    samples[samples.len() / 2]
}
