//! The projects: the list a caller reads, one project's settings (with its ingest key, for
//! the Setup page's snippet), and changes to them by a dashboard user
//! ([`crate::project_settings`] keeps and applies them).
//!
//! - `GET /api/v1/projects` → the projects the caller reads.
//! - `GET /api/v1/projects/{id}` → [`ProjectDetail`], for anyone who reads the project.
//! - `PUT /api/v1/projects/{id}/settings` with a [`SettingsPatch`] → the new detail; a
//!   dashboard user only (403 `admin_only` for a token), with the CSRF header (see
//!   [`super::login::csrf_guard`]); a bad value → 400 `invalid_setting` naming its `field`.
//! - `DELETE /api/v1/projects/{id}/settings` → the configuration file's settings again.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Serialize;
use sightline_ingest::ProjectConfig;

use super::auth;
use super::error::ApiError;
use crate::project_settings::{ChangeError, ProjectSettings, SettingsPatch};
use crate::state::AppState;

/// Largest settings body, bytes.
const MAX_SETTINGS_BYTES: usize = 64 * 1024;

/// The projects a token reads.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ProjectList {
    /// The projects, by id.
    pub projects: Vec<ProjectInfo>,
}

/// One project.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ProjectInfo {
    /// The id queries name.
    pub id: String,
    /// Its display name.
    pub name: String,
}

/// `GET /api/v1/projects`: the projects the token can read.
pub async fn list(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Json<ProjectList>, ApiError> {
    let grant = auth::grant(&state, &headers)?;
    let projects = state
        .projects
        .configs()
        .into_iter()
        .filter(|config| grant.project.as_ref().is_none_or(|own| *own == config.id))
        .map(|config| ProjectInfo { id: config.id, name: config.name })
        .collect();
    Ok(Json(ProjectList { projects }))
}

/// One project's settings, as in force.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ProjectDetail {
    /// The id queries name.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// The public ingest key the agent sends (it can only write, never read).
    pub ingest_key: String,
    /// False when the project refuses every beacon.
    pub enabled: bool,
    /// The settings a dashboard user may change, as in force (every field present).
    pub settings: SettingsPatch,
    /// The same settings as the configuration file sets them.
    pub configured: SettingsPatch,
    /// The fields changed in the dashboard, which override the configuration file.
    pub changed: Vec<String>,
    /// When the last change in the dashboard was made (RFC 3339).
    pub changed_at: Option<String>,
    /// Who made it.
    pub changed_by: Option<String>,
    /// Settings of the configuration file only.
    pub fixed: FixedSettings,
    /// Whether this caller may change the settings (a dashboard user, on a server that keeps them).
    pub editable: bool,
}

/// The settings only the configuration file sets.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FixedSettings {
    /// Query parameters kept on URLs.
    pub query_allowlist: Vec<String>,
    /// Route patterns tried before the automatic id collapsing.
    pub route_patterns: Vec<String>,
    /// Sustained beacons per second accepted (0: no limit).
    pub rate_limit_per_second: f64,
    /// Burst of that limit, beacons.
    pub rate_limit_burst: f64,
    /// Distinct routes kept.
    pub max_routes: usize,
    /// Distinct custom event names kept.
    pub max_event_names: usize,
    /// Distinct attribute keys kept.
    pub max_attribute_keys: usize,
}

/// `GET /api/v1/projects/{id}`: one project's settings, for anyone who reads it.
pub async fn detail(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<ProjectDetail>, ApiError> {
    let grant = auth::grant(&state, &headers)?;
    let id = auth::project(&state, &grant, Some(&id))?;
    let config = state.projects.get(&id).ok_or_else(|| ApiError::UnknownProject(id.clone()))?;
    let editable = state.project_settings.is_some() && auth::dashboard_user(&state, &headers).is_ok();
    Ok(Json(describe(state.project_settings.as_ref(), config, editable)))
}

fn describe(settings: Option<&ProjectSettings>, config: ProjectConfig, editable: bool) -> ProjectDetail {
    let configured = settings.and_then(|settings| settings.configured(&config.id)).unwrap_or(&config);
    let changes = settings.and_then(|settings| settings.changes(&config.id));
    ProjectDetail {
        settings: SettingsPatch::of(&config),
        configured: SettingsPatch::of(configured),
        changed: changes.as_ref().map(|c| c.fields.iter().map(|f| (*f).to_owned()).collect()).unwrap_or_default(),
        changed_at: changes.as_ref().map(|c| c.updated_at.clone()),
        changed_by: changes.map(|c| c.updated_by),
        fixed: FixedSettings {
            query_allowlist: config.query_allowlist.clone(),
            route_patterns: config.route_patterns.clone(),
            rate_limit_per_second: config.rate_limit_per_second,
            rate_limit_burst: config.rate_limit_burst,
            max_routes: config.max_routes,
            max_event_names: config.max_event_names,
            max_attribute_keys: config.max_attribute_keys,
        },
        editable,
        id: config.id,
        name: config.name,
        ingest_key: config.ingest_key,
        enabled: config.enabled,
    }
}

/// `PUT /api/v1/projects/{id}/settings`: changes the fields of the body.
pub async fn change(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<ProjectDetail>, ApiError> {
    let (user, settings) = admin(&state, &headers, &id)?;
    let bytes = axum::body::to_bytes(body, MAX_SETTINGS_BYTES)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(MAX_SETTINGS_BYTES))?;
    let patch: SettingsPatch = serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::InvalidSetting(None, format!("the body is not a settings change: {error}")))?;
    let config = settings.change(&state.projects, &id, &patch, &user).map_err(change_error)?;
    Ok(Json(describe(Some(settings), config, true)))
}

/// `DELETE /api/v1/projects/{id}/settings`: back to the configuration file's settings.
pub async fn reset(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<ProjectDetail>, ApiError> {
    let (user, settings) = admin(&state, &headers, &id)?;
    let config = settings.reset(&state.projects, &id, &user).map_err(change_error)?;
    Ok(Json(describe(Some(settings), config, true)))
}

/// The dashboard user who may change project `id`, and where changes are kept.
fn admin<'a>(state: &'a AppState, headers: &HeaderMap, id: &str) -> Result<(String, &'a ProjectSettings), ApiError> {
    let user = auth::dashboard_user(state, headers)?;
    if !state.projects.has_project(id) {
        return Err(ApiError::UnknownProject(id.to_owned()));
    }
    let settings = state.project_settings.as_ref().ok_or_else(|| {
        ApiError::Forbidden("this server takes project settings from its configuration file only".into())
    })?;
    Ok((user, settings))
}

fn change_error(error: ChangeError) -> ApiError {
    match error {
        ChangeError::Invalid(invalid) => ApiError::InvalidSetting(invalid.field, invalid.message),
        ChangeError::UnknownProject => ApiError::NotFound,
        ChangeError::Io(error) => {
            tracing::error!(%error, "project settings could not be changed");
            ApiError::Internal
        }
    }
}
