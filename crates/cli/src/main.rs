//! `sightline`: one binary that collects, stores and shows what real users experience.

mod allocator;
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

/// Sightline: open-source Real User Monitoring. One binary collects the browser agent's
/// beacons, stores them and shows them in a dashboard.
#[derive(Debug, Parser)]
#[command(
    name = "sightline",
    version,
    after_help = "Start here:
  sightline demo      a dashboard with 30 days of generated history and a demo shop at /demo/
  sightline serve     an empty server on 127.0.0.1:8080 (data in ./sightline-data)

Each command has its own help: sightline serve --help. Docs: docs/getting-started.md"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: beacon intake, the agent at /agent.js, the dashboard, the query API, health and metrics.
    #[command(after_help = "Examples:
  sightline serve                                   127.0.0.1:8080, data in ./sightline-data
  sightline serve --listen 0.0.0.0:8080 --data-dir /var/lib/sightline
  sightline serve --config /etc/sightline/sightline.toml

Configuration keys: docs/configuration.md. Running it for real: docs/production.md")]
    Serve(Overrides),
    /// Run the demo: 30 days of generated history, live simulated traffic and a demo shop at /demo/.
    #[command(after_help = "Examples:
  sightline demo                                    data in ./sightline-demo, log in as admin / sightline-demo
  sightline demo --reset                            throw the demo data away and generate it again
  sightline demo --listen 127.0.0.1:9090 --live-rate 0

The stories hidden in the history: docs/demo.md")]
    Demo(Box<demo::DemoArgs>),
    /// Check a configuration (file + environment + flags) and print the effective settings,
    /// with the project settings changed in the dashboard (<data_dir>/project-settings.json).
    #[command(after_help = "Example:
  sightline check-config --config /etc/sightline/sightline.toml")]
    CheckConfig(Overrides),
    /// Erase every stored event of one session or one user of a project (stop the server first).
    #[command(after_help = "Examples:
  sightline erase --project shop --user-id u_1234 --data-dir /var/lib/sightline
  sightline erase --project shop --session-id 6f1c0d9a2b3e4f5a6b7c8d9e0f1a2b3c

What erase removes and what it cannot: docs/privacy.md, docs/storage.md")]
    Erase(erase::EraseArgs),
    /// Run one read-only SQL query over the stored events and print the rows (stop the server first).
    #[command(after_help = "Example:
  sightline sql --format table \"SELECT name, approx_percentile_cont(value, 0.75) AS p75 FROM vital GROUP BY name\"

Columns of each table: docs/storage-columns.md. With the server running: sightline query --sql")]
    Sql(sql::SqlArgs),
    /// Ask a running server a query (`/api/v1/query`) and print the answer as a table or JSON.
    #[command(after_help = "Examples:
  export SIGHTLINE_TOKEN=$(sightline token create --project default --name me)
  sightline query --metric lcp --stat p75,poor --last 7d
  sightline query --metric inp --stat p75 --by release --filter route=checkout --last 30d
  sightline query --metric page_views --stat count --bucket day --last 30d --format json
  sightline query --sql \"SELECT count(*) FROM error\"

Metrics, statistics and dimensions: docs/query.md")]
    Query(Box<query::QueryArgs>),
    /// Create, list and revoke the API tokens that read through `/api/v1`.
    #[command(after_help = "Examples:
  sightline token create --project default --name grafana
  sightline token create --all-projects --name me
  sightline token list
  sightline token revoke grafana")]
    Token(token::TokenArgs),
    /// Create, list and delete the dashboard's users, or set a password.
    #[command(after_help = "Examples:
  sightline user create alice                       prints a made-up password once
  echo 'a long passphrase' | sightline user set-password admin --password-stdin
  sightline user list")]
    User(user::UserArgs),
}

fn main() -> std::process::ExitCode {
    allocator::tune();
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn every_command_has_a_one_line_about_and_the_top_level_points_to_the_docs() {
        let cli = Cli::command();
        cli.clone().debug_assert();
        let mut missing = Vec::new();
        let mut stack: Vec<(String, clap::Command)> = vec![("sightline".into(), cli.clone())];
        while let Some((path, command)) = stack.pop() {
            if command.get_about().is_none_or(|about| about.to_string().trim().is_empty()) {
                missing.push(path.clone());
            }
            for sub in command.get_subcommands() {
                stack.push((format!("{path} {}", sub.get_name()), sub.clone()));
            }
        }
        assert!(missing.is_empty(), "commands without an about: {missing:?}");
        let help = cli.clone().render_help().to_string();
        assert!(help.contains("sightline demo") && help.contains("docs/getting-started.md"), "{help}");
        let serve =
            cli.find_subcommand("serve").map(|serve| serve.clone().render_help().to_string()).unwrap_or_default();
        assert!(serve.contains("Examples:") && serve.contains("docs/production.md"), "{serve}");
    }
}
