//! The rollup builder against a plain computation of the same figures from the same rows.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{AsArray, BinaryArray, StringArray, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use sightline_protocol::{
    ActionEvent, DeviceClass, ErrorEvent, EventBody, EventRecord, GeoInfo, LongAnimationFrameEvent, PageLocation,
    RequestEvent, RequestFailure, ResourceEvent, SamplingReason, ScriptAttribution, ViewEvent, VitalEvent, VitalName,
    derived,
};

use super::*;
use crate::columns::record_batch;
use crate::engine::buffer::Buffer;
use crate::engine::order;
use crate::engine::test_records::{NOON_MS, context, records_of_one_beacon};
use crate::sketch::Sketch;
use crate::wal::Lsn;

#[test]
fn a_vital_file_rolls_up_per_hour_measure_and_dimension_set() {
    let mut buffer = Buffer::default();
    buffer.insert(Lsn(1), records_of_one_beacon(10));
    let vitals = buffer.snapshot().into_iter().find(|p| p.key.kind == EventKind::Vital).expect("vitals");
    let batch = rollup_of(EventKind::Vital, &vitals.batches()).expect("builds").expect("rows");
    assert_eq!(batch.schema(), rollup_schema());
    let grouping = batch.column_by_name("grouping").expect("grouping").as_primitive::<Int32Type>();
    let overall: Vec<usize> = (0..batch.num_rows()).filter(|row| grouping.value(*row) == 0).collect();
    let samples = batch.column_by_name("samples").expect("samples").as_primitive::<Int64Type>();
    let units: i64 = overall.iter().map(|row| samples.value(*row)).sum();
    assert!(units > 0 && units <= 5, "at most one unit per view and vital: {units}");
    let count: f64 = overall.iter().map(|row| float_at(&batch, "count", *row)).sum();
    assert!(count >= units as f64);
}

