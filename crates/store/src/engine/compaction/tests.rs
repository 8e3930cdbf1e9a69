use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use datafusion::arrow::array::{Array, Float64Array, Int64Array, StringArray, TimestampMillisecondArray};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use sightline_protocol::{EventBody, EventKind, EventRecord, VitalAttribution};

use super::*;
use crate::Store;
use crate::engine::manifest::Manifest;
use crate::engine::rewrite::open_reader;
use crate::engine::test_records::{NOON_MS, context, page, record};
use crate::engine::{EmbeddedStoreOptions, OpenReport, session_context};

/// A store whose dedup window is two ids: retries get through, as after a long outage.
fn open(dir: &Path) -> (Arc<EmbeddedStore>, OpenReport) {
    let options = EmbeddedStoreOptions { dedup_capacity: 2, ..EmbeddedStoreOptions::default() };
    let (store, report) = EmbeddedStore::open(dir, &options).expect("the store opens");
    (Arc::new(store), report)
}

async fn crash(store: Arc<EmbeddedStore>) {
    store.wal.close().await;
}

/// `rows` LCP vitals of session `s<flush>`, later flushes earlier in time.
fn vitals(flush: usize, rows: usize) -> Vec<EventRecord> {
    let (context, page) = (context("shop", &format!("s{flush}")), page());
    let base = NOON_MS + (10 - flush as i64) * 1000;
    (0..rows).map(|i| record(&context, &page, &format!("e{flush}-{i}"), base + i as i64, 0)).collect()
}

/// Four flushes of 5 vitals; the last one also repeats `e0-0` (with another value).
async fn four_files_with_a_duplicate(store: &EmbeddedStore) {
    for flush in 0..4 {
        let mut records = vitals(flush, 5);
        if flush == 3 {
            let (context, page) = (context("shop", "s0"), page());
            records.push(record(&context, &page, "e0-0", NOON_MS + 99_000, 2));
        }
        store.append(records).await.expect("appends");
        store.flush().await.expect("flushes");
    }
    assert_eq!(store.stats().files, 4);
}

async fn query(store: &Arc<EmbeddedStore>, sql: &str) -> Vec<RecordBatch> {
    let context = session_context(store).expect("tables register");
    context.sql(sql).await.expect("plans").collect().await.expect("runs")
}

async fn count(store: &Arc<EmbeddedStore>, sql: &str) -> i64 {
    let batches = query(store, sql).await;
    batches[0].column(0).as_any().downcast_ref::<Int64Array>().expect("a count").value(0)
}

async fn event_ids(store: &Arc<EmbeddedStore>) -> Vec<String> {
    let batches = query(store, "SELECT DISTINCT event_id FROM vital ORDER BY event_id").await;
    let mut ids = Vec::new();
    for batch in batches {
        let column = batch.column(0).as_any().downcast_ref::<StringArray>().expect("strings").clone();
        ids.extend((0..column.len()).map(|row| column.value(row).to_owned()));
    }
    ids
}

/// Three flushes of two rows each (`records(flush, 2)`), the store then closed.
async fn flush_three_files(dir: &Path, records: fn(usize, usize) -> Vec<EventRecord>) {
    let (store, _) = open(dir);
    for flush in 0..3 {
        store.append(records(flush, 2)).await.expect("appends");
        store.flush().await.expect("flushes");
    }
    store.close().await;
}

/// Writes `records` as an older version would have, with only the current schema's columns
/// `kept`, and lists the file first in the manifest, keyed like the store's first file.
fn list_older_file(dir: &Path, records: &[EventRecord], kept: &[usize]) {
    let batch = crate::columns::record_batch(EventKind::Vital, records).expect("a batch");
    let old = batch.project(kept).expect("projects");
    let relative = "vital/shop/2026-01-01/f00000000000000000000.parquet";
    let path = dir.join("store/tables").join(relative);
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(&path).expect("creates"), old.schema(), None).expect("a writer");
    writer.write(&old).expect("writes");
    writer.close().expect("closes");
    let mut manifest = Manifest::load(&dir.join("store")).expect("loads");
    let bytes = std::fs::metadata(&path).expect("exists").len();
    let listed = DataFile {
        path: relative.into(),
        bytes,
        rows: records.len() as u64,
        ..key_file(&manifest.files[0], NOON_MS + 3000, NOON_MS + 3002)
    };
    manifest.files.insert(0, listed);
    manifest.save(&dir.join("store")).expect("saves");
}

