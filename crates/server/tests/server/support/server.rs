//! The real server, in-process, on `127.0.0.1:0`, wired as `sightline serve` wires it.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use sightline_ingest::enrich::Enricher;
use sightline_ingest::{Pipeline, ProjectConfig};
use sightline_protocol::EventRecord;
use sightline_server::{AppState, IntakeConfig, Metrics, ProjectRegistry};
use sightline_store::wal::{FaultInjector, WalIo};
use sightline_store::{
    EmbeddedStore, EmbeddedStoreOptions, MaintenanceOptions, PartitionSnapshot, Store, StoreError, StoreFuture,
    StoreHealth, StoreStats,
};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::http::{self, Response, request_bytes};
use super::metrics::MetricsText;
use super::{BLOG_HOST, BLOG_KEY, BLOG_ORIGIN, Beacon, CHROME_UA, DISABLED_KEY, SHOP_HOST, SHOP_KEY, SHOP_ORIGIN};

/// Which store the server writes to: always the real `EmbeddedStore` in the test's data
/// directory, with its maintenance task, as `sightline serve` runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreChoice {
    /// Writes succeed.
    Embedded,
    /// Its write-ahead log's writes fail with ENOSPC while a switch is on ([`TestServer::fail_storage`]).
    Failable,
    /// Its write-ahead log's writes fail with ENOSPC from the start, as on a full disk.
    DiskFull,
}

/// How to start a test server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Intake limits; the defaults, with 2 s header and body timeouts.
    pub intake: IntakeConfig,
    /// `shop`, `blog` and the disabled `off`.
    pub projects: Vec<ProjectConfig>,
    /// The store.
    pub store: StoreChoice,
    /// Runs on the data directory before the store opens (to leave what a crash leaves).
    pub before_open: Option<fn(&Path)>,
    /// When the store's maintenance task flushes; the defaults.
    pub maintenance: MaintenanceOptions,
}

impl Default for ServerOptions {
    fn default() -> Self {
        let shop = ProjectConfig {
            id: "shop".into(),
            name: "Web shop".into(),
            ingest_key: SHOP_KEY.into(),
            allowed_origins: vec![SHOP_ORIGIN.into()],
            allowed_hosts: vec![SHOP_HOST.into()],
            ..ProjectConfig::default()
        };
        let blog = ProjectConfig {
            id: "blog".into(),
            name: "Blog".into(),
            ingest_key: BLOG_KEY.into(),
            allowed_origins: vec![BLOG_ORIGIN.into()],
            allowed_hosts: vec![BLOG_HOST.into()],
            ..ProjectConfig::default()
        };
        let off = ProjectConfig {
            id: "off".into(),
            name: "Switched off".into(),
            ingest_key: DISABLED_KEY.into(),
            enabled: false,
            allowed_origins: vec!["*".into()],
            ..ProjectConfig::default()
        };
        let intake = IntakeConfig { header_timeout_secs: 2, body_timeout_secs: 2, ..IntakeConfig::default() };
        Self {
            intake,
            projects: vec![shop, blog, off],
            store: StoreChoice::Embedded,
            before_open: None,
            maintenance: MaintenanceOptions::default(),
        }
    }
}

impl ServerOptions {
    /// Changes intake settings.
    pub fn intake(mut self, change: impl FnOnce(&mut IntakeConfig)) -> Self {
        change(&mut self.intake);
        self
    }

    /// Changes the settings of project `id`.
    pub fn project(mut self, id: &str, change: impl FnOnce(&mut ProjectConfig)) -> Self {
        let project = self.projects.iter_mut().find(|p| p.id == id).unwrap_or_else(|| panic!("no project {id}"));
        change(project);
        self
    }

    /// Picks the store.
    pub fn store(mut self, store: StoreChoice) -> Self {
        self.store = store;
        self
    }

    /// Sets when the store flushes.
    pub fn maintenance(mut self, maintenance: MaintenanceOptions) -> Self {
        self.maintenance = maintenance;
        self
    }

    /// Runs `prepare` on the data directory before the store opens.
    pub fn before_open(mut self, prepare: fn(&Path)) -> Self {
        self.before_open = Some(prepare);
        self
    }

