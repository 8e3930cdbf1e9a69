//! The API's OpenAPI 3.1 document, built from the types themselves: the request and
//! answer schemas are the query crate's JSON Schemas (2020-12, which OpenAPI 3.1 uses
//! as is), so a new query shape appears here without an edit. `docs/openapi.json` is a
//! committed copy, checked against this by `make openapi-check` and by a test.

use std::sync::OnceLock;

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};
use sightline_query::{Query, QueryResult};

use sightline_query::SqlResult;

use super::handlers::SqlRequest;
use super::login::{LoginRequest, SessionInfo};
use super::outcomes::OutcomeSeries;
use super::projects::{ProjectDetail, ProjectList};
use crate::project_settings::SettingsPatch;

/// Every error code, for the error schema.
const ERROR_CODES: &[&str] = &[
    "unauthorized",
    "ingest_key_cannot_read",
    "forbidden",
    "csrf_refused",
    "too_many_attempts",
    "unknown_project",
    "not_found",
    "payload_too_large",
    "invalid_query",
    "invalid_request",
    "invalid_setting",
    "admin_only",
    "overloaded",
    "store_unavailable",
    "query_timeout",
    "query_out_of_memory",
    "internal_error",
];

/// The document as pretty JSON text with a final newline, built once.
pub fn document_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
        text.push('\n');
        text
    })
}

