//! Read-only SQL for power users: one `SELECT` over one project's events.
//!
//! The user's statement never sees the caller's tables. It runs in a session of its own
//! whose tables (`view`, `vital`, `error`… — every table of the caller's default schema
//! that has a `project` column) are *views* of the caller's: `SELECT * FROM <kind> WHERE
//! project = $project`. A view's plan is part of every statement that names it, so no
//! subquery, union, join or common table expression can reach a row of another project;
//! the underlying tables have no name in that session, `information_schema` is off, and
//! the only table functions are DataFusion's generators (`generate_series`, `range`),
//! which read nothing. The statement must be one query (`SELECT`, `WITH`, `VALUES`):
//! DDL, DML, `COPY`, `SET`, `EXPLAIN` and the rest are refused before planning, and once
//! more by DataFusion's [`SQLOptions`]. It runs for at most [`SqlLimits::timeout`] and
//! returns at most [`SqlLimits::max_rows`] rows, saying when it cut the answer short.

use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::json::writer::{JsonArray, WriterBuilder};
use datafusion::catalog::default_table_source::provider_as_source;
use datafusion::catalog::view::ViewTable;
use datafusion::execution::FunctionRegistry as _;
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::{LogicalPlanBuilder, col, lit};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use futures_util::StreamExt as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::QueryError;

/// How long and how large a SQL answer may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlLimits {
    /// The statement is cancelled after this long (an [`QueryError::Invalid`] on `sql`).
    pub timeout: Duration,
    /// At most this many rows are returned; [`SqlResult::truncated`] says when there were more.
    pub max_rows: usize,
}

impl Default for SqlLimits {
    /// 30 seconds, 10 000 rows.
    fn default() -> Self {
        Self { timeout: Duration::from_secs(30), max_rows: 10_000 }
    }
}

/// The answer of a SQL statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SqlResult {
    /// The columns, in order.
    pub columns: Vec<SqlColumn>,
    /// The rows, each one value per column (JSON: numbers, strings, booleans, null;
    /// times as RFC 3339 text, lists and structs as arrays and objects).
    pub rows: Vec<Vec<serde_json::Value>>,
    /// True when the statement had more rows than the limit and the rest were left out.
    pub truncated: bool,
}

/// A column of a [`SqlResult`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SqlColumn {
    /// Its name.
    pub name: String,
    /// Its Arrow type as DataFusion prints it (`Utf8`, `Float64`, `Timestamp(Millisecond, Some("UTC"))`…).
    pub data_type: String,
}

/// Runs the read-only statement `sql` over `project`'s events in the tables of `context`
/// (as `sightline_store::session_context` registers them), within `limits`.
///
/// A statement that is not one read-only query, does not parse or does not plan (an
/// unknown table or column) is [`QueryError::Invalid`] with field `sql`, as is one that
/// runs past the time limit; a failure while running is [`QueryError::Engine`].
pub async fn execute_sql(
    context: &SessionContext,
    project: &str,
    sql: &str,
    limits: SqlLimits,
) -> Result<SqlResult, QueryError> {
    check_read_only(sql)?;
    let scoped = scoped_context(context, project).await?;
    let read_only = SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false);
    let frame =
        scoped.sql_with_options(sql, read_only).await.map_err(|error| QueryError::invalid("sql", error.to_string()))?;
    let frame = frame.limit(0, Some(limits.max_rows.saturating_add(1)))?;
    let columns = frame
        .schema()
        .fields()
        .iter()
        .map(|field| SqlColumn { name: field.name().clone(), data_type: field.data_type().to_string() })
        .collect();
    let run = async {
        let mut stream = frame.execute_stream().await?;
        let mut batches = Vec::new();
        let mut rows = 0;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            rows += batch.num_rows();
            batches.push(batch);
            if rows > limits.max_rows {
                break;
            }
        }
        Ok::<_, QueryError>(batches)
    };
    let batches = tokio::time::timeout(limits.timeout, run).await.map_err(|_| {
        QueryError::invalid(
            "sql",
            format!(
                "the statement ran longer than the time limit ({} s): narrow the time range or aggregate",
                limits.timeout.as_secs_f64()
            ),
        )
    })??;
    let (rows, truncated) = json_rows(&batches, limits.max_rows)?;
    Ok(SqlResult { columns, rows, truncated })
}

