//! A mergeable quantile sketch with a relative-error guarantee (DDSketch's log buckets).
//!
//! A positive value `v` falls in bucket `i = ⌈log_γ v⌉` with `γ = (1 + α) / (1 − α)`; the
//! bucket stands for `2γ^i / (γ + 1)`, within `α` of every value in it. Zero (and anything
//! below [`MIN_VALUE`]) has a bucket of its own and stands for 0. A sketch holds the
//! weight of each bucket, so sketches merge by adding weights, and the weighted
//! nearest-rank quantile (the smallest value whose cumulative weight reaches `q · W`, the
//! definition of `docs/query.md`) falls in the bucket where the cumulative weight reaches
//! `q · W`: the answer is within `α` (relative) of the exact quantile, whatever the data
//! and however the sketches were merged. [`ALPHA`] is 0.5 %, under the 1 % promised.
//!
//! In memory, a sketch with few buckets keeps `(index, weight)` pairs in index order; once
//! it has more than [`SPARSE_BUCKETS`] and they are close together, a plain array of weights
//! from its lowest index (one add is one indexed addition; no allocation per bucket). A
//! rollup holds thousands of small sketches and a few large ones, so each gets the form
//! that is smaller for it. The form never shows: equality, quantiles and the encoding see
//! only the buckets with a weight.
//!
//! Encoding (the rollups' `sketch` column): little-endian, a version byte (1), the zero
//! bucket's weight (f64), then `(index: i32, weight: f64)` pairs in index order.

/// The relative accuracy of a quantile: 0.5 %.
pub const ALPHA: f64 = 0.005;
/// Values below this are counted as zero (CLS is kept to 4 decimals, times to 0.1 ms).
pub const MIN_VALUE: f64 = 1e-6;
/// Buckets a sketch keeps as pairs, at least, before it may become an array.
pub const SPARSE_BUCKETS: usize = 32;
/// Pairs become an array only when it spans at most this many indices per pair (so that
/// it is at most twice their size).
const DENSE_SPAN_PER_BUCKET: usize = 4;
/// The widest array (64 KiB): valid vitals span under 3 000 indices (0.1 ms to 10 min is
/// 1 560), so only odd values make a sketch of pairs again.
const MAX_DENSE_SPAN: usize = 8192;

const VERSION: u8 = 1;

fn gamma() -> f64 {
    (1.0 + ALPHA) / (1.0 - ALPHA)
}

/// The bucket a value falls in; computed once, it can be added to many sketches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Zero and anything below [`MIN_VALUE`].
    Zero,
    /// The log bucket of this index.
    Index(i32),
}

impl Bucket {
    /// The bucket of `value`; none for negative and non-finite values (never counted).
    pub fn of(value: f64) -> Option<Self> {
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        if value < MIN_VALUE {
            return Some(Self::Zero);
        }
        Some(Self::Index((value.ln() / gamma().ln()).ceil() as i32))
    }
}

/// Weights of values in log buckets (see the module doc).
#[derive(Debug, Clone, Default)]
pub struct Sketch {
    zero: f64,
    buckets: Buckets,
}

#[derive(Debug, Clone)]
enum Buckets {
    /// `(index, weight)` in index order.
    Sparse(Vec<(i32, f64)>),
    /// The weight of each index from `offset` on; zero where there is none.
    Dense { offset: i32, weights: Vec<f64> },
}

impl Default for Buckets {
    fn default() -> Self {
        Self::Sparse(Vec::new())
    }
}

impl PartialEq for Sketch {
    fn eq(&self, other: &Self) -> bool {
        self.zero == other.zero && self.iter().eq(other.iter())
    }
}

impl Sketch {
    /// Adds `value` with `weight`; negative and non-finite values are ignored.
    pub fn add(&mut self, value: f64, weight: f64) {
        if let Some(bucket) = Bucket::of(value) {
            self.add_to(bucket, weight);
        }
    }

    /// Adds `weight` to `bucket`; a weight that is not positive is ignored.
    pub fn add_to(&mut self, bucket: Bucket, weight: f64) {
        if weight.is_nan() || weight <= 0.0 {
            return;
        }
        match bucket {
            Bucket::Zero => self.zero += weight,
            Bucket::Index(index) => self.add_at(index, weight),
        }
    }

