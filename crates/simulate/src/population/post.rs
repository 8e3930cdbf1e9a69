//! Posting beacons over HTTP at a target rate: the engine of the `loadgen` binary.
//!
//! The schedule is open-loop: beacon `n` is due at a fixed time computed from the rate,
//! whatever happened to the ones before, and its latency is measured from that time. A
//! slow server therefore shows up as latency (and as beacons sent late), not as a quietly
//! lower rate. In-flight requests are bounded by `concurrency`: when all are busy the
//! next beacon waits for one, and that wait counts in its latency.
//!
//! Beacons are generated (and gzipped) on a thread of their own, ahead of the schedule —
//! or, with [`pregenerate`] and [`run_pregenerated`], all of them before the clock starts, so that on a small machine
//! the generator does not compete with the server for CPU during the run — and posted over HTTP/1.1 keep-alive connections (hyper's pooled client, at most one
//! connection per in-flight request). The run stops at the duration (or after the number
//! of beacons); requests still in flight then get their timeout to finish.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use super::GeneratedBeacon;

/// How fast to post.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// Events per second (a beacon of 20 events takes 20 events' time).
    EventsPerSecond(f64),
    /// Beacons per second.
    BeaconsPerSecond(f64),
}

/// Where and how to post.
#[derive(Debug, Clone)]
pub struct PostOptions {
    /// Base URL of the server, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// The project's ingest key.
    pub key: String,
    /// Target rate.
    pub rate: Rate,
    /// Stop scheduling after this long.
    pub duration: Duration,
    /// Stop after this many beacons.
    pub max_beacons: Option<u64>,
    /// Requests in flight at most (and connections open).
    pub concurrency: usize,
    /// Send bodies gzipped (`Content-Encoding: gzip`).
    pub gzip: bool,
    /// Give up on a request after this long (counted as an error).
    pub timeout: Duration,
}

/// What a run did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Beacons posted (a request was started).
    pub sent: u64,
    /// Events in them.
    pub events_sent: u64,
    /// Bytes of bodies posted (compressed when gzip).
    pub bytes_sent: u64,
    /// Answered 202.
    pub accepted: u64,
    /// Events the 202 answers said were stored, and dropped.
    pub events_stored: u64,
    /// See `events_stored`.
    pub events_dropped: u64,
    /// Answers other than 202, by status.
    pub rejected: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection failures, timeouts, unfinished at the stop).
    pub errors: u64,
    /// The first few errors, for the report.
    pub error_samples: Vec<String>,
    /// Beacons that started more than 10 ms after their due time (the server or the
    /// generator could not keep up).
    pub late: u64,
    /// Time over which beacons were sent: from the start to the due time after the last
    /// beacon (or to its start, when it went out late). Rates are over this time.
    pub elapsed: Duration,
    /// Due time to answer, per answered request, sorted.
    pub latencies: Vec<Duration>,
    /// Request start to answer, per answered request, sorted.
    pub service_times: Vec<Duration>,
}

impl Report {
    /// True when every request was answered 202.
    pub fn all_accepted(&self) -> bool {
        self.errors == 0 && self.rejected.is_empty() && self.accepted == self.sent
    }

