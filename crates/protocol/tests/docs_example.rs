//! Keeps `docs/protocol.md` honest: its example beacon is this crate's
//! `tests/example_beacon.json`, that file is a valid [`Beacon`] using every event
//! kind, and every field and enum value of the JSON Schema is named in the docs.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use sightline_protocol::{
    AttributeValue, Beacon, EventBody, EventKind, NavigationType, SamplingReason, VitalName, schema::beacon_schema_json,
};

/// The line that precedes the example beacon's ```json block in docs/protocol.md.
const EXAMPLE_MARKER: &str = "<!-- example-beacon: crates/protocol/tests/example_beacon.json -->";

const EXAMPLE: &str = include_str!("example_beacon.json");

fn protocol_docs() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/protocol.md");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// The body of the first ```json fenced block after `marker`.
fn json_block_after<'a>(markdown: &'a str, marker: &str) -> &'a str {
    let (_, after_marker) = markdown
        .split_once(marker)
        .unwrap_or_else(|| panic!("docs/protocol.md has no `{marker}` line before its example beacon"));
    let (_, block) = after_marker.split_once("```json\n").expect("a ```json block follows the example-beacon marker");
    let (json, _) = block.split_once("\n```").expect("the example beacon's ```json block is closed");
    json
}

#[test]
fn example_beacon_parses_as_a_beacon() {
    let beacon: Beacon = serde_json::from_str(EXAMPLE).expect("the example beacon is a valid Beacon");

    assert_eq!(beacon.v, sightline_protocol::PROTOCOL_VERSION);
    assert_eq!(beacon.sent_at, Some(1_767_225_631_904.2));
    let context = &beacon.context;
    assert_eq!(context.agent.name, "sightline-browser");
    assert_eq!(context.view_name.as_deref(), Some("product"));
    assert_eq!(context.sample_rate, 0.25);
    assert_eq!(context.sampling_reason, SamplingReason::Sampled);
    assert_eq!(context.viewport.map(|size| size.width), Some(390));
    assert_eq!(context.attributes.get("logged_in"), Some(&AttributeValue::Bool(true)));
    assert_eq!(context.user.as_ref().and_then(|user| user.attributes.get("seats")), Some(&AttributeValue::Number(3.0)));

    let kinds: BTreeSet<EventKind> = beacon.events.iter().map(|event| event.body.kind()).collect();
    assert_eq!(kinds, BTreeSet::from(EventKind::ALL), "the example shows every event kind");

    for event in &beacon.events {
        match &event.body {
            EventBody::View(view) => {
                assert_eq!(view.navigation_type, NavigationType::Navigate);
                assert_eq!(view.timing.as_ref().and_then(|timing| timing.ttfb), Some(262.5));
                assert_eq!(view.server_timing.len(), 3);
            }
            EventBody::Vital(vital) if vital.name == VitalName::Lcp => {
                let attribution = vital.attribution.as_ref().expect("LCP attribution");
                assert_eq!(attribution.element.as_deref(), Some("main > div.hero > img.product-image"));
                assert_eq!(Some(vital.name.rate(vital.value)), vital.rating, "the example's ratings are right");
            }
            EventBody::Vital(vital) => {
                assert_eq!(Some(vital.name.rate(vital.value)), vital.rating, "the example's ratings are right");
            }
            EventBody::Request(request) => {
                assert_eq!(request.url, "https://shop.example.com/api/cart?sku=4711");
                assert_eq!(request.trace_id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
                assert_eq!(request.status, Some(201));
            }
            EventBody::Resource(resource) => assert_eq!(resource.url, "https://cdn.example.com/img/4711-hero.avif"),
            EventBody::Error(error) => {
                assert_eq!(error.error_type.as_deref(), Some("TypeError"));
                assert_eq!((error.line, error.column), (Some(1), Some(48_213)));
            }
            EventBody::LongAnimationFrame(frame) => assert_eq!(frame.scripts.len(), 1),
            EventBody::Action(action) => assert!(action.rage && action.error && action.count == 4),
            EventBody::Custom(custom) => {
                assert_eq!(custom.name, "add_to_cart");
                assert_eq!(custom.attributes.get("sku"), Some(&AttributeValue::String("4711".into())));
            }
        }
    }
}

#[test]
fn docs_show_exactly_the_example_beacon() {
    let docs = protocol_docs();
    let documented: Value = serde_json::from_str(json_block_after(&docs, EXAMPLE_MARKER))
        .expect("the example beacon in docs/protocol.md is valid JSON");
    let example: Value = serde_json::from_str(EXAMPLE).expect("tests/example_beacon.json is valid JSON");
    assert!(
        documented == example,
        "the example beacon in docs/protocol.md differs from crates/protocol/tests/example_beacon.json: \
         change both together"
    );
}

#[test]
fn docs_name_every_field_and_enum_value() {
    let schema: Value = serde_json::from_str(&beacon_schema_json()).expect("the exported schema is JSON");
    let mut names = BTreeSet::new();
    collect_names(&schema, &mut names);
    let docs = protocol_docs();
    let missing: Vec<&String> = names.iter().filter(|name| !names_in_code(&docs, name)).collect();
    assert!(missing.is_empty(), "docs/protocol.md does not document {missing:?}");
}

/// True when `name` is written in code as itself (`` `name` ``) or as the last
/// segment of a path (`` `viewport.width` ``, `` `scripts[].duration` ``).
fn names_in_code(docs: &str, name: &str) -> bool {
    let closed = format!("{name}`");
    docs.match_indices(&closed).any(|(at, _)| docs[..at].ends_with('`') || docs[..at].ends_with('.'))
}

/// Property names and string constants (enum values, kind tags) anywhere in a schema.
fn collect_names(schema: &Value, names: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                names.extend(properties.keys().cloned());
            }
            if let Some(Value::String(constant)) = map.get("const") {
                names.insert(constant.clone());
            }
            map.values().for_each(|value| collect_names(value, names));
        }
        Value::Array(items) => items.iter().for_each(|item| collect_names(item, names)),
        _ => {}
    }
}
