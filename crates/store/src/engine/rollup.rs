//! Rollups: per data file of `vital`, `view`, `error`, `request`, `action`, `resource` or
//! `long_animation_frame` events, the figures the dashboard's statistics need per hour,
//! measure and a few dimensions, with a quantile [`Sketch`] for the vitals and durations — a
//! few thousand rows a day instead of millions.
//!
//! A rollup row is `(project, timestamp (the hour), name, grouping, route, browser,
//! device_class, country, release, environment, item, item_detail)` → `count` (Σ weight, the
//! weight being 1 / sample rate), `samples` (units), `sum` (Σ weight · value), `good` /
//! `needs_improvement` / `poor` (Σ weight of the units so rated) and `sketch` (their values,
//! [`Sketch`]). `name` is the measure ([`MEASURES`]), each counted by the kind of file that
//! holds its events:
//!
//! - `vital`: each vital (`lcp`…, valued: a view's final report), and
//!   `view_with_poor_vital`: each view whose final LCP, INP or CLS is poor, once, at the
//!   hour and page context of its latest poor report (the poor-vital share's numerator);
//! - `view`: `page_view` (each view once, at its final report), `session` (each session
//!   once per distinct value of the grouping set's dimensions among its views, at the hour
//!   its first view started) and `bounced_session` (the same, for sessions of one view);
//! - `error`: `view_with_error` (each view with an error once, at its final error's hour
//!   and page context: the error rate's numerator) and `error` (every error, weighted by
//!   the times the agent folded it);
//! - `request`: `request` and `failed_request` (a failure, no status, or a status ≥ 400),
//!   and per endpoint and method (the items) `endpoint_request` (valued by the duration)
//!   and `endpoint_failed_request`;
//! - `action`: `action`, `rage_click`, `dead_click`;
//! - `resource`, per host (the item): `host_resource` (valued by the duration),
//!   `host_resource_bytes` (by the transfer size) and `host_third_party_resource`;
//! - `long_animation_frame`: `long_animation_frame`, and per longest script (the item: its
//!   source URL, and its function as the detail) `script_frame` (valued by the frame's
//!   duration), `script_blocking` (by its blocking time) and `script_third_party_frame` (the
//!   script's host is not the page's).
//!
//! Only sampled sessions (`sampling_reason = 'sampled'`) are counted, as in every
//! statistic. A view's final report is its latest in the file (`timestamp`, then
//! `received_at`, then event id); the file's rows are in session order, so each session's
//! and each view's rows are together. `grouping` names which keys the row keeps
//! ([`GROUPING_SETS`] for the plain measures, [`ITEM_GROUPING_SETS`] for the item ones, which
//! keep the item and at most one dimension); the others are null: a query reads the
//! smallest set that holds its filters and groups. Each row is also summed over its UTC
//! day, as a row of grouping [`DAILY_GROUPING`] + its own at the day's first hour, so that
//! a long range reads its whole days a row per day.
//!
//! The rollup of `tables/<path>.parquet` is `rollups/v3/<path>.parquet` ([`ROLLUPS_DIR`]: the
//! version changes with the measures), written by
//! [`write_file`](super::flush::write_file) with its data file (flush, compaction, erase,
//! bulk load), before the data file is renamed into place. A rollup is read only for a
//! file the manifest lists; a listed file without one (written by an older version) gets
//! it written by the maintenance task ([`backfill`]), and meanwhile, as the buffered rows,
//! computed at query time ([`RollupTable`](super::rollup_table)).
//! What is approximate: quantiles (within the sketch's 0.5 %), a view whose reports
//! landed in two files counts twice (the exact path keeps only its final report), and so
//! does a session whose views did (a day boundary, a flush between them).

pub(super) mod backfill;
pub(super) mod day;
mod groups;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, BinaryBuilder, BooleanArray, Float64Array, Float64Builder, Int32Builder, Int64Builder, RecordBatch,
    StringArray, StringBuilder, TimestampMillisecondArray, TimestampMillisecondBuilder, UInt32Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit, UInt32Type};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use foldhash::fast::RandomState;
use sightline_protocol::{EventKind, derived};

