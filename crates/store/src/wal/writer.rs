//! The writer thread: group commit into the active segment, rotation, and what a failed round
//! leaves behind (the policy is in the `wal` module docs).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::format::{SEGMENT_HEADER_BYTES, encode_record};
use super::recovery::Tail;
use super::{FaultInjector, Lsn, SLOW_COMMIT, Shared, WalError, WalIo, WalOptions, segment};
use crate::StoreHealth;

/// A round stops taking queued appends once it holds this many payload bytes (a single larger
/// record still goes alone), so that its write buffer stays bounded.
const MAX_ROUND_BYTES: usize = 8 << 20;

/// One queued append and where its answer goes.
pub(super) struct Append {
    pub(super) payload: Vec<u8>,
    pub(super) reply: oneshot::Sender<Result<Lsn, WalError>>,
}

/// The segment the writer appends to.
#[derive(Debug)]
pub(super) struct ActiveSegment {
    path: PathBuf,
    /// Opened for appending: every write goes to the end, also right after a cut.
    file: File,
    first_lsn: u64,
    /// Its length after the last successful round: everything before it is durable.
    synced_len: u64,
}

impl ActiveSegment {
    /// Goes on in the recovered last segment if its next LSN is `next_lsn`, else starts a new one.
    pub(super) fn resume_or_create(dir: &Path, tail: Option<Tail>, next_lsn: u64) -> Result<Self, WalError> {
        if let Some(tail) = tail
            && tail.next_lsn == next_lsn
        {
            return Ok(Self { path: tail.path, file: tail.file, first_lsn: tail.first_lsn, synced_len: tail.len });
        }
        Self::create(dir, next_lsn, None).map_err(|error| match error {
            WalError::Write { path, message } => WalError::Open { path, message },
            other => other,
        })
    }

    fn create(dir: &Path, first_lsn: u64, faults: Option<&dyn FaultInjector>) -> Result<Self, WalError> {
        let file = segment::create(dir, first_lsn, faults)?;
        let path = dir.join(segment::file_name(first_lsn));
        Ok(Self { path, file, first_lsn, synced_len: SEGMENT_HEADER_BYTES as u64 })
    }

    pub(super) fn first_lsn(&self) -> u64 {
        self.first_lsn
    }
}

/// What the writer may do next.
enum State {
    Ready,
    /// The last round's sync failed: the next round starts a new segment (see the module docs).
    NeedsFreshSegment,
    /// A failed round could not be cut back: the segment may end in records answered with an
    /// error, and nothing may follow them until the log is reopened.
    Broken(String),
}

pub(super) struct Writer {
    dir: PathBuf,
    segment: ActiveSegment,
    /// The LSN the next record gets.
    next_lsn: u64,
    segment_bytes: u64,
    linger: Duration,
    faults: Option<Arc<dyn FaultInjector>>,
    shared: Arc<Shared>,
    state: State,
    /// The round's encoded records, kept between rounds to reuse its allocation.
    buffer: Vec<u8>,
    /// An append taken from the queue that did not fit into the last round.
    carried: Option<Append>,
    /// The directory's lock, held until the last round is written.
    _lock: File,
}

impl Writer {
    pub(super) fn new(
        dir: &Path,
        segment: ActiveSegment,
        next_lsn: u64,
        options: &WalOptions,
        shared: Arc<Shared>,
        lock: File,
    ) -> Self {
        Self {
            dir: dir.to_path_buf(),
            segment,
            next_lsn,
            segment_bytes: options.segment_bytes,
            linger: options.linger,
            faults: options.fault_injector.clone(),
            shared,
            state: State::Ready,
            buffer: Vec::new(),
            carried: None,
            _lock: lock,
        }
    }

    /// Commits rounds until every sender is gone and the queue is empty.
    pub(super) fn run(mut self, receiver: &Receiver<Append>) {
        while let Some(round) = self.next_round(receiver) {
            let started = Instant::now();
            let result = self.commit(&round);
            self.record_time(started.elapsed(), round.len());
            self.publish(&result);
            answer(round, &result);
        }
    }

    /// Waits for an append, lingers, then takes what is queued, up to `MAX_ROUND_BYTES`.
    fn next_round(&mut self, receiver: &Receiver<Append>) -> Option<Vec<Append>> {
        let first = match self.carried.take() {
            Some(append) => append,
            None => {
                let append = receiver.recv().ok()?;
                if !self.linger.is_zero() {
                    std::thread::sleep(self.linger);
                }
                append
            }
        };
        let mut bytes = first.payload.len();
        let mut round = vec![first];
        while let Ok(append) = receiver.try_recv() {
            bytes += append.payload.len();
            if bytes > MAX_ROUND_BYTES {
                self.carried = Some(append);
                break;
            }
            round.push(append);
        }
        Some(round)
    }

