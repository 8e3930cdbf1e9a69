//! The store's ingest benchmark: the real `sightline serve`, measured from outside over
//! loopback HTTP, every `202` a durable acknowledgement (the WAL was fsynced).
//!
//! 1. Starts the release binary on a free loopback port with a temporary data directory
//!    and a generated configuration that lets one machine make realistic load: the
//!    loopback address is a trusted proxy (each simulated visitor sends its own
//!    `X-Forwarded-For`), CDN country headers are trusted, and the benchmark's project has
//!    no rate limit. The store keeps its default flush settings.
//! 2. **Half rate**: posts the population's beacons (20 events each, gzipped like the
//!    agent's `CompressionStream`) at half of `--rate` events/s for `--half-duration`,
//!    open-loop (see `sightline_bench::population::post`), and samples the server's CPU
//!    time and memory: the acknowledgement latency target, at a steady state that includes
//!    the store's flushes and merges (a flush every 10 s at this rate). It runs first,
//!    so that it measures that steady state and not the catching up after an overload.
//!    The beacons are generated and compressed before the phase's clock starts, so that
//!    on a 2-CPU machine the generator does not take the server's CPU (`--live-generator`
//!    generates them during the run instead, as `loadgen` does by default).
//! 3. **Sustained**: the same at `--rate` for `--duration`, for the throughput target.
//! 4. Reads `/metrics`, stops the server with SIGTERM (the graceful stop flushes the
//!    store), and reads the manifest: rows and Parquet bytes per event kind.
//!
//! It prints the figures next to the targets with a verdict each, and exits 0 whatever the
//! verdicts, 1 when the run itself failed. `--smoke` is a tiny run that proves it works
//! (the bench crate's test runs it against the debug binary). `make bench-server` runs it
//! in full; `docs/benchmarks.md` has the flags and the figures measured.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sightline_bench::population::post::{self, PostOptions, Progress, Rate, Report, quantile};
use sightline_bench::population::{GeneratedBeacon, Part, Population, PopulationOptions};
use sightline_bench::server_process::{self, Sample, Sampler, Server};

/// Events in every beacon, as the agent sends about when a page is left.
const EVENTS_PER_BEACON: usize = 20;
/// Events per simulated session on average (`loadgen --dry-run`).
const EVENTS_PER_SESSION: f64 = 70.0;
/// The targets of the store issue.
const TARGET_RATE: f64 = 100_000.0;
/// The phases' names, in the order they run.
const HALF_RATE: &str = "half rate";
const SUSTAINED: &str = "sustained";
const TARGET_HALF_RATE_P99: Duration = Duration::from_millis(50);
const TARGET_VITAL_BYTES: f64 = 30.0;
/// RSS counts as not growing when the second half of the sustained phase peaks at most
/// this much above the first half.
const RSS_GROWTH_ALLOWED: f64 = 0.10;
/// The benchmark project's id and ingest key.
const PROJECT: &str = "bench";
const INGEST_KEY: &str = "pk_ingest_server_bench";

const USAGE: &str = "usage: ingest-server-bench [--binary target/release/sightline] [--data-dir DIR] [--keep]
                           [--rate 100000] [--duration 30s] [--half-duration 30s] [--concurrency 64]
                           [--no-gzip] [--live-generator] [--flush-interval 60s] [--seed 1] [--long] [--smoke]";

