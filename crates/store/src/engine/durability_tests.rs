//! What the store acknowledges and refuses around retries, restarts and failing writes:
//! a retry of events still being written waits for that write, ids are remembered across
//! a graceful restart, the buffer is bounded when flushes fail, and the store probes its
//! way back to healthy on its own.

use std::time::Duration;

use datafusion::arrow::array::{Array, StringArray};

use super::test_records::records_of_one_beacon;
use super::*;

/// Every event id a query would read now, buffer and files, with repeats, sorted.
fn stored_ids(store: &EmbeddedStore) -> Vec<String> {
    let snapshot = store.snapshot();
    let mut batches: Vec<_> = snapshot.partitions.iter().flat_map(PartitionSnapshot::batches).collect();
    for file in &snapshot.files {
        let reader = std::fs::File::open(snapshot.tables_dir.join(&file.path)).expect("a listed file exists");
        let rows = datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(reader)
            .expect("a Parquet file")
            .build()
            .expect("readable");
        batches.extend(rows.map(|batch| batch.expect("a batch")));
    }
    let mut ids = Vec::new();
    for batch in batches {
        let column = batch.column_by_name("event_id").expect("an event_id column");
        let column = column.as_any().downcast_ref::<StringArray>().expect("event ids are strings");
        ids.extend((0..column.len()).map(|row| column.value(row).to_owned()));
    }
    ids.sort();
    ids
}

/// `e0` … `e{n-1}`, sorted as text.
fn ids(n: usize) -> Vec<String> {
    let mut ids: Vec<String> = (0..n).map(|i| format!("e{i}")).collect();
    ids.sort();
    ids
}

/// Holds the WAL writer at its next write until the test lets it go on, then makes that
/// write succeed or fail (ENOSPC).
#[derive(Debug, Default)]
struct Gate {
    state: Mutex<GateState>,
    changed: std::sync::Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    armed: bool,
    held: bool,
    release: Option<bool>,
}

impl Gate {
    fn arm(&self) {
        *self.state.lock().expect("not poisoned") = GateState { armed: true, held: false, release: None };
    }

