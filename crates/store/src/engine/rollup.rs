//! Rollups: per data file of `vital` or `view` events, the page views' figures per hour,
//! measure and a few dimensions, with a quantile [`Sketch`] each — what the dashboard's
//! statistics need, a few thousand rows a day instead of millions.
//!
//! A rollup row is `(project, timestamp (the hour), name, grouping, route, browser, device_class, country,
//! release, environment)` → `count` (Σ weight, the weight being 1 / sample rate), `samples`
//! (units), `sum` (Σ weight · value), `good` / `needs_improvement` / `poor` (Σ weight of the
//! units so rated) and `sketch` (their values, [`Sketch`]). `name` is the vital (`lcp`…),
//! or `page_view` for the `view` table (counted, no value). Only sampled sessions
//! (`sampling_reason = 'sampled'`) are counted, as in every statistic. A unit is a view's
//! final report in the file (latest `timestamp`, then `received_at`, then event id); the
//! file's rows are in session order, so each view's rows are together. `grouping` names
//! which dimensions the row keeps ([`GROUPING_SETS`]); the others are null: a query reads
//! the smallest set that holds its filters and groups.
//!
//! The rollup of `tables/<path>.parquet` is `rollups/<path>.parquet`, written by
//! [`write_file`](super::flush::write_file) with its data file (flush, compaction, erase,
//! bulk load), before the data file is renamed into place. A rollup is read only for a
//! file the manifest lists; a listed file without one (written by an older version) and
//! the buffered rows get theirs computed at query time ([`RollupTable`](super::rollup_table)).
//! What is approximate: quantiles (within the sketch's 0.5 %), and a view whose reports
//! landed in two files counts twice (the exact path keeps only its final report).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, BinaryBuilder, Float64Array, Float64Builder, Int32Builder, Int64Builder, RecordBatch, StringArray,
    StringBuilder, TimestampMillisecondArray, TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use sightline_protocol::{EventKind, VitalName};

use crate::StoreError;
use crate::sketch::Sketch;

/// The directory of the rollups, under the store directory.
pub const ROLLUPS_DIR: &str = "rollups";
/// The table name of the rollups in a query session.
pub const ROLLUP_TABLE: &str = "rollup";
/// The dimensions a rollup row can keep.
pub const ROLLUP_DIMENSIONS: [&str; 6] = ["route", "browser", "device_class", "country", "release", "environment"];
/// The dimension sets kept (indices into [`ROLLUP_DIMENSIONS`]); `grouping` is the position here.
pub const GROUPING_SETS: [&[usize]; 12] =
    [&[], &[0], &[1], &[2], &[3], &[4], &[5], &[0, 1], &[0, 2], &[0, 4], &[3, 2], &[1, 2]];
/// The `name` of page-view rows.
pub const PAGE_VIEW: &str = "page_view";

const HOUR_MS: i64 = 3_600_000;
const NULL: u32 = u32::MAX;

