//! What every handler shares.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use axum::http::HeaderValue;
use sightline_ingest::{Pipeline, Project, ProjectConfig};
use sightline_store::{Store, StoreHealth};
use tokio::sync::Semaphore;

use crate::api::Api;
use crate::config::IntakeConfig;
use crate::metrics::Metrics;
use crate::outcome_history::OutcomeHistory;
use crate::project_settings::ProjectSettings;
use crate::rate_limit::{ClientRateLimiter, TokenBucket};

/// A project with its own rate limiter.
#[derive(Debug)]
pub struct ProjectEntry {
    /// The compiled project.
    pub project: Project,
    /// Beacons per second for the whole project (kept when its settings change).
    pub limiter: Arc<TokenBucket>,
}

/// Projects by ingest key. The dashboard may change a project's settings while beacons
/// arrive ([`ProjectRegistry::replace`]): a beacon works with the entry it looked up.
#[derive(Debug, Default)]
pub struct ProjectRegistry {
    by_key: RwLock<HashMap<String, Arc<ProjectEntry>>>,
}

impl ProjectRegistry {
    /// Compiles every project; fails on invalid settings or a key used twice.
    pub fn new(configs: Vec<ProjectConfig>) -> Result<Self, String> {
        let mut by_key = HashMap::new();
        let mut ids = std::collections::HashSet::new();
        for config in configs {
            if !ids.insert(config.id.clone()) {
                return Err(format!("project id {:?} is used twice: ids must be unique", config.id));
            }
            let key = config.ingest_key.clone();
            let limiter = Arc::new(TokenBucket::new(config.rate_limit_per_second, config.rate_limit_burst));
            let project = Project::new(config).map_err(|e| e.to_string())?;
            let entry = Arc::new(ProjectEntry { project, limiter });
            if by_key.insert(key, entry).is_some() {
                return Err("two projects share one ingest_key: keys must be unique".into());
            }
        }
        Ok(Self { by_key: RwLock::new(by_key) })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<ProjectEntry>>> {
        self.by_key.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts `config` in place of the project with its id and ingest key, compiled anew; its
    /// rate limiter and the routes, event names and attribute keys its caps have seen are
    /// kept ([`Project::renewed`]). Fails on invalid settings or an unknown project.
    pub fn replace(&self, config: ProjectConfig) -> Result<(), String> {
        let mut by_key = self.by_key.write().unwrap_or_else(PoisonError::into_inner);
        let Some(old) = by_key.get(&config.ingest_key).filter(|entry| entry.project.config.id == config.id) else {
            return Err(format!("there is no project {:?} with that ingest key", config.id));
        };
        let limiter = Arc::clone(&old.limiter);
        let key = config.ingest_key.clone();
        let project = old.project.renewed(config).map_err(|e| e.to_string())?;
        by_key.insert(key, Arc::new(ProjectEntry { project, limiter }));
        Ok(())
    }

    /// The project for `key` when it exists, is enabled, and allows `origin`
    /// (requests without an `Origin` header are checked by page host later).
    /// Unknown keys and refused origins look the same to the caller.
    pub fn authorize(&self, key: &str, origin: Option<&HeaderValue>) -> Option<Arc<ProjectEntry>> {
        let entry = Arc::clone(self.read().get(key)?);
        let config = &entry.project.config;
        let origin_ok = match origin {
            None => true,
            Some(origin) => origin.to_str().is_ok_and(|origin| config.allows_origin(origin)),
        };
        (config.enabled && origin_ok).then_some(entry)
    }

    /// Whether `key` is some project's ingest key (enabled or not), so that the API can
    /// tell a caller who sent one that it never reads.
    pub fn is_ingest_key(&self, key: &str) -> bool {
        self.read().contains_key(key)
    }

    /// Whether a project with this id is configured.
    pub fn has_project(&self, id: &str) -> bool {
        self.read().values().any(|entry| entry.project.config.id == id)
    }

    /// The settings of the project with this id, as they are now.
    pub fn get(&self, id: &str) -> Option<ProjectConfig> {
        self.read().values().find(|entry| entry.project.config.id == id).map(|entry| entry.project.config.clone())
    }

    /// The settings of every project, as they are now, by id.
    pub fn configs(&self) -> Vec<ProjectConfig> {
        let mut configs: Vec<ProjectConfig> = self.read().values().map(|entry| entry.project.config.clone()).collect();
        configs.sort_by(|a, b| a.id.cmp(&b.id));
        configs
    }
}

/// The state behind every handler.
#[derive(Debug)]
pub struct AppState {
    /// Intake limits and trust settings.
    pub intake: IntakeConfig,
    /// Projects by key.
    pub projects: ProjectRegistry,
    /// The ingest pipeline.
    pub pipeline: Pipeline,
    /// Durable storage.
    pub store: Arc<dyn Store>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Beacons per second per client (IPv4 address or IPv6 /64).
    pub ip_limiter: ClientRateLimiter,
    /// One permit per beacon being received or processed (`intake.max_concurrent_beacons`).
    pub beacons_in_flight: Semaphore,
    /// One permit per beacon being decompressed and cleaned (`intake.max_parallel_processing`).
    pub processing: Arc<Semaphore>,
    /// The query API; without it `/api/v1` answers 503.
    pub api: Option<Api>,
    /// Per-minute outcomes of the last 48 h, for the dashboard's ingest health page.
    pub outcome_history: OutcomeHistory,
    /// Project settings changed in the dashboard; without them, settings are read-only.
    pub project_settings: Option<ProjectSettings>,
}

impl AppState {
    /// Assembles the state; `metrics` exports the store's figures from now on.
    pub fn new(
        intake: IntakeConfig,
        projects: ProjectRegistry,
        pipeline: Pipeline,
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let ip_limiter = ClientRateLimiter::new(intake.per_ip_rate_limit_per_second, intake.per_ip_burst);
        let beacons_in_flight = Semaphore::new(permits(intake.max_concurrent_beacons));
        let processing = Arc::new(Semaphore::new(permits(intake.max_parallel_processing)));
        metrics.watch_store(Arc::clone(&store));
        Self {
            intake,
            projects,
            pipeline,
            store,
            metrics,
            ip_limiter,
            beacons_in_flight,
            processing,
            api: None,
            outcome_history: OutcomeHistory::in_memory(),
            project_settings: None,
        }
    }

    /// The state with an outcome history kept on disk ([`OutcomeHistory::open`]).
    #[must_use]
    pub fn with_outcome_history(mut self, history: OutcomeHistory) -> Self {
        self.outcome_history = history;
        self
    }

    /// The state whose projects' settings the dashboard may change ([`ProjectSettings`]).
    #[must_use]
    pub fn with_project_settings(mut self, settings: ProjectSettings) -> Self {
        self.project_settings = Some(settings);
        self
    }

    /// Writes what changed of the sessions and the outcome history: every minute and at shutdown.
    pub fn save(&self) {
        self.outcome_history.save_if_changed();
        if let Some(logins) = self.api.as_ref().and_then(|api| api.logins.as_ref()) {
            logins.sessions.save_if_changed();
        }
    }

    /// The state with the query API.
    #[must_use]
    pub fn with_api(mut self, api: Api) -> Self {
        self.api = Some(api);
        self
    }

    /// The store's health, also published as the `store_writable` gauge: the one place
    /// that gauge is set (on every append, `/readyz` and `/metrics`).
    pub fn store_health(&self) -> StoreHealth {
        let health = self.store.health();
        self.metrics.store_writable.set(i64::from(health.writable));
        health
    }
}

/// Permits of a semaphore for a configured cap: at least one (zero would wait forever),
/// and never more than a semaphore holds (more would panic).
pub(crate) fn permits(cap: usize) -> usize {
    cap.clamp(1, Semaphore::MAX_PERMITS)
}
