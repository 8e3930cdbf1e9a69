//! Day rollups: merged exactly, listed and replaced with the day's files, and read by
//! queries in place of the files' rollups.

use std::sync::Arc;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use sightline_protocol::{EventKind, EventRecord};

use super::super::tests::{file_batches, records, rows_of};
use super::super::{KIND_MEASURES, rollup_of};
use super::*;
use crate::Store as _;
use crate::engine::{EmbeddedStoreOptions, rollup_session_context};

/// `records` split into `parts` by session, each session whole in one part (as a day's
/// files hold them when each file is a flush of whole sessions).
fn by_session(records: &[EventRecord], parts: usize) -> Vec<Vec<EventRecord>> {
    let mut split = vec![Vec::new(); parts];
    for record in records {
        let session: usize = record.context.session_id.trim_start_matches('s').parse().expect("a numbered session");
        split[session % parts].push(record.clone());
    }
    split
}

#[test]
fn merged_rollups_equal_the_rollup_of_all_their_rows() {
    let all = records(21, 300);
    let parts = by_session(&all, 3);
    for (kind, _, _) in KIND_MEASURES {
        let whole = rollup_of(kind, &file_batches(kind, &all, 8192)).expect("builds").expect("rows");
        let mut merger = Merger::default();
        for part in &parts {
            let rollup = rollup_of(kind, &file_batches(kind, part, 8192)).expect("builds").expect("rows");
            merger.add(&rollup).expect("merges");
        }
        let merged = merger.finish().expect("builds").expect("rows");
        // Sorted as a file's rollup (`rows_of` checks), with the same groups and figures:
        // weights are 1, 2 and 4, so counts, ratings and sketches add up exactly.
        let (merged, whole) = (rows_of(&merged), rows_of(&whole));
        assert_eq!(merged.keys().collect::<Vec<_>>(), whole.keys().collect::<Vec<_>>(), "{kind:?}: the same groups");
        for (key, (count, samples, sum, ratings, sketch)) in &whole {
            let got = &merged[key];
            assert_eq!((got.0, got.1, got.3), (*count, *samples, *ratings), "{kind:?} {key:?}");
            assert!((got.2 - sum).abs() <= 1e-9 * sum.abs().max(1.0), "{kind:?} {key:?}: {} vs {sum}", got.2);
            assert_eq!(got.4, *sketch, "{kind:?} {key:?}: the merged sketch");
        }
    }
}

fn open(dir: &Path) -> Arc<EmbeddedStore> {
    Arc::new(EmbeddedStore::open(dir, &EmbeddedStoreOptions::default()).expect("the store opens").0)
}

/// A query's figures per measure over every rollup of the store: the day's totals
/// (counts, samples, the merged sketch's p75), as the dashboard's queries read them.
async fn day_totals(store: &Arc<EmbeddedStore>) -> Vec<(String, i32, f64, i64, Option<f64>)> {
    let context = rollup_session_context(store).expect("a session");
    let sql = "SELECT name, grouping, sum(count) AS count, sum(samples) AS samples, \
               sightline_sketch_quantile(sketch, 0.75) AS p75 FROM rollup WHERE grouping IN (0, 7, 100, 107) \
               GROUP BY name, grouping ORDER BY name, grouping";
    let batches: Vec<RecordBatch> = context.sql(sql).await.expect("plans").collect().await.expect("runs");
    let mut totals = Vec::new();
    for batch in &batches {
        let names = batch.column(0).as_string::<i32>();
        let groupings = batch.column(1).as_primitive::<Int32Type>();
        let counts = batch.column(2).as_primitive::<Float64Type>();
        let samples = batch.column(3).as_primitive::<Int64Type>();
        let p75 = batch.column(4).as_primitive::<Float64Type>();
        for row in 0..batch.num_rows() {
            let quantile = (!p75.is_null(row)).then(|| p75.value(row));
            totals.push((
                names.value(row).to_owned(),
                groupings.value(row),
                counts.value(row),
                samples.value(row),
                quantile,
            ));
        }
    }
    assert!(totals.len() > 20, "figures of every kind: {totals:?}");
    totals
}

/// Appends `records` and flushes them: one file per kind of the day.
async fn flush(store: &EmbeddedStore, records: Vec<EventRecord>) {
    store.append(records).await.expect("appends");
    store.flush().await.expect("flushes");
}