/// Accepts exactly one query statement (`SELECT`, `WITH`, `VALUES`): the first check of
/// [`execute_sql`], also used by `sightline sql` on a stopped store.
pub fn check_read_only(sql: &str) -> Result<(), QueryError> {
    let invalid = |message: String| QueryError::invalid("sql", message);
    let mut statements = DFParser::parse_sql(sql).map_err(|error| invalid(error.to_string()))?;
    let Some(statement) = statements.pop_front() else {
        return Err(invalid("the statement is empty: give one SELECT".into()));
    };
    if !statements.is_empty() {
        return Err(invalid(format!("give one statement, not {}", statements.len() + 1)));
    }
    match statement {
        Statement::Statement(inner) if matches!(*inner, SqlStatement::Query(_)) => Ok(()),
        _ => Err(invalid("only a read-only query is allowed (SELECT … or WITH … SELECT …)".into())),
    }
}

/// A session whose tables are views of `context`'s tables restricted to `project`, with
/// the crate's functions and the caller's own aggregates (`sightline_sketch_quantile`, which
/// merges the `rollup` table's sketches) and nothing else.
async fn scoped_context(context: &SessionContext, project: &str) -> Result<SessionContext, QueryError> {
    // The caller's runtime (memory pool, object stores); a default configuration:
    // no information schema, no URL tables.
    let scoped = SessionContext::new_with_config_rt(SessionConfig::new(), context.runtime_env());
    let mut state = scoped.state();
    for function in crate::udf::functions() {
        state.register_udf(Arc::new(function))?;
    }
    let caller = context.state();
    for (name, aggregate) in caller.aggregate_functions() {
        if name.starts_with("sightline_") {
            state.register_udaf(Arc::clone(aggregate))?;
        }
    }
    let scoped = SessionContext::new_with_state(state);
    let catalog = context.state().config().options().catalog.default_catalog.clone();
    let schema_name = context.state().config().options().catalog.default_schema.clone();
    let Some(schema) = context.catalog(&catalog).and_then(|catalog| catalog.schema(&schema_name)) else {
        return Ok(scoped);
    };
    for name in schema.table_names() {
        let Some(provider) = schema.table(&name).await? else { continue };
        if provider.schema().field_with_name("project").is_err() {
            continue;
        }
        let plan = LogicalPlanBuilder::scan(name.as_str(), provider_as_source(provider), None)?
            .filter(col("project").eq(lit(project)))?
            .build()?;
        scoped.register_table(name.as_str(), Arc::new(ViewTable::new(plan, None)))?;
    }
    Ok(scoped)
}

/// The first `max_rows` rows of `batches` as JSON values in column order, and whether
/// there were more.
fn json_rows(batches: &[RecordBatch], max_rows: usize) -> Result<(Vec<Vec<serde_json::Value>>, bool), QueryError> {
    let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut rows = Vec::with_capacity(total.min(max_rows));
    for batch in batches {
        if rows.len() >= max_rows {
            break;
        }
        let batch = batch.slice(0, batch.num_rows().min(max_rows - rows.len()));
        let mut writer = WriterBuilder::new().with_explicit_nulls(true).build::<_, JsonArray>(Vec::new());
        writer.write(&batch)?;
        writer.finish()?;
        let objects: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_slice(&writer.into_inner())
            .map_err(|error| QueryError::Engine(format!("rows as JSON: {error}")))?;
        let names: Vec<&String> = batch.schema_ref().fields().iter().map(|field| field.name()).collect();
        for mut object in objects {
            rows.push(names.iter().map(|name| object.remove(*name).unwrap_or(serde_json::Value::Null)).collect());
        }
    }
    Ok((rows, total > max_rows))
}

#[cfg(test)]
mod tests {
    use super::check_read_only;

    #[test]
    fn only_one_query_statement_passes() {
        for sql in ["SELECT 1", "select * from vital where name = 'lcp'", "WITH v AS (SELECT 1 AS x) SELECT x FROM v"] {
            assert!(check_read_only(sql).is_ok(), "{sql}");
        }
        for sql in [
            "",
            "SELECT 1; SELECT 2",
            "INSERT INTO vital VALUES (1)",
            "DELETE FROM vital",
            "UPDATE vital SET value = 1",
            "CREATE TABLE t AS SELECT 1",
            "CREATE VIEW v AS SELECT * FROM error",
            "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '/etc'",
            "COPY (SELECT 1) TO '/tmp/x.parquet'",
            "DROP TABLE vital",
            "SET datafusion.execution.batch_size = 1",
            "SET datafusion.catalog.information_schema = true",
            "EXPLAIN SELECT 1",
            "SHOW TABLES",
        ] {
            assert!(check_read_only(sql).is_err(), "{sql}");
        }
    }
}
