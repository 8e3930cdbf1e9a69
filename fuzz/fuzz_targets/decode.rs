//! Fuzz target `decode`: a beacon body as it comes off the wire → `decode::decompress`
//! → `Pipeline::process`, on a fixed project and request.
//!
//! The encoding is chosen from the first byte, as a body's own magic tells it: `0x1f` is
//! gzip, a byte whose low nibble is 8 (the zlib header's "deflate" method, `x` = 0x78 for
//! the usual window) is deflate, anything else is sent as is. No JSON body starts with such
//! a byte, so every seed is a real body and every crash file can be posted with curl.
//!
//! Whatever the input, the pipeline must not panic, and:
//! - a refusal carries a reason of the `rejected` category and a short, bounded detail;
//! - at most 500 records come out, and every event sent is either stored or counted as
//!   dropped with a reason (`records + dropped == kept + over the cap`);
//! - every string of every record is within its protocol limit (`limits.rs`), every list
//!   within its cap, every number within its range;
//! - no URL kept contains a fragment; ids are printable ASCII and unique in the batch;
//! - times are within the clamp window around the receive time.
#![no_main]

use std::collections::HashSet;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sightline_ingest::decode::{Encoding, decompress, parse_envelope};
use sightline_ingest::enrich::user_agent::HintHeaders;
use sightline_ingest::normalize::route::{MAX_ROUTE_SEGMENTS, MAX_SEGMENT_BYTES};
use sightline_ingest::{OutcomeCategory, Pipeline, ProcessedBatch, Project, ProjectConfig, Rejection, RequestMeta};
use sightline_protocol::limits::{
    MAX_ATTRIBUTES, MAX_BYTES, MAX_CLS, MAX_DURATION_MS, MAX_EVENT_AGE_MS, MAX_EVENTS_PER_BATCH, MAX_FUTURE_SKEW_MS,
    MAX_ID_LEN, MAX_LABEL_LEN, MAX_MESSAGE_LEN, MAX_NAME_LEN, MAX_SCRIPTS, MAX_SERVER_TIMINGS, MAX_STACK_LEN,
    MAX_URL_LEN, MAX_VALUE_LEN,
};
use sightline_protocol::{
    AttributeValue, Attributes, EventBody, EventRecord, PageLocation, ScriptAttribution, VitalAttribution,
};

/// Decompressed bytes allowed: a quarter of the server's default, still far above any input
/// libFuzzer makes, so gzip bombs reach the cap without each run costing 4 MiB.
const MAX_DECOMPRESSED: usize = 1 << 20;
/// The server's receive time for every input (2026-01-01).
const RECEIVED_AT_MS: i64 = 1_767_225_600_000;
/// Longest refusal detail: a fixed sentence plus an excerpt of at most 200 characters.
const MAX_DETAIL_LEN: usize = 1024;
/// Longest route: `MAX_ROUTE_SEGMENTS` segments of at most `MAX_SEGMENT_BYTES`, `/…` after.
/// (`limits.rs` says route *names* stay under `MAX_NAME_LEN`; the route normalizer's own
/// bound is larger, so the larger of the two is checked.)
const MAX_ROUTE_LEN: usize = {
    let derived = MAX_ROUTE_SEGMENTS * (1 + MAX_SEGMENT_BYTES) + 1 + "…".len();
    if derived > MAX_NAME_LEN { derived } else { MAX_NAME_LEN }
};

static PIPELINE: LazyLock<Pipeline> = LazyLock::new(Pipeline::default);

const USER_AGENT: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// The project every input is posted to. Built anew per input so that a crash replays alone
/// (the cardinality guard remembers values); its caps are small so folding is reachable.
fn project() -> Project {
    let config = ProjectConfig {
        id: "fuzz".into(),
        ingest_key: "pk_fuzz_0123456789".into(),
        allowed_hosts: vec!["shop.example.com".into(), "*.example.com".into(), "localhost".into()],
        query_allowlist: vec!["utm_*".into(), "page".into(), "q".into()],
        route_patterns: vec!["/blog/:slug".into(), "/docs/*".into()],
        max_routes: 8,
        max_event_names: 8,
        max_attribute_keys: 16,
        ..ProjectConfig::default()
    };
    Project::new(config).expect("the fuzz project is valid")
}

