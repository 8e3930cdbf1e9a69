//! The pipeline micro-benchmark: events/s per core through decode → normalize → enrich.
//!
//! One thread runs `Pipeline::process` on realistic 20-event beacons (plain JSON, and
//! gzip including decompression), next to references measured in the same run: plain
//! `serde_json::from_slice::<Beacon>` of the same bytes (the parse ceiling) and the
//! pipeline's first stages alone (`decode::parse_envelope`, then `parse_event` on each raw
//! event as the pipeline does, and gzip decompression), so the report says both how fast
//! the pipeline is and where its time goes.
//!
//! `make bench` runs it in full (release build); `--smoke` runs a few iterations to prove
//! it works. `--case NAME` keeps only the cases whose name contains NAME, and `--rounds`
//! and `--beacons` size the run, e.g. for a profiler:
//! `perf record target/release/ingest-bench --case "pipeline, json" --rounds 3`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use sightline_bench::beacon::{self, BROWSERS, EVENTS_PER_BEACON, Sample};
use sightline_bench::measure::{self, Case, Plan, si};
use sightline_bench::population::{GeneratedBeacon, Population, PopulationOptions};
use sightline_ingest::Pipeline;
use sightline_ingest::decode::{Encoding, decompress, parse_envelope};
use sightline_protocol::{Beacon, parse_event};

/// mimalloc: the intake allocates many short-lived strings per event; glibc's malloc
/// spent a quarter of the pipeline's time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The throughput Sightline aims for, per core.
const TARGET_EVENTS_PER_SEC: f64 = 250_000.0;
/// The intake's default decompressed-size cap.
const MAX_DECOMPRESSED: usize = 4 * 1024 * 1024;

const CEILING: &str = "serde Beacon (ceiling)";
const PIPELINE_JSON: &str = "pipeline, json";
const PIPELINE_GZIP: &str = "pipeline, gzip";
const PIPELINE_POPULATION: &str = "pipeline, loadgen mix, json";
const PIPELINE_POPULATION_GZIP: &str = "pipeline, loadgen mix, gzip";

