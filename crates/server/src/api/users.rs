//! Dashboard users: a name and an argon2id password hash (RustCrypto's `argon2`, default
//! parameters: 19 MiB, 2 passes), kept in `<data_dir>/users.json` (mode 0600, replaced
//! atomically). The CLI (`sightline user …`) writes the file; the server reads it through a
//! [`UserStore`], which reloads it when it changes, so a new password or a deleted user
//! counts without a restart.
//!
//! Each user remembers when its password was set: sessions opened before that are void,
//! so `sightline user set-password` logs the user out everywhere.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use rand::Rng as _;
use serde::{Deserialize, Serialize};

use super::private_file::{read_optional, write_private};
use super::tokens::rfc3339;

/// The file's name inside the data directory.
pub const FILE_NAME: &str = "users.json";
/// The first user's name.
pub const FIRST_ADMIN: &str = "admin";
/// The environment variable that sets the first user's password.
pub const ADMIN_PASSWORD_ENV: &str = "SIGHTLINE_ADMIN_PASSWORD";
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// How often the server looks at the file, at most.
const RELOAD_CHECK: Duration = Duration::from_secs(1);

/// The whole user file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFile {
    /// Format version, 1.
    pub version: u32,
    /// The users, in creation order.
    #[serde(default)]
    pub users: Vec<UserEntry>,
}

impl Default for UserFile {
    fn default() -> Self {
        Self { version: 1, users: Vec::new() }
    }
}

/// One user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// Unique name, to log in with.
    pub name: String,
    /// The PHC string of the argon2id hash of the password.
    pub password_hash: String,
    /// When the password was set, epoch milliseconds: older sessions are void.
    pub password_set_at_ms: i64,
    /// When the user was created (RFC 3339, UTC).
    pub created_at: String,
}

/// Problems with users and the user file.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a user file.
    #[error("{path} is not a valid user file: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A name or password is not acceptable, or the user does (not) exist.
    #[error("{0}")]
    Refused(String),
}

impl UserFile {
    /// The path of the file in `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE_NAME)
    }

    /// Reads the file; a missing file has no users.
    pub fn load(path: &Path) -> Result<Self, UserError> {
        let invalid = |message: String| UserError::Invalid { path: path.display().to_string(), message };
        let Some(text) =
            read_optional(path).map_err(|source| UserError::Io { path: path.display().to_string(), source })?
        else {
            return Ok(Self::default());
        };
        let file: Self = serde_json::from_str(&text).map_err(|error| invalid(error.to_string()))?;
        if file.version != 1 {
            return Err(invalid(format!("version {} is not known (1 is)", file.version)));
        }
        Ok(file)
    }

    /// Writes the file atomically, readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<(), UserError> {
        let io = |source| UserError::Io { path: path.display().to_string(), source };
        let text = serde_json::to_string_pretty(self).map_err(|error| io(std::io::Error::other(error)))?;
        write_private(path, &text).map_err(io)
    }

    /// The user named `name`.
    pub fn get(&self, name: &str) -> Option<&UserEntry> {
        self.users.iter().find(|user| user.name == name)
    }

    /// Adds a user.
    pub fn create(&mut self, name: &str, password: &str, now: SystemTime) -> Result<(), UserError> {
        check_name(name)?;
        if self.get(name).is_some() {
            return Err(UserError::Refused(format!(
                "a user named {name:?} exists: choose another name, or change its password with \
                 `sightline user set-password {name}`"
            )));
        }
        self.users.push(UserEntry {
            name: name.to_owned(),
            password_hash: hash_password(password)?,
            password_set_at_ms: epoch_ms(now),
            created_at: rfc3339(now),
        });
        Ok(())
    }

    /// Sets a user's password (which ends its sessions).
    pub fn set_password(&mut self, name: &str, password: &str, now: SystemTime) -> Result<(), UserError> {
        let hash = hash_password(password)?;
        let user = self.users.iter_mut().find(|user| user.name == name).ok_or_else(|| no_such_user(name))?;
        user.password_hash = hash;
        user.password_set_at_ms = epoch_ms(now);
        Ok(())
    }

    /// Removes a user; false when there is none.
    pub fn delete(&mut self, name: &str) -> bool {
        let before = self.users.len();
        self.users.retain(|user| user.name != name);
        self.users.len() != before
    }
}

fn no_such_user(name: &str) -> UserError {
    UserError::Refused(format!("there is no user named {name:?} (see `sightline user list`)"))
}

