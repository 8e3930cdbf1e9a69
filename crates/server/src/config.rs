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
        }
    }
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
        if self.per_ip_rate_limit_per_second < 0.0 || self.per_ip_burst < 0.0 {
            return Err("intake per-IP rate limits cannot be negative".into());
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
