//! One simulated visit: who the visitor is (country, browser, network, release, user), the
//! pages they see and when, and how their events are cut into beacons. Planning is cheap
//! and keeps no event: the events of a beacon are generated when it is due (see
//! [`super::events`]), from a stream of random numbers of their own view.

use std::net::{IpAddr, Ipv4Addr};

use super::rng::{Rng, ms};
use super::stories::{self, Scenario};
use super::world::{
    self, CAMPAIGN_SHARE, CAMPAIGNS, CATEGORIES, CONSENT, CONTINUE_SHARE, COUNTRIES, Country, DESKTOP_BROWSERS,
    DWELL_MS, ENVIRONMENTS, ERROR_VIEW_SHARE, ERRORS, ErrorKind, FIRST_NAVIGATION, HARD_NAVIGATION_SHARE, LANDING,
    LOAD_SIGMA, MAX_VIEWS, MOBILE_BROWSERS, MOBILE_CPU_FACTOR, NETWORKS, NEXT, NetworkClass, PRODUCTS, QUERIES,
    REFERRERS, ROUTES, Release, Route, SAVE_DATA_SHARE, SIGNED_IN_SHARE, SLOW_TAIL, STRAGGLER_SHARE, TTFB_MEDIAN_MS,
};
use crate::browsers::{BROWSERS, Browser};

/// The shop's origin.
pub const ORIGIN: &str = "https://shop.example.com";

/// Longest time on one page, ms (also keeps every duration within the protocol's range).
const MAX_DWELL_MS: f64 = 600_000.0;

/// Shortest time on one page, ms.
const MIN_DWELL_MS: f64 = 3_000.0;

/// The stories a session is part of: the scenario and the window `[start, now)`, epoch ms.
#[derive(Debug, Clone, Copy)]
pub struct Story {
    /// The population's scenario.
    pub scenario: Scenario,
    /// The population's window.
    pub window: (f64, f64),
}

/// A planned session.
#[derive(Debug)]
pub struct Session {
    /// Its stories.
    pub story: Story,
    /// When it starts, epoch ms.
    pub start_ms: f64,
    /// Position in the population (arrival order).
    pub index: u64,
    /// Seed of the per-view random streams.
    pub seed: u64,
    /// `context.session_id`.
    pub id: String,
    /// Where the visitor is.
    pub country: &'static Country,
    /// What they browse with.
    pub browser: &'static Browser,
    /// Their network class.
    pub network: &'static NetworkClass,
    /// `rtt_ms`, `downlink_mbps` and `save_data`.
    pub connection: (f64, f64, bool),
    /// Multiplier of network-bound times (country × network).
    pub latency_factor: f64,
    /// Multiplier of CPU-bound times (phones are slower).
    pub cpu_factor: f64,
    /// `context.release`.
    pub release: &'static str,
    /// `context.environment`.
    pub environment: &'static str,
    /// `context.user`: id and plan.
    pub user: Option<(String, &'static str)>,
    /// `context.consent`.
    pub consent: &'static str,
    /// The visitor's address (RFC 2544 benchmarking range), for `X-Forwarded-For`.
    pub client_ip: IpAddr,
    /// Viewport and screen, CSS px.
    pub viewport: (u32, u32, u32, u32),
    /// `device.memory_gb` (Chromium only) and `device.cores`.
    pub device: (Option<f64>, u32),
    /// An A/B experiment arm (`context.attributes.experiment`).
    pub experiment: &'static str,
    /// `document.referrer` of the landing page.
    pub referrer: Option<&'static str>,
    /// The pages, in order.
    pub views: Vec<View>,
    /// The beacons, in order.
    pub batches: Vec<Batch>,
}

/// One page of a session.
#[derive(Debug)]
pub struct View {
    /// `view_id`: the session id and the view's position in the session, as the agent
    /// makes it (`<session id>.0`, `.1`, …).
    pub id: String,
    /// The page.
    pub route: Route,
    /// Its URL.
    pub url: String,
    /// `view_name`, for the pages the application names.
    pub name: Option<&'static str>,
    /// `navigation_type`.
    pub navigation: &'static str,
    /// Epoch ms of its document's `performance.timeOrigin`.
    pub time_origin: f64,
    /// Document timeline of the view: shown at `start`, left at `end`.
    pub start: f64,
    /// See `start`.
    pub end: f64,
    /// For a page load: its milestones.
    pub load: Option<LoadTimes>,
    /// How many events of each kind it has.
    pub counts: Counts,
    /// Index of its first event among the session's events.
    pub first_event: usize,
    /// Which document of the session it belongs to (each full page load starts one).
    pub document: u32,
}

/// Milestones of a page load, ms on the document's timeline, consistent with each other:
/// TTFB < FCP ≤ LCP, and the navigation phases add up to the TTFB.
#[derive(Debug, Clone, Copy)]
pub struct LoadTimes {
    /// `redirect`, `waiting` (service worker, cache), `dns`, `connect` and `request`: they add up to `ttfb`.
    pub phases: [f64; 5],
    /// Time to first byte.
    pub ttfb: f64,
    /// Document download.
    pub response: f64,
    /// `domInteractive`.
    pub dom_interactive: f64,
    /// `domContentLoadedEventEnd`.
    pub dom_content_loaded: f64,
    /// `loadEventEnd`.
    pub load: f64,
    /// First contentful paint.
    pub fcp: f64,
    /// Largest contentful paint.
    pub lcp: f64,
}

/// Events of a view by kind (the `view` event itself is always there).
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Vitals: 4 on a page load (TTFB, FCP, LCP, CLS), 1 (CLS) on a route change, +1 INP with interactions.
    pub vitals: usize,
    /// Resource summaries.
    pub resources: usize,
    /// fetch/XHR requests.
    pub requests: usize,
    /// Long animation frames.
    pub long_frames: usize,
    /// Clicks and taps.
    pub actions: usize,
    /// The error, when the view has one.
    pub error: Option<&'static ErrorKind>,
    /// Custom events.
    pub customs: usize,
    /// Extra custom events that fill the last beacon in fixed-size mode.
    pub filler: usize,
}

