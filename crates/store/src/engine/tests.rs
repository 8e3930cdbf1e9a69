use std::collections::BTreeSet;

use datafusion::arrow::array::{Array, StringArray};

use super::test_records::{NOON_MS, context, page, record, records_of_one_beacon};
use super::*;

/// Stops the store as a crash would: nothing flushed, the WAL released.
async fn crash(store: EmbeddedStore) {
    store.wal.close().await;
}

fn open(dir: &Path) -> (EmbeddedStore, OpenReport) {
    EmbeddedStore::open(dir, &EmbeddedStoreOptions::default()).expect("the store opens")
}

/// Every event id a query would read now, buffer and files, with repeats.
fn stored_ids(store: &EmbeddedStore) -> Vec<String> {
    let snapshot = store.snapshot();
    let mut ids = Vec::new();
    let batches = snapshot.partitions.iter().flat_map(PartitionSnapshot::batches);
    let file_batches = snapshot.files.iter().flat_map(|file| {
        let reader = std::fs::File::open(snapshot.tables_dir.join(&file.path)).expect("a listed file exists");
        datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(reader)
            .expect("a Parquet file")
            .build()
            .expect("readable")
            .map(|batch| batch.expect("a batch"))
            .collect::<Vec<_>>()
    });
    for batch in batches.chain(file_batches) {
        let column = batch.column_by_name("event_id").expect("an event_id column");
        let column = column.as_any().downcast_ref::<StringArray>().expect("event ids are strings");
        ids.extend((0..column.len()).map(|row| column.value(row).to_owned()));
    }
    ids.sort();
    ids
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    let mut ids: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn acknowledged_events_are_visible_at_once_and_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, report) = open(dir.path());
    assert_eq!(report.replayed_events, 0);
    store.append(records_of_one_beacon(6)).await.expect("appends");
    assert_eq!(stored_ids(&store), ids("e", 6), "visible right after the acknowledgement");
    crash(store).await;
    let (store, report) = open(dir.path());
    assert_eq!(report.replayed_events, 6);
    assert_eq!(stored_ids(&store), ids("e", 6));
}

#[tokio::test]
async fn a_retried_beacon_is_stored_once_even_across_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _) = open(dir.path());
    store.append(records_of_one_beacon(4)).await.expect("appends");
    store.append(records_of_one_beacon(4)).await.expect("a retry is acknowledged");
    assert_eq!(stored_ids(&store), ids("e", 4));
    crash(store).await;
    let (store, _) = open(dir.path());
    store.append(records_of_one_beacon(5)).await.expect("appends");
    assert_eq!(stored_ids(&store), ids("e", 5), "only the new event is added");
}

#[tokio::test]
async fn a_flush_moves_rows_to_parquet_exactly_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _) = open(dir.path());
    store.append(records_of_one_beacon(10)).await.expect("appends");
    let report = store.flush().await.expect("flushes");
    assert_eq!((report.files, report.rows), (2, 10), "vitals and custom events of one day");
    assert_eq!(store.buffered_rows(), 0);
    assert_eq!(stored_ids(&store), ids("e", 10));
    let (context, page) = (context("shop", "later"), page());
    store.append(vec![record(&context, &page, "late", NOON_MS, 0)]).await.expect("appends");
    crash(store).await;
    let (store, report) = open(dir.path());
    assert_eq!(report.replayed_events, 1, "only what was not flushed is replayed");
    let mut expected = ids("e", 10);
    expected.push("late".into());
    expected.sort();
    assert_eq!(stored_ids(&store), expected);
}

