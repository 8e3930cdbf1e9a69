//! `sightline sql`: one read-only SQL query over the stopped store, printed as JSON lines or
//! a table. The tables are the store's own (`view`, `vital`, `error`, … — one per event kind,
//! columns in `docs/storage-columns.md`); it is the read-back tool of the tests and of
//! operators until the typed query API exists, and will become part of `sightline query`.
//!
//! The store is one process's at a time, so the server must be stopped first. Opening it
//! recovers it as a start does (the log's torn tail, unlisted files); the query itself
//! writes nothing, and the store is left without a flush.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use datafusion::execution::context::SQLOptions;
use sightline_store::arrow::json::{LineDelimitedWriter, WriterBuilder};
use sightline_store::arrow::record_batch::RecordBatch;
use sightline_store::arrow::util::pretty::pretty_format_batches;
use sightline_store::{EmbeddedStore, session_context};

use crate::config::{Config, Overrides};
use crate::erase::refuse_a_running_server;

/// What `sightline sql` takes.
#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// One query: `SELECT …` or `WITH … SELECT …` (DataFusion SQL). Tables: view, vital,
    /// error, request, resource, long_animation_frame, action, custom.
    #[arg(value_name = "QUERY")]
    query: String,
    /// How rows are printed: `json` (one object per line, nulls included) or `table`.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Configuration file (TOML): its data directory and store settings are used.
    #[arg(long, env = "SIGHTLINE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory [default: ./sightline-data, or the configuration's data_dir].
    #[arg(long, env = "SIGHTLINE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// One JSON object per row and line.
    Json,
    /// An aligned text table.
    Table,
}

/// Checks the query, runs it on the stopped store and prints the rows.
pub fn run(args: &SqlArgs) -> anyhow::Result<()> {
    sightline_query::check_read_only(&args.query)?;
    let overrides = Overrides { config: args.config.clone(), data_dir: args.data_dir.clone(), ..Overrides::default() };
    let config = Config::load(&overrides)?;
    refuse_a_running_server(&config.data_dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let batches = runtime.block_on(query(&config, &args.query))?;
    print(&batches, args.format)
}

async fn query(config: &Config, sql: &str) -> anyhow::Result<Vec<RecordBatch>> {
    let (store, _) = EmbeddedStore::open(&config.data_dir, &config.store.options())
        .with_context(|| format!("cannot open the store in {}", config.data_dir.display()))?;
    let store = Arc::new(store);
    let context = session_context(&store).context("cannot register the store's tables")?;
    let read_only = SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false);
    let frame = context.sql_with_options(sql, read_only).await.context("the query cannot be planned")?;
    // The store is dropped without a flush: a query leaves it as it found it.
    frame.collect().await.context("the query failed")
}

fn print(batches: &[RecordBatch], format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let mut writer: LineDelimitedWriter<_> = WriterBuilder::new().with_explicit_nulls(true).build(&mut out);
            writer.write_batches(&batches.iter().collect::<Vec<_>>())?;
            writer.finish()?;
        }
        Format::Table => {
            let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
            writeln!(out, "{}", pretty_format_batches(batches)?)?;
            writeln!(out, "({rows} row{})", if rows == 1 { "" } else { "s" })?;
        }
    }
    out.flush()?;
    Ok(())
}
