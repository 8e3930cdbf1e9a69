//! The units of a metric: the rows a statistic is computed over, one per page view,
//! request, session… with its weight, value, time bucket and group.
//!
//! The text built here is a `WITH` list ending in `units(b, g0, g1, w, v, n)`:
//! `b` the bucket start (time series only), `g0`, `g1` the grouping dimensions' values,
//! `w` the weight (1 / sample rate), `v` the value (1 for counts, 0 or 1 for rates) and
//! `n` the multiplicity (an error the agent folded `n` times; 1 otherwise).

use sightline_protocol::VitalName;

use super::sql::{Sql, float_literal};
use crate::QueryError;
use crate::model::{BucketSize, Condition, Dimension, Filter, Metric, TimeRange, TimeZone};

/// What every query reads: one project's events in a range, filtered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub(crate) project: &'a str,
    pub(crate) range: TimeRange,
    pub(crate) filters: &'a [Filter],
    /// The session has the store's rollups, and statistics they cover may read them.
    pub(crate) rollups: bool,
}

/// Time buckets of a series.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bucketing<'a> {
    pub(crate) size: BucketSize,
    pub(crate) zone: &'a TimeZone,
}

/// How a metric's rows become units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dedup {
    /// Every row is a unit.
    None,
    /// The last row of each view (by timestamp, then received time, then event id).
    LastPerView,
    /// One unit per session (and bucket and group).
    PerSession,
}

/// Where a metric's rows come from.
#[derive(Debug)]
struct Source {
    table: &'static str,
    conditions: Vec<String>,
    value: String,
    multiplicity: &'static str,
    dedup: Dedup,
    joins: Vec<String>,
}

impl Source {
    fn new(table: &'static str, value: impl Into<String>, dedup: Dedup) -> Self {
        Self { table, conditions: Vec::new(), value: value.into(), multiplicity: "1.0", dedup, joins: Vec::new() }
    }

    fn when(mut self, condition: impl Into<String>) -> Self {
        self.conditions.push(condition.into());
        self
    }
}

/// The window a view's `navigation_type` is looked up in for events of other kinds: their
/// view started at most a day before them (the intake clamps event times to a day).
pub(super) const VIEW_LOOKBACK_MS: i64 = 86_400_000;

/// The project, time and sampling conditions of a table aliased `alias`: the project and
/// time first, so that the store skips files and partitions.
fn scan_conditions(alias: &str, project: &str, from: &str, to: &str) -> String {
    format!(
        "{alias}.project = {project} AND {alias}.\"timestamp\" >= {from} AND {alias}.\"timestamp\" < {to} \
         AND {alias}.sampling_reason = 'sampled'"
    )
}

/// Binds the scope's project and range, returning (project, from, to) placeholders.
struct Bound {
    project: String,
    from: String,
    to: String,
}

/// A vital's final value per view.
fn vital(name: VitalName) -> Source {
    Source::new("vital", "e.\"value\"", Dedup::LastPerView).when(format!("e.\"name\" = '{}'", name.as_str()))
}

/// A navigation-timing column of the view's last `view` event.
fn timing(column: &str) -> Source {
    Source::new("view", format!("e.\"{column}\""), Dedup::LastPerView).when(format!("e.\"{column}\" IS NOT NULL"))
}

