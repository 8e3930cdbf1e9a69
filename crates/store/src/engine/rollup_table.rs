//! The rollups as a DataFusion table (`rollup`), and the aggregate function that merges
//! their sketches (`sightline_sketch_quantile(sketch, q)`).
//!
//! A scan covers exactly what the tables of the kinds with a rollup hold as of the scan: the
//! day rollup of each day in the range that has one ([`day`](super::rollup::day)), the
//! rollup file of each other listed file in the range (both read through DataFusion's
//! Parquet source, pruned by row-group and page statistics: a row group per grouping, rows
//! sorted by name and hour within; footers kept between queries), or, for a file without
//! one, its rollup computed from the file; and the rollup of the buffered rows, computed
//! from a sorted copy of them.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryArray, Float64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableType;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Accumulator, AggregateUDF, Expr, TableProviderFilterPushDown, Volatility, create_udaf};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::physical_plan::ExecutionPlan;

use super::EmbeddedStore;
use super::manifest::TABLES_DIR;
use super::order;
use super::rollup::day::day_range;
use super::rollup::{ROLLUPS_DIR, has_rollup, kind_of_measure, rollup_of, rollup_path, rollup_schema};
use super::table::{Bounds, ScanRequest, allowed_strings, union_of_files_and_batches};
use crate::sketch::Sketch;
use sightline_protocol::EventKind;

/// The name of the sketch-merging quantile aggregate.
pub const SKETCH_QUANTILE: &str = "sightline_sketch_quantile";

/// The rollups of a store's files and buffer, of every kind that has one (`has_rollup`).
#[derive(Debug)]
pub struct RollupTable {
    store: Arc<EmbeddedStore>,
    schema: SchemaRef,
}

impl RollupTable {
    /// The rollups of `store`.
    pub fn new(store: Arc<EmbeddedStore>) -> Self {
        Self { store, schema: rollup_schema() }
    }
}

#[async_trait]
impl TableProvider for RollupTable {
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
        // Only the kinds whose rollups hold the measures asked for: a query of LCP need not
        // read (nor, for files without one, compute) the error files' rollups.
        let kinds = kinds_of_measures(filters);
        let wanted = |kind| has_rollup(kind) && kinds.as_ref().is_none_or(|kinds| kinds.contains(&kind));
        let snapshot = self.store.snapshot();
        let store_dir = snapshot.tables_dir.parent().map(ToOwned::to_owned).unwrap_or_default();
        let mut computed: Vec<RecordBatch> = Vec::new();
        let mut files = Vec::new();
        // A day's merged rollup in place of its files' (see `rollup::day`).
        let mut covered: HashSet<&str> = HashSet::new();
        for rollup in snapshot.day_rollups.iter().filter(|rollup| wanted(rollup.kind)) {
            let (start, end) = day_range(rollup.day);
            if !bounds.admits(&rollup.project, start, end) {
                continue;
            }
            let path = store_dir.join(ROLLUPS_DIR).join(&rollup.path);
            // Gone (deleted by hand): the day's files' rollups are read instead.
            if let Ok(metadata) = std::fs::metadata(&path) {
                files.push(PartitionedFile::new(path.display().to_string(), metadata.len()));
                covered.extend(rollup.covers.iter().map(String::as_str));
            }
        }
        for file in snapshot.files.iter().filter(|file| wanted(file.kind)) {
            if covered.contains(file.path.as_str())
                || !bounds.admits(&file.project, file.min_timestamp_ms, file.max_timestamp_ms)
            {
                continue;
            }
            let path = rollup_path(&store_dir, &file.path);
            match std::fs::metadata(&path) {
                Ok(metadata) => files.push(PartitionedFile::new(path.display().to_string(), metadata.len())),
                Err(_) => computed.extend(rollup_of_file(&store_dir.join(TABLES_DIR).join(&file.path), file.kind)?),
            }
        }
        for partition in snapshot.partitions.iter().filter(|partition| wanted(partition.key.kind)) {
            if !bounds.admits(&partition.key.project, partition.time_range.0, partition.time_range.1) {
                continue;
            }
            let batches = partition.batches();
            let sorted = order::sorted(&batches)?.collect::<std::result::Result<Vec<_>, _>>()?;
            computed.extend(rollup_of(partition.key.kind, &sorted).map_err(external)?);
        }
        let groups = state.config().target_partitions().clamp(1, files.len().max(1));
        let mut file_groups: Vec<Vec<PartitionedFile>> = vec![Vec::new(); groups];
        for (i, file) in files.into_iter().enumerate() {
            file_groups[i % groups].push(file);
        }
        let request = ScanRequest { projection, filters, limit, footers: self.store.footers() };
        union_of_files_and_batches(state, &self.schema, request, file_groups, computed)
    }
}

