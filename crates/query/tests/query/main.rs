//! The query crate's integration tests, one test binary for all: every statistic of
//! every shape compared with a plain computation over the same records (`oracle.rs`), on
//! a seeded population written through a real `EmbeddedStore` (half in Parquet files,
//! half in the buffer); and the examples of `docs/query.md` (`docs.rs`).

mod data;
mod diagnostics;
mod docs;
mod oracle;
mod rollups;
mod semantics;
mod shapes;
mod sql;

use std::sync::Arc;

use datafusion::prelude::SessionContext;
use sightline_protocol::EventRecord;
use sightline_query::{
    Filter, Metric, Query, QueryResult, Statistic, Tile, TimeRange, Timestamp, ValuesQuery, execute,
};
use sightline_store::{EmbeddedStore, session_context};

use self::data::{BASE_MS, DAY_MS};
use self::oracle::{Oracle, Unit};

/// Sessions of the population: about 2 000 views and 25 000 events.
const SESSIONS: usize = 800;

struct Fixture {
    _dir: tempfile::TempDir,
    _store: Arc<EmbeddedStore>,
    records: Vec<EventRecord>,
    context: SessionContext,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let records = data::records(7, SESSIONS);
    let store = data::store(dir.path(), &records).await;
    let context = session_context(&store).expect("the tables register");
    Fixture { _dir: dir, _store: store, records, context }
}

fn range(from: i64, to: i64) -> TimeRange {
    TimeRange { from: Timestamp(from), to: Timestamp(to) }
}

fn all_days() -> TimeRange {
    range(BASE_MS, BASE_MS + 3 * DAY_MS)
}

impl Fixture {
    fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    fn oracle<'a>(&'a self, range: TimeRange, filters: &'a [Filter]) -> Oracle<'a> {
        Oracle { records: &self.records, project: "shop", from: range.from.ms(), to: range.to.ms(), filters }
    }

    async fn run(&self, query: Query) -> QueryResult {
        execute(&self.context, "shop", &query).await.unwrap_or_else(|error| panic!("{query:?} fails: {error}"))
    }

    /// The crate's values of `statistics` of `metric` (one query, one tile each).
    async fn values(
        &self,
        range: TimeRange,
        filters: &[Filter],
        metric: &Metric,
        statistics: &[Statistic],
    ) -> Vec<Option<f64>> {
        let tiles = statistics.iter().map(|s| Tile { metric: metric.clone(), statistic: *s }).collect();
        let QueryResult::Values(result) =
            self.run(Query::Values(ValuesQuery { range, filters: filters.to_vec(), tiles, compare: None })).await
        else {
            panic!("a values query answers values")
        };
        result.values.into_iter().map(|v| v.value).collect()
    }
}

/// Every metric the model has (with a custom event present in the data).
fn all_metrics() -> Vec<Metric> {
    use Metric::*;
    vec![
        Lcp,
        Inp,
        Cls,
        Fcp,
        Ttfb,
        NavRedirect,
        NavDns,
        NavConnect,
        NavTls,
        NavRequest,
        NavResponse,
        DomInteractive,
        DomContentLoaded,
        Load,
        RequestDuration,
        LongAnimationFrameDuration,
        Custom("purchase".into()),
        PageViews,
        Sessions,
        Errors,
        Requests,
        Actions,
        RageClicks,
        DeadClicks,
        ErrorRate,
        SessionErrorRate,
        BounceRate,
        PoorVitalShare,
        FailedRequestRate,
    ]
}

/// The statistics that apply to `metric`.
fn statistics_of(metric: &Metric) -> Vec<Statistic> {
    use Statistic::*;
    [P50, P75, P90, P95, P99, Quantile(0.333), Quantile(0.999), Mean, Count, Sum, Good, NeedsImprovement, Poor, Rate]
        .into_iter()
        .filter(|s| metric.check_statistic(s, "").is_ok())
        .collect()
}

/// The reference's figure; sessions are counted once per session (and key).
fn expected(
    metric: &Metric,
    statistic: &Statistic,
    units: &[Unit],
    key: impl Fn(&Unit) -> Vec<Option<String>>,
) -> Option<f64> {
    if matches!(metric, Metric::Sessions | Metric::SessionErrorRate | Metric::BounceRate) {
        return oracle::statistic(metric, statistic, &oracle::sessions(units, key));
    }
    oracle::statistic(metric, statistic, units)
}