impl Counts {
    /// Events of the view, the `view` event included.
    pub fn total(&self) -> usize {
        1 + self.vitals
            + self.resources
            + self.requests
            + self.long_frames
            + self.actions
            + usize::from(self.error.is_some())
            + self.customs
            + self.filler
    }
}

/// One beacon: the session's events `[from, to)`, sent at `sent_at` (epoch ms).
#[derive(Debug, Clone, Copy)]
pub struct Batch {
    /// First event (session-wide index).
    pub from: usize,
    /// One past the last event.
    pub to: usize,
    /// When the agent sends it, epoch ms.
    pub sent_at: f64,
}

impl Session {
    /// Plans session `index`, starting at `start_ms` (epoch) with a visitor from `country`,
    /// `window_position` (0–1) being where the start lies in the time window (for releases).
    pub fn plan(
        seed: u64,
        index: u64,
        start_ms: f64,
        country: &'static Country,
        window_position: f64,
        events_per_beacon: Option<usize>,
        story: Story,
    ) -> Self {
        let mut rng = Rng::stream(seed, index);
        let mobile = rng.chance(country.mobile_share);
        let table: &[(&str, f64)] = if mobile { &MOBILE_BROWSERS } else { &DESKTOP_BROWSERS };
        let label = table[rng.weighted(table.iter().map(|(_, w)| *w))].0;
        let browser = BROWSERS.iter().find(|b| b.label == label).unwrap_or(&BROWSERS[0]);
        let network = if rng.chance(country.slow_network_share) {
            &NETWORKS[rng.weighted(NETWORKS.iter().map(|n| n.weight_when_slow))]
        } else {
            &NETWORKS[0]
        };
        let rtt = (rng.range(network.rtt_ms.0, network.rtt_ms.1) / 25.0).round() * 25.0;
        let downlink = (rng.range(network.downlink_mbps.0, network.downlink_mbps.1) * 40.0).round() / 40.0;
        let save_data = rng.chance(if network.effective_type == "4g" { SAVE_DATA_SHARE.0 } else { SAVE_DATA_SHARE.1 });
        let viewport = match (browser.mobile, browser.label) {
            (_, "safari-ipad") => (820, 1106, 820, 1180),
            (true, "safari-iphone") => (390, 664, 390, 844),
            (true, _) => rng.pick(&[(412, 780, 412, 915), (360, 668, 360, 780)]),
            (false, _) => rng.pick(&[(1512, 823, 1512, 982), (1920, 955, 1920, 1080), (1366, 657, 1366, 768)]),
        };
        let memory = browser.has_client_hints().then(|| rng.pick(&[2.0, 4.0, 8.0]));
        let cores = rng.pick(&[4, 6, 8, 8, 10, 12]);
        let release = pick_release(&mut rng, window_position, stories::releases(story.scenario));
        let environment = ENVIRONMENTS[rng.weighted(ENVIRONMENTS.iter().map(|(_, w)| *w))].0;
        let user = rng
            .chance(SIGNED_IN_SHARE)
            .then(|| (format!("u_{}", 10_000 + rng.below(190_000)), rng.pick(&["free", "plus", "pro"])));
        let consent = CONSENT[rng.weighted(CONSENT.iter().map(|(_, w)| *w))].0;
        let ip = Ipv4Addr::new(198, 18 + rng.below(2) as u8, rng.below(256) as u8, 1 + rng.below(254) as u8);
        let referrer = REFERRERS[rng.weighted(REFERRERS.iter().map(|(_, w)| *w))].0;
        let mut session = Self {
            story,
            start_ms,
            index,
            seed: rng.next_u64(),
            id: rng.hex(32),
            country,
            browser,
            network,
            connection: (rtt, downlink, save_data),
            latency_factor: country.latency_factor * network.latency_factor,
            cpu_factor: if browser.mobile { MOBILE_CPU_FACTOR } else { 1.0 },
            release,
            environment,
            user,
            consent,
            client_ip: IpAddr::V4(ip),
            viewport,
            device: (memory, cores),
            experiment: rng.pick(&["checkout_a", "checkout_b"]),
            referrer,
            views: Vec::new(),
            batches: Vec::new(),
        };
        session.plan_views(&mut rng, start_ms);
        session.plan_batches(&mut rng, events_per_beacon);
        session
    }

