//! The write-ahead log: the first stage of the embedded store (WAL → Arrow buffer → Parquet → DataFusion).
//!
//! Every batch the intake accepts is appended here and fsynced before it is acknowledged; the
//! store later writes the same data to Parquet and calls [`Wal::remove_through`]. After a crash,
//! [`Wal::open`] replays every record the Parquet files do not hold yet. Payloads are opaque bytes.
//!
//! # Flow
//!
//! 1. [`Wal::append`] checks the payload's size and queues it in a bounded queue (full → at once
//!    [`WalError::QueueFull`]); the returned future resolves when the record is on disk.
//! 2. One writer thread (`writer.rs`) owns the active segment. Each round takes what is queued
//!    (after a short `linger`, and up to 8 MiB of payloads, so that its buffer stays bounded),
//!    writes it with one `write` call, calls `fdatasync` once and answers every caller of the
//!    round with its record's LSN. Acknowledged means fsynced.
//! 3. Once the active segment holds `segment_bytes`, the next round starts a new one (`segment.rs`):
//!    header written and synced, then the directory synced, so the new name survives a crash.
//! 4. [`Wal::open`] (`recovery.rs`) reads the segments in order with large buffered reads, hands
//!    each valid record to a callback and reports what it found damaged in a [`Recovery`].
//!
//! # Byte format (version 1)
//!
//! A log is a directory of segment files named `<first LSN, 20 digits, zero-padded>.wal`, for
//! example `00000000000000000001.wal`. Other files are ignored (with a warning); the writer holds
//! a lock on the file `LOCK` while the log is open. All integers are little-endian. CRC32C is the
//! Castagnoli CRC (as in iSCSI and ext4), unmasked.
//!
//! A segment starts with a 24-byte header:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `SIGHTWAL` (ASCII) |
//! | 8 | 4 | format version, `1` |
//! | 12 | 8 | first LSN: the LSN of the segment's first record, equal to the one in the file name |
//! | 20 | 4 | CRC32C of bytes 0..20 |
//!
//! Records follow back to back, without padding; each is a 16-byte record header and its payload:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | payload length `n`, from 1 to `max_record_bytes` (0 is invalid: it is what a zero-filled tail reads as) |
//! | 4 | 4 | CRC32C over the length field (bytes 0..4), the LSN field (bytes 8..16) and the payload, in that order |
//! | 8 | 8 | LSN: the segment's first LSN for its first record, then one more for each record |
//! | 16 | n | payload |
//!
//! LSNs start at 1 and grow by exactly one per record across segments, so the segments' names
//! and the records' LSNs say at once whether something is missing. LSN 0 means "no record".
//! A segment holds the records from its first LSN up to the next segment's first LSN, exclusive:
//! a record at or past that LSN in an older segment is stale and never read (it can be left by a
//! failed round whose cut did not reach the disk; see below).
//!
//! # Failures while writing
//!
//! A failed `write` or `fdatasync` answers the whole round with [`WalError::Write`], cuts the
//! segment back to the length it had after the last successful round (and syncs that cut), and
//! marks the log unwritable in [`Wal::health`] until a later round succeeds. The failed records'
//! LSNs are handed out again, so LSNs stay contiguous.
//!
//! After a failed `fdatasync`, the next round starts a fresh segment instead of going on in the
//! old file. Linux may drop the dirty pages of a failed writeback and clear the error, so a later
//! `fdatasync` of the same file can report success for data that never reached the disk; the
//! kernel's view of that file can no longer be trusted. A new file has none of that history; the
//! old segment keeps only its prefix, synced before the failure.
//!
//! When even the cut fails, the segment may end in records that were answered with an error:
//! the log then refuses every write until it is reopened, whose recovery cuts the tail. (Such
//! records may then be replayed: an error means "not known to be stored", never "not stored".)
//!
//! # Recovery policy
//!
//! Reading never panics and never loops: each step moves forward through the file or stops.
//! I/O errors while reading (EIO, permissions) fail [`Wal::open`]: the data may be readable
//! later, so nothing is cut. Damaged *content* is never fatal:
//!
//! - **Last segment**: a torn or corrupt tail (short record, zero or oversized length, checksum
//!   mismatch, unexpected LSN) is what a crash between `write` and `fdatasync` leaves; it is cut
//!   off, the cut is synced and reported. A last segment whose header is short or invalid (a crash
//!   while it was created, before anything in it was acknowledged) is removed. Records after a
//!   corrupt one in the last segment are lost with it: without record markers no later record
//!   boundary can be trusted.
//! - **Older segments** are left untouched: reading a damaged one stops at the damage and goes on
//!   with the next segment. If LSNs are missing in between, the hole is reported in
//!   [`Recovery::gaps`] with a warning and replay goes on after it: for analytics events, losing
//!   only the damaged records beats refusing to start or dropping every later record.
//! - Records older than `replay_after` (already in Parquet) are checked but not replayed.
//! - The next append gets LSN `max(last valid LSN, replay_after) + 1`.
//!
//! Lowering `max_record_bytes` below the size of records already written makes them read as
//! damaged: only raise it.

