use sightline_protocol::{
    Attributes, ClientInfo, CustomEvent, EventBody, EventRecord, GeoInfo, NetworkInfo, PageLocation, QualityFlags,
    RecordContext, SamplingReason,
};

use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::*;

fn record(id: &str) -> EventRecord {
    let context = RecordContext {
        project: "default".into(),
        received_at_ms: 1_790_000_000_000,
        session_id: "s".into(),
        referrer_host: None,
        client: ClientInfo::default(),
        geo: GeoInfo::default(),
        network: NetworkInfo::default(),
        release: None,
        environment: None,
        user_id: None,
        user_attributes: Attributes::default(),
        attributes: Attributes::default(),
        consent: None,
        sample_rate: 1.0,
        sampling_reason: SamplingReason::Sampled,
        viewport_width: None,
        viewport_height: None,
        device_memory_gb: None,
        device_cores: None,
        agent_name: "test".into(),
        agent_version: "0".into(),
    };
    let page =
        PageLocation { url: "https://x.test/".into(), host: "x.test".into(), path: "/".into(), route: "/".into() };
    EventRecord {
        event_id: id.into(),
        timestamp_ms: 1_790_000_000_000,
        view_id: "v".into(),
        page: Arc::new(page),
        quality: QualityFlags::default(),
        body: EventBody::Custom(CustomEvent { name: "n".into(), value: Some(1.0), attributes: Attributes::default() }),
        context: Arc::new(context),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_are_all_durable_and_readable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(LogStore::open(dir.path(), &LogStoreOptions::default()).expect("open"));
    let mut tasks = Vec::new();
    for task in 0..20 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                store.append(vec![record(&format!("{task}-{i}"))]).await.expect("append");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    store.close().await;
    let stored = LogStore::read_all(store.path()).expect("read back");
    assert_eq!(stored.len(), 200);
    assert!(store.health().writable);
}

#[tokio::test]
async fn appends_after_close_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LogStore::open(dir.path(), &LogStoreOptions::default()).expect("open");
    store.close().await;
    assert!(matches!(store.append(vec![record("late")]).await, Err(StoreError::Closed)));
}

#[tokio::test]
async fn reopening_appends_after_existing_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    for round in 0..2 {
        let store = LogStore::open(dir.path(), &LogStoreOptions::default()).expect("open");
        store.append(vec![record(&format!("r{round}"))]).await.expect("append");
        store.close().await;
    }
    let stored = LogStore::read_all(&dir.path().join("intake/events.jsonl")).expect("read");
    assert_eq!(stored.iter().map(|r| r.event_id.as_str()).collect::<Vec<_>>(), ["r0", "r1"]);
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_full_disk_refuses_the_write_and_reports_unhealthy() {
    // /dev/full accepts opens and fails every write with ENOSPC.
    let mut writer = Writer::new(
        OpenOptions::new().append(true).open("/dev/full").expect("open /dev/full"),
        0,
        Arc::new(Mutex::new(StoreHealth { writable: true, last_error: None })),
        Duration::ZERO,
    );
    let (reply, _answer) = oneshot::channel();
    let result = writer.commit(&[Append { records: vec![record("x")], reply }]);
    writer.set_health(&result);
    assert!(matches!(result, Err(StoreError::Write(_))));
    let health = writer.health.lock().expect("lock").clone();
    assert!(!health.writable);
    assert!(health.last_error.expect("error kept").contains("No space"));
}

#[tokio::test]
async fn a_torn_tail_is_cut_on_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LogStore::open(dir.path(), &LogStoreOptions::default()).expect("open");
    store.append(vec![record("kept")]).await.expect("append");
    store.close().await;
    let path = dir.path().join("intake/events.jsonl");
    let mut file = OpenOptions::new().append(true).open(&path).expect("open log");
    file.write_all(b"{\"project\":\"torn").expect("write torn tail");
    drop(file);
    let store = LogStore::open(dir.path(), &LogStoreOptions::default()).expect("reopen");
    store.append(vec![record("after")]).await.expect("append");
    store.close().await;
    let ids: Vec<_> = LogStore::read_all(&path).expect("read").into_iter().map(|r| r.event_id).collect();
    assert_eq!(ids, ["kept", "after"]);
}

/// Polls a future once (enough for an append to be queued or refused), then drops it.
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    pin!(future).as_mut().poll(&mut Context::from_waker(Waker::noop()))
}

