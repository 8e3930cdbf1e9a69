//! Realistic beacons: one page of a shop as the browser agent reports it.
//!
//! Every beacon has [`EVENTS_PER_BEACON`] events of every kind, about 600 bytes each:
//! the view with navigation and server timing, the five vitals with attribution, requests,
//! resources, a long animation frame with scripts, actions, an error with a stack and
//! custom events. A seed varies what real traffic varies: the browser (rotating through
//! [`BROWSERS`]), the page and its ids (so the route normalizer has work), the session,
//! the timings. The same seed always gives the same bytes.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use sightline_ingest::{Project, RequestMeta};

pub use sightline_simulate::agent_json;
pub use sightline_simulate::browsers::{BROWSERS, Browser};

/// Events in every generated beacon.
pub const EVENTS_PER_BEACON: usize = 20;

/// Epoch ms of the first generated beacon (2026-01-01); later seeds are later.
const EPOCH_MS: f64 = 1_767_225_600_000.0;

/// One beacon, as posted: the JSON body, its gzip, and what the request carried.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The uncompressed body.
    pub json: Vec<u8>,
    /// The body gzipped at the default level, as `CompressionStream('gzip')` would.
    pub gzip: Vec<u8>,
    /// The browser that sent it.
    pub browser: &'static Browser,
    /// When the server received it, epoch ms.
    pub received_at_ms: i64,
    /// Events in the body.
    pub events: usize,
    sec_ch_ua: Option<String>,
    sec_ch_ua_platform: Option<String>,
}

impl Sample {
    /// The beacon of `seed`.
    pub fn new(seed: u64) -> Self {
        let browser = &BROWSERS[(seed % BROWSERS.len() as u64) as usize];
        let mut rng = Rng::new(seed);
        let sent_at = EPOCH_MS + seed as f64 * 37_013.0 + rng.float(0.0, 1000.0);
        let beacon = beacon(&mut rng, browser, sent_at);
        let events = beacon["events"].as_array().map_or(0, Vec::len);
        let json = agent_json(beacon);
        let mut encoder = GzEncoder::new(Vec::with_capacity(json.len() / 3), Compression::default());
        encoder.write_all(&json).expect("writing to memory cannot fail");
        let gzip = encoder.finish().expect("writing to memory cannot fail");
        Self {
            json,
            gzip,
            browser,
            received_at_ms: sent_at as i64 + 180,
            events,
            sec_ch_ua: browser.sec_ch_ua(),
            sec_ch_ua_platform: browser.sec_ch_ua_platform(),
        }
    }

    /// What the server knows about the request that carried this beacon.
    pub fn request(&self) -> RequestMeta<'_> {
        RequestMeta {
            received_at_ms: self.received_at_ms,
            client_ip: Some(std::net::IpAddr::from([203, 0, 113, (self.received_at_ms % 250) as u8])),
            user_agent: self.browser.user_agent,
            hint_headers: self.browser.hint_headers(self.sec_ch_ua.as_deref(), self.sec_ch_ua_platform.as_deref()),
            cdn_geo: None,
            do_not_track: false,
        }
    }
}

/// The project the beacons are posted to: the simulated shop's
/// ([`shop_project`](sightline_simulate::population::shop_project)).
pub fn project() -> Project {
    Project::new(sightline_simulate::population::shop_project()).expect("the shop project is valid")
}

/// A small deterministic generator (SplitMix64): no dependency, same bytes every run.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5851_f42d_4c95_7f2d)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A value in about `[low, high)` as the agent computes one: the difference of two
    /// `performance.now()` readings (5 µs resolution), tails of binary floats included
    /// (`262.49999999999997`), since the agent sends them unrounded.
    fn float(&mut self, low: f64, high: f64) -> f64 {
        let start = 1000.0 + self.unit() * 30_000.0;
        let reading = |ms: f64| (ms * 200.0).round() / 200.0;
        let value = low + self.unit() * (high - low);
        reading(start + value) - reading(start)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn hex(&mut self, len: usize) -> String {
        let mut out = String::with_capacity(len);
        while out.len() < len {
            out.push_str(&format!("{:016x}", self.next()));
        }
        out.truncate(len);
        out
    }

    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!("{}-{}-4{}-a{}-{}", &h[..8], &h[8..12], &h[13..16], &h[17..20], &h[20..])
    }
}