mod format;
mod recovery;
mod segment;
mod writer;

use std::fmt;
use std::fs::File;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::StoreHealth;

pub use recovery::{Damage, DamageAction, DamageKind, LsnGap, Recovery};

/// The largest `max_record_bytes` allowed: the length field is 32 bits, and one record must fit
/// in memory during a round and during recovery.
pub const MAX_RECORD_BYTES_LIMIT: usize = 1 << 30;

/// A log sequence number: the position of a record in the log, from 1 on; 0 means "no record".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lsn(pub u64);

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The writer's default linger. Every append's answer waits for it, and every round costs a
/// write, an fdatasync and the disk's round trip: at 100 000 events/s on the 2-CPU
/// development VM, 2 ms made 8 200 rounds in 20 s where 500 µs made 19 000, and the server
/// used 7 % less CPU (25.1–26.8 s against 27.7–28.1 s); a lone beacon's answer takes about
/// 1.5 ms longer.
pub const DEFAULT_LINGER: Duration = Duration::from_millis(2);

/// Options of a [`Wal`].
#[derive(Debug, Clone)]
pub struct WalOptions {
    /// Once the active segment holds this many bytes, the next round starts a new segment.
    pub segment_bytes: u64,
    /// The largest payload accepted, in bytes; larger appends fail with [`WalError::RecordSize`].
    pub max_record_bytes: usize,
    /// How long the writer waits for more appends before it writes and syncs a round.
    /// The default is [`DEFAULT_LINGER`].
    pub linger: Duration,
    /// Appends waiting for the writer at most; past it, appends fail with [`WalError::QueueFull`].
    pub queue_capacity: usize,
    /// For tests only: makes chosen I/O steps of the writer fail.
    #[doc(hidden)]
    pub fault_injector: Option<Arc<dyn FaultInjector>>,
}

impl Default for WalOptions {
    fn default() -> Self {
        Self {
            segment_bytes: 64 << 20,
            max_record_bytes: 16 << 20,
            linger: DEFAULT_LINGER,
            queue_capacity: 4096,
            fault_injector: None,
        }
    }
}

impl WalOptions {
    /// Explains what is wrong with these options, if anything.
    pub fn validate(&self) -> Result<(), WalError> {
        let problem = if self.segment_bytes == 0 {
            "segment_bytes must be at least 1".to_string()
        } else if self.max_record_bytes == 0 || self.max_record_bytes > MAX_RECORD_BYTES_LIMIT {
            format!("max_record_bytes must be between 1 and {MAX_RECORD_BYTES_LIMIT}, not {}", self.max_record_bytes)
        } else if self.queue_capacity == 0 {
            "queue_capacity must be at least 1".to_string()
        } else if self.linger > Duration::from_secs(1) {
            format!("linger must be at most 1 s, not {:?}: every append waits for it", self.linger)
        } else {
            return Ok(());
        };
        Err(WalError::Options(problem))
    }
}

/// An I/O step of the writer that a [`FaultInjector`] can make fail.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WalIo {
    /// Writing a round's records.
    Write,
    /// Syncing a round's records.
    Sync,
    /// Cutting a failed round back off the segment.
    Cut,
    /// Creating a new segment.
    CreateSegment,
}

