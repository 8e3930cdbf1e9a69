//! Projects: who may send beacons, from where, and how their data is treated.

use serde::{Deserialize, Serialize};

use crate::normalize::url::QueryAllowlist;

/// One project's settings, as written in the config file under `[[projects]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectConfig {
    /// Short stable id, used in storage and queries (`[a-z0-9_-]`, at most 64).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Public ingest key, put in the agent snippet. Can only write, never read.
    pub ingest_key: String,
    /// Set to false to refuse all beacons of this project (403, same as an unknown key).
    pub enabled: bool,
    /// Origins allowed to post from browsers (`https://shop.example`, `https://*.example.com`, or `*`).
    /// Beacons without an `Origin` header (sendBeacon from some browsers, curl) are checked by page host only.
    pub allowed_origins: Vec<String>,
    /// Page hosts accepted in `context.url` (`shop.example`, `*.example.com`); empty accepts any host.
    pub allowed_hosts: Vec<String>,
    /// Days of data to keep (enforced by the store).
    pub retention_days: u32,
    /// Server-side session sample rate in (0, 1]: sessions are kept by a hash of their id, and
    /// their weight grows accordingly so percentiles stay unbiased.
    pub sample_rate: f64,
    /// Query parameters kept on URLs: exact names or prefixes ending in `*`.
    pub query_allowlist: Vec<String>,
    /// Route patterns tried before the automatic id collapsing, e.g. `/blog/:slug`, `/docs/*`.
    pub route_patterns: Vec<String>,
    /// Drop beacons from browsers that send `DNT: 1` or `Sec-GPC: 1`.
    pub honor_do_not_track: bool,
    /// Drop beacons from bots and headless browsers (otherwise keep them, flagged as device class `bot`).
    pub drop_bots: bool,
    /// Distinct routes kept; further routes become `(other)`.
    pub max_routes: usize,
    /// Distinct custom event names kept; further names become `(other)`.
    pub max_event_names: usize,
    /// Distinct attribute keys kept (context, user and event attributes together); further keys are dropped.
    pub max_attribute_keys: usize,
    /// Sustained beacons per second accepted for this project (token bucket); 0 disables the limit.
    pub rate_limit_per_second: f64,
    /// Burst size of that bucket, in beacons.
    pub rate_limit_burst: f64,
}

impl Default for ProjectConfig {
    fn default() -> Self {
        Self {
            id: "default".into(),
            name: "Default project".into(),
            ingest_key: String::new(),
            enabled: true,
            allowed_origins: vec!["*".into()],
            allowed_hosts: Vec::new(),
            retention_days: 30,
            sample_rate: 1.0,
            query_allowlist: QueryAllowlist::default().entries,
            route_patterns: Vec::new(),
            honor_do_not_track: false,
            drop_bots: true,
            max_routes: 2000,
            max_event_names: 500,
            max_attribute_keys: 500,
            rate_limit_per_second: 1000.0,
            rate_limit_burst: 2000.0,
        }
    }
}

impl ProjectConfig {
    /// Checks the settings; the message says what is wrong and how to fix it.
    pub fn validate(&self) -> Result<(), String> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(format!("project id {:?} is invalid: use 1-64 characters of a-z, 0-9, '-' and '_'", self.id));
        }
        if self.ingest_key.len() < 8
            || !self.ingest_key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(format!(
                "project {}: ingest_key must be at least 8 characters of A-Z, a-z, 0-9, '-' and '_'",
                self.id
            ));
        }
        // Written so that NaN fails too.
        if !(self.sample_rate.is_finite() && self.sample_rate > 0.0 && self.sample_rate <= 1.0) {
            return Err(format!("project {}: sample_rate must be in (0, 1], got {}", self.id, self.sample_rate));
        }
        if self.retention_days == 0 {
            return Err(format!("project {}: retention_days must be at least 1", self.id));
        }
        for origin in &self.allowed_origins {
            if origin != "*" && !(origin.starts_with("https://") || origin.starts_with("http://")) {
                return Err(format!(
                    "project {}: allowed origin {origin:?} must be `*` or start with http:// or https://",
                    self.id
                ));
            }
        }
        let rate = self.rate_limit_per_second;
        if !(rate == 0.0 || (rate.is_finite() && rate >= 0.001)) {
            return Err(format!(
                "project {}: rate_limit_per_second must be 0 (no limit) or a number of at least 0.001, got {rate}",
                self.id
            ));
        }
        let burst = self.rate_limit_burst;
        if !burst.is_finite() || burst < 0.0 || (rate > 0.0 && burst < 1.0) {
            return Err(format!(
                "project {}: rate_limit_burst must be a number of at least 1 (beacons), got {burst}",
                self.id
            ));
        }
        Ok(())
    }

    /// True when `origin` (an `Origin` header value) may post beacons.
    pub fn allows_origin(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        self.allowed_origins.iter().any(|allowed| {
            if allowed == "*" {
                return true;
            }
            let allowed = allowed.trim_end_matches('/');
            match allowed.split_once("://*.") {
                Some((scheme, suffix)) => origin
                    .strip_prefix(scheme)
                    .and_then(|rest| rest.strip_prefix("://"))
                    .is_some_and(|host| host_matches_wildcard(host, suffix)),
                None => allowed.eq_ignore_ascii_case(origin),
            }
        })
    }

    /// True when a page on `host` may belong to this project.
    pub fn allows_host(&self, host: &str) -> bool {
        self.allowed_hosts.is_empty()
            || self.allowed_hosts.iter().any(|allowed| match allowed.strip_prefix("*.") {
                Some(suffix) => host_matches_wildcard(host, suffix),
                None => allowed.eq_ignore_ascii_case(host),
            })
    }
}

