//! `POST /ingest/v1/{project_key}`: the public intake.
//!
//! Order of checks, cheapest first: project key and `Origin` (403, same answer
//! for both), a permit among `intake.max_concurrent_beacons` held until the answer
//! (503 `overloaded` when none is free), rate limits (429), media type and encoding
//! (415), declared length (413 before reading), the body read with a size cap and a
//! deadline (413/408), capped decompression and the ingest pipeline (400 with a
//! reason) once one of `intake.max_parallel_processing` permits is free, and the
//! durable store append (503 when storage cannot take it). Only then 202.

mod body;
mod cors;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sightline_ingest::decode::{Encoding, decompress};
use sightline_ingest::enrich::user_agent::HintHeaders;
use sightline_ingest::privacy::client_ip::client_ip;
use sightline_ingest::{Outcomes, ProcessedBatch, Reason, Rejection, RequestMeta};
use sightline_protocol::EventRecord;
use sightline_store::StoreError;

use crate::error::error_response;
use crate::metrics::EventLabels;
use crate::rate_limit::retry_after_secs;
use crate::state::{AppState, ProjectEntry};

pub(crate) use cors::preflight;

/// Project label for beacons whose key matched no project.
const UNKNOWN_PROJECT: &str = "(unknown)";

/// The 202 body.
#[derive(Debug, Serialize)]
struct Accepted {
    accepted: usize,
    dropped: u64,
}