#[tokio::test]
async fn files_of_an_unfinished_flush_are_swept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _) = open(dir.path());
    store.append(records_of_one_beacon(2)).await.expect("appends");
    crash(store).await;
    let orphan = dir.path().join("store/tables/vital/shop/2026-01-01/f00000000000000000001.parquet");
    std::fs::create_dir_all(orphan.parent().expect("a parent")).expect("dirs");
    std::fs::write(&orphan, b"half a file").expect("writes");
    let orphan_rollup = dir.path().join("store/rollups/v3/vital/shop/2026-01-01/f00000000000000000001.parquet");
    std::fs::create_dir_all(orphan_rollup.parent().expect("a parent")).expect("dirs");
    std::fs::write(&orphan_rollup, b"its rollup").expect("writes");
    let (store, report) = open(dir.path());
    assert_eq!(report.swept_files, vec![orphan.clone()]);
    assert!(!orphan.exists());
    assert!(!orphan_rollup.exists(), "the rollup of an unlisted file goes too");
    assert_eq!(stored_ids(&store), ids("e", 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_all_land_in_order_of_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(open(dir.path()).0);
    let page = page();
    let tasks: Vec<_> = (0..64)
        .map(|beacon| {
            let (store, context, page) =
                (Arc::clone(&store), context("shop", &format!("s{beacon}")), Arc::clone(&page));
            tokio::spawn(async move {
                let records = (0..5).map(|i| record(&context, &page, &format!("b{beacon}-{i}"), NOON_MS, i)).collect();
                store.append(records).await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("the task runs").expect("appends");
    }
    let stored: BTreeSet<String> = stored_ids(&store).into_iter().collect();
    assert_eq!(stored.len(), 64 * 5);
    assert_eq!(store.lock().buffer.last_lsn(), store.wal.last_lsn(), "every WAL record reached the buffer");
    assert!(store.lock().waiting.is_empty());
}

/// `SELECT count(*) …` through DataFusion.
async fn count(store: &Arc<EmbeddedStore>, sql: &str) -> i64 {
    let context = session_context(store).expect("tables register");
    let batches = context.sql(sql).await.expect("plans").collect().await.expect("runs");
    let column = batches[0].column(0);
    column.as_any().downcast_ref::<datafusion::arrow::array::Int64Array>().expect("a count").value(0)
}

/// A store in a temporary directory (kept alive by the first value) holding one beacon of
/// ten events in Parquet files.
async fn one_flushed_beacon() -> (tempfile::TempDir, Arc<EmbeddedStore>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(open(dir.path()).0);
    store.append(records_of_one_beacon(10)).await.expect("appends");
    store.flush().await.expect("flushes");
    (dir, store)
}

#[tokio::test]
async fn sql_reads_the_buffer_and_the_files_together() {
    let (_dir, store) = one_flushed_beacon().await;
    let (blog, page) = (context("blog", "s9"), page());
    let later: Vec<EventRecord> =
        (0..4).map(|i| record(&blog, &page, &format!("b{i}"), NOON_MS + 86_400_000, 0)).collect();
    store.append(later).await.expect("appends");

    assert_eq!(count(&store, "SELECT count(*) FROM vital").await, 5 + 4, "files and buffer");
    assert_eq!(count(&store, "SELECT count(*) FROM custom").await, 5);
    assert_eq!(count(&store, "SELECT count(*) FROM vital WHERE project = 'blog'").await, 4);
    assert_eq!(count(&store, "SELECT count(*) FROM vital WHERE project IN ('shop', 'x')").await, 5);
    let next_day = "SELECT count(*) FROM vital WHERE timestamp >= TIMESTAMP '2026-01-02T00:00:00Z'";
    assert_eq!(count(&store, next_day).await, 4);
    let first_day = "SELECT count(*) FROM vital WHERE timestamp < TIMESTAMP '2026-01-02T00:00:00Z'";
    assert_eq!(count(&store, first_day).await, 5);
    assert_eq!(count(&store, "SELECT count(*) FROM error").await, 0, "an empty table");
}

#[tokio::test]
async fn a_files_footer_is_read_once_and_kept_for_later_queries() {
    let (_dir, store) = one_flushed_beacon().await;
    assert_eq!(store.footers().len(), 0, "nothing read yet");
    assert_eq!(count(&store, "SELECT count(*) FROM vital WHERE value > 0").await, 5);
    assert_eq!(store.footers().len(), 1, "the vital file's footer");
    assert_eq!(count(&store, "SELECT count(*) FROM vital WHERE value > 0").await, 5);
    assert_eq!(store.footers().len(), 1, "read from the cache, not again");
    assert_eq!(count(&store, "SELECT count(*) FROM custom").await, 5);
    assert_eq!(store.footers().len(), 2, "one footer per file read");
}

#[test]
fn bounds_read_project_and_time_filters() {
    use datafusion::prelude::{col, lit};

    let noon = datafusion::common::ScalarValue::TimestampMillisecond(Some(NOON_MS), None);
    let filters = [
        col("project").eq(lit("shop")),
        col("timestamp").gt_eq(lit(noon.clone())).and(lit(noon).gt(col("timestamp")).or(col("x").eq(lit(1)))),
    ];
    let bounds = table::Bounds::of(&filters);
    assert!(bounds.admits("shop", NOON_MS, NOON_MS + 5));
    assert!(!bounds.admits("blog", NOON_MS, NOON_MS + 5), "another project");
    assert!(!bounds.admits("shop", 0, NOON_MS - 1), "before the time range");
    let between = [col("timestamp").between(
        lit(datafusion::common::ScalarValue::TimestampSecond(Some(NOON_MS / 1000), None)),
        lit(datafusion::common::ScalarValue::TimestampSecond(Some(NOON_MS / 1000 + 1), None)),
    )];
    let bounds = table::Bounds::of(&between);
    assert!(bounds.admits("any", NOON_MS + 1000, NOON_MS + 2000));
    assert!(!bounds.admits("any", NOON_MS + 1001, NOON_MS + 2000), "after the range");
}

/// What the physical plan of `sql` reads: the data files (their paths under `tables/`) and
/// the buffered rows handed to it.
async fn scanned(store: &Arc<EmbeddedStore>, sql: &str) -> (BTreeSet<String>, usize) {
    use datafusion::datasource::memory::MemorySourceConfig;
    use datafusion::datasource::physical_plan::ParquetSource;
    use datafusion::datasource::source::DataSourceExec;
    use datafusion::physical_plan::ExecutionPlan;

    fn visit(plan: &Arc<dyn ExecutionPlan>, files: &mut BTreeSet<String>, rows: &mut usize) {
        if let Some(exec) = plan.downcast_ref::<DataSourceExec>() {
            if let Some((config, _)) = exec.downcast_to_file_source::<ParquetSource>() {
                let paths = config.file_groups.iter().flat_map(|group| group.files());
                files.extend(paths.map(|file| {
                    let path = file.object_meta.location.to_string();
                    path.split_once("/tables/").map_or(path.clone(), |(_, relative)| relative.to_owned())
                }));
            }
            if let Some(memory) = exec.data_source().downcast_ref::<MemorySourceConfig>() {
                *rows += memory.partitions().iter().flatten().map(|batch| batch.num_rows()).sum::<usize>();
            }
        }
        for child in plan.children() {
            visit(child, files, rows);
        }
    }

    let context = session_context(store).expect("tables register");
    let plan = context.sql(sql).await.expect("plans").create_physical_plan().await.expect("a physical plan");
    let (mut files, mut rows) = (BTreeSet::new(), 0);
    visit(&plan, &mut files, &mut rows);
    (files, rows)
}

/// Project and time filters prune the files and buffered partitions a scan reads, before
/// anything is opened: a query of one project's day reads that partition's file and rows
/// only. With the pruning off (every file and partition admitted), the plans read all four
/// files and every buffered row, and this test fails, while the counts above stay right.
#[tokio::test]
async fn project_and_time_filters_prune_files_and_buffered_partitions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(open(dir.path()).0);
    let page = page();
    // Two projects × two days of LCP vitals: four files, then one more row of each in the buffer.
    let partitions = [("shop", 0), ("shop", 1), ("blog", 0), ("blog", 1)];
    let day_ms = 86_400_000;
    for (project, day) in partitions {
        let context = context(project, &format!("{project}-{day}"));
        let records = (0..3)
            .map(|i| record(&context, &page, &format!("{project}{day}-{i}"), NOON_MS + day * day_ms, 0))
            .collect();
        store.append(records).await.expect("appends");
    }
    store.flush().await.expect("flushes");
    assert_eq!(store.stats().files, 4);
    for (project, day) in partitions {
        let context = context(project, &format!("{project}-{day}-late"));
        let late = record(&context, &page, &format!("{project}{day}-late"), NOON_MS + day * day_ms + 1, 0);
        store.append(vec![late]).await.expect("appends");
    }
    let file = |project: &str, day: &str| {
        let listed =
            store.snapshot().files.iter().find(|file| file.project == project && file.path.contains(day)).cloned();
        listed.expect("a listed file").path
    };

    let (files, rows) = scanned(&store, "SELECT event_id FROM vital").await;
    assert_eq!((files.len(), rows), (4, 4), "no filter: every file and every buffered row");

    let one_project = "SELECT event_id FROM vital WHERE project = 'blog'";
    let (files, rows) = scanned(&store, one_project).await;
    assert_eq!(files, BTreeSet::from([file("blog", "2026-01-01"), file("blog", "2026-01-02")]));
    assert_eq!(rows, 2, "the buffered rows of blog's two days");

    let second_day = "SELECT event_id FROM vital WHERE timestamp >= TIMESTAMP '2026-01-02T00:00:00Z'";
    let (files, rows) = scanned(&store, second_day).await;
    assert_eq!(files, BTreeSet::from([file("blog", "2026-01-02"), file("shop", "2026-01-02")]));
    assert_eq!(rows, 2);

    // Four names stay an `IN`; up to three, DataFusion rewrites them into `OR`s before the
    // scan: both prune.
    let short_list = "SELECT event_id FROM vital WHERE project IN ('shop', 'a') OR project = 'b'";
    let (files, rows) = scanned(&store, short_list).await;
    assert_eq!(files, BTreeSet::from([file("shop", "2026-01-01"), file("shop", "2026-01-02")]));
    assert_eq!(rows, 2, "the buffered rows of shop's two days");
    let either = "SELECT event_id FROM vital WHERE project = 'shop' OR timestamp > TIMESTAMP '2026-01-01T00:00:00Z'";
    assert_eq!(scanned(&store, either).await.0.len(), 4, "an OR of anything else limits nothing");

    let one_partition = "SELECT event_id FROM vital WHERE project IN ('shop', 'a', 'b', 'c') \
                         AND timestamp BETWEEN TIMESTAMP '2026-01-01T11:00:00Z' AND TIMESTAMP '2026-01-01T13:00:00Z'";
    let (files, rows) = scanned(&store, one_partition).await;
    assert_eq!(files, BTreeSet::from([file("shop", "2026-01-01")]));
    assert_eq!(rows, 1);
    assert_eq!(
        count(&store, &one_partition.replace("SELECT event_id", "SELECT count(*)")).await,
        4,
        "3 filed, 1 buffered"
    );

    let nothing = "SELECT event_id FROM vital WHERE project = 'blog' AND timestamp < TIMESTAMP '2025-12-31T00:00:00Z'";
    assert_eq!(scanned(&store, nothing).await, (BTreeSet::new(), 0), "nothing can match: nothing is read");
}

#[tokio::test]
async fn a_flush_that_finds_the_buffer_behind_runs_at_the_intakes_priority() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Arc::new(open(dir.path()).0);
    assert_eq!(store.flush_priority(100_000_000), Priority::Background, "no limit without maintenance");
    let options = MaintenanceOptions { flush_rows: 5, flush_interval: std::time::Duration::from_secs(3600) };
    let limit = options.buffer_limit();
    assert!(store.start_maintenance(options));
    assert_eq!(store.flush_priority(5), Priority::Background, "a flush on time");
    assert_eq!(store.flush_priority(limit / 2 - 1), Priority::Background);
    assert_eq!(store.flush_priority(limit / 2), Priority::Normal, "twice the rows a flush is due at");
    store.stop_maintenance().await;
}