use self::groups::Groups;
use crate::StoreError;

/// The directory of the rollups, under the store directory: `v3` since the rollups hold
/// requests by endpoint, resources by host and long animation frames by script (older
/// ones, without them, are not read).
pub const ROLLUPS_DIR: &str = "rollups/v3";
/// The directory the rollups of every version are under.
const ROLLUPS_ROOT: &str = "rollups";
/// The table name of the rollups in a query session.
pub const ROLLUP_TABLE: &str = "rollup";
/// The dimensions a rollup row can keep.
pub const ROLLUP_DIMENSIONS: [&str; 6] = ["route", "browser", "device_class", "country", "release", "environment"];
/// What an item measure's row is about, kept after the dimensions (keys 6 and 7): a
/// request's endpoint and method, a resource's host (no detail), a long animation frame's
/// longest script and its function.
pub const ITEM_COLUMNS: [&str; 2] = ["item", "item_detail"];
/// The keys of a row: the dimensions, then the item's columns.
const KEYS: usize = 8;
const ITEM_KEY: usize = 6;
const ITEM_DETAIL_KEY: usize = 7;
/// The dimension sets kept (indices into [`ROLLUP_DIMENSIONS`]); `grouping` is the position here.
pub const GROUPING_SETS: [&[usize]; 12] =
    [&[], &[0], &[1], &[2], &[3], &[4], &[5], &[0, 1], &[0, 2], &[0, 4], &[3, 2], &[1, 2]];
/// The sets the item measures are kept in, `grouping` [`GROUPING_SETS`]`.len()` + the position
/// here: the item alone, and with each dimension.
pub const ITEM_GROUPING_SETS: [&[usize]; 7] =
    [&[6, 7], &[0, 6, 7], &[1, 6, 7], &[2, 6, 7], &[3, 6, 7], &[4, 6, 7], &[5, 6, 7]];
/// A row of grouping `DAILY_GROUPING + g` holds grouping `g`'s figures summed over a UTC
/// day, at the day's first hour: a month is read in 30 rows per group instead of 720.
pub const DAILY_GROUPING: u8 = 100;
/// The measures by index (each kind's together, see [`measures_of`]); `name` holds them.
pub const MEASURES: [&str; 25] = [
    "lcp",
    "inp",
    "cls",
    "fcp",
    "ttfb",
    VIEW_WITH_POOR_VITAL,
    PAGE_VIEW,
    SESSION,
    BOUNCED_SESSION,
    VIEW_WITH_ERROR,
    ERROR,
    REQUEST,
    FAILED_REQUEST,
    ENDPOINT_REQUEST,
    ENDPOINT_FAILED_REQUEST,
    ACTION,
    RAGE_CLICK,
    DEAD_CLICK,
    HOST_RESOURCE,
    HOST_RESOURCE_BYTES,
    HOST_THIRD_PARTY_RESOURCE,
    LONG_ANIMATION_FRAME,
    SCRIPT_FRAME,
    SCRIPT_BLOCKING,
    SCRIPT_THIRD_PARTY_FRAME,
];
/// Views whose final LCP, INP or CLS is poor (`vital` files).
pub const VIEW_WITH_POOR_VITAL: &str = "view_with_poor_vital";
/// Page views (`view` files).
pub const PAGE_VIEW: &str = "page_view";
/// Sessions (`view` files).
pub const SESSION: &str = "session";
/// Sessions of one page view (`view` files).
pub const BOUNCED_SESSION: &str = "bounced_session";
/// Views with an error (`error` files).
pub const VIEW_WITH_ERROR: &str = "view_with_error";
/// Errors, as often as the agent folded them (`error` files).
pub const ERROR: &str = "error";
/// Requests (`request` files).
pub const REQUEST: &str = "request";
/// Requests that failed, got no status or a status of 400 or more (`request` files).
pub const FAILED_REQUEST: &str = "failed_request";
/// Requests by endpoint and method, valued by their duration (`request` files).
pub const ENDPOINT_REQUEST: &str = "endpoint_request";
/// Failed requests by endpoint and method (`request` files).
pub const ENDPOINT_FAILED_REQUEST: &str = "endpoint_failed_request";
/// Actions (`action` files).
pub const ACTION: &str = "action";
/// Rage clicks (`action` files).
pub const RAGE_CLICK: &str = "rage_click";
/// Dead clicks (`action` files).
pub const DEAD_CLICK: &str = "dead_click";
/// Resources by host, valued by their duration (`resource` files).
pub const HOST_RESOURCE: &str = "host_resource";
/// Resources by host, valued by their transfer size (`resource` files; no sketch).
pub const HOST_RESOURCE_BYTES: &str = "host_resource_bytes";
/// Resources by host that the agent marked third-party (`resource` files).
pub const HOST_THIRD_PARTY_RESOURCE: &str = "host_third_party_resource";
/// Long animation frames (`long_animation_frame` files).
pub const LONG_ANIMATION_FRAME: &str = "long_animation_frame";
/// Long animation frames by their longest script (source URL and function), valued by
/// the frame's duration (`long_animation_frame` files; frames without a script are not).
pub const SCRIPT_FRAME: &str = "script_frame";
/// The same frames valued by their blocking time (no sketch).
pub const SCRIPT_BLOCKING: &str = "script_blocking";
/// The same frames whose script came from another host than the page.
pub const SCRIPT_THIRD_PARTY_FRAME: &str = "script_third_party_frame";

