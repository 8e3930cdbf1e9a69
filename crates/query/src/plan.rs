//! Planning: a query's parts become DataFusion SQL statements with bound parameters.
//!
//! Every statement reads one table scan (two or three for the rates and joins), filtered
//! by project and time range first so that the store prunes files and partitions, turns
//! rows into units ([`units`]), optionally folds the groups past a top-N into `(other)`,
//! and aggregates the statistics per bucket and group in one pass. Quantiles come from a
//! window over the units sorted by value: the cumulative weight `cw` and the total `tw`
//! of the unit's group; the q-quantile is the smallest value with `cw ≥ q · tw`. When the
//! session has the store's rollups and they cover the query ([`rollup`]), the units are
//! rollup rows instead and quantiles merge their sketches.

pub(crate) mod diagnostics;
mod rollup;
mod sql;
mod units;

use datafusion::common::ScalarValue;

pub(crate) use self::rollup::{Measures, ROLLUP_TABLE, measure_rows, rows as rollup_rows, value_measures};
use self::sql::{Sql, float_literal};
pub(crate) use self::units::{Bucketing, Scope};
use crate::QueryError;
use crate::model::{Dimension, Metric, Rating, Statistic};
use crate::run::HistogramBuckets;

/// A statement ready to run.
#[derive(Debug)]
pub(crate) struct Statement {
    pub(crate) text: String,
    pub(crate) params: Vec<ScalarValue>,
}

/// What happens to groups past a top-N.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fold<'a> {
    /// Every group is its own.
    None,
    /// These groups are kept; every other unit is in one `(other)` group (`o` true).
    Keep(&'a [Vec<Option<String>>]),
    /// Only the units of none of these groups, in one row without group columns.
    OnlyOther(&'a [Vec<Option<String>>]),
}

/// The column names of an aggregate's output.
pub(crate) const COUNT: &str = "count";
/// See [`COUNT`].
pub(crate) const SAMPLES: &str = "samples";
/// See [`COUNT`].
pub(crate) const OTHER: &str = "o";
/// See [`COUNT`].
pub(crate) const BUCKET: &str = "b";

/// The column of the i-th statistic.
pub(crate) fn statistic_column(i: usize) -> String {
    format!("s{i}")
}

/// The column of the i-th grouping dimension.
pub(crate) fn group_column(i: usize) -> String {
    format!("g{i}")
}

/// True when a unit belongs to one of `groups` (the grouping columns `g0`, `g1`…).
fn kept(sql: &mut Sql, groups: &[Vec<Option<String>>], dims: usize) -> String {
    let alternatives: Vec<String> = groups
        .iter()
        .map(|group| {
            let parts: Vec<String> = (0..dims)
                .map(|i| match group.get(i).cloned().flatten() {
                    // In parentheses: the SQL parser binds `IS NOT DISTINCT FROM` looser than `AND`.
                    Some(value) => format!("(g{i} IS NOT DISTINCT FROM {})", sql.text(&value)),
                    None => format!("(g{i} IS NULL)"),
                })
                .collect();
            format!("({})", parts.join(" AND "))
        })
        .collect();
    if alternatives.is_empty() {
        return "false".into();
    }
    format!("({})", alternatives.join(" OR "))
}

/// The SQL of one statistic over the (possibly ranked) units.
fn statistic(sql: &mut Sql, metric: &Metric, statistic: &Statistic) -> String {
    if let Some(q) = statistic.quantile() {
        return format!("min(v) FILTER (WHERE cw >= {} * tw)", sql.float(q));
    }
    if let (Some(rating), Some(vital)) = (statistic.rating(), metric.vital()) {
        let (good, poor) = vital.thresholds();
        let (good, poor) = (float_literal(good), float_literal(poor));
        let condition = match rating {
            Rating::Good => format!("v <= {good}"),
            Rating::NeedsImprovement => format!("v > {good} AND v <= {poor}"),
            Rating::Poor => format!("v > {poor}"),
        };
        return format!("sum(CASE WHEN {condition} THEN w ELSE 0.0 END) / sum(w)");
    }
    match statistic {
        Statistic::Mean | Statistic::Rate => "sum(w * v) / sum(w)".into(),
        Statistic::Sum => "sum(w * v)".into(),
        _ => "sum(w * n)".into(),
    }
}

/// The statistics of `metric` per bucket and group.
///
/// Output columns: `b` (with `bucketing`), `g0`… (one per dimension, unless
/// [`Fold::OnlyOther`]), `o` (with [`Fold::Keep`]), `count`, `samples`, `s0`… (one per
/// statistic).
pub(crate) fn aggregate(
    metric: &Metric,
    scope: &Scope<'_>,
    bucketing: Option<&Bucketing<'_>>,
    dims: &[Dimension],
    fold: Fold<'_>,
    statistics: &[Statistic],
) -> Result<Statement, QueryError> {
    let mut sql = Sql::default();
    let (with, select) = aggregate_parts(&mut sql, metric, scope, bucketing, dims, fold, statistics)?;
    Ok(Statement { text: format!("{with} {select}"), params: sql.params })
}

/// How [`top_groups`] ranks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Top {
    /// The statistic sorted by (its index), or `None` for `count`.
    pub(crate) by: Option<usize>,
    /// Largest first.
    pub(crate) descending: bool,
    /// Rows kept.
    pub(crate) limit: usize,
}

/// The column of [`top_groups`] holding how many groups there were before the limit.
pub(crate) const GROUPS: &str = "total_groups";