    /// Starts the server.
    pub async fn start(self) -> TestServer {
        TestServer::start(self).await
    }
}

/// A running server and its data directory; shut down when dropped.
#[derive(Debug)]
pub struct TestServer {
    /// Where it listens (always on 127.0.0.1).
    pub addr: SocketAddr,
    store: Arc<RecordingStore>,
    failure: Option<Arc<AtomicBool>>,
    /// The server's shared state, for tests that hold its permits.
    pub state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    _data_dir: TempDir,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.task.abort();
    }
}

impl TestServer {
    /// A server with the default options.
    pub async fn start_default() -> Self {
        ServerOptions::default().start().await
    }

    async fn start(options: ServerOptions) -> Self {
        options.intake.validate().expect("valid intake settings");
        let data_dir = tempfile::tempdir().expect("create a data directory");
        if let Some(prepare) = options.before_open {
            prepare(data_dir.path());
        }
        let (store, failure) = open_store(data_dir.path(), options.store, options.maintenance.clone());
        let metrics = Arc::new(Metrics::new());
        let state = Arc::new(AppState::new(
            options.intake.clone(),
            ProjectRegistry::new(options.projects).expect("valid projects"),
            Pipeline::new(Enricher::new(None)),
            Arc::clone(&store) as Arc<dyn Store>,
            Arc::clone(&metrics),
        ));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("bound address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let router = sightline_server::router(Arc::clone(&state));
        let intake = options.intake;
        let task = tokio::spawn(async move {
            let stopped = async {
                let _ = stop.await;
            };
            sightline_server::listener::serve(listener, router, &intake, metrics, stopped).await
        });
        Self { addr, store, failure, state, shutdown: Some(shutdown), task, _data_dir: data_dir }
    }

    /// Makes every write-ahead log write fail (`true`) or succeed again (`false`). Only with
    /// [`StoreChoice::Failable`] (or [`StoreChoice::DiskFull`]).
    pub fn fail_storage(&self, fail: bool) {
        self.failure.as_ref().expect("start with StoreChoice::Failable").store(fail, Ordering::SeqCst);
    }

    /// The store the server writes to.
    pub fn store(&self) -> &EmbeddedStore {
        &self.store.inner
    }

    /// Sends raw bytes on a fresh connection.
    pub async fn send_raw(&self, bytes: &[u8]) -> Response {
        http::send(self.addr, bytes).await
    }

    /// `POST path` with exactly these headers (plus Host, Connection and Content-Length).
    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        self.send_raw(&request_bytes("POST", path, headers, body)).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Response {
        self.send_raw(&request_bytes("GET", path, &[], b"")).await
    }

    /// Posts `beacon` to the shop as Chrome on the shop's page would (JSON, `Origin`, `User-Agent`).
    pub async fn post_beacon(&self, beacon: &Beacon) -> Response {
        self.post_beacon_with(SHOP_KEY, beacon, &[]).await
    }

    /// Posts `beacon` to project `key` as a browser would, plus `extra` headers
    /// (a header named in `extra` replaces the default one).
    pub async fn post_beacon_with(&self, key: &str, beacon: &Beacon, extra: &[(&str, &str)]) -> Response {
        self.post_body(key, &beacon.to_bytes(), extra).await
    }

    /// Posts `body` to project `key` with a browser's headers plus `extra` (which win).
    pub async fn post_body(&self, key: &str, body: &[u8], extra: &[(&str, &str)]) -> Response {
        let origin = if key == BLOG_KEY { BLOG_ORIGIN } else { SHOP_ORIGIN };
        let mut headers: Vec<(&str, &str)> =
            vec![("Content-Type", "application/json"), ("User-Agent", CHROME_UA), ("Origin", origin)];
        headers.retain(|(name, _)| !extra.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)));
        headers.extend_from_slice(extra);
        self.post(&ingest_path(key), &headers, body).await
    }

    /// Posts `body` gzipped to the shop, as a browser with `CompressionStream` would.
    pub async fn post_gzipped(&self, body: &[u8]) -> Response {
        self.post_body(SHOP_KEY, &super::gzip(body), &[("Content-Encoding", "gzip")]).await
    }

    /// The parsed `/metrics`.
    pub async fn metrics(&self) -> MetricsText {
        let response = self.get("/metrics").await;
        assert_eq!(response.status, 200, "/metrics: {}", response.text());
        MetricsText::parse(&response.text())
    }

    /// `sightline_outcomes_total` for one project and reason.
    pub async fn outcome_count(&self, project: &str, reason: &str) -> u64 {
        self.metrics().await.outcome(project, reason)
    }

    /// Everything the store holds, in append order. The store keeps events as columns, so the
    /// records come from the copy the test store keeps of each acknowledged append, checked
    /// against the store: it holds exactly these events (by project and event id), once each.
    pub fn records(&self) -> Vec<EventRecord> {
        let acknowledged = self.store.acknowledged.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let mut seen = HashSet::new();
        let records: Vec<EventRecord> = acknowledged
            .into_iter()
            .filter(|record| seen.insert((record.context.project.clone(), record.event_id.clone())))
            .collect();
        let mut expected: Vec<(String, String)> =
            records.iter().map(|record| (record.context.project.clone(), record.event_id.clone())).collect();
        expected.sort();
        let mut stored = Vec::new();
        for batch in self.stored_batches() {
            let projects = batch.column_by_name("project").expect("a project column").as_string::<i32>();
            let ids = batch.column_by_name("event_id").expect("an event_id column").as_string::<i32>();
            stored.extend(projects.iter().zip(ids).map(|(project, id)| {
                (project.expect("project is not null").to_owned(), id.expect("event_id is not null").to_owned())
            }));
        }
        stored.sort();
        assert_eq!(stored, expected, "the store holds each acknowledged event once, and nothing else");
        records
    }

    /// Every row the store holds (buffer and Parquet files), as record batches.
    pub fn stored_batches(&self) -> Vec<RecordBatch> {
        let snapshot = self.store.inner.snapshot();
        let mut batches: Vec<RecordBatch> = snapshot.partitions.iter().flat_map(PartitionSnapshot::batches).collect();
        for file in &snapshot.files {
            let reader = std::fs::File::open(snapshot.tables_dir.join(&file.path)).expect("a listed file exists");
            let rows = ParquetRecordBatchReaderBuilder::try_new(reader).expect("a Parquet file").build().expect("rows");
            batches.extend(rows.map(|batch| batch.expect("a readable batch")));
        }
        batches
    }

    /// All that storage holds as text, to check that something appears nowhere in it: the
    /// write-ahead log's segments (JSON payloads) and every value of every stored row.
    pub fn storage_text(&self) -> String {
        let wal_dir = self.store.inner.dir().join("wal");
        let mut text = String::new();
        for entry in std::fs::read_dir(&wal_dir).expect("read the WAL directory") {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|extension| extension == "wal") {
                text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).expect("read a WAL segment")));
            }
        }
        for batch in self.stored_batches() {
            for column in batch.columns() {
                let values = cast(column, &DataType::Utf8).expect("every column casts to text");
                for value in values.as_string::<i32>().iter().flatten() {
                    text.push_str(value);
                    text.push('\n');
                }
            }
        }
        text
    }

    /// The stored records with these event ids, in append order.
    pub fn records_with_ids(&self, ids: &[String]) -> Vec<EventRecord> {
        self.records().into_iter().filter(|r| ids.contains(&r.event_id)).collect()
    }

    /// The one stored record with event id `id`.
    pub fn record(&self, id: &str) -> EventRecord {
        let mut found: Vec<_> = self.records().into_iter().filter(|r| r.event_id == id).collect();
        assert_eq!(found.len(), 1, "expected exactly one stored record with id {id}");
        found.remove(0)
    }

    /// `/healthz` and `/readyz` answer 200.
    pub async fn assert_healthy(&self) {
        let health = self.get("/healthz").await;
        assert_eq!(health.status, 200, "/healthz: {}", health.text());
        let ready = self.get("/readyz").await;
        assert_eq!(ready.status, 200, "/readyz: {}", ready.text());
    }

    /// Posts a realistic beacon to the shop and checks that it was stored: the data
    /// a hostile request must not harm.
    pub async fn seed(&self) -> Seed {
        let beacon = Beacon::realistic();
        let response = self.post_beacon(&beacon).await;
        assert_eq!(response.accepted_dropped(), (beacon.events.len() as u64, 0), "seed beacon");
        let seed = Seed { ids: beacon.event_ids() };
        self.assert_still_stored(&seed);
        seed
    }

    /// Every record of `seed` is still stored, once.
    pub fn assert_still_stored(&self, seed: &Seed) {
        let stored = self.records_with_ids(&seed.ids);
        let mut ids: Vec<_> = stored.iter().map(|r| r.event_id.clone()).collect();
        ids.sort();
        let mut expected = seed.ids.clone();
        expected.sort();
        assert_eq!(ids, expected, "the records accepted before the hostile request");
    }

    /// After a hostile request: alive, ready, earlier data intact, and a new beacon accepted.
    pub async fn assert_survived(&self, seed: &Seed) {
        self.assert_healthy().await;
        self.assert_still_stored(seed);
        let beacon = Beacon::new().with_event(super::event::custom("still_alive"));
        let response = self.post_beacon(&beacon).await;
        assert_eq!(response.accepted_dropped(), (1, 0), "a valid beacon after the hostile request");
        self.assert_still_stored(&Seed { ids: beacon.event_ids() });
    }
}

