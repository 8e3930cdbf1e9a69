//! A simulated population of shoppers, as realistic load: sessions from twenty countries,
//! on real browsers and networks, running one of three releases, browsing a shop page by
//! page, each page reported by the browser agent as it would be. Used by the `loadgen`
//! binary (HTTP load), the demo data and the store and query benchmarks.
//!
//! The same seed and options always give the same beacons, byte for byte: the random
//! numbers come from [`rng`] (SplitMix64, written out here), one stream per session and
//! per view, so a session's beacons do not depend on what else is simulated.
//!
//! How a beacon comes to be:
//!
//! 1. `Arrivals` draws session start times over the window `[now − window, now)`, in
//!    order, with the traffic of each hour following the visitors' local time of day
//!    ([`world::DAILY_TRAFFIC`]), and the visitor's country given the hour.
//! 2. `session::Session::plan` decides the visitor (browser, network, release, user), the
//!    pages they see and for how long, how many events each page has, and how the events
//!    are cut into beacons and when each is sent. Nothing is generated yet.
//! 3. [`Population`] keeps the planned sessions in a queue ordered by the send time of
//!    their next beacon, so beacons come out in time order across sessions; when a beacon
//!    is due, `events::view_events` generates the events of its views and the beacon is
//!    serialized. A beacon that would be sent after `now` ends its session (it is still
//!    going on).
//!
//! The distributions are the documented constants of [`world`]; `docs/load-generator.md`
//! tells the story they make.

mod events;
pub mod post;
mod rng;
mod session;
pub mod stories;
#[cfg(test)]
mod tests;
pub mod world;

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io::Write as _;
use std::net::IpAddr;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use sightline_ingest::{ProjectConfig, RequestMeta};
use sightline_protocol::{EventKind, GeoInfo};

use self::rng::Rng;
use self::session::{Session, pick_country};
use self::stories::Scenario;
use crate::browsers::Browser;

/// The protocol's cap on events per beacon.
pub const MAX_EVENTS_PER_BEACON: usize = 500;

/// Agent name and version in every beacon.
const AGENT: (&str, &str) = ("sightline-browser", "0.4.2");

/// 2026-01-08 00:00 UTC: the default end of the window, fixed so runs are reproducible.
pub const DEFAULT_NOW_MS: i64 = 1_767_830_400_000;

const HOUR_MS: f64 = 3_600_000.0;
const DAY_MS: i64 = 86_400_000;

/// Longest window: a year (the hourly traffic table is kept in memory).
const MAX_WINDOW_MS: i64 = 366 * DAY_MS;

/// The project the population's beacons are processed for: the shop's hosts, its campaign
/// and paging parameters, two route patterns, default caps.
pub fn shop_project() -> ProjectConfig {
    ProjectConfig {
        id: "shop".into(),
        name: "Shop".into(),
        ingest_key: "pk_bench_0123456789".into(),
        allowed_origins: vec![session::ORIGIN.into()],
        allowed_hosts: vec!["shop.example.com".into(), "*.shop.example.com".into()],
        query_allowlist: vec!["utm_*".into(), "page".into()],
        route_patterns: vec!["/blog/:slug".into(), "/help/*".into()],
        ..ProjectConfig::default()
    }
}

/// What to simulate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PopulationOptions {
    /// End of the simulated time, epoch ms: no beacon is sent after it.
    pub now_ms: i64,
    /// Length of the window before `now_ms` in which sessions start, ms.
    pub window_ms: i64,
    /// Sessions started over the window.
    pub sessions: u64,
    /// Exactly this many events in every beacon (benchmarks), or `None` for the agent's
    /// own rhythm: a beacon when a page is left, about 20 events.
    pub events_per_beacon: Option<usize>,
    /// Traffic follows the visitors' local time of day; off, it is flat.
    pub daily_pattern: bool,
    /// Write `sent_at` (as the agent does). Without it, the server keeps the device times
    /// as they are (within its 24-hour bound) instead of shifting them to its receive time.
    pub sent_at: bool,
    /// The part of the population to simulate: a long load in parts, one after another.
    pub part: Part,
}

/// One of `parts` equal shares of a population's sessions, in start order: the
/// `index`-th holds sessions `sessions × index / parts` up to the next share's first, and
/// their starts lie in the `index`-th share of the window's traffic. The parts of a
/// population together are a population like the whole one (the same sessions per hour,
/// releases and stories), not the same beacons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Which part, from 0.
    pub index: u64,
    /// How many parts.
    pub parts: u64,
}

impl Part {
    /// The whole population.
    pub const WHOLE: Self = Self { index: 0, parts: 1 };
}

