//! `sightline serve`: wiring config, store, pipeline and server together.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use rand::Rng as _;
use sightline_ingest::enrich::Enricher;
use sightline_ingest::enrich::geo::GeoDatabase;
use sightline_ingest::{Pipeline, ProjectConfig};
use sightline_server::api::login::Logins;
use sightline_server::api::sessions::{self, SessionStore};
use sightline_server::api::tokens::TokenFile;
use sightline_server::api::users::{ADMIN_PASSWORD_ENV, UserFile, UserStore, ensure_first_admin, epoch_ms};
use sightline_server::outcome_history::{self, OutcomeHistory};
use sightline_server::project_settings::{self, ProjectSettings, SettingsPatch};
use sightline_server::{Api, AppState, Metrics, ProjectRegistry};
use sightline_store::{EmbeddedStore, OpenReport, Store, Tables};
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat, Overrides};

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(overrides: &Overrides) -> anyhow::Result<()> {
    let config = Config::load(overrides)?;
    init_logging(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(config, Extras::default()))
}

/// What `sightline demo` adds to a server: the demo shop's routes, and a task started once
/// the server listens (it gets the address; it is aborted at shutdown).
#[derive(Default)]
pub(crate) struct Extras {
    pub demo_site: bool,
    pub on_listening: Option<Box<dyn FnOnce(std::net::SocketAddr) -> tokio::task::JoinHandle<()> + Send>>,
}

/// Prints the effective configuration, or what is wrong with it: the file, environment and
/// flags, with the project settings changed in the dashboard laid over them as `serve` does
/// (`<data_dir>/project-settings.json`, read only), and which those are.
pub fn check_config(overrides: &Overrides) -> anyhow::Result<()> {
    let mut config = Config::load(overrides)?;
    if let Some(path) = &config.geoip_db {
        GeoDatabase::open(path)?;
    }
    if config.projects.is_empty()
        && let Some(project) = existing_default_project(&config.data_dir)?
    {
        config.projects.push(project);
    }
    let settings = ProjectSettings::open(&config.data_dir, &mut config.projects).map_err(anyhow::Error::msg)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "configuration is valid")?;
    writeln!(out, "{config:#?}")?;
    write_dashboard_changes(&mut out, &config, &settings)?;
    Ok(())
}

/// Which project settings come from the dashboard, with the configuration file's values
/// they override (or why they are left out).
fn write_dashboard_changes(
    out: &mut impl std::io::Write,
    config: &Config,
    settings: &ProjectSettings,
) -> anyhow::Result<()> {
    let file = config.data_dir.join(project_settings::FILE_NAME);
    let mut any = false;
    for project in &config.projects {
        let (Some(change), Some(configured)) = (settings.changes(&project.id), settings.configured(&project.id)) else {
            continue;
        };
        any = true;
        let values = |config: &ProjectConfig| serde_json::to_value(SettingsPatch::of(config)).unwrap_or_default();
        let (effective, configured) = (values(project), values(configured));
        if effective == configured {
            writeln!(
                out,
                "project {:?}: the dashboard's changes in {} are invalid and left out (the server logs why)",
                project.id,
                file.display()
            )?;
            continue;
        }
        writeln!(
            out,
            "project {:?}: changed in the dashboard by {} at {} (kept in {}), in force over the configuration file:",
            project.id,
            change.updated_by,
            change.updated_at,
            file.display()
        )?;
        for field in change.fields {
            writeln!(out, "  {field} = {} (the configuration file says {})", effective[field], configured[field])?;
        }
    }
    if !any {
        writeln!(out, "no project setting is changed in the dashboard ({})", file.display())?;
    }
    Ok(())
}