/// The schema of a rollup.
pub fn rollup_schema() -> SchemaRef {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let mut fields = vec![
        text("project", false),
        Field::new("timestamp", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
        text("name", false),
        Field::new("grouping", DataType::Int32, false),
    ];
    fields.extend(ROLLUP_DIMENSIONS.iter().map(|name| text(name, true)));
    fields
        .extend(["count", "sum", "good", "needs_improvement", "poor"].map(|n| Field::new(n, DataType::Float64, false)));
    fields.insert(fields.len() - 4, Field::new("samples", DataType::Int64, false));
    fields.push(Field::new("sketch", DataType::Binary, false));
    Arc::new(Schema::new(fields))
}

/// Whether files of `kind` have a rollup.
pub fn has_rollup(kind: EventKind) -> bool {
    matches!(kind, EventKind::Vital | EventKind::View)
}

/// The rollup path of a data file (`tables_dir`-relative path `relative`).
pub fn rollup_path(store_dir: &Path, relative: &str) -> PathBuf {
    store_dir.join(ROLLUPS_DIR).join(relative)
}

#[derive(Debug, Default)]
struct Figures {
    count: f64,
    samples: i64,
    sum: f64,
    ratings: [f64; 3],
    sketch: Sketch,
}

impl Figures {
    fn add(&mut self, weight: f64, value: Option<f64>, thresholds: Option<(f64, f64)>) {
        self.count += weight;
        self.samples += 1;
        let Some(value) = value else { return };
        self.sum += weight * value;
        self.sketch.add(value, weight);
        if let Some((good, poor)) = thresholds {
            let rating = if value <= good {
                0
            } else if value <= poor {
                1
            } else {
                2
            };
            self.ratings[rating] += weight;
        }
    }

    fn merge(&mut self, other: &Self) {
        self.count += other.count;
        self.samples += other.samples;
        self.sum += other.sum;
        for (mine, theirs) in self.ratings.iter_mut().zip(other.ratings) {
            *mine += theirs;
        }
        self.sketch.merge(&other.sketch);
    }
}

/// A view's final report of one measure, pending until the view's rows end.
#[derive(Debug)]
struct Pending {
    order: (i64, i64, String),
    hour: i64,
    weight: f64,
    value: Option<f64>,
    dims: [u32; 6],
}

type Key = (i64, u8, [u32; 6]);

/// Builds the rollup of one data file from its batches, in the file's (session) order.
#[derive(Debug)]
pub struct RollupBuilder {
    kind: EventKind,
    project: Option<String>,
    values: [HashMap<String, u32>; 6],
    names: Vec<Vec<String>>,
    view: Option<String>,
    pending: HashMap<u8, Pending>,
    groups: HashMap<Key, Figures>,
}

/// Measures by index: the five vitals, then page views.
const MEASURES: [&str; 6] = ["lcp", "inp", "cls", "fcp", "ttfb", PAGE_VIEW];

fn thresholds(measure: u8) -> Option<(f64, f64)> {
    let vital = [VitalName::Lcp, VitalName::Inp, VitalName::Cls, VitalName::Fcp, VitalName::Ttfb];
    vital.get(usize::from(measure)).map(|vital| vital.thresholds())
}

impl RollupBuilder {
    /// A builder for a file of `kind` (see [`has_rollup`]).
    pub fn new(kind: EventKind) -> Self {
        Self {
            kind,
            project: None,
            values: Default::default(),
            names: vec![Vec::new(); 6],
            view: None,
            pending: HashMap::new(),
            groups: HashMap::new(),
        }
    }

    /// Adds the rows of `batch` (the kind's schema).
    pub fn add(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        let missing = |name: &str| StoreError::Write(format!("a rollup needs the column {name}"));
        let text = |name: &str| -> Result<&StringArray, StoreError> {
            batch.column_by_name(name).and_then(|c| c.as_string_opt::<i32>()).ok_or_else(|| missing(name))
        };
        let time = |name: &str| -> Result<&TimestampMillisecondArray, StoreError> {
            batch.column_by_name(name).and_then(|c| c.as_any().downcast_ref()).ok_or_else(|| missing(name))
        };
        let float = |name: &str| -> Result<&Float64Array, StoreError> {
            batch.column_by_name(name).and_then(|c| c.as_any().downcast_ref()).ok_or_else(|| missing(name))
        };
        let (project, view_id, event_id) = (text("project")?, text("view_id")?, text("event_id")?);
        let (timestamp, received) = (time("timestamp")?, time("received_at")?);
        let (sample_rate, sampling) = (float("sample_rate")?, text("sampling_reason")?);
        let dims: Vec<&StringArray> = ROLLUP_DIMENSIONS.iter().map(|name| text(name)).collect::<Result<_, _>>()?;
        let vital = match self.kind {
            EventKind::Vital => Some((text("name")?, float("value")?)),
            _ => None,
        };
        for row in 0..batch.num_rows() {
            if self.project.is_none() {
                self.project = Some(project.value(row).to_owned());
            }
            if self.view.as_deref() != Some(view_id.value(row)) {
                self.end_view();
                self.view = Some(view_id.value(row).to_owned());
            }
            if sampling.is_null(row) || sampling.value(row) != "sampled" {
                continue;
            }
            let (measure, value) = match vital {
                Some((names, values)) => {
                    let Some(measure) = MEASURES.iter().position(|m| *m == names.value(row)) else { continue };
                    (measure as u8, (!values.is_null(row)).then(|| values.value(row)))
                }
                None => (5, None),
            };
            if vital.is_some() && value.is_none() {
                continue;
            }
            let order = (timestamp.value(row), received.value(row), event_id.value(row));
            let newer = self.pending.get(&measure).is_none_or(|pending| {
                (order.0, order.1, order.2) > (pending.order.0, pending.order.1, pending.order.2.as_str())
            });
            if !newer {
                continue;
            }
            let mut keys = [NULL; 6];
            for (i, column) in dims.iter().enumerate() {
                if !column.is_null(row) {
                    keys[i] = self.intern(i, column.value(row));
                }
            }
            let rate = sample_rate.value(row);
            let pending = Pending {
                order: (order.0, order.1, order.2.to_owned()),
                hour: order.0.div_euclid(HOUR_MS) * HOUR_MS,
                weight: if rate > 0.0 { 1.0 / rate } else { 1.0 },
                value,
                dims: keys,
            };
            self.pending.insert(measure, pending);
        }
        Ok(())
    }

    fn intern(&mut self, dimension: usize, value: &str) -> u32 {
        if let Some(id) = self.values[dimension].get(value) {
            return *id;
        }
        let id = self.names[dimension].len() as u32;
        self.names[dimension].push(value.to_owned());
        self.values[dimension].insert(value.to_owned(), id);
        id
    }

    fn end_view(&mut self) {
        for (measure, pending) in self.pending.drain() {
            self.groups.entry((pending.hour, measure, pending.dims)).or_default().add(
                pending.weight,
                pending.value,
                thresholds(measure),
            );
        }
    }

    /// The rollup's rows, sorted by grouping, name and hour; none when no unit was seen.
    pub fn finish(mut self) -> Result<Option<RecordBatch>, StoreError> {
        self.end_view();
        let Some(project) = self.project.take() else { return Ok(None) };
        if self.groups.is_empty() {
            return Ok(None);
        }
        let mut rows: Vec<(usize, u8, i64, [u32; 6], Figures)> = Vec::new();
        for (grouping, set) in GROUPING_SETS.iter().enumerate() {
            let mut coarse: HashMap<Key, Figures> = HashMap::new();
            for ((hour, measure, dims), figures) in &self.groups {
                let mut kept = [NULL; 6];
                for i in set.iter() {
                    kept[*i] = dims[*i];
                }
                coarse.entry((*hour, *measure, kept)).or_default().merge(figures);
            }
            rows.extend(coarse.into_iter().map(|((hour, measure, dims), f)| (grouping, measure, hour, dims, f)));
        }
        rows.sort_by_key(|row| (row.0, row.1, row.2, row.3));
        let n = rows.len();
        let mut project_column = StringBuilder::with_capacity(n, n * project.len());
        let mut hour = TimestampMillisecondBuilder::with_capacity(n).with_timezone("UTC");
        let mut name = StringBuilder::with_capacity(n, n * 4);
        let mut grouping = Int32Builder::with_capacity(n);
        let mut dims: Vec<StringBuilder> = (0..6).map(|_| StringBuilder::with_capacity(n, n * 8)).collect();
        let mut floats: Vec<Float64Builder> = (0..5).map(|_| Float64Builder::with_capacity(n)).collect();
        let mut samples = Int64Builder::with_capacity(n);
        let mut sketch = BinaryBuilder::with_capacity(n, n * 64);
        for (set, measure, at, keys, figures) in &rows {
            project_column.append_value(&project);
            hour.append_value(*at);
            name.append_value(MEASURES[usize::from(*measure)]);
            grouping.append_value(*set as i32);
            for (i, builder) in dims.iter_mut().enumerate() {
                match keys[i] {
                    NULL => builder.append_null(),
                    id => builder.append_value(&self.names[i][id as usize]),
                }
            }
            let [good, needs, poor] = figures.ratings;
            for (builder, value) in floats.iter_mut().zip([figures.count, figures.sum, good, needs, poor]) {
                builder.append_value(value);
            }
            samples.append_value(figures.samples);
            sketch.append_value(figures.sketch.to_bytes());
        }
        let mut columns: Vec<Arc<dyn Array>> =
            vec![Arc::new(project_column.finish()), Arc::new(hour.finish()), Arc::new(name.finish())];
        columns.push(Arc::new(grouping.finish()));
        columns.extend(dims.iter_mut().map(|builder| Arc::new(builder.finish()) as Arc<dyn Array>));
        let mut floats = floats.into_iter().map(|mut builder| Arc::new(builder.finish()) as Arc<dyn Array>);
        columns.push(floats.next().expect("count"));
        columns.push(Arc::new(samples.finish()));
        columns.extend(floats);
        columns.push(Arc::new(sketch.finish()));
        RecordBatch::try_new(rollup_schema(), columns)
            .map(Some)
            .map_err(|error| StoreError::Write(format!("cannot build a rollup: {error}")))
    }
}

/// Writes `batch` as the rollup file `path` (`.tmp`, fsync, rename).
pub fn write_rollup(path: &Path, batch: &RecordBatch) -> Result<(), StoreError> {
    let write_error = |error: &dyn std::fmt::Display| {
        StoreError::Write(format!("cannot write {}: {error} (check that the disk has space)", path.display()))
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|error| write_error(&error))?;
    }
    let temporary = path.with_extension("parquet.tmp");
    let file = File::create(&temporary).map_err(|error| write_error(&error))?;
    let properties = WriterProperties::builder()
        .set_compression(datafusion::parquet::basic::Compression::ZSTD(Default::default()))
        .set_data_page_row_count_limit(4096)
        .build();
    let mut writer =
        ArrowWriter::try_new(file, batch.schema(), Some(properties)).map_err(|error| write_error(&error))?;
    writer.write(batch).map_err(|error| write_error(&error))?;
    let file = writer.into_inner().map_err(|error| write_error(&error))?;
    file.sync_all().map_err(|error| write_error(&error))?;
    std::fs::rename(&temporary, path).map_err(|error| write_error(&error))
}

