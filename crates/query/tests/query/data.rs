//! A small seeded population of events, written through a real `EmbeddedStore`.
//!
//! Built to exercise what the query semantics hinge on: four sample rates (weights 1, 2,
//! 4, 8: sums stay exact), sessions kept for an error or a poor vital (to be excluded),
//! INP and CLS resent in later beacons (the last by timestamp, then by received time,
//! wins), ties in values, values exactly on the rating thresholds, attributes, a second
//! project that must stay invisible, and three days of traffic for ranges and buckets.

use std::sync::Arc;

use sightline_protocol::{
    ActionEvent, AttributeValue, Attributes, ClientInfo, CustomEvent, DeviceClass, ErrorEvent, EventBody, EventRecord,
    GeoInfo, LongAnimationFrameEvent, NavigationTiming, NavigationType, NetworkInfo, PageLocation, QualityFlags,
    RecordContext, RequestEvent, RequestFailure, SamplingReason, ViewEvent, VitalEvent, VitalName,
};
use sightline_store::{EmbeddedStore, EmbeddedStoreOptions, Store as _};

/// 2026-01-01 00:00 UTC.
pub const BASE_MS: i64 = 1_767_225_600_000;
pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 86_400_000;

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A value in [low, high), rounded to `step`.
    fn value(&mut self, low: f64, high: f64, step: f64) -> f64 {
        let raw = low + (high - low) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64);
        ((raw / step).round() * step * 10_000.0).round() / 10_000.0
    }
}

const ROUTES: [(&str, &str); 6] = [
    ("/", "/"),
    ("/products/42", "/products/:id"),
    ("/products", "/products"),
    ("/cart", "/cart"),
    ("/checkout", "/checkout"),
    ("/it's-new", "/it's-new"),
];

fn page(host: &str, (path, route): (&str, &str)) -> Arc<PageLocation> {
    Arc::new(PageLocation {
        url: format!("https://{host}{path}"),
        host: host.into(),
        path: path.into(),
        route: route.into(),
    })
}

/// Errors: two messages and two stack formats of one bug (Chrome and Firefox, two builds),
/// another bug, a message with ids, and a bare message.
const ERRORS: [(Option<&str>, &str, Option<&str>); 6] = [
    (
        Some("TypeError"),
        "Cannot read properties of undefined (reading 'id')",
        Some(
            "TypeError: x\n    at renderCart (https://shop.test/js/main.HASH.js:2:14512)\n    at https://shop.test/js/main.HASH.js:9:3",
        ),
    ),
    (
        Some("TypeError"),
        "Cannot read properties of undefined (reading 'sku')",
        Some("renderCart@https://shop.test/js/main.HASH.js:2:100\n@https://shop.test/js/main.HASH.js:9:7"),
    ),
    (Some("TypeError"), "x.map is not a function", Some("    at list (https://shop.test/js/list.js:1:1)")),
    (Some("Error"), "Request 4411 failed", None),
    (Some("Error"), "Request 97 failed", None),
    (None, "boom", None),
];

struct SessionPlan {
    project: &'static str,
    id: String,
    start_ms: i64,
    context: RecordContext,
}

fn session(rng: &mut Rng, project: &'static str, n: usize) -> SessionPlan {
    let sample_rate = *rng.pick(&[1.0, 0.5, 0.25, 0.125]);
    let reason = match rng.below(20) {
        0 | 1 => SamplingReason::KeptForError,
        2 => SamplingReason::KeptForPoorVital,
        3 => SamplingReason::Other,
        _ => SamplingReason::Sampled,
    };
    let (browser, os, class) = *rng.pick(&[
        ("Chrome", "Android", DeviceClass::Mobile),
        ("Chrome", "Windows", DeviceClass::Desktop),
        ("Mobile Safari", "iOS", DeviceClass::Mobile),
        ("Firefox", "Linux", DeviceClass::Desktop),
        ("Samsung Internet", "Android", DeviceClass::Tablet),
    ]);
    let country = *rng.pick(&[Some("US"), Some("DE"), Some("NG"), Some("IN"), Some("BR"), None]);
    let mut user_attributes = Attributes::default();
    if rng.chance(0.7) {
        user_attributes
            .entries
            .push(("plan".into(), AttributeValue::String(rng.pick(&["free", "pro", "team"]).to_string())));
        user_attributes.entries.push(("seats".into(), AttributeValue::Number(*rng.pick(&[1.0, 3.0, 12.5]))));
    }
    let mut attributes = Attributes::default();
    if rng.chance(0.5) {
        attributes.entries.push(("beta".into(), AttributeValue::Bool(rng.chance(0.5))));
    }
    let start_ms = BASE_MS + rng.below(3 * DAY_MS as u64 - 2 * HOUR_MS as u64) as i64;
    let id = format!("s{n:04}");
    let context = RecordContext {
        project: project.into(),
        received_at_ms: start_ms,
        session_id: id.clone(),
        referrer_host: rng.chance(0.4).then(|| "www.google.com".into()),
        client: ClientInfo {
            browser: browser.into(),
            browser_version: rng.pick(&["120", "131"]).to_string(),
            os: os.into(),
            os_version: "14".into(),
            device_class: class,
            device_model: None,
        },
        geo: GeoInfo {
            country: country.map(Into::into),
            region: country.filter(|c| *c == "US").map(|_| "CA".into()),
            city: None,
        },
        network: NetworkInfo {
            effective_type: rng.pick(&["4g", "4g", "3g", "2g"]).to_string(),
            connection_type: rng.chance(0.5).then(|| "wifi".into()),
            ..NetworkInfo::default()
        },
        release: Some(rng.pick(&["2.3.2", "2.4.0", "2.4.1"]).to_string()),
        environment: Some(rng.pick(&["production", "production", "staging"]).to_string()),
        // From the session's number, not the generator: a third of the sessions have no user.
        user_id: (!n.is_multiple_of(3)).then(|| format!("u{}", n % 97)),
        user_attributes,
        attributes,
        consent: None,
        sample_rate,
        sampling_reason: reason,
        viewport_width: None,
        viewport_height: None,
        device_memory_gb: None,
        device_cores: None,
        agent_name: "sightline-browser".into(),
        agent_version: "0.4.2".into(),
    };
    SessionPlan { project, id, start_ms, context }
}