/// A small deterministic generator (splitmix64).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Sessions of a few views each, over three hours, with every dimension varied (nulls
/// too), sample rates of 1, ½ and ¼ (weights add up exactly), sessions kept for an error
/// (not counted), views reported several times (ties of timestamp broken by
/// `received_at`, then by event id), and errors in a third of the reports (a view may
/// have several: it counts once).
pub(super) fn records(seed: u64, sessions: usize) -> Vec<EventRecord> {
    let mut random = Random(seed);
    let routes = ["/", "/products/:id", "/cart", "/checkout"];
    let vitals = [VitalName::Lcp, VitalName::Inp, VitalName::Cls, VitalName::Fcp, VitalName::Ttfb];
    let mut records = Vec::new();
    for session in 0..sessions {
        let base = context("shop", &format!("s{session:04}"));
        let mut shared = (*base).clone();
        shared.client.browser = ["Chrome", "Safari", "Firefox"][random.below(3)].into();
        shared.client.device_class = [DeviceClass::Mobile, DeviceClass::Desktop, DeviceClass::Tablet][random.below(3)];
        shared.geo = GeoInfo {
            country: [Some("DE"), Some("FR"), Some("US"), None][random.below(4)].map(Into::into),
            ..shared.geo
        };
        shared.release = [Some("2.4.0"), Some("2.4.1"), None][random.below(3)].map(Into::into);
        shared.environment = [Some("production"), None][random.below(2)].map(Into::into);
        shared.sample_rate = [1.0, 0.5, 0.25][random.below(3)];
        shared.sampling_reason =
            if random.below(8) == 0 { SamplingReason::KeptForError } else { SamplingReason::Sampled };
        let start = NOON_MS + (random.unit() * 3.0 * HOUR_MS as f64) as i64;
        for view in 0..1 + random.below(4) {
            let route = routes[random.below(routes.len())];
            let page = Arc::new(PageLocation {
                url: format!("https://shop.test{route}"),
                host: "shop.test".into(),
                path: route.into(),
                route: route.into(),
            });
            let view_id = format!("s{session:04}-v{view}");
            let at = start + view as i64 * 20_000;
            for report in 0..1 + random.below(3) {
                // Beacons of one view may share a timestamp, or a timestamp and an arrival.
                let mut beacon = shared.clone();
                beacon.received_at_ms = at + 1_000 * random.below(2) as i64;
                let beacon = Arc::new(beacon);
                let timestamp = at + 100 * report.min(1) as i64;
                let mut push = |body: EventBody, id: String| {
                    records.push(EventRecord {
                        event_id: id,
                        timestamp_ms: timestamp,
                        view_id: view_id.clone(),
                        page: Arc::clone(&page),
                        quality: Default::default(),
                        body,
                        context: Arc::clone(&beacon),
                    });
                };
                push(EventBody::View(ViewEvent::default()), format!("{view_id}-view-{}", random.below(1000)));
                for vital in vitals {
                    if random.below(3) == 0 {
                        continue;
                    }
                    let value = match vital {
                        VitalName::Cls => (random.unit() * random.unit() * 4000.0).round() / 10_000.0,
                        _ => ((random.unit() * 8.0).exp() * 10.0).round() / 10.0,
                    };
                    let body = EventBody::Vital(VitalEvent { name: vital, value, rating: None, attribution: None });
                    push(body, format!("{view_id}-{}-{}", vital.as_str(), random.below(1000)));
                }
                if random.below(3) == 0 {
                    let count = random.below(3) as u32; // 0 as from an older agent: counts once
                    let body = EventBody::Error(ErrorEvent { message: "boom".into(), count, ..ErrorEvent::default() });
                    push(body, format!("{view_id}-error-{}", random.below(1000)));
                }
                for request in 0..random.below(3) {
                    let (status, failure) = [
                        (Some(200), None),
                        (Some(204), None),
                        (Some(404), None),
                        (Some(503), None),
                        (None, Some(RequestFailure::Network)),
                        (Some(0), None),
                        (None, None),
                    ][random.below(7)];
                    let (method, url) = [
                        ("GET", "https://api.test/orders/1234"),
                        ("GET", "https://api.test/orders/98"),
                        ("POST", "https://api.test/cart"),
                        ("GET", "/api/items/3f2a9c1e?x=1"),
                    ][random.below(4)];
                    let duration = ((random.unit() * 7.0).exp() * 10.0).round() / 10.0;
                    let (method, url) = (method.into(), url.into());
                    let body = EventBody::Request(RequestEvent {
                        status,
                        failure,
                        method,
                        url,
                        duration,
                        ..Default::default()
                    });
                    push(body, format!("{view_id}-request-{report}-{request}"));
                }
                for resource in 0..random.below(3) {
                    let url =
                        ["https://shop.test/app.js", "https://cdn.test/a.png", "https://cdn.test/b.png", "data:x"]
                            [random.below(4)];
                    let body = EventBody::Resource(ResourceEvent {
                        url: url.into(),
                        duration: ((random.unit() * 6.0).exp() * 10.0).round() / 10.0,
                        transfer_size: [Some((random.unit() * 50_000.0).round()), Some(0.0), None][random.below(3)],
                        third_party: url.contains("cdn") && random.below(4) > 0,
                        ..Default::default()
                    });
                    push(body, format!("{view_id}-resource-{report}-{resource}"));
                }
                for frame in 0..random.below(3) {
                    let script = |random: &mut Random| ScriptAttribution {
                        source_url: [
                            Some("https://shop.test/app.js"),
                            Some("https://widget.test/w.js"),
                            Some(""),
                            None,
                        ][random.below(4)]
                        .map(Into::into),
                        source_function_name: [Some("onClick"), Some(""), None][random.below(3)].map(Into::into),
                        ..Default::default()
                    };
                    let scripts = (0..random.below(3)).map(|_| script(&mut random)).collect();
                    let body = EventBody::LongAnimationFrame(LongAnimationFrameEvent {
                        duration: 50.0 + (random.unit() * 400.0).round(),
                        blocking_duration: [Some((random.unit() * 300.0).round()), None][random.below(2)],
                        scripts,
                        ..Default::default()
                    });
                    push(body, format!("{view_id}-frame-{report}-{frame}"));
                }
                for action in 0..random.below(3) {
                    let (rage, dead) = (random.below(4) == 0, random.below(3) == 0);
                    let body = EventBody::Action(ActionEvent { rage, dead, count: 1, ..ActionEvent::default() });
                    push(body, format!("{view_id}-action-{report}-{action}"));
                }
            }
        }
    }
    records
}

