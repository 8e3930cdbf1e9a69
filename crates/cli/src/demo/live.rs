//! Live simulated traffic: the load generator's shoppers, a day's population at a time,
//! posted to the demo server's own intake over loopback HTTP at a few beacons a second,
//! so they take the real path (authorization, pipeline, write-ahead log, outcomes). The
//! beacons carry `sent_at`, so the server places their events at the time it receives them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sightline_server::api::users::epoch_ms;
use sightline_simulate::population::post::{self, PostOptions, Progress, Rate};
use sightline_simulate::population::stories::Scenario;
use sightline_simulate::population::{Population, PopulationOptions};

const DAY_MS: i64 = 86_400_000;
/// Beacons per session of the population, roughly (one per page load or route change).
const BEACONS_PER_SESSION: f64 = 3.6;
/// Seeds of the live populations start here, away from the history's.
const SEED: u64 = 1_000;

/// Starts posting `rate` beacons a second to the intake at `address` (nothing when 0).
pub fn start(address: SocketAddr, key: String, rate: f64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if rate <= 0.0 {
            return;
        }
        let options = PostOptions {
            url: format!("http://{address}"),
            key,
            rate: Rate::BeaconsPerSecond(rate),
            duration: Duration::from_secs(100 * 365 * 86_400),
            max_beacons: None,
            concurrency: 4,
            gzip: true,
            timeout: Duration::from_secs(10),
        };
        let sessions_per_day = ((rate * 86_400.0 / BEACONS_PER_SESSION).ceil() as u64).max(1);
        let start_ms = epoch_ms(std::time::SystemTime::now());
        let days = (0_u64..).map_while(move |day| {
            let options = PopulationOptions {
                now_ms: start_ms + (day as i64 + 1) * DAY_MS,
                window_ms: DAY_MS,
                sessions: sessions_per_day,
                ..PopulationOptions::default()
            };
            Population::new(SEED + day, options).ok().map(|population| population.with_scenario(Scenario::DemoLive))
        });
        let beacons = days.flatten();
        match post::run(&options, beacons, Arc::new(Progress::default())).await {
            Ok(report) => tracing::info!(sent = report.sent, accepted = report.accepted, "live demo traffic ended"),
            Err(error) => tracing::warn!(%error, "live demo traffic stopped"),
        }
    })
}
