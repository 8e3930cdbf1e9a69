//! `GET /api/v1/outcomes`: ingest health of one project over time, from the server's
//! per-minute [`OutcomeHistory`](crate::outcome_history::OutcomeHistory) (the last 48 h).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query as Params, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use sightline_ingest::OutcomeCategory;
use sightline_query::Timestamp;

use super::auth;
use super::error::ApiError;
use crate::outcome_history::{KEPT_MS, MINUTE_MS, Minute, category_of};
use crate::state::AppState;

/// The query string of `/api/v1/outcomes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeParams {
    /// The project (as for every other endpoint).
    project: Option<String>,
    /// Start, RFC 3339 or epoch milliseconds; default 24 hours before `to`.
    from: Option<String>,
    /// End (excluded), RFC 3339 or epoch milliseconds; default now.
    to: Option<String>,
    /// Minutes per bucket, 1 to 1440; default 1.
    bucket_minutes: Option<u32>,
}

/// The answer: buckets that counted something, oldest first, and their sum.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct OutcomeSeries {
    /// The project.
    pub project: String,
    /// Start of the range (RFC 3339, UTC), rounded down to a bucket.
    pub from: String,
    /// End of the range, excluded.
    pub to: String,
    /// Minutes per bucket.
    pub bucket_minutes: u32,
    /// The buckets in which anything was counted, in time order (absent buckets counted nothing).
    pub buckets: Vec<OutcomeBucket>,
    /// All buckets added up.
    pub totals: OutcomeCounts,
}

/// One bucket.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct OutcomeBucket {
    /// Its start (RFC 3339, UTC).
    pub start: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: OutcomeCounts,
}

/// What the intake did, by outcome and reason code (`docs/protocol.md` lists the reasons).
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct OutcomeCounts {
    /// Events stored.
    pub accepted: u64,
    /// Beacons refused whole (4xx/5xx), by reason: nothing of them was stored.
    pub rejected: BTreeMap<String, u64>,
    /// Events received but not stored (bots, consent, invalid…), by reason.
    pub dropped: BTreeMap<String, u64>,
    /// Stored events that had a part removed or shortened, by reason (items).
    pub trimmed: BTreeMap<String, u64>,
    /// Values replaced by `(other)` by the cardinality guard, by reason.
    pub folded: BTreeMap<String, u64>,
}

impl OutcomeCounts {
    fn add(&mut self, minute: &Minute) {
        self.accepted += minute.accepted;
        for (code, count) in &minute.reasons {
            let map = match category_of(code) {
                Some(OutcomeCategory::Rejected) => &mut self.rejected,
                Some(OutcomeCategory::Dropped) => &mut self.dropped,
                Some(OutcomeCategory::Trimmed) => &mut self.trimmed,
                Some(OutcomeCategory::Folded) => &mut self.folded,
                None => continue,
            };
            *map.entry(code.clone()).or_default() += count;
        }
    }
}

/// `GET /api/v1/outcomes?project=…&from=…&to=…&bucket_minutes=…`.
pub async fn outcomes(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    params: Result<Params<OutcomeParams>, QueryRejection>,
) -> Result<Json<OutcomeSeries>, ApiError> {
    let grant = auth::grant(&state, &headers)?;
    let Params(params) = params.map_err(|rejection| ApiError::InvalidRequest(rejection.body_text()))?;
    let project = auth::project(&state, &grant, params.project.as_deref())?;
    let bucket_minutes = params.bucket_minutes.unwrap_or(1);
    if !(1..=1440).contains(&bucket_minutes) {
        return Err(ApiError::InvalidRequest("bucket_minutes must be between 1 and 1440".into()));
    }
    let bucket_ms = i64::from(bucket_minutes) * MINUTE_MS;
    let to = params.to.as_deref().map(|text| parse_time("to", text)).transpose()?.unwrap_or_else(now_ms);
    let from = params.from.as_deref().map(|text| parse_time("from", text)).transpose()?.unwrap_or(to - KEPT_MS / 2);
    if from >= to {
        return Err(ApiError::InvalidRequest("`from` must be before `to`".into()));
    }
    let from = from - from.rem_euclid(bucket_ms);
    let mut buckets: Vec<OutcomeBucket> = Vec::new();
    let mut totals = OutcomeCounts::default();
    for minute in state.outcome_history.minutes(&project, from, to) {
        let start = minute.start_ms - minute.start_ms.rem_euclid(bucket_ms);
        let start_text = Timestamp(start).to_string();
        if buckets.last().is_none_or(|bucket| bucket.start != start_text) {
            buckets.push(OutcomeBucket { start: start_text, counts: OutcomeCounts::default() });
        }
        if let Some(bucket) = buckets.last_mut() {
            bucket.counts.add(&minute);
        }
        totals.add(&minute);
    }
    let (from, to) = (Timestamp(from).to_string(), Timestamp(to).to_string());
    Ok(Json(OutcomeSeries { project, from, to, bucket_minutes, buckets, totals }))
}

/// RFC 3339 or epoch milliseconds, as the query API reads times.
fn parse_time(name: &str, text: &str) -> Result<i64, ApiError> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    Timestamp::parse(text).map(Timestamp::ms).map_err(|error| ApiError::InvalidRequest(format!("{name}: {error}")))
}

fn now_ms() -> i64 {
    super::users::epoch_ms(std::time::SystemTime::now())
}