/// The file's batches as a flush writes them (session order), cut into batches of
/// `rows` rows so that views straddle batches.
pub(super) fn file_batches(kind: EventKind, records: &[EventRecord], rows: usize) -> Vec<RecordBatch> {
    let of_kind: Vec<&EventRecord> = records.iter().filter(|record| record.body.kind() == kind).collect();
    let batch = record_batch(kind, of_kind.iter().copied()).expect("one kind");
    let sorted: Vec<RecordBatch> =
        order::sorted(&[batch]).expect("sorts").collect::<Result<_, _>>().expect("sorted batches");
    let mut cut = Vec::new();
    for batch in sorted {
        for start in (0..batch.num_rows()).step_by(rows) {
            cut.push(batch.slice(start, rows.min(batch.num_rows() - start)));
        }
    }
    cut
}

/// A row's keys: the dimensions, then the item and its detail.
pub(super) type Keys = [Option<String>; 8];
pub(super) type RefKey = (i32, String, i64, Keys);

#[derive(Debug, Default)]
struct RefFigures {
    count: f64,
    samples: i64,
    sum: f64,
    ratings: [f64; 3],
    values: Vec<(f64, f64)>,
}

/// A view's latest report of a measure: its order (timestamp, arrival, id) and its row.
type FinalReport = (i64, i64, String, RecordBatch, usize);

/// A row's dimension values (no item).
fn dims_at(batch: &RecordBatch, row: usize) -> Keys {
    std::array::from_fn(|i| {
        let column: &StringArray =
            batch.column_by_name(ROLLUP_DIMENSIONS.get(i)?).expect("dimension").as_string::<i32>();
        (!column.is_null(row)).then(|| column.value(row).to_owned())
    })
}

/// A row's dimension values with the item `(item, detail)`.
fn item_keys_at(batch: &RecordBatch, row: usize, item: Option<String>, detail: Option<String>) -> Keys {
    let mut keys = dims_at(batch, row);
    (keys[6], keys[7]) = (item, detail);
    keys
}

/// `dims` as grouping set `set` keeps them.
fn kept(set: &[usize], dims: &Keys) -> Keys {
    std::array::from_fn(|i| if set.contains(&i) { dims[i].clone() } else { None })
}

/// The measures per item.
const ITEM_MEASURE_NAMES: [&str; 8] = [
    ENDPOINT_REQUEST,
    ENDPOINT_FAILED_REQUEST,
    HOST_RESOURCE,
    HOST_RESOURCE_BYTES,
    HOST_THIRD_PARTY_RESOURCE,
    SCRIPT_FRAME,
    SCRIPT_BLOCKING,
    SCRIPT_THIRD_PARTY_FRAME,
];

/// Whether a measure's values are in its sketch.
fn sketched(measure: &str) -> bool {
    vital_named(measure).is_some() || [ENDPOINT_REQUEST, HOST_RESOURCE, SCRIPT_FRAME].contains(&measure)
}

fn weight_at(batch: &RecordBatch, row: usize) -> f64 {
    1.0 / batch.column_by_name("sample_rate").expect("rate").as_primitive::<Float64Type>().value(row)
}

/// The reference's groups, filled unit by unit.
#[derive(Default)]
struct RefGroups(BTreeMap<RefKey, RefFigures>);

impl RefGroups {
    /// Adds a unit of `measure` at `timestamp`'s hour to the groups of every grouping set
    /// of the measure (once per distinct kept value of `dims_list`).
    fn add(&mut self, measure: &str, timestamp: i64, dims_list: &[Keys], weight: f64, value: Option<f64>) {
        let hour = timestamp - timestamp.rem_euclid(HOUR_MS);
        let (first, sets): (usize, &[&[usize]]) = if ITEM_MEASURE_NAMES.contains(&measure) {
            (GROUPING_SETS.len(), &ITEM_GROUPING_SETS)
        } else {
            (0, &GROUPING_SETS)
        };
        for (at, set) in sets.iter().enumerate() {
            let grouping = first + at;
            let distinct: std::collections::BTreeSet<Keys> = dims_list.iter().map(|dims| kept(set, dims)).collect();
            for key in distinct {
                let figures = self.0.entry((grouping as i32, measure.to_owned(), hour, key)).or_default();
                figures.count += weight;
                figures.samples += 1;
                let Some(value) = value else { continue };
                figures.sum += weight * value;
                if sketched(measure) {
                    figures.values.push((value, weight));
                }
                if vital_named(measure).is_some() {
                    figures.ratings[rating_of(measure, value)] += weight;
                }
            }
        }
    }
}