fn check_name(name: &str) -> Result<(), UserError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if valid {
        return Ok(());
    }
    Err(UserError::Refused(format!("invalid user name {name:?}: use 1 to 64 letters, digits, '-', '_', '.' or '@'")))
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<(), UserError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(UserError::Refused(format!("a password has at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(UserError::Refused(format!("a password has at most {MAX_PASSWORD_BYTES} bytes")));
    }
    Ok(())
}

/// The argon2id PHC string of `password`, with a random salt.
pub fn hash_password(password: &str) -> Result<String, UserError> {
    check_password(password)?;
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|error| UserError::Refused(error.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| UserError::Refused(format!("cannot hash the password: {error}")))
}

/// Whether `password` matches the PHC string `hash` (the comparison is constant-time).
pub fn verify_password(hash: &str, password: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash no password matches, verified for unknown users so that they take as long.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut secret = [0u8; 32];
        rand::rng().fill(&mut secret);
        hash_password(&format!("{secret:?}")).unwrap_or_default()
    })
}

/// A random password of 20 letters and digits (about 115 bits), without look-alikes.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// The first user, made by [`ensure_first_admin`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstAdmin {
    /// Its password.
    pub password: String,
    /// True when the password was made up here (print it once); false when it came from
    /// [`ADMIN_PASSWORD_ENV`].
    pub generated: bool,
}

/// Creates the user `admin` when the file has no user at all: with `env_password` when
/// given, else a random password. `None` when there were users already.
pub fn ensure_first_admin(path: &Path, env_password: Option<&str>) -> Result<Option<FirstAdmin>, UserError> {
    let mut file = UserFile::load(path)?;
    if !file.users.is_empty() {
        return Ok(None);
    }
    let (password, generated) = match env_password.filter(|password| !password.is_empty()) {
        Some(password) => (password.to_owned(), false),
        None => (random_password(), true),
    };
    file.create(FIRST_ADMIN, &password, SystemTime::now())
        .map_err(|error| UserError::Refused(format!("{ADMIN_PASSWORD_ENV}: {error}")))?;
    file.save(path)?;
    Ok(Some(FirstAdmin { password, generated }))
}

/// Epoch milliseconds of `time`.
pub fn epoch_ms(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The server's view of the user file, reloaded when it changes.
#[derive(Debug)]
pub struct UserStore {
    path: PathBuf,
    cache: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    checked: Option<Instant>,
    stamp: Option<(Option<SystemTime>, u64, u64)>,
    file: Arc<UserFile>,
}

impl UserStore {
    /// The users of the file at `path` (read on first use).
    pub fn new(path: PathBuf) -> Self {
        Self { path, cache: Mutex::new(Cache::default()) }
    }

    /// The current users.
    pub fn current(&self) -> Arc<UserFile> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.checked.is_some_and(|checked| checked.elapsed() < RELOAD_CHECK) {
            return Arc::clone(&cache.file);
        }
        cache.checked = Some(Instant::now());
        let stamp = std::fs::metadata(&self.path).ok().map(|metadata| stamp(&metadata));
        if stamp == cache.stamp {
            return Arc::clone(&cache.file);
        }
        match UserFile::load(&self.path) {
            Ok(file) => {
                tracing::info!(path = %self.path.display(), users = file.users.len(), "dashboard users loaded");
                cache.file = Arc::new(file);
                cache.stamp = stamp;
            }
            // A file broken by hand keeps the users known before.
            Err(error) => tracing::warn!(%error, "dashboard users not reloaded"),
        }
        Arc::clone(&cache.file)
    }
}

/// What tells a changed file: modification time, length and inode (each save is a rename).
fn stamp(metadata: &std::fs::Metadata) -> (Option<SystemTime>, u64, u64) {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(metadata);
    #[cfg(not(unix))]
    let inode = 0;
    (metadata.modified().ok(), metadata.len(), inode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_salted_and_checked() {
        let one = hash_password("correct horse").expect("hashed");
        let two = hash_password("correct horse").expect("hashed");
        assert!(one.starts_with("$argon2id$"), "{one}");
        assert_ne!(one, two, "a salt each");
        assert!(verify_password(&one, "correct horse"));
        assert!(!verify_password(&one, "correct horsE"));
        assert!(!verify_password("not a hash", "correct horse"));
        assert!(!verify_password(decoy_hash(), ""));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn the_first_admin_is_made_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = UserFile::path(dir.path());
        let first = ensure_first_admin(&path, None).expect("made").expect("a first admin");
        assert!(first.generated && first.password.len() == 20);
        assert_eq!(ensure_first_admin(&path, None).expect("read"), None, "never twice");
        let file = UserFile::load(&path).expect("loads");
        assert!(verify_password(&file.users[0].password_hash, &first.password));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).expect("metadata").permissions().mode() & 0o777, 0o600);
        }
        let other = tempfile::tempdir().expect("tempdir");
        let from_env = ensure_first_admin(&UserFile::path(other.path()), Some("from the environment"));
        assert_eq!(
            from_env.expect("made"),
            Some(FirstAdmin { password: "from the environment".into(), generated: false })
        );
        assert!(ensure_first_admin(&UserFile::path(tempfile::tempdir().expect("dir").path()), Some("short")).is_err());
    }
}