    /// Waits until the writer is held at the gate.
    async fn wait_until_held(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.state.lock().expect("not poisoned").held {
            assert!(Instant::now() < deadline, "the writer never reached the gate");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn release(&self, succeed: bool) {
        self.state.lock().expect("not poisoned").release = Some(succeed);
        self.changed.notify_all();
    }
}

impl crate::wal::FaultInjector for Gate {
    fn before(&self, step: crate::wal::WalIo) -> std::io::Result<()> {
        let mut state = self.state.lock().expect("not poisoned");
        if step != crate::wal::WalIo::Write || !state.armed {
            return Ok(());
        }
        state.held = true;
        self.changed.notify_all();
        while state.release.is_none() {
            state = self.changed.wait(state).expect("not poisoned");
        }
        let succeed = state.release.take().expect("released");
        state.armed = false;
        if succeed { Ok(()) } else { Err(std::io::Error::from_raw_os_error(28)) }
    }
}

fn open_with_gate(dir: &Path) -> (Arc<EmbeddedStore>, Arc<Gate>) {
    let gate = Arc::new(Gate::default());
    let mut options = EmbeddedStoreOptions::default();
    options.wal.fault_injector = Some(Arc::clone(&gate) as Arc<dyn crate::wal::FaultInjector>);
    let (store, _) = EmbeddedStore::open(dir, &options).expect("the store opens");
    (Arc::new(store), gate)
}

/// Appends in a task of its own, as a request handler does.
fn append_in_background(
    store: &Arc<EmbeddedStore>,
    records: Vec<EventRecord>,
) -> tokio::task::JoinHandle<Result<(), StoreError>> {
    let store = Arc::clone(store);
    tokio::spawn(async move { store.append(records).await })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_of_events_still_being_written_is_not_acknowledged_when_that_write_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, gate) = open_with_gate(dir.path());
    gate.arm();
    let first = append_in_background(&store, records_of_one_beacon(4));
    gate.wait_until_held().await;

    // A retry while the first write waits for its fsync: every event is already known.
    let mut retry = append_in_background(&store, records_of_one_beacon(4));
    let early = tokio::time::timeout(Duration::from_millis(300), &mut retry).await;
    assert!(early.is_err(), "the retry was answered before the write holding its events: {early:?}");
    gate.release(false);

    let first = first.await.expect("the task runs");
    let retry = retry.await.expect("the task runs");
    assert!(matches!(first, Err(StoreError::Write(_))), "{first:?}");
    assert_eq!(retry.map_err(|error| error.to_string()), first.map_err(|error| error.to_string()), "the same error");
    assert!(stored_ids(&store).is_empty(), "nothing was stored");

    // The failed write gave its ids back: the next retry is written, once.
    store.append(records_of_one_beacon(4)).await.expect("stored once writes succeed");
    assert_eq!(stored_ids(&store), ids(4));
    assert_eq!(store.stats().duplicates_dropped, 0, "the refused retry was not a dropped duplicate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_of_events_still_being_written_is_acknowledged_once_they_are_stored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, gate) = open_with_gate(dir.path());
    gate.arm();
    let first = append_in_background(&store, records_of_one_beacon(4));
    gate.wait_until_held().await;

    // The retry carries one new event too: it is written, and the four wait for the first write.
    let mut retry = append_in_background(&store, records_of_one_beacon(5));
    let early = tokio::time::timeout(Duration::from_millis(300), &mut retry).await;
    assert!(early.is_err(), "the retry was answered before the write holding its events: {early:?}");
    gate.release(true);

    first.await.expect("the task runs").expect("stored");
    retry.await.expect("the task runs").expect("stored once the first write is");
    assert_eq!(stored_ids(&store), ids(5), "each event once");
    assert_eq!(store.stats().duplicates_dropped, 4);
}

/// Makes the WAL's writes fail with ENOSPC while switched on, as a full disk does.
#[derive(Debug, Default)]
struct FullDisk(std::sync::atomic::AtomicBool);

impl FullDisk {
    fn set(&self, full: bool) {
        self.0.store(full, Ordering::SeqCst);
    }
}

impl crate::wal::FaultInjector for FullDisk {
    fn before(&self, step: crate::wal::WalIo) -> std::io::Result<()> {
        if step == crate::wal::WalIo::Write && self.0.load(Ordering::SeqCst) {
            return Err(std::io::Error::from_raw_os_error(28));
        }
        Ok(())
    }
}

/// Polls `condition` for up to 10 s.
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "still not true after 10 s: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn after_a_full_disk_the_store_becomes_healthy_without_any_append() {
    let dir = tempfile::tempdir().expect("temp dir");
    let disk = Arc::new(FullDisk::default());
    let mut options = EmbeddedStoreOptions::default();
    options.wal.fault_injector = Some(Arc::clone(&disk) as Arc<dyn crate::wal::FaultInjector>);
    let store = Arc::new(EmbeddedStore::open(dir.path(), &options).expect("opens").0);
    store.start_maintenance(MaintenanceOptions { flush_rows: 1000, flush_interval: Duration::from_secs(3600) });
    store.append(records_of_one_beacon(2)).await.expect("stored");

    disk.set(true);
    store.append(records_of_one_beacon(4)).await.expect_err("refused on a full disk");
    let health = store.health();
    assert!(
        !health.writable && health.last_error.as_deref().is_some_and(|e| e.contains("No space left")),
        "{health:?}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!store.health().writable, "the probes fail while the disk is full");

    disk.set(false);
    // Nobody appends (a load balancer took the node out): the store finds out by itself.
    eventually("the store probes its way back to healthy", || store.health().writable).await;
    assert_eq!(store.health(), StoreHealth { writable: true, last_error: None });
    store.append(records_of_one_beacon(4)).await.expect("stored again");
    assert_eq!(stored_ids(&store), ids(4));
    let wal_last_lsn = store.stats().wal_last_lsn;
    assert!(wal_last_lsn >= 3, "the probe is a WAL record of its own: {wal_last_lsn}");

    // The probe records hold no events: a restart replays the events and nothing else.
    store.stop_maintenance().await;
    store.wal.close().await;
    drop(store);
    let (store, report) = EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("reopens");
    assert_eq!((report.replayed_events, report.undecodable_records), (4, 0));
    assert_eq!(stored_ids(&store), ids(4));
    store.append(records_of_one_beacon(5)).await.expect("appends after the probes' LSNs");
    assert_eq!(stored_ids(&store), ids(5));
}

#[tokio::test]
async fn while_flushes_fail_the_buffer_is_bounded_and_the_store_says_why_until_a_flush_succeeds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("opens").0);
    // A file where the tables directory belongs: every flush fails until it is gone.
    let tables = dir.path().join("store/tables");
    std::fs::write(&tables, b"in the way").expect("writes");
    let options = MaintenanceOptions { flush_rows: 2, flush_interval: Duration::from_secs(3600) };
    let limit = options.buffer_limit();
    assert_eq!(limit, 2 * maintenance::BUFFER_LIMIT_FLUSHES);
    store.start_maintenance(options);