    fn add_at(&mut self, index: i32, weight: f64) {
        if let Buckets::Dense { offset, weights } = &mut self.buckets {
            let at = i64::from(index) - i64::from(*offset);
            if let Some(slot) = usize::try_from(at).ok().and_then(|at| weights.get_mut(at)) {
                *slot += weight;
                return;
            }
            let span = if at < 0 { weights.len() as i64 - at } else { at + 1 };
            if span <= MAX_DENSE_SPAN as i64 {
                grow(offset, weights, at);
                weights[(i64::from(index) - i64::from(*offset)) as usize] += weight;
                return;
            }
            self.sparsify();
        }
        let Buckets::Sparse(pairs) = &mut self.buckets else { return };
        match pairs.binary_search_by_key(&index, |pair| pair.0) {
            Ok(at) => pairs[at].1 += weight,
            Err(at) => {
                pairs.insert(at, (index, weight));
                self.maybe_densify();
            }
        }
    }

    /// Pairs become an array once there are many of them and they are close together.
    fn maybe_densify(&mut self) {
        let Buckets::Sparse(pairs) = &self.buckets else { return };
        let (Some(first), Some(last)) = (pairs.first(), pairs.last()) else { return };
        let span = (i64::from(last.0) - i64::from(first.0) + 1) as usize;
        if pairs.len() <= SPARSE_BUCKETS || span > pairs.len() * DENSE_SPAN_PER_BUCKET || span > MAX_DENSE_SPAN {
            return;
        }
        let offset = first.0;
        let mut weights = vec![0.0; span];
        for (index, weight) in pairs {
            weights[(index - offset) as usize] += *weight;
        }
        self.buckets = Buckets::Dense { offset, weights };
    }

    /// An array that would grow too wide becomes pairs again.
    fn sparsify(&mut self) {
        let pairs = self.iter().collect();
        self.buckets = Buckets::Sparse(pairs);
    }

    /// The buckets with a weight (besides zero's), in index order.
    fn iter(&self) -> impl Iterator<Item = (i32, f64)> + '_ {
        let (pairs, offset, weights) = match &self.buckets {
            Buckets::Sparse(pairs) => (pairs.as_slice(), 0, [].as_slice()),
            Buckets::Dense { offset, weights } => ([].as_slice(), *offset, weights.as_slice()),
        };
        let dense = weights
            .iter()
            .enumerate()
            .filter(|(_, weight)| **weight != 0.0)
            .map(move |(at, weight)| (offset + at as i32, *weight));
        pairs.iter().copied().filter(|(_, weight)| *weight != 0.0).chain(dense)
    }

    /// Adds every weight of `other`.
    pub fn merge(&mut self, other: &Self) {
        self.zero += other.zero;
        for (index, weight) in other.iter() {
            self.add_at(index, weight);
        }
    }

    /// Buckets in use (besides zero's).
    pub fn buckets(&self) -> usize {
        self.iter().count()
    }

    /// Bytes of memory the sketch holds besides itself.
    pub fn heap_bytes(&self) -> usize {
        match &self.buckets {
            Buckets::Sparse(pairs) => pairs.capacity() * size_of::<(i32, f64)>(),
            Buckets::Dense { weights, .. } => weights.capacity() * size_of::<f64>(),
        }
    }

    /// The total weight.
    pub fn weight(&self) -> f64 {
        self.zero + self.iter().map(|(_, weight)| weight).sum::<f64>()
    }

    /// The weighted nearest-rank `q`-quantile, within [`ALPHA`]; none when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.weight();
        if total <= 0.0 {
            return None;
        }
        // The same rounding slack as an exact `cw >= q * tw` over sums of the same weights.
        let wanted = q * total * (1.0 - 1e-12);
        let mut cumulative = self.zero;
        if cumulative >= wanted && self.zero > 0.0 {
            return Some(0.0);
        }
        let gamma = gamma();
        let value = |index: i32| 2.0 * gamma.powi(index) / (gamma + 1.0);
        let mut last = None;
        for (index, weight) in self.iter() {
            cumulative += weight;
            if cumulative >= wanted {
                return Some(value(index));
            }
            last = Some(index);
        }
        last.map(value)
    }

    /// The encoding of the module doc.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        self.write_bytes(&mut bytes);
        bytes
    }

    /// Appends the encoding of the module doc to `bytes`.
    pub fn write_bytes(&self, bytes: &mut Vec<u8>) {
        bytes.reserve(9 + self.buckets() * 12);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.zero.to_le_bytes());
        for (index, weight) in self.iter() {
            bytes.extend_from_slice(&index.to_le_bytes());
            bytes.extend_from_slice(&weight.to_le_bytes());
        }
    }

    /// Adds the weights of an encoded sketch; false when the bytes are not one.
    pub fn merge_bytes(&mut self, bytes: &[u8]) -> bool {
        let Some((&VERSION, rest)) = bytes.split_first() else { return false };
        if rest.len() < 8 || (rest.len() - 8) % 12 != 0 {
            return false;
        }
        let f64_at = |at: usize| f64::from_le_bytes(rest[at..at + 8].try_into().expect("8 bytes"));
        self.zero += f64_at(0);
        for at in (8..rest.len()).step_by(12) {
            let index = i32::from_le_bytes(rest[at..at + 4].try_into().expect("4 bytes"));
            self.add_at(index, f64_at(at + 4));
        }
        true
    }

    /// An encoded sketch; none when the bytes are not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let mut sketch = Self::default();
        sketch.merge_bytes(bytes).then_some(sketch)
    }
}

