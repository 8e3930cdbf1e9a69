//! `sightline demo`: a server with its own data directory, 30 days of generated history,
//! live simulated traffic and the demo shop at `/demo/`.
//!
//! 1. The data directory (`./sightline-demo` unless told otherwise) is reused when it holds
//!    a finished history (`demo.json`); `--reset` deletes it first.
//! 2. Otherwise [`history`] generates the history straight into the store's Parquet files
//!    with the bulk writer (the load generator's population, its stories, the intake's
//!    pipeline), with a progress bar on stderr, and writes `demo.json` last.
//! 3. The dashboard user `admin` gets a known password (printed), unless users exist.
//! 4. The server starts as `sightline serve` does, with the demo shop's routes; once it
//!    listens, [`live`] posts a few simulated beacons a second to its intake over loopback.

mod history;
mod live;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use sightline_ingest::ProjectConfig;
use sightline_server::api::users::{ADMIN_PASSWORD_ENV, UserFile, ensure_first_admin, epoch_ms};
use sightline_server::demo_site::DEMO_PROJECT_ID;

use crate::config::{Config, Overrides};
use crate::serve::{self, Extras};

/// The demo's data directory when none is named.
const DEFAULT_DATA_DIR: &str = "sightline-demo";
/// The file that says the history is complete, and what it was made with.
const MARKER: &str = "demo.json";
/// The password of `admin` in a fresh demo (unless `SIGHTLINE_ADMIN_PASSWORD` says otherwise).
const DEMO_PASSWORD: &str = "sightline-demo";
const DAY_MS: i64 = 86_400_000;

/// Flags of `sightline demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to listen, the log level… as for `serve` (the data directory defaults to ./sightline-demo).
    #[command(flatten)]
    pub overrides: Overrides,
    /// Delete the demo's data directory and generate the history again.
    #[arg(long)]
    pub reset: bool,
    /// Page views in the generated history (sized for well under a minute).
    #[arg(long, default_value_t = 120_000, value_name = "N")]
    pub history_views: u64,
    /// Days of generated history, ending when the demo first starts.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub history_days: u32,
    /// Simulated beacons posted to the intake per second, as live traffic (0: none).
    #[arg(long, default_value_t = 3.0, value_name = "N")]
    pub live_rate: f64,
}

/// What `demo.json` records about the generated history.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    /// The demo project's ingest key.
    ingest_key: String,
    /// End of the generated history, epoch ms.
    generated_until_ms: i64,
    /// Days of history.
    days: u32,
    /// Page views generated.
    views: u64,
    /// Events written.
    events: u64,
    /// Seconds it took.
    seconds: f64,
}

/// Runs the demo until Ctrl-C or SIGTERM.
pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.live_rate.is_finite() && (0.0..=1000.0).contains(&args.live_rate),
        "--live-rate must be between 0 and 1000 beacons per second"
    );
    anyhow::ensure!((1..=366).contains(&args.history_days), "--history-days must be between 1 and 366");
    let mut overrides = args.overrides.clone();
    let data_dir = overrides.data_dir.get_or_insert_with(|| PathBuf::from(DEFAULT_DATA_DIR)).clone();
    let mut config = Config::load(&overrides)?;
    serve::init_logging(&config)?;
    if args.reset {
        remove_demo_dir(&data_dir)?;
    }
    let marker = match read_marker(&data_dir)? {
        Some(marker) => {
            eprintln!(
                "reusing the demo data in {} ({} page views up to {}; --reset starts over)",
                data_dir.display(),
                marker.views,
                history::format_day(marker.generated_until_ms)
            );
            marker
        }
        None => generate(&data_dir, args)?,
    };
    config.projects = vec![demo_project(&marker.ingest_key)];
    // Beacons of the simulated visitors name their country the way a CDN would.
    config.intake.trust_cdn_headers = true;
    let password = demo_admin(&data_dir)?;
    let (key, rate) = (marker.ingest_key, args.live_rate);
    let extras = Extras {
        demo_site: true,
        on_listening: Some(Box::new(move |address| {
            if let Err(error) = banner(address, &key, password.as_deref()) {
                tracing::warn!(%error, "the demo's banner could not be written");
            }
            live::start(address, key, rate)
        })),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve::serve(config, extras))
}

