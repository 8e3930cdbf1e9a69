//! Recovery: reading every segment in order, replaying valid records and dealing with damage
//! (the policy is in the `wal` module docs).

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::format::{RECORD_HEADER_BYTES, RecordHeader, SEGMENT_HEADER_BYTES, parse_segment_header, record_checksum};
use super::segment::{self, SegmentFile};
use super::{Lsn, WalError};

/// Reads are buffered in chunks this big: a handful of syscalls per megabyte.
const READ_BUFFER_BYTES: usize = 1 << 20;

/// What [`Wal::open`](super::Wal::open) found in the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Segment files read.
    pub segments: usize,
    /// Records handed to the callback (LSN over `replay_after`).
    pub records_replayed: u64,
    /// Valid records at or below `replay_after`, checked but not replayed.
    pub records_skipped: u64,
    /// Bytes of valid segment headers and records read.
    pub bytes: u64,
    /// The LSN of the last valid record in the log; 0 when there is none.
    pub last_lsn: Lsn,
    /// Damaged data found, where and why; each one was also logged as a warning.
    pub damage: Vec<Damage>,
    /// Records over `replay_after` that are missing (older segments damaged or deleted).
    pub gaps: Vec<LsnGap>,
    /// Files in the directory that are not segments; they were left alone.
    pub ignored_files: Vec<PathBuf>,
}

/// Damaged data in one segment: nothing from `offset` on was replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The segment file.
    pub segment: PathBuf,
    /// Where the valid data ends, in bytes from the start of the file.
    pub offset: u64,
    /// Bytes from `offset` to the end of the file that were not replayed.
    pub dropped_bytes: u64,
    /// What was wrong at `offset`.
    pub kind: DamageKind,
    /// What was done about it.
    pub action: DamageAction,
}

/// What was wrong with the data at a [`Damage`]'s offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DamageKind {
    /// The file ends inside a record (or a header): a crash between a write and its sync.
    Torn,
    /// A record's length field is zero: usually a zero-filled tail left by a crash.
    ZeroLength,
    /// A record's length field is over `max_record_bytes`.
    TooLong {
        /// The length read.
        len: u32,
        /// The configured maximum.
        max: usize,
    },
    /// A record's checksum does not match its contents.
    ChecksumMismatch,
    /// A record carries another LSN than the one after its predecessor.
    UnexpectedLsn {
        /// The LSN expected.
        expected: Lsn,
        /// The LSN found.
        found: Lsn,
    },
    /// A record reaches into the next segment's LSNs: left behind by a failed round whose cut was
    /// lost; the next segment holds the records from that LSN on.
    Overlap {
        /// The next segment's first LSN.
        next_segment: Lsn,
    },
    /// The segment header is short or invalid.
    BadHeader(String),
}

impl fmt::Display for DamageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Torn => f.write_str("the file ends inside a record (torn write)"),
            Self::ZeroLength => f.write_str("a record length of zero (zero-filled tail)"),
            Self::TooLong { len, max } => write!(f, "a record length of {len} bytes, over the maximum of {max}"),
            Self::ChecksumMismatch => f.write_str("a record whose checksum does not match"),
            Self::UnexpectedLsn { expected, found } => write!(f, "LSN {found} where {expected} was expected"),
            Self::Overlap { next_segment } => {
                write!(f, "a record at or past LSN {next_segment}, where the next segment starts")
            }
            Self::BadHeader(reason) => write!(f, "an invalid segment header: {reason}"),
        }
    }
}

/// What recovery did about a [`Damage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DamageAction {
    /// The last segment was cut back to `offset` (and synced).
    Truncated,
    /// The last segment was removed: its header was incomplete, so it held nothing acknowledged.
    Removed,
    /// An older segment was left as it is; reading went on with the next segment.
    Skipped,
}

/// LSNs `first..=last` are missing from the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LsnGap {
    /// The first missing LSN.
    pub first: Lsn,
    /// The last missing LSN.
    pub last: Lsn,
}

/// The last segment after recovery, ready for the writer to go on appending to it.
#[derive(Debug)]
pub(super) struct Tail {
    pub(super) path: PathBuf,
    pub(super) file: File,
    pub(super) first_lsn: u64,
    /// The length of the valid data (the file's length, after any cut).
    pub(super) len: u64,
    /// The LSN its next record would have.
    pub(super) next_lsn: u64,
}

pub(super) struct Recovered {
    pub(super) report: Recovery,
    pub(super) tail: Option<Tail>,
}