/// The page a beacon comes from; its ids differ per seed, its route does not.
fn page_url(rng: &mut Rng) -> (String, Option<&'static str>) {
    let host = "https://shop.example.com";
    match rng.below(6) {
        0 => (
            format!(
                "{host}/products/{}?utm_source=newsletter&utm_medium=email&ref=hp#reviews",
                1000 + rng.below(90_000)
            ),
            None,
        ),
        1 => (format!("{host}/orders/{}/tracking", rng.uuid()), None),
        2 => (format!("{host}/account/{}/settings/notifications", 100_000 + rng.below(900_000)), None),
        3 => (format!("{host}/search?q=red+running+shoes&page={}&sort=price", 1 + rng.below(5)), Some("search")),
        4 => (format!("{host}/blog/how-to-choose-running-shoes-{}", rng.below(40)), None),
        _ => (format!("{host}/checkout/{}/payment", rng.hex(24)), Some("checkout")),
    }
}

fn beacon(rng: &mut Rng, browser: &Browser, sent_at: f64) -> Value {
    let (url, view_name) = page_url(rng);
    let (viewport, screen) = if browser.mobile { ((390, 664), (390, 844)) } else { ((1512, 823), (1512, 982)) };
    let context = json!({
        "agent": { "name": "sightline-browser", "version": "0.4.2" },
        "session_id": rng.hex(32),
        "view_id": rng.hex(32),
        "url": url,
        "view_name": view_name,
        "referrer": rng.pick(&["https://www.google.com/", "https://www.bing.com/", "https://shop.example.com/", "https://news.ycombinator.com/"]),
        "viewport": { "width": viewport.0, "height": viewport.1 },
        "screen": { "width": screen.0, "height": screen.1 },
        "device": { "memory_gb": rng.pick(&[4, 8]), "cores": rng.pick(&[4, 8, 10]) },
        "connection": { "effective_type": "4g", "rtt_ms": rng.pick(&[50, 100, 150]), "downlink_mbps": rng.float(1.5, 10.0), "save_data": false, "connection_type": if browser.mobile { "cellular" } else { "wifi" } },
        "client_hints": browser.client_hints_json(),
        "release": "2.14.0",
        "environment": "production",
        "user": { "id": format!("u_{}", rng.below(1_000_000)), "attributes": { "plan": rng.pick(&["free", "pro", "team"]), "seats": 1 + rng.below(20) } },
        "attributes": { "experiment": rng.pick(&["checkout_a", "checkout_b"]), "logged_in": true, "locale": "en-US" },
        "consent": "granted",
        "sample_rate": 1,
        "sampling_reason": "sampled",
        "time_origin": sent_at - 35_000.0,
    });
    let mut context = context;
    if let Value::Object(fields) = &mut context {
        // The agent leaves out what it does not know rather than sending `null`.
        fields.retain(|_, value| !value.is_null());
    }
    let events = events(rng);
    json!({ "v": 1, "sent_at": sent_at, "context": context, "events": events })
}

