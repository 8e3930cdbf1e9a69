//! The API's handlers: thin, each reads its input, asks [`super::auth`] and answers.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query as Params, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sightline_query::{Query, QueryError, QueryResult, SqlLimits, SqlResult};
use tokio::sync::SemaphorePermit;

use super::error::ApiError;
use super::executor::Interrupted;
use super::{Api, QuerySessions, auth};
use crate::state::AppState;

/// The query string of `/api/v1/query` and `/api/v1/sql`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectParam {
    /// The project to read, for a token that reads every project.
    project: Option<String>,
}

/// `POST /api/v1/query`: a [`Query`] in, its [`QueryResult`] out.
pub async fn query(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    params: Result<Params<ProjectParam>, QueryRejection>,
    body: Body,
) -> Result<Json<QueryResult>, ApiError> {
    let grant = auth::grant(&state, &headers)?;
    let params = params.map_err(|rejection| ApiError::InvalidRequest(rejection.body_text()))?;
    let project = auth::project(&state, &grant, params.project.as_deref())?;
    let api = state.api.as_ref().ok_or(ApiError::StoreUnavailable)?;
    let bytes = read_body(api, &headers, body).await?;
    let query: Query = serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::InvalidQuery(format!("the body is not a valid query: {error}")))?;
    // Refused before it takes a permit or a thread: an invalid query reads nothing.
    query.validate().map_err(|error| ApiError::InvalidQuery(error.to_string()))?;
    let _slot = query_slot(api).await?;
    let sessions = api.sessions.clone();
    let limit = api.config.query_timeout();
    let started = std::time::Instant::now();
    let answer = api
        .executor
        .run(limit, async move {
            let context = sessions.open()?;
            sightline_query::execute(&context, &project, &query).await.map_err(|error| query_error(error, &sessions))
        })
        .await;
    let elapsed_ms = started.elapsed().as_millis();
    let memory_in_use = api.sessions.memory_in_use();
    match answer {
        Ok(Ok(result)) => {
            tracing::debug!(token = %grant.name, elapsed_ms, memory_in_use, "query answered");
            Ok(Json(result))
        }
        Ok(Err(error)) => {
            tracing::debug!(token = %grant.name, elapsed_ms, memory_in_use, code = error.code(), "query refused");
            Err(error)
        }
        Err(Interrupted::TimedOut) => {
            tracing::warn!(token = %grant.name, elapsed_ms, "query cancelled at its time limit");
            Err(ApiError::Timeout(api.config.query_timeout_secs))
        }
        Err(Interrupted::Failed) => Err(ApiError::Internal),
    }
}

/// The body of `POST /api/v1/sql`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SqlRequest {
    /// One read-only statement (`SELECT …` or `WITH … SELECT …`, DataFusion SQL) over the
    /// event tables `view`, `vital`, `error`, `request`, `resource`, `long_animation_frame`,
    /// `action` and `custom`, which hold the request's project only.
    pub sql: String,
    /// At most this many rows (and never more than the server's `api.sql_max_rows`).
    #[serde(default)]
    pub max_rows: Option<usize>,
}

/// `POST /api/v1/sql`: one read-only SQL statement over the project's events.
pub async fn sql(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    params: Result<Params<ProjectParam>, QueryRejection>,
    body: Body,
) -> Result<Json<SqlResult>, ApiError> {
    let grant = auth::grant(&state, &headers)?;
    let params = params.map_err(|rejection| ApiError::InvalidRequest(rejection.body_text()))?;
    let project = auth::project(&state, &grant, params.project.as_deref())?;
    let api = state.api.as_ref().ok_or(ApiError::StoreUnavailable)?;
    let bytes = read_body(api, &headers, body).await?;
    let request: SqlRequest = serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::InvalidQuery(format!("the body is not {{\"sql\": \"SELECT …\"}}: {error}")))?;
    let max_rows = request.max_rows.unwrap_or(api.config.sql_max_rows).min(api.config.sql_max_rows);
    // The engine's own limit is a little longer, so that the API's (504) is the one that fires.
    let limits = SqlLimits { timeout: api.config.query_timeout() + std::time::Duration::from_secs(1), max_rows };
    let _slot = query_slot(api).await?;
    let sessions = api.sessions.clone();
    let answer = api
        .executor
        .run(api.config.query_timeout(), async move {
            let context = sessions.open()?;
            sightline_query::execute_sql(&context, &project, &request.sql, limits)
                .await
                .map_err(|error| query_error(error, &sessions))
        })
        .await;
    match answer {
        Ok(result) => result.map(Json),
        Err(Interrupted::TimedOut) => Err(ApiError::Timeout(api.config.query_timeout_secs)),
        Err(Interrupted::Failed) => Err(ApiError::Internal),
    }
}

/// One of the `api.max_concurrent_queries` slots, waiting up to `api.queue_wait_ms` for it:
/// a dashboard page asks several questions at once, and a burst should queue, not fail.
async fn query_slot(api: &Api) -> Result<SemaphorePermit<'_>, ApiError> {
    // A free slot is taken at once, even with no wait: the timeout polls before it expires.
    match tokio::time::timeout(api.config.queue_wait(), api.running.acquire()).await {
        Ok(Ok(slot)) => Ok(slot),
        // Past the wait, or the semaphore closed (it never is).
        Ok(Err(_)) | Err(_) => Err(ApiError::Overloaded),
    }
}

/// The API's error for a query's, which ran in a session of `sessions`.
fn query_error(error: QueryError, sessions: &QuerySessions) -> ApiError {
    match error {
        QueryError::Invalid { .. } => ApiError::InvalidQuery(error.to_string()),
        QueryError::OutOfMemory(detail) => {
            let memory_mib = sessions.memory_mib();
            tracing::warn!(%detail, memory_mib, "query out of memory");
            ApiError::OutOfMemory(memory_mib)
        }
        other => {
            tracing::error!(error = %other, code = other.code(), "query failed");
            ApiError::Internal
        }
    }
}

/// The body, at most `api.max_body_bytes`: a declared length over it is refused unread.
async fn read_body(api: &Api, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let limit = api.config.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    axum::body::to_bytes(body, limit).await.map_err(|_| ApiError::PayloadTooLarge(limit))
}

/// `GET /api/v1/openapi.json`: the API's description, public.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], super::openapi::document_text()).into_response()
}

/// Any other path under `/api/v1`.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}
