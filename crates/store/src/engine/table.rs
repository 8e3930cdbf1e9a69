//! DataFusion tables over the store: one per event kind, the union of the Parquet files
//! and the in-memory buffer as of the scan.
//!
//! A scan takes a [`StoreSnapshot`](super::StoreSnapshot), keeps the files and buffered
//! partitions whose project and time range can match the filters (`project = '…'`,
//! `project IN (…)`, comparisons and `BETWEEN` on `timestamp`), and reads the files through
//! DataFusion's Parquet source with the filters as a predicate, so row groups and pages are
//! pruned by their statistics too. Filters are `Inexact`: DataFusion still applies them to
//! the rows. Files written before a column existed read it as nulls.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::datasource::TableType;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::physical_plan::parquet::CachedParquetFileReaderFactory;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::execution::cache::default_cache::DefaultCache;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::union::UnionExec;
use datafusion::prelude::SessionContext;
use sightline_protocol::EventKind;

use super::EmbeddedStore;
use super::rollup::ROLLUP_TABLE;
use super::rollup_table::{RollupTable, sketch_quantile_udaf};
use crate::columns;

/// The table of one event kind.
#[derive(Debug)]
pub struct EventTable {
    store: Arc<EmbeddedStore>,
    kind: EventKind,
    schema: SchemaRef,
}

impl EventTable {
    /// The table of `kind` events in `store`.
    pub fn new(store: Arc<EmbeddedStore>, kind: EventKind) -> Self {
        Self { store, kind, schema: columns::schema(kind) }
    }
}

/// A session with every kind's table registered under its kind's name (`view`, `vital`, …).
pub fn session_context(store: &Arc<EmbeddedStore>) -> Result<SessionContext> {
    let context = SessionContext::new();
    for kind in EventKind::ALL {
        context.register_table(kind.as_str(), Arc::new(EventTable::new(Arc::clone(store), kind)))?;
    }
    Ok(context)
}

/// [`session_context`] with the rollups of `vital` and `view` too (the table `rollup` and
/// the aggregate `sightline_sketch_quantile`): the query crate answers the statistics they
/// cover from them, approximately (see `docs/query.md`).
pub fn rollup_session_context(store: &Arc<EmbeddedStore>) -> Result<SessionContext> {
    let context = session_context(store)?;
    context.register_table(ROLLUP_TABLE, Arc::new(RollupTable::new(Arc::clone(store))))?;
    context.register_udaf(sketch_quantile_udaf());
    Ok(context)
}

#[async_trait]
impl TableProvider for EventTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let bounds = Bounds::of(filters);
        let snapshot = self.store.snapshot();

        let files: Vec<PartitionedFile> = snapshot
            .files
            .iter()
            .filter(|file| file.kind == self.kind)
            .filter(|file| bounds.admits(&file.project, file.min_timestamp_ms, file.max_timestamp_ms))
            .map(|file| PartitionedFile::new(snapshot.tables_dir.join(&file.path).display().to_string(), file.bytes))
            .collect();
        let batches: Vec<_> = snapshot
            .partitions
            .iter()
            .filter(|partition| partition.key.kind == self.kind)
            .filter(|partition| bounds.admits(&partition.key.project, partition.time_range.0, partition.time_range.1))
            .flat_map(|partition| partition.batches())
            .collect();
        union_of_files_and_batches(
            state,
            &self.schema,
            ScanRequest { projection, filters, limit, footers: self.store.footers() },
            vec![files],
            batches,
        )
    }
}

/// What DataFusion asked a table's `scan` for.
#[derive(Clone, Copy)]
pub(super) struct ScanRequest<'a> {
    pub(super) projection: Option<&'a Vec<usize>>,
    pub(super) filters: &'a [Expr],
    pub(super) limit: Option<usize>,
    /// Where the files' parsed footers are kept between queries.
    pub(super) footers: &'a FooterCache,
}

/// Memory kept for the parsed footers and page indexes of the store's Parquet files.
const FOOTER_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The parsed footers (schema, row-group statistics, page indexes) of the store's Parquet
/// files, kept between queries: a query over 30 days would otherwise read and decode a
/// footer per data and rollup file each time, most of the cost of a rollup query. A listed
/// file never changes, and a name is never used twice (a flush's is its WAL position, a
/// rewrite's a fresh time stamp), so the path (and the size, which the cache checks)
/// identifies the content. Least recently used footers go first past the memory bound.
#[derive(Clone)]
pub(super) struct FooterCache(Arc<FileMetadataCache>);