fn request() -> RequestMeta<'static> {
    RequestMeta {
        received_at_ms: RECEIVED_AT_MS,
        client_ip: Some(std::net::IpAddr::from([203, 0, 113, 7])),
        user_agent: USER_AGENT,
        hint_headers: HintHeaders {
            sec_ch_ua: Some("\"Google Chrome\";v=\"131\", \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\""),
            sec_ch_ua_mobile: Some("?0"),
            sec_ch_ua_platform: Some("\"Windows\""),
            ..HintHeaders::default()
        },
        cdn_geo: None,
        do_not_track: false,
    }
}

fn encoding_of(data: &[u8]) -> Encoding {
    match data.first() {
        Some(0x1f) => Encoding::Gzip,
        Some(byte) if byte & 0x0f == 8 => Encoding::Deflate,
        _ => Encoding::Identity,
    }
}

fuzz_target!(
    // Compiling the user-agent regexes takes seconds in an instrumented build: done before
    // libFuzzer starts timing inputs.
    init: {
        LazyLock::force(&PIPELINE);
    },
    |data: &[u8]| run(data)
);

fn run(data: &[u8]) {
    let mut check = Checker::default();
    match decompress(data, encoding_of(data), MAX_DECOMPRESSED) {
        Err(rejection) => check.rejection(&rejection),
        Ok(body) => {
            check.that(body.len() <= MAX_DECOMPRESSED, || format!("{} bytes decompressed", body.len()));
            match PIPELINE.process(&project(), &request(), &body) {
                Ok(batch) => check.batch(&body, &batch),
                Err(rejection) => check.rejection(&rejection),
            }
        }
    }
    assert!(check.problems.is_empty(), "broken invariants:\n  {}", check.problems.join("\n  "));
}

/// Collects broken invariants instead of stopping at the first, so a crash report lists
/// them all.
#[derive(Default)]
struct Checker {
    problems: Vec<String>,
}

impl Checker {
    fn that(&mut self, holds: bool, problem: impl FnOnce() -> String) {
        if !holds {
            self.problems.push(problem());
        }
    }

    fn rejection(&mut self, rejection: &Rejection) {
        self.that(rejection.reason.category() == OutcomeCategory::Rejected, || format!("refused as {rejection:?}"));
        let len = rejection.detail.len();
        self.that(len > 0 && len <= MAX_DETAIL_LEN, || format!("refusal detail of {len} bytes: {rejection:?}"));
    }

    fn batch(&mut self, body: &[u8], batch: &ProcessedBatch) {
        let records = batch.records.len();
        self.that(records <= MAX_EVENTS_PER_BATCH, || format!("{records} records"));
        let envelope = parse_envelope(body).expect("the pipeline accepted the body, so its envelope parses");
        let sent = envelope.events.kept.len() as u64 + u64::from(envelope.events.over_cap);
        let dropped = batch.outcomes.dropped_events();
        self.that(records as u64 + dropped == sent, || {
            format!("{sent} events sent, {records} stored + {dropped} dropped: {:?}", batch.outcomes)
        });
        // Event ids are unique within their view (docs/protocol.md).
        let mut ids = HashSet::new();
        for record in &batch.records {
            let (view, id) = (record.view_id.as_str(), record.event_id.as_str());
            self.that(ids.insert((view, id)), || format!("event id {id:?} of view {view:?} stored twice"));
            self.record(record);
        }
    }