impl Default for PopulationOptions {
    /// A week of 10 000 sessions ending at [`DEFAULT_NOW_MS`].
    fn default() -> Self {
        Self {
            now_ms: DEFAULT_NOW_MS,
            window_ms: 7 * DAY_MS,
            sessions: 10_000,
            events_per_beacon: None,
            daily_pattern: true,
            sent_at: true,
            part: Part::WHOLE,
        }
    }
}

impl PopulationOptions {
    /// Checks the options; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_WINDOW_MS).contains(&self.window_ms) {
            return Err(format!("the window must be between 1 ms and 366 days, got {} ms", self.window_ms));
        }
        if self.now_ms < 1_000_000_000_000 + self.window_ms {
            return Err(format!("now ({} ms) must be an epoch time in ms after 2001 plus the window", self.now_ms));
        }
        if self.part.index >= self.part.parts {
            return Err(format!("part {} of {} does not exist: parts count from 0", self.part.index, self.part.parts));
        }
        if let Some(size) = self.events_per_beacon
            && !(1..=MAX_EVENTS_PER_BEACON).contains(&size)
        {
            return Err(format!("events per beacon must be between 1 and {MAX_EVENTS_PER_BEACON}, got {size}"));
        }
        Ok(())
    }
}

/// One beacon, ready to post or to feed to the pipeline.
#[derive(Debug, Clone)]
pub struct GeneratedBeacon {
    /// The JSON body.
    pub body: Vec<u8>,
    /// Events in it.
    pub events: usize,
    /// When the agent sent it (`sent_at`), epoch ms.
    pub sent_at_ms: f64,
    /// When a server would receive it (`sent_at` plus the network's transit), epoch ms:
    /// the `received_at_ms` to use when feeding the pipeline directly.
    pub received_at_ms: i64,
    /// The session's position in the population.
    pub session: u64,
    /// The browser that sent it.
    pub browser: &'static Browser,
    /// The visitor's country, ISO 3166-1 alpha-2 (sent as `CF-IPCountry`).
    pub country: &'static str,
    /// The visitor's address (RFC 2544 range 198.18.0.0/15, sent as `X-Forwarded-For`).
    pub client_ip: IpAddr,
    /// The location a CDN would report (the country).
    pub geo: GeoInfo,
    sec_ch_ua: Option<String>,
    sec_ch_ua_platform: Option<String>,
}

impl GeneratedBeacon {
    /// The request headers a browser behind a CDN would send, lower-case names.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("content-type", "text/plain;charset=UTF-8".to_owned()),
            ("user-agent", self.browser.user_agent.to_owned()),
            ("origin", session::ORIGIN.to_owned()),
            ("cf-ipcountry", self.country.to_owned()),
            ("x-forwarded-for", self.client_ip.to_string()),
        ];
        if let Some(brands) = &self.sec_ch_ua {
            headers.push(("sec-ch-ua", brands.clone()));
            headers.push(("sec-ch-ua-mobile", if self.browser.mobile { "?1" } else { "?0" }.to_owned()));
        }
        if let Some(platform) = &self.sec_ch_ua_platform {
            headers.push(("sec-ch-ua-platform", platform.clone()));
        }
        headers
    }

    /// What the server would know about the request, with the CDN's country trusted.
    pub fn request(&self) -> RequestMeta<'_> {
        RequestMeta {
            received_at_ms: self.received_at_ms,
            client_ip: Some(self.client_ip),
            user_agent: self.browser.user_agent,
            hint_headers: self.browser.hint_headers(self.sec_ch_ua.as_deref(), self.sec_ch_ua_platform.as_deref()),
            cdn_geo: Some(&self.geo),
            do_not_track: false,
        }
    }

    /// The body gzipped, as `CompressionStream('gzip')` would send it.
    pub fn gzip(&self) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::with_capacity(self.body.len() / 4), Compression::default());
        encoder.write_all(&self.body).expect("writing to memory cannot fail");
        encoder.finish().expect("writing to memory cannot fail")
    }
}

/// The simulated population: an iterator over its beacons in send order.
#[derive(Debug)]
pub struct Population {
    seed: u64,
    options: PopulationOptions,
    arrivals: Arrivals,
    next_arrival: Option<Arrival>,
    due: BinaryHeap<Due>,
    scenario: Scenario,
    kinds: Vec<EventKind>,
}

impl Population {
    /// The population of `seed`; the options are checked first.
    pub fn new(seed: u64, options: PopulationOptions) -> Result<Self, String> {
        options.validate()?;
        let mut arrivals = Arrivals::new(seed, &options);
        let next_arrival = arrivals.next();
        let due = BinaryHeap::new();
        Ok(Self { seed, options, arrivals, next_arrival, due, scenario: Scenario::Plain, kinds: Vec::new() })
    }

