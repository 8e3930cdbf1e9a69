//! Sightline's HTTP server.
//!
//! The path of a beacon through this crate:
//!
//! 1. [`listener::serve`] accepts the connection (HTTP/1.1, header read timeout,
//!    at most `max_connections` open) and stamps each request with the peer address.
//! 2. The router sends `POST /ingest/v1/{project_key}` to [`intake`]; `OPTIONS`
//!    on the same path answers CORS preflights.
//! 3. The intake authorizes the key and `Origin`, takes a beacons-in-flight permit
//!    (503 `overloaded` when none is free), applies the per-client and per-project
//!    token buckets, reads the body with a cap and a deadline, and, once a
//!    processing permit is free, decompresses it through a capped reader.
//! 4. `sightline_ingest::Pipeline` turns it into clean records and outcomes.
//! 5. The records go to the [`sightline_store::Store`]; the answer (202) is sent
//!    only once the store says they are on disk.
//! 6. Every refusal maps to a status in [`error`]; every outcome is counted in
//!    [`metrics`] and exported at `/metrics`.
//!
//! Queries take another path, under `/api/v1` ([`api`]): a bearer token settles the
//! project, and the query runs on a runtime of its own, never on the intake's threads.
//!
//! Handlers stay thin: policy lives in `sightline-ingest`, durability in `sightline-store`.

mod agent_asset;
pub mod api;
pub mod config;
pub mod dashboard;
pub mod demo_site;
pub mod error;
mod health;
mod intake;
pub mod listener;
pub mod metrics;
pub mod outcome_history;
pub mod project_settings;
pub mod rate_limit;
pub mod state;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

pub use api::{Api, ApiConfig};
pub use config::IntakeConfig;
pub use metrics::Metrics;
pub use state::{AppState, ProjectRegistry};

/// The full router.
pub fn router(state: Arc<AppState>) -> Router {
    build_router(state, false)
}

/// The full router with the demo shop at `/demo/` (`sightline demo` only).
pub fn demo_router(state: Arc<AppState>) -> Router {
    build_router(state, true)
}

fn build_router(state: Arc<AppState>, demo: bool) -> Router {
    let routes = if demo { demo_site::routes() } else { Router::new() };
    routes
        .route("/ingest/v1/{project_key}", post(intake::ingest).options(intake::preflight))
        .route("/agent.js", get(agent_asset::agent_js))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .nest("/api/v1", api::routes())
        .fallback(dashboard::serve)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), observe))
        .with_state(state)
}

/// Counts and times every request by its route pattern.
async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(unmatched)".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().clone();
    let response = next.run(request).await;
    state.metrics.observe_http(&route, &method, response.status().as_u16(), started.elapsed());
    response
}

/// How often [`start_housekeeping`] saves sessions and the outcome history.
const SAVE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Saves what changed of the state ([`AppState::save`]) every minute, until the state is
/// dropped. Call [`AppState::save`] once more at shutdown.
pub fn start_housekeeping(state: &Arc<AppState>) -> tokio::task::JoinHandle<()> {
    let state = Arc::downgrade(state);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(SAVE_INTERVAL);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(state) = state.upgrade() else {
                return;
            };
            // Small files, but written with fsync: off the async workers.
            let _ = tokio::task::spawn_blocking(move || state.save()).await;
        }
    })
}