    fn record(&mut self, record: &EventRecord) {
        let context = &*record.context;
        self.that(context.project == "fuzz", || format!("project {:?}", context.project));
        self.that(context.received_at_ms == RECEIVED_AT_MS, || format!("received_at_ms {}", context.received_at_ms));
        for (field, id) in
            [("event_id", &record.event_id), ("session_id", &context.session_id), ("view_id", &record.view_id)]
        {
            self.within(field, id, MAX_ID_LEN);
            self.that(!id.is_empty() && id.bytes().all(|b| b.is_ascii_graphic()), || format!("{field} {id:?}"));
        }
        let window = RECEIVED_AT_MS - MAX_EVENT_AGE_MS..=RECEIVED_AT_MS + MAX_FUTURE_SKEW_MS;
        let time = record.timestamp_ms;
        self.that(window.contains(&time), || format!("timestamp_ms {time} outside the clamp window"));
        self.page(&record.page);
        self.opt_within("referrer_host", context.referrer_host.as_deref(), MAX_NAME_LEN);
        let client = &context.client;
        for (field, value) in [
            ("client.browser", &client.browser),
            ("client.browser_version", &client.browser_version),
            ("client.os", &client.os),
            ("client.os_version", &client.os_version),
        ] {
            self.within(field, value, MAX_LABEL_LEN);
        }
        self.opt_within("client.device_model", client.device_model.as_deref(), MAX_LABEL_LEN);
        self.within("network.effective_type", &context.network.effective_type, 16);
        self.opt_within("network.connection_type", context.network.connection_type.as_deref(), 16);
        self.range("network.rtt_ms", context.network.rtt_ms, 60_000.0);
        self.range("network.downlink_mbps", context.network.downlink_mbps, 100_000.0);
        self.opt_within("release", context.release.as_deref(), MAX_LABEL_LEN);
        self.opt_within("environment", context.environment.as_deref(), MAX_LABEL_LEN);
        self.opt_within("user_id", context.user_id.as_deref(), MAX_NAME_LEN);
        self.attributes("user_attributes", &context.user_attributes);
        self.attributes("attributes", &context.attributes);
        let rate = context.sample_rate;
        self.that(rate > 0.0 && rate <= 1.0, || format!("sample_rate {rate}"));
        self.range("device_memory_gb", context.device_memory_gb, 1024.0);
        let cores = context.device_cores;
        self.that(cores.is_none_or(|c| (1..=1024).contains(&c)), || format!("device_cores {cores:?}"));
        self.within("agent_name", &context.agent_name, MAX_LABEL_LEN);
        self.within("agent_version", &context.agent_version, MAX_LABEL_LEN);
        self.body(&record.body);
    }

    fn page(&mut self, page: &PageLocation) {
        self.url("page.url", &page.url);
        let absolute = page.url.starts_with("http://") || page.url.starts_with("https://");
        self.that(absolute, || format!("page.url {:?} is not http(s)", excerpt(&page.url)));
        self.within("page.host", &page.host, MAX_NAME_LEN);
        self.within("page.path", &page.path, MAX_URL_LEN);
        self.within("page.route", &page.route, MAX_ROUTE_LEN);
    }

