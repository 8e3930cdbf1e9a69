//! A query from flags, for the common cases: `--metric lcp --stat p75 --by country
//! --last 7d --filter browser=Chrome --bucket hour`. The shape follows from the flags:
//! `--histogram` a distribution, `--bucket` a time series (one `--by` at most), `--by` a
//! breakdown, otherwise single values. Names are the query model's (docs/query.md);
//! a name with a parameter is written `kind:parameter` (`custom:purchase`,
//! `quantile:0.98`, `user_attribute:plan`). The server validates the result.

use std::time::{Duration, SystemTime};

use anyhow::{Context as _, bail};
use serde_json::{Map, Value, json};

/// The flags that build a query.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct QueryFlags {
    /// What is measured: lcp, inp, cls, page_views, error_rate, custom:NAME, …
    #[arg(long, value_name = "METRIC")]
    pub metric: Option<String>,
    /// Statistics, comma-separated: p75, p95, mean, count, good, poor, rate, quantile:0.98, …
    #[arg(long = "stat", value_name = "STAT", value_delimiter = ',', default_value = "p75")]
    pub stats: Vec<String>,
    /// Group by one or two dimensions, comma-separated: country, browser, route, user_attribute:plan, …
    #[arg(long, value_name = "DIMENSION", value_delimiter = ',')]
    pub by: Vec<String>,
    /// A time series with this bucket: minute, hour or day.
    #[arg(long, value_name = "SIZE")]
    pub bucket: Option<String>,
    /// A histogram of the metric's values.
    #[arg(long, conflicts_with_all = ["bucket", "by"])]
    pub histogram: bool,
    /// A filter, repeatable: `dim=value`, `dim!=value`, `dim=a|b` (any of), `dim^=prefix`.
    #[arg(long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
    /// The range ending now: 30m, 24h, 7d, 2w.
    #[arg(long, value_name = "DURATION", default_value = "24h", conflicts_with = "from")]
    pub last: String,
    /// The range's start (RFC 3339 or epoch milliseconds), instead of --last.
    #[arg(long, value_name = "TIME", requires = "to")]
    pub from: Option<String>,
    /// The range's end (excluded).
    #[arg(long, value_name = "TIME", requires = "from")]
    pub to: Option<String>,
    /// Time zone of the buckets: UTC, +05:30, Europe/Berlin.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// The most groups before the rest is folded into (other).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
}

impl QueryFlags {
    /// The query as JSON, its range ending at `now` with `--last`.
    pub fn build(&self, now: SystemTime) -> anyhow::Result<Value> {
        let metric = named(self.metric.as_deref().context("--metric is required")?);
        let range = self.range(now)?;
        let filters = self.filters.iter().map(|filter| parse_filter(filter)).collect::<anyhow::Result<Vec<_>>>()?;
        let statistics: Vec<Value> = self.stats.iter().map(|stat| named(stat)).collect();
        let groups: Vec<Value> = self.by.iter().map(|dimension| named(dimension)).collect();
        let mut query = Map::new();
        query.insert("range".into(), range);
        query.insert("filters".into(), Value::Array(filters));
        if self.histogram {
            query.insert("shape".into(), json!("distribution"));
            query.insert("metric".into(), metric);
        } else if let Some(bucket) = &self.bucket {
            if groups.len() > 1 {
                bail!("a time series is grouped by one dimension at most: give one --by with --bucket");
            }
            query.insert("shape".into(), json!("time_series"));
            query.insert("metric".into(), metric);
            query.insert("statistics".into(), Value::Array(statistics));
            query.insert("bucket".into(), json!(bucket));
            if let Some(group) = groups.into_iter().next() {
                query.insert("group_by".into(), group);
            }
            if let Some(tz) = &self.tz {
                query.insert("time_zone".into(), json!(tz));
            }
        } else if !groups.is_empty() {
            query.insert("shape".into(), json!("breakdown"));
            query.insert("metric".into(), metric);
            query.insert("statistics".into(), Value::Array(statistics));
            query.insert("group_by".into(), Value::Array(groups));
        } else {
            query.insert("shape".into(), json!("values"));
            let tiles = statistics.into_iter().map(|statistic| json!({"metric": metric, "statistic": statistic}));
            query.insert("tiles".into(), Value::Array(tiles.collect()));
        }
        if let Some(limit) = self.limit {
            query.insert("limit".into(), json!(limit));
        }
        Ok(Value::Object(query))
    }

