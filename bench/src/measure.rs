//! Timed rounds: each case runs the same work in every round, the cases of a round one
//! after the other (so a slow phase of the machine hits them all alike), and the first
//! rounds only warm up caches, allocators and branch predictors.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// How much to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Rounds run and thrown away before measuring.
    pub warm_up_rounds: usize,
    /// Rounds measured.
    pub rounds: usize,
    /// Work items (batches) per round and case.
    pub items_per_round: usize,
}

/// One thing to measure: a closure doing work item `i` and returning something to keep
/// (so the optimizer cannot drop the work), plus the measured round times.
pub struct Case<'a> {
    /// Short name for the report.
    pub name: &'static str,
    work: Box<dyn FnMut(usize) -> usize + 'a>,
    /// Wall time of each measured round.
    pub rounds: Vec<Duration>,
}

impl std::fmt::Debug for Case<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case").field("name", &self.name).field("rounds", &self.rounds).finish_non_exhaustive()
    }
}

impl<'a> Case<'a> {
    /// A case named `name` doing `work(i)` for item `i`.
    pub fn new(name: &'static str, work: impl FnMut(usize) -> usize + 'a) -> Self {
        Self { name, work: Box::new(work), rounds: Vec::new() }
    }

    /// The per-round rates of `units` units per item (e.g. 20 events per batch), per second.
    pub fn rates(&self, items_per_round: usize, units_per_item: f64) -> Summary {
        let mut rates: Vec<f64> = self
            .rounds
            .iter()
            .map(|round| items_per_round as f64 * units_per_item / round.as_secs_f64().max(f64::MIN_POSITIVE))
            .collect();
        Summary::of(&mut rates)
    }
}

/// Runs every case for `plan.warm_up_rounds + plan.rounds` rounds, interleaved, and keeps
/// the times of the measured rounds in each case.
pub fn run(plan: Plan, cases: &mut [Case<'_>]) {
    for round in 0..plan.warm_up_rounds + plan.rounds {
        for case in cases.iter_mut() {
            let started = Instant::now();
            let mut kept = 0usize;
            for item in 0..plan.items_per_round {
                kept = kept.wrapping_add((case.work)(black_box(item)));
            }
            let elapsed = started.elapsed();
            black_box(kept);
            if round >= plan.warm_up_rounds {
                case.rounds.push(elapsed);
            }
        }
    }
}

/// Median, minimum and maximum of a set of measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The median (mean of the middle two for an even count).
    pub median: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Summary {
    /// Summarizes `values` (sorted in place); all zero when empty.
    pub fn of(values: &mut [f64]) -> Self {
        if values.is_empty() {
            return Self { median: 0.0, min: 0.0, max: 0.0 };
        }
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 };
        Self { median, min: values[0], max: values[n - 1] }
    }
}

/// `value` with a k/M/G suffix and three significant digits, e.g. `312k`, `1.27M`.
pub fn si(value: f64) -> String {
    let (scaled, suffix) = match value.abs() {
        v if v >= 1e9 => (value / 1e9, "G"),
        v if v >= 1e6 => (value / 1e6, "M"),
        v if v >= 1e3 => (value / 1e3, "k"),
        _ => (value, ""),
    };
    let digits = match scaled.abs() {
        v if v >= 100.0 => 0,
        v if v >= 10.0 => 1,
        _ => 2,
    };
    format!("{scaled:.digits$}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_takes_the_middle_and_the_extremes() {
        assert_eq!(Summary::of(&mut [3.0, 1.0, 2.0]), Summary { median: 2.0, min: 1.0, max: 3.0 });
        assert_eq!(Summary::of(&mut [4.0, 1.0, 2.0, 3.0]).median, 2.5);
        assert_eq!(Summary::of(&mut []).median, 0.0);
    }

    #[test]
    fn si_keeps_three_significant_digits() {
        assert_eq!(si(312_400.0), "312k");
        assert_eq!(si(1_274_000.0), "1.27M");
        assert_eq!(si(45.67), "45.7");
        assert_eq!(si(2.5e9), "2.50G");
    }

    #[test]
    fn run_measures_only_the_rounds_after_the_warm_up() {
        let mut calls = 0;
        let mut cases = [Case::new("count", |item| {
            calls += 1;
            item
        })];
        run(Plan { warm_up_rounds: 2, rounds: 3, items_per_round: 4 }, &mut cases);
        assert_eq!(cases[0].rounds.len(), 3);
        drop(cases);
        assert_eq!(calls, 20);
    }
}