/// Indices into [`MEASURES`].
const VITAL_MEASURES: u8 = 0;
const VIEW_WITH_POOR_VITAL_MEASURE: u8 = 5;
const PAGE_VIEW_MEASURE: u8 = 6;
const SESSION_MEASURE: u8 = 7;
const BOUNCED_SESSION_MEASURE: u8 = 8;
const VIEW_WITH_ERROR_MEASURE: u8 = 9;
const ERROR_MEASURE: u8 = 10;
const REQUEST_MEASURE: u8 = 11;
const FAILED_REQUEST_MEASURE: u8 = 12;
const ENDPOINT_REQUEST_MEASURE: u8 = 13;
const ENDPOINT_FAILED_REQUEST_MEASURE: u8 = 14;
const ACTION_MEASURE: u8 = 15;
const RAGE_CLICK_MEASURE: u8 = 16;
const DEAD_CLICK_MEASURE: u8 = 17;
const HOST_RESOURCE_MEASURE: u8 = 18;
const HOST_RESOURCE_BYTES_MEASURE: u8 = 19;
const HOST_THIRD_PARTY_RESOURCE_MEASURE: u8 = 20;
const LONG_ANIMATION_FRAME_MEASURE: u8 = 21;
const SCRIPT_FRAME_MEASURE: u8 = 22;
const SCRIPT_BLOCKING_MEASURE: u8 = 23;
const SCRIPT_THIRD_PARTY_FRAME_MEASURE: u8 = 24;
/// The kinds with a rollup and their measures: the first one's index and how many.
const KIND_MEASURES: [(EventKind, u8, usize); 7] = [
    (EventKind::Vital, VITAL_MEASURES, 6),
    (EventKind::View, PAGE_VIEW_MEASURE, 3),
    (EventKind::Error, VIEW_WITH_ERROR_MEASURE, 2),
    (EventKind::Request, REQUEST_MEASURE, 4),
    (EventKind::Action, ACTION_MEASURE, 3),
    (EventKind::Resource, HOST_RESOURCE_MEASURE, 3),
    (EventKind::LongAnimationFrame, LONG_ANIMATION_FRAME_MEASURE, 4),
];
/// The measures whose rows are per item ([`ITEM_GROUPING_SETS`]).
const ITEM_MEASURES: [u8; 8] = [
    ENDPOINT_REQUEST_MEASURE,
    ENDPOINT_FAILED_REQUEST_MEASURE,
    HOST_RESOURCE_MEASURE,
    HOST_RESOURCE_BYTES_MEASURE,
    HOST_THIRD_PARTY_RESOURCE_MEASURE,
    SCRIPT_FRAME_MEASURE,
    SCRIPT_BLOCKING_MEASURE,
    SCRIPT_THIRD_PARTY_FRAME_MEASURE,
];
/// The valued measures whose values are sketched for quantiles besides the vitals (the
/// others are summed only).
const SKETCHED_MEASURES: [u8; 3] = [ENDPOINT_REQUEST_MEASURE, HOST_RESOURCE_MEASURE, SCRIPT_FRAME_MEASURE];