/// For tests: decides whether an I/O step of the writer fails instead of running.
#[doc(hidden)]
pub trait FaultInjector: fmt::Debug + Send + Sync + 'static {
    /// Called before each step; an error is returned as that step's error.
    fn before(&self, step: WalIo) -> std::io::Result<()>;
}

/// Errors of the write-ahead log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalError {
    /// The payload is empty or larger than `max_record_bytes`.
    #[error("a write-ahead log record of {len} bytes is refused: records hold 1 to {max} bytes")]
    RecordSize {
        /// The payload's length.
        len: usize,
        /// The configured `max_record_bytes`.
        max: usize,
    },
    /// More appends are waiting than the log queues: it is slower than its writers right now.
    #[error("the write-ahead log's write queue is full")]
    QueueFull,
    /// The log is closed and takes no more writes.
    #[error("the write-ahead log is closed")]
    Closed,
    /// Writing or syncing failed; nothing of the round is acknowledged.
    #[error("writing the write-ahead log segment {path} failed: {message}")]
    Write {
        /// The segment (or directory) that failed.
        path: String,
        /// What went wrong and what to do.
        message: String,
    },
    /// The log could not be opened or read.
    #[error("cannot open the write-ahead log at {path}: {message}")]
    Open {
        /// The file or directory that failed.
        path: String,
        /// What went wrong and what to do.
        message: String,
    },
    /// Old segments could not be removed.
    #[error("cannot remove the write-ahead log segment {path}: {message}")]
    Remove {
        /// The segment that failed.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The options are invalid.
    #[error("invalid write-ahead log options: {0}")]
    Options(String),
}

/// What the writer thread and the handle share.
#[derive(Debug)]
struct Shared {
    health: Mutex<StoreHealth>,
    /// The LSN of the last acknowledged record.
    last_lsn: AtomicU64,
    /// The first LSN of the segment the writer appends to: it and later segments are never removed.
    active_first_lsn: AtomicU64,
    /// How long the writer's rounds took.
    commit_times: CommitTimes,
}

/// How long the writer's rounds (one write and one `fdatasync`) took: what every
/// acknowledgement waits for, so a slow disk shows here first.
#[derive(Debug, Default)]
struct CommitTimes {
    commits: AtomicU64,
    slow_commits: AtomicU64,
    longest_micros: AtomicU64,
}

/// A round slower than this counts as slow (and is logged).
pub const SLOW_COMMIT: Duration = Duration::from_millis(50);

/// The writer's rounds since the log was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitFigures {
    /// Rounds written and synced (successful or not).
    pub commits: u64,
    /// Rounds that took longer than [`SLOW_COMMIT`].
    pub slow_commits: u64,
    /// The longest round.
    pub longest: Duration,
}

impl CommitTimes {
    fn record(&self, took: Duration) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        if took > SLOW_COMMIT {
            self.slow_commits.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.longest_micros.fetch_max(micros, Ordering::Relaxed);
    }

    fn figures(&self) -> CommitFigures {
        CommitFigures {
            commits: self.commits.load(Ordering::Relaxed),
            slow_commits: self.slow_commits.load(Ordering::Relaxed),
            longest: Duration::from_micros(self.longest_micros.load(Ordering::Relaxed)),
        }
    }
}