/// Reads the log in `dir`, replays records over `replay_after` and repairs the last segment.
pub(super) fn recover(
    dir: &Path,
    max_record_bytes: usize,
    replay_after: Lsn,
    mut on_record: impl FnMut(Lsn, &[u8]),
) -> Result<Recovered, WalError> {
    let listing = segment::list(dir).map_err(|error| read_error(dir, &error))?;
    let mut recovery = Recovering::new(max_record_bytes, replay_after);
    for path in &listing.ignored {
        tracing::warn!(path = %path.display(), "wal ignores a file that is not a segment");
    }
    recovery.report.ignored_files = listing.ignored;
    let Some((last, older)) = listing.segments.split_last() else {
        return Ok(Recovered { report: recovery.report, tail: None });
    };
    for (index, segment) in older.iter().enumerate() {
        let next_first_lsn = listing.segments[index + 1].first_lsn;
        let mut file = File::open(&segment.path).map_err(|error| read_error(&segment.path, &error))?;
        let scan = recovery.scan(segment, &mut file, Some(next_first_lsn), &mut on_record)?;
        recovery.note_damage(segment, &scan, DamageAction::Skipped);
    }
    let tail = recovery.recover_last(last, &mut on_record)?;
    Ok(Recovered { report: recovery.report, tail })
}

/// How one segment read.
struct Scan {
    file_len: u64,
    /// Where its valid data ends.
    valid_len: u64,
    /// The first LSN from the header, if the header is valid.
    first_lsn: Option<u64>,
    /// The LSN its next record would have.
    next_lsn: u64,
    damage: Option<DamageKind>,
}

struct Recovering {
    report: Recovery,
    max_record_bytes: usize,
    replay_after: u64,
    /// The LSN the next record should have, once a segment was read.
    expected_lsn: Option<u64>,
    payload: Vec<u8>,
}

impl Recovering {
    fn new(max_record_bytes: usize, replay_after: Lsn) -> Self {
        Self {
            report: Recovery::default(),
            max_record_bytes,
            replay_after: replay_after.0,
            expected_lsn: None,
            payload: Vec::new(),
        }
    }

    /// Reads the last segment, cuts its damaged tail or removes it, and syncs what stays.
    fn recover_last(
        &mut self,
        last: &SegmentFile,
        on_record: &mut impl FnMut(Lsn, &[u8]),
    ) -> Result<Option<Tail>, WalError> {
        let mut file =
            File::options().read(true).append(true).open(&last.path).map_err(|error| read_error(&last.path, &error))?;
        let scan = self.scan(last, &mut file, None, on_record)?;
        let Some(first_lsn) = scan.first_lsn else {
            drop(file);
            self.note_damage(last, &scan, DamageAction::Removed);
            remove_torn_segment(&last.path)?;
            return Ok(None);
        };
        self.note_damage(last, &scan, DamageAction::Truncated);
        // Cut any damage, and sync even when nothing was cut: after a crash of the process alone,
        // the records read may still sit unsynced in the page cache, and they were just replayed.
        let repaired = if scan.valid_len < scan.file_len { file.set_len(scan.valid_len) } else { Ok(()) };
        repaired.and_then(|()| file.sync_all()).map_err(|error| repair_error(&last.path, &error))?;
        let len = scan.valid_len;
        Ok(Some(Tail { path: last.path.clone(), file, first_lsn, len, next_lsn: scan.next_lsn }))
    }

