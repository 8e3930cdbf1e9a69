//! What is measured: metrics, the statistics over them, and which go together.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sightline_protocol::VitalName;

use crate::QueryError;

/// What a query measures. In JSON a string (`"lcp"`, `"page_views"`), or for a custom
/// event's value an object naming the event: `{"custom": "purchase"}`.
///
/// Every metric has a *unit* it is measured over (a page view, a request, a session…): a
/// statistic is computed over the units in the range that pass the filters, each unit
/// weighted by the inverse of its session's sample rate, and only units of sessions that
/// were sampled (`sampling_reason = 'sampled'`) count. `docs/query.md` defines each one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Largest Contentful Paint, ms: the final value per page view.
    Lcp,
    /// Interaction to Next Paint, ms: the final value per page view.
    Inp,
    /// Cumulative Layout Shift (a score): the final value per page view.
    Cls,
    /// First Contentful Paint, ms: the final value per page view.
    Fcp,
    /// Time to First Byte, ms: the final value per page view.
    Ttfb,
    /// Navigation timing of page loads (`view` events), ms: redirects.
    NavRedirect,
    /// DNS lookup, ms.
    NavDns,
    /// TCP and TLS connection, ms.
    NavConnect,
    /// TLS handshake, ms.
    NavTls,
    /// Request sent until first byte, ms.
    NavRequest,
    /// Document download, ms.
    NavResponse,
    /// `domInteractive` since navigation start, ms.
    DomInteractive,
    /// `domContentLoadedEventEnd` since navigation start, ms.
    DomContentLoaded,
    /// `loadEventEnd` since navigation start (page load time), ms.
    Load,
    /// Duration of fetch and XHR requests, ms (the unit is a request).
    RequestDuration,
    /// Duration of long animation frames, ms (the unit is a frame).
    LongAnimationFrameDuration,
    /// The `value` of custom events of this name (the unit is an event).
    Custom(String),
    /// Page views (page loads and route changes).
    PageViews,
    /// Sessions with a page view.
    Sessions,
    /// JavaScript, resource and network errors (an error the agent folded `n` times counts `n`).
    Errors,
    /// Fetch and XHR requests.
    Requests,
    /// User actions (clicks, taps, key presses, custom actions).
    Actions,
    /// Rage clicks (actions marked `rage`).
    RageClicks,
    /// Dead clicks (actions marked `dead`).
    DeadClicks,
    /// Share of page views with at least one error.
    ErrorRate,
    /// Share of sessions with at least one error.
    SessionErrorRate,
    /// Share of sessions with a single page view (bounces).
    BounceRate,
    /// Share of page views whose final LCP, INP or CLS is poor.
    PoorVitalShare,
    /// Share of requests that failed: no response (`failure` set, no status) or a status ≥ 400.
    FailedRequestRate,
}

/// What kind of figure a metric is, which decides the statistics it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A measured value per unit: quantiles, mean, count, sum (and rating shares for vitals).
    Value,
    /// A number of units: `count` only.
    Count,
    /// A share of units meeting a condition: `rate`, with `count` (the units) and `sum`
    /// (those meeting it).
    Rate,
}

impl Metric {
    /// The kind of figure.
    pub fn kind(&self) -> MetricKind {
        match self {
            Self::PageViews
            | Self::Sessions
            | Self::Errors
            | Self::Requests
            | Self::Actions
            | Self::RageClicks
            | Self::DeadClicks => MetricKind::Count,
            Self::ErrorRate
            | Self::SessionErrorRate
            | Self::BounceRate
            | Self::PoorVitalShare
            | Self::FailedRequestRate => MetricKind::Rate,
            _ => MetricKind::Value,
        }
    }

    /// The Core Web Vital this metric is, if it is one.
    pub fn vital(&self) -> Option<VitalName> {
        match self {
            Self::Lcp => Some(VitalName::Lcp),
            Self::Inp => Some(VitalName::Inp),
            Self::Cls => Some(VitalName::Cls),
            Self::Fcp => Some(VitalName::Fcp),
            Self::Ttfb => Some(VitalName::Ttfb),
            _ => None,
        }
    }

