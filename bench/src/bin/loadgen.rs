//! `loadgen`: realistic load for a running Sightline server.
//!
//! Posts the beacons of a simulated population (see `sightline_bench::population`) to
//! `POST /ingest/v1/{key}` at a target rate, over keep-alive HTTP/1.1 connections, on an
//! open-loop schedule, and reports what the server answered and how fast:
//!
//! `loadgen --url http://127.0.0.1:8080 --key pk_… --rate 5000 --duration 30s --seed 7`
//!
//! With `--out FILE` (or `--dry-run`) it writes (or only counts) the beacons instead of
//! posting them, e.g. a week of demo data. `docs/load-generator.md` has every flag.

use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sightline_bench::population::post::{self, PostOptions, Progress, Rate, Report, quantile};
use sightline_bench::population::{GeneratedBeacon, Part, Population, PopulationOptions};

/// Beacons per session on average when the agent flushes per page (measured: `--dry-run`).
const BEACONS_PER_SESSION: f64 = 3.6;
/// Events per session on average.
const EVENTS_PER_SESSION: f64 = 70.0;

const USAGE: &str = "usage: loadgen --key KEY [--url URL] [--rate EVENTS/S | --beacon-rate BEACONS/S]
               [--duration 30s] [--beacons N] [--concurrency 64] [--gzip] [--pregenerate] [--seed N]
               [--events-per-beacon N] [--window 7d] [--now EPOCH_MS] [--sessions N]
               [--no-daily] [--no-sent-at] [--timeout 10s] [--progress] [--allow-errors]
       loadgen --out FILE|- [--beacons N] [population flags]      write JSON lines
       loadgen --dry-run [--beacons N] [population flags]         generate and count only";