fn source(metric: &Metric, sql: &mut Sql, bound: &Bound) -> Source {
    match metric {
        Metric::Lcp => vital(VitalName::Lcp),
        Metric::Inp => vital(VitalName::Inp),
        Metric::Cls => vital(VitalName::Cls),
        Metric::Fcp => vital(VitalName::Fcp),
        Metric::Ttfb => vital(VitalName::Ttfb),
        Metric::NavRedirect => timing("redirect"),
        Metric::NavDns => timing("dns"),
        Metric::NavConnect => timing("connect"),
        Metric::NavTls => timing("tls"),
        Metric::NavRequest => timing("request"),
        Metric::NavResponse => timing("response"),
        Metric::DomInteractive => timing("dom_interactive"),
        Metric::DomContentLoaded => timing("dom_content_loaded"),
        Metric::Load => timing("load"),
        Metric::RequestDuration => Source::new("request", "e.duration", Dedup::None).when("e.duration IS NOT NULL"),
        Metric::LongAnimationFrameDuration => {
            Source::new("long_animation_frame", "e.duration", Dedup::None).when("e.duration IS NOT NULL")
        }
        Metric::Custom(name) => Source::new("custom", "e.\"value\"", Dedup::None)
            .when(format!("e.\"name\" = {}", sql.text(name)))
            .when("e.\"value\" IS NOT NULL"),
        Metric::PageViews => Source::new("view", "1.0", Dedup::LastPerView),
        Metric::Sessions => Source::new("view", "1.0", Dedup::PerSession),
        Metric::Errors => Source {
            multiplicity: "CAST(coalesce(e.\"count\", 1) AS DOUBLE)",
            ..Source::new("error", "1.0", Dedup::None)
        },
        Metric::Requests => Source::new("request", "1.0", Dedup::None),
        Metric::Actions => Source::new("action", "1.0", Dedup::None),
        Metric::RageClicks => Source::new("action", "1.0", Dedup::None).when("e.rage"),
        Metric::DeadClicks => Source::new("action", "1.0", Dedup::None).when("e.dead"),
        Metric::ErrorRate => {
            let errors = format!(
                "LEFT JOIN (SELECT DISTINCT x.view_id FROM \"error\" x WHERE {}) err ON err.view_id = e.view_id",
                scan_conditions("x", &bound.project, &bound.from, &bound.to)
            );
            let mut source =
                Source::new("view", "CASE WHEN err.view_id IS NULL THEN 0.0 ELSE 1.0 END", Dedup::LastPerView);
            source.joins.push(errors);
            source
        }
        Metric::SessionErrorRate => {
            let errors = format!(
                "LEFT JOIN (SELECT DISTINCT x.session_id FROM \"error\" x WHERE {}) err ON err.session_id = e.session_id",
                scan_conditions("x", &bound.project, &bound.from, &bound.to)
            );
            let mut source =
                Source::new("view", "CASE WHEN err.session_id IS NULL THEN 0.0 ELSE 1.0 END", Dedup::PerSession);
            source.joins.push(errors);
            source
        }
        Metric::BounceRate => {
            let views = format!(
                "LEFT JOIN (SELECT x.session_id, count(DISTINCT x.view_id) AS views FROM \"view\" x WHERE {} \
                 GROUP BY x.session_id) sv ON sv.session_id = e.session_id",
                scan_conditions("x", &bound.project, &bound.from, &bound.to)
            );
            let mut source = Source::new("view", "CASE WHEN sv.views = 1 THEN 1.0 ELSE 0.0 END", Dedup::PerSession);
            source.joins.push(views);
            source
        }
        Metric::PoorVitalShare => {
            let poor = [VitalName::Lcp, VitalName::Inp, VitalName::Cls]
                .map(|vital| {
                    format!("WHEN '{}' THEN x.\"value\" > {}", vital.as_str(), float_literal(vital.thresholds().1))
                })
                .join(" ");
            // Each view's final report of each vital: a `last_value` aggregate per (view,
            // vital), which keeps one value per group where a window sorted every report (at
            // 10M page views, a day's share took 0.6-0.8 s instead of 1.3-1.7 s).
            let vitals = format!(
                "LEFT JOIN (SELECT view_id, max(poor) AS poor FROM (\
                   SELECT x.view_id, last_value(CASE WHEN (CASE x.\"name\" {poor} ELSE false END) THEN 1.0 ELSE 0.0 END \
                   ORDER BY x.\"timestamp\", x.received_at, x.event_id) AS poor \
                   FROM vital x WHERE {} AND x.\"name\" IN ('lcp', 'inp', 'cls') GROUP BY x.view_id, x.\"name\"\
                 ) GROUP BY view_id) pv ON pv.view_id = e.view_id",
                scan_conditions("x", &bound.project, &bound.from, &bound.to)
            );
            let mut source = Source::new("view", "coalesce(pv.poor, 0.0)", Dedup::LastPerView);
            source.joins.push(vitals);
            source
        }
        Metric::FailedRequestRate => Source::new(
            "request",
            "CASE WHEN e.failure IS NOT NULL OR coalesce(e.status, 0) = 0 OR e.status >= 400 THEN 1.0 ELSE 0.0 END",
            Dedup::None,
        ),
    }
}