fn vital_named(measure: &str) -> Option<VitalName> {
    serde_json::from_value(serde_json::json!(measure)).ok()
}

/// 0 good, 1 needs improvement, 2 poor.
fn rating_of(measure: &str, value: f64) -> usize {
    let (good, poor) = vital_named(measure).expect("a vital").thresholds();
    if value <= good {
        0
    } else if value <= poor {
        1
    } else {
        2
    }
}

/// The rollup computed the plain way: each view's final report per measure, each
/// session's views, every counted row; then every grouping set's key as strings.
fn reference(kind: EventKind, batches: &[RecordBatch]) -> BTreeMap<RefKey, RefFigures> {
    let mut groups = RefGroups::default();
    let mut finals: HashMap<(String, String), FinalReport> = HashMap::new();
    // Per session: its first view's start, weight, views and their dimension values.
    type SessionRows = (i64, f64, std::collections::BTreeSet<String>, Vec<Keys>);
    let mut sessions: BTreeMap<String, SessionRows> = BTreeMap::new();
    for batch in batches {
        let text = |name: &str| batch.column_by_name(name).expect("column").as_string::<i32>().clone();
        let float = |name: &str| batch.column_by_name(name).expect("column").as_primitive::<Float64Type>().clone();
        let time = |name: &str| {
            batch
                .column_by_name(name)
                .expect("column")
                .as_any()
                .downcast_ref::<TimestampMillisecondArray>()
                .expect("time")
                .clone()
        };
        let (views, ids, sampling) = (text("view_id"), text("event_id"), text("sampling_reason"));
        let (timestamps, received) = (time("timestamp"), time("received_at"));
        for row in 0..batch.num_rows() {
            if sampling.value(row) != "sampled" {
                continue;
            }
            let (timestamp, weight) = (timestamps.value(row), weight_at(batch, row));
            let dims = [dims_at(batch, row)];
            let measure = match kind {
                EventKind::Vital => text("name").value(row).to_owned(),
                EventKind::Error => {
                    let count = batch.column_by_name("count").expect("count").as_primitive::<UInt32Type>().value(row);
                    groups.add(ERROR, timestamp, &dims, weight * f64::from(count.max(1)), None);
                    VIEW_WITH_ERROR.to_owned()
                }
                EventKind::View => {
                    let session = sessions.entry(text("session_id").value(row).to_owned()).or_insert((
                        timestamp,
                        0.0,
                        Default::default(),
                        Vec::new(),
                    ));
                    session.0 = session.0.min(timestamp);
                    session.1 = session.1.max(weight);
                    session.2.insert(views.value(row).to_owned());
                    session.3.push(dims[0].clone());
                    PAGE_VIEW.to_owned()
                }
                EventKind::Request => {
                    groups.add(REQUEST, timestamp, &dims, weight, None);
                    let status = batch.column_by_name("status").expect("status").as_primitive::<UInt32Type>();
                    let failed = !batch.column_by_name("failure").expect("failure").is_null(row)
                        || status.is_null(row)
                        || status.value(row) == 0
                        || status.value(row) >= 400;
                    let mut endpoint = String::new();
                    derived::write_endpoint(text("url").value(row), &mut endpoint);
                    let keys = [item_keys_at(batch, row, Some(endpoint), Some(text("method").value(row).to_owned()))];
                    let duration = float("duration").value(row);
                    groups.add(ENDPOINT_REQUEST, timestamp, &keys, weight, Some(duration));
                    if failed {
                        groups.add(FAILED_REQUEST, timestamp, &dims, weight, None);
                        groups.add(ENDPOINT_FAILED_REQUEST, timestamp, &keys, weight, None);
                    }
                    continue;
                }
                EventKind::Resource => {
                    let host = derived::url_host(text("url").value(row)).to_owned();
                    let keys = [item_keys_at(batch, row, Some(host), None)];
                    groups.add(HOST_RESOURCE, timestamp, &keys, weight, Some(float("duration").value(row)));
                    let bytes = float("transfer_size");
                    groups.add(
                        HOST_RESOURCE_BYTES,
                        timestamp,
                        &keys,
                        weight,
                        (!bytes.is_null(row)).then(|| bytes.value(row)),
                    );
                    if batch.column_by_name("third_party").expect("flag").as_boolean().value(row) {
                        groups.add(HOST_THIRD_PARTY_RESOURCE, timestamp, &keys, weight, None);
                    }
                    continue;
                }
                EventKind::LongAnimationFrame => {
                    groups.add(LONG_ANIMATION_FRAME, timestamp, &dims, weight, None);
                    let scripts = text("scripts");
                    let scripts: Vec<serde_json::Value> = if scripts.is_null(row) || scripts.value(row).is_empty() {
                        Vec::new()
                    } else {
                        serde_json::from_str(scripts.value(row)).expect("scripts as JSON")
                    };
                    let Some(first) = scripts.first() else { continue };
                    let field = |name: &str| first[name].as_str().filter(|text| !text.is_empty()).map(str::to_owned);
                    let (source, function) = (field("source_url"), field("source_function_name"));
                    let page_host = text("host").value(row).to_owned();
                    let third_party = source.as_deref().is_some_and(|source| derived::url_host(source) != page_host);
                    let keys = [item_keys_at(batch, row, source, function)];
                    groups.add(SCRIPT_FRAME, timestamp, &keys, weight, Some(float("duration").value(row)));
                    let blocking = float("blocking_duration");
                    groups.add(
                        SCRIPT_BLOCKING,
                        timestamp,
                        &keys,
                        weight,
                        (!blocking.is_null(row)).then(|| blocking.value(row)),
                    );
                    if third_party {
                        groups.add(SCRIPT_THIRD_PARTY_FRAME, timestamp, &keys, weight, None);
                    }
                    continue;
                }
                _ => {
                    groups.add(ACTION, timestamp, &dims, weight, None);
                    for (flag, measure) in [("rage", RAGE_CLICK), ("dead", DEAD_CLICK)] {
                        if batch.column_by_name(flag).expect("flag").as_boolean().value(row) {
                            groups.add(measure, timestamp, &dims, weight, None);
                        }
                    }
                    continue;
                }
            };
            let order = (timestamp, received.value(row), ids.value(row).to_owned());
            let entry = finals.entry((views.value(row).to_owned(), measure));
            let newer = match &entry {
                std::collections::hash_map::Entry::Occupied(old) => {
                    let old = old.get();
                    (order.0, order.1, &order.2) > (old.0, old.1, &old.2)
                }
                std::collections::hash_map::Entry::Vacant(_) => true,
            };
            if newer {
                entry.insert_entry((order.0, order.1, order.2, batch.clone(), row));
            }
        }
    }
    // A view's poor vitals: the latest poor final report of LCP, INP or CLS.
    let mut poor: HashMap<String, (i64, Keys, f64)> = HashMap::new();
    for ((view, measure), (timestamp, _, _, batch, row)) in &finals {
        let value = (kind == EventKind::Vital)
            .then(|| batch.column_by_name("value").expect("value").as_primitive::<Float64Type>().value(*row));
        let dims = [dims_at(batch, *row)];
        groups.add(measure, *timestamp, &dims, weight_at(batch, *row), value);
        if let Some(value) = value
            && ["lcp", "inp", "cls"].contains(&measure.as_str())
            && rating_of(measure, value) == 2
            && poor.get(view).is_none_or(|(latest, ..)| timestamp > latest)
        {
            let [dims] = dims;
            poor.insert(view.clone(), (*timestamp, dims, weight_at(batch, *row)));
        }
    }
    for (timestamp, dims, weight) in poor.into_values() {
        groups.add(VIEW_WITH_POOR_VITAL, timestamp, &[dims], weight, None);
    }
    for (start, weight, views, dims) in sessions.into_values() {
        groups.add(SESSION, start, &dims, weight, None);
        if views.len() == 1 {
            groups.add(BOUNCED_SESSION, start, &dims, weight, None);
        }
    }
    groups.0
}