/// Records stored before a hostile request.
#[derive(Debug, Clone)]
pub struct Seed {
    /// Their event ids.
    pub ids: Vec<String>,
}

/// `/ingest/v1/{key}`.
pub fn ingest_path(key: &str) -> String {
    format!("/ingest/v1/{key}")
}

/// Opens the real store in `data_dir` and starts its maintenance, as `sightline serve` does;
/// with a switch that makes its WAL writes fail for the failing choices.
fn open_store(
    data_dir: &Path,
    choice: StoreChoice,
    maintenance: MaintenanceOptions,
) -> (Arc<RecordingStore>, Option<Arc<AtomicBool>>) {
    let disk = Arc::new(FullDisk { full: Arc::new(AtomicBool::new(choice == StoreChoice::DiskFull)) });
    let mut options = EmbeddedStoreOptions::default();
    options.wal.fault_injector = Some(Arc::clone(&disk) as Arc<dyn FaultInjector>);
    let (store, _) = EmbeddedStore::open(data_dir, &options).expect("open the store");
    let store = Arc::new(store);
    store.start_maintenance(maintenance);
    let recording = Arc::new(RecordingStore { inner: store, acknowledged: Arc::default() });
    let switch = (choice != StoreChoice::Embedded).then(|| Arc::clone(&disk.full));
    (recording, switch)
}