impl FooterCache {
    pub(super) fn new() -> Self {
        Self(Arc::new(DefaultCache::new(FOOTER_CACHE_BYTES).with_name("sightline footers")))
    }

    /// Footers kept.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
}

impl std::fmt::Debug for FooterCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FooterCache").field(&self.0.len()).finish()
    }
}

/// The plan of a table whose rows are in Parquet files (read in `file_groups`, one
/// partition each, with the filters as a pruning predicate) and in memory (`batches`):
/// the union of both, or an empty plan when there is neither.
pub(super) fn union_of_files_and_batches(
    state: &dyn Session,
    schema: &SchemaRef,
    request: ScanRequest<'_>,
    file_groups: Vec<Vec<PartitionedFile>>,
    batches: Vec<datafusion::arrow::array::RecordBatch>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let ScanRequest { projection, filters, limit, footers } = request;
    let file_groups: Vec<FileGroup> =
        file_groups.into_iter().filter(|group| !group.is_empty()).map(FileGroup::new).collect();
    let mut inputs: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
    if !file_groups.is_empty() {
        let files = state.runtime_env().object_store(ObjectStoreUrl::local_filesystem())?;
        let reader = CachedParquetFileReaderFactory::new(files, Arc::clone(&footers.0));
        let mut source = ParquetSource::new(Arc::clone(schema)).with_parquet_file_reader_factory(Arc::new(reader));
        if looks_up_sessions(filters) {
            source = source.with_pushdown_filters(true).with_reorder_filters(true);
        }
        if let Some(predicate) = conjunction(filters.iter().cloned()) {
            let df_schema = DFSchema::try_from(Arc::clone(schema))?;
            source = source.with_predicate(state.create_physical_expr(predicate, &df_schema)?);
        }
        let config = FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), Arc::new(source))
            .with_projection_indices(projection.cloned())?
            .with_limit(limit)
            .with_file_groups(file_groups)
            .build();
        inputs.push(DataSourceExec::from_data_source(config));
    }
    if !batches.is_empty() {
        inputs.push(MemorySourceConfig::try_new_exec(&[batches], Arc::clone(schema), projection.cloned())?);
    }
    if inputs.is_empty() {
        let projected = match projection {
            Some(indices) => Arc::new(schema.project(indices)?),
            None => Arc::clone(schema),
        };
        return Ok(Arc::new(EmptyExec::new(projected)));
    }
    UnionExec::try_new(inputs)
}

/// At most this many session ids make a scan a lookup ([`looks_up_sessions`]).
const LOOKUP_SESSIONS: usize = 1_000;

/// Whether the filters limit the rows to a few sessions (a page of a sessions list, a
/// session's timeline). Such a scan decodes the filters' columns first and the others only
/// for the rows that pass (late materialization): the page index narrows the pages little,
/// since a few ids fall into most of a file's pages, and decoding every selected column of
/// them cost more than the lookup itself (at 10M page views, a page of 50 sessions' views
/// over a month: 1.35 s, 0.55 s of it in the `session_id` column).
fn looks_up_sessions(filters: &[Expr]) -> bool {
    filters.iter().any(|filter| allowed_strings(filter, "session_id").is_some_and(|ids| ids.len() <= LOOKUP_SESSIONS))
}

/// The values of the text `column` that a filter allows (`=`, `IN`, and ANDs and ORs of
/// those); `None` when it does not limit them.
pub(super) fn allowed_strings(filter: &Expr, column: &str) -> Option<Vec<String>> {
    match filter {
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::And, right }) => {
            match (allowed_strings(left, column), allowed_strings(right, column)) {
                (Some(left), Some(right)) => Some(left.into_iter().filter(|value| right.contains(value)).collect()),
                (one, other) => one.or(other),
            }
        }
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Or, right }) => {
            let (mut left, right) = (allowed_strings(left, column)?, allowed_strings(right, column)?);
            left.extend(right);
            Some(left)
        }
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Eq, right }) => match (&**left, &**right) {
            (named, literal) | (literal, named) if is_column(named, column) => {
                string_literal(literal).map(|value| vec![value])
            }
            _ => None,
        },
        Expr::InList(list) if !list.negated && is_column(&list.expr, column) => {
            list.list.iter().map(string_literal).collect()
        }
        _ => None,
    }
}