#[tokio::test]
async fn merges_the_files_of_a_partition_into_one_sorted_file_without_repeated_ids() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _) = open(dir.path());
    four_files_with_a_duplicate(&store).await;
    assert_eq!(count(&store, "SELECT count(*) FROM vital").await, 21, "the retry got through");
    let ids_before = event_ids(&store).await;

    let report = store.compact().await.expect("compacts");

    assert_eq!((report.files_merged, report.files_written, report.rows, report.duplicates_dropped), (4, 1, 20, 1));
    assert_eq!(store.stats().files, 1);
    assert_eq!(count(&store, "SELECT count(*) FROM vital").await, 20);
    assert_eq!(event_ids(&store).await, ids_before, "the same rows, once each");
    let first = query(&store, "SELECT value FROM vital WHERE event_id = 'e0-0'").await;
    let value = first[0].column(0).as_any().downcast_ref::<Float64Array>().expect("floats").value(0);
    assert_eq!(value, 1000.0, "the first occurrence is kept");

    let file = store.snapshot().files[0].clone();
    let batches = read_batches(&store.dir().join(TABLES_DIR), &file).expect("opens");
    let mut keys = Vec::new();
    for batch in batches {
        let batch = batch.expect("reads");
        let text = |name: &str| {
            batch.column_by_name(name).expect("column").as_any().downcast_ref::<StringArray>().expect("text").clone()
        };
        let (sessions, views) = (text("session_id"), text("view_id"));
        let column = batch.column_by_name("timestamp").expect("timestamp");
        let column = column.as_any().downcast_ref::<TimestampMillisecondArray>().expect("timestamps");
        for row in 0..batch.num_rows() {
            keys.push((sessions.value(row).to_owned(), views.value(row).to_owned(), column.value(row)));
        }
    }
    assert!(keys.is_sorted(), "sorted by session, view and time: {keys:?}");
    let timestamps: Vec<i64> = keys.iter().map(|key| key.2).collect();
    let (min, max) = (timestamps.iter().min().copied(), timestamps.iter().max().copied());
    assert_eq!((Some(file.min_timestamp_ms), Some(file.max_timestamp_ms)), (min, max));
    assert_eq!(store.compact().await.expect("compacts"), CompactionReport::default(), "nothing left to merge");

    // The sources are deleted once no query can read them any more (here: at close).
    let day_dir = dir.path().join("store/tables/vital/shop/2026-01-01");
    assert_eq!(std::fs::read_dir(&day_dir).expect("lists").count(), 5, "sources kept for the grace period");
    store.close().await;
    assert_eq!(std::fs::read_dir(&day_dir).expect("lists").count(), 1);
}

#[tokio::test]
async fn a_crash_before_the_manifest_save_leaves_the_sources() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _) = open(dir.path());
    four_files_with_a_duplicate(&store).await;
    store.stop_before_swap.store(true, Ordering::Relaxed);

    store.compact().await.expect_err("stops before the save");
    let written: Vec<_> = std::fs::read_dir(dir.path().join("store/tables/vital/shop/2026-01-01"))
        .expect("lists")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('c')))
        .collect();
    assert_eq!(written.len(), 1, "the merged file was written");
    crash(store).await;

    let (store, report) = open(dir.path());
    assert_eq!(report.swept_files, written, "the unlisted merged file is swept");
    assert_eq!(store.stats().files, 4);
    assert_eq!(count(&store, "SELECT count(*) FROM vital").await, 21, "the data is intact");
    assert_eq!(store.compact().await.expect("compacts").files_merged, 4, "and can be merged again");
}

#[tokio::test]
async fn a_crash_after_the_manifest_save_leaves_only_the_merged_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _) = open(dir.path());
    four_files_with_a_duplicate(&store).await;
    let sources: Vec<_> =
        store.snapshot().files.iter().map(|file| store.dir().join("tables").join(&file.path)).collect();
    store.compact().await.expect("compacts");
    assert!(sources.iter().all(|path| path.exists()), "not deleted yet");
    crash(store).await;

    let (store, report) = open(dir.path());
    let mut swept = report.swept_files.clone();
    swept.sort();
    assert_eq!(swept, sources, "the unlisted sources are swept");
    assert_eq!(count(&store, "SELECT count(*) FROM vital").await, 20);
    assert_eq!(count(&store, "SELECT count(DISTINCT event_id) FROM vital").await, 20, "no duplicates");
}