/// The document.
pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut generator = settings.into_generator();
    let query = generator.subschema_for::<Query>();
    let answer = generator.subschema_for::<QueryResult>();
    let projects = generator.subschema_for::<ProjectList>();
    let project = generator.subschema_for::<ProjectDetail>();
    let settings_patch = generator.subschema_for::<SettingsPatch>();
    let sql_request = generator.subschema_for::<SqlRequest>();
    let sql_answer = generator.subschema_for::<SqlResult>();
    let login = generator.subschema_for::<LoginRequest>();
    let session = generator.subschema_for::<SessionInfo>();
    let outcomes = generator.subschema_for::<OutcomeSeries>();
    let mut schemas = generator.take_definitions(true);
    schemas.insert("Error".into(), error_schema());

    let project_param = json!({
        "name": "project",
        "in": "query",
        "required": false,
        "description": "The project to read. Required with a token for every project; with a project's \
                        token it may only name that project (403 otherwise).",
        "schema": {"type": "string"}
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Sightline API",
            "version": "1",
            "description": "Query the Real User Monitoring data of one project. Every request but this \
                            document and the login carries `Authorization: Bearer <token>` (create one with \
                            `sightline token create`) or the dashboard's session cookie `sightline_session` \
                            (`POST /api/v1/session`); a project's ingest key never reads. Writes carried by the \
                            cookie must send `X-Sightline-CSRF: 1` from the server's own origin. Details: docs/api.md.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/api/v1/query": {
                "post": {
                    "operationId": "query",
                    "summary": "Answer a query",
                    "description": "One question in the typed query model (`shape` tells which), answered over \
                                    the token's project. Definitions of every metric and statistic: docs/query.md.",
                    "parameters": [&project_param],
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {"schema": query}}
                    },
                    "responses": responses(json!({
                        "200": {"description": "The answer, of the query's shape.", "content": {"application/json": {"schema": answer}}},
                        "400": error_response("The body is not a valid query, or the query asks for too much (range, groups, buckets), or `project` is missing."),
                        "401": error_response("No token, an unknown or revoked token, or an ingest key."),
                        "403": error_response("The token may not read this project."),
                        "404": error_response("The project does not exist."),
                        "413": error_response("The body is larger than the API's limit."),
                        "503": error_response("Too many queries are running (retry after `Retry-After` seconds), the query needed more memory than the queries' limit (`query_out_of_memory`), or the store cannot answer."),
                        "504": error_response("The query ran past its time limit and was cancelled.")
                    }))
                }
            },
            "/api/v1/sql": {
                "post": {
                    "operationId": "sql",
                    "summary": "Run one read-only SQL statement",
                    "description": "One `SELECT` (or `WITH … SELECT`) in DataFusion SQL over the event tables, which \
                                    hold the token's project only; at most `api.sql_max_rows` rows (`truncated` \
                                    says when there were more). Columns: docs/storage-columns.md.",
                    "parameters": [&project_param],
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {"schema": sql_request}}
                    },
                    "responses": responses(json!({
                        "200": {"description": "The columns and rows.", "content": {"application/json": {"schema": sql_answer}}},
                        "400": error_response("Not one read-only statement, or it does not parse or plan (unknown table or column)."),
                        "401": error_response("No token, an unknown or revoked token, or an ingest key."),
                        "403": error_response("The token may not read this project."),
                        "404": error_response("The project does not exist."),
                        "413": error_response("The body is larger than the API's limit."),
                        "503": error_response("Too many queries are running (retry after `Retry-After` seconds), the query needed more memory than the queries' limit (`query_out_of_memory`), or the store cannot answer."),
                        "504": error_response("The statement ran past its time limit and was cancelled.")
                    }))
                }
            },
            "/api/v1/projects": {
                "get": {
                    "operationId": "projects",
                    "summary": "The projects the token can read",
                    "responses": responses(json!({
                        "200": {"description": "The projects.", "content": {"application/json": {"schema": projects}}},
                        "401": error_response("No token, an unknown or revoked token, or an ingest key.")
                    }))
                }
            },
            "/api/v1/projects/{id}": {
                "get": {
                    "operationId": "project",
                    "summary": "One project's settings and ingest key",
                    "description": "The settings in force, the configuration file's, which were changed in the \
                                    dashboard, and whether the caller may change them. For anyone who reads the project.",
                    "parameters": [id_param()],
                    "responses": responses(json!({
                        "200": {"description": "The project.", "content": {"application/json": {"schema": &project}}},
                        "401": error_response("No token or session, an unknown or revoked token, or an ingest key."),
                        "403": error_response("The token may not read this project."),
                        "404": error_response("The project does not exist.")
                    }))
                }
            },
            "/api/v1/projects/{id}/settings": {
                "put": {
                    "operationId": "changeProjectSettings",
                    "summary": "Change a project's settings",
                    "description": "Sets the fields of the body (the others stay) for a user logged in to the \
                                    dashboard; kept in `<data_dir>/project-settings.json` over the configuration \
                                    file and in force at once. Needs `X-Sightline-CSRF: 1`.",
                    "security": [{"session": []}],
                    "parameters": [id_param(), csrf_param()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": settings_patch}}},
                    "responses": responses(json!({
                        "200": {"description": "The project as changed.", "content": {"application/json": {"schema": &project}}},
                        "400": error_response("A value is not acceptable (`invalid_setting`; `field` names it)."),
                        "401": error_response("No session, or it has ended."),
                        "403": error_response("An API token (`admin_only`), no `X-Sightline-CSRF: 1` or another origin, or a server without a settings file."),
                        "404": error_response("The project does not exist.")
                    }))
                },
                "delete": {
                    "operationId": "resetProjectSettings",
                    "summary": "Forget the dashboard's changes to a project",
                    "description": "The configuration file's settings are in force again. Needs `X-Sightline-CSRF: 1`.",
                    "security": [{"session": []}],
                    "parameters": [id_param(), csrf_param()],
                    "responses": responses(json!({
                        "200": {"description": "The project as configured.", "content": {"application/json": {"schema": &project}}},
                        "401": error_response("No session, or it has ended."),
                        "403": error_response("An API token (`admin_only`), no `X-Sightline-CSRF: 1` or another origin."),
                        "404": error_response("The project does not exist.")
                    }))
                }
            },
            "/api/v1/outcomes": {
                "get": {
                    "operationId": "outcomes",
                    "summary": "Ingest health over time",
                    "description": "Per bucket of the last 48 hours: events stored, and beacons rejected, events \
                                    dropped, fields trimmed and values folded by reason. Only buckets that \
                                    counted something are listed.",
                    "parameters": [
                        &project_param,
                        {"name": "from", "in": "query", "required": false, "schema": {"type": "string"},
                         "description": "Start: RFC 3339 or epoch milliseconds; default 24 hours before `to`."},
                        {"name": "to", "in": "query", "required": false, "schema": {"type": "string"},
                         "description": "End (excluded): RFC 3339 or epoch milliseconds; default now."},
                        {"name": "bucket_minutes", "in": "query", "required": false,
                         "schema": {"type": "integer", "minimum": 1, "maximum": 1440},
                         "description": "Minutes per bucket; default 1."}
                    ],
                    "responses": responses(json!({
                        "200": {"description": "The buckets and their totals.", "content": {"application/json": {"schema": outcomes}}},
                        "400": error_response("A time or `bucket_minutes` is not valid, or `project` is missing."),
                        "401": error_response("No token or session, an unknown or revoked token, or an ingest key."),
                        "403": error_response("The token may not read this project."),
                        "404": error_response("The project does not exist.")
                    }))
                }
            },
            "/api/v1/session": {
                "post": {
                    "operationId": "login",
                    "summary": "Log in to the dashboard",
                    "description": "Checks a user's password and sets the session cookie `sightline_session` \
                                    (HttpOnly, SameSite=Strict, Path=/, Secure behind https). Needs the header \
                                    `X-Sightline-CSRF: 1`; an `Origin`, when sent, must be the server's own.",
                    "security": [],
                    "parameters": [csrf_param()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": login}}},
                    "responses": responses(json!({
                        "200": {"description": "Logged in; the cookie is set.", "content": {"application/json": {"schema": &session}}},
                        "400": error_response("The body is not `{\"user\", \"password\"}`."),
                        "401": error_response("Wrong user name or password."),
                        "403": error_response("No `X-Sightline-CSRF: 1`, or another origin."),
                        "429": error_response("Too many failed logins from this client or for this user: retry after `Retry-After` seconds.")
                    }))
                },
                "get": {
                    "operationId": "session",
                    "summary": "Who is logged in",
                    "security": [{"session": []}],
                    "responses": responses(json!({
                        "200": {"description": "The session's user.", "content": {"application/json": {"schema": &session}}},
                        "401": error_response("No session, or it has ended.")
                    }))
                },
                "delete": {
                    "operationId": "logout",
                    "summary": "Log out",
                    "description": "Ends the session and clears the cookie. With the cookie, needs `X-Sightline-CSRF: 1`.",
                    "security": [],
                    "parameters": [csrf_param()],
                    "responses": responses(json!({
                        "204": {"description": "Logged out; the cookie is cleared."},
                        "403": error_response("No `X-Sightline-CSRF: 1`, or another origin.")
                    }))
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "The OpenAPI document.", "content": {"application/json": {}}}}
                }
            }
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token: `slt_` and 64 hex digits, made by `sightline token create`."
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "sightline_session",
                    "description": "The dashboard's session, set by `POST /api/v1/session`; reads every project \
                                    (requests name one with `project`). Writes carried by it need \
                                    `X-Sightline-CSRF: 1` and the server's own `Origin`."
                }
            },
            "schemas": schemas
        }
    })
}

