//! An fsynced append-only JSON-lines log with group commit.
//!
//! One writer thread owns the file. Appends queue up while it syncs (in a bounded
//! queue: when it is full, appends are refused at once instead of piling up in
//! memory); each round writes everything queued, calls `fdatasync` once, and
//! answers every caller of that round. A failed write truncates the file back to
//! its last synced length (no torn tail is left behind), answers the round with an
//! error and marks the store unwritable until a later round succeeds. When even
//! that cut fails, the file may end in garbage: the store then refuses every write
//! until it is reopened (a restart), which cuts the torn tail.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sightline_protocol::EventRecord;
use tokio::sync::oneshot;

use crate::{Store, StoreError, StoreFuture, StoreHealth};

/// Options of a [`LogStore`].
#[derive(Debug, Clone)]
pub struct LogStoreOptions {
    /// How long the writer waits for more appends before syncing a round.
    pub linger: Duration,
    /// Appends (one per beacon) waiting for the writer at most; past it, appends fail
    /// with [`StoreError::QueueFull`].
    pub queue_capacity: usize,
}

impl Default for LogStoreOptions {
    fn default() -> Self {
        Self { linger: Duration::from_micros(500), queue_capacity: 4096 }
    }
}

type Reply = oneshot::Sender<Result<(), StoreError>>;

struct Append {
    records: Vec<EventRecord>,
    reply: Reply,
}

/// The interim durable store: `<data_dir>/intake/events.jsonl`.
#[derive(Debug)]
pub struct LogStore {
    path: PathBuf,
    sender: Mutex<Option<SyncSender<Append>>>,
    health: Arc<Mutex<StoreHealth>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl LogStore {
    /// Opens (or creates) the log under `data_dir`.
    pub fn open(data_dir: &Path, options: &LogStoreOptions) -> Result<Self, StoreError> {
        let dir = data_dir.join("intake");
        let open_error = |error: std::io::Error| StoreError::Open {
            path: dir.display().to_string(),
            message: format!("{error}: check that the directory exists and is writable"),
        };
        std::fs::create_dir_all(&dir).map_err(open_error)?;
        let path = dir.join("events.jsonl");
        let file = OpenOptions::new().create(true).read(true).append(true).open(&path).map_err(open_error)?;
        // The new file's name is durable only once its directory is synced.
        File::open(&dir).and_then(|dir| dir.sync_all()).map_err(open_error)?;
        let synced_len = cut_torn_tail(&file).map_err(open_error)?;
        let health = Arc::new(Mutex::new(StoreHealth { writable: true, last_error: None }));
        let (sender, receiver) = sync_channel(options.queue_capacity.max(1));
        let writer = Writer::new(file, synced_len, Arc::clone(&health), options.linger);
        let handle = std::thread::Builder::new()
            .name("sightline-log-writer".into())
            .spawn(move || writer.run(&receiver))
            .map_err(open_error)?;
        Ok(Self { path, sender: Mutex::new(Some(sender)), health, writer: Mutex::new(Some(handle)) })
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads every record in the log (for tests and tools; the real store replaces this).
    pub fn read_all(path: &Path) -> Result<Vec<EventRecord>, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| StoreError::Write(e.to_string()))?;
        text.lines().map(|line| serde_json::from_str(line).map_err(|e| StoreError::Write(e.to_string()))).collect()
    }
}

impl Store for LogStore {
    fn append(&self, records: Vec<EventRecord>) -> StoreFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            if records.is_empty() {
                return Ok(());
            }
            let (reply, answer) = oneshot::channel();
            {
                let sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
                let sender = sender.as_ref().ok_or(StoreError::Closed)?;
                sender.try_send(Append { records, reply }).map_err(|error| match error {
                    TrySendError::Full(_) => StoreError::QueueFull,
                    TrySendError::Disconnected(_) => StoreError::Closed,
                })?;
            }
            answer.await.map_err(|_| StoreError::Closed)?
        })
    }

    fn health(&self) -> StoreHealth {
        self.health.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn close(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.sender.lock().unwrap_or_else(PoisonError::into_inner).take();
            let handle = self.writer.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(handle) = handle {
                let _ = tokio::task::spawn_blocking(move || handle.join()).await;
            }
        })
    }
}