pub(crate) async fn serve(mut config: Config, extras: Extras) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    if config.projects.is_empty() {
        config.projects.push(default_project(&config.data_dir)?);
    }
    let geo = match &config.geoip_db {
        Some(path) => Some(GeoDatabase::open(path)?),
        None => None,
    };
    let settings = ProjectSettings::open(&config.data_dir, &mut config.projects).map_err(anyhow::Error::msg)?;
    let projects = ProjectRegistry::new(config.projects.clone()).map_err(anyhow::Error::msg)?;
    let store = open_store(&config).await?;
    let retention_store = Arc::clone(&store);
    let settings = settings.on_retention(Box::new(move |days| retention_store.set_retention(days)));
    store.set_retention(config.projects.iter().map(|project| (project.id.clone(), project.retention_days)).collect());
    store.start_maintenance(config.store.maintenance());
    let metrics = Arc::new(Metrics::new());
    let tables: Arc<dyn Tables> = Arc::new(Arc::clone(&store));
    let api = Api::new(config.api.clone(), tables, TokenFile::path(&config.data_dir))
        .context("cannot start the query runtime")?
        .with_logins(logins(&config.data_dir));
    let now_ms = epoch_ms(std::time::SystemTime::now());
    let history = OutcomeHistory::open(config.data_dir.join(outcome_history::FILE_NAME), now_ms);
    let state = Arc::new(
        AppState::new(
            config.intake.clone(),
            projects,
            Pipeline::new(Enricher::new(geo)),
            Arc::clone(&store) as Arc<dyn Store>,
            Arc::clone(&metrics),
        )
        .with_api(api)
        .with_outcome_history(history)
        .with_project_settings(settings),
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}: is another process using it?", config.listen))?;
    let address = listener.local_addr()?;
    let shutdown = shutdown_signal()?;
    first_admin(&config.data_dir, address)?;
    if let Err(error) = announce(address, &config.projects) {
        // A closed stdout (a supervisor that read the first line) must not stop the server.
        tracing::warn!(%error, "the banner could not be written to stdout");
    }
    let housekeeping = sightline_server::start_housekeeping(&state);
    let extra_task = extras.on_listening.map(|start| start(address));
    tracing::info!(%address, data_dir = %config.data_dir.display(), "sightline is ready");
    let router = if extras.demo_site {
        sightline_server::demo_router(Arc::clone(&state))
    } else {
        sightline_server::router(Arc::clone(&state))
    };
    sightline_server::listener::serve(listener, router, &config.intake, metrics, shutdown).await?;
    housekeeping.abort();
    if let Some(task) = extra_task {
        task.abort();
    }
    state.save();
    tracing::info!(buffered_rows = store.buffered_rows(), "flushing the store");
    store.close().await;
    tracing::info!("sightline stopped");
    Ok(())
}

/// Opens the embedded store under `<data_dir>/store/` (replaying its write-ahead log, which
/// blocks) and logs what it found.
async fn open_store(config: &Config) -> anyhow::Result<Arc<EmbeddedStore>> {
    let interim_log = config.data_dir.join("intake").join("events.jsonl");
    if interim_log.exists() {
        tracing::warn!(
            path = %interim_log.display(),
            "events of the interim log store are not read any more; they stay in that file"
        );
    }
    let (data_dir, options) = (config.data_dir.clone(), config.store.options());
    let (store, report) = tokio::task::spawn_blocking(move || EmbeddedStore::open(&data_dir, &options))
        .await
        .context("opening the store failed")??;
    log_open_report(&store, &report);
    Ok(Arc::new(store))
}

fn log_open_report(store: &EmbeddedStore, report: &OpenReport) {
    let stats = store.stats();
    tracing::info!(
        dir = %store.dir().display(),
        files = stats.files,
        file_rows = stats.file_rows,
        wal_segments = report.wal.segments,
        replayed_events = report.replayed_events,
        "store opened"
    );
    if !report.swept_files.is_empty() {
        tracing::info!(files = report.swept_files.len(), "deleted the files of a flush that did not finish");
    }
    let (damage, gaps) = (&report.wal.damage, &report.wal.gaps);
    if !damage.is_empty() || !gaps.is_empty() || report.undecodable_records > 0 {
        let dropped_bytes: u64 = damage.iter().map(|damage| damage.dropped_bytes).sum();
        let missing_records: u64 = gaps.iter().map(|gap| gap.last.0.saturating_sub(gap.first.0) + 1).sum();
        tracing::warn!(
            damaged_places = damage.len(),
            dropped_bytes,
            missing_records,
            undecodable_records = report.undecodable_records,
            "the write-ahead log was damaged; the events in the damaged parts are lost (details above)"
        );
    }
}

