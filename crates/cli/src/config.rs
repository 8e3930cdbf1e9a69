//! Configuration: a TOML file, then `SIGHTLINE_*` environment variables, then
//! command-line flags, each overriding the one before. Unknown keys in the file
//! and unknown `SIGHTLINE_*` variables are errors that name the key.

mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};
use sightline_ingest::ProjectConfig;
use sightline_server::{ApiConfig, IntakeConfig};

pub use self::store::StoreConfig;

/// Environment variables this binary reads besides the `[store]` ones ([`store::ENV`]); any
/// other `SIGHTLINE_*` variable is refused.
pub const KNOWN_ENV: &[&str] = &[
    "SIGHTLINE_CONFIG",
    "SIGHTLINE_LISTEN",
    "SIGHTLINE_DATA_DIR",
    "SIGHTLINE_LOG_LEVEL",
    "SIGHTLINE_LOG_FORMAT",
    "SIGHTLINE_GEOIP_DB",
    "SIGHTLINE_UAP_REGEXES",
    "SIGHTLINE_TOKEN",
    "SIGHTLINE_URL",
    "SIGHTLINE_ADMIN_PASSWORD",
];

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where data lives.
    pub data_dir: PathBuf,
    /// Log filter, e.g. `info` or `sightline_server=debug,info`.
    pub log_level: String,
    /// `text` or `json` logs.
    pub log_format: LogFormat,
    /// MaxMind-format database (GeoLite2/GeoIP2 City or Country) for IP → location.
    pub geoip_db: Option<PathBuf>,
    /// Intake limits and trust settings.
    pub intake: IntakeConfig,
    /// The embedded store: flushes, write-ahead log, dedup.
    pub store: StoreConfig,
    /// The query API: time limit, body size, queries at once, threads.
    pub api: ApiConfig,
    /// Projects; when empty a `default` project is created with a key kept in the data directory.
    pub projects: Vec<ProjectConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("sightline-data"),
            log_level: "info".into(),
            log_format: LogFormat::Text,
            geoip_db: None,
            intake: IntakeConfig::default(),
            store: StoreConfig::default(),
            api: ApiConfig::default(),
            projects: Vec::new(),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Values that flags or environment variables set, overriding the file.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Overrides {
    /// Configuration file (TOML).
    #[arg(long, env = "SIGHTLINE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (the default) or 0.0.0.0:8080.
    #[arg(long, env = "SIGHTLINE_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Data directory, created if missing [default: ./sightline-data; for `demo`: ./sightline-demo].
    #[arg(long, env = "SIGHTLINE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log filter, e.g. info (the default), debug, or sightline_server=debug,info.
    #[arg(long, env = "SIGHTLINE_LOG_LEVEL", value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Log format, written to stderr [default: text].
    #[arg(long, env = "SIGHTLINE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// MaxMind-format geo database (GeoLite2/GeoIP2 City or Country .mmdb) for IP → location.
    #[arg(long, env = "SIGHTLINE_GEOIP_DB", value_name = "FILE")]
    pub geoip_db: Option<PathBuf>,
}

impl Config {
    /// The effective configuration: file (if any), then `SIGHTLINE_STORE_*`, then overrides
    /// (flags and the other variables), then validated.
    pub fn load(overrides: &Overrides) -> anyhow::Result<Self> {
        reject_unknown_env(std::env::vars().map(|(key, _)| key))?;
        let mut config = match &overrides.config {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        config.store.apply_env(std::env::vars())?;
        config.apply(overrides);
        config.validate()?;
        Ok(config)
    }

    /// Parses a config file; errors name the file, the line and the offending key.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
        Self::from_toml(&text).with_context(|| format!("invalid config file {}", path.display()))
    }

    /// Parses config text.
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        toml::from_str(text).map_err(|error| anyhow::anyhow!("{}", error.to_string().trim_end()))
    }

    fn apply(&mut self, overrides: &Overrides) {
        if let Some(listen) = overrides.listen {
            self.listen = listen;
        }
        if let Some(data_dir) = &overrides.data_dir {
            self.data_dir.clone_from(data_dir);
        }
        if let Some(level) = &overrides.log_level {
            self.log_level.clone_from(level);
        }
        if let Some(format) = overrides.log_format {
            self.log_format = format;
        }
        if let Some(path) = &overrides.geoip_db {
            self.geoip_db = Some(path.clone());
        }
    }

    /// Checks every section; the error says what to fix.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.intake.validate().map_err(anyhow::Error::msg)?;
        self.store.validate()?;
        self.api.validate().map_err(anyhow::Error::msg)?;
        // Building the registry checks each project, its route patterns, and that ids and keys are unique.
        sightline_server::ProjectRegistry::new(self.projects.clone()).map_err(anyhow::Error::msg)?;
        Ok(())
    }
}