struct Options {
    plan: Plan,
    samples: u64,
    only: Option<String>,
    smoke: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        plan: Plan { warm_up_rounds: 2, rounds: 9, items_per_round: 2_500 },
        samples: 64,
        only: None,
        smoke: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            let value = args.next().ok_or(format!("{name} needs a number"))?;
            value.parse().map_err(|_| format!("{name}: {value:?} is not a number"))
        };
        match arg.as_str() {
            "--smoke" => {
                options.smoke = true;
                options.plan = Plan { warm_up_rounds: 1, rounds: 3, items_per_round: 10 };
                options.samples = 8;
            }
            "--rounds" => options.plan.rounds = number("--rounds")?.max(1),
            "--beacons" => options.plan.items_per_round = number("--beacons")?.max(1),
            "--warm-up" => options.plan.warm_up_rounds = number("--warm-up")?,
            "--case" => options.only = Some(args.next().ok_or("--case needs a name")?),
            "--help" | "-h" => {
                return Err(
                    "usage: ingest-bench [--smoke] [--rounds N] [--beacons N per round] [--warm-up N] [--case NAME]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let samples: Vec<Sample> = (0..options.samples).map(Sample::new).collect();
    let pipeline = Pipeline::default();
    let project = beacon::project();

    // Every sample must come out whole: a benchmark of the drop path would flatter us.
    for (seed, sample) in samples.iter().enumerate() {
        match pipeline.process(&project, &sample.request(), &sample.json) {
            Ok(batch) if batch.records.len() == sample.events => {}
            Ok(batch) => {
                eprintln!(
                    "sample {seed}: {} of {} events kept: {:?}",
                    batch.records.len(),
                    sample.events,
                    batch.outcomes
                );
                return ExitCode::FAILURE;
            }
            Err(rejection) => {
                eprintln!("sample {seed} was rejected: {rejection}");
                return ExitCode::FAILURE;
            }
        }
    }

    // The load generator's traffic: a realistic mix of kinds (mostly vitals, resources and
    // requests, fewer errors) at 20 events per beacon, smaller on average than `samples`.
    let population_options = PopulationOptions { events_per_beacon: Some(EVENTS_PER_BEACON), ..Default::default() };
    let population: Vec<GeneratedBeacon> = match Population::new(7, population_options) {
        Ok(population) => population.take(options.samples.max(256) as usize).collect(),
        Err(message) => {
            eprintln!("population: {message}");
            return ExitCode::FAILURE;
        }
    };
    for (index, beacon) in population.iter().enumerate() {
        match pipeline.process(&project, &beacon.request(), &beacon.body) {
            Ok(batch) if batch.records.len() == beacon.events => {}
            other => {
                eprintln!("population beacon {index} did not come out whole: {other:?}");
                return ExitCode::FAILURE;
            }
        }
    }
    let population_bytes = population.iter().map(|b| b.body.len()).sum::<usize>() as f64 / population.len() as f64;
    let population_gzip: Vec<Vec<u8>> = population.iter().map(GeneratedBeacon::gzip).collect();
    let population_gzip_bytes =
        population_gzip.iter().map(Vec::len).sum::<usize>() as f64 / population_gzip.len() as f64;

    let pick = |i: usize| &samples[i % samples.len()];
    let mut cases = vec![
        Case::new(CEILING, |i| serde_json::from_slice::<Beacon>(&pick(i).json).map_or(0, |beacon| beacon.events.len())),
        Case::new("stage: envelope parse", |i| {
            parse_envelope(&pick(i).json).map_or(0, |envelope| envelope.events.kept.len())
        }),
        Case::new("stage: envelope + each event parsed", |i| {
            let Ok(envelope) = parse_envelope(&pick(i).json) else { return 0 };
            envelope.events.kept.iter().filter(|raw| parse_event(raw.get()).is_ok()).count()
        }),
        Case::new("stage: gzip decompression", |i| {
            decompress(&pick(i).gzip, Encoding::Gzip, MAX_DECOMPRESSED).map_or(0, |body| body.len())
        }),
        Case::new(PIPELINE_JSON, |i| {
            let sample = pick(i);
            pipeline.process(&project, &sample.request(), &sample.json).map_or(0, |batch| batch.records.len())
        }),
        Case::new(PIPELINE_POPULATION, |i| {
            let beacon = &population[i % population.len()];
            pipeline.process(&project, &beacon.request(), &beacon.body).map_or(0, |batch| batch.records.len())
        }),
        Case::new(PIPELINE_POPULATION_GZIP, |i| {
            let beacon = &population[i % population.len()];
            let gzip = &population_gzip[i % population_gzip.len()];
            let Ok(body) = decompress(gzip, Encoding::Gzip, MAX_DECOMPRESSED) else { return 0 };
            pipeline.process(&project, &beacon.request(), &body).map_or(0, |batch| batch.records.len())
        }),
        Case::new(PIPELINE_GZIP, |i| {
            let sample = pick(i);
            let Ok(body) = decompress(&sample.gzip, Encoding::Gzip, MAX_DECOMPRESSED) else { return 0 };
            pipeline.process(&project, &sample.request(), &body).map_or(0, |batch| batch.records.len())
        }),
    ];
    if let Some(only) = &options.only {
        cases.retain(|case| case.name.contains(only.as_str()));
        if cases.is_empty() {
            eprintln!("no case matches {only:?}");
            return ExitCode::from(2);
        }
    }

    print_header(&options, &samples, population_bytes);
    measure::run(options.plan, &mut cases);
    print_results(&options, &samples, (population_bytes, population_gzip_bytes), &cases);
    ExitCode::SUCCESS
}

fn print_header(options: &Options, samples: &[Sample], population_bytes: f64) {
    let n = samples.len() as f64;
    let json_avg = samples.iter().map(|s| s.json.len()).sum::<usize>() as f64 / n;
    let gzip_avg = samples.iter().map(|s| s.gzip.len()).sum::<usize>() as f64 / n;
    let build =
        if cfg!(debug_assertions) { "debug build: figures mean nothing, use `make bench`" } else { "release build" };
    let plan = options.plan;
    println!(
        "ingest-bench: Sightline intake pipeline, one thread ({build}{})",
        if options.smoke { ", smoke run" } else { "" }
    );
    println!(
        "input:  {} distinct beacons of {EVENTS_PER_BEACON} events, {:.0} bytes on average ({:.0} bytes/event), gzip {:.0} bytes ({:.1}x); {} browsers rotating",
        samples.len(),
        json_avg,
        json_avg / EVENTS_PER_BEACON as f64,
        gzip_avg,
        json_avg / gzip_avg,
        BROWSERS.len().min(samples.len()),
    );
    println!(
        "        loadgen mix: population beacons of {EVENTS_PER_BEACON} events, {population_bytes:.0} bytes on average ({:.0} bytes/event)",
        population_bytes / EVENTS_PER_BEACON as f64
    );
    println!(
        "plan:   {} warm-up + {} measured rounds of {} beacons ({} events) per case, cases interleaved",
        plan.warm_up_rounds,
        plan.rounds,
        plan.items_per_round,
        plan.items_per_round * EVENTS_PER_BEACON,
    );
    println!();
}

fn print_results(options: &Options, samples: &[Sample], population_bytes: (f64, f64), cases: &[Case<'_>]) {
    let per_round = options.plan.items_per_round;
    let events = EVENTS_PER_BEACON as f64;
    let avg = |bytes: fn(&Sample) -> usize| samples.iter().map(bytes).sum::<usize>() as f64 / samples.len() as f64;
    let (json_bytes, gzip_bytes) = (avg(|s| s.json.len()), avg(|s| s.gzip.len()));
    println!(
        "{:<38} {:>10} {:>19} {:>10} {:>11} {:>9}",
        "case", "events/s", "min .. max", "µs/batch", "MB/s in", "÷ target"
    );
    let mut median_of = std::collections::HashMap::new();
    for case in cases {
        let rates = case.rates(per_round, events);
        let input_bytes = match case.name {
            PIPELINE_POPULATION => population_bytes.0,
            PIPELINE_POPULATION_GZIP => population_bytes.1,
            name if name.contains("gzip") => gzip_bytes,
            _ => json_bytes,
        };
        let batches_per_sec = rates.median / events;
        println!(
            "{:<38} {:>10} {:>19} {:>10.1} {:>11.1} {:>9.2}",
            case.name,
            si(rates.median),
            format!("{} .. {}", si(rates.min), si(rates.max)),
            1e6 / batches_per_sec,
            batches_per_sec * input_bytes / 1e6,
            rates.median / TARGET_EVENTS_PER_SEC,
        );
        median_of.insert(case.name, rates.median);
    }
    println!();
    println!(
        "target: {} events/s per core; MB/s counts the bytes as received (gzip rows: compressed)",
        si(TARGET_EVENTS_PER_SEC)
    );
    if let Some(ceiling) = median_of.get(CEILING) {
        for name in [PIPELINE_JSON, PIPELINE_GZIP, PIPELINE_POPULATION, PIPELINE_POPULATION_GZIP] {
            if let Some(pipeline) = median_of.get(name) {
                println!(
                    "{name} ÷ parse ceiling: {:.2} (the pipeline does {:.1}x the work of a plain parse)",
                    pipeline / ceiling,
                    ceiling / pipeline
                );
            }
        }
    }
    for name in [PIPELINE_JSON, PIPELINE_GZIP, PIPELINE_POPULATION, PIPELINE_POPULATION_GZIP] {
        if let Some(rate) = median_of.get(name) {
            let verdict = if *rate >= TARGET_EVENTS_PER_SEC { "meets" } else { "is below" };
            println!(
                "{name}: {} events/s per core {verdict} the target ({:.0}% of it)",
                si(*rate),
                rate / TARGET_EVENTS_PER_SEC * 100.0
            );
        }
    }
}