    /// The same population telling the stories of `scenario` (the demo's; [`stories`]).
    pub fn with_scenario(mut self, scenario: Scenario) -> Self {
        self.scenario = scenario;
        self
    }

    /// The same population with only the events of `kinds` in its beacons (every kind when
    /// empty): the sessions, their timing and the kept events are as before, and a loader
    /// that keeps a few kinds neither serializes nor parses the others. A beacon may then
    /// carry no events.
    pub fn with_kinds(mut self, kinds: &[EventKind]) -> Self {
        self.kinds = kinds.to_vec();
        self
    }

    fn keeps(&self, event: &Value) -> bool {
        self.kinds.is_empty()
            || event["kind"].as_str().is_some_and(|kind| self.kinds.iter().any(|kept| kept.as_str() == kind))
    }

    fn admit(&mut self, arrival: Arrival) {
        let session = Session::plan(
            self.seed,
            arrival.index,
            arrival.time_ms,
            arrival.country,
            arrival.position,
            self.options.events_per_beacon,
            session::Story {
                scenario: self.scenario,
                window: ((self.options.now_ms - self.options.window_ms) as f64, self.options.now_ms as f64),
            },
        );
        if let Some(first) = session.batches.first() {
            self.due.push(Due { sent_at: first.sent_at, batch: 0, session: Box::new(session) });
        }
    }

    fn beacon(&self, session: &Session, batch: usize) -> GeneratedBeacon {
        let batch = session.batches[batch];
        let current = &session.views[session.view_of(batch.to - 1)];
        let mut events = Vec::with_capacity(batch.to - batch.from);
        for index in session.view_of(batch.from)..=session.view_of(batch.to - 1) {
            let view = &session.views[index];
            let upto = (batch.to - view.first_event).min(view.counts.total());
            let skip = batch.from.saturating_sub(view.first_event);
            for mut event in events::view_events(session, index, upto).into_iter().skip(skip) {
                if !self.keeps(&event) {
                    continue;
                }
                if view.id != current.id {
                    event["view_id"] = json!(view.id);
                    event["view_url"] = json!(view.url);
                    if let Some(name) = view.name {
                        event["view_name"] = json!(name);
                    }
                }
                if view.document != current.document
                    && let Value::Object(fields) = &mut event
                    && let Some(t) = fields.remove("t").and_then(|t| t.as_f64())
                {
                    // Another document's timeline: the agent sends epoch time instead.
                    fields.insert("ts".into(), json!(rng::ms(view.time_origin + t)));
                }
                events.push(event);
            }
        }
        let mut context = json!({
            "agent": { "name": AGENT.0, "version": AGENT.1 },
            "session_id": session.id,
            "view_id": current.id,
            "url": current.url,
            "view_name": current.name,
            "referrer": if current.document == 0 { session.referrer } else { Some(session::ORIGIN) },
            "viewport": { "width": session.viewport.0, "height": session.viewport.1 },
            "screen": { "width": session.viewport.2, "height": session.viewport.3 },
            "device": { "memory_gb": session.device.0, "cores": session.device.1 },
            "client_hints": session.browser.client_hints_json(),
            "release": session.release,
            "environment": session.environment,
            "user": session.user.as_ref().map(|(id, plan)| json!({ "id": id, "attributes": { "plan": plan } })),
            "attributes": { "experiment": session.experiment, "locale": session.country.locale, "logged_in": session.user.is_some() },
            "consent": session.consent,
            "sample_rate": 1,
            "sampling_reason": "sampled",
            "time_origin": current.time_origin,
        });
        // Safari and Firefox have no Network Information API.
        if session.browser.has_client_hints() {
            let (rtt, downlink, save_data) = session.connection;
            context["connection"] = json!({ "effective_type": session.network.effective_type, "rtt_ms": rtt,
                "downlink_mbps": downlink, "save_data": save_data,
                "connection_type": if session.browser.mobile { "cellular" } else { "wifi" } });
        }
        events::without_nulls(&mut context);
        let mut beacon = json!({ "v": 1, "context": context, "events": events });
        if self.options.sent_at {
            beacon["sent_at"] = json!(batch.sent_at);
        }
        let events = beacon["events"].as_array().map_or(0, Vec::len);
        let body = crate::agent_json(beacon);
        let transit = 20.0 + session.connection.0 * 1.5;
        GeneratedBeacon {
            body,
            events,
            sent_at_ms: batch.sent_at,
            received_at_ms: (batch.sent_at + transit) as i64,
            session: session.index,
            browser: session.browser,
            country: session.country.code,
            client_ip: session.client_ip,
            geo: GeoInfo { country: Some(session.country.code.to_owned()), ..GeoInfo::default() },
            sec_ch_ua: session.browser.sec_ch_ua(),
            sec_ch_ua_platform: session.browser.sec_ch_ua_platform(),
        }
    }
}