/// `groups` and their sums over each UTC day (grouping `DAILY_GROUPING` + the hours').
fn with_daily(mut groups: BTreeMap<RefKey, RefFigures>) -> BTreeMap<RefKey, RefFigures> {
    let mut days: BTreeMap<RefKey, RefFigures> = BTreeMap::new();
    for ((grouping, measure, hour, keys), figures) in &groups {
        let day = hour - hour.rem_euclid(24 * HOUR_MS);
        let sum = days.entry((grouping + i32::from(DAILY_GROUPING), measure.clone(), day, keys.clone())).or_default();
        sum.count += figures.count;
        sum.samples += figures.samples;
        sum.sum += figures.sum;
        for (mine, theirs) in sum.ratings.iter_mut().zip(figures.ratings) {
            *mine += theirs;
        }
        sum.values.extend(&figures.values);
    }
    groups.extend(days);
    groups
}

/// The exact weighted nearest-rank quantile of `docs/query.md`.
fn exact_quantile(values: &[(f64, f64)], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = sorted.iter().map(|(_, weight)| weight).sum();
    let mut cumulative = 0.0;
    for (value, weight) in &sorted {
        cumulative += weight;
        if cumulative >= q * total * (1.0 - 1e-12) {
            return *value;
        }
    }
    sorted.last().expect("values").0
}

