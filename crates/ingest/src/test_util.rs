//! Helpers shared by this crate's tests.

/// Nanoseconds per call of `f` over `inputs`: the best of several batches, as the machine
/// may be busy with other work.
pub(crate) fn bench_ns<T>(inputs: &[&str], mut f: impl FnMut(&str) -> T) -> f64 {
    const BATCHES: usize = 9;
    const ROUNDS: usize = 30_000;
    let mut best = f64::INFINITY;
    for _ in 0..BATCHES {
        let start = std::time::Instant::now();
        for round in 0..ROUNDS {
            let input = inputs[round % inputs.len()];
            std::hint::black_box(f(std::hint::black_box(input)));
        }
        best = best.min(start.elapsed().as_nanos() as f64 / ROUNDS as f64);
    }
    best
}