#[derive(Debug)]
struct Args {
    url: String,
    key: Option<String>,
    rate: Rate,
    duration: Duration,
    beacons: Option<u64>,
    concurrency: usize,
    gzip: bool,
    pregenerate: bool,
    seed: u64,
    events_per_beacon: Option<usize>,
    window: Option<Duration>,
    now_ms: Option<i64>,
    sessions: Option<u64>,
    daily: bool,
    sent_at: bool,
    timeout: Duration,
    progress: bool,
    allow_errors: bool,
    dry_run: bool,
    out: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: "http://127.0.0.1:8080".into(),
        key: None,
        rate: Rate::EventsPerSecond(2_000.0),
        duration: Duration::from_secs(10),
        beacons: None,
        concurrency: 64,
        gzip: false,
        pregenerate: false,
        seed: 1,
        events_per_beacon: None,
        window: None,
        now_ms: None,
        sessions: None,
        daily: true,
        sent_at: true,
        timeout: Duration::from_secs(10),
        progress: false,
        allow_errors: false,
        dry_run: false,
        out: None,
    };
    let mut input = std::env::args().skip(1);
    while let Some(flag) = input.next() {
        let mut value = || input.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value()?,
            "--key" => args.key = Some(value()?),
            "--key-file" => {
                let path = value()?;
                let key = std::fs::read_to_string(&path).map_err(|error| format!("cannot read {path}: {error}"))?;
                args.key = Some(key.trim().to_owned());
            }
            "--rate" => args.rate = Rate::EventsPerSecond(number(&flag, &value()?)?),
            "--beacon-rate" => args.rate = Rate::BeaconsPerSecond(number(&flag, &value()?)?),
            "--duration" => args.duration = duration(&flag, &value()?)?,
            "--beacons" => args.beacons = Some(number(&flag, &value()?)?),
            "--concurrency" => args.concurrency = number::<usize>(&flag, &value()?)?.max(1),
            "--gzip" => args.gzip = true,
            "--pregenerate" => args.pregenerate = true,
            "--seed" => args.seed = number(&flag, &value()?)?,
            "--events-per-beacon" => args.events_per_beacon = Some(number(&flag, &value()?)?),
            "--window" => args.window = Some(duration(&flag, &value()?)?),
            "--now" => args.now_ms = Some(number(&flag, &value()?)?),
            "--sessions" => args.sessions = Some(number(&flag, &value()?)?),
            "--no-daily" => args.daily = false,
            "--no-sent-at" => args.sent_at = false,
            "--timeout" => args.timeout = duration(&flag, &value()?)?,
            "--progress" => args.progress = true,
            "--allow-errors" => args.allow_errors = true,
            "--dry-run" => args.dry_run = true,
            "--out" => args.out = Some(value()?),
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.key.is_none() && args.out.is_none() && !args.dry_run {
        return Err(format!("--key is needed to post (or --out FILE / --dry-run to only generate)\n{USAGE}"));
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.replace('_', "").parse().map_err(|_| format!("{flag}: {text:?} is not a valid number"))
}

/// `250ms`, `30s`, `5m`, `2h`, `7d`, or plain seconds.
fn duration(flag: &str, text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (amount, unit) = text.split_at(split);
    let amount: f64 = number(flag, amount)?;
    let seconds = match unit {
        "ms" => amount / 1000.0,
        "" | "s" => amount,
        "m" => amount * 60.0,
        "h" => amount * 3600.0,
        "d" => amount * 86_400.0,
        _ => return Err(format!("{flag}: {text:?}: use ms, s, m, h or d")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{flag}: {text:?} is not a valid duration"))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let options = population_options(&args);
    if let Err(message) = options.validate() {
        eprintln!("{message}");
        return ExitCode::from(2);
    }
    let result = if args.out.is_some() || args.dry_run { generate(&args, options) } else { post_all(&args, options) };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("loadgen: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The population to simulate: by default an hour (posting) or a week (writing) of
/// sessions ending now, as many as the run needs (posting) or 1000 (writing). Posted
/// beacons land at their receive time anyway: the server corrects times by `sent_at`.
fn population_options(args: &Args) -> PopulationOptions {
    let posting = args.out.is_none() && !args.dry_run;
    let wall_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let window = args.window.unwrap_or(Duration::from_secs(if posting { 3_600 } else { 7 * 86_400 }));
    let now_ms = args.now_ms.unwrap_or(wall_ms);
    let beacons_per_session = args.events_per_beacon.map_or(BEACONS_PER_SESSION, |n| EVENTS_PER_SESSION / n as f64);
    let wanted_beacons = match (args.beacons, posting, args.rate) {
        (Some(beacons), _, _) => beacons as f64,
        (None, false, _) => 1_000.0 * beacons_per_session,
        (None, true, Rate::BeaconsPerSecond(rate)) => rate * args.duration.as_secs_f64(),
        (None, true, Rate::EventsPerSecond(rate)) => {
            rate * args.duration.as_secs_f64() * beacons_per_session / EVENTS_PER_SESSION
        }
    };
    PopulationOptions {
        now_ms,
        window_ms: window.as_millis().max(1) as i64,
        // A few more than needed: sessions still going on at `now` are cut short.
        sessions: args.sessions.unwrap_or((wanted_beacons * 1.05 / beacons_per_session).ceil().max(1.0) as u64),
        events_per_beacon: args.events_per_beacon,
        daily_pattern: args.daily,
        sent_at: args.sent_at,
        part: Part::WHOLE,
    }
}

/// Endless beacons: the population of `seed`, then of `seed + 1`, … (each a new window of
/// sessions), so a run never starves.
fn endless(seed: u64, options: PopulationOptions) -> impl Iterator<Item = GeneratedBeacon> + Send + 'static {
    (0..).map_while(move |round| Population::new(seed.wrapping_add(round), options).ok()).flatten()
}

/// `--out` and `--dry-run`: the beacons as JSON lines (or nowhere), as fast as they come.
fn generate(args: &Args, options: PopulationOptions) -> Result<ExitCode, String> {
    let started = Instant::now();
    let population = Population::new(args.seed, options)?;
    let mut sink: Option<Box<dyn Write>> = match args.out.as_deref() {
        None => None,
        Some("-") => Some(Box::new(BufWriter::new(std::io::stdout().lock()))),
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|error| format!("cannot create {path}: {error}"))?;
            Some(Box::new(BufWriter::new(file)))
        }
    };
    let (mut beacons, mut events, mut bytes, mut sessions) = (0u64, 0u64, 0u64, 0u64);
    for beacon in population.take(args.beacons.map_or(usize::MAX, |n| n as usize)) {
        beacons += 1;
        events += beacon.events as u64;
        bytes += beacon.body.len() as u64;
        sessions = sessions.max(beacon.session + 1);
        if let Some(out) = sink.as_mut() {
            write_line(out, &beacon).map_err(|error| format!("writing: {error}"))?;
        }
    }
    if let Some(mut out) = sink {
        out.flush().map_err(|error| format!("writing: {error}"))?;
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "loadgen: {beacons} beacons, {events} events ({:.1} per beacon), {:.1} MB of JSON from {sessions} sessions \
         ({:.2} beacons and {:.1} events per session) over {:.1} h ending at {}; generated in {seconds:.2} s \
         ({:.0} beacons/s, {:.0} events/s)",
        events as f64 / beacons.max(1) as f64,
        bytes as f64 / 1e6,
        beacons as f64 / sessions.max(1) as f64,
        events as f64 / sessions.max(1) as f64,
        options.window_ms as f64 / 3.6e6,
        options.now_ms,
        beacons as f64 / seconds,
        events as f64 / seconds,
    );
    Ok(ExitCode::SUCCESS)
}

/// One JSON line: the receive-time hint, the request headers and the beacon itself.
fn write_line(out: &mut dyn Write, beacon: &GeneratedBeacon) -> std::io::Result<()> {
    let headers: serde_json::Map<String, serde_json::Value> =
        beacon.headers().into_iter().map(|(name, value)| (name.to_owned(), value.into())).collect();
    write!(
        out,
        "{{\"received_at_ms\":{},\"headers\":{},\"beacon\":",
        beacon.received_at_ms,
        serde_json::Value::Object(headers)
    )?;
    out.write_all(&beacon.body)?;
    out.write_all(b"}\n")
}

fn post_all(args: &Args, options: PopulationOptions) -> Result<ExitCode, String> {
    let post_options = PostOptions {
        url: args.url.clone(),
        key: args.key.clone().unwrap_or_default(),
        rate: args.rate,
        duration: args.duration,
        max_beacons: args.beacons,
        concurrency: args.concurrency,
        gzip: args.gzip,
        timeout: args.timeout,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the runtime: {error}"))?;
    let pregenerated = args.pregenerate.then(|| {
        let started = Instant::now();
        let pregenerated = post::pregenerate(&post_options, endless(args.seed, options));
        let (beacons, events, took) = (pregenerated.beacons(), pregenerated.events(), started.elapsed());
        eprintln!("loadgen: {beacons} beacons ({events} events) generated in {took:.1?}; posting…");
        pregenerated
    });
    let progress = Arc::new(Progress::default());
    let report = runtime.block_on(async {
        let ticker = args.progress.then(|| tokio::spawn(print_progress(Arc::clone(&progress))));
        let report = match pregenerated {
            Some(pregenerated) => post::run_pregenerated(&post_options, pregenerated, progress).await,
            None => post::run(&post_options, endless(args.seed, options), progress).await,
        };
        if let Some(ticker) = ticker {
            ticker.abort();
        }
        report
    })?;
    print_report(args, &options, &report).map_err(|error| format!("writing the report: {error}"))?;
    Ok(if report.all_accepted() || args.allow_errors { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn print_progress(progress: Arc<Progress>) {
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut last = (0, 0);
    loop {
        tick.tick().await;
        let (sent, events) = (progress.sent.load(Ordering::Relaxed), progress.events.load(Ordering::Relaxed));
        let (accepted, failed) = (progress.accepted.load(Ordering::Relaxed), progress.failed.load(Ordering::Relaxed));
        eprintln!(
            "{:>5.0}s  sent {sent:>8}  {:>7} beacons/s  {:>8} events/s  202 {accepted:>8}  other {failed:>5}  in flight {:>4}",
            started.elapsed().as_secs_f64(),
            sent - last.0,
            events - last.1,
            sent.saturating_sub(accepted + failed),
        );
        last = (sent, events);
    }
}

fn print_report(args: &Args, options: &PopulationOptions, report: &Report) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let target = match args.rate {
        Rate::EventsPerSecond(rate) => format!("{rate} events/s"),
        Rate::BeaconsPerSecond(rate) => format!("{rate} beacons/s"),
    };
    writeln!(
        out,
        "loadgen: {} for {:?}{}, target {target}, {} in flight at most, {}, seed {}, {} sessions per window",
        args.url,
        args.duration,
        args.beacons.map_or(String::new(), |n| format!(" or {n} beacons")),
        args.concurrency,
        if args.gzip { "gzip" } else { "plain JSON" },
        args.seed,
        options.sessions,
    )?;
    writeln!(
        out,
        "sent      {} beacons, {} events, {:.1} MB",
        report.sent,
        report.events_sent,
        report.bytes_sent as f64 / 1e6
    )?;
    writeln!(
        out,
        "accepted  {} (202): {} events stored, {} dropped by the server",
        report.accepted, report.events_stored, report.events_dropped
    )?;
    let rejected: Vec<String> = report.rejected.iter().map(|(status, n)| format!("{status}: {n}")).collect();
    writeln!(out, "rejected  {}", if rejected.is_empty() { "none".into() } else { rejected.join(", ") })?;
    writeln!(
        out,
        "errors    {}{}",
        report.errors,
        if report.error_samples.is_empty() {
            String::new()
        } else {
            format!(" (first: {})", report.error_samples.join("; "))
        }
    )?;
    writeln!(
        out,
        "achieved  {:.0} events/s, {:.1} beacons/s over {:.2} s; {} beacons went out more than 10 ms late",
        report.events_per_second(),
        report.beacons_per_second(),
        report.elapsed.as_secs_f64(),
        report.late
    )?;
    for (name, sorted, note) in [
        ("latency", &report.latencies, "due time to answer: includes waiting for a free slot"),
        ("service", &report.service_times, "request start to answer"),
    ] {
        let at = |p| quantile(sorted, p).as_secs_f64() * 1000.0;
        writeln!(
            out,
            "{name}   p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({note})",
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
        )?;
    }
    Ok(())
}