/// The kinds of data file whose rollups can hold rows the filters admit, from their
/// conditions on `name` (`=`, `IN`, and ORs of those, which DataFusion makes of short `IN`
/// lists); `None` when they do not limit the measure.
fn kinds_of_measures(filters: &[Expr]) -> Option<Vec<EventKind>> {
    let names = filters
        .iter()
        .filter_map(|filter| allowed_strings(filter, "name"))
        .reduce(|known, more| known.into_iter().filter(|name| more.contains(name)).collect())?;
    let mut kinds: Vec<EventKind> = names.iter().filter_map(|name| kind_of_measure(name)).collect();
    kinds.sort();
    kinds.dedup();
    Some(kinds)
}

fn external(error: crate::StoreError) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}

/// The rollup of a data file that has none.
fn rollup_of_file(path: &std::path::Path, kind: EventKind) -> Result<Option<RecordBatch>> {
    let file = std::fs::File::open(path).map_err(|error| DataFusionError::External(Box::new(error)))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    let batches = reader.collect::<std::result::Result<Vec<_>, _>>()?;
    rollup_of(kind, &batches).map_err(external)
}

/// `sightline_sketch_quantile(sketch, q)`: the `q`-quantile of the merged sketches.
pub fn sketch_quantile_udaf() -> AggregateUDF {
    create_udaf(
        SKETCH_QUANTILE,
        vec![DataType::Binary, DataType::Float64],
        Arc::new(DataType::Float64),
        Volatility::Immutable,
        Arc::new(|_| Ok(Box::new(QuantileAccumulator::default()))),
        Arc::new(vec![DataType::Binary, DataType::Float64]),
    )
}

#[derive(Debug, Default)]
struct QuantileAccumulator {
    sketch: Sketch,
    q: Option<f64>,
}

impl QuantileAccumulator {
    fn add(&mut self, sketches: &ArrayRef, quantiles: &ArrayRef) -> Result<()> {
        let sketches: &BinaryArray = sketches.as_binary_opt::<i32>().ok_or_else(|| type_error("sketch"))?;
        let quantiles: &Float64Array = quantiles.as_any().downcast_ref().ok_or_else(|| type_error("q"))?;
        for row in 0..sketches.len() {
            if self.q.is_none() && quantiles.is_valid(row) {
                self.q = Some(quantiles.value(row));
            }
            if sketches.is_valid(row) && !self.sketch.merge_bytes(sketches.value(row)) {
                return Err(DataFusionError::Execution("a rollup sketch cannot be read".into()));
            }
        }
        Ok(())
    }
}

fn type_error(what: &str) -> DataFusionError {
    DataFusionError::Execution(format!("{SKETCH_QUANTILE}: unexpected type of {what}"))
}

impl Accumulator for QuantileAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.add(&values[0], &values[1])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.add(&states[0], &states[1])
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Binary(Some(self.sketch.to_bytes())), ScalarValue::Float64(self.q)])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(self.q.and_then(|q| self.sketch.quantile(q))))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.sketch.buckets() * 48
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::{col, lit};

    use super::*;

    #[test]
    fn a_scan_reads_only_the_kinds_whose_rollups_hold_the_measures_asked_for() {
        let kinds = |filters: &[Expr]| kinds_of_measures(filters);
        assert_eq!(kinds(&[col("name").eq(lit("lcp"))]), Some(vec![EventKind::Vital]));
        assert_eq!(kinds(&[lit("page_view").eq(col("name"))]), Some(vec![EventKind::View]));
        let error_rate = col("name").in_list(vec![lit("page_view"), lit("view_with_error")], false);
        assert_eq!(kinds(&[error_rate]), Some(vec![EventKind::View, EventKind::Error]));
        // DataFusion turns a short IN list into ORs.
        let ored = col("name").eq(lit("inp")).or(col("name").eq(lit("view_with_error")));
        assert_eq!(kinds(&[ored]), Some(vec![EventKind::Vital, EventKind::Error]));
        let anded = col("project").eq(lit("shop")).and(col("name").eq(lit("cls")));
        assert_eq!(kinds(&[anded, col("hour").gt(lit(0_i64))]), Some(vec![EventKind::Vital]));
        assert_eq!(kinds(&[col("name").eq(lit("lcp")), col("name").eq(lit("page_view"))]), Some(vec![]));
        // Anything that does not limit the measure reads every kind.
        assert_eq!(kinds(&[]), None);
        assert_eq!(kinds(&[col("name").not_eq(lit("lcp"))]), None);
        assert_eq!(kinds(&[col("name").in_list(vec![lit("lcp")], true)]), None);
        assert_eq!(kinds(&[col("name").eq(lit("lcp")).or(col("route").eq(lit("/")))]), None);
    }
}
