//! Project settings changed in the dashboard, laid over the configuration file's.
//!
//! A project is configured in the configuration file (`[[projects]]`). An admin may change
//! a few of its settings from the dashboard's Setup page — the ones that are safe to change
//! while beacons arrive ([`SettingsPatch`]). Those changes are kept in
//! `<data_dir>/project-settings.json` (mode 0600, replaced atomically), holding only what
//! differs from the configuration file, and laid over it whenever the server starts
//! ([`ProjectSettings::open`]); a change takes effect at once ([`ProjectRegistry::replace`]
//! and the store's retention). Everything else (ingest key, route patterns, query allowlist,
//! rate limits, cardinality caps) is set in the configuration file only.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sightline_ingest::ProjectConfig;

use crate::api::private_file::{read_optional, write_private};
use crate::api::tokens::rfc3339;
use crate::state::ProjectRegistry;

/// The file's name inside the data directory.
pub const FILE_NAME: &str = "project-settings.json";
/// Most entries in a list of origins or hosts.
pub const MAX_LIST: usize = 100;
/// Longest origin or host pattern, bytes.
pub const MAX_ENTRY_BYTES: usize = 300;
/// Longest retention, days (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// The settings the dashboard may change; a field left out is left as it is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    /// Origins allowed to post from browsers (`https://shop.example`, `https://*.example.com`, or `*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    /// Page hosts accepted (`shop.example`, `*.example.com`); empty accepts any host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_hosts: Option<Vec<String>>,
    /// Days of data to keep, 1 to 3650.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// Share of sessions kept, in (0, 1]; kept sessions weigh more, so figures stay unbiased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<f64>,
    /// Drop beacons from browsers that send `DNT: 1` or `Sec-GPC: 1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honor_do_not_track: Option<bool>,
    /// Drop beacons from bots and headless browsers (otherwise keep them, flagged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_bots: Option<bool>,
}

/// A setting that cannot be taken, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidSetting {
    /// The field, when one is to blame.
    pub field: Option<&'static str>,
    /// What is wrong, in words.
    pub message: String,
}

fn invalid(field: &'static str, message: String) -> InvalidSetting {
    InvalidSetting { field: Some(field), message }
}

impl SettingsPatch {
    /// The patch that sets every field to `config`'s value.
    pub fn of(config: &ProjectConfig) -> Self {
        Self {
            allowed_origins: Some(config.allowed_origins.clone()),
            allowed_hosts: Some(config.allowed_hosts.clone()),
            retention_days: Some(config.retention_days),
            sample_rate: Some(config.sample_rate),
            honor_do_not_track: Some(config.honor_do_not_track),
            drop_bots: Some(config.drop_bots),
        }
    }

    /// Sets the fields it has on `config`.
    pub fn apply(&self, config: &mut ProjectConfig) {
        if let Some(origins) = &self.allowed_origins {
            config.allowed_origins.clone_from(origins);
        }
        if let Some(hosts) = &self.allowed_hosts {
            config.allowed_hosts.clone_from(hosts);
        }
        if let Some(days) = self.retention_days {
            config.retention_days = days;
        }
        if let Some(rate) = self.sample_rate {
            config.sample_rate = rate;
        }
        if let Some(honor) = self.honor_do_not_track {
            config.honor_do_not_track = honor;
        }
        if let Some(drop) = self.drop_bots {
            config.drop_bots = drop;
        }
    }

