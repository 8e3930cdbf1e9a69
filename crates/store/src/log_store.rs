//! An fsynced append-only JSON-lines log with group commit.
//!
//! One writer thread owns the file. Appends queue up while it syncs; each round
//! writes everything queued, calls `fdatasync` once, and answers every caller
//! of that round. A failed write truncates the file back to its last synced
//! length (no torn tail is left behind), answers the round with an error and
//! marks the store unwritable until a later round succeeds.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
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
}

impl Default for LogStoreOptions {
    fn default() -> Self {
        Self { linger: Duration::from_micros(500) }
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
    sender: Mutex<Option<Sender<Append>>>,
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
        let synced_len = cut_torn_tail(&file).map_err(open_error)?;
        let health = Arc::new(Mutex::new(StoreHealth { writable: true, last_error: None }));
        let (sender, receiver) = channel();
        let writer = Writer { file, synced_len, health: Arc::clone(&health), linger: options.linger };
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
                sender.send(Append { records, reply }).map_err(|_| StoreError::Closed)?;
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

struct Writer {
    file: File,
    synced_len: u64,
    health: Arc<Mutex<StoreHealth>>,
    linger: Duration,
}

impl Writer {
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
        let mut buffer = Vec::with_capacity(round.iter().map(|a| a.records.len() * 512).sum());
        for record in round.iter().flat_map(|append| &append.records) {
            serde_json::to_writer(&mut buffer, record).map_err(|e| StoreError::Write(e.to_string()))?;
            buffer.push(b'\n');
        }
        let written = self.file.write_all(&buffer).and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.synced_len += buffer.len() as u64;
                Ok(())
            }
            Err(error) => {
                let _ = self.file.set_len(self.synced_len);
                tracing::error!(%error, "log store write failed; refusing writes until one succeeds");
                Err(StoreError::Write(error.to_string()))
            }
        }
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