#[tokio::test]
async fn a_full_queue_refuses_appends_at_once_without_marking_the_store_unwritable() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The writer takes the first append, then lingers while the queue (2) fills up.
    let options = LogStoreOptions { linger: Duration::from_millis(300), queue_capacity: 2 };
    let store = LogStore::open(dir.path(), &options).expect("open");

    let polled: Vec<_> = (0..4).map(|i| poll_once(store.append(vec![record(&format!("q{i}"))]))).collect();

    assert!(
        polled.iter().any(|poll| matches!(poll, Poll::Ready(Err(StoreError::QueueFull)))),
        "four appends against a queue of two: {polled:?}"
    );
    assert!(store.health().writable, "a full queue is back-pressure, not a broken disk");
    let mut attempts = 0;
    while let Err(error) = store.append(vec![record("after")]).await {
        assert!(matches!(error, StoreError::QueueFull), "{error}");
        attempts += 1;
        assert!(attempts < 100, "the queue never drained");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    store.close().await;
    let ids: Vec<_> = LogStore::read_all(store.path()).expect("read").into_iter().map(|r| r.event_id).collect();
    assert!(ids.contains(&"after".to_owned()), "{ids:?}");
}

/// An in-memory log whose writes and cuts fail on demand. A failing write leaves half
/// of its bytes behind, as a disk filling up mid-write does.
#[derive(Debug, Default)]
struct FakeFile {
    bytes: Vec<u8>,
    fail_writes: bool,
    fail_cuts: bool,
}

impl LogFile for FakeFile {
    fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if self.fail_writes {
            self.bytes.extend_from_slice(&bytes[..bytes.len() / 2]);
            return Err(std::io::Error::other("no space left (fake)"));
        }
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }

    fn sync(&mut self) -> std::io::Result<()> {
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        if self.fail_cuts {
            return Err(std::io::Error::other("cannot truncate (fake)"));
        }
        self.bytes.truncate(usize::try_from(len).expect("small"));
        Ok(())
    }
}

fn fake_writer() -> Writer<FakeFile> {
    let health = Arc::new(Mutex::new(StoreHealth { writable: true, last_error: None }));
    Writer::new(FakeFile::default(), 0, health, Duration::ZERO)
}

/// Commits one append of one record and updates the health, as a round does.
fn commit_one(writer: &mut Writer<FakeFile>, id: &str) -> Result<(), StoreError> {
    let (reply, _answer) = oneshot::channel();
    let result = writer.commit(&[Append { records: vec![record(id)], reply }]);
    writer.set_health(&result);
    result
}

fn ids_in(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    text.lines().map(|line| serde_json::from_str::<EventRecord>(line).expect("a whole record").event_id).collect()
}

#[test]
fn a_failed_write_is_cut_back_and_writes_resume_once_they_succeed() {
    let mut writer = fake_writer();
    commit_one(&mut writer, "a").expect("first write");

    writer.file.fail_writes = true;
    assert!(commit_one(&mut writer, "b").is_err());
    assert_eq!(ids_in(&writer.file.bytes), ["a"], "the torn half of b is cut");
    assert!(!writer.health.lock().expect("lock").writable);

    writer.file.fail_writes = false;
    commit_one(&mut writer, "c").expect("writes succeed again");
    assert_eq!(ids_in(&writer.file.bytes), ["a", "c"]);
    assert!(writer.health.lock().expect("lock").writable);
}

#[test]
fn when_the_cut_fails_too_nothing_is_ever_appended_after_the_garbage() {
    let mut writer = fake_writer();
    commit_one(&mut writer, "a").expect("first write");
    let good_len = writer.file.bytes.len();

    writer.file.fail_writes = true;
    writer.file.fail_cuts = true;
    let error = commit_one(&mut writer, "b").expect_err("the write fails");
    assert!(error.to_string().contains("restart"), "{error}");
    let with_garbage = writer.file.bytes.clone();
    assert!(with_garbage.len() > good_len, "half of b is left behind");

    writer.file.fail_writes = false;
    writer.file.fail_cuts = false;
    for id in ["c", "d"] {
        let error = commit_one(&mut writer, id).expect_err("still refused");
        assert!(error.to_string().contains("restart"), "{error}");
    }
    assert_eq!(writer.file.bytes, with_garbage, "nothing appended after the garbage");
    let health = writer.health.lock().expect("lock").clone();
    assert!(!health.writable);
    assert!(health.last_error.expect("a reason").contains("restart"), "readyz tells the operator what to do");
}
