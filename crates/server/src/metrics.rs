//! Prometheus metrics, served at `GET /metrics` in the text format.
//!
//! The intake's own counters live here; the store's figures (`sightline_store_*`: buffered
//! rows, files, WAL positions, flushes, duplicates) are read from the [`Store`] at each
//! scrape ([`Metrics::watch_store`], `metrics/store.rs`).

mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sightline_ingest::{Outcomes, Reason};
use sightline_store::Store;

use self::store::StoreCollector;

/// Labels of HTTP request metrics.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// The matched route pattern, e.g. `/ingest/v1/{project_key}` (never the raw path).
    pub route: String,
    /// Method: one of the standard methods a client of this server uses, or `other`
    /// (see [`method_label`]); never the client's own string.
    pub method: &'static str,
    /// Response status code.
    pub status: u16,
}

/// Labels with a route only.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The matched route pattern.
    pub route: String,
}

/// Labels of per-project counters. Unknown keys are counted as project `(unknown)`,
/// so an attacker cannot create label values.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProjectLabels {
    /// Project id.
    pub project: String,
}

/// Labels of accepted events.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    /// Project id.
    pub project: String,
    /// Event kind.
    pub kind: &'static str,
}

/// Labels of outcomes.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// Project id, or `(unknown)`.
    pub project: String,
    /// `rejected`, `dropped`, `trimmed` or `folded`.
    pub outcome: &'static str,
    /// The reason code.
    pub reason: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// Every metric the server exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// HTTP requests by route, method and status.
    pub http_requests: Family<HttpLabels, Counter>,
    /// HTTP request latency by route.
    pub http_latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// Request body bytes received by the intake (as sent).
    pub intake_bytes: Family<ProjectLabels, Counter>,
    /// Body bytes after decompression.
    pub intake_decompressed_bytes: Family<ProjectLabels, Counter>,
    /// Beacons accepted (202).
    pub beacons_accepted: Family<ProjectLabels, Counter>,
    /// Events stored.
    pub events_accepted: Family<EventLabels, Counter>,
    /// Items rejected, dropped, trimmed or folded, by reason.
    pub outcomes: Family<OutcomeLabels, Counter>,
    /// Time spent decoding, validating, normalizing and enriching one beacon.
    pub pipeline_latency: Histogram,
    /// Time until the store acknowledged one beacon (durable).
    pub store_latency: Histogram,
    /// 1 while the store takes writes.
    pub store_writable: Gauge,
    /// Connections closed because the client was too slow.
    pub slow_clients: Counter,
    /// Reads the store's figures at each scrape.
    store_stats: StoreCollector,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("sightline");
        let metrics = Self {
            http_requests: Family::default(),
            http_latency: Family::new_with_constructor(latency_histogram),
            intake_bytes: Family::default(),
            intake_decompressed_bytes: Family::default(),
            beacons_accepted: Family::default(),
            events_accepted: Family::default(),
            outcomes: Family::default(),
            pipeline_latency: latency_histogram(),
            store_latency: latency_histogram(),
            store_writable: Gauge::default(),
            slow_clients: Counter::default(),
            store_stats: StoreCollector::default(),
            registry: Registry::default(),
        };
        registry.register("http_requests", "HTTP requests by route, method and status", metrics.http_requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency", metrics.http_latency.clone());
        registry.register("intake_bytes", "Beacon body bytes received, as sent", metrics.intake_bytes.clone());
        registry.register(
            "intake_decompressed_bytes",
            "Beacon body bytes after decompression",
            metrics.intake_decompressed_bytes.clone(),
        );
        registry.register("beacons_accepted", "Beacons accepted (202)", metrics.beacons_accepted.clone());
        registry.register("events_accepted", "Events stored, by kind", metrics.events_accepted.clone());
        registry.register(
            "outcomes",
            "Items rejected, dropped, trimmed or folded by the intake, by reason",
            metrics.outcomes.clone(),
        );
        registry.register(
            "intake_pipeline_duration_seconds",
            "Decode, validate, normalize and enrich time per beacon",
            metrics.pipeline_latency.clone(),
        );
        registry.register(
            "store_append_duration_seconds",
            "Time until the store durably acknowledged a beacon",
            metrics.store_latency.clone(),
        );
        registry.register("store_writable", "1 while the store accepts writes", metrics.store_writable.clone());
        registry.register(
            "intake_slow_clients",
            "Requests cut off because the client sent too slowly",
            metrics.slow_clients.clone(),
        );
        registry.register_collector(Box::new(metrics.store_stats.clone()));
        Self { registry, ..metrics }
    }

    /// Exports `store`'s [`StoreStats`](sightline_store::StoreStats) from now on, read at each
    /// scrape (replacing a store watched before).
    pub fn watch_store(&self, store: Arc<dyn Store>) {
        self.store_stats.watch(store);
    }

    /// Counts every outcome of one beacon.
    pub fn record_outcomes(&self, project: &str, outcomes: &Outcomes) {
        for (reason, count) in outcomes.iter() {
            self.outcome(project, reason).inc_by(count);
        }
    }

    /// The counter of one outcome.
    pub fn outcome(&self, project: &str, reason: Reason) -> Counter {
        self.outcomes
            .get_or_create(&OutcomeLabels {
                project: project.to_owned(),
                outcome: reason.category().as_str(),
                reason: reason.as_str(),
            })
            .clone()
    }

    /// Observes a request.
    pub fn observe_http(&self, route: &str, method: &Method, status: u16, elapsed: Duration) {
        let labels = HttpLabels { route: route.to_owned(), method: method_label(method), status };
        self.http_requests.get_or_create(&labels).inc();
        self.http_latency.get_or_create(&RouteLabels { route: route.to_owned() }).observe(elapsed.as_secs_f64());
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

/// The label of a request method. Any token is a valid HTTP method, so a client
/// could mint a new series per request with `ZZZ1 /healthz`: only the usual
/// methods keep their name, everything else is `other`.
pub fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_usual_ones_share_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::OPTIONS), "OPTIONS");
        assert_eq!(method_label(&Method::TRACE), "other");
        assert_eq!(method_label(&Method::from_bytes(b"ZZQX123").expect("a token")), "other");
        assert_eq!(method_label(&Method::from_bytes(b"get").expect("a token")), "other", "methods are case-sensitive");
    }
}