/// The SQL of a dimension over the event row `e` (and the `nav` join).
pub(super) fn dimension(sql: &mut Sql, dimension: &Dimension, table: &str) -> String {
    let column = match dimension {
        Dimension::Route => "route",
        Dimension::Host => "host",
        Dimension::Path => "path",
        Dimension::Country => "country",
        Dimension::Region => "region",
        Dimension::City => "city",
        Dimension::Browser => "browser",
        Dimension::BrowserVersion => "browser_version",
        Dimension::Os => "os",
        Dimension::OsVersion => "os_version",
        Dimension::DeviceClass => "device_class",
        Dimension::EffectiveType => "effective_type",
        Dimension::ConnectionType => "connection_type",
        Dimension::Release => "release",
        Dimension::Environment => "environment",
        Dimension::ReferrerHost => "referrer_host",
        Dimension::NavigationType if table == "view" => "navigation_type",
        Dimension::NavigationType => return "nav.navigation_type".into(),
        Dimension::UserAttribute(key) => {
            return format!("{}(e.user_attributes, {})", crate::udf::ATTRIBUTE, sql.text(key));
        }
        Dimension::Attribute(key) => return format!("{}(e.attributes, {})", crate::udf::ATTRIBUTE, sql.text(key)),
    };
    format!("e.\"{column}\"")
}

pub(super) fn filter(sql: &mut Sql, filter: &Filter, table: &str) -> String {
    let value = dimension(sql, &filter.dimension, table);
    let list = |sql: &mut Sql, values: &[String]| values.iter().map(|v| sql.text(v)).collect::<Vec<_>>().join(", ");
    match &filter.condition {
        Condition::Eq(text) => format!("{value} = {}", sql.text(text)),
        Condition::Ne(text) => format!("{value} IS DISTINCT FROM {}", sql.text(text)),
        Condition::In(values) => format!("{value} IN ({})", list(sql, values)),
        Condition::NotIn(values) => format!("({value} IS NULL OR {value} NOT IN ({}))", list(sql, values)),
        Condition::Prefix(text) => format!("starts_with({value}, {})", sql.text(text)),
    }
}

pub(super) fn bucket(bucketing: &Bucketing<'_>) -> Result<String, QueryError> {
    let unit = bucketing.size.trunc_unit();
    if bucketing.zone.is_utc() {
        return Ok(format!("date_trunc('{unit}', e.\"timestamp\")"));
    }
    let zone = bucketing.zone.checked("time_zone")?;
    Ok(format!("date_trunc('{unit}', arrow_cast(e.\"timestamp\", 'Timestamp(Millisecond, Some(\"{zone}\"))'))"))
}