/// Handles one beacon.
pub(crate) async fn ingest(
    State(state): State<Arc<AppState>>,
    Path(project_key): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let origin = headers.get(header::ORIGIN).cloned();
    let Some(project) = state.projects.authorize(&project_key, origin.as_ref()) else {
        state.metrics.outcome(UNKNOWN_PROJECT, Reason::Forbidden).inc();
        return forbidden();
    };
    let project_id = project.project.config.id.as_str();
    let client = client_ip(peer.ip(), forwarded_for(&headers).as_deref(), &state.intake.trusted_proxies);
    // Bounds the bodies held in memory and the work under way, whatever the clients send.
    let answer = match state.beacons_in_flight.try_acquire() {
        Ok(_permit) => receive(&state, &project, client, query.as_deref(), &headers, body).await,
        Err(_) => Err(Refusal {
            rejection: Rejection::new(Reason::Overloaded, "too many beacons in flight: retry after Retry-After"),
            retry_after: Some(1),
            // The body is not read: closing spares both sides its transfer.
            close: true,
        }),
    };
    let mut response = match answer {
        Ok(response) => response,
        Err(Refusal { rejection, retry_after, close }) => {
            state.metrics.outcome(project_id, rejection.reason).inc();
            state.outcome_history.record_rejection(project_id, rejection.reason, now_ms());
            let mut response = error_response(rejection.reason, rejection.detail);
            if let Some(seconds) = retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            if close {
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
    };
    cors::allow(response.headers_mut(), origin);
    response
}

/// A refused beacon: the reason, and how the client should back off.
#[derive(Debug)]
struct Refusal {
    rejection: Rejection,
    retry_after: Option<u64>,
    /// Close the connection: the body was not (completely) read.
    close: bool,
}

impl From<Rejection> for Refusal {
    fn from(rejection: Rejection) -> Self {
        Self { rejection, retry_after: None, close: false }
    }
}

async fn receive(
    state: &Arc<AppState>,
    project: &Arc<ProjectEntry>,
    client: IpAddr,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Refusal> {
    let config = &project.project.config;
    rate_limit(state, project, client)?;
    check_media_type(headers)?;
    let encoding = encoding(headers, query)?;
    let raw = body::read_capped(body, headers, &state.intake).await.map_err(|rejection| {
        if rejection.reason == Reason::RequestTimeout {
            state.metrics.slow_clients.inc();
        }
        Refusal { rejection, retry_after: None, close: true }
    })?;
    let labels = crate::metrics::ProjectLabels { project: config.id.clone() };
    state.metrics.intake_bytes.get_or_create(&labels).inc_by(raw.len() as u64);
    // CPU-bound work waits for one of `max_parallel_processing` permits, whichever path it takes.
    let permit = Arc::clone(&state.processing).acquire_owned().await.map_err(|_| internal_error())?;
    let inline = inline_work(state, project, client, headers, &raw, encoding);
    let batch = if let Some(batch) = inline {
        drop(permit);
        batch?
    } else {
        // Inflating megabytes and cleaning hundreds of events would stall other connections.
        // The permit moves along, so it is held until the work ends even if this request is dropped.
        let (state, project, headers) = (Arc::clone(state), Arc::clone(project), headers.clone());
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let decompressed = decompress(&raw, encoding, state.intake.max_decompressed_bytes)?;
            process(&state, &project, client, &headers, &decompressed)
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "beacon processing panicked");
            internal_error()
        })??
    };
    state.metrics.record_outcomes(&config.id, &batch.outcomes);
    state.outcome_history.record(&config.id, 0, &batch.outcomes, now_ms());

    let accepted = batch.records.len();
    store(state, &config.id, batch.records).await?;
    state.outcome_history.record(&config.id, accepted as u64, &Outcomes::default(), now_ms());
    state.metrics.beacons_accepted.get_or_create(&labels).inc();
    let body = Accepted { accepted, dropped: batch.outcomes.dropped_events() };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// Bodies whose JSON is at most this large are processed on the async worker (a beacon of
/// about 20 events: tens of microseconds); larger ones go to the blocking pool, which costs
/// two thread hand-offs per beacon.
const INLINE_WORK_BYTES: usize = 32 * 1024;
/// Compressed bodies up to this size are inflated on the async worker, at most to
/// [`INLINE_WORK_BYTES`]: one that inflates further goes to the blocking pool.
const INLINE_COMPRESSED_BYTES: usize = 8 * 1024;

/// Processes a small beacon on the async worker; `None` when it is too large for that.
fn inline_work(
    state: &AppState,
    project: &ProjectEntry,
    client: IpAddr,
    headers: &HeaderMap,
    raw: &[u8],
    encoding: Encoding,
) -> Option<Result<ProcessedBatch, Rejection>> {
    let small = match encoding {
        Encoding::Identity => raw.len() <= INLINE_WORK_BYTES,
        Encoding::Gzip | Encoding::Deflate => raw.len() <= INLINE_COMPRESSED_BYTES,
    };
    if !small {
        return None;
    }
    let cap = INLINE_WORK_BYTES.min(state.intake.max_decompressed_bytes);
    match decompress(raw, encoding, cap) {
        Ok(decompressed) => Some(process(state, project, client, headers, &decompressed)),
        Err(rejection) if rejection.reason == Reason::PayloadTooLarge => None,
        Err(rejection) => Some(Err(rejection)),
    }
}

fn internal_error() -> Rejection {
    Rejection::new(Reason::InternalError, "the server failed to process this beacon")
}

/// Runs the pipeline on a decompressed body: pure CPU work.
fn process(
    state: &AppState,
    project: &ProjectEntry,
    client: IpAddr,
    headers: &HeaderMap,
    decompressed: &[u8],
) -> Result<ProcessedBatch, Rejection> {
    let labels = crate::metrics::ProjectLabels { project: project.project.config.id.clone() };
    state.metrics.intake_decompressed_bytes.get_or_create(&labels).inc_by(decompressed.len() as u64);
    let started = Instant::now();
    let cdn_geo = state
        .intake
        .trust_cdn_headers
        .then(|| state.intake.cdn_geo_headers.locate(|name| header_str(headers, name)))
        .flatten();
    let request = RequestMeta {
        received_at_ms: now_ms(),
        client_ip: Some(client),
        user_agent: header_str(headers, "user-agent").unwrap_or(""),
        hint_headers: hint_headers(headers),
        cdn_geo: cdn_geo.as_ref(),
        do_not_track: header_str(headers, "dnt") == Some("1") || header_str(headers, "sec-gpc") == Some("1"),
    };
    let batch = state.pipeline.process(&project.project, &request, decompressed)?;
    state.metrics.pipeline_latency.observe(started.elapsed().as_secs_f64());
    Ok(batch)
}

fn rate_limit(state: &AppState, project: &ProjectEntry, client: IpAddr) -> Result<(), Refusal> {
    let now = Instant::now();
    let waited = state.ip_limiter.check(client, now).and_then(|()| project.limiter.check(now));
    waited.map_err(|wait| Refusal {
        rejection: Rejection::new(Reason::RateLimited, "too many beacons: retry after the time in Retry-After"),
        retry_after: Some(retry_after_secs(wait)),
        close: false,
    })
}

async fn store(state: &AppState, project_id: &str, records: Vec<EventRecord>) -> Result<(), Refusal> {
    if records.is_empty() {
        return Ok(());
    }
    let kinds: Vec<_> = records.iter().map(|r| r.body.kind()).collect();
    let started = Instant::now();
    let result = state.store.append(records).await;
    state.metrics.store_latency.observe(started.elapsed().as_secs_f64());
    state.store_health();
    if let Err(error) = result {
        let retry_after = if matches!(error, StoreError::QueueFull) {
            // Back-pressure, not a fault: one line per refused beacon would flood the log.
            tracing::debug!(project = project_id, "beacon refused: the store's write queue is full");
            1
        } else if matches!(error, StoreError::Unavailable(_)) {
            // A lasting state (flushes failing or behind) that the maintenance task logs and
            // /readyz reports: one line per refused beacon would flood the log.
            tracing::debug!(%error, project = project_id, "beacon refused: the store's buffer is full");
            5
        } else {
            tracing::warn!(%error, project = project_id, "beacon refused: storage unavailable");
            5
        };
        return Err(Refusal {
            rejection: Rejection::new(Reason::StorageUnavailable, "storage cannot take data right now: retry later"),
            retry_after: Some(retry_after),
            close: false,
        });
    }
    for kind in kinds {
        let labels = EventLabels { project: project_id.to_owned(), kind: kind.as_str() };
        state.metrics.events_accepted.get_or_create(&labels).inc();
    }
    Ok(())
}

/// `application/json`, `text/plain` (sendBeacon), or no type at all are accepted.
fn check_media_type(headers: &HeaderMap) -> Result<(), Rejection> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/json" | "text/plain" | "" => Ok(()),
        _ => Err(Rejection::new(
            Reason::UnsupportedMediaType,
            "send beacons as application/json or text/plain (sendBeacon)",
        )),
    }
}