/// `host` is `suffix` or a subdomain of it (case-insensitive).
fn host_matches_wildcard(host: &str, suffix: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let suffix = suffix.to_ascii_lowercase();
    host == suffix || host.strip_suffix(&suffix).is_some_and(|head| head.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(origins: &[&str], hosts: &[&str]) -> ProjectConfig {
        ProjectConfig {
            ingest_key: "pk_test_12345".into(),
            allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
            allowed_hosts: hosts.iter().map(|s| s.to_string()).collect(),
            ..ProjectConfig::default()
        }
    }

    #[test]
    fn origins_match_exactly_or_by_subdomain_wildcard() {
        let p = project(&["https://shop.example", "https://*.example.com"], &[]);
        assert!(p.allows_origin("https://shop.example"));
        assert!(p.allows_origin("https://a.b.example.com"));
        assert!(p.allows_origin("https://example.com"));
        assert!(!p.allows_origin("http://shop.example"));
        assert!(!p.allows_origin("https://evilexample.com"));
        assert!(!p.allows_origin("https://example.com.evil.test"));
        assert!(project(&["*"], &[]).allows_origin("https://anything.test"));
    }

    #[test]
    fn hosts_match_exactly_or_by_wildcard_and_empty_means_any() {
        let p = project(&["*"], &["shop.example", "*.example.com"]);
        assert!(p.allows_host("SHOP.example"));
        assert!(p.allows_host("www.example.com"));
        assert!(!p.allows_host("ghost-spam.test"));
        assert!(project(&["*"], &[]).allows_host("anything.test"));
    }

    #[test]
    fn validation_explains_what_is_wrong() {
        assert!(project(&["*"], &[]).validate().is_ok());
        let bad_key = ProjectConfig { ingest_key: "x".into(), ..ProjectConfig::default() };
        assert!(bad_key.validate().expect_err("short key").contains("ingest_key"));
        let bad_rate = ProjectConfig { sample_rate: 0.0, ..project(&["*"], &[]) };
        assert!(bad_rate.validate().expect_err("zero rate").contains("sample_rate"));
        let bad_origin = project(&["shop.example"], &[]);
        assert!(bad_origin.validate().expect_err("no scheme").contains("allowed origin"));
    }

    #[test]
    fn numbers_that_would_panic_or_silently_disable_a_limit_are_refused() {
        for sample_rate in [f64::NAN, f64::INFINITY, -0.5, 1.5] {
            let config = ProjectConfig { sample_rate, ..project(&["*"], &[]) };
            assert!(config.validate().expect_err("refused").contains("sample_rate"), "{sample_rate}");
        }
        for rate in [f64::NAN, f64::INFINITY, -1.0, 0.000_1, 1e-300] {
            let config = ProjectConfig { rate_limit_per_second: rate, ..project(&["*"], &[]) };
            assert!(config.validate().expect_err("refused").contains("rate_limit_per_second"), "{rate}");
        }
        for burst in [f64::NAN, f64::INFINITY, -1.0, 0.0, 0.5] {
            let config = ProjectConfig { rate_limit_burst: burst, ..project(&["*"], &[]) };
            assert!(config.validate().expect_err("refused").contains("rate_limit_burst"), "{burst}");
        }
        let slowest = ProjectConfig { rate_limit_per_second: 0.001, rate_limit_burst: 1.0, ..project(&["*"], &[]) };
        assert_eq!(slowest.validate(), Ok(()));
        let off = ProjectConfig { rate_limit_per_second: 0.0, rate_limit_burst: 0.0, ..project(&["*"], &[]) };
        assert_eq!(off.validate(), Ok(()), "no burst needed when the limit is off");
    }
}
