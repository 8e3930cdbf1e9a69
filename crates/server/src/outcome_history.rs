//! Ingest health over time: per project and minute, the events stored and every outcome
//! by reason (beacons rejected; events dropped; fields trimmed; values folded), for the
//! last 48 hours. The dashboard's "Ingest health" page reads it through
//! `GET /api/v1/outcomes`; `/metrics` has the same counts as totals since the start.
//!
//! It lives in memory (one small map per project and minute) and in
//! `<data_dir>/outcomes.json`, written every minute when it changed and at shutdown, so a
//! restart keeps the history.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use sightline_ingest::{OutcomeCategory, Outcomes, Reason};

/// The file's name inside the data directory.
pub const FILE_NAME: &str = "outcomes.json";
/// One minute, milliseconds.
pub const MINUTE_MS: i64 = 60_000;
/// How long minutes are kept.
pub const KEPT_MS: i64 = 48 * 3_600_000;

/// One minute of one project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Minute {
    /// Its start, epoch milliseconds (a multiple of 60 000).
    pub start_ms: i64,
    /// Events stored.
    pub accepted: u64,
    /// Counts by reason code.
    pub reasons: BTreeMap<String, u64>,
}

/// Per-minute outcomes of every project.
#[derive(Debug)]
pub struct OutcomeHistory {
    path: Option<PathBuf>,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    projects: HashMap<String, VecDeque<Minute>>,
    changed: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryFile {
    version: u32,
    projects: BTreeMap<String, Vec<Minute>>,
}

impl Default for OutcomeHistory {
    fn default() -> Self {
        Self::in_memory()
    }
}

impl OutcomeHistory {
    /// A history kept in memory only.
    pub fn in_memory() -> Self {
        Self { path: None, inner: Mutex::default() }
    }

    /// The history of `path` (minutes older than 48 h left out); a missing or unreadable
    /// file starts an empty one.
    pub fn open(path: PathBuf, now_ms: i64) -> Self {
        let file = match crate::api::private_file::read_optional(&path) {
            Ok(Some(text)) => serde_json::from_str::<HistoryFile>(&text).unwrap_or_else(|error| {
                tracing::warn!(%error, path = %path.display(), "outcome history not read: it starts empty");
                HistoryFile::default()
            }),
            Ok(None) => HistoryFile::default(),
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "outcome history not read: it starts empty");
                HistoryFile::default()
            }
        };
        let oldest = minute_of(now_ms) - KEPT_MS;
        let projects = file
            .projects
            .into_iter()
            .map(|(project, mut minutes)| {
                minutes.retain(|minute| minute.start_ms > oldest && minute.start_ms % MINUTE_MS == 0);
                minutes.sort_by_key(|minute| minute.start_ms);
                minutes.dedup_by_key(|minute| minute.start_ms);
                (project, VecDeque::from(minutes))
            })
            .collect();
        Self { path: Some(path), inner: Mutex::new(Inner { projects, changed: false }) }
    }

    /// Counts `accepted` stored events and `outcomes` for `project` at `now_ms`.
    pub fn record(&self, project: &str, accepted: u64, outcomes: &Outcomes, now_ms: i64) {
        if accepted == 0 && outcomes.is_empty() {
            return;
        }
        self.with_minute(project, now_ms, |minute| {
            minute.accepted += accepted;
            for (reason, count) in outcomes.iter() {
                *minute.reasons.entry(reason.as_str().to_owned()).or_default() += count;
            }
        });
    }

    /// Counts one rejected beacon of `project`.
    pub fn record_rejection(&self, project: &str, reason: Reason, now_ms: i64) {
        self.with_minute(project, now_ms, |minute| {
            *minute.reasons.entry(reason.as_str().to_owned()).or_default() += 1;
        });
    }

    fn with_minute(&self, project: &str, now_ms: i64, change: impl FnOnce(&mut Minute)) {
        let start_ms = minute_of(now_ms);
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.changed = true;
        if !inner.projects.contains_key(project) {
            inner.projects.insert(project.to_owned(), VecDeque::new());
        }
        let Some(minutes) = inner.projects.get_mut(project) else {
            return;
        };
        while minutes.front().is_some_and(|minute| minute.start_ms <= start_ms - KEPT_MS) {
            minutes.pop_front();
        }
        // Minutes are appended in order; a clock step back lands in the minute it names.
        let position = minutes.iter().rposition(|minute| minute.start_ms <= start_ms);
        match position {
            Some(index) if minutes[index].start_ms == start_ms => change(&mut minutes[index]),
            _ => {
                let mut minute = Minute { start_ms, ..Minute::default() };
                change(&mut minute);
                minutes.insert(position.map_or(0, |index| index + 1), minute);
            }
        }
    }

    /// The minutes of `project` that start within `[from_ms, to_ms)`, in order.
    pub fn minutes(&self, project: &str, from_ms: i64, to_ms: i64) -> Vec<Minute> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(minutes) = inner.projects.get(project) else {
            return Vec::new();
        };
        minutes.iter().filter(|minute| minute.start_ms >= from_ms && minute.start_ms < to_ms).cloned().collect()
    }

    /// Writes the file when something was counted since the last write.
    pub fn save_if_changed(&self) {
        let Some(path) = &self.path else {
            return;
        };
        let text = {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            if !std::mem::take(&mut inner.changed) {
                return;
            }
            let projects = inner
                .projects
                .iter()
                .map(|(project, minutes)| (project.clone(), minutes.iter().cloned().collect()))
                .collect();
            serde_json::to_string(&HistoryFile { version: 1, projects }).unwrap_or_default()
        };
        if let Err(error) = crate::api::private_file::write_private(path, &text) {
            tracing::warn!(%error, path = %path.display(), "outcome history not saved");
        }
    }
}

/// The category of a reason code, for a client that groups them.
pub fn category_of(code: &str) -> Option<OutcomeCategory> {
    Reason::ALL.iter().find(|reason| reason.as_str() == code).map(|reason| reason.category())
}

fn minute_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(MINUTE_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_count_and_survive_a_reopen_and_age_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        let history = OutcomeHistory::open(path.clone(), 0);
        let mut outcomes = Outcomes::default();
        outcomes.add(Reason::Bot, 3);
        let t0 = 1_000 * MINUTE_MS;
        history.record("shop", 5, &outcomes, t0 + 10);
        history.record("shop", 2, &Outcomes::default(), t0 + 59_999);
        history.record_rejection("shop", Reason::RateLimited, t0 + MINUTE_MS);
        history.record("shop", 1, &Outcomes::default(), t0 - MINUTE_MS);
        let minutes = history.minutes("shop", 0, i64::MAX);
        let starts: Vec<i64> = minutes.iter().map(|m| m.start_ms).collect();
        assert_eq!(starts, [t0 - MINUTE_MS, t0, t0 + MINUTE_MS]);
        assert_eq!((minutes[1].accepted, minutes[1].reasons.get("bot")), (7, Some(&3)));
        assert_eq!(minutes[2].reasons.get("rate_limited"), Some(&1));
        history.save_if_changed();

        let reopened = OutcomeHistory::open(path, t0 + 2 * MINUTE_MS);
        assert_eq!(reopened.minutes("shop", 0, i64::MAX), minutes);
        assert!(reopened.minutes("blog", 0, i64::MAX).is_empty());
        reopened.record("shop", 1, &Outcomes::default(), t0 + KEPT_MS);
        let kept = reopened.minutes("shop", 0, i64::MAX);
        assert_eq!(kept.len(), 2, "older than 48 h are gone: {kept:?}");
        assert_eq!(category_of("bot"), Some(OutcomeCategory::Dropped));
    }
}
