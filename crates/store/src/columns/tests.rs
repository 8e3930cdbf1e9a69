mod docs;
mod files;
pub(crate) mod fixtures;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type, TimestampMillisecondType, UInt32Type};
use sightline_protocol::{
    Attributes, ConsentState, EventBody, EventKind, RequestApi, RequestFailure, ScriptAttribution, ServerTiming,
};

use super::common::{CommonColumns, consent_str};
use super::kinds::{api_str, failure_str};
use super::{BatchBuilder, KindMismatch, record_batch, schema};
use fixtures::{RECEIVED_AT_MS, TIME_ORIGIN_MS, bare, full, full_context, record};

/// One value of a batch, whatever its column type.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Text(String),
    Float(f64),
    UInt(u32),
    Bool(bool),
    Time(i64),
}

use Cell::{Bool, Float, Null, Text, Time, UInt};

fn text(value: &str) -> Cell {
    Text(value.to_owned())
}

fn cell(batch: &RecordBatch, name: &str, row: usize) -> Cell {
    let column = batch.column_by_name(name).unwrap_or_else(|| panic!("no column {name}"));
    if column.is_null(row) {
        return Null;
    }
    match column.data_type() {
        DataType::Utf8 => Text(column.as_string::<i32>().value(row).to_owned()),
        DataType::Float64 => Float(column.as_primitive::<Float64Type>().value(row)),
        DataType::UInt32 => UInt(column.as_primitive::<UInt32Type>().value(row)),
        DataType::Boolean => Bool(column.as_boolean().value(row)),
        DataType::Timestamp(..) => Time(column.as_primitive::<TimestampMillisecondType>().value(row)),
        other => panic!("column {name} has unexpected type {other}"),
    }
}

/// Asserts the cells of `row`, column by column.
fn assert_row(batch: &RecordBatch, row: usize, expected: &[(&str, Cell)]) {
    for (name, value) in expected {
        assert_eq!(&cell(batch, name, row), value, "column {name}");
    }
}

/// Asserts that `expected` names every column of `kind`, in schema order.
fn assert_covers_schema(kind: EventKind, expected: &[(&str, Cell)]) {
    let names: Vec<&str> = expected.iter().map(|(name, _)| *name).collect();
    let schema = schema(kind);
    let columns: Vec<&str> = schema.fields().iter().map(|field| field.name().as_str()).collect();
    assert_eq!(names, columns);
}