/// The rollup's rows by the reference's key, checking on the way that they come sorted.
pub(super) fn rows_of(batch: &RecordBatch) -> BTreeMap<RefKey, (f64, i64, f64, [f64; 3], Sketch)> {
    let grouping = batch.column_by_name("grouping").expect("grouping").as_primitive::<Int32Type>();
    let names = batch.column_by_name("name").expect("name").as_string::<i32>();
    let hours = batch
        .column_by_name("timestamp")
        .expect("timestamp")
        .as_primitive::<datafusion::arrow::datatypes::TimestampMillisecondType>();
    let samples = batch.column_by_name("samples").expect("samples").as_primitive::<Int64Type>();
    let sketches: &BinaryArray = batch.column_by_name("sketch").expect("sketch").as_binary::<i32>();
    let mut rows = BTreeMap::new();
    let mut previous = None;
    for row in 0..batch.num_rows() {
        let dims: Keys = std::array::from_fn(|i| {
            let name = ROLLUP_DIMENSIONS.get(i).unwrap_or_else(|| &ITEM_COLUMNS[i - ROLLUP_DIMENSIONS.len()]);
            let column = batch.column_by_name(name).expect("key column").as_string::<i32>();
            (!column.is_null(row)).then(|| column.value(row).to_owned())
        });
        let measure = MEASURES.iter().position(|m| *m == names.value(row)).expect("a measure");
        // Nulls sort last.
        let order_key = (grouping.value(row), measure, hours.value(row), dims.clone().map(|d| (d.is_none(), d)));
        assert!(previous.as_ref().is_none_or(|previous| *previous < order_key), "rows sorted at {row}");
        previous = Some(order_key);
        let figures = (
            float_at(batch, "count", row),
            samples.value(row),
            float_at(batch, "sum", row),
            [float_at(batch, "good", row), float_at(batch, "needs_improvement", row), float_at(batch, "poor", row)],
            Sketch::from_bytes(sketches.value(row)).expect("a sketch"),
        );
        rows.insert((grouping.value(row), names.value(row).to_owned(), hours.value(row), dims), figures);
    }
    rows
}

