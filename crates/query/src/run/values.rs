//! Single values: the tiles of one metric share a statement; metrics run concurrently.

use datafusion::prelude::SessionContext;
use futures_util::future::try_join_all;

use super::{Row, RowShape, aggregate_rows};
use crate::plan::{self, Fold, Scope};
use crate::query::{Tile, ValuesQuery};
use crate::result::{Comparison, TileValue, ValuesResult};
use crate::{Metric, QueryError, Statistic};

pub(super) async fn run(
    context: &SessionContext,
    project: &str,
    query: &ValuesQuery,
) -> Result<ValuesResult, QueryError> {
    let scope = Scope { project, range: query.range, filters: &query.filters, rollups: super::has_rollups(context) };
    let current = tiles(context, &scope, &query.tiles);
    let Some(baseline) = &query.compare else {
        let values = current.await?;
        return Ok(ValuesResult { values });
    };
    let baseline_scope = Scope {
        project,
        range: baseline.range.unwrap_or(query.range),
        filters: baseline.filters.as_deref().unwrap_or(&query.filters),
        rollups: scope.rollups,
    };
    let (mut values, baselines) = futures_util::try_join!(current, tiles(context, &baseline_scope, &query.tiles))?;
    for (value, baseline) in values.iter_mut().zip(baselines) {
        value.comparison =
            Some(Comparison::of(&value.metric, &value.statistic, value.value, baseline.value, baseline.samples));
    }
    Ok(ValuesResult { values })
}

/// The tiles' values over `scope`.
async fn tiles(context: &SessionContext, scope: &Scope<'_>, tiles: &[Tile]) -> Result<Vec<TileValue>, QueryError> {
    // The distinct metrics in tile order, each with the statistics its tiles ask for.
    let mut metrics: Vec<(&Metric, Vec<Statistic>)> = Vec::new();
    for tile in tiles {
        match metrics.iter_mut().find(|(metric, _)| *metric == &tile.metric) {
            Some((_, statistics)) => statistics.push(tile.statistic),
            None => metrics.push((&tile.metric, vec![tile.statistic])),
        }
    }
    let answers = try_join_all(metrics.iter().map(|(metric, statistics)| async move {
        // From the rollups, the rows are merged here (dense sketches), as a breakdown's.
        if let Some(statement) = plan::rollup_rows(metric, scope, &[], statistics)? {
            let groups = super::rollups::groups(context, statement, 0).await?;
            let rows = groups.into_iter().map(|(_, figures)| Row {
                bucket: None,
                group: Vec::new(),
                other: false,
                count: figures.count,
                samples: figures.samples,
                values: statistics.iter().map(|statistic| figures.value(statistic)).collect(),
                total_groups: 0,
            });
            return Ok(rows.collect());
        }
        let statement = plan::aggregate(metric, scope, None, &[], Fold::None, statistics)?;
        let shape = RowShape { bucketed: false, groups: 0, folded: false, statistics: statistics.len(), ranked: false };
        aggregate_rows(context, statement, shape).await
    }))
    .await?;

    let mut values = Vec::with_capacity(tiles.len());
    for tile in tiles {
        let index = metrics.iter().position(|(metric, _)| *metric == &tile.metric).unwrap_or_default();
        let position = metrics[index].1.iter().position(|s| *s == tile.statistic).unwrap_or_default();
        let row = answers[index].first();
        let value = match (row, tile.statistic) {
            (Some(row), Statistic::Count) => Some(row.count),
            (Some(row), Statistic::Sum) => Some(row.values[position].unwrap_or(0.0)),
            (None, Statistic::Count | Statistic::Sum) => Some(0.0),
            (Some(row), _) => row.values[position],
            (None, _) => None,
        };
        values.push(TileValue {
            metric: tile.metric.clone(),
            statistic: tile.statistic,
            value,
            samples: row.map_or(0, |row| row.samples),
            comparison: None,
        });
    }
    Ok(values)
}
