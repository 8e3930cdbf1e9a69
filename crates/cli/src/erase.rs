//! `sightline erase`: removes every stored event of one session or one user of a project
//! (a GDPR erasure request), working on the store directly. The store is one process's at a
//! time, so the server must be stopped first.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use sightline_store::{EmbeddedStore, EraseReport, Selector, Store};

use crate::config::{Config, Overrides};

/// What `sightline erase` takes.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("whose").required(true).args(["session_id", "user_id"])))]
pub struct EraseArgs {
    /// The project whose events are erased.
    #[arg(long, value_name = "PROJECT")]
    project: String,
    /// Erase every event of this session.
    #[arg(long, value_name = "ID")]
    session_id: Option<String>,
    /// Erase every event of this application user id.
    #[arg(long, value_name = "ID")]
    user_id: Option<String>,
    /// Configuration file (TOML): its data directory and store settings are used.
    #[arg(long, env = "SIGHTLINE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory [default: ./sightline-data, or the configuration's data_dir].
    #[arg(long, env = "SIGHTLINE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

/// Erases, then prints what was removed.
pub fn run(args: &EraseArgs) -> anyhow::Result<()> {
    let overrides = Overrides { config: args.config.clone(), data_dir: args.data_dir.clone(), ..Overrides::default() };
    let config = Config::load(&overrides)?;
    let selector = match (&args.session_id, &args.user_id) {
        (Some(session), _) => Selector::SessionId(session.clone()),
        (None, Some(user)) => Selector::UserId(user.clone()),
        (None, None) => bail!("name the session (--session-id) or the user (--user-id) to erase"),
    };
    refuse_a_running_server(&config.data_dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let report = runtime.block_on(erase(&config, &args.project, &selector))?;
    print_report(&args.project, &selector, &report)
}

/// A running `sightline` holds the lock of the store's write-ahead log: say what to do
/// rather than how opening failed. (Opening checks it again, holding the lock.) Shared with
/// `sightline sql`, which opens the store the same way.
pub(crate) fn refuse_a_running_server(data_dir: &Path) -> anyhow::Result<()> {
    let store = data_dir.join("store");
    if !store.join("manifest.json").exists() && !store.join("wal").exists() {
        bail!("there is no store in {}: check --data-dir (or data_dir in the configuration)", data_dir.display());
    }
    let lock = store.join("wal").join("LOCK");
    let Ok(file) = std::fs::File::open(&lock) else { return Ok(()) };
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "the store in {} is in use by a running sightline: stop sightline first, or make sure no other \
             `sightline erase` or `sightline sql` is running, then try again",
            store.display()
        ),
        Err(std::fs::TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("cannot check whether {} is in use", lock.display()))
        }
    }
}

async fn erase(config: &Config, project: &str, selector: &Selector) -> anyhow::Result<EraseReport> {
    let (store, _) = EmbeddedStore::open(&config.data_dir, &config.store.options())
        .with_context(|| format!("cannot open the store in {}", config.data_dir.display()))?;
    let erased = store.erase(project, selector).await;
    // Closing flushes, deletes the replaced files at once and releases the store.
    store.close().await;
    erased.with_context(|| format!("erasing {selector} of project {project:?} failed"))
}

fn print_report(project: &str, selector: &Selector, report: &EraseReport) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let per_kind: Vec<String> = report.rows.iter().map(|(kind, rows)| format!("{} {rows}", kind.as_str())).collect();
    let per_kind = if per_kind.is_empty() { String::new() } else { format!(" ({})", per_kind.join(", ")) };
    writeln!(out, "erased {selector} of project {project:?}: {} rows{per_kind}", report.total_rows())?;
    writeln!(
        out,
        "  files: {} checked, {} rewritten, {} dropped (every row erased), {} skipped by their statistics",
        report.files_checked, report.files_rewritten, report.files_dropped, report.files_skipped_by_statistics
    )?;
    writeln!(out, "  rows still in memory when erased: {}", report.buffered_rows)?;
    Ok(())
}