/// `Content-Encoding` wins; the `encoding` query flag serves bodies compressed by
/// `CompressionStream`, which `sendBeacon` cannot label.
fn encoding(headers: &HeaderMap, query: Option<&str>) -> Result<Encoding, Rejection> {
    if let Some(value) = headers.get(header::CONTENT_ENCODING) {
        return Encoding::parse(value.to_str().unwrap_or("?"));
    }
    let flag = query.into_iter().flat_map(|q| q.split('&')).find_map(|pair| pair.strip_prefix("encoding="));
    flag.map_or(Ok(Encoding::Identity), Encoding::parse)
}

/// Every `X-Forwarded-For` line joined in order: a proxy may add its own line instead of
/// appending, and reading only the first line would then believe what the client sent.
fn forwarded_for(headers: &HeaderMap) -> Option<String> {
    let lines: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| std::str::from_utf8(value.as_bytes()).ok())
        .collect();
    (!lines.is_empty()).then(|| lines.join(","))
}

fn hint_headers(headers: &HeaderMap) -> HintHeaders<'_> {
    HintHeaders {
        sec_ch_ua: header_str(headers, "sec-ch-ua"),
        sec_ch_ua_mobile: header_str(headers, "sec-ch-ua-mobile"),
        sec_ch_ua_platform: header_str(headers, "sec-ch-ua-platform"),
        sec_ch_ua_platform_version: header_str(headers, "sec-ch-ua-platform-version"),
        sec_ch_ua_model: header_str(headers, "sec-ch-ua-model"),
    }
}

/// A header as text; headers that are not UTF-8 count as absent.
fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| std::str::from_utf8(value.as_bytes()).ok())
}

fn forbidden() -> Response {
    let mut response =
        error_response(Reason::Forbidden, "unknown or disabled project key, or an Origin this project does not allow");
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