    /// Events of the whole session.
    pub fn total_events(&self) -> usize {
        self.views.last().map_or(0, |view| view.first_event + view.counts.total())
    }

    /// The view holding session-wide event `index`.
    pub fn view_of(&self, index: usize) -> usize {
        self.views.partition_point(|view| view.first_event <= index).saturating_sub(1)
    }

    fn plan_views(&mut self, rng: &mut Rng, start_ms: f64) {
        let count = rng.geometric(CONTINUE_SHARE, MAX_VIEWS);
        let mut route = ROUTES[rng.weighted(LANDING)];
        let (mut clock, mut origin, mut t, mut document, mut first_event) = (start_ms, start_ms, 0.0, 0, 0);
        for position in 0..count {
            if position > 0 {
                route = ROUTES[rng.weighted(NEXT[route as usize])];
            }
            let hard = position == 0 || route == Route::Checkout || rng.chance(HARD_NAVIGATION_SHARE);
            let navigation = match (position, hard) {
                (0, _) => FIRST_NAVIGATION[rng.weighted(FIRST_NAVIGATION.iter().map(|(_, w)| *w))].0,
                (_, true) => "navigate",
                (_, false) => "route_change",
            };
            if hard && position > 0 {
                document += 1;
                origin = clock + rng.range(1.0, 40.0);
                t = 0.0;
            }
            let load = hard.then(|| self.load_times(rng, route));
            let dwell = rng.log_normal(DWELL_MS.0, DWELL_MS.1).clamp(MIN_DWELL_MS, MAX_DWELL_MS);
            let start = t;
            let end = load.map_or(start + dwell, |load| (start + dwell).max(load.load.max(load.lcp) + 1_500.0));
            let counts = self.counts(rng, route, hard);
            // Drawn where a random view id used to be, so the rest of the population stays as it was.
            rng.hex(32);
            self.views.push(View {
                id: format!("{}.{position}", self.id),
                route,
                url: self.url(rng, route, position == 0),
                name: (route == Route::Checkout).then_some("checkout"),
                navigation,
                time_origin: origin,
                start,
                end: ms(end),
                load,
                counts,
                first_event,
                document,
            });
            first_event += counts.total();
            t = ms(end);
            clock = origin + t;
        }
    }