    fn body(&mut self, body: &EventBody) {
        match body {
            EventBody::View(view) => {
                let timing = view.timing.clone().unwrap_or_default();
                for phase in [
                    timing.redirect,
                    timing.dns,
                    timing.connect,
                    timing.tls,
                    timing.request,
                    timing.ttfb,
                    timing.response,
                    timing.dom_interactive,
                    timing.dom_content_loaded,
                    timing.load,
                ] {
                    self.range("view.timing", phase, MAX_DURATION_MS);
                }
                for size in [view.transfer_size, view.encoded_body_size, view.decoded_body_size] {
                    self.range("view size", size, MAX_BYTES);
                }
                let timings = view.server_timing.len();
                self.that(timings <= MAX_SERVER_TIMINGS, || format!("{timings} server timings"));
                for entry in &view.server_timing {
                    self.within("server_timing.name", &entry.name, MAX_NAME_LEN);
                    self.opt_within("server_timing.description", entry.description.as_deref(), MAX_VALUE_LEN);
                    self.range("server_timing.duration", entry.duration, MAX_DURATION_MS);
                }
            }
            EventBody::Vital(vital) => {
                self.range("vital.value", Some(vital.value), vital.name.max_value());
                let expected = Some(vital.name.rate(vital.value));
                self.that(vital.rating == expected, || format!("vital rating {:?} for {vital:?}", vital.rating));
                if let Some(attribution) = &vital.attribution {
                    self.vital_attribution(attribution);
                }
            }
            EventBody::Error(error) => {
                self.opt_within("error.error_type", error.error_type.as_deref(), MAX_LABEL_LEN);
                self.within("error.message", &error.message, MAX_MESSAGE_LEN);
                self.opt_within("error.stack", error.stack.as_deref(), MAX_STACK_LEN);
                self.opt_url("error.source_url", error.source_url.as_deref());
                self.that(error.count >= 1, || "error.count 0".into());
            }
            EventBody::Request(request) => {
                let method = &request.method;
                let plain = !method.is_empty() && method.len() <= 16 && method.bytes().all(|b| b.is_ascii_uppercase());
                self.that(plain, || format!("request.method {method:?}"));
                self.url("request.url", &request.url);
                let status = request.status;
                self.that(status.is_none_or(|s| (100..600).contains(&s)), || format!("request.status {status:?}"));
                self.range("request.duration", Some(request.duration), MAX_DURATION_MS);
                self.range("request.start", request.start, MAX_DURATION_MS);
                self.range("request.request_size", request.request_size, MAX_BYTES);
                self.range("request.response_size", request.response_size, MAX_BYTES);
                self.lower_hex("request.trace_id", request.trace_id.as_deref(), 32);
                self.lower_hex("request.span_id", request.span_id.as_deref(), 16);
            }
            EventBody::Resource(resource) => {
                self.url("resource.url", &resource.url);
                self.opt_within("resource.initiator", resource.initiator.as_deref(), MAX_LABEL_LEN);
                self.range("resource.duration", Some(resource.duration), MAX_DURATION_MS);
                for phase in
                    [resource.start, resource.dns, resource.connect, resource.tls, resource.ttfb, resource.download]
                {
                    self.range("resource timing", phase, MAX_DURATION_MS);
                }
                for size in [resource.transfer_size, resource.encoded_body_size, resource.decoded_body_size] {
                    self.range("resource size", size, MAX_BYTES);
                }
            }
            EventBody::LongAnimationFrame(frame) => {
                self.range("frame.duration", Some(frame.duration), MAX_DURATION_MS);
                self.range("frame.start", frame.start, MAX_DURATION_MS);
                self.range("frame.blocking_duration", frame.blocking_duration, MAX_DURATION_MS);
                self.scripts(&frame.scripts);
            }
            EventBody::Action(action) => {
                self.opt_within("action.target", action.target.as_deref(), MAX_VALUE_LEN);
                self.opt_within("action.selector", action.selector.as_deref(), MAX_VALUE_LEN);
                self.opt_within("action.name", action.name.as_deref(), MAX_NAME_LEN);
                self.that(action.count >= 1, || "action.count 0".into());
            }
            EventBody::Custom(custom) => {
                self.within("custom.name", &custom.name, MAX_NAME_LEN);
                let value = custom.value;
                self.that(value.is_none_or(f64::is_finite), || format!("custom.value {value:?}"));
                self.attributes("custom.attributes", &custom.attributes);
            }
        }
    }

