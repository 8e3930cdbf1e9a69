//! Time series: the top groups over the whole range first (by count), then every bucket
//! of those groups and of `(other)` in one statement.

use datafusion::prelude::SessionContext;

use super::{Row, RowShape, aggregate_rows, compare_groups, compare_values};
use crate::plan::{self, Bucketing, Fold, Scope, Top};
use crate::query::TimeSeriesQuery;
use crate::result::{Point, Series, TimeSeriesResult};
use crate::{QueryError, Statistic, Timestamp};

pub(super) async fn run(
    context: &SessionContext,
    project: &str,
    query: &TimeSeriesQuery,
) -> Result<TimeSeriesResult, QueryError> {
    let scope = Scope { project, range: query.range, filters: &query.filters, rollups: super::has_rollups(context) };
    let dims: Vec<_> = query.group_by.iter().cloned().collect();

    let mut top: Vec<Vec<Option<String>>> = Vec::new();
    let mut folded = false;
    if !dims.is_empty() {
        let ranking = Top { by: None, descending: true, limit: query.limit };
        let statement = plan::top_groups(&query.metric, &scope, &dims, &[Statistic::Count], ranking)?;
        let shape = RowShape { bucketed: false, groups: 1, folded: false, statistics: 1, ranked: true };
        let mut groups = aggregate_rows(context, statement, shape).await?;
        groups.sort_by(|a, b| {
            compare_values(Some(a.count), Some(b.count), true).then_with(|| compare_groups(&a.group, &b.group))
        });
        folded = groups.first().is_some_and(|row| row.total_groups > query.limit as u64);
        top = groups.into_iter().take(query.limit).map(|row| row.group).collect();
    }

    let bucketing = Bucketing { size: query.bucket, zone: &query.time_zone };
    let fold = if folded { Fold::Keep(&top) } else { Fold::None };
    let statement = plan::aggregate(&query.metric, &scope, Some(&bucketing), &dims, fold, &query.statistics)?;
    let shape =
        RowShape { bucketed: true, groups: dims.len(), folded, statistics: query.statistics.len(), ranked: false };
    let rows = aggregate_rows(context, statement, shape).await?;

    let mut series: Vec<Series> = if dims.is_empty() {
        vec![Series { group: None, other: false, points: Vec::new() }]
    } else {
        top.iter().map(|group| Series { group: Some(group[0].clone()), other: false, points: Vec::new() }).collect()
    };
    if folded {
        series.push(Series { group: None, other: true, points: Vec::new() });
    }
    for row in rows {
        let index = if dims.is_empty() {
            Some(0)
        } else if row.other {
            Some(series.len() - 1)
        } else {
            top.iter().position(|group| *group == row.group)
        };
        if let Some(index) = index {
            series[index].points.push(point(row));
        }
    }
    for one in &mut series {
        one.points.sort_by_key(|point| point.time);
    }
    series.retain(|one| !one.points.is_empty());
    Ok(TimeSeriesResult { statistics: query.statistics.clone(), group_by: query.group_by.clone(), series })
}

fn point(row: Row) -> Point {
    Point {
        time: Timestamp(row.bucket.unwrap_or_default()),
        values: row.values,
        count: row.count,
        samples: row.samples,
    }
}