impl Iterator for Population {
    type Item = GeneratedBeacon;

    fn next(&mut self) -> Option<GeneratedBeacon> {
        loop {
            // A session's first beacon is sent after it starts, so a session that starts
            // before the earliest due beacon must be planned before that beacon goes out.
            let arrival_first = match (&self.next_arrival, self.due.peek()) {
                (Some(arrival), Some(due)) => arrival.time_ms <= due.sent_at,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if arrival_first {
                let arrival = self.next_arrival.take().expect("checked above");
                self.next_arrival = self.arrivals.next();
                self.admit(arrival);
                continue;
            }
            let due = self.due.pop()?;
            if due.sent_at > self.options.now_ms as f64 {
                continue;
            }
            let beacon = self.beacon(&due.session, due.batch);
            let next = due.batch + 1;
            if let Some(batch) = due.session.batches.get(next) {
                self.due.push(Due { sent_at: batch.sent_at, batch: next, session: due.session });
            }
            return Some(beacon);
        }
    }
}

/// A session's next beacon, ordered so that the heap pops the earliest (then the lowest session).
#[derive(Debug)]
struct Due {
    sent_at: f64,
    batch: usize,
    session: Box<Session>,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    fn cmp(&self, other: &Self) -> Ordering {
        other.sent_at.total_cmp(&self.sent_at).then_with(|| other.session.index.cmp(&self.session.index))
    }
}

/// A session about to start.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    index: u64,
    time_ms: f64,
    position: f64,
    country: &'static world::Country,
}

/// Session start times over the window, drawn in increasing order: sorted uniforms
/// (each the minimum of the ones left) mapped through the hourly traffic curve. A part of
/// the population draws its sessions' uniforms within its share of `[0, 1)`, from its own
/// stream.
#[derive(Debug)]
struct Arrivals {
    rng: Rng,
    start_ms: f64,
    window_ms: f64,
    daily: bool,
    /// Cumulative traffic at the end of each hour of the window.
    cumulative: Vec<f64>,
    /// The index after the part's last session.
    end: u64,
    issued: u64,
    /// The part's share of `[0, 1)`: where it starts and how wide it is.
    share: (f64, f64),
    /// The last sorted uniform drawn, within the part's share (0–1).
    position: f64,
}

impl Arrivals {
    fn new(seed: u64, options: &PopulationOptions) -> Self {
        let start_ms = (options.now_ms - options.window_ms) as f64;
        let window_ms = options.window_ms as f64;
        let hours = (window_ms / HOUR_MS).ceil() as usize;
        let mut cumulative = Vec::with_capacity(hours);
        let mut sum = 0.0;
        for hour in 0..hours {
            let from = start_ms + hour as f64 * HOUR_MS;
            let length = (start_ms + window_ms - from).min(HOUR_MS);
            let middle = from + length / 2.0;
            let traffic: f64 =
                world::COUNTRIES.iter().map(|c| session::country_weight(c, middle, options.daily_pattern)).sum();
            sum += traffic * length;
            cumulative.push(sum);
        }
        let Part { index, parts } = options.part;
        let first_of = |part: u64| (u128::from(options.sessions) * u128::from(part) / u128::from(parts)) as u64;
        Self {
            rng: Rng::stream(seed, u64::MAX - index),
            start_ms,
            window_ms,
            daily: options.daily_pattern,
            cumulative,
            end: first_of(index + 1),
            issued: first_of(index),
            share: (index as f64 / parts as f64, 1.0 / parts as f64),
            position: 0.0,
        }
    }

    fn next(&mut self) -> Option<Arrival> {
        if self.issued >= self.end {
            return None;
        }
        let left = (self.end - self.issued) as f64;
        self.position = 1.0 - (1.0 - self.position) * (1.0 - self.rng.unit()).powf(1.0 / left);
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = (self.share.0 + self.position * self.share.1) * total;
        let hour = self.cumulative.partition_point(|c| *c <= target).min(self.cumulative.len() - 1);
        let before = if hour == 0 { 0.0 } else { self.cumulative[hour - 1] };
        let from = hour as f64 * HOUR_MS;
        let length = (self.window_ms - from).min(HOUR_MS);
        let share =
            if self.cumulative[hour] > before { (target - before) / (self.cumulative[hour] - before) } else { 0.0 };
        let offset = (from + share * length).min(self.window_ms - 1.0);
        let time_ms = self.start_ms + offset;
        let country = pick_country(&mut self.rng, time_ms, self.daily);
        let index = self.issued;
        self.issued += 1;
        Some(Arrival { index, time_ms, position: offset / self.window_ms, country })
    }
}
