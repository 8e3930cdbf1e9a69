//! `[store]`: the embedded store under `<data_dir>/store/` — when the buffer is flushed into
//! Parquet, the write-ahead log's segments and group commit, and dedup of retried events.

use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};
use sightline_store::wal::{DEFAULT_LINGER, WalOptions};
use sightline_store::{EmbeddedStoreOptions, MaintenanceOptions};

/// The `SIGHTLINE_STORE_*` variables, each setting the `[store]` key of the same name.
pub const ENV: &[&str] = &[
    "SIGHTLINE_STORE_FLUSH_INTERVAL",
    "SIGHTLINE_STORE_FLUSH_ROWS",
    "SIGHTLINE_STORE_WAL_SEGMENT_BYTES",
    "SIGHTLINE_STORE_WAL_LINGER",
    "SIGHTLINE_STORE_DEDUP_CAPACITY",
];

const MIB: u64 = 1 << 20;

/// Settings of the embedded store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Flush once the oldest buffered row has waited this long, e.g. `"60s"`.
    #[serde(with = "duration")]
    pub flush_interval: Duration,
    /// Flush once the buffer holds this many rows.
    pub flush_rows: usize,
    /// Size at which the write-ahead log starts a new segment, bytes.
    pub wal_segment_bytes: u64,
    /// How long the write-ahead log waits for more appends before one fsync, e.g. `"2ms"`
    /// (the default is the store's `DEFAULT_LINGER`).
    #[serde(with = "duration")]
    pub wal_linger: Duration,
    /// Event ids remembered to drop retried events.
    pub dedup_capacity: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        let (maintenance, store) = (MaintenanceOptions::default(), EmbeddedStoreOptions::default());
        Self {
            flush_interval: maintenance.flush_interval,
            flush_rows: maintenance.flush_rows,
            wal_segment_bytes: store.wal.segment_bytes,
            wal_linger: store.wal.linger,
            dedup_capacity: store.dedup_capacity,
        }
    }
}

impl StoreConfig {
    /// Explains what is wrong, and what to do about it.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !(Duration::from_secs(1)..=Duration::from_secs(86_400)).contains(&self.flush_interval) {
            bail!(
                "store.flush_interval must be between \"1s\" and \"24h\", not {:?}: rows wait in memory (and in \
                 the write-ahead log) at most this long before they are written to Parquet",
                duration::format(self.flush_interval)
            );
        }
        if !(1_000..=50_000_000).contains(&self.flush_rows) {
            bail!(
                "store.flush_rows must be between 1000 and 50000000, not {}: it bounds the rows held in memory; \
                 lower it if memory is short",
                self.flush_rows
            );
        }
        if !(64 * 1024..=1024 * MIB).contains(&self.wal_segment_bytes) {
            bail!(
                "store.wal_segment_bytes must be between 65536 (64 KiB) and 1073741824 (1 GiB), not {}",
                self.wal_segment_bytes
            );
        }
        if self.wal_linger > Duration::from_secs(1) {
            bail!(
                "store.wal_linger must be at most \"1s\", not {:?}: every beacon waits for it; the default \
                 of {:?} is right for most disks",
                duration::format(self.wal_linger),
                duration::format(DEFAULT_LINGER)
            );
        }
        if !(1_000..=100_000_000).contains(&self.dedup_capacity) {
            bail!(
                "store.dedup_capacity must be between 1000 and 100000000, not {}: each remembered id takes \
                 16 bytes of memory plus the hash table's overhead",
                self.dedup_capacity
            );
        }
        self.options().wal.validate().map_err(anyhow::Error::msg)
    }

    /// The store's options.
    pub fn options(&self) -> EmbeddedStoreOptions {
        let wal =
            WalOptions { segment_bytes: self.wal_segment_bytes, linger: self.wal_linger, ..WalOptions::default() };
        EmbeddedStoreOptions { wal, dedup_capacity: self.dedup_capacity, ..EmbeddedStoreOptions::default() }
    }

    /// When the store flushes.
    pub fn maintenance(&self) -> MaintenanceOptions {
        MaintenanceOptions { flush_rows: self.flush_rows, flush_interval: self.flush_interval }
    }

    /// Applies the `SIGHTLINE_STORE_*` variables among `vars`; a value that does not parse is
    /// an error naming the variable.
    pub fn apply_env(&mut self, vars: impl Iterator<Item = (String, String)>) -> anyhow::Result<()> {
        for (key, value) in vars {
            let Some(name) = key.strip_prefix("SIGHTLINE_STORE_") else { continue };
            let number = || -> anyhow::Result<u64> {
                value.trim().parse().with_context(|| format!("{key}={value:?} is not a whole number"))
            };
            let time = || duration::parse(value.trim()).with_context(|| format!("{key}={value:?}"));
            match name {
                "FLUSH_INTERVAL" => self.flush_interval = time()?,
                "FLUSH_ROWS" => self.flush_rows = usize::try_from(number()?)?,
                "WAL_SEGMENT_BYTES" => self.wal_segment_bytes = number()?,
                "WAL_LINGER" => self.wal_linger = time()?,
                "DEDUP_CAPACITY" => self.dedup_capacity = usize::try_from(number()?)?,
                _ => {}
            }
        }
        Ok(())
    }
}