#[test]
fn the_rollup_equals_a_plain_computation_of_every_group() {
    for (seed, kind, rows_per_batch) in [
        (1, EventKind::Vital, 13),
        (2, EventKind::Vital, 8192),
        (3, EventKind::View, 7),
        (4, EventKind::Vital, 1),
        (6, EventKind::Error, 3),
        (8, EventKind::Request, 5),
        (9, EventKind::Action, 11),
        (10, EventKind::View, 8192),
        (11, EventKind::Resource, 17),
        (12, EventKind::LongAnimationFrame, 9),
    ] {
        let records = records(seed, 300);
        let batches = file_batches(kind, &records, rows_per_batch);
        let expected = with_daily(reference(kind, &batches));
        let built = rollup_of(kind, &batches).expect("builds").expect("rows");
        let rows = rows_of(&built);
        assert_eq!(
            rows.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "seed {seed}: the same groups"
        );
        let mut checked_quantiles = 0;
        for (key, figures) in &expected {
            let (count, samples, sum, ratings, sketch) = &rows[key];
            assert_eq!((*count, *samples, *ratings), (figures.count, figures.samples, figures.ratings), "{key:?}");
            assert!(
                (sum - figures.sum).abs() <= 1e-9 * figures.sum.abs().max(1.0),
                "{key:?}: {sum} vs {}",
                figures.sum
            );
            let mut plain = Sketch::default();
            for (value, weight) in &figures.values {
                plain.add(*value, *weight);
            }
            assert_eq!(*sketch, plain, "{key:?}: the sketch holds every unit's value");
            if figures.values.is_empty() {
                continue;
            }
            for q in [0.5, 0.75, 0.9, 0.99] {
                let (got, truth) = (sketch.quantile(q).expect("a quantile"), exact_quantile(&figures.values, q));
                let error = if truth == 0.0 { got } else { (got - truth).abs() / truth };
                assert!(error <= 0.01, "{key:?} q {q}: {got} vs exact {truth}");
                checked_quantiles += 1;
            }
        }
        let groupings: std::collections::BTreeSet<i32> = expected.keys().map(|key| key.0).collect();
        let sets = 2 * match kind {
            EventKind::Request | EventKind::LongAnimationFrame => GROUPING_SETS.len() + ITEM_GROUPING_SETS.len(),
            EventKind::Resource => ITEM_GROUPING_SETS.len(),
            _ => GROUPING_SETS.len(),
        };
        assert_eq!(groupings.len(), sets, "seed {seed}: every grouping set has rows");
        let least = match kind {
            EventKind::Vital => 1_000,
            EventKind::Request | EventKind::Resource | EventKind::LongAnimationFrame => 300,
            _ => 0,
        };
        assert!(checked_quantiles >= least, "seed {seed}: {checked_quantiles} quantiles");
    }
}

#[test]
fn a_rollup_file_has_a_row_group_per_grouping_and_plain_sketches() {
    use datafusion::parquet::basic::Encoding;
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
    use datafusion::parquet::file::statistics::Statistics;

    let batches = file_batches(EventKind::Vital, &records(7, 300), 8192);
    let built = rollup_of(EventKind::Vital, &batches).expect("builds").expect("rows");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rollup.parquet");
    write_rollup(&path, &built).expect("writes");

    let reader = SerializedFileReader::new(File::open(&path).expect("opens")).expect("a Parquet file");
    let metadata = reader.metadata();
    assert_eq!(metadata.num_row_groups(), 2 * GROUPING_SETS.len(), "one row group per grouping, hourly and daily");
    let schema = built.schema();
    let (grouping, sketch) =
        (schema.index_of("grouping").expect("grouping"), schema.index_of("sketch").expect("sketch"));
    let mut seen = Vec::new();
    for group in metadata.row_groups() {
        let Some(Statistics::Int32(range)) = group.column(grouping).statistics() else {
            panic!("the grouping column has statistics");
        };
        assert_eq!(range.min_opt(), range.max_opt(), "a row group holds one grouping");
        seen.extend(range.min_opt().copied());
        let sketches = group.column(sketch);
        assert!(sketches.dictionary_page_offset().is_none(), "no dictionary page for the sketches");
        assert!(!sketches.encodings().any(|encoding| encoding == Encoding::RLE_DICTIONARY));
    }
    let hourly = 0..GROUPING_SETS.len() as i32;
    let daily = hourly.clone().map(|grouping| grouping + i32::from(DAILY_GROUPING));
    assert_eq!(seen, hourly.chain(daily).collect::<Vec<_>>(), "in grouping order");
    let read: usize = metadata.row_groups().iter().map(|group| group.num_rows() as usize).sum();
    assert_eq!(read, built.num_rows());
}

#[test]
fn files_without_sampled_units_have_no_rollup() {
    let mut records = records(5, 20);
    for record in &mut records {
        let mut context = (*record.context).clone();
        context.sampling_reason = SamplingReason::KeptForPoorVital;
        record.context = Arc::new(context);
    }
    let batches = file_batches(EventKind::Vital, &records, 50);
    assert!(rollup_of(EventKind::Vital, &batches).expect("builds").is_none());
    assert!(rollup_of(EventKind::Vital, &[]).expect("builds").is_none());
}
