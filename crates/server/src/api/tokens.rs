//! API tokens: `slt_` and 64 hex digits, shown once when created; only their SHA-256 is
//! kept, with a name, a project (or every project) and the creation time, in
//! `<data_dir>/tokens.json` (written whole to a temporary file, then renamed; mode 0600).
//!
//! The CLI writes the file ([`TokenFile::save`]); the server reads it through a
//! [`TokenStore`], which looks at the file's modification time at most once a second and
//! reloads it when it changed, so a new or revoked token counts without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The file's name inside the data directory.
pub const FILE_NAME: &str = "tokens.json";
/// Every token starts with this.
pub const PREFIX: &str = "slt_";
/// How often the server looks at the file, at most.
const RELOAD_CHECK: Duration = Duration::from_secs(1);

/// The whole token file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFile {
    /// Format version, 1.
    #[serde(default = "version_one")]
    pub version: u32,
    /// The tokens, in creation order.
    #[serde(default)]
    pub tokens: Vec<TokenEntry>,
}

fn version_one() -> u32 {
    1
}

impl Default for TokenFile {
    fn default() -> Self {
        Self { version: version_one(), tokens: Vec::new() }
    }
}

/// One token, without the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    /// Unique name, to list and revoke it by.
    pub name: String,
    /// The one project it reads; none: every project (each request names one).
    #[serde(default)]
    pub project: Option<String>,
    /// Hex SHA-256 of the token.
    pub sha256: String,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
}

/// Problems with the token file.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a token file.
    #[error("{path} is not a valid token file: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A name is taken or malformed.
    #[error("{0}")]
    Name(String),
}

impl TokenFile {
    /// The path of the file in `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE_NAME)
    }

    /// Reads the file; a missing file is an empty one.
    pub fn load(path: &Path) -> Result<Self, TokenError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => return Err(TokenError::Io { path: path.display().to_string(), source }),
        };
        let file: Self = serde_json::from_str(&text)
            .map_err(|error| TokenError::Invalid { path: path.display().to_string(), message: error.to_string() })?;
        if file.version != 1 {
            let message = format!("version {} is not known (1 is)", file.version);
            return Err(TokenError::Invalid { path: path.display().to_string(), message });
        }
        Ok(file)
    }

    /// Writes the file atomically (temporary file, fsync, rename), readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<(), TokenError> {
        let io = |source| TokenError::Io { path: path.display().to_string(), source };
        let text = serde_json::to_string_pretty(self).map_err(|error| io(std::io::Error::other(error)))?;
        let temporary = path.with_extension("json.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        {
            use std::io::Write as _;
            let mut file = options.open(&temporary).map_err(io)?;
            file.write_all(text.as_bytes()).map_err(io)?;
            file.write_all(b"\n").map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        std::fs::rename(&temporary, path).map_err(io)?;
        if let Some(dir) = path.parent().and_then(|dir| std::fs::File::open(dir).ok()) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Adds a token named `name` for `project` (none: every project) and returns the token,
    /// which is not kept anywhere: the caller shows it once.
    pub fn create(&mut self, name: &str, project: Option<&str>, now: SystemTime) -> Result<String, TokenError> {
        check_name(name)?;
        if self.tokens.iter().any(|entry| entry.name == name) {
            return Err(TokenError::Name(format!("a token named {name:?} exists: choose another name or revoke it")));
        }
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let token = format!("{PREFIX}{}", hex(&secret));
        self.tokens.push(TokenEntry {
            name: name.to_owned(),
            project: project.map(str::to_owned),
            sha256: hex(&digest(&token)),
            created_at: rfc3339(now),
        });
        Ok(token)
    }

    /// Removes the token named `name`; false when there is none.
    pub fn revoke(&mut self, name: &str) -> bool {
        let before = self.tokens.len();
        self.tokens.retain(|entry| entry.name != name);
        self.tokens.len() != before
    }
}

fn check_name(name: &str) -> Result<(), TokenError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(TokenError::Name(format!("invalid token name {name:?}: use 1 to 64 letters, digits, '-', '_' or '.'")))
    }
}