/// Makes the write-ahead log's writes fail with ENOSPC while `full` is on, as a full disk does.
#[derive(Debug)]
struct FullDisk {
    full: Arc<AtomicBool>,
}

impl FaultInjector for FullDisk {
    fn before(&self, step: WalIo) -> std::io::Result<()> {
        if step == WalIo::Write && self.full.load(Ordering::SeqCst) {
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC: "No space left on device"
        }
        Ok(())
    }
}

/// The real store, and a copy of every append it acknowledged: it stores columns, and the
/// tests read whole `EventRecord`s back ([`TestServer::records`] checks the copy against it).
#[derive(Debug)]
struct RecordingStore {
    inner: Arc<EmbeddedStore>,
    acknowledged: Arc<Mutex<Vec<EventRecord>>>,
}

impl Store for RecordingStore {
    fn append(&self, records: Vec<EventRecord>) -> StoreFuture<'_, Result<(), StoreError>> {
        let (inner, acknowledged) = (Arc::clone(&self.inner), Arc::clone(&self.acknowledged));
        // Like the store's own insert, the copy is made even when the client hangs up meanwhile.
        let append = tokio::spawn(async move {
            let copy = records.clone();
            inner.append(records).await?;
            acknowledged.lock().unwrap_or_else(PoisonError::into_inner).extend(copy);
            Ok(())
        });
        Box::pin(async move { append.await.expect("the append task runs") })
    }

    fn health(&self) -> StoreHealth {
        self.inner.health()
    }

    fn stats(&self) -> StoreStats {
        self.inner.stats()
    }

    fn close(&self) -> StoreFuture<'_, ()> {
        self.inner.close()
    }
}