    /// A page's URL: ids, slugs and queries vary, campaigns only on landing pages.
    fn url(&self, rng: &mut Rng, route: Route, landing: bool) -> String {
        let path = match route {
            Route::Home => "/".to_owned(),
            Route::Product => format!("/products/{}", 1000 + (PRODUCTS as f64 * rng.unit().powi(3)) as u64),
            Route::Category => format!("/category/{}", rng.pick(&CATEGORIES)),
            Route::Search => format!("/search?q={}", rng.pick(&QUERIES)),
            Route::Cart => "/cart".to_owned(),
            Route::Checkout => "/checkout".to_owned(),
            Route::Order => format!("/orders/{}", rng.uuid()),
            Route::Account => "/account".to_owned(),
        };
        if !(landing && rng.chance(CAMPAIGN_SHARE)) {
            return format!("{ORIGIN}{path}");
        }
        let (source, medium) = rng.pick(&CAMPAIGNS);
        let separator = if path.contains('?') { '&' } else { '?' };
        format!("{ORIGIN}{path}{separator}utm_source={source}&utm_medium={medium}&utm_campaign=spring_sale")
    }

    /// Milestones of a page load on this visitor's device and network.
    fn load_times(&self, rng: &mut Rng, route: Route) -> LoadTimes {
        let net = self.latency_factor;
        let cpu = self.cpu_factor;
        let tail = if rng.chance(SLOW_TAIL.0) { SLOW_TAIL.1 } else { 1.0 };
        let redirect = if rng.chance(0.08) { rng.log_normal(60.0 * net, 0.5) } else { 0.0 };
        let waiting = rng.range(0.5, 8.0);
        let dns = if rng.chance(0.5) { rng.log_normal(20.0 * net, 0.6) } else { 0.0 };
        let connect = if rng.chance(0.7) { rng.log_normal(45.0 * net, 0.5) } else { 0.0 };
        let cdn = stories::ttfb_factor(self.story.scenario, self.country.code, self.start_ms, self.story.window);
        let request = rng.log_normal(TTFB_MEDIAN_MS * 0.6 * net, LOAD_SIGMA) * tail * cdn;
        let phases = [redirect, waiting, dns, connect, request].map(ms);
        let ttfb = phases.iter().sum::<f64>();
        let response = ms(rng.log_normal(35.0 * net, 0.6));
        let dom_interactive = ms(ttfb + response + rng.log_normal(380.0 * cpu, 0.5));
        let dom_content_loaded = ms(dom_interactive + rng.range(5.0, 120.0) * cpu);
        let load = ms(dom_content_loaded + rng.log_normal(650.0 * net, 0.6));
        let regression =
            if route == Route::Product { stories::product_lcp_factor(self.story.scenario, self.release) } else { 1.0 };
        let median = (world::lcp_median_ms(route) - TTFB_MEDIAN_MS) * (0.5 * net + 0.5 * cpu) * regression;
        let after_first_byte = (rng.log_normal(median, LOAD_SIGMA) * tail).min(500_000.0);
        let lcp = ms(ttfb + after_first_byte);
        let fcp = ms(ttfb + after_first_byte * rng.range(0.35, 1.0)).min(lcp);
        LoadTimes { phases, ttfb, response, dom_interactive, dom_content_loaded, load, fcp, lcp }
    }