#[tokio::test]
async fn a_day_of_several_files_is_read_from_its_merged_rollup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path());
    let parts = by_session(&records(22, 240), 5);
    let kinds = KIND_MEASURES.len();
    flush(&store, parts[0].clone()).await;
    let report = store.write_day_rollups(Duration::MAX).await.expect("looks");
    assert_eq!(report, DayRollupReport::default(), "one file a day: its own rollup is the day's");
    flush(&store, parts[1].clone()).await;
    flush(&store, parts[2].clone()).await;
    let expected = day_totals(&store).await;

    let report = store.write_day_rollups(Duration::MAX).await.expect("writes");
    assert_eq!(report, DayRollupReport { written: kinds, failed: 0, remaining: 0 }, "one per kind");
    let listed = store.lock().manifest.day_rollups.clone();
    assert!(listed.iter().all(|rollup| rollup.covers.len() == 3), "each covers the day's three files");
    assert_eq!(day_totals(&store).await, expected, "the same figures, each file's counted once");
    // The files' own rollups emptied: what the query reads now is the day's.
    for file in store.snapshot().files {
        write_rollup(&rollup_path(&store.dir, &file.path), &RecordBatch::new_empty(rollup_schema())).expect("writes");
    }
    assert_eq!(day_totals(&store).await, expected, "the day rollup holds the three files' figures");
    for file in store.snapshot().files {
        std::fs::remove_file(rollup_path(&store.dir, &file.path)).expect("removes");
    }
    let written = store.backfill_rollups(Duration::MAX).await.expect("writes the files' rollups again").written;
    assert_eq!(written, 3 * kinds);

    flush(&store, parts[3].clone()).await;
    let report = store.write_day_rollups(Duration::MAX).await.expect("looks");
    assert_eq!(report.written, 0, "one file besides the day rollup: read beside it");
    let before_fifth = day_totals(&store).await;
    assert_ne!(before_fifth, expected, "the fourth file's figures are read beside the day rollup");
    flush(&store, parts[4].clone()).await;
    let report = store.write_day_rollups(Duration::MAX).await.expect("writes");
    assert_eq!(report, DayRollupReport { written: kinds, failed: 0, remaining: 0 }, "two new files: a new day rollup");
    let replaced = store.lock().manifest.day_rollups.clone();
    assert!(replaced.iter().all(|rollup| rollup.covers.len() == 5));
    store.delete_retired(Duration::ZERO);
    let rollups = store.dir.join(ROLLUPS_DIR);
    assert!(listed.iter().all(|old| !rollups.join(&old.path).exists()), "the replaced ones are deleted");
    assert!(replaced.iter().all(|new| rollups.join(&new.path).exists()));
    let with_five = day_totals(&store).await;
    store.close().await;

    // Listed day rollups survive a restart's sweep, but one whose file is gone (as an
    // older version's sweep leaves it) is no longer listed, and written again.
    std::fs::remove_file(rollups.join(&replaced[0].path)).expect("removes");
    let store = open(dir.path());
    assert_eq!(store.lock().manifest.day_rollups, replaced[1..], "the missing one is dropped");
    assert!(replaced[1..].iter().all(|new| rollups.join(&new.path).exists()), "kept by the sweep");
    assert_eq!(day_totals(&store).await, with_five);
    let report = store.write_day_rollups(Duration::MAX).await.expect("writes");
    assert_eq!(report, DayRollupReport { written: 1, failed: 0, remaining: 0 });
    assert_eq!(day_totals(&store).await, with_five);
    let replaced = store.lock().manifest.day_rollups.clone();

    // A compaction replaces their files and drops them; the day is read from the merged
    // file's rollup.
    let compacted = store.compact().await.expect("compacts");
    assert_eq!(compacted.files_merged, 5 * kinds);
    assert!(store.lock().manifest.day_rollups.is_empty(), "stale day rollups are dropped with their files");
    store.delete_retired(Duration::ZERO);
    assert!(replaced.iter().all(|old| !rollups.join(&old.path).exists()), "and deleted");
    let after = day_totals(&store).await;
    assert_eq!(after.len(), with_five.len());
    for (got, before) in after.iter().zip(&with_five) {
        // A merged file counts a view once where its reports were in two files: equal
        // here, as each part holds whole sessions.
        assert_eq!((&got.0, got.1, got.2, got.3, got.4), (&before.0, before.1, before.2, before.3, before.4));
    }
    store.close().await;
}