/// Cuts a partial last line (a crash between write and sync) and returns the clean length.
fn cut_torn_tail(file: &File) -> std::io::Result<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    let mut reader = file;
    let mut end = len;
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let size = usize::try_from(end - start).unwrap_or(chunk.len());
        reader.seek(SeekFrom::Start(start))?;
        reader.read_exact(&mut chunk[..size])?;
        if let Some(newline) = chunk[..size].iter().rposition(|&b| b == b'\n') {
            end = start + newline as u64 + 1;
            break;
        }
        end = start;
    }
    if end < len {
        tracing::warn!(cut_bytes = len - end, "log store cut a torn tail left by a crash");
        file.set_len(end)?;
    }
    Ok(end)
}

/// What the writer needs of its file: a seam so that tests can make each step fail.
trait LogFile: Send + 'static {
    /// Appends `bytes` at the end.
    fn append(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// Makes everything appended durable.
    fn sync(&mut self) -> std::io::Result<()>;
    /// Cuts the file to `len` bytes.
    fn truncate(&mut self, len: u64) -> std::io::Result<()>;
}

impl LogFile for File {
    fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.write_all(bytes)
    }

    fn sync(&mut self) -> std::io::Result<()> {
        self.sync_data()
    }

    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.set_len(len)
    }
}

struct Writer<F = File> {
    file: F,
    synced_len: u64,
    health: Arc<Mutex<StoreHealth>>,
    linger: Duration,
    /// Set when a failed round could not be cut back: the file may end in garbage,
    /// and nothing may be appended after it until the log is reopened.
    broken: Option<String>,
}

impl<F: LogFile> Writer<F> {
    fn new(file: F, synced_len: u64, health: Arc<Mutex<StoreHealth>>, linger: Duration) -> Self {
        Self { file, synced_len, health, linger, broken: None }
    }

    fn run(mut self, receiver: &Receiver<Append>) {
        while let Ok(first) = receiver.recv() {
            let mut round = vec![first];
            if !self.linger.is_zero() {
                std::thread::sleep(self.linger);
            }
            round.extend(receiver.try_iter());
            let result = self.commit(&round);
            self.set_health(&result);
            for append in round {
                let _ = append.reply.send(result.clone());
            }
        }
    }

    /// Writes and syncs one round; on failure, cuts the file back to the last synced length.
    fn commit(&mut self, round: &[Append]) -> Result<(), StoreError> {
        if let Some(reason) = &self.broken {
            return Err(StoreError::Write(reason.clone()));
        }
        let mut buffer = Vec::with_capacity(round.iter().map(|a| a.records.len() * 512).sum());
        for record in round.iter().flat_map(|append| &append.records) {
            serde_json::to_writer(&mut buffer, record).map_err(|e| StoreError::Write(e.to_string()))?;
            buffer.push(b'\n');
        }
        let written = self.file.append(&buffer).and_then(|()| self.file.sync());
        let Err(error) = written else {
            self.synced_len += buffer.len() as u64;
            return Ok(());
        };
        if let Err(cut_error) = self.file.truncate(self.synced_len) {
            let reason = format!(
                "{error}; cutting the failed write back also failed ({cut_error}): \
                 restart Sightline so that the log is checked before it takes writes again"
            );
            tracing::error!(%error, %cut_error, "log store cannot cut a failed write back; refusing writes until restarted");
            self.broken = Some(reason.clone());
            return Err(StoreError::Write(reason));
        }
        tracing::error!(%error, "log store write failed; refusing writes until one succeeds");
        Err(StoreError::Write(error.to_string()))
    }

    fn set_health(&self, result: &Result<(), StoreError>) {
        let mut health = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        *health = match result {
            Ok(()) => StoreHealth { writable: true, last_error: None },
            Err(error) => StoreHealth { writable: false, last_error: Some(error.to_string()) },
        };
    }
}

#[cfg(test)]
mod tests;
