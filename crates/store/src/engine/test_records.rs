//! Records for the engine's tests: realistic beacons that share contexts as the intake's do.

use std::sync::Arc;

use sightline_protocol::{
    Attributes, ClientInfo, CustomEvent, DeviceClass, EventBody, EventRecord, GeoInfo, NetworkInfo, PageLocation,
    QualityFlags, RecordContext, SamplingReason, VitalEvent, VitalName,
};

/// 2026-01-01 12:00 UTC.
pub const NOON_MS: i64 = 1_767_268_800_000;

/// The context of one beacon of `project` in `session`.
pub fn context(project: &str, session: &str) -> Arc<RecordContext> {
    Arc::new(RecordContext {
        project: project.into(),
        received_at_ms: NOON_MS,
        session_id: session.into(),
        referrer_host: Some("www.google.com".into()),
        client: ClientInfo {
            browser: "Chrome".into(),
            browser_version: "131".into(),
            os: "Android".into(),
            os_version: "14".into(),
            device_class: DeviceClass::Mobile,
            device_model: Some("Pixel 8".into()),
        },
        geo: GeoInfo { country: Some("DE".into()), region: None, city: None },
        network: NetworkInfo { effective_type: "4g".into(), rtt_ms: Some(50.0), ..NetworkInfo::default() },
        release: Some("2.4.0".into()),
        environment: Some("production".into()),
        user_id: None,
        user_attributes: Attributes::default(),
        attributes: Attributes::default(),
        consent: None,
        sample_rate: 1.0,
        sampling_reason: SamplingReason::Sampled,
        viewport_width: Some(390),
        viewport_height: Some(664),
        device_memory_gb: Some(4.0),
        device_cores: Some(8),
        agent_name: "sightline-browser".into(),
        agent_version: "0.1.0".into(),
    })
}

/// The product page.
pub fn page() -> Arc<PageLocation> {
    Arc::new(PageLocation {
        url: "https://shop.test/products/42".into(),
        host: "shop.test".into(),
        path: "/products/42".into(),
        route: "/products/:id".into(),
    })
}

/// A record of `context` at `timestamp_ms`: an LCP vital for even `n`, a custom event for odd.
pub fn record(
    context: &Arc<RecordContext>,
    page: &Arc<PageLocation>,
    id: &str,
    timestamp_ms: i64,
    n: usize,
) -> EventRecord {
    let body = if n.is_multiple_of(2) {
        EventBody::Vital(VitalEvent { name: VitalName::Lcp, value: 1000.0 + n as f64, rating: None, attribution: None })
    } else {
        EventBody::Custom(CustomEvent {
            name: "add_to_cart".into(),
            value: Some(n as f64),
            attributes: Attributes::default(),
        })
    };
    EventRecord {
        event_id: id.into(),
        timestamp_ms,
        view_id: "view-1".into(),
        page: Arc::clone(page),
        quality: QualityFlags::default(),
        body,
        context: Arc::clone(context),
    }
}

/// `n` records of one beacon of project `shop`.
pub fn records_of_one_beacon(n: usize) -> Vec<EventRecord> {
    let (context, page) = (context("shop", "session-1"), page());
    (0..n).map(|i| record(&context, &page, &format!("e{i}"), NOON_MS + i as i64, i)).collect()
}

/// Three records of one beacon, then two of another session's beacon.
pub fn records_of_two_beacons() -> Vec<EventRecord> {
    let mut records = records_of_one_beacon(3);
    let (context, page) = (context("shop", "session-2"), page());
    records.extend((0..2).map(|i| record(&context, &page, &format!("f{i}"), NOON_MS + 10 + i as i64, i)));
    records
}