/// Durations as text: a whole number and a unit, `us`, `ms`, `s`, `m` or `h` (`"500us"`,
/// `"60s"`, `"5m"`).
mod duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    const UNITS: [(&str, u64); 5] =
        [("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000), ("ms", 1000), ("us", 1)];

    pub fn parse(text: &str) -> anyhow::Result<Duration> {
        let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let micros_per_unit = UNITS.iter().find(|(name, _)| *name == unit).map(|(_, micros)| *micros);
        let (Ok(number), Some(micros_per_unit)) = (number.parse::<u64>(), micros_per_unit) else {
            anyhow::bail!("{text:?} is not a duration: write a whole number and a unit, e.g. \"60s\", \"500ms\"");
        };
        let micros = number.checked_mul(micros_per_unit).ok_or_else(|| anyhow::anyhow!("{text:?} is too long"))?;
        Ok(Duration::from_micros(micros))
    }

    /// In the largest unit that divides it exactly.
    pub fn format(duration: Duration) -> String {
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        let (unit, per) = UNITS.iter().find(|(_, per)| micros % per == 0 && micros > 0).copied().unwrap_or(("s", 1));
        format!("{}{unit}", micros / per)
    }

    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(*duration))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn the_defaults_are_the_stores_and_valid() {
        let config = StoreConfig::default();
        config.validate().expect("valid");
        assert_eq!((config.flush_interval, config.flush_rows), (Duration::from_secs(60), 500_000));
        assert_eq!(config.maintenance(), MaintenanceOptions::default());
        let (options, defaults) = (config.options(), EmbeddedStoreOptions::default());
        assert_eq!((options.wal.segment_bytes, options.wal.linger), (defaults.wal.segment_bytes, defaults.wal.linger));
        assert_eq!(options.dedup_capacity, defaults.dedup_capacity);
    }

    #[test]
    fn durations_are_a_number_and_a_unit() {
        for (text, expected) in [
            ("500us", Duration::from_micros(500)),
            ("0ms", Duration::ZERO),
            ("90s", Duration::from_secs(90)),
            ("5m", Duration::from_secs(300)),
            ("2h", Duration::from_secs(7200)),
        ] {
            assert_eq!(duration::parse(text).expect(text), expected);
        }
        for bad in ["", "60", "s", "1.5s", "-1s", "10 s", "3d", "99999999999999999999h"] {
            assert!(duration::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(duration::format(Duration::from_secs(120)), "2m");
        assert_eq!(duration::format(Duration::from_micros(1500)), "1500us");
        assert_eq!(duration::format(Duration::ZERO), "0s");
        let config: StoreConfig = toml::from_str("flush_interval = \"90s\"\nwal_linger = \"0ms\"\n").expect("parses");
        assert_eq!((config.flush_interval, config.wal_linger), (Duration::from_secs(90), Duration::ZERO));
        let error = toml::from_str::<StoreConfig>("flush_interval = 60\n").expect_err("a bare number");
        assert!(error.to_string().contains("flush_interval"), "{error}");
        let text = toml::to_string(&StoreConfig::default()).expect("serializes");
        assert_eq!(toml::from_str::<StoreConfig>(&text).expect("reads back"), StoreConfig::default());
    }

    #[test]
    fn every_variable_sets_its_key_and_bad_values_are_named() {
        let mut config = StoreConfig::default();
        let all = [
            ("SIGHTLINE_STORE_FLUSH_INTERVAL", "5s"),
            ("SIGHTLINE_STORE_FLUSH_ROWS", "10000"),
            ("SIGHTLINE_STORE_WAL_SEGMENT_BYTES", "2097152"),
            ("SIGHTLINE_STORE_WAL_LINGER", "0us"),
            ("SIGHTLINE_STORE_DEDUP_CAPACITY", "5000"),
            ("PATH", "/bin"),
        ];
        assert_eq!(all.len() - 1, ENV.len());
        config.apply_env(vars(&all)).expect("valid values");
        let expected = StoreConfig {
            flush_interval: Duration::from_secs(5),
            flush_rows: 10_000,
            wal_segment_bytes: 2 << 20,
            wal_linger: Duration::ZERO,
            dedup_capacity: 5000,
        };
        assert_eq!(config, expected);
        let error = config.apply_env(vars(&[("SIGHTLINE_STORE_FLUSH_ROWS", "1e6")])).expect_err("not a number");
        assert!(error.to_string().contains("SIGHTLINE_STORE_FLUSH_ROWS"), "{error}");
        let error = config.apply_env(vars(&[("SIGHTLINE_STORE_FLUSH_INTERVAL", "60")])).expect_err("no unit");
        assert!(format!("{error:#}").contains("SIGHTLINE_STORE_FLUSH_INTERVAL"), "{error:#}");
    }

    #[test]
    fn out_of_range_values_are_explained() {
        let defaults = StoreConfig::default();
        let cases = [
            ("store.flush_interval", StoreConfig { flush_interval: Duration::from_millis(100), ..defaults.clone() }),
            ("store.flush_rows", StoreConfig { flush_rows: 10, ..defaults.clone() }),
            ("store.wal_segment_bytes", StoreConfig { wal_segment_bytes: 4096, ..defaults.clone() }),
            ("store.wal_linger", StoreConfig { wal_linger: Duration::from_secs(2), ..defaults.clone() }),
            ("store.dedup_capacity", StoreConfig { dedup_capacity: 0, ..defaults }),
        ];
        for (key, config) in cases {
            let error = config.validate().expect_err(key);
            assert!(error.to_string().contains(key), "{error}");
        }
    }
}
