//! `/healthz`, `/readyz` and `/metrics`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::AppState;

/// The process is alive.
pub(crate) async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// The server can accept beacons: storage takes writes.
pub(crate) async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let health = state.store_health();
    if health.writable {
        return Json(json!({ "status": "ready" })).into_response();
    }
    let body = json!({ "status": "unavailable", "reason": health.last_error.unwrap_or_default() });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

/// Prometheus text exposition.
pub(crate) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    state.store_health();
    ([(header::CONTENT_TYPE, content_type)], state.metrics.encode()).into_response()
}
