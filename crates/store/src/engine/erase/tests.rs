use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::Int64Array;
use sightline_protocol::{EventRecord, RecordContext};

use super::*;
use crate::Store;
use crate::engine::test_records::{NOON_MS, context, page, record};
use crate::engine::{EmbeddedStoreOptions, OpenReport, session_context};

fn open(dir: &Path) -> (Arc<EmbeddedStore>, OpenReport) {
    let (store, report) = EmbeddedStore::open(dir, &EmbeddedStoreOptions::default()).expect("the store opens");
    (Arc::new(store), report)
}

/// Four events (two vitals, two custom events) of `session` of `user` in `project`.
fn events(project: &str, session: &str, user: Option<&str>, batch: usize) -> Vec<EventRecord> {
    let context = Arc::new(RecordContext { user_id: user.map(Into::into), ..(*context(project, session)).clone() });
    let page = page();
    (0..4)
        .map(|i| record(&context, &page, &format!("{project}-{session}-{batch}-{i}"), NOON_MS + i as i64, i))
        .collect()
}

/// Sessions `a` (user `u1`), `b` (user `u2`) and `c` (no user) of `shop`, and `a` of `blog`:
/// once in files, once more in the buffer.
async fn stored(store: &EmbeddedStore) {
    for batch in 0..2 {
        store.append(events("shop", "a", Some("u1"), batch)).await.expect("appends");
        store.append(events("shop", "b", Some("u2"), batch)).await.expect("appends");
        store.append(events("shop", "c", None, batch)).await.expect("appends");
        store.append(events("blog", "a", Some("u1"), batch)).await.expect("appends");
        if batch == 0 {
            store.flush().await.expect("flushes");
        }
    }
}

async fn count(store: &Arc<EmbeddedStore>, sql: &str) -> i64 {
    let context = session_context(store).expect("tables register");
    let mut total = 0;
    for table in ["vital", "custom"] {
        let sql = sql.replace("{table}", table);
        let batches = context.sql(&sql).await.expect("plans").collect().await.expect("runs");
        total += batches[0].column(0).as_any().downcast_ref::<Int64Array>().expect("a count").value(0);
    }
    total
}

async fn rows_of(store: &Arc<EmbeddedStore>, project: &str, column: &str, value: &str) -> i64 {
    count(store, &format!("SELECT count(*) FROM {{table}} WHERE project = '{project}' AND {column} = '{value}'")).await
}

#[tokio::test]
async fn erasing_a_session_removes_exactly_its_rows_from_files_and_memory_for_good() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _) = open(dir.path());
    stored(&store).await;
    assert_eq!(rows_of(&store, "shop", "session_id", "a").await, 8);
    assert_eq!(store.buffered_rows(), 16);

    let report = store.erase("shop", &Selector::SessionId("a".into())).await.expect("erases");

    assert_eq!(report.rows, BTreeMap::from([(EventKind::Vital, 4), (EventKind::Custom, 4)]));
    assert_eq!((report.buffered_rows, report.total_rows()), (4, 8));
    assert_eq!((report.files_checked, report.files_rewritten, report.files_dropped), (4, 2, 0), "{report:?}");
    assert_eq!(rows_of(&store, "shop", "session_id", "a").await, 0);
    assert_eq!(rows_of(&store, "shop", "session_id", "b").await, 8);
    assert_eq!(rows_of(&store, "shop", "session_id", "c").await, 8);
    assert_eq!(rows_of(&store, "blog", "session_id", "a").await, 8, "another project's session of that id");
    assert_eq!(store.buffered_rows(), 0, "the erase flushed the rest");

    // A crash now: the replay of the WAL must not bring them back, nor the old files.
    store.wal.close().await;
    drop(store);
    let (store, report) = open(dir.path());
    assert_eq!(report.replayed_events, 0);
    assert_eq!(report.swept_files.len(), 2, "the replaced files, not yet deleted at the crash");
    assert_eq!(rows_of(&store, "shop", "session_id", "a").await, 0);
    assert_eq!(count(&store, "SELECT count(*) FROM {table}").await, 32 - 8);
}

#[tokio::test]
async fn erasing_a_user_spares_rows_without_a_user_and_skips_files_by_statistics() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _) = open(dir.path());
    stored(&store).await;
    // Another day, only user `zz`: the statistics of its files exclude `u2`.
    let context = Arc::new(RecordContext { user_id: Some("zz".into()), ..(*context("shop", "d")).clone() });
    let page = page();
    let later = (0..2).map(|i| record(&context, &page, &format!("later-{i}"), NOON_MS + 86_400_000, i)).collect();
    store.append(later).await.expect("appends");

    let report = store.erase("shop", &Selector::UserId("u2".into())).await.expect("erases");

    assert_eq!(report.total_rows(), 8);
    // Skipped: the two files of the other day, and the two the erase's flush wrote (users
    // `u1` and none left: `u2` is past their maximum).
    assert_eq!((report.files_checked, report.files_skipped_by_statistics), (6, 4), "{report:?}");
    assert_eq!(rows_of(&store, "shop", "user_id", "u2").await, 0);
    assert_eq!(rows_of(&store, "shop", "session_id", "c").await, 8, "rows without a user stay");
    assert_eq!(rows_of(&store, "shop", "user_id", "u1").await, 8);
    assert_eq!(count(&store, "SELECT count(*) FROM {table} WHERE user_id = 'zz'").await, 2);

    // Erasing every row of a file drops the file.
    let report = store.erase("shop", &Selector::UserId("zz".into())).await.expect("erases");
    assert_eq!((report.total_rows(), report.files_dropped), (2, 2));
    store.close().await;
    assert!(!dir.path().join("store/tables/vital/shop/2026-01-02").exists(), "the emptied day is gone");
    drop(store);
    let (store, report) = open(dir.path());
    assert!(report.swept_files.is_empty(), "close deleted the replaced files");
    assert_eq!(count(&store, "SELECT count(*) FROM {table} WHERE project = 'shop'").await, 24 - 8);
}

#[tokio::test]
async fn a_session_nobody_has_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _) = open(dir.path());
    stored(&store).await;
    let version = store.lock().manifest.version;
    let report = store.erase("shop", &Selector::SessionId("nobody".into())).await.expect("erases");
    assert_eq!((report.total_rows(), report.files_rewritten, report.files_checked), (0, 0, 4));
    assert_eq!(store.lock().manifest.version, version + 1, "only the flush saved the manifest");
}
