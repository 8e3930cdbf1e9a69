//! The events of one view, as the browser agent reports them: the `view` with navigation
//! timing, vitals with attribution, resources, requests, long animation frames, clicks,
//! the view's error and custom events. Times are on the document's timeline and agree
//! with each other: nothing ends after the view ends, vitals are reported when it ends.

use serde_json::{Value, json};

use super::rng::{Rng, ms};
use super::session::{LoadTimes, ORIGIN, Session, View};
use super::stories;
use super::world::{CLS_BUCKETS, ErrorKind, FRUSTRATION, INP, REQUEST_FAILURES, Route, TRACED_SHARE};

/// Streams of the views' random numbers start here (below are the sessions').
const VIEW_STREAMS: u64 = 1 << 40;

/// The events of view `index` of `session`, the `view` event first: all of them, or the
/// first `upto` (a beacon may carry only the next view's `view` event). Their ids are their
/// positions in the view, as the agent counts them (unique within the view only),
/// so the first `upto` are the same either way.
pub fn view_events(session: &Session, index: usize, upto: usize) -> Vec<Value> {
    let view = &session.views[index];
    // Two streams per view; the second gave random event ids once and is left unused.
    let mut rng = Rng::stream(session.seed, VIEW_STREAMS + 2 * index as u64);
    let mut out = Events { session, view, bundle: bundle_url(session.release, "app"), events: Vec::new() };
    out.view(&mut rng);
    if upto > 1 {
        out.rest(&mut rng);
    }
    out.events.truncate(upto);
    for (position, event) in out.events.iter_mut().enumerate() {
        event["id"] = Value::String(position.to_string());
    }
    out.events
}

/// The URL of a script of `release`: its hash changes with every release, as a bundler's does.
pub fn bundle_url(release: &str, name: &str) -> String {
    format!("{ORIGIN}/assets/{name}.{}.js", release_hash(release))
}

/// Eight hex digits of the release's FNV-1a hash.
fn release_hash(release: &str) -> String {
    let hash = release.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    format!("{:08x}", hash >> 32)
}

struct Events<'a> {
    session: &'a Session,
    view: &'a View,
    bundle: String,
    events: Vec<Value>,
}

