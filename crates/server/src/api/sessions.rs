//! Dashboard sessions, kept by the server: the cookie holds 32 random bytes (base64url);
//! the server keeps only their SHA-256, with the user, when the session began and when it
//! was last used. A session ends after 12 hours unused or 7 days in all, at logout, when its
//! user is deleted, or when the user's password changes.
//!
//! Sessions live in memory and in `<data_dir>/sessions.json` (mode 0600, replaced
//! atomically): written at once when one begins or ends, and with the latest use times by
//! [`SessionStore::save_if_changed`] (every minute and at shutdown), so a restart logs no
//! one out.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use base64::Engine as _;
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::private_file::{read_optional, write_private};

/// The file's name inside the data directory.
pub const FILE_NAME: &str = "sessions.json";
/// A session unused this long ends.
pub const IDLE_MS: i64 = 12 * 3_600_000;
/// A session ends this long after it began, used or not.
pub const ABSOLUTE_MS: i64 = 7 * 24 * 3_600_000;
/// Sessions kept at most; past it the least recently used one ends.
const MAX_SESSIONS: usize = 10_000;

/// One session, as kept (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// Hex SHA-256 of the cookie's value.
    pub sha256: String,
    /// Who logged in.
    pub user: String,
    /// When it began, epoch milliseconds.
    pub created_ms: i64,
    /// When it was last used, epoch milliseconds.
    pub last_used_ms: i64,
}

impl Session {
    /// When it ends unless used again, epoch milliseconds.
    pub fn expires_ms(&self) -> i64 {
        (self.last_used_ms + IDLE_MS).min(self.created_ms + ABSOLUTE_MS)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    version: u32,
    sessions: Vec<Session>,
}

/// Every live session.
#[derive(Debug)]
pub struct SessionStore {
    path: Option<PathBuf>,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_hash: HashMap<String, Session>,
    changed: bool,
}

impl SessionStore {
    /// Sessions kept in memory only (tests, or no data directory).
    pub fn in_memory() -> Self {
        Self { path: None, inner: Mutex::default() }
    }

    /// The sessions of `path`, ended ones left out; a missing or unreadable file is none.
    pub fn open(path: PathBuf, now_ms: i64) -> Self {
        let file = match read_optional(&path) {
            Ok(Some(text)) => serde_json::from_str::<SessionFile>(&text).unwrap_or_else(|error| {
                tracing::warn!(%error, path = %path.display(), "sessions not read: everyone logs in again");
                SessionFile::default()
            }),
            Ok(None) => SessionFile::default(),
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "sessions not read: everyone logs in again");
                SessionFile::default()
            }
        };
        let by_hash = file
            .sessions
            .into_iter()
            .filter(|session| session.expires_ms() > now_ms)
            .map(|session| (session.sha256.clone(), session))
            .collect();
        Self { path: Some(path), inner: Mutex::new(Inner { by_hash, changed: false }) }
    }

    /// Begins a session for `user` and returns the cookie's value (shown to no one else).
    pub fn create(&self, user: &str, now_ms: i64) -> (String, Session) {
        let mut secret = [0u8; 32];
        rand::rng().fill(&mut secret);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
        let session =
            Session { sha256: digest(&token), user: user.to_owned(), created_ms: now_ms, last_used_ms: now_ms };
        {
            let mut inner = self.lock();
            inner.by_hash.retain(|_, session| session.expires_ms() > now_ms);
            if inner.by_hash.len() >= MAX_SESSIONS {
                let oldest = inner.by_hash.values().min_by_key(|s| s.last_used_ms).map(|s| s.sha256.clone());
                if let Some(oldest) = oldest {
                    inner.by_hash.remove(&oldest);
                }
            }
            inner.by_hash.insert(session.sha256.clone(), session.clone());
        }
        self.save();
        (token, session)
    }

    /// The live session of the cookie value `token`, marked as used now.
    pub fn touch(&self, token: &str, now_ms: i64) -> Option<Session> {
        let hash = digest(token);
        let mut inner = self.lock();
        let session = inner.by_hash.get_mut(&hash)?;
        if session.expires_ms() <= now_ms {
            inner.by_hash.remove(&hash);
            inner.changed = true;
            return None;
        }
        session.last_used_ms = now_ms;
        let session = session.clone();
        inner.changed = true;
        Some(session)
    }

    /// Ends the session of the cookie value `token`; false when there was none.
    pub fn end(&self, token: &str) -> bool {
        let ended = self.lock().by_hash.remove(&digest(token)).is_some();
        if ended {
            self.save();
        }
        ended
    }

    /// Writes the file when a session was used or ended since the last write.
    pub fn save_if_changed(&self) {
        if std::mem::take(&mut self.lock().changed) {
            self.save();
        }
    }

    /// Live sessions.
    pub fn len(&self) -> usize {
        self.lock().by_hash.len()
    }

    /// Whether there is no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn save(&self) {
        let Some(path) = &self.path else {
            return;
        };
        let text = {
            let mut inner = self.lock();
            inner.changed = false;
            let mut sessions: Vec<Session> = inner.by_hash.values().cloned().collect();
            sessions.sort_by(|a, b| a.created_ms.cmp(&b.created_ms).then_with(|| a.sha256.cmp(&b.sha256)));
            serde_json::to_string_pretty(&SessionFile { version: 1, sessions }).unwrap_or_default()
        };
        if let Err(error) = write_private(path, &text) {
            tracing::warn!(%error, path = %path.display(), "sessions not saved: a restart would log users out");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Hex SHA-256 of a cookie value.
fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_when_idle_or_old_and_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        let store = SessionStore::open(path.clone(), 0);
        let (token, session) = store.create("admin", 1_000);
        assert_eq!(token.len(), 43, "32 bytes of base64url: {token}");
        assert!(!std::fs::read_to_string(&path).expect("saved").contains(&token), "only the hash is kept");
        assert_eq!(session.expires_ms(), 1_000 + IDLE_MS);
        assert!(store.touch(&token, 1_000 + IDLE_MS - 1).is_some());
        store.save_if_changed();

        let reopened = SessionStore::open(path, 2_000);
        assert_eq!(reopened.touch(&token, 2 * IDLE_MS - 2).map(|s| s.user), Some("admin".into()));
        assert_eq!(reopened.touch(&token, 2 * IDLE_MS + IDLE_MS), None, "idle too long");

        let (token, _) = store.create("admin", 0);
        let mut now = 0;
        while now + IDLE_MS / 2 < ABSOLUTE_MS {
            now += IDLE_MS / 2;
            assert!(store.touch(&token, now).is_some(), "used every 6 h");
        }
        assert!(store.touch(&token, ABSOLUTE_MS).is_none(), "seven days at most");
        assert!(!store.end("nothing"));
    }
}
