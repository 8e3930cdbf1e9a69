//! The poster against the real server (router, pipeline, embedded store) on a loopback port.

use std::net::SocketAddr;
use std::sync::Arc;

use sightline_ingest::enrich::Enricher;
use sightline_ingest::{Pipeline, ProjectConfig};
use sightline_server::{AppState, IntakeConfig, Metrics, ProjectRegistry};
use sightline_store::{EmbeddedStore, EmbeddedStoreOptions};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::*;
use crate::population::{Population, PopulationOptions};

const KEY: &str = "pk_loadgen_test_01";

/// The server as `sightline serve` wires it, behind a trusted proxy (loopback) so each
/// simulated visitor has its own address, with the CDN's country trusted.
struct Server {
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
    _data: TempDir,
}

async fn start_server() -> Server {
    let data = tempfile::tempdir().expect("a data directory");
    let intake = IntakeConfig {
        trusted_proxies: vec!["127.0.0.0/8".parse().expect("a network")],
        trust_cdn_headers: true,
        ..IntakeConfig::default()
    };
    let project = ProjectConfig {
        id: "shop".into(),
        ingest_key: KEY.into(),
        allowed_origins: vec!["https://shop.example.com".into()],
        allowed_hosts: vec!["shop.example.com".into()],
        ..ProjectConfig::default()
    };
    let (store, _) = EmbeddedStore::open(data.path(), &EmbeddedStoreOptions::default()).expect("open the store");
    let store = Arc::new(store);
    let metrics = Arc::new(Metrics::new());
    let state = Arc::new(AppState::new(
        intake.clone(),
        ProjectRegistry::new(vec![project]).expect("a valid project"),
        Pipeline::new(Enricher::new(None)),
        store,
        Arc::clone(&metrics),
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    let (stop, stopped) = oneshot::channel::<()>();
    let router = sightline_server::router(state);
    tokio::spawn(async move {
        let stopped = async {
            let _ = stopped.await;
        };
        sightline_server::listener::serve(listener, router, &intake, metrics, stopped).await
    });
    Server { addr, _stop: stop, _data: data }
}

fn options(addr: SocketAddr, key: &str, beacons: u64, gzip: bool) -> PostOptions {
    PostOptions {
        url: format!("http://{addr}"),
        key: key.into(),
        rate: Rate::BeaconsPerSecond(500.0),
        duration: Duration::from_secs(30),
        max_beacons: Some(beacons),
        concurrency: 16,
        gzip,
        timeout: Duration::from_secs(10),
    }
}

fn population(seed: u64) -> Population {
    let options = PopulationOptions { window_ms: 3_600_000, sessions: 200, ..PopulationOptions::default() };
    Population::new(seed, options).expect("valid options")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_generated_beacon_is_accepted_by_the_real_server() {
    let server = start_server().await;
    for (gzip, beacons) in [(false, 160), (true, 60)] {
        let progress = Arc::new(Progress::default());
        let report = run(&options(server.addr, KEY, beacons, gzip), population(9), Arc::clone(&progress))
            .await
            .expect("a valid run");
        assert!(report.all_accepted(), "gzip {gzip}: {report:?}");
        assert_eq!(report.sent, beacons);
        assert_eq!(report.events_stored, report.events_sent, "every event stored");
        assert_eq!(report.events_dropped, 0);
        assert_eq!(report.latencies.len() as u64, beacons);
        assert!(report.latencies.windows(2).all(|w| w[0] <= w[1]), "sorted");
        assert_eq!(progress.accepted.load(Ordering::Relaxed), beacons);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_transport_errors_are_counted_not_hidden() {
    let server = start_server().await;
    let report =
        run(&options(server.addr, "pk_not_a_project", 20, false), population(1), Arc::new(Progress::default()))
            .await
            .expect("a valid run");
    assert_eq!(report.rejected.get(&403), Some(&20), "{report:?}");
    assert!(!report.all_accepted());

    let closed = TcpListener::bind("127.0.0.1:0").await.expect("a port").local_addr().expect("its address");
    let report =
        run(&options(closed, KEY, 5, false), population(1), Arc::new(Progress::default())).await.expect("a run");
    assert_eq!((report.errors, report.accepted), (5, 0), "{report:?}");
    assert!(!report.error_samples.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_is_open_loop_and_the_duration_is_a_hard_stop() {
    let server = start_server().await;
    let mut run_options = options(server.addr, KEY, 1_000_000, false);
    run_options.rate = Rate::BeaconsPerSecond(50.0);
    run_options.duration = Duration::from_millis(400);
    let started = Instant::now();
    let report = run(&run_options, population(2), Arc::new(Progress::default())).await.expect("a run");
    assert!(started.elapsed() < Duration::from_secs(3), "stopped at the duration");
    assert!((15..=25).contains(&report.sent), "about 50/s for 0.4 s: {}", report.sent);
    assert!(report.all_accepted(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pregenerated_runs_post_the_same_beacons_and_stop_at_the_budget() {
    let server = start_server().await;
    let mut run_options = options(server.addr, KEY, 40, true);
    let pregenerated = pregenerate(&run_options, population(9));
    assert_eq!(pregenerated.beacons(), 40);
    let report = run_pregenerated(&run_options, pregenerated, Arc::new(Progress::default())).await.expect("a run");
    assert!(report.all_accepted(), "{report:?}");
    assert_eq!(report.sent, 40, "the beacon limit holds");
    let live_events: usize = population(9).take(40).map(|beacon| beacon.events).sum();
    assert_eq!(report.events_stored, live_events as u64, "the same beacons as a live run");

    // At 2 000 events/s for 0.5 s, about 1 000 events are prepared: no more than one beacon over.
    run_options.max_beacons = None;
    run_options.rate = Rate::EventsPerSecond(2_000.0);
    run_options.duration = Duration::from_millis(500);
    let largest = population(3).map(|beacon| beacon.events).max().expect("beacons");
    let pregenerated = pregenerate(&run_options, population(3));
    assert!((1_000..1_000 + largest).contains(&pregenerated.events()), "{}", pregenerated.events());
    let prepared_events = pregenerated.events() as u64;
    let report = run_pregenerated(&run_options, pregenerated, Arc::new(Progress::default())).await.expect("a run");
    assert!(report.all_accepted(), "{report:?}");
    // All are due within the duration; a loaded machine may still leave the last unsent.
    assert!(report.events_sent > 0 && report.events_sent <= prepared_events, "{report:?}");
}

#[test]
fn quantiles_use_the_nearest_rank() {
    let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
    assert_eq!(quantile(&sorted, 0.5), Duration::from_millis(50));
    assert_eq!(quantile(&sorted, 0.99), Duration::from_millis(99));
    assert_eq!(quantile(&sorted, 1.0), Duration::from_millis(100));
    assert_eq!(quantile(&sorted[..1], 0.9), Duration::from_millis(1));
    assert_eq!(quantile(&[], 0.5), Duration::ZERO);
}