#[derive(Debug, Clone)]
struct Args {
    binary: PathBuf,
    data_dir: Option<PathBuf>,
    keep: bool,
    rate: f64,
    duration: Duration,
    half_duration: Duration,
    concurrency: usize,
    gzip: bool,
    pregenerate: bool,
    flush_interval: Option<String>,
    seed: u64,
    long: bool,
    smoke: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        binary: PathBuf::from("target/release/sightline"),
        data_dir: None,
        keep: false,
        rate: TARGET_RATE,
        duration: Duration::from_secs(30),
        half_duration: Duration::from_secs(30),
        concurrency: 64,
        gzip: true,
        pregenerate: true,
        flush_interval: None,
        seed: 1,
        long: false,
        smoke: false,
    };
    let (mut rate, mut duration, mut half_duration, mut concurrency) = (None, None, None, None);
    let mut input = std::env::args().skip(1);
    while let Some(flag) = input.next() {
        let mut value = || input.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--binary" => args.binary = PathBuf::from(value()?),
            "--data-dir" => args.data_dir = Some(PathBuf::from(value()?)),
            "--keep" => args.keep = true,
            "--rate" => rate = Some(number::<f64>(&flag, &value()?)?),
            "--duration" => duration = Some(parse_duration(&flag, &value()?)?),
            "--half-duration" => half_duration = Some(parse_duration(&flag, &value()?)?),
            "--concurrency" => concurrency = Some(number::<usize>(&flag, &value()?)?.max(1)),
            "--no-gzip" => args.gzip = false,
            "--live-generator" => args.pregenerate = false,
            "--flush-interval" => {
                let interval = value()?;
                if interval.is_empty() || !interval.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(format!("--flush-interval: {interval:?} is not a duration like 10s or 5m"));
                }
                args.flush_interval = Some(interval);
            }
            "--seed" => args.seed = number(&flag, &value()?)?,
            "--long" => args.long = true,
            "--smoke" => args.smoke = true,
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.smoke {
        (args.rate, args.duration, args.half_duration, args.concurrency) =
            (2_000.0, Duration::from_secs(2), Duration::from_secs(2), 8);
    }
    if args.long {
        (args.duration, args.half_duration) = (args.duration * 3, args.half_duration * 3);
    }
    args.rate = rate.unwrap_or(args.rate);
    args.duration = duration.unwrap_or(args.duration);
    args.half_duration = half_duration.unwrap_or(args.half_duration);
    args.concurrency = concurrency.unwrap_or(args.concurrency);
    if !(args.rate.is_finite() && args.rate >= 2.0) {
        return Err(format!("--rate must be at least 2 events/s, got {}", args.rate));
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.replace('_', "").parse().map_err(|_| format!("{flag}: {text:?} is not a valid number"))
}

