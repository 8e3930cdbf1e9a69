//! The query API under `/api/v1`, for the CLI, scripts and the dashboard.
//!
//! The path of a query through this module:
//!
//! 1. [`auth`] reads the bearer token, checks its SHA-256 against the token file
//!    ([`tokens::TokenStore`], reloaded when the file changes) and settles the one
//!    project the request reads: the token's own, or with an every-project token the
//!    `project` parameter. An ingest key is refused by name (it never reads).
//! 2. [`handlers::query`] reads the body through a size cap, parses a
//!    [`sightline_query::Query`] (any shape the query crate knows), takes one of
//!    `api.max_concurrent_queries` permits (waiting up to `api.queue_wait_ms` for one,
//!    then 503) and hands it to [`executor::QueryExecutor`]: its own small runtime, so
//!    DataFusion's CPU work never runs on the threads that accept beacons, under
//!    `api.query_timeout_secs` (504). A client that goes away cancels its query.
//! 3. `sightline_query::execute` validates and answers over the store's tables
//!    ([`sightline_store::Tables`]); the answer is the `QueryResult` as JSON.
//!    `POST /api/v1/sql` takes the same path with one read-only SQL statement, run by
//!    `sightline_query::execute_sql` over views of the tables that hold the project only.
//! 4. Every refusal is an [`error::ApiError`]: one code, one status, one human message,
//!    as `{"error": {"code", "message"}}`. [`openapi`] describes all of it.
//!
//! The dashboard logs in instead ([`login`]): `/api/v1/session` checks a user's password
//! ([`users`]) and sets a session cookie ([`sessions`]) that [`auth`] accepts like an
//! every-project token; writes carried by the cookie pass [`login::csrf_guard`].
//! [`outcomes`] answers the ingest health series; [`projects`] lists the projects and lets
//! a dashboard user change some of a project's settings ([`crate::project_settings`]).

pub mod auth;
pub mod error;
pub mod executor;
mod handlers;
pub mod login;
pub mod openapi;
mod outcomes;
pub mod private_file;
pub mod projects;
pub mod sessions;
pub mod tokens;
pub mod users;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post, put};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::memory_pool::{GreedyMemoryPool, TrackConsumersPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};
use sightline_store::Tables;
use tokio::sync::Semaphore;

use crate::api::error::ApiError;
use crate::state::AppState;

/// Query API settings (`[api]` in the config file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Longest a query may run before it is cancelled (504), seconds.
    pub query_timeout_secs: u64,
    /// Largest query body accepted, bytes (413 past it).
    pub max_body_bytes: usize,
    /// Queries running at once, at most.
    pub max_concurrent_queries: usize,
    /// Longest a query waits for a free slot, milliseconds; past it, `503 overloaded` with
    /// `Retry-After`. A page's burst of queries queues instead of being refused.
    pub queue_wait_ms: u64,
    /// Threads of the query runtime, apart from the intake's.
    pub query_threads: usize,
    /// Rows a SQL statement (`/api/v1/sql`) answers at most; the answer says when it was cut.
    pub sql_max_rows: usize,
    /// Memory the queries running at once may hold together, MiB. Past it, sorts and
    /// groupings spill to temporary files, and a query that still does not fit fails with
    /// `503 query_out_of_memory` instead of the server running out of memory. Unset: half
    /// of the machine's memory (or of the cgroup's limit, when lower).
    pub query_memory_mb: Option<u64>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            query_timeout_secs: 30,
            max_body_bytes: 64 * 1024,
            max_concurrent_queries: 4,
            queue_wait_ms: 5_000,
            query_threads: std::thread::available_parallelism().map_or(1, |cpus| (cpus.get() / 2).max(1)),
            sql_max_rows: 10_000,
            query_memory_mb: None,
        }
    }
}

impl ApiConfig {
    /// Checks the values; the error says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=3600).contains(&self.query_timeout_secs) {
            return Err("api.query_timeout_secs must be between 1 and 3600".into());
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.max_body_bytes) {
            return Err("api.max_body_bytes must be between 1024 and 16777216".into());
        }
        if self.queue_wait_ms > 60_000 {
            return Err("api.queue_wait_ms must be at most 60000 (one minute)".into());
        }
        if !(1..=1_000_000).contains(&self.sql_max_rows) {
            return Err("api.sql_max_rows must be between 1 and 1000000".into());
        }
        if self.max_concurrent_queries == 0 || self.query_threads == 0 {
            return Err("api.max_concurrent_queries and api.query_threads must be at least 1".into());
        }
        if self.query_memory_mb.is_some_and(|mb| !(MIN_QUERY_MEMORY_MB..=MAX_QUERY_MEMORY_MB).contains(&mb)) {
            return Err(format!(
                "api.query_memory_mb must be between {MIN_QUERY_MEMORY_MB} and {MAX_QUERY_MEMORY_MB} (unset: half the memory)"
            ));
        }
        Ok(())
    }

    /// The memory queries may hold together, MiB: `query_memory_mb`, or half of what the
    /// machine has (2 GiB when that cannot be read).
    pub fn query_memory_mib(&self) -> u64 {
        self.query_memory_mb
            .unwrap_or_else(|| machine_memory_mib().map_or(2048, |mib| (mib / 2).max(MIN_QUERY_MEMORY_MB)))
    }

    /// The time limit of one query.
    pub fn query_timeout(&self) -> Duration {
        Duration::from_secs(self.query_timeout_secs)
    }

    /// The longest a query waits for a slot.
    pub fn queue_wait(&self) -> Duration {
        Duration::from_millis(self.queue_wait_ms)
    }
}

