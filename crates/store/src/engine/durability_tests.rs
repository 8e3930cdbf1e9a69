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
