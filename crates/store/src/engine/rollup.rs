//! Rollups: per data file of `vital`, `view` or `error` events, the page views' figures per
//! hour, measure and a few dimensions, with a quantile [`Sketch`] each — what the dashboard's
//! statistics need, a few thousand rows a day instead of millions.
//!
//! A rollup row is `(project, timestamp (the hour), name, grouping, route, browser, device_class, country,
//! release, environment)` → `count` (Σ weight, the weight being 1 / sample rate), `samples`
//! (units), `sum` (Σ weight · value), `good` / `needs_improvement` / `poor` (Σ weight of the
//! units so rated) and `sketch` (their values, [`Sketch`]). `name` is the vital (`lcp`…),
//! or `page_view` for the `view` table (counted, no value), or `view_with_error` for the
//! `error` table (each view with an error counted once, at its final error's hour and page
//! context: the error rate's numerator). Only sampled sessions
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

mod groups;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, BinaryBuilder, Float64Array, Float64Builder, Int32Builder, Int64Builder, RecordBatch, StringArray,
    StringBuilder, TimestampMillisecondArray, TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use foldhash::fast::RandomState;
use sightline_protocol::EventKind;

use self::groups::Groups;
use crate::StoreError;

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
/// The `name` of the rows of views with an error (the `error` table's rollup).
pub const VIEW_WITH_ERROR: &str = "view_with_error";

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

/// The kind of data file whose rollup holds the measure `name` (`None`: no rollup does).
pub fn kind_of_measure(name: &str) -> Option<EventKind> {
    match MEASURES.iter().position(|measure| *measure == name)? {
        index if index == usize::from(PAGE_VIEW_MEASURE) => Some(EventKind::View),
        index if index == usize::from(VIEW_WITH_ERROR_MEASURE) => Some(EventKind::Error),
        _ => Some(EventKind::Vital),
    }
}

/// Whether files of `kind` have a rollup.
pub fn has_rollup(kind: EventKind) -> bool {
    matches!(kind, EventKind::Vital | EventKind::View | EventKind::Error)
}

/// The rollup path of a data file (`tables_dir`-relative path `relative`).
pub fn rollup_path(store_dir: &Path, relative: &str) -> PathBuf {
    store_dir.join(ROLLUPS_DIR).join(relative)
}

/// A view's final report of one measure, pending until the view's rows end.
#[derive(Debug)]
struct Pending {
    timestamp: i64,
    received: i64,
    /// Its row in the batch being added; once that batch is done, `event_id` and `dims`
    /// hold what the row had (a view's rows rarely straddle two batches).
    row: Option<usize>,
    event_id: String,
    dims: [u32; 6],
    weight: f64,
    value: Option<f64>,
}

/// The columns of a batch the rollup reads.
struct Columns<'a> {
    project: &'a StringArray,
    view_id: &'a StringArray,
    event_id: &'a StringArray,
    timestamp: &'a TimestampMillisecondArray,
    received: &'a TimestampMillisecondArray,
    sample_rate: &'a Float64Array,
    sampling: &'a StringArray,
    dims: [&'a StringArray; 6],
    vital: Option<(&'a StringArray, &'a Float64Array)>,
}

impl<'a> Columns<'a> {
    fn of(batch: &'a RecordBatch, kind: EventKind) -> Result<Self, StoreError> {
        let missing = |name: &str| StoreError::Write(format!("a rollup needs the column {name}"));
        let text = |name: &str| -> Result<&'a StringArray, StoreError> {
            batch.column_by_name(name).and_then(|c| c.as_string_opt::<i32>()).ok_or_else(|| missing(name))
        };
        let time = |name: &str| -> Result<&'a TimestampMillisecondArray, StoreError> {
            batch.column_by_name(name).and_then(|c| c.as_any().downcast_ref()).ok_or_else(|| missing(name))
        };
        let float = |name: &str| -> Result<&'a Float64Array, StoreError> {
            batch.column_by_name(name).and_then(|c| c.as_any().downcast_ref()).ok_or_else(|| missing(name))
        };
        let [route, browser, device, country, release, environment] = ROLLUP_DIMENSIONS;
        Ok(Self {
            project: text("project")?,
            view_id: text("view_id")?,
            event_id: text("event_id")?,
            timestamp: time("timestamp")?,
            received: time("received_at")?,
            sample_rate: float("sample_rate")?,
            sampling: text("sampling_reason")?,
            dims: [text(route)?, text(browser)?, text(device)?, text(country)?, text(release)?, text(environment)?],
            vital: match kind {
                EventKind::Vital => Some((text("name")?, float("value")?)),
                _ => None,
            },
        })
    }
}

/// The distinct values of one dimension in a file, numbered as they first appear.
#[derive(Debug, Default)]
struct Dictionary {
    ids: HashMap<Box<str>, u32, RandomState>,
    values: Vec<Box<str>>,
    /// The id of the last value looked up: rows in session order repeat their neighbours'.
    last: Option<u32>,
}

