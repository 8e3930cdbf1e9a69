//! Realistic beacons (protocol v1, see docs/protocol.md) and the compressors a
//! browser would use.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::Compression;
use flate2::write::{GzEncoder, ZlibEncoder};
use serde_json::{Map, Value, json};

use super::SHOP_HOST;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id, unique in this process (and so in the test's store).
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{:06}", NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

/// The wall clock, epoch milliseconds.
pub fn now_ms() -> f64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970");
    since_epoch.as_millis() as f64
}

/// One beacon: a context and events, as an agent builds it.
#[derive(Debug, Clone)]
pub struct Beacon {
    /// The `context` object.
    pub context: Map<String, Value>,
    /// The events.
    pub events: Vec<Value>,
    /// `sent_at`, device clock.
    pub sent_at: Option<f64>,
}

impl Beacon {
    /// An empty beacon from a product page of the shop, sent now.
    pub fn new() -> Self {
        Self::on(&format!("https://{SHOP_HOST}/products/4711?utm_source=newsletter&coupon=SPRING25#reviews"))
    }

    /// An empty beacon from the page at `url`, sent now.
    pub fn on(url: &str) -> Self {
        let now = now_ms();
        let context = json!({
            "agent": { "name": "sightline-browser", "version": "0.1.0" },
            "session_id": unique("session"),
            "view_id": unique("view"),
            "url": url,
            "referrer": "https://www.google.com/search?q=shoes",
            "viewport": { "width": 1440, "height": 900 },
            "device": { "memory_gb": 8, "cores": 8 },
            "connection": { "effective_type": "4g", "rtt_ms": 50, "downlink_mbps": 10 },
            "release": "2.14.0",
            "environment": "production",
            "consent": "granted",
            "time_origin": now - 10_000.0,
        });
        let Value::Object(context) = context else { unreachable!("a JSON object literal") };
        Self { context, events: Vec::new(), sent_at: Some(now) }
    }

    /// A beacon holding one of every event kind (ten events), like the docs example.
    pub fn realistic() -> Self {
        Self::new().with_events([
            event::view(),
            event::vital("lcp", 2412.6),
            event::vital("cls", 0.137),
            event::vital("inp", 208.2),
            event::error("Cannot read properties of undefined (reading 'price')"),
            event::request(&format!("https://{SHOP_HOST}/api/cart?sku=4711")),
            event::resource("https://cdn.example.com/img/4711-hero.avif"),
            event::long_animation_frame(),
            event::action(),
            event::custom("add_to_cart"),
        ])
    }

    /// Sets a context field (`null` removes nothing: it is sent as `null`).
    pub fn with_context(mut self, key: &str, value: Value) -> Self {
        self.context.insert(key.to_owned(), value);
        self
    }

    /// Removes a context field.
    pub fn without_context(mut self, key: &str) -> Self {
        self.context.remove(key);
        self
    }

    /// Appends an event.
    pub fn with_event(mut self, event: Value) -> Self {
        self.events.push(event);
        self
    }

    /// Appends events.
    pub fn with_events(mut self, events: impl IntoIterator<Item = Value>) -> Self {
        self.events.extend(events);
        self
    }

    /// Sets or removes `sent_at`.
    pub fn sent_at(mut self, sent_at: Option<f64>) -> Self {
        self.sent_at = sent_at;
        self
    }

    /// The ids of the events.
    pub fn event_ids(&self) -> Vec<String> {
        self.events.iter().filter_map(|e| e["id"].as_str().map(str::to_owned)).collect()
    }

    /// `session_id` of the context.
    pub fn session_id(&self) -> &str {
        self.context["session_id"].as_str().expect("session_id is a string")
    }

    /// The beacon as JSON.
    pub fn to_json(&self) -> Value {
        let mut beacon = json!({ "v": 1, "context": self.context, "events": self.events });
        if let Some(sent_at) = self.sent_at {
            beacon["sent_at"] = json!(sent_at);
        }
        beacon
    }

    /// The beacon as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).expect("a beacon serializes")
    }
}

impl Default for Beacon {
    fn default() -> Self {
        Self::new()
    }
}

/// Events, each with a fresh id and a time 1–9 s after the view started.
pub mod event {
    use serde_json::{Value, json};

    use super::unique;

    fn with_base(kind: &str, t: f64, mut body: Value) -> Value {
        body["id"] = json!(unique(kind));
        body["kind"] = json!(kind);
        body["t"] = json!(t);
        body
    }

    /// A page load with navigation timings.
    pub fn view() -> Value {
        with_base(
            "view",
            0.0,
            json!({
                "navigation_type": "navigate",
                "timing": { "dns": 12.4, "connect": 41.2, "tls": 27.9, "request": 183.7, "ttfb": 262.5,
                            "response": 38.1, "dom_interactive": 1210.4, "dom_content_loaded": 1296.8, "load": 2140.2 },
                "transfer_size": 18432,
                "server_timing": [{ "name": "db", "duration": 53.2, "description": "product query" }]
            }),
        )
    }

    /// A vital (`lcp`, `cls`, `inp`, `fcp`, `ttfb`) of the current view.
    pub fn vital(name: &str, value: f64) -> Value {
        with_base("vital", 9000.0, json!({ "name": name, "value": value }))
    }

    /// An unhandled JavaScript error.
    pub fn error(message: &str) -> Value {
        with_base(
            "error",
            3402.7,
            json!({
                "error_type": "TypeError",
                "message": message,
                "stack": "TypeError: boom\n    at renderCart (https://shop.example.com/assets/app.js:1:48213)",
                "source": "promise",
                "source_url": "https://shop.example.com/assets/app.js",
                "line": 1,
                "column": 48213
            }),
        )
    }

    /// A fetch.
    pub fn request(url: &str) -> Value {
        with_base(
            "request",
            3380.4,
            json!({ "api": "fetch", "method": "POST", "url": url, "status": 201, "start": 3002.1, "duration": 378.3 }),
        )
    }

    /// A resource timing entry.
    pub fn resource(url: &str) -> Value {
        with_base("resource", 1979.5, json!({ "url": url, "initiator": "img", "start": 572.7, "duration": 1406.8 }))
    }

    /// A long animation frame.
    pub fn long_animation_frame() -> Value {
        with_base(
            "long_animation_frame",
            3524.5,
            json!({ "start": 3380.9, "duration": 143.6, "blocking_duration": 93.6 }),
        )
    }

    /// A rage click.
    pub fn action() -> Value {
        with_base(
            "action",
            2990.3,
            json!({ "action_type": "click", "target": "Add to cart", "selector": "#add-to-cart", "rage": true, "count": 4 }),
        )
    }

    /// A custom event.
    pub fn custom(name: &str) -> Value {
        with_base(
            "custom",
            2991.2,
            json!({ "name": name, "value": 49.9, "attributes": { "sku": "4711", "currency": "EUR" } }),
        )
    }
}

/// gzip, as `CompressionStream('gzip')` makes it.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).expect("compress in memory");
    encoder.finish().expect("finish gzip")
}

/// zlib-wrapped deflate, as `CompressionStream('deflate')` makes it.
pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).expect("compress in memory");
    encoder.finish().expect("finish deflate")
}