#[tokio::test]
async fn files_of_an_older_schema_are_merged_with_nulls_for_the_new_columns() {
    let dir = tempfile::tempdir().expect("temp dir");
    flush_three_files(dir.path(), vitals).await;
    // A file as an older Sightline wrote it: the vital columns after `value` did not exist.
    let schema = crate::columns::schema(EventKind::Vital);
    let old_columns = schema.index_of("value").expect("a value column") + 1;
    list_older_file(dir.path(), &vitals(7, 3), &(0..old_columns).collect::<Vec<_>>());

    let (store, _) = open(dir.path());
    assert_eq!(count(&store, "SELECT count(*) FROM vital").await, 9);
    let report = store.compact().await.expect("compacts");
    assert_eq!((report.files_merged, report.rows), (4, 9));
    assert_eq!(count(&store, "SELECT count(*) FROM vital WHERE name = 'lcp' AND event_id LIKE 'e7-%'").await, 3);
    let file = store.snapshot().files[0].clone();
    let reader = open_reader(&store.dir().join(TABLES_DIR), &file).expect("opens");
    assert_eq!(reader.schema().fields().len(), schema.fields().len(), "written in the current schema");
}

fn key_file(like: &DataFile, min_timestamp_ms: i64, max_timestamp_ms: i64) -> DataFile {
    DataFile { min_timestamp_ms, max_timestamp_ms, ..like.clone() }
}

#[test]
fn groups_are_bounded_and_large_files_are_left_alone() {
    let file = |name: &str, day: i64, rows: u64| DataFile {
        path: name.into(),
        project: "shop".into(),
        kind: EventKind::Vital,
        day,
        rows,
        bytes: rows * 10,
        min_timestamp_ms: 0,
        max_timestamp_ms: 0,
    };
    let options = CompactionOptions { min_files: 3, max_rows: 100 };
    let files = [
        file("a", 1, 40),
        file("b", 1, 40),
        file("big", 1, 60),
        file("c", 1, 30),
        file("d", 1, 10),
        file("e", 1, 45),
        file("other-day", 2, 1),
        file("other-day-2", 2, 1),
    ];
    let groups = plan(&files, &options);
    let groups: Vec<Vec<&str>> =
        groups.iter().map(|group| group.iter().map(|file| file.path.as_str()).collect()).collect();
    assert_eq!(groups, [vec!["a", "b"], vec!["c", "d", "e"]], "day 2 has too few files");
}

/// [`vitals`] with an LCP attribution: the element, the time to first byte (100 ms plus the
/// row's number) and the render delay.
fn attributed_vitals(flush: usize, rows: usize) -> Vec<EventRecord> {
    let mut records = vitals(flush, rows);
    for (i, record) in records.iter_mut().enumerate() {
        if let EventBody::Vital(vital) = &mut record.body {
            vital.attribution = Some(VitalAttribution {
                element: Some("main > img.hero".into()),
                resource_url: Some(format!("https://shop.test/hero-{flush}.avif")),
                time_to_first_byte: Some(100.0 + i as f64),
                element_render_delay: Some(7.0),
                ..VitalAttribution::default()
            });
        }
    }
    records
}

type AttributionRow = (String, Option<String>, Option<f64>, Option<String>, Option<f64>);

/// Event id, element, time to first byte, resource URL and render delay of the vitals
/// matching `filter`, by event id.
async fn attribution_rows(store: &Arc<EmbeddedStore>, filter: &str) -> Vec<AttributionRow> {
    let sql = format!(
        "SELECT event_id, element, time_to_first_byte, resource_url, element_render_delay FROM vital \
         WHERE {filter} ORDER BY event_id"
    );
    let mut rows = Vec::new();
    for batch in query(store, &sql).await {
        let text = |i: usize| batch.column(i).as_any().downcast_ref::<StringArray>().expect("text").clone();
        let number = |i: usize| batch.column(i).as_any().downcast_ref::<Float64Array>().expect("numbers").clone();
        let (ids, elements, ttfb, urls, delays) = (text(0), text(1), number(2), text(3), number(4));
        for row in 0..batch.num_rows() {
            let text = |column: &StringArray| column.is_valid(row).then(|| column.value(row).to_owned());
            let number = |column: &Float64Array| column.is_valid(row).then(|| column.value(row));
            rows.push((ids.value(row).to_owned(), text(&elements), number(&ttfb), text(&urls), number(&delays)));
        }
    }
    rows
}