    /// Writes and syncs one round; returns the LSN of its first record.
    fn commit(&mut self, round: &[Append]) -> Result<u64, WalError> {
        if let State::Broken(reason) = &self.state {
            return Err(WalError::Write { path: self.segment.path.display().to_string(), message: reason.clone() });
        }
        self.prepare_segment()?;
        let first_lsn = self.next_lsn;
        self.buffer.clear();
        for (lsn, append) in (first_lsn..).zip(round) {
            encode_record(&mut self.buffer, lsn, &append.payload);
        }
        if let Err((step, error)) = self.write_and_sync() {
            return Err(self.recover_from(step, &error));
        }
        self.segment.synced_len += self.buffer.len() as u64;
        self.next_lsn += round.len() as u64;
        Ok(first_lsn)
    }

    /// Starts a new segment when the active one is full or can no longer be trusted.
    fn prepare_segment(&mut self) -> Result<(), WalError> {
        let holds_records = self.segment.first_lsn < self.next_lsn;
        let full = holds_records && self.segment.synced_len >= self.segment_bytes;
        let needs_fresh = matches!(self.state, State::NeedsFreshSegment);
        if !full && !needs_fresh {
            return Ok(());
        }
        if !holds_records {
            // The new segment takes this one's name; it holds nothing but its header.
            remove_empty_segment(&self.segment.path)?;
        }
        self.segment = ActiveSegment::create(&self.dir, self.next_lsn, self.faults.as_deref())?;
        self.state = State::Ready;
        self.shared.active_first_lsn.store(self.next_lsn, Ordering::Release);
        tracing::debug!(segment = %self.segment.path.display(), "wal started a new segment");
        Ok(())
    }

    /// One write call and one `fdatasync` for the whole round.
    fn write_and_sync(&mut self) -> Result<(), (WalIo, std::io::Error)> {
        let faults = self.faults.as_deref();
        let file = &mut self.segment.file;
        inject(faults, WalIo::Write).and_then(|()| file.write_all(&self.buffer)).map_err(|e| (WalIo::Write, e))?;
        inject(faults, WalIo::Sync).and_then(|()| file.sync_data()).map_err(|e| (WalIo::Sync, e))
    }

    /// Cuts a failed round back off the segment and decides how the writer goes on.
    fn recover_from(&mut self, step: WalIo, error: &std::io::Error) -> WalError {
        let path = self.segment.path.display().to_string();
        if let Err(cut_error) = self.cut_back() {
            tracing::error!(%error, %cut_error, segment = %path, "wal cannot cut a failed write back; refusing writes until reopened");
            let message = format!(
                "{error}; cutting the failed write back also failed ({cut_error}): the segment may end in \
                 unacknowledged records, so the log refuses writes until Sightline is restarted"
            );
            self.state = State::Broken(message.clone());
            return WalError::Write { path, message };
        }
        if step == WalIo::Sync {
            self.state = State::NeedsFreshSegment;
        }
        tracing::error!(%error, ?step, segment = %path, "wal write failed; refusing writes until one succeeds");
        let message = format!("{error}: check that the disk has space and is healthy; the next appends try again");
        WalError::Write { path, message }
    }

    /// Cuts the segment back to its last synced length, durably.
    fn cut_back(&mut self) -> std::io::Result<()> {
        inject(self.faults.as_deref(), WalIo::Cut)?;
        self.segment.file.set_len(self.segment.synced_len)?;
        self.segment.file.sync_all()
    }

    /// Counts the round's time; a slow one is logged with its size, as the disk's warning sign.
    fn record_time(&self, took: Duration, records: usize) {
        self.shared.commit_times.record(took);
        if took > SLOW_COMMIT {
            let bytes = self.buffer.len();
            tracing::warn!(
                took_ms = took.as_millis(),
                records,
                bytes,
                "a write-ahead log commit was slow (write + fdatasync)"
            );
        }
    }

    fn publish(&self, result: &Result<u64, WalError>) {
        if result.is_ok() {
            self.shared.last_lsn.store(self.next_lsn - 1, Ordering::Release);
        }
        let mut health = self.shared.health.lock().unwrap_or_else(PoisonError::into_inner);
        *health = match result {
            Ok(_) => StoreHealth { writable: true, last_error: None },
            Err(error) => StoreHealth { writable: false, last_error: Some(error.to_string()) },
        };
    }
}

/// Answers each append of a round with its LSN, or all of them with the round's error.
fn answer(round: Vec<Append>, result: &Result<u64, WalError>) {
    for (offset, append) in (0..).zip(round) {
        let reply = result.clone().map(|first_lsn| Lsn(first_lsn + offset));
        let _ = append.reply.send(reply);
    }
}

fn inject(faults: Option<&dyn FaultInjector>, step: WalIo) -> std::io::Result<()> {
    faults.map_or(Ok(()), |faults| faults.before(step))
}

fn remove_empty_segment(path: &Path) -> Result<(), WalError> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(WalError::Write {
            path: path.display().to_string(),
            message: format!("cannot replace an empty segment: {error}; check the directory's permissions"),
        }),
        _ => Ok(()),
    }
}
