//! `sightline`: one binary that collects, stores and shows what real users experience.

mod config;
mod erase;
mod serve;
mod sql;

use clap::{Parser, Subcommand};

use crate::config::Overrides;

/// mimalloc: the intake allocates many short-lived strings per event; glibc's malloc
/// spent a quarter of the pipeline's time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sightline: open-source Real User Monitoring.
#[derive(Debug, Parser)]
#[command(name = "sightline", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: beacon intake, health and metrics.
    Serve(Overrides),
    /// Check a configuration (file + environment + flags) and print the effective settings.
    CheckConfig(Overrides),
    /// Erase every stored event of one session or one user of a project (stop the server first).
    Erase(erase::EraseArgs),
    /// Run one read-only SQL query over the stored events and print the rows (stop the server first).
    Sql(sql::SqlArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(overrides) => serve::run(&overrides),
        Command::CheckConfig(overrides) => serve::check_config(&overrides),
        Command::Erase(args) => erase::run(&args),
        Command::Sql(args) => sql::run(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
