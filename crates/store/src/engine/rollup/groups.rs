//! A rollup's figures: each unit is added to its groups (one per grouping set: the twelve
//! [`GROUPING_SETS`], or for an item measure the seven [`ITEM_GROUPING_SETS`]) as it comes,
//! so no finer grouping is ever held and merged.
//!
//! A slot is a grouping set's projection of a unit's keys in one hour; it holds the
//! [`Figures`] of every measure of the file's kind. The slots of a unit are looked up once
//! for each new `(hour, keys)` of its sets: the units of a view (its vitals) and the views
//! of a session mostly share them, so most units skip the lookups. The value's sketch
//! bucket and rating are computed once per unit, not once per group.

use std::collections::HashMap;

use foldhash::fast::RandomState;
use sightline_protocol::VitalName;

use super::{DAILY_GROUPING, GROUPING_SETS, ITEM_GROUPING_SETS, KEYS, NULL, is_item_measure, is_sketched};
use crate::sketch::{Bucket, Sketch};

/// The figures of one group and measure.
#[derive(Debug, Default)]
pub(super) struct Figures {
    pub count: f64,
    pub samples: i64,
    pub sum: f64,
    pub ratings: [f64; 3],
    pub sketch: Sketch,
}

/// A unit's value as every group adds it.
#[derive(Debug, Clone, Copy)]
struct Value {
    value: f64,
    bucket: Option<Bucket>,
    rating: Option<usize>,
}

impl Figures {
    /// Adds `other`'s units.
    fn merge(&mut self, other: &Self) {
        self.count += other.count;
        self.samples += other.samples;
        self.sum += other.sum;
        for (mine, theirs) in self.ratings.iter_mut().zip(other.ratings) {
            *mine += theirs;
        }
        self.sketch.merge(&other.sketch);
    }

    fn add(&mut self, weight: f64, value: Option<Value>) {
        self.count += weight;
        self.samples += 1;
        let Some(Value { value, bucket, rating }) = value else { return };
        self.sum += weight * value;
        if let Some(bucket) = bucket {
            self.sketch.add_to(bucket, weight);
        }
        if let Some(rating) = rating {
            self.ratings[rating] += weight;
        }
    }
}

/// Whether `value` of the vital `measure` is poor.
pub(super) fn is_poor(measure: u8, value: f64) -> bool {
    rating(measure, value) == Some(2)
}

