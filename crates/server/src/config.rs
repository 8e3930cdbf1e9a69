//! Intake settings (`[intake]` in the config file).

use std::time::Duration;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use sightline_ingest::enrich::geo::CdnGeoHeaders;

/// How the public intake protects itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeConfig {
    /// Largest request body accepted, as sent (compressed or not), bytes.
    pub max_body_bytes: usize,
    /// Largest body after decompression, bytes.
    pub max_decompressed_bytes: usize,
    /// Time allowed to receive the request headers, seconds.
    pub header_timeout_secs: u64,
    /// Time allowed to receive the whole body, seconds.
    pub body_timeout_secs: u64,
    /// Networks of reverse proxies whose `X-Forwarded-For` is believed (e.g. `10.0.0.0/8`).
    pub trusted_proxies: Vec<IpNet>,
    /// Read the location from CDN headers (only safe when every request comes through that CDN).
    pub trust_cdn_headers: bool,
    /// Which CDN headers carry country, region and city.
    pub cdn_geo_headers: CdnGeoHeaders,
    /// Sustained beacons per second accepted from one client address; 0 disables the limit.
    pub per_ip_rate_limit_per_second: f64,
    /// Burst size of the per-address bucket, in beacons.
    pub per_ip_burst: f64,
    /// `Access-Control-Max-Age` for CORS preflights, seconds.
    pub cors_max_age_secs: u64,
    /// Beacons being received and processed at once, at most; past it, `503 overloaded`.
    pub max_concurrent_beacons: usize,
    /// Beacons being decompressed and cleaned at once (CPU-bound work), at most; others wait their turn.
    pub max_parallel_processing: usize,
    /// Open connections, at most; past it, no connection is accepted until one closes.
    pub max_connections: usize,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            max_decompressed_bytes: 4 * 1024 * 1024,
            header_timeout_secs: 10,
            body_timeout_secs: 10,
            trusted_proxies: Vec::new(),
            trust_cdn_headers: false,
            cdn_geo_headers: CdnGeoHeaders::default(),
            per_ip_rate_limit_per_second: 20.0,
            per_ip_burst: 200.0,
            cors_max_age_secs: 86_400,
            max_concurrent_beacons: 256,
            max_parallel_processing: std::thread::available_parallelism().map_or(2, |cpus| cpus.get().max(2)),
            max_connections: 10_000,
        }
    }
}

/// The largest value of a concurrency cap (far above anything useful, far below what breaks).
const MAX_CAP: usize = 1_000_000;

/// The smallest rate limit that is on: a beacon every 1000 s.
pub const MIN_RATE_PER_SECOND: f64 = 0.001;

/// Checks a token bucket's settings: finite, a rate of 0 (off) or at least
/// [`MIN_RATE_PER_SECOND`], and a burst of at least 1 when the rate is on.
fn validate_rate(rate_key: &str, per_second: f64, burst_key: &str, burst: f64) -> Result<(), String> {
    if !(per_second == 0.0 || (per_second.is_finite() && per_second >= MIN_RATE_PER_SECOND)) {
        return Err(format!(
            "{rate_key} must be 0 (no limit) or a number of at least {MIN_RATE_PER_SECOND}, got {per_second}"
        ));
    }
    if !burst.is_finite() || (per_second > 0.0 && burst < 1.0) || burst < 0.0 {
        return Err(format!("{burst_key} must be a number of at least 1 (beacons), got {burst}"));
    }
    Ok(())
}

impl IntakeConfig {
    /// Checks the settings; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_body_bytes == 0 || self.max_decompressed_bytes < self.max_body_bytes {
            return Err("intake.max_decompressed_bytes must be at least intake.max_body_bytes, and both above 0".into());
        }
        if self.header_timeout_secs == 0 || self.body_timeout_secs == 0 {
            return Err("intake.header_timeout_secs and intake.body_timeout_secs must be at least 1".into());
        }
        validate_rate(
            "intake.per_ip_rate_limit_per_second",
            self.per_ip_rate_limit_per_second,
            "intake.per_ip_burst",
            self.per_ip_burst,
        )?;
        let caps = [
            ("max_concurrent_beacons", self.max_concurrent_beacons),
            ("max_parallel_processing", self.max_parallel_processing),
            ("max_connections", self.max_connections),
        ];
        for (key, value) in caps {
            if !(1..=MAX_CAP).contains(&value) {
                return Err(format!("intake.{key} must be between 1 and {MAX_CAP}, got {value}"));
            }
        }
        self.cdn_geo_headers.validate().map_err(|error| format!("intake.{error}"))
    }

    /// The header read timeout.
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs)
    }

    /// The body read timeout.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(change: impl FnOnce(&mut IntakeConfig)) -> Result<(), String> {
        let mut config = IntakeConfig::default();
        change(&mut config);
        config.validate()
    }

    #[test]
    fn the_defaults_are_valid_and_process_at_least_two_beacons_at_once() {
        assert_eq!(IntakeConfig::default().validate(), Ok(()));
        assert!(IntakeConfig::default().max_parallel_processing >= 2);
    }

    #[test]
    fn rate_limits_must_be_finite_and_off_or_usable() {
        for rate in [f64::NAN, f64::INFINITY, -1.0, 0.000_1, 1e-300] {
            let error = with(|c| c.per_ip_rate_limit_per_second = rate).expect_err("refused");
            assert!(error.contains("per_ip_rate_limit_per_second"), "{rate}: {error}");
        }
        for burst in [f64::NAN, f64::INFINITY, -1.0, 0.0, 0.5] {
            let error = with(|c| c.per_ip_burst = burst).expect_err("refused");
            assert!(error.contains("per_ip_burst"), "{burst}: {error}");
        }
        assert_eq!(with(|c| c.per_ip_rate_limit_per_second = 0.001), Ok(()));
        assert_eq!(
            with(|c| {
                c.per_ip_rate_limit_per_second = 0.0;
                c.per_ip_burst = 0.0;
            }),
            Ok(()),
            "no burst needed when the limit is off"
        );
    }

    #[test]
    fn concurrency_caps_must_be_at_least_one_and_sane() {
        for value in [0, usize::MAX] {
            assert!(
                with(|c| c.max_concurrent_beacons = value).expect_err("refused").contains("max_concurrent_beacons")
            );
            assert!(
                with(|c| c.max_parallel_processing = value).expect_err("refused").contains("max_parallel_processing")
            );
            assert!(with(|c| c.max_connections = value).expect_err("refused").contains("max_connections"));
        }
    }
}
