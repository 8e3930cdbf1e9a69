//! CORS for browsers posting beacons from the customer's origin.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sightline_ingest::Reason;

use super::{UNKNOWN_PROJECT, forbidden};
use crate::state::AppState;

/// Adds the headers that let the page read the answer (including `Retry-After`).
pub(super) fn allow(headers: &mut HeaderMap, origin: Option<HeaderValue>) {
    let Some(origin) = origin else {
        return;
    };
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Retry-After"));
}

/// `OPTIONS /ingest/v1/{project_key}`: answered without touching the body, cached by the browser.
pub(crate) async fn preflight(
    State(state): State<Arc<AppState>>,
    Path(project_key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let origin = headers.get(header::ORIGIN).cloned();
    if state.projects.authorize(&project_key, origin.as_ref()).is_none() {
        state.metrics.outcome(UNKNOWN_PROJECT, Reason::Forbidden).inc();
        return forbidden();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let response_headers = response.headers_mut();
    allow(response_headers, origin);
    response_headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST, OPTIONS"));
    response_headers
        .insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Content-Type, Content-Encoding"));
    response_headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(state.intake.cors_max_age_secs));
    response
}