/// Builds the records of one view: its beacons share a context with their received time.
struct ViewWriter<'a> {
    plan: &'a SessionPlan,
    view_id: String,
    page: Arc<PageLocation>,
    next_id: u32,
    records: &'a mut Vec<EventRecord>,
}

impl ViewWriter<'_> {
    fn push(&mut self, timestamp_ms: i64, received_at_ms: i64, body: EventBody) {
        self.push_with(timestamp_ms, received_at_ms, body, |_| {});
    }

    /// Pushes an event whose beacon's context differs (the network changed, say).
    fn push_with(
        &mut self,
        timestamp_ms: i64,
        received_at_ms: i64,
        body: EventBody,
        change: impl Fn(&mut RecordContext),
    ) {
        let mut context = RecordContext { received_at_ms, ..self.plan.context.clone() };
        change(&mut context);
        let context = Arc::new(context);
        self.records.push(EventRecord {
            event_id: self.next_id.to_string(),
            timestamp_ms,
            view_id: self.view_id.clone(),
            page: Arc::clone(&self.page),
            quality: QualityFlags::default(),
            body,
            context,
        });
        self.next_id += 1;
    }
}

fn vital(name: VitalName, value: f64) -> EventBody {
    EventBody::Vital(VitalEvent { name, value, rating: None, attribution: None })
}

