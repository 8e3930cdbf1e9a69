//! The API's errors: one code each, mapped to its HTTP status in one place.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{ErrorBody, ErrorDetail};

/// Why the API refused or failed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No `Authorization: Bearer …` header, or an unknown token (401).
    Unauthorized(String),
    /// A project ingest key was presented: it can only send beacons (401).
    IngestKey,
    /// The token may not read this project (403).
    Forbidden(String),
    /// A write with the session cookie lacked the CSRF header or came from another origin (403).
    CsrfRefused(String),
    /// Too many failed logins from this client or for this user: retry after the seconds (429).
    TooManyAttempts(u64),
    /// The project does not exist (404).
    UnknownProject(String),
    /// No such endpoint (404).
    NotFound,
    /// The body is larger than `api.max_body_bytes` (413).
    PayloadTooLarge(usize),
    /// The body is not a query, or the query is not allowed (400).
    InvalidQuery(String),
    /// A parameter is missing or wrong (400).
    InvalidRequest(String),
    /// A project setting is not acceptable: the field, when one is to blame, and why (400).
    InvalidSetting(Option<&'static str>, String),
    /// Only a dashboard user may do this, not an API token (403).
    NotAnAdmin,
    /// Every query slot is taken (503, `Retry-After`).
    Overloaded,
    /// The store cannot answer (503).
    StoreUnavailable,
    /// The query ran past `api.query_timeout_secs` (504).
    Timeout(u64),
    /// The query needed more memory than the queries' limit (MiB, `api.query_memory_mb`)
    /// had left, even after spilling (503).
    OutOfMemory(u64),
    /// Something failed inside; details are in the server's log (500).
    Internal,
}

impl ApiError {
    /// The stable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "unauthorized",
            Self::IngestKey => "ingest_key_cannot_read",
            Self::Forbidden(_) => "forbidden",
            Self::CsrfRefused(_) => "csrf_refused",
            Self::TooManyAttempts(_) => "too_many_attempts",
            Self::UnknownProject(_) => "unknown_project",
            Self::NotFound => "not_found",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::InvalidQuery(_) => "invalid_query",
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidSetting(..) => "invalid_setting",
            Self::NotAnAdmin => "admin_only",
            Self::Overloaded => "overloaded",
            Self::StoreUnavailable => "store_unavailable",
            Self::Timeout(_) => "query_timeout",
            Self::OutOfMemory(_) => "query_out_of_memory",
            Self::Internal => "internal_error",
        }
    }

    /// Its HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) | Self::IngestKey => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::CsrfRefused(_) | Self::NotAnAdmin => StatusCode::FORBIDDEN,
            Self::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::UnknownProject(_) | Self::NotFound => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidQuery(_) | Self::InvalidRequest(_) | Self::InvalidSetting(..) => StatusCode::BAD_REQUEST,
            Self::Overloaded | Self::StoreUnavailable | Self::OutOfMemory(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The human message.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthorized(message)
            | Self::Forbidden(message)
            | Self::CsrfRefused(message)
            | Self::InvalidQuery(message)
            | Self::InvalidRequest(message)
            | Self::InvalidSetting(_, message) => message.clone(),
            Self::NotAnAdmin => "only a user logged in to the dashboard may change a project's settings; \
                                 API tokens read"
                .into(),
            Self::IngestKey => "this is a project's ingest key, which can only send beacons and never read: \
                                create an API token with `sightline token create`"
                .into(),
            Self::TooManyAttempts(secs) => format!("too many failed logins: try again in {secs} s"),
            Self::UnknownProject(project) => format!("there is no project {project:?}"),
            Self::NotFound => "no such endpoint: see /api/v1/openapi.json".into(),
            Self::PayloadTooLarge(limit) => format!("the request body is larger than {limit} bytes"),
            Self::Overloaded => "too many queries are running: retry in a moment".into(),
            Self::StoreUnavailable => "the store cannot answer queries right now".into(),
            Self::Timeout(secs) => format!(
                "the query ran longer than its {secs} s limit and was cancelled: narrow the range or the filters"
            ),
            Self::OutOfMemory(mib) => format!(
                "the query needed more memory than the {mib} MiB queries may hold together (api.query_memory_mb): \
                 narrow the range or the filters, or retry when fewer queries run"
            ),
            Self::Internal => "the query failed inside the server; the details are in its log".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let field = match self {
            Self::InvalidSetting(field, _) => field,
            _ => None,
        };
        let body = ErrorBody { error: ErrorDetail { code: self.code(), message: self.message(), field } };
        let mut response = (self.status(), Json(body)).into_response();
        let headers = response.headers_mut();
        match self {
            Self::Overloaded | Self::StoreUnavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::Unauthorized(_) | Self::IngestKey => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::TooManyAttempts(secs) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            _ => {}
        }
        response
    }
}
