//! Histograms over each metric's fixed buckets.

use datafusion::prelude::SessionContext;

use super::{collect, floats, integers};
use crate::model::{Metric, Rating};
use crate::plan::{self, Scope};
use crate::query::DistributionQuery;
use crate::result::{DistributionResult, HistogramBucket};
use crate::{QueryError, Statistic};

/// The fixed buckets of a metric's histogram.
///
/// Bucket `i` holds the values in `(i · width, (i + 1) · width]`, the first one also 0 and
/// anything below, and one more bucket after the `buckets` regular ones everything above
/// `width · buckets`. Values are compared at the metric's stored precision (`1 / scale`:
/// 0.1 ms, CLS to 4 decimal places), so that a value on an edge falls below it exactly.
/// The widths divide the Core Web Vitals thresholds: every bucket of a vital has one rating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramBuckets {
    /// Width of a regular bucket, in the metric's unit.
    pub width: f64,
    /// Regular buckets (the overflow bucket comes after them).
    pub buckets: u32,
    /// Values are rounded to `1 / scale` before bucketing.
    pub scale: f64,
}

impl HistogramBuckets {
    /// The lower edge of bucket `i`.
    pub fn edge(&self, i: u32) -> f64 {
        (f64::from(i) * (self.width * self.scale).round()) / self.scale
    }

    /// The bucket of `value` (the reference definition; the SQL computes the same).
    pub fn index(&self, value: f64) -> u32 {
        let units = (value * self.scale).round();
        let width = (self.width * self.scale).round();
        let index = (units / width).ceil() - 1.0;
        index.clamp(0.0, f64::from(self.buckets)) as u32
    }
}

/// The buckets of `metric`'s histogram.
pub fn histogram_buckets(metric: &Metric) -> HistogramBuckets {
    let (width, buckets, scale) = match metric {
        Metric::Lcp | Metric::DomInteractive | Metric::DomContentLoaded | Metric::Load => (250.0, 40, 10.0),
        Metric::Fcp => (200.0, 30, 10.0),
        Metric::Ttfb => (100.0, 40, 10.0),
        Metric::Inp => (25.0, 40, 10.0),
        Metric::Cls => (0.025, 40, 10_000.0),
        Metric::NavRedirect
        | Metric::NavDns
        | Metric::NavConnect
        | Metric::NavTls
        | Metric::NavRequest
        | Metric::NavResponse => (25.0, 40, 10.0),
        Metric::RequestDuration => (100.0, 50, 10.0),
        Metric::LongAnimationFrameDuration => (50.0, 40, 10.0),
        _ => (100.0, 50, 1_000.0),
    };
    HistogramBuckets { width, buckets, scale }
}

pub(super) async fn run(
    context: &SessionContext,
    project: &str,
    query: &DistributionQuery,
) -> Result<DistributionResult, QueryError> {
    let scope = Scope { project, range: query.range, filters: &query.filters, rollups: super::has_rollups(context) };
    let spec = histogram_buckets(&query.metric);
    let regular = spec.buckets;

    let edge = |i: u32| spec.edge(i);
    let mut buckets: Vec<HistogramBucket> = (0..=regular)
        .map(|i| HistogramBucket {
            from: edge(i),
            to: (i < regular).then(|| edge(i + 1)),
            count: 0.0,
            share: 0.0,
            samples: 0,
            rating: query.metric.vital().map(|vital| {
                // Every value of the bucket has the rating of its upper edge (or, for the
                // last bucket, of anything above its lower edge).
                let probe = if i < regular { edge(i + 1) } else { edge(i) + spec.width };
                Rating::of(vital, probe)
            }),
        })
        .collect();
    // From the rollups when they cover the metric and filters (vitals): approximate.
    let sketched = plan::rollup_rows(&query.metric, &scope, &[], &[Statistic::P50])?;
    if let Some(statement) = sketched.filter(|_| query.metric.vital().is_some()) {
        let (figures, samples) = super::rollups::histogram(context, statement, &spec).await?;
        for (bucket, (count, units)) in buckets.iter_mut().zip(figures) {
            bucket.count = count;
            bucket.samples = units.round() as u64;
        }
        return Ok(finish(query, buckets, Some(samples)));
    }
    let statement = plan::histogram(&query.metric, &scope, &spec)?;
    let batches = collect(context, statement).await?;
    for batch in &batches {
        let indices = integers(batch, "i")?;
        let counts = floats(batch, plan::COUNT)?;
        let samples = integers(batch, plan::SAMPLES)?;
        for row in 0..batch.num_rows() {
            let Some(bucket) = indices[row].and_then(|i| usize::try_from(i).ok()).and_then(|i| buckets.get_mut(i))
            else {
                continue;
            };
            bucket.count += counts[row].unwrap_or(0.0);
            bucket.samples += samples[row].and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        }
    }
    Ok(finish(query, buckets, None))
}

/// The shares and totals of the histogram (`samples` when known better than the buckets' sum).
fn finish(query: &DistributionQuery, mut buckets: Vec<HistogramBucket>, samples: Option<u64>) -> DistributionResult {
    let count: f64 = buckets.iter().map(|b| b.count).sum();
    let samples = samples.unwrap_or_else(|| buckets.iter().map(|b| b.samples).sum());
    if count > 0.0 {
        for bucket in &mut buckets {
            bucket.share = bucket.count / count;
        }
    }
    DistributionResult { metric: query.metric.clone(), buckets, count, samples }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_on_an_edge_fall_below_it() {
        let cls = histogram_buckets(&Metric::Cls);
        assert_eq!(
            [0.0, 0.025, 0.075, 0.0751, 0.1, 0.1001, 0.25, 1.0, 1.0001, 7.0].map(|v| cls.index(v)),
            [0, 0, 2, 3, 3, 4, 9, 39, 40, 40]
        );
        assert_eq!((cls.edge(3), cls.edge(40)), (0.075, 1.0));
        let lcp = histogram_buckets(&Metric::Lcp);
        assert_eq!([-1.0, 2500.0, 2500.1, 4000.0, 10_000.0, 10_000.1].map(|v| lcp.index(v)), [0, 9, 10, 15, 39, 40]);
    }
}