/// Widens the array `weights` from `offset` to hold the index `offset + at` (`at` outside it,
/// the result at most [`MAX_DENSE_SPAN`] wide). Downwards it grows by at least half its
/// length, so that a sketch filled from the top down moves its weights only a few times.
fn grow(offset: &mut i32, weights: &mut Vec<f64>, at: i64) {
    if at >= 0 {
        weights.resize(at as usize + 1, 0.0);
        return;
    }
    let missing = (-at) as usize;
    let room = MAX_DENSE_SPAN - weights.len();
    let lowest = (i64::from(*offset) - i64::from(i32::MIN)) as usize;
    let by = missing.max(weights.len() / 2).min(room).min(lowest);
    let mut grown = Vec::with_capacity(by + weights.len());
    grown.resize(by, 0.0);
    grown.extend_from_slice(weights);
    *offset -= by as i32;
    *weights = grown;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact weighted nearest-rank quantile of `docs/query.md`.
    fn exact(values: &[(f64, f64)], q: f64) -> f64 {
        let mut sorted = values.to_vec();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = sorted.iter().map(|(_, w)| w).sum();
        let mut cumulative = 0.0;
        for (value, weight) in &sorted {
            cumulative += weight;
            if cumulative >= q * total {
                return *value;
            }
        }
        sorted.last().expect("values").0
    }

    fn values(seed: u64, n: usize) -> Vec<(f64, f64)> {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| {
                let value = (next() * 12.0).exp() / 1000.0; // 0.001 … 160 000, log-spread
                let value = if next() < 0.1 { 0.0 } else { (value * 10_000.0).round() / 10_000.0 };
                (value, [1.0, 2.0, 4.0, 8.0][(next() * 4.0) as usize])
            })
            .collect()
    }

    #[test]
    fn quantiles_are_within_the_relative_error_merged_or_not() {
        for seed in 1..=20 {
            let data = values(seed, 5_000);
            let (mut whole, mut merged) = (Sketch::default(), Sketch::default());
            for chunk in data.chunks(337) {
                let mut part = Sketch::default();
                for (value, weight) in chunk {
                    whole.add(*value, *weight);
                    part.add(*value, *weight);
                }
                assert!(merged.merge_bytes(&part.to_bytes()));
            }
            for q in [0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999] {
                let truth = exact(&data, q);
                for sketch in [&whole, &merged] {
                    let got = sketch.quantile(q).expect("a quantile");
                    let error = if truth == 0.0 { got } else { (got - truth).abs() / truth };
                    assert!(error <= 0.01, "seed {seed} q {q}: {got} vs exact {truth} ({error})");
                    assert!(error <= ALPHA + 1e-9, "seed {seed} q {q}: {got} vs {truth}");
                }
            }
        }
    }

    /// The buckets of `values` the plain way: one map entry per index.
    fn reference(values: &[(f64, f64)]) -> (f64, Vec<(i32, f64)>) {
        let mut zero = 0.0;
        let mut map = std::collections::BTreeMap::new();
        for (value, weight) in values {
            if *value < MIN_VALUE {
                zero += weight;
            } else {
                *map.entry((value.ln() / gamma().ln()).ceil() as i32).or_insert(0.0) += weight;
            }
        }
        (zero, map.into_iter().collect())
    }

    fn contents(sketch: &Sketch) -> (f64, Vec<(i32, f64)>) {
        (sketch.zero, sketch.iter().collect())
    }

    #[test]
    fn buckets_hold_exactly_the_weights_whatever_the_form_and_the_order_of_adds() {
        // Weights are powers of two: every sum is exact, so contents compare exactly.
        for seed in 1..=10 {
            let data = values(seed, 3_000);
            let (mut ascending, mut descending, mut few) = (Sketch::default(), Sketch::default(), Sketch::default());
            let mut sorted = data.clone();
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (value, weight) in &sorted {
                ascending.add(*value, *weight);
            }
            for (value, weight) in sorted.iter().rev() {
                descending.add(*value, *weight);
            }
            for (value, weight) in data.iter().take(20) {
                few.add(*value, *weight);
            }
            assert!(matches!(ascending.buckets, Buckets::Dense { .. }), "many close buckets: an array");
            assert!(matches!(descending.buckets, Buckets::Dense { .. }), "grown downwards too");
            assert!(matches!(few.buckets, Buckets::Sparse(_)), "few buckets: pairs");
            assert_eq!(contents(&ascending), reference(&data), "seed {seed}");
            assert_eq!(contents(&descending), reference(&data), "seed {seed}");
            assert_eq!(contents(&few), reference(&data[..20]), "seed {seed}");
            assert_eq!(ascending, descending);
            assert_eq!(ascending.buckets(), reference(&data).1.len());
        }
    }

    #[test]
    fn merging_adds_the_weights_of_any_two_forms() {
        let data = values(3, 4_000);
        let (low, high): (Vec<_>, Vec<_>) = data.iter().partition(|(value, _)| *value < 1.0);
        let mut parts = [Sketch::default(), Sketch::default(), Sketch::default()];
        for (value, weight) in &low {
            parts[0].add(*value, *weight);
        }
        for (value, weight) in &high {
            parts[1].add(*value, *weight);
        }
        for (value, weight) in data.iter().take(5) {
            parts[2].add(*value, *weight);
        }
        let mut expected = low;
        expected.extend(&high);
        expected.extend(data.iter().take(5));
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            let mut merged = Sketch::default();
            for part in order {
                merged.merge(&parts[part]);
            }
            assert_eq!(contents(&merged), reference(&expected), "order {order:?}");
            let mut decoded = Sketch::default();
            for part in order {
                assert!(decoded.merge_bytes(&parts[part].to_bytes()));
            }
            assert_eq!(decoded, merged);
        }
    }

    #[test]
    fn values_far_apart_keep_pairs_and_stay_exact() {
        // 1e-5 … 1e300: a span of about 72 000 indices, too wide for an array.
        let data: Vec<(f64, f64)> = (0..2_000).map(|i| (10f64.powf(-5.0 + f64::from(i) * 0.1525), 1.0)).collect();
        let mut sketch = Sketch::default();
        for (value, weight) in &data {
            sketch.add(*value, *weight);
        }
        assert!(matches!(sketch.buckets, Buckets::Sparse(_)));
        assert_eq!(contents(&sketch), reference(&data));
        // An array that would grow too wide becomes pairs again.
        let mut dense = Sketch::default();
        for i in 0..200 {
            dense.add(1.0 + f64::from(i) * 0.01, 1.0);
        }
        assert!(matches!(dense.buckets, Buckets::Dense { .. }));
        dense.add(1e200, 1.0);
        dense.add(1e-5, 2.0);
        assert!(matches!(dense.buckets, Buckets::Sparse(_)));
        let mut expected: Vec<(f64, f64)> = (0..200).map(|i| (1.0 + f64::from(i) * 0.01, 1.0)).collect();
        expected.extend([(1e200, 1.0), (1e-5, 2.0)]);
        assert_eq!(contents(&dense), reference(&expected));
        assert!(dense.heap_bytes() < 300 * 16, "{}", dense.heap_bytes());
    }

    #[test]
    fn encoding_round_trips_and_bad_bytes_are_refused() {
        let mut sketch = Sketch::default();
        for (value, weight) in values(7, 100) {
            sketch.add(value, weight);
        }
        assert_eq!(Sketch::from_bytes(&sketch.to_bytes()), Some(sketch));
        assert_eq!(Sketch::from_bytes(&[]), None);
        assert_eq!(Sketch::from_bytes(&[2, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(Sketch::from_bytes(&[1, 0, 0]), None);
        assert_eq!(Sketch::default().quantile(0.5), None);
    }
}
