//! Single values: the tiles the rollups answer share one statement per grouping set; each
//! other metric has its own, its tiles sharing it; the statements run concurrently.

use std::collections::HashMap;

use datafusion::prelude::SessionContext;
use futures_util::future::try_join_all;

use super::rollups::{self, Figures};
use super::{Row, RowShape, aggregate_rows};
use crate::plan::{self, Fold, Measures, Scope};
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
    let covered: Vec<_> =
        metrics.iter().map(|(metric, statistics)| plan::value_measures(metric, scope, statistics)).collect();
    let from_events = try_join_all(metrics.iter().zip(&covered).filter(|(_, covered)| covered.is_none()).map(
        |((metric, statistics), _)| async move {
            let statement = plan::aggregate(metric, scope, None, &[], Fold::None, statistics)?;
            let shape =
                RowShape { bucketed: false, groups: 0, folded: false, statistics: statistics.len(), ranked: false };
            aggregate_rows(context, statement, shape).await
        },
    ));
    let (measured, from_events) = futures_util::try_join!(measure_figures(context, scope, &covered), from_events)?;
    let mut from_events = from_events.into_iter();
    let answers: Vec<Vec<Row>> = metrics
        .iter()
        .zip(&covered)
        .map(|((_, statistics), covered)| match covered {
            Some((grouping, measures)) => value_row(&measured, *grouping, *measures, statistics).into_iter().collect(),
            None => from_events.next().expect("an answer per metric the rollups do not hold"),
        })
        .collect();

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

/// The merged rollup rows of every measure `covered` names, by grouping and name: one
/// statement per grouping set for all the tiles it answers (a statement each took about
/// 40 ms, nearly all of it planning and opening the files, whatever the rows: 11 tiles and
/// their comparison took a second over a month at 10M page views).
async fn measure_figures(
    context: &SessionContext,
    scope: &Scope<'_>,
    covered: &[Option<(usize, Measures)>],
) -> Result<HashMap<(usize, String), Figures>, QueryError> {
    let mut names_by_grouping: Vec<(usize, Vec<&str>)> = Vec::new();
    for (grouping, measures) in covered.iter().flatten() {
        let at = match names_by_grouping.iter().position(|(known, _)| known == grouping) {
            Some(at) => at,
            None => {
                names_by_grouping.push((*grouping, Vec::new()));
                names_by_grouping.len() - 1
            }
        };
        let names = &mut names_by_grouping[at].1;
        for name in measures.names() {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let reads = names_by_grouping.iter().map(|(grouping, names)| async move {
        let groups = rollups::groups(context, plan::measure_rows(scope, *grouping, names), 1).await?;
        Ok::<_, QueryError>(
            groups.into_iter().map(move |(mut key, figures)| ((*grouping, key.remove(0).unwrap_or_default()), figures)),
        )
    });
    Ok(try_join_all(reads).await?.into_iter().flatten().collect())
}

/// A single value's row from its measures' merged rollup rows (none without rows): a
/// measure's figures, or a rate's ([`Figures::rate`]: the weight of the numerator's rows over
/// the denominator's, whose weight and units are the count and samples).
fn value_row(
    figures: &HashMap<(usize, String), Figures>,
    grouping: usize,
    measures: Measures,
    statistics: &[Statistic],
) -> Option<Row> {
    let of = |name: &str| figures.get(&(grouping, name.to_owned()));
    let rate;
    let figures = match measures {
        Measures::One(name) => of(name)?,
        Measures::Ratio { denominator, numerator } => {
            let (whole, part) = (of(denominator), of(numerator));
            if whole.is_none() && part.is_none() {
                return None;
            }
            // A numerator's rows without the denominator's (an hour with errors but no views
            // starting in it): the sum is theirs, the rate none.
            rate = Figures::rate(whole.unwrap_or(&Figures::default()), part.map_or(0.0, |part| part.count));
            &rate
        }
    };
    Some(Row {
        bucket: None,
        group: Vec::new(),
        other: false,
        count: figures.count,
        samples: figures.samples,
        values: statistics.iter().map(|statistic| figures.value(statistic)).collect(),
        total_groups: 0,
    })
}
