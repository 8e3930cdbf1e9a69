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