/// Whether `measure`'s rows are per item.
fn is_item_measure(measure: u8) -> bool {
    ITEM_MEASURES.contains(&measure)
}

/// Whether `measure`'s values go into a sketch.
fn is_sketched(measure: u8) -> bool {
    measure < VIEW_WITH_POOR_VITAL_MEASURE || SKETCHED_MEASURES.contains(&measure)
}

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
    fields.extend(ROLLUP_DIMENSIONS.iter().chain(&ITEM_COLUMNS).map(|name| text(name, true)));
    fields
        .extend(["count", "sum", "good", "needs_improvement", "poor"].map(|n| Field::new(n, DataType::Float64, false)));
    fields.insert(fields.len() - 4, Field::new("samples", DataType::Int64, false));
    fields.push(Field::new("sketch", DataType::Binary, false));
    Arc::new(Schema::new(fields))
}

/// The kind of data file whose rollup holds the measure `name` (`None`: no rollup does).
pub fn kind_of_measure(name: &str) -> Option<EventKind> {
    let measure = MEASURES.iter().position(|measure| *measure == name)?;
    KIND_MEASURES
        .iter()
        .find(|(_, first, count)| (usize::from(*first)..usize::from(*first) + count).contains(&measure))
        .map(|(kind, _, _)| *kind)
}

/// Whether files of `kind` have a rollup.
pub fn has_rollup(kind: EventKind) -> bool {
    KIND_MEASURES.iter().any(|(known, _, _)| *known == kind)
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
    dims: [u32; KEYS],
    weight: f64,
    value: Option<f64>,
}

/// The columns of a batch the rollup reads.
struct Columns<'a> {
    project: &'a StringArray,
    session_id: &'a StringArray,
    view_id: &'a StringArray,
    event_id: &'a StringArray,
    timestamp: &'a TimestampMillisecondArray,
    received: &'a TimestampMillisecondArray,
    sample_rate: &'a Float64Array,
    sampling: &'a StringArray,
    dims: [&'a StringArray; 6],
    own: OwnColumns<'a>,
}

/// The columns of the file's kind that its measures read.
enum OwnColumns<'a> {
    Vital {
        names: &'a StringArray,
        values: &'a Float64Array,
    },
    View,
    Error {
        counts: &'a UInt32Array,
    },
    Request {
        failures: &'a StringArray,
        statuses: &'a UInt32Array,
        methods: &'a StringArray,
        urls: &'a StringArray,
        durations: &'a Float64Array,
    },
    Action {
        rage: &'a BooleanArray,
        dead: &'a BooleanArray,
    },
    Resource {
        urls: &'a StringArray,
        durations: &'a Float64Array,
        transfer_sizes: &'a Float64Array,
        third_party: &'a BooleanArray,
    },
    Frame {
        durations: &'a Float64Array,
        blocking: &'a Float64Array,
        scripts: &'a StringArray,
        hosts: &'a StringArray,
    },
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
        let unsigned = |name: &str| -> Result<&'a UInt32Array, StoreError> {
            batch.column_by_name(name).and_then(|c| c.as_primitive_opt::<UInt32Type>()).ok_or_else(|| missing(name))
        };
        let boolean = |name: &str| -> Result<&'a BooleanArray, StoreError> {
            batch.column_by_name(name).and_then(|c| c.as_boolean_opt()).ok_or_else(|| missing(name))
        };
        let [route, browser, device, country, release, environment] = ROLLUP_DIMENSIONS;
        Ok(Self {
            project: text("project")?,
            session_id: text("session_id")?,
            view_id: text("view_id")?,
            event_id: text("event_id")?,
            timestamp: time("timestamp")?,
            received: time("received_at")?,
            sample_rate: float("sample_rate")?,
            sampling: text("sampling_reason")?,
            dims: [text(route)?, text(browser)?, text(device)?, text(country)?, text(release)?, text(environment)?],
            own: match kind {
                EventKind::Vital => OwnColumns::Vital { names: text("name")?, values: float("value")? },
                EventKind::Error => OwnColumns::Error { counts: unsigned("count")? },
                EventKind::Request => OwnColumns::Request {
                    failures: text("failure")?,
                    statuses: unsigned("status")?,
                    methods: text("method")?,
                    urls: text("url")?,
                    durations: float("duration")?,
                },
                EventKind::Action => OwnColumns::Action { rage: boolean("rage")?, dead: boolean("dead")? },
                EventKind::Resource => OwnColumns::Resource {
                    urls: text("url")?,
                    durations: float("duration")?,
                    transfer_sizes: float("transfer_size")?,
                    third_party: boolean("third_party")?,
                },
                EventKind::LongAnimationFrame => OwnColumns::Frame {
                    durations: float("duration")?,
                    blocking: float("blocking_duration")?,
                    scripts: text("scripts")?,
                    hosts: text("host")?,
                },
                _ => OwnColumns::View,
            },
        })
    }

    /// The weight of `row`: 1 / its sample rate.
    fn weight(&self, row: usize) -> f64 {
        let rate = self.sample_rate.value(row);
        if rate > 0.0 { 1.0 / rate } else { 1.0 }
    }
}