fn reject_unknown_env(keys: impl Iterator<Item = String>) -> anyhow::Result<()> {
    for key in keys {
        if key.starts_with("SIGHTLINE_") && !KNOWN_ENV.contains(&key.as_str()) && !store::ENV.contains(&key.as_str()) {
            bail!(
                "unknown environment variable {key}: Sightline reads {}, {} (see docs/configuration.md)",
                KNOWN_ENV.join(", "),
                store::ENV.join(", ")
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_defaults() {
        assert_eq!(Config::from_toml("").expect("empty config"), Config::default());
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let error = Config::from_toml("listen = \"127.0.0.1:1\"\nlisten_adress = 1\n").expect_err("typo");
        assert!(error.to_string().contains("listen_adress"), "{error}");
        let nested = Config::from_toml("[intake]\nmax_body = 5\n").expect_err("nested typo");
        assert!(nested.to_string().contains("max_body"), "{nested}");
        let store = Config::from_toml("[store]\nflush_intervall = \"5s\"\n").expect_err("store typo");
        assert!(store.to_string().contains("flush_intervall"), "{store}");
        let project = Config::from_toml("[[projects]]\nid = \"shop\"\ningest_kye = \"x\"\n").expect_err("project typo");
        assert!(project.to_string().contains("ingest_kye"), "{project}");
    }

    #[test]
    fn a_full_file_parses() {
        let text = r#"
            listen = "0.0.0.0:9000"
            data_dir = "/var/lib/sightline"
            log_format = "json"
            [intake]
            max_body_bytes = 65536
            trusted_proxies = ["10.0.0.0/8"]
            [store]
            flush_interval = "30s"
            [[projects]]
            id = "shop"
            name = "Shop"
            ingest_key = "pk_shop_123456"
            allowed_origins = ["https://shop.example"]
            allowed_hosts = ["shop.example"]
            route_patterns = ["/product/:slug"]
        "#;
        let config = Config::from_toml(text).expect("valid");
        config.validate().expect("valid values");
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.intake.max_body_bytes, 65536);
        assert_eq!(config.store.flush_interval, std::time::Duration::from_secs(30));
        assert_eq!(config.projects[0].allowed_hosts, ["shop.example"]);
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn overrides_win_over_the_file() {
        let mut config = Config::from_toml("listen = \"127.0.0.1:1\"").expect("valid");
        config.apply(&Overrides { listen: Some("127.0.0.1:2".parse().expect("addr")), ..Overrides::default() });
        assert_eq!(config.listen.port(), 2);
    }

    #[test]
    fn unknown_sightline_env_vars_are_rejected_by_name() {
        let error = reject_unknown_env(["SIGHTLINE_LISTN".to_owned()].into_iter()).expect_err("typo");
        assert!(error.to_string().contains("SIGHTLINE_LISTN"));
        assert!(reject_unknown_env(["SIGHTLINE_LISTEN".to_owned(), "PATH".to_owned()].into_iter()).is_ok());
        assert!(reject_unknown_env(["SIGHTLINE_STORE_FLUSH_ROWS".to_owned()].into_iter()).is_ok());
        let error = reject_unknown_env(["SIGHTLINE_STORE_FLUSH_ROW".to_owned()].into_iter()).expect_err("typo");
        assert!(error.to_string().contains("SIGHTLINE_STORE_FLUSH_ROW"));
    }

    fn is_array_of_tables(value: &toml::Value) -> bool {
        value.as_array().is_some_and(|items| !items.is_empty() && items.iter().all(toml::Value::is_table))
    }

    /// Every key path of a fully populated config, e.g. `intake.cdn_geo_headers.country`.
    fn key_paths(value: &toml::Value, prefix: &str, paths: &mut Vec<String>) {
        match value {
            toml::Value::Table(table) => {
                for (key, child) in table {
                    let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                    key_paths(child, &path, paths);
                    if !child.is_table() && !is_array_of_tables(child) {
                        paths.push(path);
                    }
                }
            }
            toml::Value::Array(items) if is_array_of_tables(value) => {
                for item in items {
                    key_paths(item, prefix, paths);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn the_configuration_doc_documents_every_key_in_its_example_and_tables() {
        let docs = include_str!("../../../docs/configuration.md");
        let example = docs.split("```toml\n").nth(1).and_then(|rest| rest.split("```").next()).expect("example");
        let example: toml::Value = toml::from_str(example).expect("the example parses");
        let mut documented = Vec::new();
        key_paths(&example, "", &mut documented);

        let full = Config {
            geoip_db: Some("/x.mmdb".into()),
            projects: vec![ProjectConfig { ingest_key: "pk_docs_test".into(), ..ProjectConfig::default() }],
            ..Config::default()
        };
        let full = toml::Value::try_from(&full).expect("config serializes");
        let mut every = Vec::new();
        key_paths(&full, "", &mut every);
        assert!(every.len() > 30, "found only {every:?}");
        for path in &every {
            assert!(documented.contains(path), "docs/configuration.md's example lacks `{path}`");
            let leaf = path.rsplit('.').next().unwrap_or(path);
            assert!(docs.contains(&format!("| `{leaf}` |")), "docs/configuration.md has no table row for `{leaf}`");
        }
    }

    #[test]
    fn bad_route_patterns_and_shared_keys_are_caught_before_serving() {
        let pattern = Config::from_toml(
            "[[projects]]\nid = \"a\"\ningest_key = \"pk_aaaaaaaa\"\nroute_patterns = [\"/blog/:\"]\n",
        )
        .expect("parses");
        assert!(pattern.validate().expect_err("bad pattern").to_string().contains("route pattern"));
        let shared = Config::from_toml(
            "[[projects]]\nid = \"a\"\ningest_key = \"pk_same_key\"\n[[projects]]\nid = \"b\"\ningest_key = \"pk_same_key\"\n",
        )
        .expect("parses");
        assert!(shared.validate().expect_err("shared key").to_string().contains("ingest_key"));
    }

    #[test]
    fn invalid_values_are_explained() {
        let config =
            Config::from_toml("[intake]\nmax_body_bytes = 100\nmax_decompressed_bytes = 10\n").expect("parses");
        assert!(config.validate().expect_err("inconsistent").to_string().contains("max_decompressed_bytes"));
        let config = Config::from_toml("[store]\nflush_rows = 0\n").expect("parses");
        assert!(config.validate().expect_err("no rows").to_string().contains("store.flush_rows"));
    }
}
