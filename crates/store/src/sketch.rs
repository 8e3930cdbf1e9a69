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
//! Encoding (the rollups' `sketch` column): little-endian, a version byte (1), the zero
//! bucket's weight (f64), then `(index: i32, weight: f64)` pairs in index order.

use std::collections::BTreeMap;

/// The relative accuracy of a quantile: 0.5 %.
pub const ALPHA: f64 = 0.005;
/// Values below this are counted as zero (CLS is kept to 4 decimals, times to 0.1 ms).
pub const MIN_VALUE: f64 = 1e-6;

const VERSION: u8 = 1;

fn gamma() -> f64 {
    (1.0 + ALPHA) / (1.0 - ALPHA)
}

/// Weights of values in log buckets (see the module doc).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sketch {
    zero: f64,
    buckets: BTreeMap<i32, f64>,
}

impl Sketch {
    /// Adds `value` with `weight`; negative and non-finite values are ignored.
    pub fn add(&mut self, value: f64, weight: f64) {
        if !value.is_finite() || value < 0.0 || weight.is_nan() || weight <= 0.0 {
            return;
        }
        if value < MIN_VALUE {
            self.zero += weight;
            return;
        }
        let index = (value.ln() / gamma().ln()).ceil() as i32;
        *self.buckets.entry(index).or_default() += weight;
    }

    /// Adds every weight of `other`.
    pub fn merge(&mut self, other: &Self) {
        self.zero += other.zero;
        for (index, weight) in &other.buckets {
            *self.buckets.entry(*index).or_default() += weight;
        }
    }

    /// Buckets in use (besides zero's).
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    /// The total weight.
    pub fn weight(&self) -> f64 {
        self.zero + self.buckets.values().sum::<f64>()
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
        for (index, weight) in &self.buckets {
            cumulative += weight;
            if cumulative >= wanted {
                return Some(2.0 * gamma.powi(*index) / (gamma + 1.0));
            }
        }
        self.buckets.keys().next_back().map(|index| 2.0 * gamma.powi(*index) / (gamma + 1.0))
    }

    /// The encoding of the module doc.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(9 + self.buckets.len() * 12);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.zero.to_le_bytes());
        for (index, weight) in &self.buckets {
            bytes.extend_from_slice(&index.to_le_bytes());
            bytes.extend_from_slice(&weight.to_le_bytes());
        }
        bytes
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
            *self.buckets.entry(index).or_default() += f64_at(at + 4);
        }
        true
    }

    /// An encoded sketch; none when the bytes are not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let mut sketch = Self::default();
        sketch.merge_bytes(bytes).then_some(sketch)
    }
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