fn id_param() -> Value {
    json!({"name": "id", "in": "path", "required": true, "description": "The project's id.", "schema": {"type": "string"}})
}

fn csrf_param() -> Value {
    json!({
        "name": "X-Sightline-CSRF",
        "in": "header",
        "required": true,
        "description": "Must be `1`: a page of another site cannot send it without the server's consent (CORS).",
        "schema": {"type": "string", "const": "1"}
    })
}

fn responses(mut specific: Value) -> Value {
    if let Some(map) = specific.as_object_mut() {
        map.insert("500".into(), error_response("The query failed inside the server (details in its log)."));
    }
    specific
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn error_schema() -> Value {
    json!({
        "description": "Every error answer: a stable code and a message for people.",
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": ERROR_CODES, "description": "Stable, machine-readable."},
                    "message": {"type": "string", "description": "What is wrong and what to do, in words."},
                    "field": {"type": "string", "description": "The input field to blame (`invalid_setting`)."}
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_resolves_and_every_error_code_is_listed() {
        let text = document_text();
        let document: Value = serde_json::from_str(text).expect("valid JSON");
        let schemas = document["components"]["schemas"].as_object().expect("schemas");
        for name in [
            "Query",
            "QueryResult",
            "ProjectList",
            "ProjectDetail",
            "SettingsPatch",
            "SqlRequest",
            "SqlResult",
            "LoginRequest",
            "SessionInfo",
            "OutcomeSeries",
            "Error",
        ] {
            assert!(schemas.contains_key(name), "{name} missing");
        }
        for reference in text.split("\"$ref\": \"").skip(1) {
            let target = reference.split('"').next().unwrap_or_default();
            let name = target.strip_prefix("#/components/schemas/").expect("local component reference");
            assert!(schemas.contains_key(name), "dangling reference {target}");
        }
        use super::super::error::ApiError;
        for error in [
            ApiError::Unauthorized(String::new()),
            ApiError::IngestKey,
            ApiError::Forbidden(String::new()),
            ApiError::CsrfRefused(String::new()),
            ApiError::TooManyAttempts(1),
            ApiError::UnknownProject(String::new()),
            ApiError::NotFound,
            ApiError::PayloadTooLarge(1),
            ApiError::InvalidQuery(String::new()),
            ApiError::InvalidRequest(String::new()),
            ApiError::InvalidSetting(None, String::new()),
            ApiError::NotAnAdmin,
            ApiError::Overloaded,
            ApiError::StoreUnavailable,
            ApiError::Timeout(1),
            ApiError::Internal,
        ] {
            assert!(ERROR_CODES.contains(&error.code()), "{} not in the document", error.code());
        }
    }
}
