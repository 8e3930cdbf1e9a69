//! Realistic records of every kind (values after crates/protocol/tests/example_beacon.json):
//! `full` ones with every field set, `bare` ones with only what is required.

use std::sync::Arc;

use sightline_protocol::{
    ActionEvent, ActionType, AttributeValue, Attributes, ClientInfo, ConsentState, CustomEvent, DeviceClass,
    ErrorEvent, ErrorSource, EventBody, EventKind, EventRecord, GeoInfo, LongAnimationFrameEvent, NavigationTiming,
    NavigationType, NetworkInfo, PageLocation, QualityFlags, Rating, RecordContext, RequestApi, RequestEvent,
    RequestFailure, ResourceEvent, SamplingReason, ScriptAttribution, ServerTiming, ViewEvent, VitalAttribution,
    VitalEvent, VitalName,
};

pub(super) const TIME_ORIGIN_MS: i64 = 1_767_225_598_120;
pub(super) const RECEIVED_AT_MS: i64 = 1_767_225_632_310;

pub(super) fn attributes(entries: &[(&str, AttributeValue)]) -> Attributes {
    Attributes { entries: entries.iter().map(|(key, value)| ((*key).to_owned(), value.clone())).collect(), dropped: 0 }
}

/// A context with every optional part set.
pub(super) fn full_context() -> Arc<RecordContext> {
    Arc::new(RecordContext {
        project: "shop".into(),
        received_at_ms: RECEIVED_AT_MS,
        session_id: "5f3c1b9e7a2d4e8f9b6c0d1e2f3a4b5c".into(),
        referrer_host: Some("www.google.com".into()),
        client: ClientInfo {
            browser: "Chrome Mobile".into(),
            browser_version: "131".into(),
            os: "Android".into(),
            os_version: "14".into(),
            device_class: DeviceClass::Mobile,
            device_model: Some("Pixel 7".into()),
        },
        geo: GeoInfo { country: Some("DE".into()), region: Some("BE".into()), city: Some("Berlin".into()) },
        network: NetworkInfo {
            effective_type: "4g".into(),
            connection_type: Some("cellular".into()),
            rtt_ms: Some(100.0),
            downlink_mbps: Some(6.8),
            save_data: Some(false),
        },
        release: Some("2.14.0".into()),
        environment: Some("production".into()),
        user_id: Some("u_48213".into()),
        user_attributes: attributes(&[
            ("plan", AttributeValue::String("pro".into())),
            ("seats", AttributeValue::Number(3.0)),
        ]),
        attributes: attributes(&[
            ("experiment", AttributeValue::String("checkout_b".into())),
            ("logged_in", AttributeValue::Bool(true)),
        ]),
        consent: Some(ConsentState::Granted),
        sample_rate: 0.25,
        sampling_reason: SamplingReason::Sampled,
        viewport_width: Some(390),
        viewport_height: Some(664),
        device_memory_gb: Some(4.0),
        device_cores: Some(8),
        agent_name: "sightline-browser".into(),
        agent_version: "0.1.0".into(),
    })
}

/// A context with nothing optional.
pub(super) fn bare_context() -> Arc<RecordContext> {
    Arc::new(RecordContext {
        project: "shop".into(),
        received_at_ms: RECEIVED_AT_MS,
        session_id: "s1".into(),
        referrer_host: None,
        client: ClientInfo::default(),
        geo: GeoInfo::default(),
        network: NetworkInfo { effective_type: "unknown".into(), ..NetworkInfo::default() },
        release: None,
        environment: None,
        user_id: None,
        user_attributes: Attributes::default(),
        attributes: Attributes::default(),
        consent: None,
        sample_rate: 1.0,
        sampling_reason: SamplingReason::KeptForError,
        viewport_width: None,
        viewport_height: None,
        device_memory_gb: None,
        device_cores: None,
        agent_name: "sightline-browser".into(),
        agent_version: "0.1.0".into(),
    })
}