/// Tells the person at the terminal where to send beacons.
fn announce(address: std::net::SocketAddr, projects: &[ProjectConfig]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "Sightline {} listening on http://{address}", env!("CARGO_PKG_VERSION"))?;
    for project in projects {
        writeln!(
            out,
            "  project {:?}: ingest key {}  → POST http://{address}/ingest/v1/{}",
            project.id, project.ingest_key, project.ingest_key
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Dashboard users (`users.json`) and their sessions (`sessions.json`).
fn logins(data_dir: &Path) -> Logins {
    let now_ms = epoch_ms(std::time::SystemTime::now());
    let sessions = SessionStore::open(data_dir.join(sessions::FILE_NAME), now_ms);
    Logins::new(UserStore::new(UserFile::path(data_dir)), sessions)
}

/// Creates the user `admin` when there is no user yet, and says once how to log in.
fn first_admin(data_dir: &Path, address: std::net::SocketAddr) -> anyhow::Result<()> {
    let env_password = std::env::var(ADMIN_PASSWORD_ENV).ok();
    let Some(admin) = ensure_first_admin(&UserFile::path(data_dir), env_password.as_deref())? else {
        return Ok(());
    };
    let mut err = std::io::stderr().lock();
    if admin.generated {
        writeln!(
            err,
            "created the dashboard user \"admin\" with the password {}\n  (shown only this once: log in at \
             http://{address}/ and change it with `sightline user set-password admin`)",
            admin.password
        )?;
    } else {
        writeln!(
            err,
            "created the dashboard user \"admin\" with the password from {ADMIN_PASSWORD_ENV}; log in at http://{address}/"
        )?;
    }
    Ok(())
}

/// The `default` project, with an ingest key created once and kept in the data directory.
fn default_project(data_dir: &Path) -> anyhow::Result<ProjectConfig> {
    if let Some(project) = existing_default_project(data_dir)? {
        return Ok(project);
    }
    let key = new_ingest_key();
    let key_file = data_dir.join(DEFAULT_KEY_FILE);
    std::fs::write(&key_file, format!("{key}\n")).with_context(|| format!("cannot write {}", key_file.display()))?;
    Ok(ProjectConfig { ingest_key: key, ..ProjectConfig::default() })
}

/// The key of the project `serve` runs when none is configured, in the data directory.
const DEFAULT_KEY_FILE: &str = "default-ingest-key";

/// The project `serve` runs when none is configured, if it has run before (its key file
/// exists); nothing is created.
fn existing_default_project(data_dir: &Path) -> anyhow::Result<Option<ProjectConfig>> {
    let key_file = data_dir.join(DEFAULT_KEY_FILE);
    match std::fs::read_to_string(&key_file) {
        Ok(key) => Ok(Some(ProjectConfig { ingest_key: key.trim().to_owned(), ..ProjectConfig::default() })),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", key_file.display())),
    }
}

pub(crate) fn new_ingest_key() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let suffix: String = (0..24).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect();
    format!("pk_{suffix}")
}

pub(crate) fn init_logging(config: &Config) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&config.log_level)
        .with_context(|| format!("invalid log_level {:?}: try info, debug or warn", config.log_level))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(())
}

/// Listens for SIGINT and SIGTERM from the moment it is called, so that a signal sent as
/// soon as the banner is out is a graceful stop and not the default action that kills the
/// process; the future completes when one arrives.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tracing::info!("shutting down");
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}

#[cfg(all(test, unix))]
mod tests {
    use std::time::Duration;

    #[tokio::test]
    async fn a_sigterm_is_caught_before_the_shutdown_future_is_awaited() {
        let shutdown = super::shutdown_signal().expect("signal handlers");
        let pid = std::process::id().to_string();
        let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(sent.success());
        tokio::time::timeout(Duration::from_secs(10), shutdown).await.expect("the SIGTERM ends the wait");
    }
}