    /// The names of the fields it has.
    pub fn fields(&self) -> Vec<&'static str> {
        let set = [
            ("allowed_origins", self.allowed_origins.is_some()),
            ("allowed_hosts", self.allowed_hosts.is_some()),
            ("retention_days", self.retention_days.is_some()),
            ("sample_rate", self.sample_rate.is_some()),
            ("honor_do_not_track", self.honor_do_not_track.is_some()),
            ("drop_bots", self.drop_bots.is_some()),
        ];
        set.into_iter().filter(|(_, is_set)| *is_set).map(|(name, _)| name).collect()
    }

    /// These fields, with `newer`'s where it has them.
    fn overlaid_with(self, newer: &Self) -> Self {
        Self {
            allowed_origins: newer.allowed_origins.clone().or(self.allowed_origins),
            allowed_hosts: newer.allowed_hosts.clone().or(self.allowed_hosts),
            retention_days: newer.retention_days.or(self.retention_days),
            sample_rate: newer.sample_rate.or(self.sample_rate),
            honor_do_not_track: newer.honor_do_not_track.or(self.honor_do_not_track),
            drop_bots: newer.drop_bots.or(self.drop_bots),
        }
    }

    /// Only the fields that differ from `base`.
    fn differing_from(&self, base: &ProjectConfig) -> Self {
        let base = Self::of(base);
        Self {
            allowed_origins: self.allowed_origins.clone().filter(|v| Some(v) != base.allowed_origins.as_ref()),
            allowed_hosts: self.allowed_hosts.clone().filter(|v| Some(v) != base.allowed_hosts.as_ref()),
            retention_days: self.retention_days.filter(|v| Some(*v) != base.retention_days),
            sample_rate: self.sample_rate.filter(|v| Some(*v) != base.sample_rate),
            honor_do_not_track: self.honor_do_not_track.filter(|v| Some(*v) != base.honor_do_not_track),
            drop_bots: self.drop_bots.filter(|v| Some(*v) != base.drop_bots),
        }
    }

    /// Checks each field it has; the error names the field.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if let Some(origins) = &self.allowed_origins {
            check_list("allowed_origins", origins, |origin| {
                let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
                origin == "*" || host.is_some_and(|host| !host.is_empty() && host.bytes().all(host_byte))
            })
            .map_err(|bad| {
                invalid(
                    "allowed_origins",
                    format!(
                        "{bad:?} is not an origin: write `*`, or a scheme and host such as https://shop.example, \
                         https://*.example.com or http://localhost:8080 (no path)"
                    ),
                )
            })?;
        }
        if let Some(hosts) = &self.allowed_hosts {
            check_list("allowed_hosts", hosts, |host| !host.is_empty() && host.bytes().all(host_byte)).map_err(
                |bad| {
                    invalid(
                        "allowed_hosts",
                        format!(
                            "{bad:?} is not a host: write a host name such as shop.example or *.example.com \
                             (no scheme, no path)"
                        ),
                    )
                },
            )?;
        }
        if let Some(days) = self.retention_days
            && !(1..=MAX_RETENTION_DAYS).contains(&days)
        {
            return Err(invalid(
                "retention_days",
                format!("keep data from 1 to {MAX_RETENTION_DAYS} days, not {days}"),
            ));
        }
        if let Some(rate) = self.sample_rate
            && !(rate.is_finite() && rate > 0.0 && rate <= 1.0)
        {
            return Err(invalid(
                "sample_rate",
                format!("the sample rate is a share above 0 and at most 1, not {rate}"),
            ));
        }
        Ok(())
    }
}

/// Bytes of a host pattern: letters, digits, `.`, `-`, `*` (a leading wildcard) and `:` (a port).
fn host_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'*' | b':' | b'[' | b']')
}

/// The first entry of `list` that `ok` refuses; too many or too long entries are errors too.
fn check_list(field: &'static str, list: &[String], ok: impl Fn(&str) -> bool) -> Result<(), String> {
    if list.len() > MAX_LIST {
        return Err(format!("{field} has {} entries; at most {MAX_LIST}", list.len()));
    }
    match list.iter().find(|entry| entry.len() > MAX_ENTRY_BYTES || !ok(entry)) {
        Some(bad) => Err(bad.clone()),
        None => Ok(()),
    }
}

/// One project's changes, with who made the last one and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Changed {
    settings: SettingsPatch,
    updated_at: String,
    updated_by: String,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    version: u32,
    #[serde(default)]
    projects: BTreeMap<String, Changed>,
}

impl Default for SettingsFile {
    fn default() -> Self {
        Self { version: 1, projects: BTreeMap::new() }
    }
}

/// Who changed a project's settings from the dashboard, and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeInfo {
    /// The fields that differ from the configuration file.
    pub fields: Vec<&'static str>,
    /// When the last change was made (RFC 3339).
    pub updated_at: String,
    /// The dashboard user who made it.
    pub updated_by: String,
}

/// Called with every project's retention, in days, when one changes.
pub type RetentionHook = Box<dyn Fn(HashMap<String, u32>) + Send + Sync>;

/// The changes of every project, and the configuration file's values under them.
pub struct ProjectSettings {
    path: PathBuf,
    file: Mutex<SettingsFile>,
    configured: HashMap<String, ProjectConfig>,
    on_retention: Option<RetentionHook>,
}

impl std::fmt::Debug for ProjectSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectSettings").field("path", &self.path).finish_non_exhaustive()
    }
}

