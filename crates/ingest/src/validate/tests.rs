use sightline_protocol::{
    AttributeValue, Attributes, ErrorEvent, EventBody, LongAnimationFrameEvent, RequestEvent, ScriptAttribution,
    VitalEvent, VitalName,
};

use super::*;

fn with_cleaner<T>(check: impl FnOnce(&mut Cleaner<'_>) -> T) -> (T, Outcomes, QualityFlags) {
    let scrubber = Scrubber::new();
    let allowlist = QueryAllowlist { entries: vec!["utm_*".into()] };
    let guard = CardinalityGuard::new(100, 2, 3);
    let mut outcomes = Outcomes::default();
    let mut cleaner = Cleaner {
        scrubber: &scrubber,
        allowlist: &allowlist,
        guard: &guard,
        base_url: "https://shop.test/cart",
        flags: QualityFlags::default(),
        outcomes: &mut outcomes,
    };
    let result = check(&mut cleaner);
    let flags = cleaner.flags;
    (result, outcomes, flags)
}

#[test]
fn trimming_respects_character_boundaries() {
    let mut text = "ééé".to_owned();
    assert!(trim_to(&mut text, 3));
    assert_eq!(text, "é");
    let mut short = "abc".to_owned();
    assert!(!trim_to(&mut short, 3));
}

#[test]
fn long_strings_are_trimmed_marked_and_counted() {
    let mut error = ErrorEvent { message: "x".repeat(10 << 20), ..ErrorEvent::default() };
    let (result, outcomes, flags) =
        with_cleaner(|c| c.body(&mut EventBody::Error(std::mem::take(&mut error))).map(|_| ()));
    assert!(result.is_ok());
    assert!(flags.has(QualityFlags::TRIMMED));
    assert_eq!(outcomes.get(Reason::FieldTrimmed), 1);
}

#[test]
fn vitals_out_of_range_are_dropped_and_ratings_recomputed() {
    for value in [-5.0, 1e12, f64::NAN, f64::INFINITY] {
        let mut body = EventBody::Vital(VitalEvent { name: VitalName::Lcp, value, rating: None, attribution: None });
        let (result, _, _) = with_cleaner(|c| c.body(&mut body));
        assert_eq!(result, Err(Reason::VitalOutOfRange), "LCP {value}");
    }
    let mut cls = EventBody::Vital(VitalEvent { name: VitalName::Cls, value: 1e9, rating: None, attribution: None });
    assert_eq!(with_cleaner(|c| c.body(&mut cls)).0, Err(Reason::VitalOutOfRange));
    let mut body = EventBody::Vital(VitalEvent {
        name: VitalName::Inp,
        value: 350.0,
        rating: Some(sightline_protocol::Rating::Good),
        attribution: None,
    });
    assert!(with_cleaner(|c| c.body(&mut body)).0.is_ok());
    let EventBody::Vital(vital) = body else { unreachable!("still a vital") };
    assert_eq!(vital.rating, Some(sightline_protocol::Rating::NeedsImprovement), "the server's rating wins");
}

#[test]
fn requests_get_sane_methods_statuses_and_trace_ids() {
    let mut body = EventBody::Request(RequestEvent {
        method: "<script>".into(),
        url: "https://api.shop.test/orders?token=secret&utm_source=x#frag".into(),
        status: Some(999),
        duration: 120.0,
        trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
        span_id: Some("NOT-HEX".into()),
        request_size: Some(-1.0),
        ..RequestEvent::default()
    });
    let (result, outcomes, flags) = with_cleaner(|c| c.body(&mut body));
    assert!(result.is_ok());
    let EventBody::Request(request) = body else { unreachable!("still a request") };
    assert_eq!(request.method, "OTHER");
    assert_eq!(request.status, None);
    assert_eq!(request.trace_id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(request.span_id, None);
    assert_eq!(request.request_size, None);
    assert!(!request.url.contains("token") && !request.url.contains('#'), "{}", request.url);
    assert!(flags.has(QualityFlags::VALUE_REMOVED));
    assert_eq!(outcomes.get(Reason::NumberRemoved), 1);
}

#[test]
fn required_durations_out_of_range_drop_the_event() {
    let mut body = EventBody::Request(RequestEvent { method: "GET".into(), duration: -1.0, ..RequestEvent::default() });
    assert_eq!(with_cleaner(|c| c.body(&mut body)).0, Err(Reason::ValueOutOfRange));
}

#[test]
fn script_lists_are_capped_and_counted() {
    let scripts = vec![ScriptAttribution::default(); 25];
    let mut body =
        EventBody::LongAnimationFrame(LongAnimationFrameEvent { duration: 80.0, scripts, ..Default::default() });
    let (_, outcomes, _) = with_cleaner(|c| c.body(&mut body));
    let EventBody::LongAnimationFrame(frame) = body else { unreachable!("still a frame") };
    assert_eq!(frame.scripts.len(), MAX_SCRIPTS);
    assert_eq!(outcomes.get(Reason::ListTrimmed), 1, "one list shortened");
}

#[test]
fn scripts_are_stored_longest_first() {
    let script = |name: &str, duration: Option<f64>| ScriptAttribution {
        source_function_name: Some(name.into()),
        duration,
        ..ScriptAttribution::default()
    };
    let scripts =
        vec![script("app", Some(20.8)), script("none", None), script("widget", Some(61.9)), script("tie", Some(20.8))];
    let mut body =
        EventBody::LongAnimationFrame(LongAnimationFrameEvent { duration: 90.0, scripts, ..Default::default() });
    let _ = with_cleaner(|c| c.body(&mut body));
    let EventBody::LongAnimationFrame(frame) = body else { unreachable!("still a frame") };
    let names: Vec<_> = frame.scripts.iter().map(|s| s.source_function_name.as_deref().unwrap_or("")).collect();
    assert_eq!(names, ["widget", "app", "tie", "none"]);
}

#[test]
fn attributes_are_deduplicated_redacted_and_capped_by_key_cardinality() {
    let mut attributes = Attributes {
        entries: vec![
            ("plan".into(), AttributeValue::String("pro".into())),
            ("plan".into(), AttributeValue::String("free".into())),
            ("api_token".into(), AttributeValue::String("abc123".into())),
            ("seats".into(), AttributeValue::Number(3.0)),
            ("fourth_key".into(), AttributeValue::Bool(true)),
        ],
        dropped: 2,
    };
    let (_, outcomes, flags) = with_cleaner(|c| c.attributes(&mut attributes));
    let keys: Vec<_> = attributes.entries.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["plan", "api_token", "seats"], "guard allows 3 distinct keys");
    assert_eq!(attributes.get("plan"), Some(&AttributeValue::String("pro".into())));
    assert_eq!(attributes.get("api_token"), Some(&AttributeValue::String("[redacted]".into())));
    assert_eq!(outcomes.get(Reason::AttributeKeyCardinality), 1);
    assert_eq!(outcomes.get(Reason::AttributeDropped), 3, "2 from parsing + 1 duplicate key");
    assert!(flags.has(QualityFlags::ATTRIBUTES_DROPPED) && flags.has(QualityFlags::SCRUBBED));
}

#[test]
fn non_http_urls_keep_only_their_scheme() {
    assert_eq!(scheme_only("data:text/html,<script>alert(1)</script>"), "data:");
    assert_eq!(scheme_only("javascript:alert(1)"), "javascript:");
    assert_eq!(scheme_only("not a url at all"), "");
    assert_eq!(scheme_only("::::"), "");
}

#[test]
fn hex_ids_must_be_lower_case_of_the_right_length_and_not_all_zero() {
    assert!(is_lower_hex("00f067aa0ba902b7", 16));
    assert!(!is_lower_hex("00F067AA0BA902B7", 16));
    assert!(!is_lower_hex("0000000000000000", 16));
    assert!(!is_lower_hex("00f067aa0ba902b", 16));
}

#[test]
fn secrets_and_pii_in_attributes_never_reach_storage() {
    let mut attributes = Attributes {
        entries: vec![
            ("password".into(), AttributeValue::Number(123_456.0)),
            ("session_id".into(), AttributeValue::String("abc".into())),
            ("jane.doe@example.com".into(), AttributeValue::String("x".into())),
            ("order_total".into(), AttributeValue::Number(4_111_111_111_111_111.0)),
        ],
        dropped: 0,
    };
    let scrubber = Scrubber::new();
    let allowlist = QueryAllowlist::default();
    let guard = CardinalityGuard::new(100, 100, 100);
    let mut outcomes = Outcomes::default();
    let mut cleaner = Cleaner {
        scrubber: &scrubber,
        allowlist: &allowlist,
        guard: &guard,
        base_url: "https://shop.test/",
        flags: QualityFlags::default(),
        outcomes: &mut outcomes,
    };
    cleaner.attributes(&mut attributes);
    let redacted = AttributeValue::String("[redacted]".into());
    assert_eq!(attributes.get("password"), Some(&redacted), "numbers under secret keys too");
    assert_eq!(attributes.get("session_id"), Some(&redacted));
    assert!(attributes.get("jane.doe@example.com").is_none(), "an email as a key drops the attribute");
    assert_eq!(attributes.get("order_total"), Some(&AttributeValue::String("[card]".into())));
    assert_eq!(outcomes.get(Reason::PiiScrubbed), 4);
}

/// Cleans the event `raw` and returns its body as JSON.
fn cleaned(raw: &serde_json::Value) -> serde_json::Value {
    let mut event = sightline_protocol::parse_event(&raw.to_string()).expect("a valid event");
    let (result, _, _) = with_cleaner(|c| c.body(&mut event.body));
    assert_eq!(result, Ok(()), "{raw}");
    serde_json::to_value(&event.body).expect("serializable")
}

/// Asserts the numbers at `pointers` of `value`.
fn assert_numbers(value: &serde_json::Value, expected: &[(&str, f64)]) {
    for (pointer, number) in expected {
        assert_eq!(value.pointer(pointer).and_then(serde_json::Value::as_f64), Some(*number), "{pointer} in {value}");
    }
}

#[test]
fn milliseconds_are_rounded_to_a_tenth_and_cls_to_four_places() {
    use serde_json::json;
    // Float noise as browsers report it, and halves (rounded away from zero).
    let view = cleaned(&json!({"id": "0", "kind": "view",
        "timing": {"redirect": 0.0, "dns": 12.449_999, "ttfb": 262.500_000_3, "load": 2140.25,
                   "dom_interactive": 1210.4 + 6e-9},
        "transfer_size": 18432.7,
        "server_timing": [{"name": "db", "duration": 53.200_000_1}]}));
    assert_numbers(
        &view,
        &[
            ("/timing/redirect", 0.0),
            ("/timing/dns", 12.4),
            ("/timing/ttfb", 262.5),
            ("/timing/load", 2140.3),
            ("/timing/dom_interactive", 1210.4),
            ("/server_timing/0/duration", 53.2),
            ("/transfer_size", 18432.7),
        ],
    );

    for (name, value, rounded) in
        [("lcp", 1424.4 + 6e-9, 1424.4), ("fcp", 980.04, 980.0), ("ttfb", 0.06, 0.1), ("inp", 208.249, 208.2)]
    {
        let vital = cleaned(&json!({"id": "0", "kind": "vital", "name": name, "value": value}));
        assert_numbers(&vital, &[("/value", rounded)]);
    }
    let lcp = cleaned(&json!({"id": "0", "kind": "vital", "name": "lcp", "value": 2500.04,
        "attribution": {"time_to_first_byte": 262.51, "resource_load_delay": 310.150_001,
                        "element_render_delay": 433.099_999}}));
    assert_numbers(
        &lcp,
        &[
            ("/value", 2500.0),
            ("/attribution/time_to_first_byte", 262.5),
            ("/attribution/resource_load_delay", 310.2),
            ("/attribution/element_render_delay", 433.1),
        ],
    );
    assert_eq!(lcp["rating"], "good", "rated by the stored value");
    let inp = cleaned(&json!({"id": "0", "kind": "vital", "name": "inp", "value": 208.2,
        "attribution": {"interaction_time": 3390.06, "input_delay": 134.549, "processing_duration": 42.11,
                        "presentation_delay": 31.6,
                        "scripts": [{"duration": 118.249_999_9, "forced_style_and_layout_duration": 21.36}]}}));
    assert_numbers(
        &inp,
        &[
            ("/attribution/interaction_time", 3390.1),
            ("/attribution/input_delay", 134.5),
            ("/attribution/processing_duration", 42.1),
            ("/attribution/presentation_delay", 31.6),
            ("/attribution/scripts/0/duration", 118.2),
            ("/attribution/scripts/0/forced_style_and_layout_duration", 21.4),
        ],
    );
    let ttfb = cleaned(&json!({"id": "0", "kind": "vital", "name": "ttfb", "value": 262.5,
        "attribution": {"waiting_duration": 1.049, "cache_duration": 0.000_1, "dns_duration": 12.35,
                        "connection_duration": 41.2, "request_duration": 183.749}}));
    assert_numbers(
        &ttfb,
        &[
            ("/attribution/waiting_duration", 1.0),
            ("/attribution/cache_duration", 0.0),
            ("/attribution/connection_duration", 41.2),
            ("/attribution/request_duration", 183.7),
        ],
    );

    let cls = cleaned(&json!({"id": "0", "kind": "vital", "name": "cls", "value": 0.100_04,
        "attribution": {"largest_shift_value": 0.112_149_9, "largest_shift_time": 2210.549}}));
    assert_numbers(
        &cls,
        &[("/value", 0.1), ("/attribution/largest_shift_value", 0.1121), ("/attribution/largest_shift_time", 2210.5)],
    );
    assert_eq!(cls["rating"], "good", "0.10004 is stored, and rated, as 0.1");

    let request = cleaned(&json!({"id": "0", "kind": "request", "method": "GET", "url": "/api",
        "duration": 378.333_333, "start": 3002.1499, "response_size": 1873.5}));
    assert_numbers(&request, &[("/duration", 378.3), ("/start", 3002.1), ("/response_size", 1873.5)]);

    let resource = cleaned(&json!({"id": "0", "kind": "resource", "url": "/a.js",
        "duration": 1406.8 + 1.2e-8, "start": 572.71, "dns": 18.26, "connect": 36.44, "tls": 22.05,
        "ttfb": 212.5, "download": 1139.649, "transfer_size": 148_220.0}));
    assert_numbers(
        &resource,
        &[
            ("/duration", 1406.8),
            ("/start", 572.7),
            ("/dns", 18.3),
            ("/connect", 36.4),
            ("/tls", 22.1),
            ("/download", 1139.6),
            ("/transfer_size", 148_220.0),
        ],
    );

    let frame = cleaned(&json!({"id": "0", "kind": "long_animation_frame", "duration": 143.649,
        "start": 3380.87, "blocking_duration": 93.65,
        "scripts": [{"duration": 118.21, "forced_style_and_layout_duration": 0.04}]}));
    assert_numbers(
        &frame,
        &[
            ("/duration", 143.6),
            ("/start", 3380.9),
            ("/blocking_duration", 93.7),
            ("/scripts/0/duration", 118.2),
            ("/scripts/0/forced_style_and_layout_duration", 0.0),
        ],
    );

    let custom = cleaned(&json!({"id": "0", "kind": "custom", "name": "add_to_cart", "value": 49.95}));
    assert_numbers(&custom, &[("/value", 49.95)]);
}

#[test]
fn rounding_never_leaves_the_range() {
    let mut body = EventBody::Request(RequestEvent {
        method: "GET".into(),
        duration: MAX_DURATION_MS,
        start: Some(MAX_TIMELINE_MS - 0.01),
        ..RequestEvent::default()
    });
    let (result, outcomes, _) = with_cleaner(|c| c.body(&mut body));
    assert!(result.is_ok() && outcomes.is_empty());
    let EventBody::Request(request) = body else { unreachable!("still a request") };
    assert_eq!((request.duration, request.start), (MAX_DURATION_MS, Some(MAX_TIMELINE_MS)));
}