    /// Whether a lower `statistic` of this metric is better (`Some(true)`), a higher one
    /// (`Some(false)`), or neither (`None`: page views, custom values, sums of durations).
    pub fn lower_is_better(&self, statistic: &Statistic) -> Option<bool> {
        match (self.kind(), statistic) {
            (_, Statistic::Good) => Some(false),
            (_, Statistic::NeedsImprovement | Statistic::Poor) => Some(true),
            (MetricKind::Value, Statistic::Count | Statistic::Sum) => None,
            (MetricKind::Value, _) => (!matches!(self, Self::Custom(_))).then_some(true),
            (MetricKind::Count, _) => {
                matches!(self, Self::Errors | Self::RageClicks | Self::DeadClicks).then_some(true)
            }
            (MetricKind::Rate, Statistic::Rate) => Some(true),
            (MetricKind::Rate, _) => None,
        }
    }

    /// Checks a custom event name (the rest is fixed by the enum).
    pub fn validate(&self, field: &str) -> Result<(), QueryError> {
        if let Self::Custom(name) = self
            && (name.is_empty() || name.len() > crate::model::MAX_VALUE_BYTES)
        {
            return Err(QueryError::invalid(field, "a custom event name has 1 to 256 bytes"));
        }
        Ok(())
    }

    /// Checks that `statistic` applies to this metric.
    pub fn check_statistic(&self, statistic: &Statistic, field: &str) -> Result<(), QueryError> {
        statistic.validate(field)?;
        let fits = match (self.kind(), statistic) {
            (MetricKind::Count, Statistic::Count) => true,
            (MetricKind::Count, _) => false,
            (MetricKind::Rate, statistic) => matches!(statistic, Statistic::Rate | Statistic::Count | Statistic::Sum),
            (MetricKind::Value, Statistic::Rate) => false,
            (MetricKind::Value, statistic) if statistic.rating().is_some() => self.vital().is_some(),
            (MetricKind::Value, _) => true,
        };
        if fits {
            return Ok(());
        }
        let allowed = match self.kind() {
            MetricKind::Count => "count",
            MetricKind::Rate => "rate, count and sum",
            MetricKind::Value if self.vital().is_some() => {
                "a quantile (p50, p75, p90, p95, p99, {\"quantile\": q}), mean, count, sum, good, needs_improvement and poor"
            }
            MetricKind::Value => "a quantile (p50, p75, p90, p95, p99, {\"quantile\": q}), mean, count and sum",
        };
        Err(QueryError::invalid(field, format!("this metric takes {allowed}")))
    }
}

/// A rating by the Core Web Vitals thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// At most the first threshold.
    Good,
    /// Above the first threshold, at most the second.
    NeedsImprovement,
    /// Above the second threshold.
    Poor,
}

impl Rating {
    /// The rating of `value` of `vital` (good ≤ first threshold < needs improvement ≤
    /// second threshold < poor).
    pub fn of(vital: VitalName, value: f64) -> Self {
        let (good, poor) = vital.thresholds();
        if value <= good {
            Self::Good
        } else if value <= poor {
            Self::NeedsImprovement
        } else {
            Self::Poor
        }
    }
}

/// A statistic over a metric's units. In JSON a string (`"p75"`, `"mean"`, `"poor"`) or
/// `{"quantile": 0.999}` for any other quantile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// The median.
    P50,
    /// The 75th percentile (the Core Web Vitals assessment).
    P75,
    /// The 90th percentile.
    P90,
    /// The 95th percentile.
    P95,
    /// The 99th percentile.
    P99,
    /// Any quantile q, 0 < q < 1: the smallest value whose cumulative weight reaches q of
    /// the total weight.
    Quantile(f64),
    /// The weighted mean.
    Mean,
    /// The estimated number of units (the sum of their weights).
    Count,
    /// The estimated total: the sum of value × weight.
    Sum,
    /// The weighted share of units rated good.
    Good,
    /// The weighted share of units rated needs improvement.
    NeedsImprovement,
    /// The weighted share of units rated poor.
    Poor,
    /// For rate metrics: the weighted share of units meeting the condition.
    Rate,
}

