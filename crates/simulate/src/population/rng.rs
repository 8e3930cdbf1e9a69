//! The population's random numbers: SplitMix64 (Steele, Lea and Flood, 2014), written out
//! here so that a seed gives the same beacons with every version of every dependency.
//!
//! Every session and every view draws from its own stream, derived from the population
//! seed and its index, so a session's beacons do not depend on how sessions interleave.

/// Golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// A SplitMix64 generator with the distributions the population needs.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The generator of `stream` (a session, a view…) under `seed`.
    pub fn stream(seed: u64, stream: u64) -> Self {
        let mut mixer = Self(seed ^ 0x5851_f42d_4c95_7f2d);
        let base = mixer.next_u64();
        let mut rng = Self(base ^ stream.wrapping_mul(GAMMA));
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GAMMA);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[0, n)`; `n` must be above 0.
    pub fn below(&mut self, n: u64) -> u64 {
        // The modulo bias is below 2^-40 for the small `n` used here.
        self.next_u64() % n
    }

    /// Uniform in `[low, high)`.
    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + self.unit() * (high - low)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items`, uniformly.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// An index into `weights`, with probability proportional to its weight.
    pub fn weighted(&mut self, weights: impl IntoIterator<Item = f64> + Clone) -> usize {
        let total: f64 = weights.clone().into_iter().sum();
        let mut target = self.unit() * total;
        let mut last = 0;
        for (index, weight) in weights.into_iter().enumerate() {
            if target < weight {
                return index;
            }
            target -= weight;
            last = index;
        }
        last
    }

    /// A standard normal deviate (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal with the given median and shape `sigma` (of the underlying normal).
    pub fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Geometric count of trials until stopping, at least 1: `1 + failures` when each step
    /// continues with probability `p_continue`, capped at `max`.
    pub fn geometric(&mut self, p_continue: f64, max: u32) -> u32 {
        let mut count = 1;
        while count < max && self.chance(p_continue) {
            count += 1;
        }
        count
    }

    /// `len` lowercase hex digits.
    pub fn hex(&mut self, len: usize) -> String {
        let mut out = String::with_capacity(len + 16);
        while out.len() < len {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(len);
        out
    }

    /// A version 4 UUID.
    pub fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!("{}-{}-4{}-a{}-{}", &h[..8], &h[8..12], &h[13..16], &h[17..20], &h[20..])
    }
}

/// A time as the agent measures it: a `performance.now()` difference at 5 µs resolution,
/// never negative.
pub fn ms(value: f64) -> f64 {
    ((value.max(0.0)) * 200.0).round() / 200.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::stream(7, 1).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::stream(7, 1).next_u64(), Rng::stream(7, 2).next_u64());
        assert_ne!(Rng::stream(7, 1).next_u64(), Rng::stream(8, 1).next_u64());
    }

    #[test]
    fn distributions_have_their_documented_centre() {
        let mut rng = Rng::stream(1, 0);
        let mut values: Vec<f64> = (0..20_000).map(|_| rng.log_normal(1000.0, 0.5)).collect();
        values.sort_by(f64::total_cmp);
        let median = values[values.len() / 2];
        assert!((950.0..1050.0).contains(&median), "median {median}");
        let picks = (0..10_000).filter(|_| rng.weighted([1.0, 3.0]) == 1).count();
        assert!((7_200..7_800).contains(&picks), "{picks}");
        let mean = (0..20_000).map(|_| f64::from(rng.geometric(0.75, 1000))).sum::<f64>() / 20_000.0;
        assert!((3.8..4.2).contains(&mean), "mean {mean}");
    }
}
