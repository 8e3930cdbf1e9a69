//! `sightline`: one binary that collects, stores and shows what real users experience.

mod config;
mod demo;
mod erase;
mod query;
mod serve;
mod sql;
mod table;
mod token;
mod user;

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
    /// Run the demo: 30 days of generated history, live simulated traffic and a demo shop at /demo/.
    Demo(Box<demo::DemoArgs>),
    /// Check a configuration (file + environment + flags) and print the effective settings.
    CheckConfig(Overrides),
    /// Erase every stored event of one session or one user of a project (stop the server first).
    Erase(erase::EraseArgs),
    /// Run one read-only SQL query over the stored events and print the rows (stop the server first).
    Sql(sql::SqlArgs),
    /// Ask a running server a query (`/api/v1/query`) and print the answer as a table or JSON.
    Query(Box<query::QueryArgs>),
    /// Create, list and revoke the API tokens that read through `/api/v1`.
    Token(token::TokenArgs),
    /// Create, list and delete the dashboard's users, or set a password.
    User(user::UserArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(overrides) => serve::run(&overrides),
        Command::Demo(args) => demo::run(&args),
        Command::CheckConfig(overrides) => serve::check_config(&overrides),
        Command::Erase(args) => erase::run(&args),
        Command::Sql(args) => sql::run(&args),
        Command::Query(args) => query::run(&args),
        Command::Token(args) => token::run(&args),
        Command::User(args) => user::run(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