impl Statistic {
    /// The quantile, for quantile statistics.
    pub fn quantile(&self) -> Option<f64> {
        match self {
            Self::P50 => Some(0.5),
            Self::P75 => Some(0.75),
            Self::P90 => Some(0.9),
            Self::P95 => Some(0.95),
            Self::P99 => Some(0.99),
            Self::Quantile(q) => Some(*q),
            _ => None,
        }
    }

    /// The rating counted, for the rating shares.
    pub fn rating(&self) -> Option<Rating> {
        match self {
            Self::Good => Some(Rating::Good),
            Self::NeedsImprovement => Some(Rating::NeedsImprovement),
            Self::Poor => Some(Rating::Poor),
            _ => None,
        }
    }

    /// Checks the quantile's range.
    pub fn validate(&self, field: &str) -> Result<(), QueryError> {
        if let Self::Quantile(q) = self
            && !(q.is_finite() && *q > 0.0 && *q < 1.0)
        {
            return Err(QueryError::invalid(field, "a quantile is a number strictly between 0 and 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_and_statistics_are_strings_or_one_key_objects() {
        let metrics: Vec<Metric> =
            serde_json::from_str(r#"["lcp", "nav_dns", "page_views", {"custom": "purchase"}]"#).expect("succeeds");
        assert_eq!(metrics, [Metric::Lcp, Metric::NavDns, Metric::PageViews, Metric::Custom("purchase".into())]);
        assert_eq!(
            serde_json::to_string(&metrics).expect("succeeds"),
            r#"["lcp","nav_dns","page_views",{"custom":"purchase"}]"#
        );
        let statistics: Vec<Statistic> =
            serde_json::from_str(r#"["p75", "needs_improvement", {"quantile": 0.999}]"#).expect("succeeds");
        assert_eq!(statistics, [Statistic::P75, Statistic::NeedsImprovement, Statistic::Quantile(0.999)]);
        assert!(serde_json::from_str::<Metric>(r#""p75""#).is_err());
    }

    #[test]
    fn statistics_fit_their_metrics() {
        let ok = |metric: Metric, statistic| metric.check_statistic(&statistic, "s").is_ok();
        assert!(ok(Metric::Lcp, Statistic::Poor));
        assert!(ok(Metric::Load, Statistic::P99));
        assert!(!ok(Metric::Load, Statistic::Poor));
        assert!(ok(Metric::PageViews, Statistic::Count));
        assert!(!ok(Metric::PageViews, Statistic::P75));
        assert!(ok(Metric::ErrorRate, Statistic::Rate));
        assert!(!ok(Metric::ErrorRate, Statistic::Mean));
        assert!(!ok(Metric::Inp, Statistic::Rate));
        assert!(!ok(Metric::Inp, Statistic::Quantile(1.0)));
        assert!(!ok(Metric::Inp, Statistic::Quantile(f64::NAN)));
    }

    #[test]
    fn ratings_use_the_core_web_vitals_thresholds() {
        assert_eq!(Rating::of(VitalName::Lcp, 2500.0), Rating::Good);
        assert_eq!(Rating::of(VitalName::Lcp, 2500.1), Rating::NeedsImprovement);
        assert_eq!(Rating::of(VitalName::Lcp, 4000.0), Rating::NeedsImprovement);
        assert_eq!(Rating::of(VitalName::Lcp, 4000.1), Rating::Poor);
        assert_eq!(Rating::of(VitalName::Cls, 0.1), Rating::Good);
        assert_eq!(Rating::of(VitalName::Cls, 0.25), Rating::NeedsImprovement);
    }
}