    fn range(&self, now: SystemTime) -> anyhow::Result<Value> {
        if let (Some(from), Some(to)) = (&self.from, &self.to) {
            return Ok(json!({"from": time(from), "to": time(to)}));
        }
        let span = parse_duration(&self.last)?;
        let to = now.duration_since(SystemTime::UNIX_EPOCH).context("the clock is before 1970")?;
        let from = to.checked_sub(span).context("--last reaches before 1970")?;
        Ok(json!({"from": millis(from), "to": millis(to)}))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Epoch milliseconds stay numbers; anything else is sent as text (RFC 3339).
fn time(text: &str) -> Value {
    text.parse::<u64>().map_or_else(|_| json!(text), |ms| json!(ms))
}

/// `name` as a string, `kind:parameter` as `{"kind": parameter}` (a number when it is one).
fn named(text: &str) -> Value {
    match text.split_once(':') {
        Some((kind, parameter)) => {
            let parameter = parameter.parse::<f64>().map_or_else(|_| json!(parameter), |number| json!(number));
            json!({ kind: parameter })
        }
        None => json!(text),
    }
}

fn parse_filter(text: &str) -> anyhow::Result<Value> {
    let (dimension, op, value) = if let Some((dimension, value)) = text.split_once("!=") {
        (dimension, "ne", value)
    } else if let Some((dimension, value)) = text.split_once("^=") {
        (dimension, "prefix", value)
    } else if let Some((dimension, value)) = text.split_once('=') {
        (dimension, "eq", value)
    } else {
        bail!("--filter {text:?} is not `dimension=value` (or `!=`, `^=`, `=a|b`)");
    };
    let dimension = named(dimension.trim());
    if value.contains('|') {
        let values: Vec<&str> = value.split('|').collect();
        let op = if op == "ne" { "not_in" } else { "in" };
        return Ok(json!({"dimension": dimension, "op": op, "values": values}));
    }
    Ok(json!({"dimension": dimension, "op": op, "value": value}))
}

/// `30m`, `24h`, `7d`, `2w`.
fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().with_context(|| format!("--last {text:?}: give a number and m, h, d or w"))?;
    let unit_secs = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => bail!("--last {text:?}: the unit is m, h, d or w"),
    };
    Ok(Duration::from_secs(number.saturating_mul(unit_secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(metric: &str) -> QueryFlags {
        QueryFlags {
            metric: Some(metric.into()),
            stats: vec!["p75".into()],
            last: "7d".into(),
            ..QueryFlags::default()
        }
    }

    #[test]
    fn the_shape_follows_the_flags_and_the_query_parses() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(30 * 86_400);
        let values = flags("lcp").build(now).expect("values");
        assert_eq!(values["shape"], "values");
        assert_eq!(values["tiles"][0], json!({"metric": "lcp", "statistic": "p75"}));
        assert_eq!(values["range"]["to"].as_u64(), Some(30 * 86_400_000));
        assert_eq!(values["range"]["from"].as_u64(), Some(23 * 86_400_000));

        let mut breakdown = flags("inp");
        breakdown.by = vec!["route".into(), "user_attribute:plan".into()];
        breakdown.filters = vec!["browser=Chrome".into(), "country!=US|DE".into(), "path^=/shop".into()];
        let breakdown = breakdown.build(now).expect("breakdown");
        assert_eq!(breakdown["shape"], "breakdown");
        assert_eq!(breakdown["group_by"], json!(["route", {"user_attribute": "plan"}]));
        assert_eq!(breakdown["filters"][0], json!({"dimension": "browser", "op": "eq", "value": "Chrome"}));
        assert_eq!(breakdown["filters"][1], json!({"dimension": "country", "op": "not_in", "values": ["US", "DE"]}));
        assert_eq!(breakdown["filters"][2]["op"], "prefix");

        let mut series = flags("custom:purchase");
        series.stats = vec!["sum".into(), "quantile:0.98".into()];
        series.bucket = Some("hour".into());
        series.by = vec!["country".into()];
        let series = series.build(now).expect("series");
        assert_eq!(series["shape"], "time_series");
        assert_eq!(series["metric"], json!({"custom": "purchase"}));
        assert_eq!(series["statistics"], json!(["sum", {"quantile": 0.98}]));
        assert_eq!(series["group_by"], "country");

        for query in [values, breakdown, series] {
            let parsed: Result<sightline_query::Query, _> = serde_json::from_value(query.clone());
            assert!(parsed.is_ok(), "{query}: {parsed:?}");
        }
    }

    #[test]
    fn bad_flags_are_explained() {
        assert!(parse_duration("7x").is_err());
        assert!(parse_duration("d").is_err());
        assert_eq!(parse_duration("2w").expect("weeks"), Duration::from_secs(14 * 86_400));
        assert!(parse_filter("browser").is_err());
        let mut two = flags("lcp");
        two.bucket = Some("day".into());
        two.by = vec!["a".into(), "b".into()];
        assert!(two.build(SystemTime::now()).is_err());
    }
}