/// 20 events: view, 5 vitals, 3 requests, 4 resources, a long animation frame, 2 actions,
/// an error and 3 custom events. The first request and action happened on the previous
/// view of this single-page app, so they name it.
fn events(rng: &mut Rng) -> Vec<Value> {
    let bundle = format!("https://shop.example.com/assets/app.{}.js", rng.hex(8));
    let vendor = format!("https://shop.example.com/assets/vendor.{}.js", rng.hex(8));
    let product = 1000 + rng.below(90_000);
    let cart = rng.uuid();
    let scripts = json!([
        { "source_url": bundle, "source_function_name": "renderCart", "invoker": "Response.json.then", "invoker_type": "resolve-promise", "duration": rng.float(40.0, 160.0), "forced_style_and_layout_duration": rng.float(0.0, 30.0) },
        { "source_url": "https://www.googletagmanager.com/gtag/js", "source_function_name": "", "invoker": "DOMWindow.onload", "invoker_type": "event-listener", "duration": rng.float(10.0, 60.0), "forced_style_and_layout_duration": 0 },
    ]);
    let mut events = vec![
        json!({ "kind": "view", "t": 0, "navigation_type": "navigate",
            "timing": { "redirect": 0, "dns": rng.float(0.0, 40.0), "connect": rng.float(10.0, 80.0), "tls": rng.float(10.0, 50.0), "request": rng.float(80.0, 300.0), "ttfb": rng.float(150.0, 600.0), "response": rng.float(10.0, 80.0), "dom_interactive": rng.float(700.0, 1800.0), "dom_content_loaded": rng.float(800.0, 2000.0), "load": rng.float(1500.0, 4000.0) },
            "transfer_size": 18_432, "encoded_body_size": 17_980, "decoded_body_size": 96_511,
            "server_timing": [
                { "name": "cdn-cache", "description": rng.pick(&["HIT", "MISS"]) },
                { "name": "db", "duration": rng.float(5.0, 90.0), "description": "product query" },
                { "name": "app", "duration": rng.float(20.0, 200.0) },
                { "name": "cache", "duration": rng.float(0.1, 3.0), "description": "redis" },
                { "name": "edge", "duration": rng.float(1.0, 20.0), "description": "fra1" },
            ] }),
        json!({ "kind": "vital", "t": 33_712.4, "name": "lcp", "value": rng.float(900.0, 4500.0), "rating": "good",
            "attribution": { "element": "#__next > div.layout > main#content > section.product-detail > div.gallery > picture > img.hero-image", "resource_url": format!("https://cdn.example.com/img/{product}-hero.avif"), "time_to_first_byte": rng.float(150.0, 600.0), "resource_load_delay": rng.float(50.0, 400.0), "resource_load_duration": rng.float(200.0, 1500.0), "element_render_delay": rng.float(20.0, 500.0) } }),
        json!({ "kind": "vital", "t": 33_712.4, "name": "inp", "value": rng.float(40.0, 600.0), "rating": "needs_improvement",
            "attribution": { "interaction_target": "main#content > section.product-detail > form.buy-box > button#add-to-cart.btn.btn-primary", "interaction_type": "pointer", "interaction_time": rng.float(2000.0, 30_000.0), "input_delay": rng.float(1.0, 150.0), "processing_duration": rng.float(10.0, 200.0), "presentation_delay": rng.float(10.0, 80.0), "load_state": "complete", "scripts": scripts } }),
        json!({ "kind": "vital", "t": 33_712.4, "name": "cls", "value": rng.float(0.0, 0.4), "rating": "good",
            "attribution": { "largest_shift_target": "main#content > section.reviews > div.review-list > article.review:nth-child(3)", "largest_shift_value": rng.float(0.0, 0.2), "largest_shift_time": rng.float(500.0, 3000.0), "load_state": "dom-content-loaded" } }),
        json!({ "kind": "vital", "t": 1_210.4, "name": "fcp", "value": rng.float(600.0, 2500.0), "rating": "good",
            "attribution": { "time_to_first_byte": rng.float(150.0, 600.0), "first_byte_to_fcp": rng.float(300.0, 1500.0), "load_state": "dom-interactive" } }),
        json!({ "kind": "vital", "t": 262.5, "name": "ttfb", "value": rng.float(150.0, 900.0), "rating": "good",
            "attribution": { "waiting_duration": rng.float(0.0, 20.0), "cache_duration": rng.float(0.0, 5.0), "dns_duration": rng.float(0.0, 40.0), "connection_duration": rng.float(10.0, 80.0), "request_duration": rng.float(80.0, 300.0) } }),
    ];
    for (method, path, status) in [
        (
            "GET",
            format!("/api/products/{product}?fields=price,stock,variants,images,rating&currency=EUR&locale=en-US"),
            200,
        ),
        ("POST", format!("/api/cart/{cart}/items?include=totals,shipping_estimate"), 201),
        (
            "POST",
            format!(
                "https://region1.google-analytics.com/g/collect?v=2&tid=G-8XK2M4Q7LP&gtm=45je4bk0v9&_p={}&gcd=13l3l3l3l1l1&npa=0&dma=0&cid={}.{}&ul=en-us&sr=1512x982&uaa=x86&uab=64&frm=0&pscdl=noapi&_s=3&sid={}&sct=4&seg=1&dl=https%3A%2F%2Fshop.example.com%2Fproducts%2F{product}&en=view_item&_et=4512",
                rng.below(2_000_000_000),
                rng.below(2_000_000_000),
                rng.below(2_000_000_000),
                rng.below(2_000_000_000)
            ),
            204,
        ),
    ] {
        events.push(json!({ "kind": "request", "t": rng.float(1000.0, 30_000.0), "api": "fetch", "method": method,
            "url": if path.starts_with("https://") { path.clone() } else { format!("https://shop.example.com{path}") }, "status": status, "start": rng.float(900.0, 29_000.0), "duration": rng.float(40.0, 900.0),
            "request_size": if method == "POST" { 64 } else { 0 }, "response_size": 1000 + rng.below(20_000), "trace_id": rng.hex(32), "span_id": rng.hex(16) }));
    }
    for (url, initiator, blocking, third_party) in [
        (format!("https://shop.example.com/assets/styles.{}.css", rng.hex(8)), "link", true, false),
        (
            format!(
                "https://cdn.example.com/image/upload/f_auto,q_auto:good,w_1200,c_limit/products/{product}/hero-front-view.avif?v=1733241600"
            ),
            "img",
            false,
            true,
        ),
        (
            "https://fonts.gstatic.com/s/inter/v13/UcCO3FwrK3iLTeHuS_fvQtMwCp50KnMw2boKoduKmMEVuLyfAZ9hiA.woff2"
                .to_owned(),
            "css",
            false,
            true,
        ),
        (vendor.clone(), "script", true, false),
    ] {
        events.push(json!({ "kind": "resource", "t": rng.float(300.0, 3000.0), "url": url, "initiator": initiator,
            "start": rng.float(100.0, 1500.0), "duration": rng.float(50.0, 1500.0), "dns": rng.float(0.0, 30.0), "connect": rng.float(0.0, 60.0), "tls": rng.float(0.0, 40.0),
            "ttfb": rng.float(20.0, 300.0), "download": rng.float(5.0, 900.0), "transfer_size": 2000 + rng.below(200_000), "encoded_body_size": 1800 + rng.below(200_000),
            "decoded_body_size": 5000 + rng.below(600_000), "render_blocking": blocking, "third_party": third_party }));
    }
    events.push(json!({ "kind": "long_animation_frame", "t": rng.float(2000.0, 30_000.0), "start": rng.float(2000.0, 30_000.0), "duration": rng.float(60.0, 400.0),
        "blocking_duration": rng.float(10.0, 300.0), "long_task_fallback": false, "scripts": [
            { "source_url": bundle, "source_function_name": "hydrateProductPage", "invoker": "BUTTON#add-to-cart.onclick", "invoker_type": "event-listener", "duration": rng.float(40.0, 200.0), "forced_style_and_layout_duration": rng.float(0.0, 40.0) },
            { "source_url": "https://connect.facebook.net/en_US/fbevents.js", "source_function_name": "fbq", "invoker": "Window.requestAnimationFrame", "invoker_type": "user-callback", "duration": rng.float(5.0, 60.0) },
            { "source_url": bundle, "source_function_name": "", "invoker": "Response.json.then", "invoker_type": "resolve-promise", "duration": rng.float(5.0, 50.0), "forced_style_and_layout_duration": 0 },
            { "source_url": "https://js.stripe.com/v3/fingerprinted/js/elements-inner-card-7e3d1a2b.js", "source_function_name": "mountCardElement", "invoker": "IFRAME#stripe-card.onload", "invoker_type": "event-listener", "duration": rng.float(5.0, 40.0), "forced_style_and_layout_duration": rng.float(0.0, 10.0) },
        ] }));
    events.push(json!({ "kind": "action", "t": rng.float(2000.0, 30_000.0), "action_type": "click", "target": "Add to cart", "selector": "#__next > div.layout > main#content > section.product-detail > form.buy-box > button#add-to-cart.btn.btn-primary", "rage": false, "dead": false, "error": false, "count": 1 }));
    events.push(json!({ "kind": "action", "t": rng.float(2000.0, 30_000.0), "action_type": "click", "target": "Apply coupon", "selector": "#__next > div.layout > aside.cart-summary > div.coupon-form > button.apply-coupon.btn.btn-secondary", "rage": true, "dead": true, "error": true, "count": 4 }));
    events.push(json!({ "kind": "error", "t": rng.float(2000.0, 30_000.0), "error_type": "TypeError",
        "message": format!("Cannot read properties of undefined (reading 'price') in cart line {}", rng.below(12)),
        "stack": stack(&bundle, &vendor),
        "source": "promise", "handled": false, "source_url": bundle, "line": 1, "column": 48_213, "count": 1 }));
    events.push(json!({ "kind": "custom", "t": rng.float(2000.0, 30_000.0), "name": "add_to_cart", "value": rng.float(5.0, 250.0), "attributes": { "sku": format!("SKU-{product}"), "currency": "EUR", "quantity": 1 + rng.below(3), "source": "product_page", "variant": rng.pick(&["red-42", "blue-43", "black-44"]), "category": "footwear/running", "brand": "Stridewell", "in_stock": true, "price": rng.float(40.0, 200.0), "list_position": 1 + rng.below(24), "list_name": "Recommended for you", "size_system": "EU", "discount_pct": rng.pick(&[0, 10, 25]) } }));
    events.push(json!({ "kind": "custom", "t": rng.float(2000.0, 30_000.0), "name": "checkout_step", "value": 2, "attributes": { "step": "shipping", "shipping_method": rng.pick(&["standard", "express"]), "items": 1 + rng.below(6), "coupon_applied": rng.below(2) == 0, "payment_method": rng.pick(&["card", "paypal", "apple_pay"]), "country": "DE", "cart_value": rng.float(20.0, 600.0), "currency": "EUR", "guest_checkout": rng.below(3) == 0, "address_autocomplete": "google_places", "form_errors": rng.below(3) } }));
    events.push(json!({ "kind": "custom", "t": rng.float(2000.0, 30_000.0), "name": "search_results_rendered", "value": rng.float(20.0, 400.0), "attributes": { "results": rng.below(200), "query_length": 17, "filters": "size,color,brand", "sort": "relevance", "page": 1, "layout": "grid", "personalized": true, "search_backend": "typesense-v2", "spellcheck_applied": false, "first_result_sku": format!("SKU-{}", 1000 + rng.below(90_000)) } }));
    let previous_view = rng.hex(32);
    let previous_url =
        format!("https://shop.example.com/category/running-shoes?page={}&utm_campaign=spring", 1 + rng.below(4));
    for index in [6, 14] {
        events[index]["view_id"] = Value::String(previous_view.clone());
        events[index]["view_url"] = Value::String(previous_url.clone());
    }
    for event in &mut events {
        event["id"] = Value::String(format!("01JGZ8{}", rng.hex(20).to_ascii_uppercase()));
    }
    events
}