/// The first `top.limit` groups of [`aggregate`] (no buckets, no folding) in order: by the
/// ranking figure (missing ones last), then by the groups' values (missing first), with
/// the number of groups before the limit in every row's `total_groups`. Only those rows
/// leave the engine, whatever the number of groups.
pub(crate) fn top_groups(
    metric: &Metric,
    scope: &Scope<'_>,
    dims: &[Dimension],
    statistics: &[Statistic],
    top: Top,
) -> Result<Statement, QueryError> {
    let mut sql = Sql::default();
    let (with, select) = aggregate_parts(&mut sql, metric, scope, None, dims, Fold::None, statistics)?;
    let figure = top.by.map_or_else(|| COUNT.to_owned(), statistic_column);
    let direction = if top.descending { "DESC" } else { "ASC" };
    let mut order = vec![format!("{figure} {direction} NULLS LAST")];
    order.extend((0..dims.len()).map(|i| format!("{} ASC NULLS FIRST", group_column(i))));
    let text = format!(
        "{with}, agg AS ({select}) SELECT *, count(*) OVER () AS {GROUPS} FROM agg ORDER BY {} LIMIT {}",
        order.join(", "),
        top.limit
    );
    Ok(Statement { text, params: sql.params })
}

/// The `WITH` list and the final `SELECT` of [`aggregate`].
fn aggregate_parts(
    sql: &mut Sql,
    metric: &Metric,
    scope: &Scope<'_>,
    bucketing: Option<&Bucketing<'_>>,
    dims: &[Dimension],
    fold: Fold<'_>,
    statistics: &[Statistic],
) -> Result<(String, String), QueryError> {
    let rollup = rollup::grouping(metric, scope, bucketing, dims, statistics);
    let with = match rollup {
        Some(grouping) => rollup::units(sql, metric, scope, bucketing, dims, grouping)?,
        None => units::units(sql, metric, scope, bucketing, dims)?,
    };
    let payload: &[&str] = if rollup.is_some() { &rollup::PAYLOAD } else { &["w", "v", "n"] };

    let mut keys: Vec<String> = Vec::new();
    let mut folded_columns: Vec<String> = Vec::new();
    if bucketing.is_some() {
        keys.push(BUCKET.into());
        folded_columns.push(BUCKET.into());
    }
    let mut condition = String::new();
    match fold {
        Fold::None => {
            for i in 0..dims.len() {
                keys.push(group_column(i));
                folded_columns.push(group_column(i));
            }
        }
        Fold::Keep(groups) => {
            let kept = kept(sql, groups, dims.len());
            for i in 0..dims.len() {
                keys.push(group_column(i));
                folded_columns.push(format!("CASE WHEN coalesce({kept}, false) THEN g{i} END AS g{i}"));
            }
            keys.push(OTHER.into());
            folded_columns.push(format!("NOT coalesce({kept}, false) AS {OTHER}"));
        }
        Fold::OnlyOther(groups) => {
            condition = format!(" WHERE NOT coalesce({}, false)", kept(sql, groups, dims.len()));
        }
    }
    folded_columns.extend(payload.iter().map(|column| (*column).to_owned()));
    let folded = format!("folded AS (SELECT {} FROM units{condition})", folded_columns.join(", "));

    let mut input = "folded";
    let mut ranked = String::new();
    if rollup.is_none() && statistics.iter().any(|s| s.quantile().is_some()) {
        let partition = if keys.is_empty() { String::new() } else { format!("PARTITION BY {} ", keys.join(", ")) };
        ranked = format!(
            ", ranked AS (SELECT *, \
               sum(w) OVER ({partition}ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cw, \
               sum(w) OVER ({partition}) AS tw FROM folded)"
        );
        input = "ranked";
    }

    let mut selected = keys.clone();
    if rollup.is_some() {
        selected.push(format!("sum(c) AS {COUNT}"));
        selected.push(format!("sum(k) AS {SAMPLES}"));
    } else {
        selected.push(format!("sum(w * n) AS {COUNT}"));
        selected.push(format!("count(*) AS {SAMPLES}"));
    }
    for (i, s) in statistics.iter().enumerate() {
        let figure = if rollup.is_some() { rollup::statistic(sql, metric, s) } else { statistic(sql, metric, s) };
        selected.push(format!("{figure} AS {}", statistic_column(i)));
    }
    let group_by = if keys.is_empty() { String::new() } else { format!(" GROUP BY {}", keys.join(", ")) };
    Ok((format!("{with}, {folded}{ranked}"), format!("SELECT {} FROM {input}{group_by}", selected.join(", "))))
}

/// The histogram of `metric`: output columns `i` (the bucket index, 0 to `buckets`),
/// `count` and `samples`, by [`HistogramBuckets::index`].
pub(crate) fn histogram(metric: &Metric, scope: &Scope<'_>, spec: &HistogramBuckets) -> Result<Statement, QueryError> {
    let mut sql = Sql::default();
    let with = units::units(&mut sql, metric, scope, None, &[])?;
    let (scale, width) = (float_literal(spec.scale), float_literal((spec.width * spec.scale).round()));
    let index = format!("least(greatest(CAST(ceil(round(v * {scale}) / {width}) AS BIGINT) - 1, 0), {})", spec.buckets);
    let text = format!(
        "{with} SELECT i, sum(w * n) AS {COUNT}, count(*) AS {SAMPLES} FROM (SELECT {index} AS i, w, n FROM units) GROUP BY i"
    );
    Ok(Statement { text, params: sql.params })
}