    /// How many events of each kind a view has.
    fn counts(&self, rng: &mut Rng, route: Route, hard: bool) -> Counts {
        let actions = if rng.chance(0.25) { 0 } else { 1 + rng.below(4) as usize };
        let bad = route == Route::Product
            && stories::product_error_share(self.story.scenario, self.release).is_some_and(|share| rng.chance(share));
        let slow = self.network.effective_type != "4g";
        let error = if bad {
            Some(&world::BAD_RELEASE_ERROR)
        } else if rng.chance(ERROR_VIEW_SHARE) {
            // Chunks fail to load three times as often on slow networks.
            let weights =
                ERRORS.iter().map(|e| if slow && e.error_type == "ChunkLoadError" { e.weight * 3.0 } else { e.weight });
            Some(&ERRORS[rng.weighted(weights)])
        } else {
            None
        };
        Counts {
            vitals: if hard { 4 } else { 1 } + usize::from(actions > 0),
            resources: if hard { 6 + rng.below(8) } else { 3 + rng.below(5) } as usize,
            requests: if hard { 2 + rng.below(5) } else { 3 + rng.below(6) } as usize,
            long_frames: usize::from(rng.chance(if hard { 0.5 } else { 0.2 })) + usize::from(rng.chance(0.1)),
            actions,
            error,
            customs: rng.below(4) as usize,
            filler: 0,
        }
    }

    /// Cuts the events into beacons. Without a fixed size, the agent flushes when a view
    /// ends; on an SPA route change that flush happens just after the new view started, so
    /// it carries the new view's `view` event and the old view's events name their view.
    /// With a fixed size, every beacon has exactly that many events (the last view gets
    /// filler events to make the count come out even).
    fn plan_batches(&mut self, rng: &mut Rng, events_per_beacon: Option<usize>) {
        let mut bounds = Vec::new();
        match events_per_beacon {
            Some(size) => {
                let remainder = self.total_events() % size;
                if remainder != 0
                    && let Some(last) = self.views.last_mut()
                {
                    last.counts.filler = size - remainder;
                }
                bounds.extend((size..=self.total_events()).step_by(size));
            }
            None => {
                for (position, view) in self.views.iter().enumerate() {
                    let end = view.first_event + view.counts.total();
                    let next_is_soft = self.views.get(position + 1).is_some_and(|next| next.document == view.document);
                    bounds.push(if next_is_soft { end + 1 } else { end });
                }
            }
        }
        let mut from = 0;
        for to in bounds {
            if to <= from {
                continue;
            }
            // Never before the previous beacon: the agent sends in order.
            let previous = self.batches.last().map_or(0.0, |batch| batch.sent_at + 1.0);
            let sent_at = (self.flush_time(from, to) + rng.range(5.0, 80.0)).max(previous);
            self.batches.push(Batch { from, to, sent_at: ms(sent_at) });
            from = to;
        }
    }

    /// The epoch time by which every event of `[from, to)` has happened: the end of each
    /// view with events in the range, or the start of one that only contributes its `view` event.
    fn flush_time(&self, from: usize, to: usize) -> f64 {
        let mut time: f64 = 0.0;
        for view in &self.views[self.view_of(from)..=self.view_of(to - 1)] {
            let only_view_event = to - 1 == view.first_event;
            let t = if only_view_event { view.start } else { view.end };
            time = time.max(view.time_origin + t);
        }
        time
    }
}

/// The release a session starting at `position` (0–1 through the window) runs.
fn pick_release(rng: &mut Rng, position: f64, releases: &'static [Release]) -> &'static str {
    let current = releases.iter().rposition(|release| release.deployed_at <= position).unwrap_or(0);
    let index = if current > 0 && rng.chance(STRAGGLER_SHARE) { current - 1 } else { current };
    releases[index].version
}

/// A country for a session starting at epoch `time_ms`: by weight, times the local time of day
/// when `daily` is on.
pub fn pick_country(rng: &mut Rng, time_ms: f64, daily: bool) -> &'static Country {
    let index = rng.weighted(COUNTRIES.iter().map(|country| country_weight(country, time_ms, daily)));
    &COUNTRIES[index]
}

/// A country's share of traffic at `time_ms`.
pub fn country_weight(country: &Country, time_ms: f64, daily: bool) -> f64 {
    if !daily {
        return country.weight;
    }
    let hours = time_ms / 3_600_000.0 + country.utc_offset_hours;
    country.weight * world::DAILY_TRAFFIC[hours.rem_euclid(24.0) as usize % 24]
}