/// `500ms`, `30s`, `2m`, or plain seconds.
fn parse_duration(flag: &str, text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (amount, unit) = text.split_at(split);
    let amount: f64 = number(flag, amount)?;
    let seconds = match unit {
        "ms" => amount / 1000.0,
        "" | "s" => amount,
        "m" => amount * 60.0,
        _ => return Err(format!("{flag}: {text:?}: use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{flag}: {text:?} is not a valid duration"))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    if !args.binary.is_file() {
        eprintln!(
            "ingest-server-bench: no sightline binary at {}: build it first with \
             `cargo build --release -p sightline-cli` (or pass --binary PATH)",
            args.binary.display()
        );
        return ExitCode::FAILURE;
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("ingest-server-bench: smoke run: not every beacon was acknowledged and stored");
            ExitCode::FAILURE
        }
        Err(message) => {
            eprintln!("ingest-server-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// What one load phase measured.
#[derive(Debug)]
struct Phase {
    name: &'static str,
    rate: f64,
    duration: Duration,
    report: Report,
    started: Instant,
    ended: Instant,
    /// CPU seconds of the server and of this process during the phase.
    server_cpu: f64,
    bench_cpu: f64,
}

impl Phase {
    fn wall(&self) -> f64 {
        self.ended.duration_since(self.started).as_secs_f64().max(1e-9)
    }
}

/// What the store holds after the stop.
#[derive(Debug, Default)]
struct Stored {
    /// Per event kind: files, rows, bytes.
    kinds: BTreeMap<String, (u64, u64, u64)>,
    wal_segments: u64,
    wal_bytes: u64,
}

impl Stored {
    fn rows(&self) -> u64 {
        self.kinds.values().map(|(_, rows, _)| rows).sum()
    }
}

/// Everything the report shows.
#[derive(Debug)]
struct Run<'a> {
    args: &'a Args,
    data_dir: PathBuf,
    address: String,
    key_source: &'static str,
    clock: (f64, bool),
    phases: Vec<Phase>,
    samples: Vec<Sample>,
    metrics: String,
    stop_took: Duration,
    stored: Stored,
}

/// The whole run; `Ok(false)` when a smoke run saw a beacon not acknowledged or not stored.
fn run(args: &Args) -> Result<bool, String> {
    let temp = match &args.data_dir {
        Some(_) => None,
        None => Some(tempfile::Builder::new().prefix("sightline-bench-").tempdir().map_err(|e| e.to_string())?),
    };
    let data_dir = match (&args.data_dir, &temp) {
        (Some(dir), _) => dir.clone(),
        (None, Some(temp)) => temp.path().to_owned(),
        (None, None) => return Err("no data directory".into()),
    };
    if data_dir.join("store").join("manifest.json").exists() {
        return Err(format!("{} already holds a store: give an empty --data-dir", data_dir.display()));
    }
    std::fs::create_dir_all(&data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let config = data_dir.join("ingest-server-bench.toml");
    std::fs::write(&config, config_toml(&data_dir, args.flush_interval.as_deref()))
        .map_err(|e| format!("cannot write {}: {e}", config.display()))?;

    let server = Server::start(&args.binary, &config, &data_dir.join("sightline.log"), Duration::from_secs(60))?;
    let (key, key_source) = match server.banner_keys.first() {
        Some(key) => (key.clone(), "banner"),
        None => (INGEST_KEY.to_owned(), "configuration"),
    };
    let pid = server.pid();
    let clock = server_process::clock_ticks();
    let sampler = Sampler::start(pid, Duration::from_millis(500));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the runtime: {error}"))?;
    let address = server.address.clone();

    let mut phases = Vec::new();
    for (name, rate, duration, seed) in [
        (HALF_RATE, args.rate / 2.0, args.half_duration, args.seed.wrapping_add(1_000_000)),
        (SUSTAINED, args.rate, args.duration, args.seed),
    ] {
        eprintln!("ingest-server-bench: {name}: {rate:.0} events/s for {duration:?}…");
        let phase = run_phase(&runtime, args, &address, &key, pid, clock.0, (name, rate, duration, seed));
        match phase {
            Ok(phase) => phases.push(phase),
            Err(error) => return Err(format!("{error}\n{}", server.log_tail())),
        }
        // A pause between the phases, so the second starts from a quiet server.
        std::thread::sleep(if args.smoke { Duration::from_millis(200) } else { Duration::from_secs(1) });
    }

    let (status, metrics) = server.get("/metrics")?;
    if !status.contains(" 200") {
        return Err(format!("GET /metrics answered {status:?}"));
    }
    let (exit, stop_took) = server.stop(Duration::from_secs(120))?;
    let samples = sampler.finish();
    if !exit.success() {
        return Err(format!("the server's graceful stop failed: {exit}"));
    }
    let stored = read_store(&data_dir.join("store"))?;
    let run = Run { args, data_dir, address, key_source, clock, phases, samples, metrics, stop_took, stored };
    print_report(&run).map_err(|error| format!("writing the report: {error}"))?;
    if let Some(temp) = temp
        && args.keep
    {
        let kept = temp.keep();
        eprintln!("ingest-server-bench: data kept in {}", kept.display());
    }
    let acknowledged: u64 = run.phases.iter().map(|phase| phase.report.events_stored).sum();
    let whole = run.phases.iter().all(|phase| phase.report.all_accepted()) && run.stored.rows() == acknowledged;
    Ok(whole || !args.smoke)
}

/// The server's configuration: one machine making realistic load (see the crate doc).
fn config_toml(data_dir: &Path, flush_interval: Option<&str>) -> String {
    let data_dir = serde_json::Value::String(data_dir.display().to_string());
    let store =
        flush_interval.map_or(String::new(), |interval| format!("\n[store]\nflush_interval = \"{interval}\"\n"));
    format!(
        "# Written by ingest-server-bench.\nlisten = \"127.0.0.1:0\"\ndata_dir = {data_dir}\nlog_level = \"warn\"\n\n\
         [intake]\ntrusted_proxies = [\"127.0.0.1/32\"]\ntrust_cdn_headers = true\n{store}\n\
         [[projects]]\nid = \"{PROJECT}\"\nname = \"Ingest benchmark\"\ningest_key = \"{INGEST_KEY}\"\n\
         rate_limit_per_second = 0\n"
    )
}

/// Endless beacons of 20 events from a population sized for the phase (then the next
/// seeds'), with an hour's window ending now: the server shifts their times to its clock.
fn beacons(seed: u64, rate: f64, duration: Duration) -> impl Iterator<Item = GeneratedBeacon> + Send + 'static {
    let wanted = rate * duration.as_secs_f64() / EVENTS_PER_BEACON as f64;
    let per_session = EVENTS_PER_SESSION / EVENTS_PER_BEACON as f64;
    let options = PopulationOptions {
        now_ms: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64),
        window_ms: 3_600_000,
        sessions: (wanted * 1.05 / per_session).ceil().max(1.0) as u64,
        events_per_beacon: Some(EVENTS_PER_BEACON),
        daily_pattern: true,
        sent_at: true,
        part: Part::WHOLE,
    };
    (0..).map_while(move |round| Population::new(seed.wrapping_add(round), options).ok()).flatten()
}

fn run_phase(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    address: &str,
    key: &str,
    pid: u32,
    ticks_per_second: f64,
    (name, rate, duration, seed): (&'static str, f64, Duration, u64),
) -> Result<Phase, String> {
    let options = PostOptions {
        url: format!("http://{address}"),
        key: key.to_owned(),
        rate: Rate::EventsPerSecond(rate),
        duration,
        max_beacons: None,
        concurrency: args.concurrency,
        gzip: args.gzip,
        timeout: Duration::from_secs(10),
    };
    let pregenerated = args.pregenerate.then(|| post::pregenerate(&options, beacons(seed, rate, duration)));
    let (server_before, bench_before) = (server_process::cpu_ticks(Some(pid))?, server_process::cpu_ticks(None)?);
    let started = Instant::now();
    let progress = Arc::new(Progress::default());
    let report = runtime.block_on(async {
        match pregenerated {
            Some(pregenerated) => post::run_pregenerated(&options, pregenerated, progress).await,
            None => post::run(&options, beacons(seed, rate, duration), progress).await,
        }
    })?;
    let ended = Instant::now();
    let (server_after, bench_after) = (server_process::cpu_ticks(Some(pid))?, server_process::cpu_ticks(None)?);
    Ok(Phase {
        name,
        rate,
        duration,
        report,
        started,
        ended,
        server_cpu: server_after.saturating_sub(server_before) as f64 / ticks_per_second,
        bench_cpu: bench_after.saturating_sub(bench_before) as f64 / ticks_per_second,
    })
}

/// Rows and bytes per kind from `manifest.json`, and what is left of the WAL.
fn read_store(store_dir: &Path) -> Result<Stored, String> {
    let path = store_dir.join("manifest.json");
    let text = std::fs::read(&path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let manifest: serde_json::Value =
        serde_json::from_slice(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    let mut stored = Stored::default();
    for file in manifest["files"].as_array().into_iter().flatten() {
        let kind = file["kind"].as_str().unwrap_or("?").to_owned();
        let entry = stored.kinds.entry(kind).or_default();
        entry.0 += 1;
        entry.1 += file["rows"].as_u64().unwrap_or(0);
        entry.2 += file["bytes"].as_u64().unwrap_or(0);
    }
    let wal = store_dir.join("wal");
    for entry in std::fs::read_dir(&wal).map_err(|error| format!("cannot list {}: {error}", wal.display()))? {
        let entry = entry.map_err(|error| format!("cannot list {}: {error}", wal.display()))?;
        if entry.path().extension().is_some_and(|ext| ext == "wal") {
            stored.wal_segments += 1;
            stored.wal_bytes += entry.metadata().map_or(0, |meta| meta.len());
        }
    }
    Ok(stored)
}

fn mb(kib: u64) -> String {
    format!("{:.0} MB", kib as f64 * 1024.0 / 1e6)
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// Thousands separated by spaces, as the docs write them.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

fn verdict(meets: bool) -> &'static str {
    if meets { "meets" } else { "misses" }
}

/// The memory samples taken during `phase`.
fn phase_samples<'a>(samples: &'a [Sample], phase: &Phase) -> &'a [Sample] {
    let from = samples.partition_point(|sample| sample.at < phase.started);
    let to = samples.partition_point(|sample| sample.at <= phase.ended);
    &samples[from..to.max(from)]
}

#[allow(clippy::print_stdout)]
fn print_report(run: &Run<'_>) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let args = run.args;
    let build = if cfg!(debug_assertions) { "a debug build of this program: figures mean little" } else { "release" };
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    writeln!(
        out,
        "ingest-server-bench: {} serve on {}, data in {} ({build}{})",
        args.binary.display(),
        run.address,
        run.data_dir.display(),
        if args.smoke { ", smoke run" } else { "" }
    )?;
    writeln!(
        out,
        "server:  127.0.0.1/32 trusted proxy, CDN headers trusted, project {PROJECT:?} without rate limit (key from the {}), \
         store flush_interval {}, other store settings default",
        run.key_source,
        args.flush_interval.as_deref().unwrap_or("default (60s)")
    )?;
    writeln!(
        out,
        "load:    {EVENTS_PER_BEACON} events per beacon, {}, {} connections, seed {}; {} by this process on the same \
         machine ({cpus} CPUs)",
        if args.gzip { "gzip" } else { "plain JSON" },
        args.concurrency,
        args.seed,
        if args.pregenerate {
            "generated and compressed before each phase's clock starts, posted"
        } else {
            "generated, compressed and posted during the run (--live-generator)"
        }
    )?;
    writeln!(
        out,
        "cpu:     utime+stime from /proc at {} ticks/s ({})",
        run.clock.0,
        if run.clock.1 { "getconf CLK_TCK" } else { "assumed: getconf CLK_TCK failed" }
    )?;
    let idle = run.samples.first();
    for phase in &run.phases {
        let report = &phase.report;
        writeln!(out)?;
        writeln!(out, "{}: {} events/s for {:?}", phase.name, thousands(phase.rate), phase.duration)?;
        let other: Vec<String> = report.rejected.iter().map(|(status, n)| format!("{status}: {n}")).collect();
        writeln!(
            out,
            "  sent      {} beacons, {} events, {:.1} MB; {} answered 202{}{}, {} beacons went out > 10 ms late",
            report.sent,
            report.events_sent,
            report.bytes_sent as f64 / 1e6,
            report.accepted,
            if report.all_accepted() { " (all)" } else { "" },
            if other.is_empty() { String::new() } else { format!(", other answers {}", other.join(", ")) },
            report.late,
        )?;
        if report.errors > 0 {
            writeln!(out, "  errors    {} (first: {})", report.errors, report.error_samples.join("; "))?;
        }
        writeln!(
            out,
            "  achieved  {} events/s, {} beacons/s over {:.2} s; {} events acknowledged stored",
            thousands(report.events_per_second()),
            thousands(report.beacons_per_second()),
            report.elapsed.as_secs_f64(),
            report.events_stored
        )?;
        for (name, sorted, note) in [
            ("ack     ", &report.latencies, "due time to 202, durable"),
            ("service ", &report.service_times, "request start to 202"),
        ] {
            writeln!(
                out,
                "  {name}  p50 {}  p90 {}  p99 {}  max {}  ({note})",
                ms(quantile(sorted, 0.5)),
                ms(quantile(sorted, 0.9)),
                ms(quantile(sorted, 0.99)),
                ms(quantile(sorted, 1.0))
            )?;
        }
        let wall = phase.wall();
        writeln!(
            out,
            "  cpu       server {:.1} s over {wall:.1} s = {:.2} cores; this process (loadgen) {:.1} s = {:.2} cores",
            phase.server_cpu,
            phase.server_cpu / wall,
            phase.bench_cpu,
            phase.bench_cpu / wall
        )?;
        if report.late * 10 > report.sent {
            writeln!(
                out,
                "  note      {:.0} % of the beacons went out late: the schedule was not kept (generator, client or \
                 server short of CPU, or every connection busy), so ack latency counts the backlog; service time is \
                 the server's part",
                report.late as f64 * 100.0 / report.sent.max(1) as f64
            )?;
        }
        // How much of the machine each side had, and what an event cost the server.
        writeln!(
            out,
            "  machine   server + loadgen = {:.2} of {cpus} CPUs; the server spent {:.1} µs of CPU per event \
             ({} events/s per server core)",
            (phase.server_cpu + phase.bench_cpu) / wall,
            phase.server_cpu * 1e6 / report.events_stored.max(1) as f64,
            thousands(report.events_stored as f64 / phase.server_cpu.max(1e-9)),
        )?;
        let samples = phase_samples(&run.samples, phase);
        if let (Some(first), Some(last)) = (samples.first(), samples.last()) {
            let middle = &samples[samples.len() / 2];
            let max = samples.iter().map(|s| s.memory.rss_kib).max().unwrap_or(0);
            writeln!(
                out,
                "  rss       start {}, middle {}, end {}, max sampled {} ({} samples, every 500 ms)",
                mb(first.memory.rss_kib),
                mb(middle.memory.rss_kib),
                mb(last.memory.rss_kib),
                mb(max),
                samples.len()
            )?;
        }
    }

    writeln!(out)?;
    let peak = run.samples.iter().map(|s| s.memory.peak_kib).max().unwrap_or(0);
    writeln!(
        out,
        "memory: {} right after start, peak {} (VmHWM, last read before the exit)",
        idle.map_or("?".into(), |s| mb(s.memory.rss_kib)),
        mb(peak)
    )?;
    let store_metrics = server_process::metric_values(&run.metrics, "sightline_store_");
    // Histogram buckets are left out: their sum and count give the mean.
    let shown: Vec<String> = store_metrics
        .iter()
        .filter(|(name, _)| !name.contains("_bucket{"))
        .map(|(name, value)| format!("{}={}", name.trim_start_matches("sightline_store_"), (value * 1e4).round() / 1e4))
        .collect();
    writeln!(out, "/metrics before the stop (sightline_store_*): {}", shown.join(" "))?;

    let stored = &run.stored;
    let total_rows = stored.rows();
    let total_bytes: u64 = stored.kinds.values().map(|(_, _, bytes)| bytes).sum();
    let acknowledged: u64 = run.phases.iter().map(|phase| phase.report.events_stored).sum();
    writeln!(
        out,
        "store after the graceful stop ({:.1} s from SIGTERM to exit): {} rows in {} Parquet files, {:.1} MB; \
         {} events acknowledged ({}); WAL left: {} bytes in {} segment(s)",
        run.stop_took.as_secs_f64(),
        total_rows,
        stored.kinds.values().map(|(files, _, _)| files).sum::<u64>(),
        total_bytes as f64 / 1e6,
        acknowledged,
        if total_rows == acknowledged { "all on disk" } else { "rows on disk differ!" },
        stored.wal_bytes,
        stored.wal_segments,
    )?;
    writeln!(out, "  {:<22} {:>10} {:>12} {:>10} {:>7}", "kind", "rows", "bytes", "bytes/row", "files")?;
    for (kind, (files, rows, bytes)) in &stored.kinds {
        writeln!(
            out,
            "  {kind:<22} {rows:>10} {bytes:>12} {:>10.1} {files:>7}",
            *bytes as f64 / (*rows).max(1) as f64
        )?;
    }
    writeln!(
        out,
        "  {:<22} {total_rows:>10} {total_bytes:>12} {:>10.1}",
        "all",
        total_bytes as f64 / total_rows.max(1) as f64
    )?;

    print_targets(&mut out, run)
}

fn print_targets(out: &mut impl std::io::Write, run: &Run<'_>) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{:<48} {:<50} verdict", "target", "measured")?;
    let phase = |name: &str| run.phases.iter().find(|phase| phase.name == name);
    if let Some(sustained) = phase(SUSTAINED) {
        let report = &sustained.report;
        let rate = report.events_per_second();
        let meets = report.all_accepted() && rate >= sustained.rate * 0.99;
        let target = format!("sustain {} events/s, every beacon 202", thousands(sustained.rate));
        let measured =
            format!("{} events/s, {}", thousands(rate), if report.all_accepted() { "all 202" } else { "not all 202" });
        writeln!(out, "{target:<48} {measured:<50} {}", verdict(meets))?;
        let samples = phase_samples(&run.samples, sustained);
        let (first, second) = samples.split_at(samples.len() / 2);
        let peak = |half: &[Sample]| half.iter().map(|s| s.memory.rss_kib).max().unwrap_or(0);
        if !first.is_empty() && !second.is_empty() {
            let (a, b) = (peak(first), peak(second));
            let meets = b as f64 <= a as f64 * (1.0 + RSS_GROWTH_ALLOWED);
            let target = format!("RSS does not grow (2nd half ≤ 1st + {:.0} %)", RSS_GROWTH_ALLOWED * 100.0);
            let measured = format!("peak {} in the 1st half, {} in the 2nd", mb(a), mb(b));
            writeln!(out, "{target:<48} {measured:<50} {}", verdict(meets))?;
        }
    }
    if let Some(half) = phase(HALF_RATE) {
        let p99 = quantile(&half.report.latencies, 0.99);
        let target = format!("ack p99 ≤ {} at {} events/s", ms(TARGET_HALF_RATE_P99), thousands(half.rate));
        let measured = format!("p99 {}{}", ms(p99), if half.report.all_accepted() { "" } else { ", not all 202" });
        writeln!(out, "{target:<48} {measured:<50} {}", verdict(p99 <= TARGET_HALF_RATE_P99))?;
    }
    match run.stored.kinds.get("vital") {
        Some((_, rows, bytes)) if *rows > 0 => {
            let per_row = *bytes as f64 / *rows as f64;
            let target = format!("≤ {TARGET_VITAL_BYTES:.0} bytes per vital event on disk");
            let measured = format!("{per_row:.1} bytes ({rows} rows)");
            writeln!(out, "{target:<48} {measured:<50} {}", verdict(per_row <= TARGET_VITAL_BYTES))?;
        }
        _ => writeln!(out, "{:<48} {:<50} misses", "≤ 30 bytes per vital event on disk", "no vital rows on disk")?,
    }
    Ok(())
}