/// SHA-256 of a token.
fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Equal in time that depends only on the length (32 bytes here), never on where they differ.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A UTC time as RFC 3339 with seconds (`2026-12-04T22:41:27Z`).
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rest = secs % 86_400;
    let (year, month, day) = sightline_protocol::calendar::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// What a valid token may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The token's name (for logs).
    pub name: String,
    /// Its one project, or none for every project.
    pub project: Option<String>,
}

/// The server's view of the token file, reloaded when it changes.
#[derive(Debug)]
pub struct TokenStore {
    path: PathBuf,
    cache: Mutex<Cache>,
}

#[derive(Debug)]
struct Cache {
    checked: Option<Instant>,
    stamp: Option<Stamp>,
    tokens: Arc<Vec<([u8; 32], Grant)>>,
}

/// What tells a changed file: modification time, length and (on Unix) inode, since each
/// save is a rename of a new file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Stamp {
    fn of(metadata: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(metadata);
        #[cfg(not(unix))]
        let inode = 0;
        Self { modified: metadata.modified().ok(), len: metadata.len(), inode }
    }
}

impl TokenStore {
    /// Tokens of the file at `path` (read on first use).
    pub fn new(path: PathBuf) -> Self {
        Self { path, cache: Mutex::new(Cache { checked: None, stamp: None, tokens: Arc::new(Vec::new()) }) }
    }

    /// The grant of `token`, if it is a current token. Every known hash is compared, in
    /// constant time each.
    pub fn check(&self, token: &str) -> Option<Grant> {
        let presented = digest(token);
        let tokens = self.current();
        let mut found = None;
        for (hash, grant) in tokens.iter() {
            if constant_time_eq(hash, &presented) {
                found = Some(grant.clone());
            }
        }
        found
    }

    fn current(&self) -> Arc<Vec<([u8; 32], Grant)>> {
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.checked.is_some_and(|checked| checked.elapsed() < RELOAD_CHECK) {
            return Arc::clone(&cache.tokens);
        }
        cache.checked = Some(Instant::now());
        let stamp = std::fs::metadata(&self.path).ok().map(|metadata| Stamp::of(&metadata));
        if stamp == cache.stamp {
            return Arc::clone(&cache.tokens);
        }
        match TokenFile::load(&self.path) {
            Ok(file) => {
                let tokens = file
                    .tokens
                    .into_iter()
                    .filter_map(|entry| {
                        let hash = unhex(&entry.sha256)?;
                        Some((hash, Grant { name: entry.name, project: entry.project }))
                    })
                    .collect::<Vec<_>>();
                tracing::info!(path = %self.path.display(), tokens = tokens.len(), "api tokens loaded");
                cache.tokens = Arc::new(tokens);
                cache.stamp = stamp;
            }
            // A file being replaced or broken by hand keeps the tokens known before.
            Err(error) => tracing::warn!(%error, "api tokens not reloaded"),
        }
        Arc::clone(&cache.tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_token_is_found_and_a_revoked_one_is_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = TokenFile::path(dir.path());
        let mut file = TokenFile::default();
        let token = file.create("ci", Some("shop"), SystemTime::now()).expect("created");
        assert!(token.starts_with(PREFIX) && token.len() == PREFIX.len() + 64, "{token}");
        assert!(!file.tokens[0].sha256.contains(&token[PREFIX.len()..]));
        assert!(file.create("ci", None, SystemTime::now()).is_err(), "names are unique");
        assert!(file.create("bad name", None, SystemTime::now()).is_err());
        file.save(&path).expect("saved");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let store = TokenStore::new(path.clone());
        assert_eq!(store.check(&token), Some(Grant { name: "ci".into(), project: Some("shop".into()) }));
        assert_eq!(store.check("slt_0000"), None);
        let mut file = TokenFile::load(&path).expect("loads");
        assert!(file.revoke("ci"));
        assert!(!file.revoke("ci"));
        file.save(&path).expect("saved");
        std::thread::sleep(RELOAD_CHECK + Duration::from_millis(50));
        assert_eq!(store.check(&token), None, "reloaded after the change");
    }

    #[test]
    fn times_are_written_in_utc() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(1_709_210_096);
        assert_eq!(rfc3339(leap), "2024-02-29T12:34:56Z");
    }
}