    /// Reads one segment up to its end, its first damage or `limit_lsn` (the next segment's first).
    fn scan(
        &mut self,
        segment: &SegmentFile,
        file: &mut File,
        limit_lsn: Option<u64>,
        on_record: &mut impl FnMut(Lsn, &[u8]),
    ) -> Result<Scan, WalError> {
        let read_failed = |error: std::io::Error| read_error(&segment.path, &error);
        let file_len = file.metadata().map_err(read_failed)?.len();
        self.report.segments += 1;
        let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, file);
        let mut scan = Scan { file_len, valid_len: 0, first_lsn: None, next_lsn: segment.first_lsn, damage: None };
        if let Err(damage) = read_header(&mut reader, segment, file_len).map_err(read_failed)? {
            scan.damage = Some(damage);
            return Ok(scan);
        }
        self.note_start(segment.first_lsn);
        scan.first_lsn = Some(segment.first_lsn);
        scan.valid_len = SEGMENT_HEADER_BYTES as u64;
        self.report.bytes += SEGMENT_HEADER_BYTES as u64;
        let limit_lsn = limit_lsn.unwrap_or(u64::MAX);
        while scan.valid_len < file_len {
            let record = self.read_record(&mut reader, &scan, limit_lsn).map_err(read_failed)?;
            let record_len = match record {
                Ok(record_len) => record_len,
                Err(damage) => {
                    scan.damage = Some(damage);
                    break;
                }
            };
            self.replay(scan.next_lsn, on_record);
            scan.valid_len += record_len;
            scan.next_lsn += 1;
        }
        self.expected_lsn = Some(scan.next_lsn);
        Ok(scan)
    }

    /// Reads the record at `scan.valid_len` into `self.payload` and returns its length on disk,
    /// or why it is not a valid record.
    fn read_record(
        &mut self,
        reader: &mut impl Read,
        scan: &Scan,
        limit_lsn: u64,
    ) -> std::io::Result<Result<u64, DamageKind>> {
        let remaining = scan.file_len - scan.valid_len;
        if remaining < RECORD_HEADER_BYTES as u64 {
            return Ok(Err(DamageKind::Torn));
        }
        let mut header_bytes = [0u8; RECORD_HEADER_BYTES];
        reader.read_exact(&mut header_bytes)?;
        let header = RecordHeader::parse(&header_bytes);
        let record_len = RECORD_HEADER_BYTES as u64 + u64::from(header.len);
        if header.len == 0 {
            return Ok(Err(DamageKind::ZeroLength));
        }
        if header.len as usize > self.max_record_bytes {
            return Ok(Err(DamageKind::TooLong { len: header.len, max: self.max_record_bytes }));
        }
        if record_len > remaining {
            return Ok(Err(DamageKind::Torn));
        }
        // Resizing without clearing first zero-fills only when the buffer grows.
        self.payload.resize(header.len as usize, 0);
        reader.read_exact(&mut self.payload)?;
        if record_checksum(&header_bytes, &self.payload) != header.checksum {
            return Ok(Err(DamageKind::ChecksumMismatch));
        }
        if header.lsn != scan.next_lsn {
            return Ok(Err(DamageKind::UnexpectedLsn { expected: Lsn(scan.next_lsn), found: Lsn(header.lsn) }));
        }
        if header.lsn >= limit_lsn {
            return Ok(Err(DamageKind::Overlap { next_segment: Lsn(limit_lsn) }));
        }
        Ok(Ok(record_len))
    }

    /// Hands the record in `self.payload` to the callback unless it is already stored elsewhere.
    fn replay(&mut self, lsn: u64, on_record: &mut impl FnMut(Lsn, &[u8])) {
        self.report.bytes += (RECORD_HEADER_BYTES + self.payload.len()) as u64;
        self.report.last_lsn = Lsn(lsn);
        if lsn <= self.replay_after {
            self.report.records_skipped += 1;
            return;
        }
        self.report.records_replayed += 1;
        on_record(Lsn(lsn), &self.payload);
    }

    /// Notes missing LSNs between what was read so far (or `replay_after`) and a segment's start.
    fn note_start(&mut self, first_lsn: u64) {
        let expected = self.expected_lsn.unwrap_or(0).max(self.replay_after + 1);
        if first_lsn <= expected {
            return;
        }
        let gap = LsnGap { first: Lsn(expected), last: Lsn(first_lsn - 1) };
        tracing::warn!(first = %gap.first, last = %gap.last, "wal records are missing: older segments were damaged or deleted");
        self.report.gaps.push(gap);
    }

    fn note_damage(&mut self, segment: &SegmentFile, scan: &Scan, action: DamageAction) {
        let Some(kind) = scan.damage.clone() else {
            return;
        };
        let dropped_bytes = scan.file_len - scan.valid_len;
        tracing::warn!(
            segment = %segment.path.display(),
            offset = scan.valid_len,
            dropped_bytes,
            problem = %kind,
            ?action,
            "wal found damaged data"
        );
        let segment = segment.path.clone();
        self.report.damage.push(Damage { segment, offset: scan.valid_len, dropped_bytes, kind, action });
    }
}

/// Reads and checks the segment header; the outer error is an I/O error, the inner one damage.
fn read_header(
    reader: &mut impl Read,
    segment: &SegmentFile,
    file_len: u64,
) -> std::io::Result<Result<(), DamageKind>> {
    if file_len < SEGMENT_HEADER_BYTES as u64 {
        let reason = format!("the file has {file_len} bytes, fewer than a header's {SEGMENT_HEADER_BYTES}");
        return Ok(Err(DamageKind::BadHeader(reason)));
    }
    let mut header = [0u8; SEGMENT_HEADER_BYTES];
    reader.read_exact(&mut header)?;
    Ok(match parse_segment_header(&header) {
        Ok(first_lsn) if first_lsn == segment.first_lsn => Ok(()),
        Ok(first_lsn) => {
            Err(DamageKind::BadHeader(format!("the header names first LSN {first_lsn}, the file name another")))
        }
        Err(damage) => Err(damage),
    })
}

fn remove_torn_segment(path: &Path) -> Result<(), WalError> {
    std::fs::remove_file(path).map_err(|error| repair_error(path, &error))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    segment::sync_dir(dir).map_err(|error| repair_error(dir, &error))
}

fn read_error(path: &Path, error: &std::io::Error) -> WalError {
    WalError::Open {
        path: path.display().to_string(),
        message: format!(
            "{error}: cannot read the log; check the permissions and the disk's health (nothing was changed)"
        ),
    }
}

fn repair_error(path: &Path, error: &std::io::Error) -> WalError {
    WalError::Open {
        path: path.display().to_string(),
        message: format!(
            "{error}: cannot cut the damaged tail off the log; check that the disk is writable and healthy"
        ),
    }
}