/// A column added after a file was written: selected through the table provider it is null
/// for that file's rows and filled for newer rows (files and buffer), filters on it match
/// the right rows, the file's other columns keep their values although the missing column
/// sat in the middle of the schema, and a merge of old and new files keeps all of it.
#[tokio::test]
async fn a_column_newer_than_a_file_reads_as_nulls_filters_and_survives_a_merge() {
    let dir = tempfile::tempdir().expect("temp dir");
    flush_three_files(dir.path(), attributed_vitals).await;
    // A file as a version without `element` and `time_to_first_byte` wrote it: two columns
    // missing between others (a reader matching columns by position would shift the rest).
    let schema = crate::columns::schema(EventKind::Vital);
    let added = ["element", "time_to_first_byte"];
    let kept: Vec<usize> =
        (0..schema.fields().len()).filter(|&i| !added.contains(&schema.field(i).name().as_str())).collect();
    list_older_file(dir.path(), &attributed_vitals(7, 3), &kept);

    let (store, _) = open(dir.path());
    store.append(attributed_vitals(5, 1)).await.expect("appends"); // and one buffered row
    let hero = |flush: usize, i: usize| {
        let url = Some(format!("https://shop.test/hero-{flush}.avif"));
        (format!("e{flush}-{i}"), Some("main > img.hero".to_owned()), Some(100.0 + i as f64), url, Some(7.0))
    };
    let old = |i: usize| (format!("e7-{i}"), None, None, Some("https://shop.test/hero-7.avif".to_owned()), Some(7.0));
    let new_rows = vec![hero(0, 0), hero(0, 1), hero(1, 0), hero(1, 1), hero(2, 0), hero(2, 1), hero(5, 0)];
    let old_rows = vec![old(0), old(1), old(2)];
    let all: Vec<_> = new_rows.iter().chain(&old_rows).cloned().collect();

    let check = |when: &'static str| {
        let (store, all, new_rows, old_rows) = (Arc::clone(&store), all.clone(), new_rows.clone(), old_rows.clone());
        async move {
            assert_eq!(attribution_rows(&store, "true").await, all, "{when}: nulls for the old file's rows");
            assert_eq!(attribution_rows(&store, "element = 'main > img.hero'").await, new_rows, "{when}");
            assert_eq!(attribution_rows(&store, "element IS NULL").await, old_rows, "{when}");
            let later = attribution_rows(&store, "time_to_first_byte > 100").await;
            assert_eq!(later, vec![hero(0, 1), hero(1, 1), hero(2, 1)], "{when}");
            // Lookups by session decode the filters' columns first (`looks_up_sessions`): the
            // old file's missing columns read and filter as nulls there too.
            let sessions = attribution_rows(&store, "session_id = 's7' OR session_id = 's0'").await;
            assert_eq!(sessions, vec![hero(0, 0), hero(0, 1), old(0), old(1), old(2)], "{when}: by session");
            let missing = attribution_rows(&store, "session_id IN ('s7', 's1') AND element IS NULL").await;
            assert_eq!(missing, old_rows, "{when}: by session, the old file's nulls");
            let valued = attribution_rows(&store, "session_id IN ('s7', 's2') AND time_to_first_byte > 100").await;
            assert_eq!(valued, vec![hero(2, 1)], "{when}: by session, a column the old file lacks");
            assert_eq!(
                attribution_rows(&store, "time_to_first_byte IS NULL AND element_render_delay = 7").await,
                old_rows
            );
        }
    };
    check("before the merge").await;

    let report = store.compact().await.expect("compacts");
    assert_eq!((report.files_merged, report.files_written, report.rows), (4, 1, 9), "old and new files merged");
    check("after the merge").await;
    let file = store.snapshot().files[0].clone();
    let reader = open_reader(&store.dir().join(TABLES_DIR), &file).expect("opens");
    assert_eq!(reader.schema().fields(), schema.fields(), "the merged file is in the current schema");
}