/// The smallest `api.query_memory_mb`: every sort of a query reserves 10 MiB up front for
/// merging what it spilled (DataFusion's `sort_spill_reservation_bytes`).
const MIN_QUERY_MEMORY_MB: u64 = 64;
/// The largest `api.query_memory_mb`: 1 TiB.
const MAX_QUERY_MEMORY_MB: u64 = 1 << 20;

/// The memory this process may use, MiB: the machine's (`MemTotal`), or its cgroup's
/// limit when that is lower (a container's). None where neither can be read.
fn machine_memory_mib() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let total_kib: u64 = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    let cgroup_bytes =
        std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok().and_then(|text| text.trim().parse::<u64>().ok());
    let total_mib = total_kib / 1024;
    Some(cgroup_bytes.map_or(total_mib, |bytes| total_mib.min(bytes >> 20)))
}

/// The runtime every query's session runs in: one memory pool of `mib` for all of them,
/// taken first come, first served (a fair share per operator would make one heavy query
/// spill long before the pool is full); once it is full, operators that can spill do so to
/// the system's temporary directory. Its errors name the three largest holders.
fn query_runtime(mib: u64) -> std::io::Result<Arc<RuntimeEnv>> {
    let bytes = usize::try_from(mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
    let top = std::num::NonZeroUsize::new(3).expect("3 is not zero");
    RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(TrackConsumersPool::new(GreedyMemoryPool::new(bytes), top)))
        .build_arc()
        .map_err(std::io::Error::other)
}

/// Sessions over the store's tables, all in one runtime: one memory pool
/// (`api.query_memory_mb`) for the queries running at once.
#[derive(Debug, Clone)]
pub struct QuerySessions {
    tables: Arc<dyn Tables>,
    runtime: Arc<RuntimeEnv>,
    memory_mib: u64,
}

impl QuerySessions {
    /// A session over the tables as of now.
    pub fn open(&self) -> Result<SessionContext, ApiError> {
        let context = self.tables.session_context().map_err(|error| {
            tracing::error!(%error, "the store's tables cannot be read");
            ApiError::StoreUnavailable
        })?;
        let state =
            SessionStateBuilder::new_from_existing(context.state()).with_runtime_env(Arc::clone(&self.runtime)).build();
        Ok(SessionContext::new_with_state(state))
    }

    /// The memory pool's size, MiB.
    pub fn memory_mib(&self) -> u64 {
        self.memory_mib
    }

    /// Bytes the queries running now hold in the memory pool.
    pub fn memory_in_use(&self) -> usize {
        self.runtime.memory_pool.reserved()
    }
}

/// What the API needs besides the shared state.
#[derive(Debug)]
pub struct Api {
    /// Its settings.
    pub config: ApiConfig,
    /// Where queries read, and in which runtime.
    pub sessions: QuerySessions,
    /// Who may read.
    pub tokens: tokens::TokenStore,
    /// Where queries run.
    pub executor: executor::QueryExecutor,
    /// One permit per running query.
    pub running: Semaphore,
    /// Dashboard users and sessions; without them, only tokens read.
    pub logins: Option<login::Logins>,
}

impl Api {
    /// The API over `tables`, with the tokens of `token_file` (`<data_dir>/tokens.json`).
    pub fn new(config: ApiConfig, tables: Arc<dyn Tables>, token_file: PathBuf) -> std::io::Result<Self> {
        let executor = executor::QueryExecutor::new(config.query_threads)?;
        let running = Semaphore::new(crate::state::permits(config.max_concurrent_queries));
        // Read once: unset, it is the machine's memory, which one start reads once.
        let memory_mib = config.query_memory_mib();
        let sessions = QuerySessions { tables, runtime: query_runtime(memory_mib)?, memory_mib };
        let tokens = tokens::TokenStore::new(token_file);
        Ok(Self { config, sessions, tokens, executor, running, logins: None })
    }

    /// The API with dashboard logins.
    #[must_use]
    pub fn with_logins(mut self, logins: login::Logins) -> Self {
        self.logins = Some(logins);
        self
    }
}

/// The routes, nested under `/api/v1`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/query", post(handlers::query))
        .route("/sql", post(handlers::sql))
        .route("/projects", get(projects::list))
        .route("/projects/{id}", get(projects::detail))
        .route("/projects/{id}/settings", put(projects::change).delete(projects::reset))
        .route("/outcomes", get(outcomes::outcomes))
        .route("/session", post(login::create).get(login::current).delete(login::delete))
        .route("/openapi.json", get(handlers::openapi))
        .fallback(handlers::not_found)
        .layer(middleware::from_fn(login::csrf_guard))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queries_memory_is_half_the_machines_unless_set_and_out_of_range_values_are_named() {
        let default = ApiConfig::default();
        let machine = machine_memory_mib().expect("/proc/meminfo is readable here");
        assert_eq!(default.query_memory_mib(), (machine / 2).max(MIN_QUERY_MEMORY_MB));
        assert_eq!(ApiConfig { query_memory_mb: Some(512), ..ApiConfig::default() }.query_memory_mib(), 512);
        for wrong in [0, 63, MAX_QUERY_MEMORY_MB + 1] {
            let error = ApiConfig { query_memory_mb: Some(wrong), ..ApiConfig::default() }
                .validate()
                .expect_err("out of range");
            assert!(error.contains("api.query_memory_mb"), "{error}");
        }
        assert_eq!(ApiConfig { query_memory_mb: Some(64), ..ApiConfig::default() }.validate(), Ok(()));
    }
}