impl Events<'_> {
    /// Everything after the `view` event.
    fn rest(&mut self, rng: &mut Rng) {
        let counts = self.view.counts;
        self.vitals(rng);
        for n in 0..counts.resources {
            self.resource(rng, n);
        }
        for n in 0..counts.requests {
            self.request(rng, n);
        }
        for _ in 0..counts.long_frames {
            self.long_frame(rng);
        }
        for _ in 0..counts.actions {
            self.action(rng);
        }
        if let Some(kind) = counts.error {
            self.error(rng, kind);
        }
        for n in 0..counts.customs {
            self.custom(rng, n);
        }
        for _ in 0..counts.filler {
            let t = self.moment(rng, 0.0);
            self.push(
                json!({ "kind": "custom", "t": t, "name": "scroll_depth", "value": rng.pick(&[25, 50, 75, 100]) }),
            );
        }
    }

    fn push(&mut self, event: Value) {
        self.events.push(event);
    }

    /// A time within the view at which something lasting `duration` can start and still
    /// end before the view ends.
    fn moment(&self, rng: &mut Rng, duration: f64) -> f64 {
        let (start, end) = (self.view.start + 50.0, (self.view.end - duration - 10.0).max(self.view.start + 50.0));
        ms(rng.range(start, end))
    }

    fn net(&self) -> f64 {
        self.session.latency_factor
    }

    fn cpu(&self) -> f64 {
        self.session.cpu_factor
    }

    fn view(&mut self, rng: &mut Rng) {
        let view = self.view;
        let mut event = json!({ "kind": "view", "t": view.start, "navigation_type": view.navigation });
        if let Some(load) = &view.load {
            let [redirect, _, dns, connect, request] = load.phases;
            let size = 12_000 + rng.below(40_000);
            event["timing"] = json!({
                "redirect": redirect, "dns": dns, "connect": connect, "tls": ms(connect * rng.range(0.4, 0.6)),
                "request": request, "ttfb": load.ttfb, "response": load.response,
                "dom_interactive": load.dom_interactive, "dom_content_loaded": load.dom_content_loaded, "load": load.load,
            });
            event["transfer_size"] = json!(size + 400);
            event["encoded_body_size"] = json!(size);
            event["decoded_body_size"] = json!(size * 5);
            event["server_timing"] = json!([
                { "name": "cdn-cache", "description": if rng.chance(0.7) { "HIT" } else { "MISS" } },
                { "name": "app", "duration": ms(request * rng.range(0.3, 0.7)) },
                { "name": "db", "duration": ms(request * rng.range(0.05, 0.3)), "description": "catalog" },
            ]);
        }
        self.push(event);
    }

    fn vitals(&mut self, rng: &mut Rng) {
        let view = self.view;
        let end = view.end;
        if let Some(load) = view.load {
            self.load_vitals(rng, &load);
        }
        let (_, low, high) = CLS_BUCKETS[rng.weighted(CLS_BUCKETS.iter().map(|b| b.0))];
        let factor = if view.route == Route::Category { 1.3 } else { 1.0 };
        let cls = ((rng.range(low, high) * factor) * 10_000.0).round() / 10_000.0;
        self.push(json!({ "kind": "vital", "t": end, "name": "cls", "value": cls, "attribution": {
            "largest_shift_target": shift_target(view.route), "largest_shift_value": (cls * rng.range(0.5, 1.0) * 10_000.0).round() / 10_000.0,
            "largest_shift_time": self.moment(rng, 0.0), "load_state": if view.load.is_some() { "dom-content-loaded" } else { "complete" } } }));
        if view.counts.actions > 0 {
            let (median, sigma, long_task) = INP;
            let tail = if rng.chance(long_task) { 4.0 } else { 1.0 };
            let session = self.session;
            let story = stories::inp_factor(session.story.scenario, session.release, view.route, session.browser.label);
            let value = ms((rng.log_normal(median * self.cpu(), sigma) * tail * story).clamp(16.0, 30_000.0));
            let input = ms(value * rng.range(0.05, 0.4));
            let processing = ms((value - input) * rng.range(0.3, 0.8));
            let presentation = ms(value - input - processing);
            let (_, selector) = click_target(rng, view.route);
            let mut attribution = json!({ "interaction_target": selector, "interaction_type": if rng.chance(0.9) { "pointer" } else { "keyboard" },
                "interaction_time": self.moment(rng, value), "input_delay": input, "processing_duration": processing, "presentation_delay": presentation, "load_state": "complete" });
            if value > 200.0 {
                attribution["scripts"] = json!([{ "source_url": self.bundle, "source_function_name": "dispatchDiscreteEvent",
                    "invoker": format!("{selector}.onclick"), "invoker_type": "event-listener", "duration": processing, "forced_style_and_layout_duration": ms(processing * 0.2) }]);
            }
            self.push(json!({ "kind": "vital", "t": end, "name": "inp", "value": value, "attribution": attribution }));
        }
    }

    fn load_vitals(&mut self, rng: &mut Rng, load: &LoadTimes) {
        let [redirect, waiting, dns, connect, request] = load.phases;
        self.push(json!({ "kind": "vital", "t": load.ttfb, "name": "ttfb", "value": load.ttfb, "attribution": {
            "waiting_duration": ms(redirect + waiting), "cache_duration": 0, "dns_duration": dns, "connection_duration": connect, "request_duration": request } }));
        self.push(json!({ "kind": "vital", "t": load.fcp, "name": "fcp", "value": load.fcp, "attribution": {
            "time_to_first_byte": load.ttfb, "first_byte_to_fcp": ms(load.fcp - load.ttfb), "load_state": "dom-interactive" } }));
        let rest = load.lcp - load.ttfb;
        let mut attribution = json!({ "element": lcp_element(self.view.route), "time_to_first_byte": load.ttfb });
        match lcp_image(self.view) {
            Some(image) => {
                let delay = ms(rest * rng.range(0.1, 0.3));
                let duration = ms(rest * rng.range(0.3, 0.6));
                attribution["resource_url"] = json!(image);
                attribution["resource_load_delay"] = json!(delay);
                attribution["resource_load_duration"] = json!(duration);
                attribution["element_render_delay"] = json!(ms(rest - delay - duration));
            }
            None => attribution["element_render_delay"] = json!(ms(rest)),
        }
        self.push(json!({ "kind": "vital", "t": self.view.end, "name": "lcp", "value": load.lcp, "attribution": attribution }));
    }

    fn resource(&mut self, rng: &mut Rng, n: usize) {
        let release = self.session.release;
        let (url, initiator, blocking, third_party) = match (self.view.load.is_some(), n) {
            (true, 0) => (format!("{ORIGIN}/assets/styles.{}.css", release_hash(release)), "link", true, false),
            (true, 1) => (self.bundle.clone(), "script", true, false),
            (true, 2) => (bundle_url(release, "vendor"), "script", false, false),
            (true, 3) => (
                "https://fonts.gstatic.com/s/inter/v13/UcCO3FwrK3iLTeHuS_fvQtMwCp50KnMw2boKoduKmMEVuLyfAZ9hiA.woff2"
                    .into(),
                "css",
                false,
                true,
            ),
            (true, 4) => ("https://www.googletagmanager.com/gtag/js?id=G-8XK2M4Q7LP".into(), "script", false, true),
            (_, n) if n % 2 == 0 => {
                (bundle_url(release, &format!("chunk-{}", 100 + rng.below(900))), "script", false, false)
            }
            _ => (
                format!(
                    "https://cdn.example.com/img/{}-{}.avif",
                    1000 + rng.below(4000),
                    rng.pick(&["thumb", "front", "side"])
                ),
                "img",
                false,
                true,
            ),
        };
        let start = match self.view.load {
            Some(load) => ms(rng.range(load.ttfb, load.load.max(load.ttfb + 1.0))),
            None => ms(self.view.start + rng.range(10.0, 2_000.0).min(self.view.end - self.view.start - 100.0)),
        };
        let cached = rng.chance(0.3);
        let duration = ms(if cached { rng.range(1.0, 15.0) } else { rng.log_normal(160.0 * self.net(), 0.7) }
            .min(self.view.end - start));
        let (dns, connect) =
            if third_party && !cached { (ms(rng.range(5.0, 40.0)), ms(rng.range(10.0, 60.0))) } else { (0.0, 0.0) };
        let first_byte = ms((duration - dns - connect).max(0.0) * rng.range(0.3, 0.6));
        let size = 2_000 + rng.below(180_000);
        self.push(json!({ "kind": "resource", "t": ms(start + duration), "url": url, "initiator": initiator, "start": start,
            "duration": duration, "dns": dns, "connect": connect, "tls": ms(connect * 0.5), "ttfb": first_byte,
            "download": ms((duration - dns - connect - first_byte).max(0.0)), "transfer_size": if cached { 0 } else { size + 300 },
            "encoded_body_size": size, "decoded_body_size": size * 3, "render_blocking": blocking, "third_party": third_party }));
    }

    fn request(&mut self, rng: &mut Rng, n: usize) {
        let (method, url, traced) = api_call(rng, self.view, n);
        let (client_error, server_error, failed) = REQUEST_FAILURES;
        let roll = rng.unit();
        let duration = ms(rng.log_normal(130.0 * self.net(), 0.6).min((self.view.end - self.view.start) * 0.8));
        let start = self.moment(rng, duration);
        let mut event = json!({ "kind": "request", "t": ms(start + duration), "api": if rng.chance(0.85) { "fetch" } else { "xhr" },
            "method": method, "url": url, "start": start, "duration": duration,
            "request_size": if method == "GET" { 0 } else { 60 + rng.below(600) }, "response_size": 200 + rng.below(30_000) });
        event["status"] = json!(if roll < client_error {
            rng.pick(&[400, 401, 404, 409, 422])
        } else if roll < client_error + server_error {
            rng.pick(&[500, 502, 503, 504])
        } else if roll < client_error + server_error + failed {
            event["failure"] = json!(rng.pick(&["network", "timeout", "aborted"]));
            event["response_size"] = json!(0);
            0
        } else if method == "POST" {
            if url.contains("google-analytics") { 204 } else { 201 }
        } else {
            200
        });
        if traced && rng.chance(TRACED_SHARE) {
            event["trace_id"] = json!(rng.hex(32));
            event["span_id"] = json!(rng.hex(16));
        }
        self.push(event);
    }

    fn long_frame(&mut self, rng: &mut Rng) {
        let duration = ms(rng.log_normal(95.0 * self.cpu(), 0.4).max(51.0));
        let start = match self.view.load {
            Some(load) if rng.chance(0.6) => ms(rng.range(load.ttfb, load.load.max(load.ttfb + 1.0))),
            _ => self.moment(rng, duration),
        };
        let hog = stories::frame_hog(self.session.story.scenario);
        let main_share = rng.range(0.5, 0.85);
        // A third-party script taking most of the frame leaves the app a small share.
        let main = ms(duration * if hog.is_some() { (1.0 - main_share) * 0.5 } else { main_share });
        let mut scripts = vec![
            json!({ "source_url": self.bundle, "source_function_name": rng.pick(&["hydrateRoot", "renderProductGrid", "commitRoot"]),
            "invoker": rng.pick(&["Window.requestAnimationFrame", "Response.json.then", "DOMWindow.onload"]), "invoker_type": "user-callback",
            "duration": main, "forced_style_and_layout_duration": ms(main * rng.range(0.0, 0.25)) }),
        ];
        if let Some((url, function)) = hog {
            scripts.push(json!({ "source_url": url, "source_function_name": function,
                "invoker": "TimerHandler:setInterval", "invoker_type": "user-callback", "duration": ms((duration - main) * 0.9) }));
        } else if rng.chance(0.5) {
            scripts.push(json!({ "source_url": "https://connect.facebook.net/en_US/fbevents.js", "source_function_name": "fbq",
                "invoker": "TimerHandler:setTimeout", "invoker_type": "user-callback", "duration": ms((duration - main) * 0.7) }));
        }
        self.push(json!({ "kind": "long_animation_frame", "t": ms(start + duration), "start": start, "duration": duration,
            "blocking_duration": ms((duration - 50.0) * rng.range(0.6, 1.0)), "long_task_fallback": !self.session.browser.has_client_hints(),
            "scripts": if self.session.browser.has_client_hints() { Value::Array(scripts) } else { Value::Array(Vec::new()) } }));
    }

    fn action(&mut self, rng: &mut Rng) {
        let (mut target, mut selector) = click_target(rng, self.view.route);
        let (mut rage_share, dead_share, error_share) = FRUSTRATION;
        if let Some((button, button_selector, share, rage)) =
            stories::rage_button(self.session.story.scenario, self.view.route)
            && rng.chance(share)
        {
            (target, selector, rage_share) = (button, button_selector, rage);
        }
        let rage = rng.chance(rage_share);
        let error = self.view.counts.error.is_some() && rng.chance(error_share);
        let t = self.moment(rng, 0.0);
        self.push(
            json!({ "kind": "action", "t": t, "action_type": if self.session.browser.mobile { "tap" } else { "click" },
            "target": target, "selector": selector, "rage": rage, "dead": rng.chance(dead_share), "error": error,
            "count": if rage { 3 + rng.below(4) } else { 1 } }),
        );
    }

    fn error(&mut self, rng: &mut Rng, kind: &ErrorKind) {
        let t = self.moment(rng, 0.0);
        let mut event = json!({ "kind": "error", "t": t, "message": kind.message, "source": kind.source, "handled": kind.handled, "count": 1 });
        if !kind.error_type.is_empty() {
            event["error_type"] = json!(kind.error_type);
        }
        if let Some((_, column)) = kind.frames.first() {
            let mut stack = format!("{}: {}", kind.error_type, kind.message);
            for (function, column) in kind.frames {
                if *column == 0 {
                    stack.push_str(&format!("\n    at {function} (<anonymous>)"));
                } else {
                    stack.push_str(&format!("\n    at {function} ({}:1:{column})", self.bundle));
                }
            }
            event["stack"] = json!(stack);
            event["source_url"] = json!(self.bundle);
            event["line"] = json!(1);
            event["column"] = json!(column);
        } else if kind.source == "resource" {
            event["source_url"] = json!(format!("https://cdn.example.com/img/{}-front.avif", 1000 + rng.below(4000)));
        }
        self.push(event);
    }

    fn custom(&mut self, rng: &mut Rng, n: usize) {
        let t = self.moment(rng, 0.0);
        let event = match (self.view.route, n) {
            (Route::Product, 0) => {
                json!({ "kind": "custom", "t": t, "name": "add_to_cart", "value": (rng.range(19.0, 240.0) * 100.0).round() / 100.0,
                "attributes": { "sku": format!("SKU-{}", 1000 + rng.below(4000)), "currency": "EUR", "quantity": 1 + rng.below(3) } })
            }
            (Route::Search, 0) => json!({ "kind": "custom", "t": t, "name": "search_results", "value": rng.below(240),
                "attributes": { "layout": rng.pick(&["grid", "list"]), "spellcheck_applied": rng.chance(0.1) } }),
            (Route::Order, 0) => {
                json!({ "kind": "custom", "t": t, "name": "purchase", "value": (rng.range(25.0, 600.0) * 100.0).round() / 100.0,
                "attributes": { "currency": "EUR", "items": 1 + rng.below(5), "payment_method": rng.pick(&["card", "paypal", "apple_pay"]) } })
            }
            (Route::Checkout, 0) => {
                json!({ "kind": "custom", "t": t, "name": "checkout_step", "value": 1 + rng.below(3),
                "attributes": { "step": rng.pick(&["shipping", "payment", "review"]) } })
            }
            _ => {
                json!({ "kind": "custom", "t": t, "name": "render_complete", "value": ms(rng.log_normal(40.0 * self.cpu(), 0.5)) })
            }
        };
        self.push(event);
    }
}