/// The session whose rows a `view` file's builder is reading: what its units need.
#[derive(Debug, Default)]
struct SessionUnits {
    id: String,
    /// When its first view started.
    start: i64,
    weight: f64,
    views: u32,
    /// The distinct dimension values of its views.
    dims: Vec<[u32; KEYS]>,
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
    /// The values of each key column.
    dictionaries: [Dictionary; KEYS],
    /// A reusable buffer for an item's text.
    item: String,
    /// The view whose rows are being read (empty before the first row).
    view: String,
    /// The pending unit of each measure ([`MEASURES`]) of that view.
    pending: [Option<Pending>; MEASURES.len()],
    /// The session being read (`view` files).
    session: SessionUnits,
    groups: Groups,
}

/// The measures of a file of `kind`: the first one's index and how many (none for a kind
/// without a rollup).
fn measures_of(kind: EventKind) -> (u8, usize) {
    KIND_MEASURES.iter().find(|(known, _, _)| *known == kind).map_or((0, 0), |(_, first, count)| (*first, *count))
}

/// The measure of a vital's name.
fn vital_measure(name: &str) -> Option<u8> {
    MEASURES[..5].iter().position(|measure| *measure == name).map(|at| at as u8)
}

/// The measures of the vitals a poor one of makes a view count in `view_with_poor_vital`.
const POOR_VITAL_MEASURES: [u8; 3] = [0, 1, 2];

fn hour_of(timestamp: i64) -> i64 {
    timestamp.div_euclid(HOUR_MS) * HOUR_MS
}