#[tokio::test]
async fn a_day_rollup_that_cannot_be_written_holds_up_no_other() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path());
    let parts = by_session(&records(25, 100), 2);
    flush(&store, parts[0].clone()).await;
    flush(&store, parts[1].clone()).await;
    let vital = store.snapshot().files.into_iter().find(|file| file.kind == EventKind::Vital).expect("a vital file");
    std::fs::write(rollup_path(&store.dir, &vital.path), b"not a rollup").expect("writes");

    let report = store.write_day_rollups(Duration::MAX).await.expect("goes on");
    let kinds = KIND_MEASURES.len();
    assert_eq!(report, DayRollupReport { written: kinds - 1, failed: 1, remaining: 0 });
    let listed = store.lock().manifest.day_rollups.clone();
    assert!(listed.iter().all(|rollup| rollup.kind != EventKind::Vital), "every kind's but the vitals'");
    let report = store.write_day_rollups(Duration::MAX).await.expect("goes on");
    assert_eq!(report, DayRollupReport { written: 0, failed: 1, remaining: 0 }, "tried again");
    store.close().await;
}

/// Checks the day rollups of the store in `store_dir` against its files: each covers only
/// listed files and exists, and no day has [`MIN_UNCOVERED_FILES`] files outside its own.
/// Returns the manifest, and how many days have several files.
fn checked_day_rollups(store_dir: &Path) -> (Manifest, usize) {
    let manifest = Manifest::load(store_dir).expect("loads");
    let mut partitions: BTreeMap<PartitionKey, Vec<&str>> = BTreeMap::new();
    for file in manifest.files.iter().filter(|file| has_rollup(file.kind)) {
        partitions.entry(key_of(file)).or_default().push(&file.path);
    }
    for rollup in &manifest.day_rollups {
        let key = partition_of(rollup);
        let files = &partitions[&key];
        assert!(rollup.covers.iter().all(|path| files.contains(&path.as_str())), "{key:?}: listed files only");
        let uncovered = files.len() - rollup.covers.len();
        assert!(uncovered < MIN_UNCOVERED_FILES, "{key:?}: {uncovered} files outside its day rollup");
        assert!(store_dir.join(ROLLUPS_DIR).join(&rollup.path).exists(), "{}", rollup.path);
    }
    let several = partitions.values().filter(|files| files.len() >= MIN_UNCOVERED_FILES).count();
    assert_eq!(manifest.day_rollups.len(), several, "a day rollup for every day of several files");
    assert!(due(&manifest, store_dir).is_empty(), "none left due");
    (manifest, several)
}

/// Loads `records` into the store under `data_dir` in appends of 100, as files of at most
/// 300 rows: several files a day.
fn bulk_load(data_dir: &Path, records: &[EventRecord]) {
    let mut writer = crate::BulkWriter::create(data_dir, 300).expect("a writer");
    for chunk in records.chunks(100) {
        writer.append(chunk.to_vec()).expect("appends");
    }
    writer.finish().expect("finishes");
}

#[test]
fn a_bulk_load_writes_the_day_rollups_of_its_days() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store_dir = dir.path().join("store");
    bulk_load(dir.path(), &records(23, 200));
    let (first, several) = checked_day_rollups(&store_dir);
    assert!(several > 0, "some days of several files");
    assert!(first.day_rollups.iter().all(|rollup| rollup.covers.len() >= 2));

    // A second load adds files to the same days: their day rollups are replaced.
    bulk_load(dir.path(), &records(24, 200));
    let (second, _) = checked_day_rollups(&store_dir);
    let replaced: Vec<&DayRollup> =
        first.day_rollups.iter().filter(|rollup| !second.day_rollups.contains(rollup)).collect();
    assert!(!replaced.is_empty(), "some replaced");
    for old in replaced {
        assert!(!store_dir.join(ROLLUPS_DIR).join(&old.path).exists(), "{}: deleted", old.path);
    }
}