/// The API calls a route makes: `(method, url, first party)`.
fn api_call(rng: &mut Rng, view: &View, n: usize) -> (&'static str, String, bool) {
    let id = 1000 + rng.below(4000);
    let calls: [(&str, String); 2] = match view.route {
        Route::Home => [("GET", "/api/recommendations?slot=home".into()), ("GET", "/api/banners?locale=en".into())],
        Route::Product => [("GET", format!("/api/products/{id}")), ("POST", "/api/cart/items".into())],
        Route::Category => [
            ("GET", format!("/api/categories/{}/products?page={}", rng.pick(&["shoes", "sale"]), 1 + rng.below(4))),
            ("GET", "/api/facets".into()),
        ],
        Route::Search => [("GET", "/api/search?q=trail+shoes".into()), ("GET", "/api/suggest?q=tr".into())],
        Route::Cart => [("GET", "/api/cart".into()), ("PATCH", format!("/api/cart/items/{id}"))],
        Route::Checkout => [("POST", "/api/checkout/shipping".into()), ("POST", "/api/checkout/payment".into())],
        Route::Order => [("GET", format!("/api/orders/{}", rng.uuid())), ("GET", "/api/shipping/status".into())],
        Route::Account => [("GET", "/api/me".into()), ("GET", "/api/orders?page=1".into())],
    };
    if n % 3 == 2 {
        let url =
            format!("https://region1.google-analytics.com/g/collect?v=2&tid=G-8XK2M4Q7LP&cid={}", rng.below(1 << 31));
        return ("POST", url, false);
    }
    let (method, path) = &calls[n % 3 % 2];
    (method, format!("{ORIGIN}{path}"), true)
}

