//! Rollup rows merged here rather than in the engine: a breakdown ranks its groups and
//! folds the rest into `(other)` from one read of the rows (the engine would merge every
//! sketch twice: once to rank, once for `(other)`), and a distribution is the histogram of
//! the merged sketches. The sketches are merged into dense arrays ([`Merged`]).

use std::collections::HashMap;

use datafusion::arrow::array::{Array, AsArray, BinaryArray, RecordBatch};
use datafusion::prelude::SessionContext;

use super::{collect, column, floats, integers, texts};
use crate::plan::Statement;
use crate::sketch::{self, Merged};
use crate::{HistogramBuckets, QueryError, Rating, Statistic};

/// The figures of merged rollup rows.
#[derive(Debug, Clone, Default)]
pub(super) struct Figures {
    pub(super) count: f64,
    pub(super) samples: u64,
    sum: f64,
    ratings: [f64; 3],
    sketch: Merged,
}

impl Figures {
    pub(super) fn merge(&mut self, other: &Self) {
        self.count += other.count;
        self.samples += other.samples;
        self.sum += other.sum;
        for (mine, theirs) in self.ratings.iter_mut().zip(other.ratings) {
            *mine += theirs;
        }
        self.sketch.merge(&other.sketch);
    }

    /// A rate's figures: the denominator's rows' (`whole`), with `part`, the weight of the
    /// numerator's, as the sum (as a rate's rollup rows have it, see `plan/rollup.rs`).
    pub(super) fn rate(whole: &Self, part: f64) -> Self {
        Self { count: whole.count, samples: whole.samples, sum: part, ..Self::default() }
    }

    /// A statistic as the rollups' SQL computes it (see `plan/rollup.rs`); a rate's is the
    /// sum (the numerator's weight) over the count.
    pub(super) fn value(&self, statistic: &Statistic) -> Option<f64> {
        let value = if let Some(q) = statistic.quantile() {
            self.sketch.quantile(q)?
        } else {
            match (statistic, statistic.rating()) {
                (_, Some(Rating::Good)) => self.ratings[0] / self.count,
                (_, Some(Rating::NeedsImprovement)) => self.ratings[1] / self.count,
                (_, Some(Rating::Poor)) => self.ratings[2] / self.count,
                (Statistic::Mean | Statistic::Rate, _) => self.sum / self.count,
                (Statistic::Sum, _) => self.sum,
                _ => self.count,
            }
        };
        value.is_finite().then_some(value)
    }
}

/// The rollup rows of `statement` (`plan::rollup_rows`) merged per group of `dims` columns.
pub(super) async fn groups(
    context: &SessionContext,
    statement: Statement,
    dims: usize,
) -> Result<Vec<(Vec<Option<String>>, Figures)>, QueryError> {
    let batches = collect(context, statement).await?;
    let mut groups: HashMap<Vec<Option<String>>, Figures> = HashMap::new();
    for batch in &batches {
        let keys: Vec<_> = (0..dims).map(|i| texts(batch, &format!("g{i}"))).collect::<Result<_, _>>()?;
        let rows = Rows::of(batch)?;
        for row in 0..batch.num_rows() {
            let group: Vec<Option<String>> = keys.iter().map(|key| key[row].clone()).collect();
            let figures = groups.entry(group).or_default();
            rows.add(row, figures)?;
        }
    }
    Ok(groups.into_iter().collect())
}

/// The histogram of the rollup rows of `statement` over `spec`'s buckets: per bucket the
/// weight and the (estimated) units. Each log bucket of a sketch goes whole to the
/// histogram bucket of the value it stands for (within 0.5 % of each of its values); a
/// rollup row's units are shared out over its buckets by weight.
pub(super) async fn histogram(
    context: &SessionContext,
    statement: Statement,
    spec: &HistogramBuckets,
) -> Result<(Vec<(f64, f64)>, u64), QueryError> {
    let batches = collect(context, statement).await?;
    let mut buckets = vec![(0.0, 0.0); spec.buckets as usize + 1];
    let mut samples = 0;
    let mut index_of: HashMap<i32, usize> = HashMap::new();
    for batch in &batches {
        let (counts, units) = (floats(batch, "c")?, integers(batch, "k")?);
        let sketches = column(batch, "sk")?
            .as_binary_opt::<i32>()
            .ok_or_else(|| QueryError::Engine("the rollup's sketch is not binary".into()))?;
        for row in 0..batch.num_rows() {
            let (count, units) = (counts[row].unwrap_or(0.0), units[row].unwrap_or(0).max(0) as u64);
            samples += units;
            if count <= 0.0 || sketches.is_null(row) {
                continue;
            }
            let Some((zero, pairs)) = sketch::decode(sketches.value(row)) else {
                return Err(QueryError::Engine("a rollup sketch cannot be read".into()));
            };
            let per_weight = units as f64 / count;
            let zero_bucket = spec.index(0.0) as usize;
            buckets[zero_bucket].0 += zero;
            buckets[zero_bucket].1 += zero * per_weight;
            for (index, weight) in pairs {
                let at = *index_of.entry(index).or_insert_with(|| spec.index(sketch::bucket_value(index)) as usize);
                buckets[at].0 += weight;
                buckets[at].1 += weight * per_weight;
            }
        }
    }
    Ok((buckets, samples))
}

/// The payload columns of a batch of rollup rows.
struct Rows<'a> {
    counts: Vec<Option<f64>>,
    units: Vec<Option<i64>>,
    sums: Vec<Option<f64>>,
    ratings: [Vec<Option<f64>>; 3],
    sketches: &'a BinaryArray,
}

impl<'a> Rows<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self, QueryError> {
        Ok(Self {
            counts: floats(batch, "c")?,
            units: integers(batch, "k")?,
            sums: floats(batch, "sv")?,
            ratings: [floats(batch, "rg")?, floats(batch, "rn")?, floats(batch, "rp")?],
            sketches: column(batch, "sk")?
                .as_binary_opt::<i32>()
                .ok_or_else(|| QueryError::Engine("the rollup's sketch is not binary".into()))?,
        })
    }

    fn add(&self, row: usize, figures: &mut Figures) -> Result<(), QueryError> {
        figures.count += self.counts[row].unwrap_or(0.0);
        figures.samples += self.units[row].unwrap_or(0).max(0) as u64;
        figures.sum += self.sums[row].unwrap_or(0.0);
        for (mine, theirs) in figures.ratings.iter_mut().zip(&self.ratings) {
            *mine += theirs[row].unwrap_or(0.0);
        }
        if !self.sketches.is_null(row) && !figures.sketch.merge_bytes(self.sketches.value(row)) {
            return Err(QueryError::Engine("a rollup sketch cannot be read".into()));
        }
        Ok(())
    }
}
