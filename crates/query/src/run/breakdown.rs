//! Breakdown tables: every group's statistics, sorted; past the limit one more statement
//! computes `(other)` over the units of the remaining groups (quantiles cannot be merged
//! from the groups' own).

use datafusion::prelude::SessionContext;

use super::rollups::Figures;
use super::{RowShape, aggregate_rows, compare_groups, compare_values};
use crate::plan::{self, Fold, Scope, Top};
use crate::query::{BreakdownQuery, Order};
use crate::result::{BreakdownResult, BreakdownRow};
use crate::{QueryError, Statistic};

pub(super) async fn run(
    context: &SessionContext,
    project: &str,
    query: &BreakdownQuery,
) -> Result<BreakdownResult, QueryError> {
    let scope = Scope { project, range: query.range, filters: &query.filters, rollups: super::has_rollups(context) };
    let dims = &query.group_by;
    let statistics = &query.statistics;
    let sort = query.sort_by.unwrap_or(Statistic::Count);
    let sort_index = statistics.iter().position(|s| *s == sort).filter(|_| sort != Statistic::Count);
    let descending = query.order == Order::Desc;
    let top = Top { by: sort_index, descending, limit: query.limit };
    if let Some(statement) = plan::rollup_rows(&query.metric, &scope, dims, statistics)? {
        let groups = super::rollups::groups(context, statement, dims.len()).await?;
        return Ok(from_rollups(query, groups, sort_index, descending));
    }
    let statement = plan::top_groups(&query.metric, &scope, dims, statistics, top)?;
    let shape =
        RowShape { bucketed: false, groups: dims.len(), folded: false, statistics: statistics.len(), ranked: true };
    let mut rows = aggregate_rows(context, statement, shape).await?;
    // The engine sorted already; the same order again keeps the answer's order defined here.
    let key = |row: &super::Row| match sort_index {
        Some(i) => row.values[i],
        None => Some(row.count),
    };
    rows.sort_by(|a, b| compare_values(key(a), key(b), descending).then_with(|| compare_groups(&a.group, &b.group)));
    let groups = rows.first().map_or(0, |row| row.total_groups);

    let mut other = None;
    if groups > rows.len() as u64 {
        let kept: Vec<_> = rows.iter().map(|row| row.group.clone()).collect();
        let statement = plan::aggregate(&query.metric, &scope, None, dims, Fold::OnlyOther(&kept), statistics)?;
        let shape = RowShape { bucketed: false, groups: 0, folded: false, statistics: statistics.len(), ranked: false };
        other = aggregate_rows(context, statement, shape).await?.into_iter().next();
    }

    let mut table: Vec<BreakdownRow> = rows
        .into_iter()
        .map(|row| BreakdownRow {
            group: row.group,
            other: false,
            values: row.values,
            count: row.count,
            samples: row.samples,
        })
        .collect();
    if let Some(row) = other {
        table.push(BreakdownRow {
            group: vec![None; dims.len()],
            other: true,
            values: row.values,
            count: row.count,
            samples: row.samples,
        });
    }
    Ok(BreakdownResult { group_by: dims.clone(), statistics: statistics.clone(), rows: table, groups })
}

/// The table from the rollups' groups: ranked, the first `limit` kept, the others' rows
/// merged into `(other)` (their sketches merged, never their quantiles).
fn from_rollups(
    query: &BreakdownQuery,
    groups: Vec<(Vec<Option<String>>, Figures)>,
    sort_index: Option<usize>,
    descending: bool,
) -> BreakdownResult {
    let statistics = &query.statistics;
    let row = |group: Vec<Option<String>>, figures: &Figures, other: bool| BreakdownRow {
        group,
        other,
        values: statistics.iter().map(|statistic| figures.value(statistic)).collect(),
        count: figures.count,
        samples: figures.samples,
    };
    let mut rows: Vec<(BreakdownRow, Figures)> =
        groups.into_iter().map(|(group, figures)| (row(group, &figures, false), figures)).collect();
    let key = |row: &BreakdownRow| match sort_index {
        Some(i) => row.values[i],
        None => Some(row.count),
    };
    rows.sort_by(|(a, _), (b, _)| {
        compare_values(key(a), key(b), descending).then_with(|| compare_groups(&a.group, &b.group))
    });
    let groups = rows.len() as u64;
    let rest = rows.split_off(rows.len().min(query.limit));
    let mut table: Vec<BreakdownRow> = rows.into_iter().map(|(row, _)| row).collect();
    if !rest.is_empty() {
        let mut other = Figures::default();
        for (_, figures) in &rest {
            other.merge(figures);
        }
        table.push(row(vec![None; query.group_by.len()], &other, true));
    }
    BreakdownResult { group_by: query.group_by.clone(), statistics: statistics.clone(), rows: table, groups }
}