fn view_events(rng: &mut Rng, plan: &SessionPlan, number: usize, records: &mut Vec<EventRecord>) {
    let t0 = plan.start_ms + number as i64 * 45_000 + rng.below(20_000) as i64;
    let page_load = number == 0 || rng.chance(0.15);
    let mut view = ViewWriter {
        plan,
        view_id: format!("{}.{number}", plan.id),
        page: page("shop.test", *rng.pick(&ROUTES)),
        next_id: 0,
        records,
    };
    let navigation_type = if page_load {
        *rng.pick(&[NavigationType::Navigate, NavigationType::Navigate, NavigationType::Reload])
    } else {
        NavigationType::RouteChange
    };
    let timing = page_load.then(|| {
        let interactive = rng.value(300.0, 4000.0, 1.0);
        NavigationTiming {
            redirect: rng.chance(0.5).then(|| rng.value(0.0, 300.0, 0.1)),
            dns: Some(rng.value(0.0, 80.0, 0.1)),
            connect: Some(rng.value(0.0, 120.0, 0.1)),
            tls: rng.chance(0.8).then(|| rng.value(0.0, 90.0, 0.1)),
            request: Some(rng.value(50.0, 900.0, 0.1)),
            response: Some(rng.value(1.0, 60.0, 0.1)),
            dom_interactive: Some(interactive),
            dom_content_loaded: Some(interactive + rng.value(0.0, 500.0, 1.0)),
            load: Some(rng.value(800.0, 9000.0, 10.0)),
            ..NavigationTiming::default()
        }
    });
    let received = t0 + 30_000;
    view.push(t0, received, EventBody::View(ViewEvent { navigation_type, timing, ..ViewEvent::default() }));

    if page_load {
        let ttfb = rng.value(80.0, 2200.0, 10.0);
        view.push(t0 + 100, received, vital(VitalName::Ttfb, ttfb));
        view.push(t0 + 200, received, vital(VitalName::Fcp, rng.value(ttfb, 3500.0, 10.0)));
        let lcp = if rng.chance(0.08) { *rng.pick(&[2500.0, 4000.0]) } else { rng.value(700.0, 6500.0, 10.0) };
        view.push(t0 + 300, received, vital(VitalName::Lcp, lcp));
    }
    // CLS and INP grow and are resent in later beacons; the last report is the final value.
    let mut cls = rng.value(0.0, 0.15, 0.005);
    for report in 0..rng.below(3) {
        let at = t0 + 5_000 * (report as i64 + 1);
        view.push(at, at + 1_000, vital(VitalName::Cls, cls));
        cls += rng.value(0.0, 0.2, 0.005);
    }
    let drawn = rng.value(40.0, 700.0, 8.0);
    let mut inp = *rng.pick(&[drawn, drawn, 200.0, 500.0]);
    let reports = rng.below(4);
    for report in 0..reports {
        let at = t0 + 7_000 * (report as i64 + 1);
        // The last two reports of three share a timestamp: received time decides.
        let at = if report == 2 { at - 7_000 } else { at };
        // The network may change between reports: a filter on it must see the final one's.
        let network = (report > 0 && rng.chance(0.4)).then(|| rng.pick(&["4g", "3g", "2g"]).to_string());
        view.push_with(at, at + 2_000 + report as i64, vital(VitalName::Inp, inp), |context| {
            if let Some(network) = &network {
                context.network.effective_type.clone_from(network);
            }
        });
        inp = (inp + rng.value(-50.0, 300.0, 8.0)).max(8.0);
    }

    for e in 0..rng.below(3).saturating_sub(1) {
        let count = if rng.chance(0.3) { 3 } else { 1 };
        // Chosen from the time, not the generator, so that the rest of the population stays.
        let (error_type, message, stack) = ERRORS[(t0 as usize / 7 + e as usize) % ERRORS.len()];
        view.push(
            t0 + 3_000,
            received,
            EventBody::Error(ErrorEvent {
                error_type: error_type.map(Into::into),
                message: message.into(),
                stack: stack.map(|stack| stack.replace("HASH", if t0 % 2 == 0 { "3f9a1c2e" } else { "81be02a4" })),
                count,
                ..ErrorEvent::default()
            }),
        );
    }
    for r in 0..rng.below(4) {
        let (status, failure) = *rng.pick(&[
            (Some(200), None),
            (Some(200), None),
            (Some(201), None),
            (Some(404), None),
            (Some(503), None),
            (None, Some(RequestFailure::Network)),
            (Some(0), None),
        ]);
        let duration = rng.value(20.0, 3000.0, 1.0);
        view.push(
            t0 + 400 + r as i64,
            received,
            EventBody::Request(RequestEvent {
                method: "GET".into(),
                url: "https://api.shop.test/cart".into(),
                status,
                failure,
                duration,
                ..RequestEvent::default()
            }),
        );
    }
    for _ in 0..rng.below(4) {
        let rage = rng.chance(0.15);
        let dead = rng.chance(0.2);
        view.push(
            t0 + 8_000,
            received,
            EventBody::Action(ActionEvent { rage, dead, count: 1, ..ActionEvent::default() }),
        );
    }
    if rng.chance(0.4) {
        let duration = rng.value(50.0, 900.0, 1.0);
        view.push(
            t0 + 600,
            received,
            EventBody::LongAnimationFrame(LongAnimationFrameEvent { duration, ..LongAnimationFrameEvent::default() }),
        );
    }
    if rng.chance(0.5) {
        let name = rng.pick(&["purchase", "add_to_cart"]).to_string();
        let value = rng.chance(0.8).then(|| rng.value(1.0, 4000.0, 0.5));
        view.push(
            t0 + 9_000,
            received,
            EventBody::Custom(CustomEvent { name, value, attributes: Attributes::default() }),
        );
    }
}

/// The records of `sessions` sessions of project `shop` and a few of project `other`.
pub fn records(seed: u64, sessions: usize) -> Vec<EventRecord> {
    let mut rng = Rng(seed);
    let mut records = Vec::new();
    for n in 0..sessions + sessions / 10 {
        let project = if n < sessions { "shop" } else { "other" };
        let plan = session(&mut rng, project, n);
        for number in 0..1 + rng.below(4) as usize {
            view_events(&mut rng, &plan, number, &mut records);
        }
        debug_assert_eq!(plan.project, project);
    }
    records
}

/// A store in `dir` holding `records`: the first half flushed to Parquet, the rest
/// buffered, so that queries read both.
pub async fn store(dir: &std::path::Path, records: &[EventRecord]) -> Arc<EmbeddedStore> {
    let (store, _) = EmbeddedStore::open(dir, &EmbeddedStoreOptions::default()).expect("the store opens");
    let store = Arc::new(store);
    let half = records.len() / 2;
    for (i, chunk) in records.chunks(2_000).enumerate() {
        store.append(chunk.to_vec()).await.expect("appends");
        if (i + 1) * 2_000 >= half && i * 2_000 < half {
            store.flush().await.expect("flushes");
        }
    }
    store
}