    fn vital_attribution(&mut self, attribution: &VitalAttribution) {
        for (field, selector) in [
            ("attribution.element", &attribution.element),
            ("attribution.interaction_target", &attribution.interaction_target),
            ("attribution.largest_shift_target", &attribution.largest_shift_target),
        ] {
            self.opt_within(field, selector.as_deref(), MAX_VALUE_LEN);
        }
        self.opt_within("attribution.interaction_type", attribution.interaction_type.as_deref(), MAX_LABEL_LEN);
        self.opt_within("attribution.load_state", attribution.load_state.as_deref(), MAX_LABEL_LEN);
        self.opt_url("attribution.resource_url", attribution.resource_url.as_deref());
        for duration in [
            attribution.time_to_first_byte,
            attribution.resource_load_delay,
            attribution.resource_load_duration,
            attribution.element_render_delay,
            attribution.first_byte_to_fcp,
            attribution.interaction_time,
            attribution.input_delay,
            attribution.processing_duration,
            attribution.presentation_delay,
            attribution.largest_shift_time,
            attribution.waiting_duration,
            attribution.cache_duration,
            attribution.dns_duration,
            attribution.connection_duration,
            attribution.request_duration,
        ] {
            self.range("attribution duration", duration, MAX_DURATION_MS);
        }
        self.range("attribution.largest_shift_value", attribution.largest_shift_value, MAX_CLS);
        self.scripts(&attribution.scripts);
    }

    fn scripts(&mut self, scripts: &[ScriptAttribution]) {
        self.that(scripts.len() <= MAX_SCRIPTS, || format!("{} scripts", scripts.len()));
        for script in scripts {
            self.opt_url("script.source_url", script.source_url.as_deref());
            self.opt_within("script.source_function_name", script.source_function_name.as_deref(), MAX_NAME_LEN);
            self.opt_within("script.invoker", script.invoker.as_deref(), MAX_VALUE_LEN);
            self.opt_within("script.invoker_type", script.invoker_type.as_deref(), MAX_LABEL_LEN);
            self.range("script.duration", script.duration, MAX_DURATION_MS);
            self.range(
                "script.forced_style_and_layout_duration",
                script.forced_style_and_layout_duration,
                MAX_DURATION_MS,
            );
        }
    }

    fn attributes(&mut self, field: &str, attributes: &Attributes) {
        let count = attributes.entries.len();
        self.that(count <= MAX_ATTRIBUTES, || format!("{field}: {count} entries"));
        let mut keys = HashSet::new();
        for (key, value) in &attributes.entries {
            self.within(field, key, MAX_NAME_LEN);
            self.that(keys.insert(key.as_str()), || format!("{field}: key {key:?} twice"));
            match value {
                AttributeValue::String(text) => self.within(field, text, MAX_VALUE_LEN),
                AttributeValue::Number(number) => self.that(number.is_finite(), || format!("{field}.{key} = {number}")),
                AttributeValue::Bool(_) => {}
            }
        }
    }

    /// A kept URL: within the URL limit and without a fragment (it is `http(s)://…`, a bare
    /// `scheme:` or empty).
    fn url(&mut self, field: &str, url: &str) {
        self.within(field, url, MAX_URL_LEN);
        self.that(!url.contains('#'), || format!("{field} kept a fragment: {:?}", excerpt(url)));
    }

    fn opt_url(&mut self, field: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.url(field, value);
        }
    }

    fn within(&mut self, field: &str, value: &str, limit: usize) {
        self.that(value.len() <= limit, || {
            format!("{field} is {} bytes, over its limit of {limit}: {:?}…", value.len(), excerpt(value))
        });
    }

    fn opt_within(&mut self, field: &str, value: Option<&str>, limit: usize) {
        if let Some(value) = value {
            self.within(field, value, limit);
        }
    }

    fn range(&mut self, field: &str, value: Option<f64>, max: f64) {
        let holds = value.is_none_or(|v| v.is_finite() && (0.0..=max).contains(&v));
        self.that(holds, || format!("{field} = {value:?} outside [0, {max}]"));
    }

    fn lower_hex(&mut self, field: &str, value: Option<&str>, len: usize) {
        let hex = |v: &str| v.len() == len && v.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        self.that(value.is_none_or(hex), || format!("{field} {value:?}"));
    }
}

fn excerpt(text: &str) -> &str {
    text.char_indices().nth(60).map_or(text, |(end, _)| &text[..end])
}
