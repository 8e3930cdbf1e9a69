//! Who is asking and which project they read. A token names one project or every
//! project; the project of a request comes from the token, and an every-project token
//! must name it (`?project=`). A project token can never read another project, whatever
//! the request says. A dashboard session (the `sightline_session` cookie, see
//! [`super::login`]) reads every project, like an every-project token; a request that
//! sends a bearer token is judged by the token alone.

use axum::http::{HeaderMap, header};

use super::error::ApiError;
use super::tokens::Grant;
use crate::state::AppState;

/// The bearer token's grant, or why there is none.
pub fn grant(state: &AppState, headers: &HeaderMap) -> Result<Grant, ApiError> {
    let api = state.api.as_ref().ok_or(ApiError::StoreUnavailable)?;
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return session_grant(api, headers);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or_else(|| ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into()))?;
    if let Some(grant) = api.tokens.check(token) {
        return Ok(grant);
    }
    if state.projects.is_ingest_key(token) {
        return Err(ApiError::IngestKey);
    }
    Err(ApiError::Unauthorized("unknown or revoked API token".into()))
}

/// The grant of the session cookie: every project, named after its user.
fn session_grant(api: &super::Api, headers: &HeaderMap) -> Result<Grant, ApiError> {
    let token = super::login::session_cookie(headers);
    let session = token.zip(api.logins.as_ref()).and_then(|(token, logins)| logins.session(token));
    match (token, session) {
        (_, Some(session)) => Ok(Grant { name: format!("user:{}", session.user), project: None }),
        (Some(_), None) => Err(ApiError::Unauthorized("the session has ended: log in again".into())),
        (None, None) => Err(ApiError::Unauthorized(
            "missing API token: send `Authorization: Bearer slt_…` (create one with `sightline token create`) \
             or log in to the dashboard"
                .into(),
        )),
    }
}

/// The dashboard user of a request carried by the session cookie: the one who may change
/// settings. A request with a bearer token is refused (403), without a session 401.
pub fn dashboard_user(state: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    let api = state.api.as_ref().ok_or(ApiError::StoreUnavailable)?;
    if headers.contains_key(header::AUTHORIZATION) {
        return Err(ApiError::NotAnAdmin);
    }
    let grant = session_grant(api, headers)?;
    Ok(grant.name.strip_prefix("user:").unwrap_or(&grant.name).to_owned())
}

/// The one project `grant` reads in this request, `requested` being the `project` parameter.
pub fn project(state: &AppState, grant: &Grant, requested: Option<&str>) -> Result<String, ApiError> {
    let project = match (&grant.project, requested) {
        (Some(own), None) => own.clone(),
        (Some(own), Some(requested)) if requested == own => own.clone(),
        (Some(own), Some(requested)) => {
            return Err(ApiError::Forbidden(format!("this token reads project {own:?} only, not {requested:?}")));
        }
        (None, Some(requested)) => requested.to_owned(),
        (None, None) => {
            return Err(ApiError::InvalidRequest(
                "this token reads every project: name one with the `project` parameter (`?project=ID`)".into(),
            ));
        }
    };
    if !state.projects.has_project(&project) {
        return Err(ApiError::UnknownProject(project));
    }
    Ok(project)
}
