//! The typed query model: metrics, statistics, dimensions, filters and time.

mod dimension;
mod metric;
mod time;

pub use dimension::{Condition, Dimension, Filter};
pub use metric::{Metric, MetricKind, Rating, Statistic};
pub use time::{BucketSize, MAX_BUCKETS, MAX_RANGE_MS, TimeRange, TimeZone, Timestamp};

/// The longest text a filter value, custom event name or attribute key may have, bytes
/// (the protocol's limit for names).
pub const MAX_VALUE_BYTES: usize = 256;

/// The most values of an `in` or `not_in` filter.
pub const MAX_FILTER_VALUES: usize = 100;

/// The most filters of a query.
pub const MAX_FILTERS: usize = 20;

/// The most groups a breakdown or time series returns before `(other)` (its `limit`).
pub const MAX_GROUPS: usize = 100;

/// The most tiles of a single-values query, and statistics of any query.
pub const MAX_STATISTICS: usize = 20;
