//! Running a query: validate, plan, execute on DataFusion, read the batches into the
//! typed result of the query's shape.

mod breakdown;
mod distribution;
mod errors;
mod lists;
mod rollups;
mod series;
mod timeline;
mod values;

use std::cmp::Ordering;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit, TimestampMillisecondType};
use datafusion::common::ParamValues;
use datafusion::execution::FunctionRegistry as _;
use datafusion::prelude::SessionContext;

pub use self::distribution::{HistogramBuckets, histogram_buckets};
use crate::plan::{self, Statement};
use crate::{Query, QueryError, QueryResult};

/// Answers `query` over the event tables of `context` (one per event kind, as
/// `sightline_store::session_context` registers them), for `project` only.
///
/// The query is validated first ([`Query::validate`]); an invalid one is
/// [`QueryError::Invalid`] and reads nothing.
pub async fn execute(context: &SessionContext, project: &str, query: &Query) -> Result<QueryResult, QueryError> {
    query.validate()?;
    let mut state = context.state();
    for function in crate::udf::functions() {
        state.register_udf(std::sync::Arc::new(function))?;
    }
    let context = SessionContext::new_with_state(state);
    match query {
        Query::Values(query) => values::run(&context, project, query).await.map(QueryResult::Values),
        Query::TimeSeries(query) => series::run(&context, project, query).await.map(QueryResult::TimeSeries),
        Query::Breakdown(query) => breakdown::run(&context, project, query).await.map(QueryResult::Breakdown),
        Query::Distribution(query) => distribution::run(&context, project, query).await.map(QueryResult::Distribution),
        Query::SessionList(query) => lists::sessions(&context, project, query).await.map(QueryResult::SessionList),
        Query::ViewList(query) => lists::views(&context, project, query).await.map(QueryResult::ViewList),
        Query::ErrorList(query) => lists::errors(&context, project, query).await.map(QueryResult::ErrorList),
        Query::RequestList(query) => lists::requests(&context, project, query).await.map(QueryResult::RequestList),
        Query::SessionTimeline(query) => {
            timeline::run(&context, project, query).await.map(QueryResult::SessionTimeline)
        }
        Query::ErrorGroups(query) => errors::groups(&context, project, query).await.map(QueryResult::ErrorGroups),
        Query::ErrorGroup(query) => errors::group(&context, project, query).await.map(QueryResult::ErrorGroup),
    }
}

/// Whether `context` has the store's rollups (as `sightline_store::rollup_session_context` makes):
/// then the statistics they cover are answered from them (approximate quantiles).
fn has_rollups(context: &SessionContext) -> bool {
    context.table_exist(plan::ROLLUP_TABLE).unwrap_or(false)
}

async fn collect(context: &SessionContext, statement: Statement) -> Result<Vec<RecordBatch>, QueryError> {
    let started = std::time::Instant::now();
    let params = statement.params.into_iter().map(Into::into).collect();
    let frame = context.sql(&statement.text).await?.with_param_values(ParamValues::List(params))?;
    let batches = frame.collect().await?;
    // What to look at when a query is slow: each statement's time and text (log level debug).
    tracing::debug!(ms = started.elapsed().as_millis() as u64, statement = %statement.text, "query statement");
    Ok(batches)
}

/// One row of an aggregate (see [`plan::aggregate`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) bucket: Option<i64>,
    pub(crate) group: Vec<Option<String>>,
    pub(crate) other: bool,
    pub(crate) count: f64,
    pub(crate) samples: u64,
    pub(crate) values: Vec<Option<f64>>,
    /// Groups before the limit, for [`plan::top_groups`]; 0 otherwise.
    pub(crate) total_groups: u64,
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a std::sync::Arc<dyn Array>, QueryError> {
    batch.column_by_name(name).ok_or_else(|| QueryError::Engine(format!("column {name} missing from the result")))
}

fn floats(batch: &RecordBatch, name: &str) -> Result<Vec<Option<f64>>, QueryError> {
    let array = cast(column(batch, name)?, &DataType::Float64)?;
    Ok(array.as_primitive::<Float64Type>().iter().collect())
}

fn integers(batch: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>, QueryError> {
    let array = cast(column(batch, name)?, &DataType::Int64)?;
    Ok(array.as_primitive::<Int64Type>().iter().collect())
}

fn texts(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>, QueryError> {
    let array = cast(column(batch, name)?, &DataType::Utf8)?;
    Ok(array.as_string::<i32>().iter().map(|value| value.map(str::to_owned)).collect())
}

fn instants(batch: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>, QueryError> {
    let array = cast(column(batch, name)?, &DataType::Timestamp(TimeUnit::Millisecond, None))?;
    Ok(array.as_primitive::<TimestampMillisecondType>().iter().collect())
}

/// Reads the rows of an aggregate with `groups` group columns and `statistics` statistic
/// columns, a bucket column when `bucketed`, an `o` column when `folded`.
pub(crate) async fn aggregate_rows(
    context: &SessionContext,
    statement: Statement,
    shape: RowShape,
) -> Result<Vec<Row>, QueryError> {
    let batches = collect(context, statement).await?;
    let mut rows = Vec::new();
    for batch in &batches {
        let buckets = if shape.bucketed { Some(instants(batch, plan::BUCKET)?) } else { None };
        let groups: Vec<_> =
            (0..shape.groups).map(|i| texts(batch, &plan::group_column(i))).collect::<Result<_, _>>()?;
        let other = if shape.folded {
            Some(
                column(batch, plan::OTHER)?
                    .as_boolean_opt()
                    .cloned()
                    .ok_or_else(|| QueryError::Engine("o is not boolean".into()))?,
            )
        } else {
            None
        };
        let totals = if shape.ranked { Some(integers(batch, plan::GROUPS)?) } else { None };
        let counts = floats(batch, plan::COUNT)?;
        let samples = integers(batch, plan::SAMPLES)?;
        let values: Vec<_> =
            (0..shape.statistics).map(|i| floats(batch, &plan::statistic_column(i))).collect::<Result<_, _>>()?;
        for row in 0..batch.num_rows() {
            rows.push(Row {
                bucket: buckets.as_ref().and_then(|b| b[row]),
                group: groups.iter().map(|g| g[row].clone()).collect(),
                other: other.as_ref().is_some_and(|o| o.is_valid(row) && o.value(row)),
                count: counts[row].unwrap_or(0.0),
                samples: samples[row].and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                values: values.iter().map(|v| v[row].filter(|x| x.is_finite())).collect(),
                total_groups: totals.as_ref().and_then(|t| t[row]).and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            });
        }
    }
    Ok(rows)
}

/// Which columns an aggregate has.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowShape {
    pub(crate) bucketed: bool,
    pub(crate) groups: usize,
    pub(crate) folded: bool,
    pub(crate) statistics: usize,
    /// A [`plan::top_groups`] statement, with its `total_groups` column.
    pub(crate) ranked: bool,
}

/// Orders group keys: missing values first, then by text.
pub(crate) fn compare_groups(a: &[Option<String>], b: &[Option<String>]) -> Ordering {
    a.cmp(b)
}

/// Orders two optional figures, `descending` or not, missing ones last either way.
pub(crate) fn compare_values(a: Option<f64>, b: Option<f64>, descending: bool) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => {
            let order = a.total_cmp(&b);
            if descending { order.reverse() } else { order }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests;