/// The rollup of already written batches (a file without one, the buffer).
pub fn rollup_of(kind: EventKind, batches: &[RecordBatch]) -> Result<Option<RecordBatch>, StoreError> {
    let mut builder = RollupBuilder::new(kind);
    for batch in batches {
        builder.add(batch)?;
    }
    builder.finish()
}

/// Every value of a rollup's float column `name` at `row` (tests).
#[cfg(test)]
pub fn float_at(batch: &RecordBatch, name: &str, row: usize) -> f64 {
    batch.column_by_name(name).expect("column").as_primitive::<datafusion::arrow::datatypes::Float64Type>().value(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::buffer::Buffer;
    use crate::engine::test_records::records_of_one_beacon;
    use crate::wal::Lsn;

    #[test]
    fn a_vital_file_rolls_up_per_hour_measure_and_dimension_set() {
        let mut buffer = Buffer::default();
        buffer.insert(Lsn(1), records_of_one_beacon(10));
        let vitals = buffer.snapshot().into_iter().find(|p| p.key.kind == EventKind::Vital).expect("vitals");
        let batch = rollup_of(EventKind::Vital, &vitals.batches()).expect("builds").expect("rows");
        assert_eq!(batch.schema(), rollup_schema());
        let grouping = batch
            .column_by_name("grouping")
            .expect("grouping")
            .as_primitive::<datafusion::arrow::datatypes::Int32Type>();
        let overall: Vec<usize> = (0..batch.num_rows()).filter(|row| grouping.value(*row) == 0).collect();
        let samples =
            batch.column_by_name("samples").expect("samples").as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let units: i64 = overall.iter().map(|row| samples.value(*row)).sum();
        assert!(units > 0 && units <= 5, "at most one unit per view and vital: {units}");
        let count: f64 = overall.iter().map(|row| float_at(&batch, "count", *row)).sum();
        assert!(count >= units as f64);
    }
}