pub(super) fn page() -> Arc<PageLocation> {
    Arc::new(PageLocation {
        url: "https://shop.example.com/products/4711?utm_source=newsletter".into(),
        host: "shop.example.com".into(),
        path: "/products/4711".into(),
        route: "/products/:id".into(),
    })
}

/// A record of `body` in `context`, at `t` ms after the view's start.
pub(super) fn record(body: EventBody, t: i64, context: &Arc<RecordContext>) -> EventRecord {
    EventRecord {
        event_id: format!("01JGZ8K4M0V7A{t}"),
        timestamp_ms: TIME_ORIGIN_MS + t,
        view_id: "8c2d4e6f1a3b4c5d8e9f0a1b2c3d4e5f".into(),
        page: page(),
        quality: QualityFlags(QualityFlags::TRIMMED | QualityFlags::SCRUBBED),
        body,
        context: Arc::clone(context),
    }
}

/// A full record of `kind`: every field set, in a full context.
pub(crate) fn full(kind: EventKind) -> EventRecord {
    record(full_body(kind), 2990, &full_context())
}

/// A bare record of `kind`: only required fields, in a bare context.
pub(super) fn bare(kind: EventKind) -> EventRecord {
    EventRecord { quality: QualityFlags::default(), ..record(bare_body(kind), 0, &bare_context()) }
}

pub(super) fn script() -> ScriptAttribution {
    ScriptAttribution {
        source_url: Some("https://shop.example.com/assets/app.3f9c1e.js".into()),
        source_function_name: Some("renderCart".into()),
        invoker: Some("Response.json.then".into()),
        invoker_type: Some("resolve-promise".into()),
        duration: Some(118.2),
        forced_style_and_layout_duration: Some(21.4),
    }
}

pub(super) fn server_timing() -> Vec<ServerTiming> {
    vec![
        ServerTiming { name: "cdn-cache".into(), duration: None, description: Some("MISS".into()) },
        ServerTiming { name: "db".into(), duration: Some(53.2), description: Some("product query".into()) },
    ]
}

