//! `sightline token create|list|revoke`: the API tokens in `<data_dir>/tokens.json`.
//! A token is printed once, when it is made; the file keeps only its SHA-256. A running
//! server notices the change within a second, so no restart is needed.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use sightline_server::api::tokens::TokenFile;

use crate::config::{Config, Overrides};

/// What `sightline token` takes.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
    /// Configuration file (TOML): its data directory and projects are used.
    #[arg(long, env = "SIGHTLINE_CONFIG", value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Data directory [default: ./sightline-data, or the configuration's data_dir].
    #[arg(long, env = "SIGHTLINE_DATA_DIR", value_name = "DIR", global = true)]
    data_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum TokenCommand {
    /// Create a token and print it (only this once).
    Create {
        /// The project the token reads.
        #[arg(long, value_name = "ID", required_unless_present = "all_projects")]
        project: Option<String>,
        /// A token that reads every project; each request names one (`?project=ID`).
        #[arg(long, conflicts_with = "project")]
        all_projects: bool,
        /// A unique name, to list and revoke the token by.
        #[arg(long)]
        name: String,
    },
    /// List the tokens (names, projects, creation times; never the tokens).
    List,
    /// Revoke a token by name.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// Runs a `token` subcommand.
pub fn run(args: &TokenArgs) -> anyhow::Result<()> {
    let overrides = Overrides { config: args.config.clone(), data_dir: args.data_dir.clone(), ..Overrides::default() };
    let config = Config::load(&overrides)?;
    let path = TokenFile::path(&config.data_dir);
    let mut file = TokenFile::load(&path)?;
    let mut out = std::io::stdout().lock();
    match &args.command {
        TokenCommand::Create { project, all_projects: _, name } => {
            if let Some(project) = project {
                let known = project_ids(&config);
                if !known.iter().any(|id| id == project) {
                    bail!("there is no project {project:?}: the configured projects are {}", known.join(", "));
                }
            }
            std::fs::create_dir_all(&config.data_dir)
                .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
            let token = file.create(name, project.as_deref(), std::time::SystemTime::now())?;
            file.save(&path)?;
            writeln!(out, "{token}")?;
            let scope = project.as_ref().map_or_else(|| "every project".to_owned(), |id| format!("project {id:?}"));
            eprintln!("created token {name:?} for {scope}; it is shown only this once, keep it somewhere safe");
        }
        TokenCommand::List => {
            let rows: Vec<Vec<String>> = file
                .tokens
                .iter()
                .map(|entry| {
                    let project = entry.project.clone().unwrap_or_else(|| "(every project)".into());
                    vec![entry.name.clone(), project, entry.created_at.clone()]
                })
                .collect();
            write!(out, "{}", crate::table::render(&["NAME", "PROJECT", "CREATED"], &rows))?;
        }
        TokenCommand::Revoke { name } => {
            if !file.revoke(name) {
                bail!("there is no token named {name:?} (see `sightline token list`)");
            }
            file.save(&path)?;
            writeln!(out, "revoked token {name:?}")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The projects a token may name: the configured ones, or `default` when none is (as
/// `sightline serve` does).
fn project_ids(config: &Config) -> Vec<String> {
    if config.projects.is_empty() {
        return vec![sightline_ingest::ProjectConfig::default().id];
    }
    config.projects.iter().map(|project| project.id.clone()).collect()
}
