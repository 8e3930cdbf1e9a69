//! Histograms over each metric's fixed buckets.

use datafusion::prelude::SessionContext;

use super::{collect, floats, integers};
use crate::QueryError;
use crate::model::{Metric, Rating};
use crate::plan::{self, Scope};
use crate::query::DistributionQuery;
use crate::result::{DistributionResult, HistogramBucket};

/// The buckets of `metric`'s histogram: (width, number of regular buckets). Bucket `i`
/// holds `(i · width, (i + 1) · width]`, the first one also 0 and anything below, and one
/// more bucket after them everything above `width · buckets`. The widths divide the Core
/// Web Vitals thresholds, so that every bucket of a vital has one rating.
pub fn histogram_buckets(metric: &Metric) -> (f64, u32) {
    match metric {
        Metric::Lcp | Metric::DomInteractive | Metric::DomContentLoaded | Metric::Load => (250.0, 40),
        Metric::Fcp => (200.0, 30),
        Metric::Ttfb => (100.0, 40),
        Metric::Inp => (25.0, 40),
        Metric::Cls => (0.025, 40),
        Metric::NavRedirect
        | Metric::NavDns
        | Metric::NavConnect
        | Metric::NavTls
        | Metric::NavRequest
        | Metric::NavResponse => (25.0, 40),
        Metric::RequestDuration => (100.0, 50),
        Metric::LongAnimationFrameDuration => (50.0, 40),
        _ => (100.0, 50),
    }
}

pub(super) async fn run(
    context: &SessionContext,
    project: &str,
    query: &DistributionQuery,
) -> Result<DistributionResult, QueryError> {
    let scope = Scope { project, range: query.range, filters: &query.filters };
    let (width, regular) = histogram_buckets(&query.metric);
    let statement = plan::histogram(&query.metric, &scope, width, regular)?;
    let batches = collect(context, statement).await?;

    let edge = |i: u32| f64::from(i) * width;
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
                let probe = if i < regular { edge(i + 1) } else { edge(i) + width };
                Rating::of(vital, probe)
            }),
        })
        .collect();
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
    let count: f64 = buckets.iter().map(|b| b.count).sum();
    let samples = buckets.iter().map(|b| b.samples).sum();
    if count > 0.0 {
        for bucket in &mut buckets {
            bucket.share = bucket.count / count;
        }
    }
    Ok(DistributionResult { metric: query.metric.clone(), buckets, count, samples })
}