/// The `WITH` list ending in `units`, for `metric` in `scope`, bucketed and grouped by `dims`.
pub(crate) fn units(
    sql: &mut Sql,
    metric: &Metric,
    scope: &Scope<'_>,
    bucketing: Option<&Bucketing<'_>>,
    dims: &[Dimension],
) -> Result<String, QueryError> {
    let bound = Bound {
        project: sql.text(scope.project),
        from: sql.time(scope.range.from.ms()),
        to: sql.time(scope.range.to.ms()),
    };
    let mut source = source(metric, sql, &bound);
    let table = source.table;

    let needs_nav = table != "view"
        && (dims.contains(&Dimension::NavigationType)
            || scope.filters.iter().any(|f| f.dimension == Dimension::NavigationType));
    if needs_nav {
        let from = sql.time(scope.range.from.ms().saturating_sub(VIEW_LOOKBACK_MS));
        source.joins.push(format!(
            "LEFT JOIN (SELECT x.view_id, max(x.navigation_type) AS navigation_type FROM \"view\" x WHERE {} GROUP BY x.view_id) nav \
             ON nav.view_id = e.view_id",
            scan_conditions("x", &bound.project, &from, &bound.to)
        ));
    }

    let mut columns = vec![
        "e.view_id AS view_id".to_owned(),
        "e.session_id AS session_id".into(),
        "e.event_id AS id".into(),
        "e.\"timestamp\" AS t".into(),
        "e.received_at AS r".into(),
        "1.0 / e.sample_rate AS w".into(),
        format!("{} AS v", source.value),
        format!("{} AS n", source.multiplicity),
    ];
    let mut keys = Vec::new();
    if let Some(bucketing) = bucketing {
        columns.push(format!("{} AS b", bucket(bucketing)?));
        keys.push("b".to_owned());
    }
    for (i, dim) in dims.iter().enumerate() {
        columns.push(format!("{} AS g{i}", dimension(sql, dim, table)));
        keys.push(format!("g{i}"));
    }
    let mut conditions = vec![scan_conditions("e", &bound.project, &bound.from, &bound.to)];
    conditions.append(&mut source.conditions);
    // A view's final row is chosen among all its rows, and then filtered: a filter on what
    // can change within a view (the network, the user's attributes) must not pick an
    // earlier report. The page and the navigation type are the view's own: those filters
    // apply at the scan, where they prune.
    let mut after_dedup = Vec::new();
    for f in scope.filters {
        // In parentheses: the SQL parser binds `IS DISTINCT FROM` looser than `AND`.
        let condition = format!("({})", filter(sql, f, table));
        let per_view =
            matches!(f.dimension, Dimension::Route | Dimension::Host | Dimension::Path | Dimension::NavigationType);
        if source.dedup == Dedup::LastPerView && !per_view {
            after_dedup.push(condition);
        } else {
            conditions.push(condition);
        }
    }
    if !after_dedup.is_empty() {
        columns.push(format!("coalesce({}, false) AS keep", after_dedup.join(" AND ")));
    }
    let filtered = format!(
        "filtered AS (SELECT {} FROM \"{table}\" e {} WHERE {})",
        columns.join(", "),
        source.joins.join(" "),
        conditions.join(" AND ")
    );

    let mut unit_columns = keys.clone();
    unit_columns.extend(["w", "v", "n"].map(String::from));
    let units = match source.dedup {
        Dedup::None => format!("units AS (SELECT {} FROM filtered)", unit_columns.join(", ")),
        Dedup::LastPerView => format!(
            "units AS (SELECT {} FROM (SELECT *, row_number() OVER (PARTITION BY view_id ORDER BY t DESC, r DESC, id DESC) AS rn \
             FROM filtered) WHERE rn = 1{})",
            unit_columns.join(", "),
            if after_dedup.is_empty() { "" } else { " AND keep" }
        ),
        Dedup::PerSession => {
            let mut group = keys.clone();
            group.push("session_id".into());
            let selected = keys.iter().map(String::as_str).chain(["max(w) AS w", "max(v) AS v", "1.0 AS n"]);
            format!(
                "units AS (SELECT {} FROM filtered GROUP BY {})",
                selected.collect::<Vec<_>>().join(", "),
                group.join(", ")
            )
        }
    };
    Ok(format!("WITH {filtered}, {units}"))
}
