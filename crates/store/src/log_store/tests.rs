use sightline_protocol::{
    Attributes, ClientInfo, CustomEvent, EventBody, EventRecord, GeoInfo, NetworkInfo, PageLocation, QualityFlags,
    SamplingReason,
};

use super::*;

fn record(id: &str) -> EventRecord {
    EventRecord {
        project: "default".into(),
        event_id: id.into(),
        timestamp_ms: 1_790_000_000_000,
        received_at_ms: 1_790_000_000_000,
        session_id: "s".into(),
        view_id: "v".into(),
        page: PageLocation {
            url: "https://x.test/".into(),
            host: "x.test".into(),
            path: "/".into(),
            route: "/".into(),
        },
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
        quality: QualityFlags::default(),
        body: EventBody::Custom(CustomEvent { name: "n".into(), value: Some(1.0), attributes: Attributes::default() }),
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
    let mut writer = Writer {
        file: OpenOptions::new().append(true).open("/dev/full").expect("open /dev/full"),
        synced_len: 0,
        health: Arc::new(Mutex::new(StoreHealth { writable: true, last_error: None })),
        linger: Duration::ZERO,
    };
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