/// A minified bundle's stack as Chrome prints it: ten frames through the app and vendor code.
fn stack(bundle: &str, vendor: &str) -> String {
    let frames = [
        ("renderCartLine", bundle, 48_213),
        ("Array.map", "<anonymous>", 0),
        ("renderCart", bundle, 47_702),
        ("CartDrawer.update", bundle, 51_877),
        ("Object.Fh [as notify]", vendor, 91_342),
        ("Vn", vendor, 88_107),
        ("commitHookEffectListMount", vendor, 120_554),
        ("flushPassiveEffects", vendor, 131_208),
        ("", bundle, 52_210),
        ("async Promise.all", "index 1", 0),
    ];
    let mut stack = String::from("TypeError: Cannot read properties of undefined (reading 'price')");
    for (function, file, column) in frames {
        stack.push_str(&match (function, column) {
            (_, 0) => format!("\n    at {function} ({file})"),
            ("", _) => format!("\n    at {file}:1:{column}"),
            _ => format!("\n    at {function} ({file}:1:{column})"),
        });
    }
    stack
}

#[cfg(test)]
mod tests {
    use sightline_ingest::Pipeline;

    use super::*;

    #[test]
    fn every_sample_is_realistic_and_fully_accepted() {
        let pipeline = Pipeline::default();
        let project = project();
        for seed in 0..BROWSERS.len() as u64 * 2 {
            let sample = Sample::new(seed);
            assert_eq!(sample.events, EVENTS_PER_BEACON);
            let per_event = sample.json.len() / sample.events;
            assert!((400..900).contains(&per_event), "about 600 bytes per event, got {per_event}");
            assert!(sample.gzip.len() < sample.json.len() / 2);
            let batch = pipeline.process(&project, &sample.request(), &sample.json).expect("accepted");
            assert_eq!(batch.records.len(), EVENTS_PER_BEACON, "seed {seed}: {:?}", batch.outcomes);
            assert_eq!(batch.outcomes.dropped_events(), 0);
            let previous_view = batch.records.iter().filter(|r| r.page.route == "/category/running-shoes").count();
            assert_eq!(previous_view, 2, "seed {seed}: two events name the previous view's URL");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes_and_seeds_rotate_browsers() {
        assert_eq!(Sample::new(7).json, Sample::new(7).json);
        assert_ne!(Sample::new(7).json, Sample::new(8).json);
        assert_ne!(Sample::new(0).browser.label, Sample::new(1).browser.label);
    }
}