    /// Beacons per second over the run.
    pub fn beacons_per_second(&self) -> f64 {
        self.sent as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Events per second over the run.
    pub fn events_per_second(&self) -> f64 {
        self.events_sent as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The `p`-quantile (0–1) of sorted durations, nearest rank; zero for none.
pub fn quantile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Counters read by the progress callback while the run goes on.
#[derive(Debug, Default)]
pub struct Progress {
    /// Beacons posted.
    pub sent: AtomicU64,
    /// Events in them.
    pub events: AtomicU64,
    /// Answered 202.
    pub accepted: AtomicU64,
    /// Not answered 202.
    pub failed: AtomicU64,
}

/// A beacon ready to go: body and headers.
#[derive(Debug)]
struct Prepared {
    body: Bytes,
    headers: Vec<(&'static str, String)>,
    events: usize,
}

impl Prepared {
    fn new(beacon: &GeneratedBeacon, gzip: bool) -> Self {
        let body = if gzip { beacon.gzip() } else { beacon.body.clone() };
        Self { body: Bytes::from(body), headers: beacon.headers(), events: beacon.events }
    }
}

/// What became of one request.
struct Outcome {
    status: Result<u16, String>,
    stored_dropped: (u64, u64),
    latency: Duration,
    service: Duration,
}

/// Posts `beacons` as `options` say, generating them on a thread of their own as the run
/// goes. `progress` is updated as the run goes; the caller may read it from another task
/// (the binary prints it every second).
pub async fn run(
    options: &PostOptions,
    beacons: impl Iterator<Item = GeneratedBeacon> + Send + 'static,
    progress: Arc<Progress>,
) -> Result<Report, String> {
    let client = Poster::new(options)?;
    let queue = spawn_generator(beacons.take(beacon_limit(options)), options.gzip, client.concurrency * 4);
    post_queue(options, &client, queue, progress).await
}

/// Every beacon of a run, generated and compressed before it starts.
#[derive(Debug)]
pub struct Pregenerated {
    beacons: Vec<Prepared>,
    events: usize,
}

impl Pregenerated {
    /// Beacons prepared.
    pub fn beacons(&self) -> usize {
        self.beacons.len()
    }

    /// Events in them.
    pub fn events(&self) -> usize {
        self.events
    }
}

/// Generates (on this thread) and compresses (on all CPUs) as many of `beacons` as a run
/// with `options` can post, so that the run itself spends no CPU on them: on a small
/// machine the generator then does not compete with the server. Needs memory for the
/// whole run's bodies.
pub fn pregenerate(options: &PostOptions, beacons: impl Iterator<Item = GeneratedBeacon>) -> Pregenerated {
    let budget = RunBudget { rate: options.rate, duration: options.duration, beacons: beacon_limit(options) };
    let mut generated = Vec::new();
    let mut events = 0;
    for beacon in beacons {
        if budget.filled(generated.len(), events) {
            break;
        }
        events += beacon.events;
        generated.push(beacon);
    }
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = generated.len().div_ceil(threads).max(1);
    let gzip = options.gzip;
    let beacons = std::thread::scope(|scope| {
        let workers: Vec<_> = generated
            .chunks(chunk)
            .map(|beacons| {
                scope.spawn(move || beacons.iter().map(|beacon| Prepared::new(beacon, gzip)).collect::<Vec<_>>())
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().expect("preparing a beacon cannot panic")).collect()
    });
    Pregenerated { beacons, events }
}

/// Posts beacons made by [`pregenerate`] as `options` say (the same options).
pub async fn run_pregenerated(
    options: &PostOptions,
    pregenerated: Pregenerated,
    progress: Arc<Progress>,
) -> Result<Report, String> {
    let client = Poster::new(options)?;
    let queue = spawn_feeder(pregenerated.beacons, client.concurrency * 4);
    post_queue(options, &client, queue, progress).await
}

fn beacon_limit(options: &PostOptions) -> usize {
    options.max_beacons.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// The HTTP client of a run and what it posts to.
struct Poster {
    uri: hyper::Uri,
    per_second: f64,
    concurrency: usize,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Poster {
    fn new(options: &PostOptions) -> Result<Self, String> {
        let endpoint = format!("{}/ingest/v1/{}", options.url.trim_end_matches('/'), options.key);
        let uri: hyper::Uri = endpoint.parse().map_err(|error| format!("invalid URL {endpoint:?}: {error}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("{endpoint}: only http:// URLs are supported"));
        }
        let per_second = match options.rate {
            Rate::EventsPerSecond(rate) | Rate::BeaconsPerSecond(rate) if rate.is_finite() && rate > 0.0 => rate,
            _ => return Err("the rate must be a positive number".into()),
        };
        let concurrency = options.concurrency.max(1);
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(concurrency).build(connector);
        Ok(Self { uri, per_second, concurrency, client })
    }
}

/// The open-loop schedule over the beacons `queue` hands over.
async fn post_queue(
    options: &PostOptions,
    poster: &Poster,
    mut queue: mpsc::Receiver<Prepared>,
    progress: Arc<Progress>,
) -> Result<Report, String> {
    let Poster { uri, per_second, concurrency, client } = poster;
    let (per_second, concurrency) = (*per_second, *concurrency);
    let in_flight = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    let mut report = Report::default();
    let started = Instant::now();
    let deadline = started + options.duration;
    let mut due = started;
    let mut last_send = started;
    while let Some(beacon) = queue.recv().await {
        if due >= deadline {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        let permit = tokio::select! {
            permit = Arc::clone(&in_flight).acquire_owned() => permit.map_err(|_| "the semaphore closed".to_owned())?,
            () = tokio::time::sleep_until(deadline.into()) => break,
        };
        let send_time = Instant::now();
        last_send = send_time;
        if send_time.duration_since(due) > Duration::from_millis(10) {
            report.late += 1;
        }
        report.sent += 1;
        report.events_sent += beacon.events as u64;
        report.bytes_sent += beacon.body.len() as u64;
        progress.sent.fetch_add(1, Ordering::Relaxed);
        progress.events.fetch_add(beacon.events as u64, Ordering::Relaxed);
        let request = build_request(uri, beacon.body, &beacon.headers, options.gzip)?;
        let (client, progress, timeout, scheduled) = (client.clone(), Arc::clone(&progress), options.timeout, due);
        tasks.spawn(async move {
            let status = match tokio::time::timeout(timeout, send(&client, request)).await {
                Ok(result) => result,
                Err(_) => Err(format!("no answer within {timeout:?}")),
            };
            drop(permit);
            let answered = Instant::now();
            let counter = if matches!(status, Ok((202, _))) { &progress.accepted } else { &progress.failed };
            counter.fetch_add(1, Ordering::Relaxed);
            Outcome {
                stored_dropped: status.as_ref().map_or((0, 0), |(_, counts)| *counts),
                status: status.map(|(code, _)| code),
                latency: answered.duration_since(scheduled),
                service: answered.duration_since(send_time),
            }
        });
        while let Some(done) = tasks.try_join_next() {
            record(&mut report, done);
        }
        let step = match options.rate {
            Rate::EventsPerSecond(_) => beacon.events.max(1) as f64 / per_second,
            Rate::BeaconsPerSecond(_) => 1.0 / per_second,
        };
        due += Duration::from_secs_f64(step);
    }
    drop(queue);
    // In-flight requests finish within their timeout; the deadline only stops new ones.
    while let Some(done) = tasks.join_next().await {
        record(&mut report, done);
    }
    report.elapsed = due.max(last_send).duration_since(started).max(Duration::from_millis(1));
    report.latencies.sort_unstable();
    report.service_times.sort_unstable();
    Ok(report)
}

fn record(report: &mut Report, done: Result<Outcome, tokio::task::JoinError>) {
    let outcome = match done {
        Ok(outcome) => outcome,
        Err(error) => {
            report.errors += 1;
            push_sample(report, format!("request task failed: {error}"));
            return;
        }
    };
    match outcome.status {
        Ok(202) => {
            report.accepted += 1;
            report.events_stored += outcome.stored_dropped.0;
            report.events_dropped += outcome.stored_dropped.1;
        }
        Ok(status) => *report.rejected.entry(status).or_default() += 1,
        Err(error) => {
            report.errors += 1;
            push_sample(report, error);
            return;
        }
    }
    report.latencies.push(outcome.latency);
    report.service_times.push(outcome.service);
}

fn push_sample(report: &mut Report, error: String) {
    if report.error_samples.len() < 5 {
        report.error_samples.push(error);
    }
}

fn build_request(
    uri: &hyper::Uri,
    body: Bytes,
    headers: &[(&'static str, String)],
    gzip: bool,
) -> Result<Request<Full<Bytes>>, String> {
    let mut builder = Request::post(uri.clone());
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    if gzip {
        builder = builder.header("content-encoding", "gzip");
    }
    builder.body(Full::new(body)).map_err(|error| format!("cannot build the request: {error}"))
}

/// Posts one request: the status and, for a 202, the `accepted`/`dropped` counts of its body.
async fn send(
    client: &Client<HttpConnector, Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> Result<(u16, (u64, u64)), String> {
    let response = client.request(request).await.map_err(|error| match std::error::Error::source(&error) {
        Some(cause) => format!("request failed: {error}: {cause}"),
        None => format!("request failed: {error}"),
    })?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.map_err(|error| format!("reading the answer: {error}"))?;
    let counts = serde_json::from_slice::<serde_json::Value>(&body.to_bytes())
        .ok()
        .map(|answer| (answer["accepted"].as_u64().unwrap_or(0), answer["dropped"].as_u64().unwrap_or(0)))
        .unwrap_or_default();
    Ok((status, counts))
}

/// Generates (and compresses) beacons on a thread of their own, a bounded queue ahead.
fn spawn_generator(
    beacons: impl Iterator<Item = GeneratedBeacon> + Send + 'static,
    gzip: bool,
    ahead: usize,
) -> mpsc::Receiver<Prepared> {
    let (sender, receiver) = mpsc::channel(ahead.max(1));
    std::thread::spawn(move || {
        for beacon in beacons {
            if sender.blocking_send(Prepared::new(&beacon, gzip)).is_err() {
                return;
            }
        }
    });
    receiver
}

/// Hands beacons prepared before the run to it, a bounded queue ahead.
fn spawn_feeder(prepared: Vec<Prepared>, ahead: usize) -> mpsc::Receiver<Prepared> {
    let (sender, receiver) = mpsc::channel(ahead.max(1));
    std::thread::spawn(move || {
        for beacon in prepared {
            if sender.blocking_send(beacon).is_err() {
                return;
            }
        }
    });
    receiver
}

/// How many beacons a run can post at most.
#[derive(Debug, Clone, Copy)]
struct RunBudget {
    rate: Rate,
    duration: Duration,
    beacons: usize,
}

impl RunBudget {
    /// True when `beacons` beacons holding `events` events fill the run (a beacon's share
    /// of the schedule is its events at an events rate, one slot at a beacons rate).
    fn filled(&self, beacons: usize, events: usize) -> bool {
        let seconds = self.duration.as_secs_f64();
        beacons >= self.beacons
            || match self.rate {
                Rate::EventsPerSecond(rate) => events as f64 >= rate * seconds,
                Rate::BeaconsPerSecond(rate) => beacons as f64 >= rate * seconds,
            }
    }
}

#[cfg(test)]
mod tests;