impl ProjectSettings {
    /// Reads `<data_dir>/project-settings.json` and lays its changes over `projects` (the
    /// configuration file's). A change that would make a project invalid is logged and left
    /// out; a file that cannot be read is an error (the server should not start without it).
    pub fn open(data_dir: &Path, projects: &mut [ProjectConfig]) -> Result<Self, String> {
        let path = data_dir.join(FILE_NAME);
        let configured = projects.iter().map(|config| (config.id.clone(), config.clone())).collect();
        let file = match read_optional(&path).map_err(|error| format!("{}: {error}", path.display()))? {
            None => SettingsFile::default(),
            Some(text) => serde_json::from_str::<SettingsFile>(&text)
                .map_err(|error| format!("{} is not a project settings file: {error}", path.display()))?,
        };
        if file.version != 1 {
            return Err(format!("{}: version {} is not known (1 is)", path.display(), file.version));
        }
        for project in projects.iter_mut() {
            let Some(changed) = file.projects.get(&project.id) else { continue };
            let mut candidate = project.clone();
            changed.settings.apply(&mut candidate);
            match changed.settings.validate().map_err(|e| e.message).and_then(|()| candidate.validate()) {
                Ok(()) => {
                    tracing::info!(
                        project = %project.id,
                        fields = ?changed.settings.fields(),
                        updated_by = %changed.updated_by,
                        "project settings changed in the dashboard override the configuration file"
                    );
                    *project = candidate;
                }
                Err(error) => tracing::warn!(
                    project = %project.id, %error,
                    "the dashboard's changes to this project are invalid and left out"
                ),
            }
        }
        Ok(Self { path, file: Mutex::new(file), configured, on_retention: None })
    }

    /// Calls `hook` with every project's retention after a change.
    #[must_use]
    pub fn on_retention(mut self, hook: RetentionHook) -> Self {
        self.on_retention = Some(hook);
        self
    }

    /// The configuration file's settings of project `id`.
    pub fn configured(&self, id: &str) -> Option<&ProjectConfig> {
        self.configured.get(id)
    }

    /// What the dashboard changed in project `id`, if anything.
    pub fn changes(&self, id: &str) -> Option<ChangeInfo> {
        let file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = file.projects.get(id)?;
        Some(ChangeInfo {
            fields: changed.settings.fields(),
            updated_at: changed.updated_at.clone(),
            updated_by: changed.updated_by.clone(),
        })
    }

    /// Applies `patch` to project `id` for `user`: checked, written to the file, then in
    /// force. Answers the project's new settings.
    pub fn change(
        &self,
        registry: &ProjectRegistry,
        id: &str,
        patch: &SettingsPatch,
        user: &str,
    ) -> Result<ProjectConfig, ChangeError> {
        patch.validate().map_err(ChangeError::Invalid)?;
        self.update(registry, id, user, |current| current.unwrap_or_default().overlaid_with(patch))
    }

    /// Forgets the dashboard's changes to project `id`: the configuration file's settings
    /// are in force again.
    pub fn reset(&self, registry: &ProjectRegistry, id: &str, user: &str) -> Result<ProjectConfig, ChangeError> {
        self.update(registry, id, user, |_| SettingsPatch::default())
    }

    fn update(
        &self,
        registry: &ProjectRegistry,
        id: &str,
        user: &str,
        change: impl FnOnce(Option<SettingsPatch>) -> SettingsPatch,
    ) -> Result<ProjectConfig, ChangeError> {
        let configured = self.configured.get(id).ok_or(ChangeError::UnknownProject)?;
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let current = file.projects.get(id).map(|changed| changed.settings.clone());
        let settings = change(current).differing_from(configured);
        let mut config = configured.clone();
        settings.apply(&mut config);
        config.validate().map_err(|message| ChangeError::Invalid(InvalidSetting { field: None, message }))?;
        let mut next = file.clone();
        if settings.fields().is_empty() {
            next.projects.remove(id);
        } else {
            let updated_at = rfc3339(SystemTime::now());
            next.projects.insert(id.to_owned(), Changed { settings, updated_at, updated_by: user.to_owned() });
        }
        let text = serde_json::to_string_pretty(&next).map_err(|error| ChangeError::Io(error.to_string()))?;
        write_private(&self.path, &text)
            .map_err(|error| ChangeError::Io(format!("{}: {error}", self.path.display())))?;
        *file = next;
        registry.replace(config.clone()).map_err(ChangeError::Io)?;
        if let Some(hook) = &self.on_retention {
            hook(registry.configs().into_iter().map(|config| (config.id, config.retention_days)).collect());
        }
        tracing::info!(project = %id, %user, "project settings changed from the dashboard");
        Ok(config)
    }
}

/// Why a change was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// A value is not acceptable.
    #[error(transparent)]
    Invalid(InvalidSetting),
    /// No such project.
    #[error("unknown project")]
    UnknownProject,
    /// The file could not be written (nothing changed), or the registry refused.
    #[error("{0}")]
    Io(String),
}

#[cfg(test)]
mod tests;