    let (context, page) = (test_records::context("shop", "s"), test_records::page());
    let beacon = |n: usize| vec![test_records::record(&context, &page, &format!("b{n}"), test_records::NOON_MS, n)];
    let mut stored = 0;
    while stored < limit {
        store.append(beacon(stored)).await.expect("under the limit");
        stored += 1;
    }
    eventually("a flush fails", || store.stats().flush_failures >= 1).await;

    let refused = store.append(beacon(limit)).await.expect_err("refused: the buffer is full and flushes fail");
    assert!(matches!(refused, StoreError::Unavailable(_)), "{refused:?}");
    assert!(refused.to_string().contains("flushes"), "{refused}");
    let health = store.health();
    let reason = health.last_error.clone().unwrap_or_default();
    assert!(!health.writable, "{health:?}");
    assert!(reason.starts_with("flushes failing: "), "{reason}");
    assert!(reason.contains("tables"), "names what failed: {reason}");
    assert_eq!(store.buffered_rows(), limit, "nothing more was buffered");

    std::fs::remove_file(&tables).expect("removes");
    eventually("a flush succeeds and the store takes writes again", || store.health().writable).await;
    store.append(beacon(limit)).await.expect("stored again");
    assert_eq!(store.stats().buffered_rows + store.stats().file_rows, limit as u64 + 1);
    store.close().await;
}

#[tokio::test]
async fn a_retry_after_a_graceful_restart_is_dropped_as_a_duplicate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _) = EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("opens");
    store.append(records_of_one_beacon(6)).await.expect("stored");
    store.close().await; // flushes everything: the WAL holds nothing to replay
    drop(store);

    let (store, report) = EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("reopens");
    assert_eq!((report.replayed_events, report.seeded_ids), (0, 6), "the ids come from the data files");
    store.append(records_of_one_beacon(7)).await.expect("the retry is acknowledged");
    assert_eq!(stored_ids(&store), ids(7), "only the new event is added");
    assert_eq!(store.stats().duplicates_dropped, 6);
}

#[tokio::test]
async fn the_newest_files_fill_the_remembered_half_and_no_more() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (context, page) = (test_records::context("shop", "s"), test_records::page());
    let day_ms = 86_400_000;
    let beacon = |day: i64| -> Vec<EventRecord> {
        let time = test_records::NOON_MS + day * day_ms;
        (0..4).map(|i| test_records::record(&context, &page, &format!("d{day}-{i}"), time, 0)).collect()
    };
    let (store, _) = EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("opens");
    for day in 0..3 {
        store.append(beacon(day)).await.expect("stored");
        store.flush().await.expect("one file per day");
    }
    store.close().await;
    drop(store);

    // Room for 6 ids: the newest day's 4, then 2 of the day before.
    let options = EmbeddedStoreOptions { dedup_capacity: 12, ..EmbeddedStoreOptions::default() };
    let (store, report) = EmbeddedStore::open(dir.path(), &options).expect("reopens");
    assert_eq!(report.seeded_ids, 6);
    let state = store.lock();
    let known = |day: i64, i: usize| state.recent.contains(state.recent.key("shop", "view-1", &format!("d{day}-{i}")));
    assert!((0..4).all(|i| known(2, i)), "the newest file's ids are all remembered");
    assert_eq!((0..4).filter(|&i| known(1, i)).count(), 2);
    assert!((0..4).all(|i| !known(0, i)), "the oldest file is not read");
}

#[tokio::test]
async fn a_torn_wal_tail_cut_at_open_is_counted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _) = EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("opens");
    store.append(records_of_one_beacon(3)).await.expect("stored");
    store.wal.close().await; // a crash: nothing flushed
    drop(store);
    let segment = dir.path().join("store/wal/00000000000000000001.wal");
    let mut file = std::fs::OpenOptions::new().append(true).open(&segment).expect("the segment");
    std::io::Write::write_all(&mut file, b"torn!!!").expect("writes half a record");
    drop(file);

    let (store, report) = EmbeddedStore::open(dir.path(), &EmbeddedStoreOptions::default()).expect("reopens");
    assert_eq!(report.replayed_events, 3, "what was acknowledged is back");
    let stats = store.stats();
    assert_eq!((stats.wal_tail_cuts, stats.wal_tail_bytes_cut), (1, 7));
    assert_eq!((stats.wal_damaged_bytes_skipped, stats.wal_missing_records, stats.wal_undecodable_records), (0, 0, 0));
}