/// What the filters say about the project and the time of matching rows.
#[derive(Debug, Default)]
pub(super) struct Bounds {
    /// Matching rows belong to one of these projects (`None`: any project).
    projects: Option<Vec<String>>,
    /// Matching rows have `min <= timestamp <= max`, epoch ms.
    min_ms: Option<i64>,
    max_ms: Option<i64>,
}

impl Bounds {
    pub(super) fn of(filters: &[Expr]) -> Self {
        let mut bounds = Self::default();
        for filter in filters {
            // `=`, `IN`, and the ORs of equalities DataFusion makes of a short `IN`.
            if let Some(names) = allowed_strings(filter, "project") {
                bounds.only_projects(names);
            }
            bounds.narrow(filter);
        }
        bounds
    }

    /// Whether rows of `project` between `min_ms` and `max_ms` can match.
    pub(super) fn admits(&self, project: &str, min_ms: i64, max_ms: i64) -> bool {
        self.projects.as_ref().is_none_or(|projects| projects.iter().any(|p| p == project))
            && self.min_ms.is_none_or(|bound| max_ms >= bound)
            && self.max_ms.is_none_or(|bound| min_ms <= bound)
    }

    fn narrow(&mut self, filter: &Expr) {
        match filter {
            Expr::BinaryExpr(BinaryExpr { left, op: Operator::And, right }) => {
                self.narrow(left);
                self.narrow(right);
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => self.compare(left, *op, right),
            Expr::Between(between) if !between.negated && is_column(&between.expr, "timestamp") => {
                self.at_least(timestamp_ms(&between.low));
                self.at_most(timestamp_ms(&between.high));
            }
            _ => {}
        }
    }

    fn compare(&mut self, left: &Expr, op: Operator, right: &Expr) {
        // `literal op column` reads as `column op' literal`.
        let (column, op, literal) = match (left, right) {
            (Expr::Column(_), _) => (left, op, right),
            (_, Expr::Column(_)) => match op.swap() {
                Some(swapped) => (right, swapped, left),
                None => return,
            },
            _ => return,
        };
        if is_column(column, "timestamp") {
            let value = timestamp_ms(literal);
            match op {
                Operator::Eq => {
                    self.at_least(value);
                    self.at_most(value);
                }
                Operator::Gt | Operator::GtEq => self.at_least(value),
                Operator::Lt | Operator::LtEq => self.at_most(value),
                _ => {}
            }
        }
    }

    fn only_projects(&mut self, names: Vec<String>) {
        self.projects = Some(match self.projects.take() {
            Some(known) => known.into_iter().filter(|name| names.contains(name)).collect(),
            None => names,
        });
    }

    fn at_least(&mut self, value: Option<i64>) {
        if let Some(value) = value {
            self.min_ms = Some(self.min_ms.map_or(value, |known| known.max(value)));
        }
    }

    fn at_most(&mut self, value: Option<i64>) {
        if let Some(value) = value {
            self.max_ms = Some(self.max_ms.map_or(value, |known| known.min(value)));
        }
    }
}

pub(super) fn is_column(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Column(column) if column.name == name)
}

pub(super) fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(Some(text)) | ScalarValue::LargeUtf8(Some(text)) | ScalarValue::Utf8View(Some(text)),
            _,
        ) => Some(text.clone()),
        _ => None,
    }
}

/// A timestamp literal in epoch ms, whatever its unit; `None` for anything else (a bound
/// that cannot be read is no bound, never a wrong one).
fn timestamp_ms(expr: &Expr) -> Option<i64> {
    let Expr::Literal(value, _) = expr else { return None };
    match value {
        ScalarValue::TimestampMillisecond(Some(ms), _) => Some(*ms),
        ScalarValue::TimestampSecond(Some(s), _) => s.checked_mul(1000),
        ScalarValue::TimestampMicrosecond(Some(us), _) => Some(us.div_euclid(1000)),
        ScalarValue::TimestampNanosecond(Some(ns), _) => Some(ns.div_euclid(1_000_000)),
        _ => None,
    }
}