/// A write-ahead log in one directory. See the module docs for the format and the policies.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    max_record_bytes: usize,
    sender: Mutex<Option<SyncSender<writer::Append>>>,
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl Wal {
    /// Opens (or creates) the log in `dir`, calls `on_record` for every valid record with an LSN
    /// over `replay_after`, in order, and starts the writer. Blocking: call it before serving, or
    /// from `spawn_blocking`.
    pub fn open(
        dir: &Path,
        options: &WalOptions,
        replay_after: Lsn,
        on_record: impl FnMut(Lsn, &[u8]),
    ) -> Result<(Self, Recovery), WalError> {
        options.validate()?;
        std::fs::create_dir_all(dir).map_err(|error| open_error(dir, &error))?;
        let lock = lock_dir(dir)?;
        let recovered = recovery::recover(dir, options.max_record_bytes, replay_after, on_record)?;
        let next_lsn = recovered.report.last_lsn.max(replay_after).0.saturating_add(1);
        let segment = writer::ActiveSegment::resume_or_create(dir, recovered.tail, next_lsn)?;
        let shared = Arc::new(Shared {
            health: Mutex::new(StoreHealth { writable: true, last_error: None }),
            last_lsn: (next_lsn - 1).into(),
            active_first_lsn: segment.first_lsn().into(),
            commit_times: CommitTimes::default(),
        });
        let (sender, receiver) = sync_channel(options.queue_capacity);
        let writer = writer::Writer::new(dir, segment, next_lsn, options, Arc::clone(&shared), lock);
        let handle = std::thread::Builder::new()
            .name("sightline-wal-writer".into())
            .spawn(move || writer.run(&receiver))
            .map_err(|error| open_error(dir, &error))?;
        let wal = Self {
            dir: dir.to_path_buf(),
            max_record_bytes: options.max_record_bytes,
            sender: Mutex::new(Some(sender)),
            shared,
            writer: Mutex::new(Some(handle)),
        };
        Ok((wal, recovered.report))
    }

    /// Queues `payload` now (in call order) and returns a future that resolves to its LSN once it
    /// is fsynced. Size and queue checks fail at once; dropping the future does not cancel the write.
    pub fn append(&self, payload: Vec<u8>) -> impl Future<Output = Result<Lsn, WalError>> + Send + 'static {
        let queued = self.enqueue(payload);
        async move { queued?.await.map_err(|_| WalError::Closed)? }
    }

    fn enqueue(&self, payload: Vec<u8>) -> Result<oneshot::Receiver<Result<Lsn, WalError>>, WalError> {
        if payload.is_empty() || payload.len() > self.max_record_bytes {
            return Err(WalError::RecordSize { len: payload.len(), max: self.max_record_bytes });
        }
        let (reply, answer) = oneshot::channel();
        let sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        let sender = sender.as_ref().ok_or(WalError::Closed)?;
        sender.try_send(writer::Append { payload, reply }).map_err(|error| match error {
            TrySendError::Full(_) => WalError::QueueFull,
            TrySendError::Disconnected(_) => WalError::Closed,
        })?;
        Ok(answer)
    }

    /// The LSN of the last acknowledged record (or where the log resumed, after `open`).
    pub fn last_lsn(&self) -> Lsn {
        Lsn(self.shared.last_lsn.load(Ordering::Acquire))
    }

    /// How long the writer's rounds took since the log was opened.
    pub fn commit_figures(&self) -> CommitFigures {
        self.shared.commit_times.figures()
    }

    /// Whether writes currently succeed, and the last error if they do not.
    pub fn health(&self) -> StoreHealth {
        self.shared.health.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Deletes every segment whose records all have an LSN of at most `lsn` (their data is stored
    /// elsewhere now), oldest first, and returns how many it deleted. The segment being written and
    /// the newest segment are never deleted. Blocking: call it from `spawn_blocking`.
    pub fn remove_through(&self, lsn: Lsn) -> Result<usize, WalError> {
        let active_first_lsn = self.shared.active_first_lsn.load(Ordering::Acquire);
        segment::remove_through(&self.dir, lsn.0, active_first_lsn)
    }

    /// Finishes the queued appends, stops the writer and releases the directory. Later appends fail
    /// with [`WalError::Closed`]. (Dropping the log without closing it lets the writer finish the
    /// queue in the background; the directory stays locked until it has.)
    pub async fn close(&self) {
        self.sender.lock().unwrap_or_else(PoisonError::into_inner).take();
        let handle = self.writer.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(handle) = handle {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }
}

/// Takes the directory's lock, so that two processes (or two `Wal`s) never write one log
/// (and a bulk load never writes a store in use).
pub(crate) fn lock_dir(dir: &Path) -> Result<File, WalError> {
    let path = dir.join(segment::LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|error| open_error(&path, &error))?;
    file.try_lock().map_err(|error| WalError::Open {
        path: dir.display().to_string(),
        message: format!("{error}: another Sightline process (or another open log) is using this directory"),
    })?;
    Ok(file)
}

fn open_error(path: &Path, error: &std::io::Error) -> WalError {
    WalError::Open {
        path: path.display().to_string(),
        message: format!("{error}: check that the directory exists, is writable and the disk is healthy"),
    }
}

#[cfg(test)]
mod tests;