impl RollupBuilder {
    /// A builder for a file of `kind` (see [`has_rollup`]).
    pub fn new(kind: EventKind) -> Self {
        Self {
            kind,
            project: None,
            dictionaries: Default::default(),
            item: String::new(),
            view: String::new(),
            pending: Default::default(),
            session: SessionUnits::default(),
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
            let new_view = self.view != view;
            if new_view {
                self.end_view(Some(&columns));
                self.view.clear();
                self.view.push_str(view);
            }
            if columns.sampling.is_null(row) || columns.sampling.value(row) != "sampled" {
                continue;
            }
            match columns.own {
                OwnColumns::Vital { names, values } => {
                    if let Some(measure) = vital_measure(names.value(row))
                        && !values.is_null(row)
                    {
                        self.offer(measure, &columns, row, Some(values.value(row)));
                    }
                }
                OwnColumns::View => {
                    self.offer(PAGE_VIEW_MEASURE, &columns, row, None);
                    self.add_to_session(&columns, row, new_view);
                }
                OwnColumns::Error { counts } => {
                    self.offer(VIEW_WITH_ERROR_MEASURE, &columns, row, None);
                    let folded = if counts.is_null(row) { 1 } else { counts.value(row).max(1) };
                    self.count(ERROR_MEASURE, &columns, row, columns.weight(row) * f64::from(folded));
                }
                OwnColumns::Request { failures, statuses, methods, urls, durations } => {
                    let weight = columns.weight(row);
                    let status = if statuses.is_null(row) { 0 } else { statuses.value(row) };
                    let failed = !failures.is_null(row) || status == 0 || status >= 400;
                    self.count(REQUEST_MEASURE, &columns, row, weight);
                    if failed {
                        self.count(FAILED_REQUEST_MEASURE, &columns, row, weight);
                    }
                    let mut endpoint = std::mem::take(&mut self.item);
                    endpoint.clear();
                    let url = text_at(urls, row);
                    if let Some(url) = url {
                        derived::write_endpoint(url, &mut endpoint);
                    }
                    let keys = self.item_keys(&columns, row, [url.map(|_| endpoint.as_str()), text_at(methods, row)]);
                    self.item = endpoint;
                    let hour = hour_of(columns.timestamp.value(row));
                    self.groups.add(hour, ENDPOINT_REQUEST_MEASURE, keys, weight, value_at(durations, row));
                    if failed {
                        self.groups.add(hour, ENDPOINT_FAILED_REQUEST_MEASURE, keys, weight, None);
                    }
                }
                OwnColumns::Action { rage, dead } => {
                    self.count(ACTION_MEASURE, &columns, row, columns.weight(row));
                    for (flags, measure) in [(rage, RAGE_CLICK_MEASURE), (dead, DEAD_CLICK_MEASURE)] {
                        if !flags.is_null(row) && flags.value(row) {
                            self.count(measure, &columns, row, columns.weight(row));
                        }
                    }
                }
                OwnColumns::Resource { urls, durations, transfer_sizes, third_party } => {
                    let keys = self.item_keys(&columns, row, [text_at(urls, row).map(derived::url_host), None]);
                    let (hour, weight) = (hour_of(columns.timestamp.value(row)), columns.weight(row));
                    self.groups.add(hour, HOST_RESOURCE_MEASURE, keys, weight, value_at(durations, row));
                    self.groups.add(hour, HOST_RESOURCE_BYTES_MEASURE, keys, weight, value_at(transfer_sizes, row));
                    if !third_party.is_null(row) && third_party.value(row) {
                        self.groups.add(hour, HOST_THIRD_PARTY_RESOURCE_MEASURE, keys, weight, None);
                    }
                }
                OwnColumns::Frame { durations, blocking, scripts, hosts } => {
                    let weight = columns.weight(row);
                    self.count(LONG_ANIMATION_FRAME_MEASURE, &columns, row, weight);
                    let Some(scripts) = text_at(scripts, row).filter(|scripts| scripts.starts_with("[{")) else {
                        continue;
                    };
                    let field = |name| derived::json_first(scripts, name).filter(|text| !text.is_empty());
                    let (source, function) = (field("source_url"), field("source_function_name"));
                    let keys = self.item_keys(&columns, row, [source.as_deref(), function.as_deref()]);
                    let hour = hour_of(columns.timestamp.value(row));
                    self.groups.add(hour, SCRIPT_FRAME_MEASURE, keys, weight, value_at(durations, row));
                    self.groups.add(hour, SCRIPT_BLOCKING_MEASURE, keys, weight, value_at(blocking, row));
                    let page_host = text_at(hosts, row);
                    if let (Some(source), Some(page_host)) = (source.as_deref(), page_host)
                        && derived::url_host(source) != page_host
                    {
                        self.groups.add(hour, SCRIPT_THIRD_PARTY_FRAME_MEASURE, keys, weight, None);
                    }
                }
            }
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

    /// Makes `row` the view's pending unit of `measure` when it is the latest report so far.
    fn offer(&mut self, measure: u8, columns: &Columns<'_>, row: usize, value: Option<f64>) {
        let (timestamp, received) = (columns.timestamp.value(row), columns.received.value(row));
        let event_id = columns.event_id.value(row);
        let newer = self.pending[usize::from(measure)].as_ref().is_none_or(|pending| {
            let pending_id = pending.row.map_or(pending.event_id.as_str(), |at| columns.event_id.value(at));
            (timestamp, received, event_id) > (pending.timestamp, pending.received, pending_id)
        });
        if newer {
            self.pending[usize::from(measure)] = Some(Pending {
                timestamp,
                received,
                row: Some(row),
                event_id: String::new(),
                dims: [NULL; KEYS],
                weight: columns.weight(row),
                value,
            });
        }
    }

    /// Counts `row` as a unit of `measure` with `weight`, at its own hour and page context.
    fn count(&mut self, measure: u8, columns: &Columns<'_>, row: usize, weight: f64) {
        let dims = dims_of(&mut self.dictionaries, columns, row);
        self.groups.add(hour_of(columns.timestamp.value(row)), measure, dims, weight, None);
    }

    /// The keys of `row`: its dimensions and the item `(item, detail)`.
    fn item_keys(&mut self, columns: &Columns<'_>, row: usize, item: [Option<&str>; 2]) -> [u32; KEYS] {
        let mut keys = dims_of(&mut self.dictionaries, columns, row);
        for (key, text) in [ITEM_KEY, ITEM_DETAIL_KEY].into_iter().zip(item) {
            keys[key] = text.map_or(NULL, |text| self.dictionaries[key].id(text));
        }
        keys
    }

    /// Adds a `view` row to its session's units (ending the previous session's).
    fn add_to_session(&mut self, columns: &Columns<'_>, row: usize, new_view: bool) {
        let id = columns.session_id.value(row);
        let timestamp = columns.timestamp.value(row);
        if self.session.id != id {
            self.end_session();
            self.session.id.push_str(id);
            self.session.start = timestamp;
        }
        let session = &mut self.session;
        session.start = session.start.min(timestamp);
        session.weight = session.weight.max(columns.weight(row));
        session.views += u32::from(new_view || session.views == 0);
        let dims = dims_of(&mut self.dictionaries, columns, row);
        if !session.dims.contains(&dims) {
            session.dims.push(dims);
        }
    }

    /// Adds the session's units: once per grouping set and distinct value of its dimensions
    /// among the session's views, at the hour its first view started.
    fn end_session(&mut self) {
        let session = std::mem::take(&mut self.session);
        if session.views == 0 {
            return;
        }
        let hour = hour_of(session.start);
        let bounced = session.views == 1;
        let mut kept_seen: Vec<[u32; KEYS]> = Vec::with_capacity(session.dims.len());
        for (grouping, set) in GROUPING_SETS.iter().enumerate() {
            kept_seen.clear();
            for dims in &session.dims {
                let kept: [u32; KEYS] = std::array::from_fn(|i| if set.contains(&i) { dims[i] } else { NULL });
                if kept_seen.contains(&kept) {
                    continue;
                }
                kept_seen.push(kept);
                self.groups.add_in(grouping, hour, SESSION_MEASURE, kept, session.weight);
                if bounced {
                    self.groups.add_in(grouping, hour, BOUNCED_SESSION_MEASURE, kept, session.weight);
                }
            }
        }
    }

    /// Adds the view's pending units to their groups, and for a `vital` file the view's
    /// `view_with_poor_vital` unit; `columns` are the current batch's (none after the last
    /// batch: then no unit refers to a row).
    fn end_view(&mut self, columns: Option<&Columns<'_>>) {
        let mut latest_poor: Option<(i64, [u32; KEYS], f64)> = None;
        for (measure, pending) in self.pending.iter_mut().enumerate() {
            let Some(pending) = pending.take() else { continue };
            let dims = match (pending.row, columns) {
                (Some(row), Some(columns)) => dims_of(&mut self.dictionaries, columns, row),
                _ => pending.dims,
            };
            let measure = measure as u8;
            let poor = pending.value.is_some_and(|value| groups::is_poor(measure, value));
            if poor
                && POOR_VITAL_MEASURES.contains(&measure)
                && latest_poor.is_none_or(|(timestamp, ..)| pending.timestamp > timestamp)
            {
                latest_poor = Some((pending.timestamp, dims, pending.weight));
            }
            self.groups.add(hour_of(pending.timestamp), measure, dims, pending.weight, pending.value);
        }
        if let Some((timestamp, dims, weight)) = latest_poor {
            self.groups.add(hour_of(timestamp), VIEW_WITH_POOR_VITAL_MEASURE, dims, weight, None);
        }
    }

    /// The rollup's rows, sorted by grouping, name, hour and dimension values; none when no
    /// unit was seen.
    pub fn finish(mut self) -> Result<Option<RecordBatch>, StoreError> {
        self.end_view(None);
        self.end_session();
        let Some(project) = self.project.take() else { return Ok(None) };
        if self.groups.is_empty() {
            return Ok(None);
        }
        let daily = self.groups.daily();
        let rows: Vec<RowRef<'_>> = self
            .groups
            .rows()
            .map(|row| (row.grouping, row.measure, row.hour, row.dims, row.figures))
            .chain(daily.iter().map(|row| (row.grouping, row.measure, row.day, row.dims, &row.figures)))
            .collect();
        rollup_batch(&project, rows, &self.dictionaries).map(Some)
    }
}

/// A rollup row to write: grouping, measure, hour, key value ids and figures.
type RowRef<'a> = (u8, u8, i64, [u32; KEYS], &'a groups::Figures);

/// The rollup batch of `rows` (of `project`; key ids into `dictionaries`), sorted by
/// grouping, measure, hour and key values.
fn rollup_batch(
    project: &str,
    mut rows: Vec<RowRef<'_>>,
    dictionaries: &[Dictionary; KEYS],
) -> Result<RecordBatch, StoreError> {
    let ranks: Vec<Vec<u32>> = dictionaries.iter().map(Dictionary::ranks).collect();
    let rank = |dims: &[u32; KEYS]| -> [u32; KEYS] {
        std::array::from_fn(|i| if dims[i] == NULL { NULL } else { ranks[i][dims[i] as usize] })
    };
    rows.sort_unstable_by_key(|&(grouping, measure, hour, dims, _)| (grouping, measure, hour, rank(&dims)));
    let n = rows.len();
    let mut project_column = StringBuilder::with_capacity(n, n * project.len());
    let mut hour = TimestampMillisecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut name = StringBuilder::with_capacity(n, n * 4);
    let mut grouping = Int32Builder::with_capacity(n);
    let mut dims: Vec<StringBuilder> = (0..KEYS).map(|_| StringBuilder::with_capacity(n, n * 8)).collect();
    let mut floats: Vec<Float64Builder> = (0..5).map(|_| Float64Builder::with_capacity(n)).collect();
    let mut samples = Int64Builder::with_capacity(n);
    let mut sketch = BinaryBuilder::with_capacity(n, n * 64);
    let mut bytes = Vec::new();
    for &(row_grouping, measure, row_hour, row_dims, figures) in &rows {
        project_column.append_value(project);
        hour.append_value(row_hour);
        name.append_value(MEASURES[usize::from(measure)]);
        grouping.append_value(i32::from(row_grouping));
        for (i, builder) in dims.iter_mut().enumerate() {
            match row_dims[i] {
                NULL => builder.append_null(),
                id => builder.append_value(&dictionaries[i].values[id as usize]),
            }
        }
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
        .map_err(|error| StoreError::Write(format!("cannot build a rollup: {error}")))
}

/// The dimension value ids of `row` (no item).
fn dims_of(dictionaries: &mut [Dictionary; KEYS], columns: &Columns<'_>, row: usize) -> [u32; KEYS] {
    std::array::from_fn(|i| match columns.dims.get(i) {
        Some(column) if !column.is_null(row) => dictionaries[i].id(column.value(row)),
        _ => NULL,
    })
}

/// The text at `row`, if any.
fn text_at(column: &StringArray, row: usize) -> Option<&str> {
    (!column.is_null(row)).then(|| column.value(row))
}

/// The number at `row`, if any.
fn value_at(column: &Float64Array, row: usize) -> Option<f64> {
    (!column.is_null(row)).then(|| column.value(row))
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
