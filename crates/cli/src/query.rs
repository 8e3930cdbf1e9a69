//! `sightline query`: posts one query to a running server's `/api/v1/query` (or, with
//! `--sql`, one statement to `/api/v1/sql`) and prints the answer as a table or JSON. The query is given whole (`--query-json`, `--query-file`,
//! standard input) or built from flags for the common cases ([`flags`]); the server
//! checks it either way, and its errors are printed as their message.

mod flags;
mod output;

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use url::{Position, Url};

use crate::config::{Config, Overrides};

/// How long the CLI waits for an answer (the server's own limit is usually shorter).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(300);

/// What `sightline query` takes.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The server, e.g. http://127.0.0.1:8080 (default: the configuration's listen address).
    #[arg(long, env = "SIGHTLINE_URL", value_name = "URL")]
    url: Option<Url>,
    /// An API token (`sightline token create`).
    #[arg(long, env = "SIGHTLINE_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    token: String,
    /// The project, for a token that reads every project.
    #[arg(long, value_name = "ID")]
    project: Option<String>,
    /// How the answer is printed.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// The whole query as JSON (docs/query.md).
    #[arg(long, value_name = "JSON", conflicts_with_all = ["query_file", "metric"])]
    query_json: Option<String>,
    /// A file holding the query as JSON; `-` reads standard input.
    #[arg(long, value_name = "FILE", conflicts_with = "metric")]
    query_file: Option<PathBuf>,
    /// One read-only SQL statement over the project's event tables (`/api/v1/sql`), instead
    /// of a typed query.
    #[arg(long, value_name = "SELECT", conflicts_with_all = ["query_json", "query_file", "metric"])]
    sql: Option<String>,
    /// The query built from flags.
    #[command(flatten)]
    flags: flags::QueryFlags,
    /// Configuration file (TOML): its listen address is the default `--url`.
    #[arg(long, env = "SIGHTLINE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Aligned text tables.
    Table,
    /// The server's answer as JSON.
    Json,
}

/// Builds the query, sends it and prints the answer.
pub fn run(args: &QueryArgs) -> anyhow::Result<()> {
    let (endpoint, body) = match &args.sql {
        Some(sql) => ("sql", serde_json::to_vec(&serde_json::json!({ "sql": sql }))?),
        None => ("query", query_body(args)?),
    };
    let base = match &args.url {
        Some(url) => url.clone(),
        None => default_url(args)?,
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (status, answer) = runtime
        .block_on(async { tokio::time::timeout(CLIENT_TIMEOUT, post(&base, endpoint, args, body)).await })
        .context("the server did not answer in time")??;
    if status != 200 {
        bail!("{}", server_error(status, &answer));
    }
    let answer: serde_json::Value = serde_json::from_slice(&answer).context("the server's answer is not JSON")?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&answer)?)?,
        Format::Table => write!(out, "{}", output::table(&answer)?)?,
    }
    out.flush()?;
    Ok(())
}

/// The query's JSON text: given whole, built from flags, or read from standard input.
fn query_body(args: &QueryArgs) -> anyhow::Result<Vec<u8>> {
    if let Some(json) = &args.query_json {
        return Ok(json.clone().into_bytes());
    }
    if let Some(path) = &args.query_file {
        if path.as_os_str() == "-" {
            return read_stdin();
        }
        return std::fs::read(path).with_context(|| format!("cannot read {}", path.display()));
    }
    if args.flags.metric.is_some() {
        let query = args.flags.build(std::time::SystemTime::now())?;
        return Ok(serde_json::to_vec(&query)?);
    }
    if std::io::stdin().is_terminal() {
        bail!(
            "give a query: --metric … (see --help), --query-json '{{…}}', --query-file FILE, or JSON on standard input"
        );
    }
    read_stdin()
}

fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    std::io::stdin().read_to_end(&mut body).context("cannot read the query from standard input")?;
    Ok(body)
}

/// `http://` and the configured listen address (a wildcard address becomes loopback).
fn default_url(args: &QueryArgs) -> anyhow::Result<Url> {
    let config = Config::load(&Overrides { config: args.config.clone(), ..Overrides::default() })?;
    let mut address = config.listen;
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    Ok(Url::parse(&format!("http://{address}"))?)
}

async fn post(base: &Url, endpoint: &str, args: &QueryArgs, body: Vec<u8>) -> anyhow::Result<(u16, Bytes)> {
    if base.scheme() != "http" {
        bail!("--url must be an http:// address (for https, put the query in a file and use curl; see docs/api.md)");
    }
    let host = base.host_str().context("--url has no host")?;
    let port = base.port_or_known_default().unwrap_or(80);
    let mut target = base.clone();
    target.set_path(&format!("{}/api/v1/{endpoint}", base.path().trim_end_matches('/')));
    target.set_query(None);
    if let Some(project) = &args.project {
        target.query_pairs_mut().append_pair("project", project);
    }
    let stream = tokio::net::TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port))
        .await
        .with_context(|| format!("cannot connect to {base}: is `sightline serve` running there?"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = Request::post(&target[Position::BeforePath..])
        .header(HOST, &target[Position::BeforeHost..Position::AfterPort])
        .header(AUTHORIZATION, format!("Bearer {}", args.token.trim()))
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))?;
    let response = sender.send_request(request).await.with_context(|| format!("the request to {target} failed"))?;
    let status = response.status().as_u16();
    let answer = response.into_body().collect().await.context("the answer was cut off")?.to_bytes();
    Ok((status, answer))
}

/// The message of an error answer, or the status and raw text when it is not one.
fn server_error(status: u16, answer: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(answer).ok();
    let message = parsed.as_ref().and_then(|value| value["error"]["message"].as_str());
    match message {
        Some(message) => format!("the server refused the query ({status}): {message}"),
        None => format!("the server answered {status}: {}", String::from_utf8_lossy(answer).trim()),
    }
}