/// Generates the history into a fresh data directory and writes the marker last.
fn generate(data_dir: &Path, args: &DemoArgs) -> anyhow::Result<Marker> {
    if data_dir.join("store").exists() {
        // A history that did not finish (or a directory of `serve`): start over.
        remove_demo_dir(data_dir)?;
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let ingest_key = serve::new_ingest_key();
    let now_ms = epoch_ms(std::time::SystemTime::now());
    let project = demo_project(&ingest_key);
    let options =
        history::HistoryOptions { views: args.history_views, now_ms, window_ms: i64::from(args.history_days) * DAY_MS };
    eprintln!(
        "generating {} days of demo history (about {} page views) into {}",
        args.history_days,
        args.history_views,
        data_dir.display()
    );
    let report = history::generate(data_dir, &project, &options)?;
    let marker = Marker {
        ingest_key,
        generated_until_ms: now_ms,
        days: args.history_days,
        views: report.views,
        events: report.events,
        seconds: report.seconds,
    };
    let text = serde_json::to_string_pretty(&marker)?;
    std::fs::write(data_dir.join(MARKER), format!("{text}\n"))
        .with_context(|| format!("cannot write {}", data_dir.join(MARKER).display()))?;
    eprintln!("generated {} page views, {} events in {:.1} s", report.views, report.events, report.seconds);
    Ok(marker)
}

fn read_marker(data_dir: &Path) -> anyhow::Result<Option<Marker>> {
    let path = data_dir.join(MARKER);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .with_context(|| format!("{} is damaged: run `sightline demo --reset`", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Deletes a demo data directory; refuses a directory that does not look like one.
fn remove_demo_dir(data_dir: &Path) -> anyhow::Result<()> {
    if !data_dir.exists() {
        return Ok(());
    }
    let is_demo = data_dir.join(MARKER).exists()
        || std::fs::read_dir(data_dir)?.all(|entry| {
            entry.is_ok_and(|entry| {
                let name = entry.file_name();
                ["store", "users.json", "sessions.json", "outcomes.json", "tokens.json"]
                    .contains(&name.to_string_lossy().as_ref())
            })
        });
    anyhow::ensure!(
        is_demo,
        "{} does not look like a demo data directory (no {MARKER}): not deleting it",
        data_dir.display()
    );
    std::fs::remove_dir_all(data_dir).with_context(|| format!("cannot delete {}", data_dir.display()))
}

/// The demo shop's project: the simulated shop's hosts and the demo pages on any origin.
pub(crate) fn demo_project(ingest_key: &str) -> ProjectConfig {
    ProjectConfig {
        id: DEMO_PROJECT_ID.into(),
        name: "Demo shop".into(),
        ingest_key: ingest_key.to_owned(),
        // The demo shop is served by this server, on whatever address it listens on.
        allowed_origins: vec!["*".into()],
        query_allowlist: vec!["utm_*".into(), "page".into()],
        route_patterns: vec!["/blog/:slug".into(), "/help/*".into()],
        retention_days: 400,
        // Kept, flagged as device class `bot`: a headless browser clicking through the shop
        // (the browser test, a screenshot tool) shows up like a person would.
        drop_bots: false,
        ..ProjectConfig::default()
    }
}

/// Creates `admin` with the demo's password when there is no user; the password to print.
fn demo_admin(data_dir: &Path) -> anyhow::Result<Option<String>> {
    let env_password = std::env::var(ADMIN_PASSWORD_ENV).ok().filter(|password| !password.is_empty());
    let password = env_password.unwrap_or_else(|| DEMO_PASSWORD.to_owned());
    Ok(ensure_first_admin(&UserFile::path(data_dir), Some(&password))?.map(|admin| admin.password))
}

/// Tells the person at the terminal where to look and how to log in.
fn banner(address: SocketAddr, key: &str, password: Option<&str>) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "  demo shop:  http://{address}/demo/  (your clicks there appear as a session)")?;
    writeln!(out, "  dashboard:  http://{address}/  (project {DEMO_PROJECT_ID:?}, ingest key {key})")?;
    match password {
        Some(password) => writeln!(out, "  log in as admin with the password {password}")?,
        None => writeln!(
            out,
            "  log in as admin (password: sightline-demo, or {ADMIN_PASSWORD_ENV} of the first start, unless changed)"
        )?,
    }
    writeln!(out, "  the stories to find in the history: docs/demo.md")?;
    out.flush()
}