/// The rating of `value` by `measure`'s thresholds (0 good, 1 needs improvement, 2 poor);
/// none for the measures that are not vitals.
fn rating(measure: u8, value: f64) -> Option<usize> {
    let vital = [VitalName::Lcp, VitalName::Inp, VitalName::Cls, VitalName::Fcp, VitalName::Ttfb];
    let (good, poor) = vital.get(usize::from(measure))?.thresholds();
    Some(if value <= good {
        0
    } else if value <= poor {
        1
    } else {
        2
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SlotKey {
    grouping: u8,
    hour: i64,
    dims: [u32; KEYS],
}

/// A rollup row's key and figures, as [`Groups::rows`] lists them.
#[derive(Debug)]
pub(super) struct Row<'a> {
    pub grouping: u8,
    pub measure: u8,
    pub hour: i64,
    /// Key value ids, dimensions then item ([`NULL`] where the grouping set drops the key).
    pub dims: [u32; KEYS],
    pub figures: &'a Figures,
}

/// The figures of every group of a file (see the module doc).
#[derive(Debug)]
pub(super) struct Groups {
    /// The first measure of the kind, and how many it has (see `KIND_MEASURES`).
    first_measure: u8,
    measures: usize,
    slots: HashMap<SlotKey, u32, RandomState>,
    keys: Vec<SlotKey>,
    /// `measures` figures per slot.
    figures: Vec<Figures>,
    /// The slots of the last `(hour, keys)` seen, of the plain measures and of the item ones.
    last: [Option<LastSlots>; 2],
}

/// An `(hour, keys)` and the slots of its grouping sets.
type LastSlots = (i64, [u32; KEYS], [u32; 12]);

/// The sets of `grouping`s from `first` on: the plain measures' or the item ones'.
fn sets(item: bool) -> (usize, &'static [&'static [usize]]) {
    if item { (GROUPING_SETS.len(), &ITEM_GROUPING_SETS) } else { (0, &GROUPING_SETS) }
}

impl Groups {
    /// Groups of the measures `first_measure..first_measure + measures`.
    pub fn new((first_measure, measures): (u8, usize)) -> Self {
        Self {
            first_measure,
            measures,
            slots: HashMap::default(),
            keys: Vec::new(),
            figures: Vec::new(),
            last: [None, None],
        }
    }

    /// Whether no unit was added.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Adds a unit of `measure` (of the kind's measures) to its groups.
    pub fn add(&mut self, hour: i64, measure: u8, dims: [u32; KEYS], weight: f64, value: Option<f64>) {
        let Some(at) = measure.checked_sub(self.first_measure).map(usize::from).filter(|at| *at < self.measures) else {
            return;
        };
        let item = is_item_measure(measure);
        let (first, sets) = sets(item);
        let slots = match self.last[usize::from(item)] {
            Some((last_hour, last_dims, slots)) if last_hour == hour && last_dims == dims => slots,
            _ => {
                let slots = self.slots_of(hour, &dims, first, sets);
                self.last[usize::from(item)] = Some((hour, dims, slots));
                slots
            }
        };
        let value = value.map(|value| Value {
            value,
            bucket: if is_sketched(measure) { Bucket::of(value) } else { None },
            rating: rating(measure, value),
        });
        for slot in &slots[..sets.len()] {
            self.figures[*slot as usize * self.measures + at].add(weight, value);
        }
    }

    /// Adds a unit of `measure` (no value) to one group: `grouping`'s, whose dimensions
    /// `kept` holds (the others [`NULL`]).
    pub fn add_in(&mut self, grouping: usize, hour: i64, measure: u8, kept: [u32; KEYS], weight: f64) {
        let Some(at) = measure.checked_sub(self.first_measure).map(usize::from).filter(|at| *at < self.measures) else {
            return;
        };
        let slot = self.slot(SlotKey { grouping: grouping as u8, hour, dims: kept });
        self.figures[slot as usize * self.measures + at].add(weight, None);
    }

    /// The slots of `dims` in `hour` for the grouping sets `sets`, numbered from `first`
    /// (the first `sets.len()` of the array).
    fn slots_of(&mut self, hour: i64, dims: &[u32; KEYS], first: usize, sets: &[&[usize]]) -> [u32; 12] {
        let mut slots = [0; 12];
        for (at, set) in sets.iter().enumerate() {
            let mut kept = [NULL; KEYS];
            for i in set.iter() {
                kept[*i] = dims[*i];
            }
            slots[at] = self.slot(SlotKey { grouping: (first + at) as u8, hour, dims: kept });
        }
        slots
    }

    /// The slot of `key`, made when new.
    fn slot(&mut self, key: SlotKey) -> u32 {
        *self.slots.entry(key).or_insert_with(|| {
            self.keys.push(key);
            self.figures.resize_with(self.figures.len() + self.measures, Figures::default);
            (self.keys.len() - 1) as u32
        })
    }

    /// Every group and measure with a unit, in no particular order.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.keys.iter().enumerate().flat_map(move |(slot, key)| {
            (0..self.measures).filter_map(move |at| {
                let figures = &self.figures[slot * self.measures + at];
                (figures.samples > 0).then_some(Row {
                    grouping: key.grouping,
                    measure: self.first_measure + at as u8,
                    hour: key.hour,
                    dims: key.dims,
                    figures,
                })
            })
        })
    }

    /// Every group and measure summed over each UTC day its hours are in: grouping
    /// [`DAILY_GROUPING`] + the hours' grouping, the hour the day's first, in no particular
    /// order.
    pub fn daily(&self) -> Vec<DailyRow> {
        let mut days: HashMap<(u8, u8, i64, [u32; KEYS]), Figures, RandomState> = HashMap::default();
        for row in self.rows() {
            let day = row.hour - row.hour.rem_euclid(DAY_MS);
            days.entry((DAILY_GROUPING + row.grouping, row.measure, day, row.dims)).or_default().merge(row.figures);
        }
        days.into_iter()
            .map(|((grouping, measure, day, dims), figures)| DailyRow { grouping, measure, day, dims, figures })
            .collect()
    }
}

const DAY_MS: i64 = 86_400_000;

/// A group's figures over a day (see [`Groups::daily`]).
#[derive(Debug)]
pub(super) struct DailyRow {
    pub grouping: u8,
    pub measure: u8,
    pub day: i64,
    pub dims: [u32; KEYS],
    pub figures: Figures,
}
