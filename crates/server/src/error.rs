//! The one place where outcome reasons become HTTP answers.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sightline_ingest::Reason;

/// The HTTP status for a refused beacon.
pub fn status_for(reason: Reason) -> StatusCode {
    match reason {
        Reason::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Reason::UnsupportedMediaType | Reason::UnsupportedEncoding => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Reason::Forbidden | Reason::HostNotAllowed => StatusCode::FORBIDDEN,
        Reason::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Reason::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        Reason::StorageUnavailable | Reason::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
        Reason::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The JSON body of every error: `{"error":{"code":"…","message":"…"}}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A machine-readable code and a human message.
#[derive(Debug, Serialize)]
pub struct ErrorDetail {
    /// Stable snake_case code.
    pub code: &'static str,
    /// What went wrong and what to do.
    pub message: String,
    /// The input field to blame, when there is one (`invalid_setting`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

/// An error answer for `reason`.
pub fn error_response(reason: Reason, message: impl Into<String>) -> Response {
    let body = ErrorBody { error: ErrorDetail { code: reason.as_str(), message: message.into(), field: None } };
    (status_for(reason), Json(body)).into_response()
}