impl Dictionary {
    fn id(&mut self, value: &str) -> u32 {
        if let Some(last) = self.last
            && *self.values[last as usize] == *value
        {
            return last;
        }
        let id = match self.ids.get(value) {
            Some(id) => *id,
            None => {
                let id = self.values.len() as u32;
                self.values.push(value.into());
                self.ids.insert(value.into(), id);
                id
            }
        };
        self.last = Some(id);
        id
    }

    /// The rank of each id in the values' sorted order.
    fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.values.len() as u32).collect();
        order.sort_unstable_by(|a, b| self.values[*a as usize].cmp(&self.values[*b as usize]));
        let mut ranks = vec![0; order.len()];
        for (rank, id) in order.into_iter().enumerate() {
            ranks[id as usize] = rank as u32;
        }
        ranks
    }
}

/// Builds the rollup of one data file from its batches, in the file's (session) order.
#[derive(Debug)]
pub struct RollupBuilder {
    kind: EventKind,
    project: Option<String>,
    dictionaries: [Dictionary; 6],
    /// The view whose rows are being read (empty before the first row).
    view: String,
    /// The pending unit of each measure ([`MEASURES`]) of that view.
    pending: [Option<Pending>; 7],
    groups: Groups,
}

/// Measures by index: the five vitals, then page views, then views with an error.
const MEASURES: [&str; 7] = ["lcp", "inp", "cls", "fcp", "ttfb", PAGE_VIEW, VIEW_WITH_ERROR];
/// The index of page views in [`MEASURES`].
const PAGE_VIEW_MEASURE: u8 = 5;
/// The index of views with an error in [`MEASURES`].
const VIEW_WITH_ERROR_MEASURE: u8 = 6;

/// The measures of a file of `kind`: the first one's index and how many.
fn measures_of(kind: EventKind) -> (u8, usize) {
    match kind {
        EventKind::Vital => (0, 5),
        EventKind::Error => (VIEW_WITH_ERROR_MEASURE, 1),
        _ => (PAGE_VIEW_MEASURE, 1),
    }
}

fn measure_of(name: &str) -> Option<u8> {
    MEASURES[..5].iter().position(|measure| *measure == name).map(|at| at as u8)
}

impl RollupBuilder {
    /// A builder for a file of `kind` (see [`has_rollup`]).
    pub fn new(kind: EventKind) -> Self {
        Self {
            kind,
            project: None,
            dictionaries: Default::default(),
            view: String::new(),
            pending: Default::default(),
            groups: Groups::new(measures_of(kind)),
        }
    }

    /// Adds the rows of `batch` (the kind's schema).
    pub fn add(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        let columns = Columns::of(batch, self.kind)?;
        for row in 0..batch.num_rows() {
            if self.project.is_none() {
                self.project = Some(columns.project.value(row).to_owned());
            }
            let view = columns.view_id.value(row);
            if self.view != view {
                self.end_view(Some(&columns));
                self.view.clear();
                self.view.push_str(view);
            }
            if columns.sampling.is_null(row) || columns.sampling.value(row) != "sampled" {
                continue;
            }
            let (measure, value) = match columns.vital {
                Some((names, values)) => {
                    let Some(measure) = measure_of(names.value(row)) else { continue };
                    if values.is_null(row) {
                        continue;
                    }
                    (measure, Some(values.value(row)))
                }
                None => (measures_of(self.kind).0, None),
            };
            let (timestamp, received) = (columns.timestamp.value(row), columns.received.value(row));
            let event_id = columns.event_id.value(row);
            let newer = self.pending[usize::from(measure)].as_ref().is_none_or(|pending| {
                let pending_id = pending.row.map_or(pending.event_id.as_str(), |at| columns.event_id.value(at));
                (timestamp, received, event_id) > (pending.timestamp, pending.received, pending_id)
            });
            if !newer {
                continue;
            }
            let rate = columns.sample_rate.value(row);
            self.pending[usize::from(measure)] = Some(Pending {
                timestamp,
                received,
                row: Some(row),
                event_id: String::new(),
                dims: [NULL; 6],
                weight: if rate > 0.0 { 1.0 / rate } else { 1.0 },
                value,
            });
        }
        // The view may go on in the next batch: its pending units keep copies of their rows.
        for pending in self.pending.iter_mut().flatten() {
            if let Some(row) = pending.row.take() {
                pending.event_id = columns.event_id.value(row).to_owned();
                pending.dims = dims_of(&mut self.dictionaries, &columns, row);
            }
        }
        Ok(())
    }

    /// Adds the view's pending units to their groups; `columns` are the current batch's
    /// (none after the last batch: then no unit refers to a row).
    fn end_view(&mut self, columns: Option<&Columns<'_>>) {
        for (measure, pending) in self.pending.iter_mut().enumerate() {
            let Some(pending) = pending.take() else { continue };
            let dims = match (pending.row, columns) {
                (Some(row), Some(columns)) => dims_of(&mut self.dictionaries, columns, row),
                _ => pending.dims,
            };
            let hour = pending.timestamp.div_euclid(HOUR_MS) * HOUR_MS;
            self.groups.add(hour, measure as u8, dims, pending.weight, pending.value);
        }
    }