pub(super) fn full_body(kind: EventKind) -> EventBody {
    match kind {
        EventKind::View => EventBody::View(ViewEvent {
            navigation_type: NavigationType::Reload,
            timing: Some(NavigationTiming {
                redirect: Some(0.0),
                dns: Some(12.4),
                connect: Some(41.2),
                tls: Some(27.9),
                request: Some(183.7),
                ttfb: Some(262.5),
                response: Some(38.1),
                dom_interactive: Some(1210.4),
                dom_content_loaded: Some(1296.8),
                load: Some(2140.2),
            }),
            transfer_size: Some(18432.0),
            encoded_body_size: Some(17980.0),
            decoded_body_size: Some(96511.0),
            server_timing: server_timing(),
        }),
        EventKind::Vital => EventBody::Vital(VitalEvent {
            name: VitalName::Inp,
            value: 208.2,
            rating: Some(Rating::NeedsImprovement),
            attribution: Some(VitalAttribution {
                element: Some("main > img.hero".into()),
                resource_url: Some("https://cdn.example.com/img/4711-hero.avif".into()),
                time_to_first_byte: Some(262.5),
                resource_load_delay: Some(310.2),
                resource_load_duration: Some(1406.8),
                element_render_delay: Some(433.1),
                first_byte_to_fcp: Some(512.0),
                interaction_target: Some("#add-to-cart".into()),
                interaction_type: Some("pointer".into()),
                interaction_time: Some(3390.0),
                input_delay: Some(134.5),
                processing_duration: Some(42.1),
                presentation_delay: Some(31.6),
                load_state: Some("complete".into()),
                scripts: vec![script()],
                largest_shift_target: Some("section.reviews".into()),
                largest_shift_value: Some(0.112),
                largest_shift_time: Some(2210.5),
                waiting_duration: Some(1.5),
                cache_duration: Some(2.5),
                dns_duration: Some(12.4),
                connection_duration: Some(41.2),
                request_duration: Some(183.7),
            }),
        }),
        EventKind::Error => EventBody::Error(ErrorEvent {
            error_type: Some("TypeError".into()),
            message: "Cannot read properties of undefined (reading 'price')".into(),
            stack: Some("TypeError: Cannot read properties of undefined\n    at renderCart (app.js:1:48213)".into()),
            source: ErrorSource::Promise,
            handled: true,
            source_url: Some("https://shop.example.com/assets/app.3f9c1e.js".into()),
            line: Some(1),
            column: Some(48_213),
            count: 3,
        }),
        EventKind::Request => EventBody::Request(RequestEvent {
            api: RequestApi::Xhr,
            method: "POST".into(),
            url: "https://shop.example.com/api/cart?sku=4711".into(),
            status: Some(503),
            start: Some(3002.1),
            duration: 378.3,
            request_size: Some(64.0),
            response_size: Some(1873.0),
            failure: Some(RequestFailure::Timeout),
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            span_id: Some("00f067aa0ba902b7".into()),
        }),
        EventKind::Resource => EventBody::Resource(ResourceEvent {
            url: "https://cdn.example.com/img/4711-hero.avif".into(),
            initiator: Some("img".into()),
            start: Some(572.7),
            duration: 1406.8,
            dns: Some(18.3),
            connect: Some(36.4),
            tls: Some(22.1),
            ttfb: Some(212.5),
            download: Some(1139.6),
            transfer_size: Some(148_220.0),
            encoded_body_size: Some(147_900.0),
            decoded_body_size: Some(147_950.0),
            render_blocking: true,
            third_party: true,
        }),
        EventKind::LongAnimationFrame => EventBody::LongAnimationFrame(LongAnimationFrameEvent {
            start: Some(3380.9),
            duration: 143.6,
            blocking_duration: Some(93.6),
            long_task_fallback: true,
            scripts: vec![script(), ScriptAttribution { duration: Some(12.0), ..ScriptAttribution::default() }],
        }),
        EventKind::Action => EventBody::Action(ActionEvent {
            action_type: ActionType::Tap,
            target: Some("Add to cart".into()),
            selector: Some("#add-to-cart".into()),
            name: Some("add".into()),
            rage: true,
            dead: true,
            error: true,
            count: 4,
        }),
        EventKind::Custom => EventBody::Custom(CustomEvent {
            name: "add_to_cart".into(),
            value: Some(49.9),
            attributes: attributes(&[
                ("sku", AttributeValue::String("4711".into())),
                ("quantity", AttributeValue::Number(1.0)),
                ("gift", AttributeValue::Bool(false)),
            ]),
        }),
    }
}

pub(super) fn bare_body(kind: EventKind) -> EventBody {
    match kind {
        EventKind::View => EventBody::View(ViewEvent::default()),
        EventKind::Vital => {
            EventBody::Vital(VitalEvent { name: VitalName::Cls, value: 0.05, rating: None, attribution: None })
        }
        EventKind::Error => EventBody::Error(ErrorEvent { message: "boom".into(), count: 1, ..ErrorEvent::default() }),
        EventKind::Request => EventBody::Request(RequestEvent {
            method: "GET".into(),
            url: "https://shop.example.com/api/cart".into(),
            duration: 12.0,
            ..RequestEvent::default()
        }),
        EventKind::Resource => EventBody::Resource(ResourceEvent {
            url: "https://shop.example.com/app.js".into(),
            duration: 80.0,
            ..ResourceEvent::default()
        }),
        EventKind::LongAnimationFrame => {
            EventBody::LongAnimationFrame(LongAnimationFrameEvent { duration: 60.0, ..Default::default() })
        }
        EventKind::Action => EventBody::Action(ActionEvent { count: 1, ..ActionEvent::default() }),
        EventKind::Custom => EventBody::Custom(CustomEvent { name: "signup".into(), ..CustomEvent::default() }),
    }
}