/// `(readable name, CSS selector)` of something clicked on a route.
fn click_target(rng: &mut Rng, route: Route) -> (&'static str, &'static str) {
    let targets: &[(&str, &str)] = match route {
        Route::Home => &[
            ("Shop now", "main > section.hero > a.cta"),
            ("Search", "header > form.search > button"),
            ("Menu", "header > button.nav-toggle"),
        ],
        Route::Product => &[
            ("Add to cart", "form.buy-box > button#add-to-cart"),
            ("Size 42", "div.size-picker > button.size"),
            ("Next image", "div.gallery > button.next"),
        ],
        Route::Category => &[
            ("Filter: color", "aside.filters > details.color > summary"),
            ("Sort", "div.toolbar > select#sort"),
            ("Load more", "main > button.load-more"),
        ],
        Route::Search => &[("Search", "header > form.search > button"), ("Result", "ul.results > li > a.product-link")],
        Route::Cart => &[
            ("Checkout", "aside.summary > a.checkout-cta"),
            ("Remove", "ul.lines > li > button.remove"),
            ("Apply coupon", "form.coupon > button"),
        ],
        Route::Checkout => &[
            ("Place order", "form#checkout > button#place-order"),
            ("Continue to payment", "form#checkout > button.next-step"),
        ],
        Route::Order => {
            &[("Track package", "section.order > a.track"), ("Continue shopping", "section.order > a.continue")]
        }
        Route::Account => &[("Orders", "nav.account > a.orders"), ("Sign out", "nav.account > button.sign-out")],
    };
    rng.pick(targets)
}

