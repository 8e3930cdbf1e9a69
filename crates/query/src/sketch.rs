//! The rollups' quantile sketches, read and merged in the query layer.
//!
//! The store writes each rollup row's sketch in one documented encoding
//! (`sightline_store::sketch`: little-endian, a version byte 1, the zero bucket's weight as
//! f64, then `(index: i32, weight: f64)` pairs in index order; bucket `i` stands for
//! `2γ^i / (γ + 1)`, `γ = (1 + α) / (1 − α)`, `α` = 0.5 %). Merging thousands of them per
//! group is the cost of a rollup query, so they are merged here into one dense array of
//! weights per group (one indexed addition per pair), and the quantile, the buckets'
//! values and a histogram are read from it. A test checks that the answers are the store's.

/// The relative accuracy of the store's sketches.
pub(crate) const ALPHA: f64 = 0.005;

const VERSION: u8 = 1;

fn gamma() -> f64 {
    (1.0 + ALPHA) / (1.0 - ALPHA)
}

/// The value a bucket stands for.
pub(crate) fn bucket_value(index: i32) -> f64 {
    let gamma = gamma();
    2.0 * gamma.powi(index) / (gamma + 1.0)
}

/// The pairs of an encoded sketch: the zero bucket's weight, then `(index, weight)`; none
/// when the bytes are not a sketch.
pub(crate) fn decode(bytes: &[u8]) -> Option<(f64, impl Iterator<Item = (i32, f64)> + '_)> {
    let (&VERSION, rest) = bytes.split_first()? else { return None };
    if rest.len() < 8 || (rest.len() - 8) % 12 != 0 {
        return None;
    }
    let zero = f64::from_le_bytes(rest[..8].try_into().ok()?);
    let pairs = rest[8..].chunks_exact(12).map(|pair| {
        let (index, weight) = pair.split_at(4);
        (
            i32::from_le_bytes(index.try_into().expect("4 bytes")),
            f64::from_le_bytes(weight.try_into().expect("8 bytes")),
        )
    });
    Some((zero, pairs))
}

/// Merged sketches: the zero bucket's weight and a dense array of weights from `offset`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Merged {
    zero: f64,
    offset: i32,
    weights: Vec<f64>,
}

impl Merged {
    /// Adds the weights of an encoded sketch; false when the bytes are not one.
    pub(crate) fn merge_bytes(&mut self, bytes: &[u8]) -> bool {
        let Some((zero, pairs)) = decode(bytes) else { return false };
        self.zero += zero;
        let mut pairs = pairs.peekable();
        // Pairs come in index order: the array is widened once per sketch, to its last index.
        if let Some(&(first, _)) = pairs.peek() {
            let last = i32::from_le_bytes(bytes[bytes.len() - 12..bytes.len() - 8].try_into().expect("4 bytes"));
            self.reserve(first, last);
        }
        for (index, weight) in pairs {
            self.weights[(i64::from(index) - i64::from(self.offset)) as usize] += weight;
        }
        true
    }

    /// Adds every weight of `other`.
    pub(crate) fn merge(&mut self, other: &Self) {
        self.zero += other.zero;
        if other.weights.is_empty() {
            return;
        }
        let last = other.offset + other.weights.len() as i32 - 1;
        self.reserve(other.offset, last);
        let at = (other.offset - self.offset) as usize;
        for (mine, theirs) in self.weights[at..].iter_mut().zip(&other.weights) {
            *mine += theirs;
        }
    }

    /// Widens the array to hold the indices `low..=high`.
    fn reserve(&mut self, low: i32, high: i32) {
        if self.weights.is_empty() {
            self.offset = low;
            self.weights = vec![0.0; (i64::from(high) - i64::from(low) + 1) as usize];
            return;
        }
        if low < self.offset {
            let by = (self.offset - low) as usize;
            let mut grown = vec![0.0; by + self.weights.len()];
            grown[by..].copy_from_slice(&self.weights);
            self.weights = grown;
            self.offset = low;
        }
        let needed = (i64::from(high) - i64::from(self.offset) + 1) as usize;
        if needed > self.weights.len() {
            self.weights.resize(needed, 0.0);
        }
    }

    /// The total weight.
    pub(crate) fn weight(&self) -> f64 {
        self.zero + self.weights.iter().sum::<f64>()
    }

    /// The weighted nearest-rank `q`-quantile as the store's sketch computes it; none when
    /// empty.
    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
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
        let mut last = None;
        for (index, weight) in self.buckets() {
            cumulative += weight;
            if cumulative >= wanted {
                return Some(bucket_value(index));
            }
            last = Some(index);
        }
        last.map(bucket_value)
    }

    /// The log buckets with a weight, in index order.
    pub(crate) fn buckets(&self) -> impl Iterator<Item = (i32, f64)> + '_ {
        let offset = self.offset;
        self.weights
            .iter()
            .enumerate()
            .filter(|(_, weight)| **weight != 0.0)
            .map(move |(at, w)| (offset + at as i32, *w))
    }
}

#[cfg(test)]
mod tests {
    use sightline_store::sketch::Sketch;

    use super::*;

    fn values(seed: u64, n: usize) -> Vec<(f64, f64)> {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| {
                let value = if next() < 0.1 { 0.0 } else { ((next() * 12.0).exp() / 1000.0 * 1e4).round() / 1e4 };
                (value, [1.0, 2.0, 4.0][(next() * 3.0) as usize])
            })
            .collect()
    }

    #[test]
    fn merged_sketches_answer_as_the_stores() {
        assert!((ALPHA - sightline_store::sketch::ALPHA).abs() < f64::EPSILON);
        for seed in 1..=8 {
            let data = values(seed, 4_000);
            let mut whole = Sketch::default();
            let (mut merged, mut pieces) = (Merged::default(), Vec::new());
            // Chunks far apart in value as well as mixed ones: the array widens both ways.
            let mut sorted = data.clone();
            sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
            for chunk in data.chunks(501).chain(sorted.chunks(777)) {
                let mut part = Sketch::default();
                for (value, weight) in chunk {
                    whole.add(*value, *weight);
                    part.add(*value, *weight);
                }
                assert!(merged.merge_bytes(&part.to_bytes()));
                let mut piece = Merged::default();
                assert!(piece.merge_bytes(&part.to_bytes()));
                pieces.push(piece);
            }
            let mut from_pieces = Merged::default();
            for piece in pieces.iter().rev() {
                from_pieces.merge(piece);
            }
            for q in [0.01, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999] {
                assert_eq!(merged.quantile(q), whole.quantile(q), "seed {seed} q {q}");
                assert_eq!(from_pieces.quantile(q), whole.quantile(q), "seed {seed} q {q}");
            }
            assert_eq!(merged.weight(), whole.weight());
            let buckets: Vec<(i32, f64)> = merged.buckets().collect();
            assert_eq!(buckets.len(), whole.buckets());
        }
        assert!(!Merged::default().merge_bytes(&[2, 0, 0, 0, 0, 0, 0, 0, 0]));
        assert!(!Merged::default().merge_bytes(&[]));
        assert_eq!(Merged::default().quantile(0.5), None);
    }
}