/// The common cells of a full record at `t`.
fn full_common(t: i64) -> Vec<(&'static str, Cell)> {
    vec![
        ("project", text("shop")),
        ("event_id", text(&format!("01JGZ8K4M0V7A{t}"))),
        ("timestamp", Time(TIME_ORIGIN_MS + t)),
        ("received_at", Time(RECEIVED_AT_MS)),
        ("session_id", text("5f3c1b9e7a2d4e8f9b6c0d1e2f3a4b5c")),
        ("view_id", text("8c2d4e6f1a3b4c5d8e9f0a1b2c3d4e5f")),
        ("page_url", text("https://shop.example.com/products/4711?utm_source=newsletter")),
        ("host", text("shop.example.com")),
        ("path", text("/products/4711")),
        ("route", text("/products/:id")),
        ("referrer_host", text("www.google.com")),
        ("browser", text("Chrome Mobile")),
        ("browser_version", text("131")),
        ("os", text("Android")),
        ("os_version", text("14")),
        ("device_class", text("mobile")),
        ("device_model", text("Pixel 7")),
        ("country", text("DE")),
        ("region", text("BE")),
        ("city", text("Berlin")),
        ("effective_type", text("4g")),
        ("connection_type", text("cellular")),
        ("rtt_ms", Float(100.0)),
        ("downlink_mbps", Float(6.8)),
        ("save_data", Bool(false)),
        ("release", text("2.14.0")),
        ("environment", text("production")),
        ("user_id", text("u_48213")),
        ("user_attributes", text(r#"{"plan":"pro","seats":3.0}"#)),
        ("attributes", text(r#"{"experiment":"checkout_b","logged_in":true}"#)),
        ("consent", text("granted")),
        ("sample_rate", Float(0.25)),
        ("sampling_reason", text("sampled")),
        ("viewport_width", UInt(390)),
        ("viewport_height", UInt(664)),
        ("device_memory_gb", Float(4.0)),
        ("device_cores", UInt(8)),
        ("agent_name", text("sightline-browser")),
        ("agent_version", text("0.1.0")),
        ("quality", UInt(17)),
    ]
}

fn one_row(kind: EventKind, record: &sightline_protocol::EventRecord) -> RecordBatch {
    let batch = record_batch(kind, [record]).expect("same kind");
    assert_eq!(batch.num_rows(), 1);
    batch
}

#[test]
fn a_full_vital_fills_every_column() {
    let batch = one_row(EventKind::Vital, &full(EventKind::Vital));
    let script_json = serde_json::to_string(&[fixtures::script()]).expect("json");
    let mut expected = full_common(2990);
    expected.extend([
        ("name", text("inp")),
        ("value", Float(208.2)),
        ("rating", text("needs_improvement")),
        ("element", text("main > img.hero")),
        ("resource_url", text("https://cdn.example.com/img/4711-hero.avif")),
        ("time_to_first_byte", Float(262.5)),
        ("resource_load_delay", Float(310.2)),
        ("resource_load_duration", Float(1406.8)),
        ("element_render_delay", Float(433.1)),
        ("first_byte_to_fcp", Float(512.0)),
        ("interaction_target", text("#add-to-cart")),
        ("interaction_type", text("pointer")),
        ("interaction_time", Float(3390.0)),
        ("input_delay", Float(134.5)),
        ("processing_duration", Float(42.1)),
        ("presentation_delay", Float(31.6)),
        ("load_state", text("complete")),
        ("scripts", Text(script_json)),
        ("largest_shift_target", text("section.reviews")),
        ("largest_shift_value", Float(0.112)),
        ("largest_shift_time", Float(2210.5)),
        ("waiting_duration", Float(1.5)),
        ("cache_duration", Float(2.5)),
        ("dns_duration", Float(12.4)),
        ("connection_duration", Float(41.2)),
        ("request_duration", Float(183.7)),
    ]);
    assert_covers_schema(EventKind::Vital, &expected);
    assert_row(&batch, 0, &expected);
}

#[test]
fn a_full_view_fills_every_column() {
    let batch = one_row(EventKind::View, &full(EventKind::View));
    let server_timing_json = serde_json::to_string(&fixtures::server_timing()).expect("json");
    let mut expected = full_common(2990);
    expected.extend([
        ("navigation_type", text("reload")),
        ("redirect", Float(0.0)),
        ("dns", Float(12.4)),
        ("connect", Float(41.2)),
        ("tls", Float(27.9)),
        ("request", Float(183.7)),
        ("ttfb", Float(262.5)),
        ("response", Float(38.1)),
        ("dom_interactive", Float(1210.4)),
        ("dom_content_loaded", Float(1296.8)),
        ("load", Float(2140.2)),
        ("transfer_size", Float(18432.0)),
        ("encoded_body_size", Float(17980.0)),
        ("decoded_body_size", Float(96511.0)),
        ("server_timing", Text(server_timing_json)),
    ]);
    assert_covers_schema(EventKind::View, &expected);
    assert_row(&batch, 0, &expected);
}

#[test]
fn full_records_of_the_other_kinds_fill_their_columns() {
    let cases: [(EventKind, &[(&str, Cell)]); 6] = [
        (
            EventKind::Error,
            &[
                ("error_type", text("TypeError")),
                ("message", text("Cannot read properties of undefined (reading 'price')")),
                ("source", text("promise")),
                ("handled", Bool(true)),
                ("source_url", text("https://shop.example.com/assets/app.3f9c1e.js")),
                ("line", UInt(1)),
                ("column", UInt(48_213)),
                ("count", UInt(3)),
            ],
        ),
        (
            EventKind::Request,
            &[
                ("api", text("xhr")),
                ("method", text("POST")),
                ("url", text("https://shop.example.com/api/cart?sku=4711")),
                ("status", UInt(503)),
                ("start", Float(3002.1)),
                ("duration", Float(378.3)),
                ("request_size", Float(64.0)),
                ("response_size", Float(1873.0)),
                ("failure", text("timeout")),
                ("trace_id", text("4bf92f3577b34da6a3ce929d0e0e4736")),
                ("span_id", text("00f067aa0ba902b7")),
            ],
        ),
        (
            EventKind::Resource,
            &[
                ("url", text("https://cdn.example.com/img/4711-hero.avif")),
                ("initiator", text("img")),
                ("start", Float(572.7)),
                ("duration", Float(1406.8)),
                ("dns", Float(18.3)),
                ("ttfb", Float(212.5)),
                ("download", Float(1139.6)),
                ("transfer_size", Float(148_220.0)),
                ("decoded_body_size", Float(147_950.0)),
                ("render_blocking", Bool(true)),
                ("third_party", Bool(true)),
            ],
        ),
        (
            EventKind::LongAnimationFrame,
            &[
                ("start", Float(3380.9)),
                ("duration", Float(143.6)),
                ("blocking_duration", Float(93.6)),
                ("long_task_fallback", Bool(true)),
            ],
        ),
        (
            EventKind::Action,
            &[
                ("action_type", text("tap")),
                ("target", text("Add to cart")),
                ("selector", text("#add-to-cart")),
                ("name", text("add")),
                ("rage", Bool(true)),
                ("dead", Bool(true)),
                ("error", Bool(true)),
                ("count", UInt(4)),
            ],
        ),
        (
            EventKind::Custom,
            &[
                ("name", text("add_to_cart")),
                ("value", Float(49.9)),
                ("event_attributes", text(r#"{"sku":"4711","quantity":1.0,"gift":false}"#)),
            ],
        ),
    ];
    for (kind, expected) in cases {
        let batch = one_row(kind, &full(kind));
        assert_row(&batch, 0, &full_common(2990));
        assert_row(&batch, 0, expected);
    }
}

#[test]
fn absent_optionals_are_null() {
    // The columns a bare record (only required fields, bare context) still fills.
    let common = [
        "project",
        "event_id",
        "timestamp",
        "received_at",
        "session_id",
        "view_id",
        "page_url",
        "host",
        "path",
        "route",
        "browser",
        "browser_version",
        "os",
        "os_version",
        "device_class",
        "effective_type",
        "sample_rate",
        "sampling_reason",
        "agent_name",
        "agent_version",
        "quality",
    ];
    let cases: [(EventKind, &[&str]); 8] = [
        (EventKind::View, &["navigation_type"]),
        (EventKind::Vital, &["name", "value"]),
        (EventKind::Error, &["message", "source", "handled", "count"]),
        (EventKind::Request, &["api", "method", "url", "duration"]),
        (EventKind::Resource, &["url", "duration", "render_blocking", "third_party"]),
        (EventKind::LongAnimationFrame, &["duration", "long_task_fallback"]),
        (EventKind::Action, &["action_type", "rage", "dead", "error", "count"]),
        (EventKind::Custom, &["name"]),
    ];
    for (kind, own) in cases {
        let batch = one_row(kind, &bare(kind));
        let filled: Vec<&str> = batch
            .schema_ref()
            .fields()
            .iter()
            .zip(batch.columns())
            .filter(|(_, column)| column.null_count() == 0)
            .map(|(field, _)| field.name().as_str())
            .collect();
        let expected: Vec<&str> = common.iter().chain(own).copied().collect();
        assert_eq!(filled, expected, "filled columns of a bare {kind:?}");
    }
    let batch = one_row(EventKind::Vital, &bare(EventKind::Vital));
    assert_row(&batch, 0, &[("name", text("cls")), ("value", Float(0.05)), ("quality", UInt(0))]);
}

#[test]
fn json_columns_round_trip_through_serde_json() {
    let json = |batch: &RecordBatch, name: &str| match cell(batch, name, 0) {
        Text(json) => json,
        other => panic!("{name} holds {other:?}"),
    };

    let view = one_row(EventKind::View, &full(EventKind::View));
    let timings: Vec<ServerTiming> = serde_json::from_str(&json(&view, "server_timing")).expect("server timings");
    assert_eq!(timings, fixtures::server_timing());
    let context = full_context();
    let attributes: Attributes = serde_json::from_str(&json(&view, "attributes")).expect("attributes");
    assert_eq!(attributes, context.attributes);
    let user_attributes: Attributes = serde_json::from_str(&json(&view, "user_attributes")).expect("attributes");
    assert_eq!(user_attributes, context.user_attributes);

    for kind in [EventKind::Vital, EventKind::LongAnimationFrame] {
        let record = full(kind);
        let batch = one_row(kind, &record);
        let scripts: Vec<ScriptAttribution> = serde_json::from_str(&json(&batch, "scripts")).expect("scripts");
        let original = match &record.body {
            EventBody::Vital(vital) => vital.attribution.as_ref().map(|a| a.scripts.clone()),
            EventBody::LongAnimationFrame(frame) => Some(frame.scripts.clone()),
            _ => None,
        };
        assert_eq!(Some(scripts), original);
    }

    let record = full(EventKind::Custom);
    let custom = one_row(EventKind::Custom, &record);
    let attributes: Attributes = serde_json::from_str(&json(&custom, "event_attributes")).expect("attributes");
    let EventBody::Custom(event) = &record.body else { panic!("a custom record") };
    assert_eq!(attributes, event.attributes);
}

#[test]
fn every_schema_starts_with_the_same_common_columns() {
    let common: Vec<_> = CommonColumns::SPECS.iter().map(|spec| spec.field()).collect();
    let not_null: Vec<&str> = CommonColumns::SPECS.iter().filter(|spec| !spec.nullable).map(|spec| spec.name).collect();
    assert_eq!(
        not_null,
        ["project", "event_id", "timestamp", "received_at", "session_id", "view_id", "sample_rate", "quality"]
    );
    for kind in EventKind::ALL {
        let built = schema(kind);
        let fields: Vec<_> = built.fields().iter().map(|field| field.as_ref().clone()).collect();
        assert_eq!(fields[..common.len()], common[..], "{kind:?}");
        assert!(fields[common.len()..].iter().all(|field| field.is_nullable()), "{kind:?} columns are nullable");
        let mut names: Vec<&str> = fields.iter().map(|field| field.name().as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), fields.len(), "{kind:?} column names are unique");
        assert!(std::sync::Arc::ptr_eq(&built, &schema(kind)), "the schema is built once");
    }
}

#[test]
fn schemas_are_stable() {
    // The common columns once (every schema starts with them, see above), then each kind's own.
    let common = CommonColumns::SPECS.len();
    let mut listing = String::new();
    let mut list = |title: &str, fields: &[std::sync::Arc<datafusion::arrow::datatypes::Field>]| {
        listing.push_str(&format!("{title}:\n"));
        for field in fields {
            let null = if field.is_nullable() { "" } else { " not null" };
            listing.push_str(&format!("  {}: {}{null}\n", field.name(), field.data_type()));
        }
    };
    list("common", &schema(EventKind::View).fields()[..common]);
    for kind in EventKind::ALL {
        list(kind.as_str(), &schema(kind).fields()[common..]);
    }
    insta::assert_snapshot!(listing);
}

#[test]
fn a_record_of_another_kind_is_refused() {
    let mut builder = BatchBuilder::new(EventKind::Vital);
    builder.push(&full(EventKind::Vital)).expect("a vital");
    let refused = builder.push(&full(EventKind::View));
    assert_eq!(refused, Err(KindMismatch { expected: EventKind::Vital, found: EventKind::View }));
    assert_eq!(refused.map_err(|error| error.to_string()), Err("a view record cannot go into a vital batch".into()));
    assert_eq!(builder.len(), 1);
    assert_eq!(builder.finish().num_rows(), 1);
    assert!(record_batch(EventKind::Custom, [&full(EventKind::Custom), &full(EventKind::Action)]).is_err());
}

#[test]
fn finish_starts_over_and_rows_keep_their_own_context() {
    let mut builder = BatchBuilder::new(EventKind::Custom);
    assert!(builder.is_empty());
    let shared = full_context();
    let first = record(fixtures::full_body(EventKind::Custom), 1, &shared);
    let second = record(fixtures::full_body(EventKind::Custom), 2, &shared);
    // Another beacon right after: the attributes cached for the first must not leak into it.
    let other = record(fixtures::bare_body(EventKind::Custom), 3, &fixtures::bare_context());
    let third = record(fixtures::full_body(EventKind::Custom), 4, &full_context());
    for record in [&first, &second, &other, &third] {
        builder.push(record).expect("a custom record");
    }
    assert_eq!(builder.len(), 4);
    let batch = builder.finish();
    assert!(builder.is_empty());
    let attributes = text(r#"{"experiment":"checkout_b","logged_in":true}"#);
    for (row, expected) in [(0, attributes.clone()), (1, attributes.clone()), (2, Null), (3, attributes)] {
        assert_eq!(cell(&batch, "attributes", row), expected, "row {row}");
    }
    assert_eq!(cell(&batch, "event_id", 2), text("01JGZ8K4M0V7A3"));

    let empty = builder.finish();
    assert_eq!(empty.num_rows(), 0);
    assert_eq!(empty.schema(), schema(EventKind::Custom));
    builder.push(&bare(EventKind::Custom)).expect("a custom record");
    assert_row(&builder.finish(), 0, &[("name", text("signup")), ("attributes", Null), ("session_id", text("s1"))]);
}

#[test]
fn enum_columns_hold_the_wire_names() {
    let wire = |value: serde_json::Value| value.as_str().expect("a string enum").to_owned();
    for consent in [ConsentState::Granted, ConsentState::Denied, ConsentState::Pending] {
        assert_eq!(consent_str(consent), wire(serde_json::json!(consent)));
    }
    for api in [RequestApi::Fetch, RequestApi::Xhr] {
        assert_eq!(api_str(api), wire(serde_json::json!(api)));
    }
    for failure in [RequestFailure::Network, RequestFailure::Aborted, RequestFailure::Timeout] {
        assert_eq!(failure_str(failure), wire(serde_json::json!(failure)));
    }
}

#[test]
fn a_batch_of_known_records_is_built_without_regrowing_its_text_buffers() {
    let shared = full_context();
    for kind in EventKind::ALL {
        let records: Vec<_> = (0..300).map(|n| record(fixtures::full_body(kind), n, &shared)).collect();
        let batch = record_batch(kind, &records).expect("same kind");
        assert_eq!(batch.num_rows(), 300);
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            if field.data_type() != &DataType::Utf8 || column.null_count() == column.len() {
                continue;
            }
            let data = column.to_data();
            let (offsets, values) = (&data.buffers()[0], &data.buffers()[1]);
            // Capacities are rounded up to 64 bytes; a regrown buffer is up to twice its length.
            assert!(offsets.capacity() <= (301 * 4usize).next_multiple_of(64), "{kind:?} {}", field.name());
            // Lists and objects are serialized as they are appended: their size is not measured.
            let serialized_here = matches!(field.name().as_str(), "server_timing" | "scripts" | "event_attributes");
            if !serialized_here {
                assert!(
                    values.capacity() <= values.len().next_multiple_of(64),
                    "{kind:?} {}: {} for {}",
                    field.name(),
                    values.capacity(),
                    values.len()
                );
            }
        }
    }
}