    /// The rollup's rows, sorted by grouping, name, hour and dimension values; none when no
    /// unit was seen.
    pub fn finish(mut self) -> Result<Option<RecordBatch>, StoreError> {
        self.end_view(None);
        let Some(project) = self.project.take() else { return Ok(None) };
        if self.groups.is_empty() {
            return Ok(None);
        }
        let ranks: Vec<Vec<u32>> = self.dictionaries.iter().map(Dictionary::ranks).collect();
        let rank = |dims: &[u32; 6]| -> [u32; 6] {
            std::array::from_fn(|i| if dims[i] == NULL { NULL } else { ranks[i][dims[i] as usize] })
        };
        let mut rows: Vec<_> = self.groups.rows().collect();
        rows.sort_unstable_by_key(|row| (row.grouping, row.measure, row.hour, rank(&row.dims)));
        let n = rows.len();
        let mut project_column = StringBuilder::with_capacity(n, n * project.len());
        let mut hour = TimestampMillisecondBuilder::with_capacity(n).with_timezone("UTC");
        let mut name = StringBuilder::with_capacity(n, n * 4);
        let mut grouping = Int32Builder::with_capacity(n);
        let mut dims: Vec<StringBuilder> = (0..6).map(|_| StringBuilder::with_capacity(n, n * 8)).collect();
        let mut floats: Vec<Float64Builder> = (0..5).map(|_| Float64Builder::with_capacity(n)).collect();
        let mut samples = Int64Builder::with_capacity(n);
        let mut sketch = BinaryBuilder::with_capacity(n, n * 64);
        let mut bytes = Vec::new();
        for row in &rows {
            project_column.append_value(&project);
            hour.append_value(row.hour);
            name.append_value(MEASURES[usize::from(row.measure)]);
            grouping.append_value(i32::from(row.grouping));
            for (i, builder) in dims.iter_mut().enumerate() {
                match row.dims[i] {
                    NULL => builder.append_null(),
                    id => builder.append_value(&self.dictionaries[i].values[id as usize]),
                }
            }
            let figures = row.figures;
            let [good, needs, poor] = figures.ratings;
            for (builder, value) in floats.iter_mut().zip([figures.count, figures.sum, good, needs, poor]) {
                builder.append_value(value);
            }
            samples.append_value(figures.samples);
            bytes.clear();
            figures.sketch.write_bytes(&mut bytes);
            sketch.append_value(&bytes);
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

/// The dimension value ids of `row`.
fn dims_of(dictionaries: &mut [Dictionary; 6], columns: &Columns<'_>, row: usize) -> [u32; 6] {
    std::array::from_fn(|i| {
        let column = columns.dims[i];
        if column.is_null(row) { NULL } else { dictionaries[i].id(column.value(row)) }
    })
}

/// Rows per page of a rollup file: a query of one measure and hour range reads about this
/// many rows beside the ones it asks for, in each column.
const ROLLUP_PAGE_ROWS: usize = 1024;

/// Writes `batch` as the rollup file `path` (`.tmp`, fsync, rename): one row group per
/// grouping (the batch is sorted by grouping, measure and hour), so a query of the totals
/// (`grouping = 0`) skips the others by their statistics without reading a byte of them,
/// and pages of [`ROLLUP_PAGE_ROWS`] rows within, which the page index prunes by measure
/// and hour. The sketches are stored plainly (no dictionary: they are nearly all distinct,
/// and a dictionary page is read whole by any query that reads one row of the column).
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
        .set_data_page_row_count_limit(ROLLUP_PAGE_ROWS)
        .set_write_batch_size(ROLLUP_PAGE_ROWS)
        .set_column_dictionary_enabled("sketch".into(), false)
        .build();
    let mut writer =
        ArrowWriter::try_new(file, batch.schema(), Some(properties)).map_err(|error| write_error(&error))?;
    for (start, rows) in grouping_runs(batch)? {
        writer.write(&batch.slice(start, rows)).map_err(|error| write_error(&error))?;
        writer.flush().map_err(|error| write_error(&error))?;
    }
    let file = writer.into_inner().map_err(|error| write_error(&error))?;
    file.sync_all().map_err(|error| write_error(&error))?;
    std::fs::rename(&temporary, path).map_err(|error| write_error(&error))
}

/// The runs of equal `grouping` in a rollup batch (sorted by it): `(first row, rows)`.
fn grouping_runs(batch: &RecordBatch) -> Result<Vec<(usize, usize)>, StoreError> {
    let groupings = batch
        .column_by_name("grouping")
        .and_then(|column| column.as_primitive_opt::<Int32Type>())
        .ok_or_else(|| StoreError::Write("a rollup batch has no grouping column".into()))?;
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for row in 0..batch.num_rows() {
        match runs.last_mut() {
            Some((start, rows)) if groupings.value(*start) == groupings.value(row) => *rows += 1,
            _ => runs.push((row, 1)),
        }
    }
    Ok(runs)
}

/// The rollup of a data file's batches, in the file's order (session, view, time): what a
/// flush writes next to the file; computed too for a file without one and for the buffer.
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
mod tests;