fn lcp_element(route: Route) -> &'static str {
    match route {
        Route::Product => "main > section.product-detail > div.gallery > picture > img.hero-image",
        Route::Home => "main > section.hero > img.hero-banner",
        Route::Category | Route::Search => "main > ul.grid > li:nth-child(1) > img.thumb",
        _ => "main > h1",
    }
}

/// The image that is the LCP element, on the pages whose LCP is an image.
fn lcp_image(view: &View) -> Option<String> {
    match view.route {
        Route::Product => {
            let id = view.url.rsplit('/').next().and_then(|tail| tail.split('?').next()).unwrap_or("1000");
            Some(format!("https://cdn.example.com/img/{id}-hero.avif"))
        }
        Route::Home => Some("https://cdn.example.com/img/banner-spring.avif".into()),
        Route::Category | Route::Search => Some("https://cdn.example.com/img/grid-first.avif".into()),
        _ => None,
    }
}

fn shift_target(route: Route) -> &'static str {
    match route {
        Route::Category => "main > ul.grid",
        Route::Product => "main > section.reviews",
        _ => "body > div.cookie-banner",
    }
}

/// The agent drops what it does not know rather than sending `null`.
pub fn without_nulls(value: &mut Value) {
    if let Value::Object(fields) = value {
        fields.retain(|_, v| !v.is_null());
        fields.values_mut().for_each(without_nulls);
    }
}
