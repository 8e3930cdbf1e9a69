//! The typed RUM query model, planned onto DataFusion.
//!
//! The HTTP API, the CLI, the dashboard and alerts ask their questions as a [`Query`]
//! (serde types: the JSON body of `/api/v1/query`) and get a [`QueryResult`] back. How a
//! question is answered, file by file:
//!
//! 1. [`model`]: what can be asked — a [`Metric`] (LCP, load time, page views, error
//!    rate…), a [`Statistic`] (p75, mean, poor share…), [`Filter`]s on [`Dimension`]s, a
//!    [`TimeRange`], buckets in a [`TimeZone`].
//! 2. [`query`]: the shapes — single values (optionally compared with a baseline period or
//!    release), time series, breakdown, distribution, lists, a session's timeline, error
//!    groups — and their validation (sizes, ranges,
//!    statistics that fit their metric). [`result`]: the typed answers.
//! 3. `plan`: each shape becomes DataFusion SQL with bound parameters. A metric's rows
//!    become *units* (`plan/units.rs`: the final value of each page view, each request,
//!    each session…) weighted by the inverse sample rate, from sampled sessions only;
//!    the statistics are aggregated per bucket and group (`plan.rs`).
//! 4. `run`: [`execute`] validates, runs the statements (the top-N of a breakdown or a
//!    grouped time series first, then `(other)`) and reads the batches into the result.
//!
//! The diagnostic shapes — lists with cursors, a session's timeline, error groups by
//! [`fingerprint`] — read every stored event, unweighted (`plan/diagnostics.rs`,
//! `run/lists.rs`, `run/timeline.rs`, `run/errors.rs`). Power users' SQL goes through
//! [`execute_sql`] ([`sql`]): one read-only statement over views restricted to the
//! project, with a time and a row limit.
//!
//! Over the events every statistic is exact. Over the store's rollups (the API's session)
//! the vitals' quantiles and distributions come from quantile sketches, merged in the engine
//! or here (`sketch.rs`, `run/rollups.rs`), and are approximate; `docs/query.md` defines
//! each statistic and says how accurate it is.

mod error;
pub mod fingerprint;
pub mod model;
mod plan;
pub mod query;
pub mod result;
mod run;
mod sketch;
pub mod sql;
mod udf;

pub use error::QueryError;
pub use model::{
    BucketSize, Condition, Dimension, Filter, Metric, MetricKind, Rating, Statistic, TimeRange, TimeZone, Timestamp,
};
pub use query::{
    Baseline, BreakdownQuery, DistributionQuery, ErrorGroupQuery, ErrorGroupSort, ErrorGroupsQuery, ListQuery,
    ListSort, Order, Query, SessionTimelineQuery, Tile, TimeSeriesQuery, ValuesQuery,
};
pub use result::{
    BreakdownResult, BreakdownRow, Comparison, Direction, DistributionResult, ErrorGroup, ErrorGroupResult,
    ErrorGroupsResult, ErrorPoint, ErrorRow, ErrorSample, HistogramBucket, ListResult, Point, QueryResult, RequestRow,
    Series, SessionInfo, SessionRow, SessionTimelineResult, TileValue, TimeSeriesResult, TimelineDetail, TimelineEvent,
    ValuesResult, ViewRow,
};
pub use run::{HistogramBuckets, execute, histogram_buckets};
pub use sql::{SqlColumn, SqlLimits, SqlResult, check_read_only, execute_sql};
