//! Segment files: their names, listing a log's directory, creating and removing segments.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::format::segment_header;
use super::{FaultInjector, WalError, WalIo};

/// The file the open log holds a lock on.
pub(super) const LOCK_FILE: &str = "LOCK";
const SUFFIX: &str = ".wal";
const LSN_DIGITS: usize = 20;

/// The file name of the segment whose first record is `first_lsn`.
pub(super) fn file_name(first_lsn: u64) -> String {
    format!("{first_lsn:0LSN_DIGITS$}{SUFFIX}")
}

/// The first LSN a segment's file name stands for, or `None` if it is not a segment's name.
pub(super) fn parse_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SUFFIX)?;
    if digits.len() != LSN_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A segment file found in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SegmentFile {
    pub(super) path: PathBuf,
    pub(super) first_lsn: u64,
}

/// The segments of a directory, oldest first, and the other files in it.
#[derive(Debug, Default)]
pub(super) struct Listing {
    pub(super) segments: Vec<SegmentFile>,
    pub(super) ignored: Vec<PathBuf>,
}

/// Lists the segments of `dir`, sorted by first LSN.
pub(super) fn list(dir: &Path) -> std::io::Result<Listing> {
    let mut listing = Listing::default();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let first_lsn = name.to_str().and_then(parse_file_name);
        match first_lsn {
            Some(first_lsn) if entry.file_type()?.is_file() => {
                listing.segments.push(SegmentFile { path: entry.path(), first_lsn });
            }
            _ if name == LOCK_FILE => {}
            _ => listing.ignored.push(entry.path()),
        }
    }
    listing.segments.sort_by_key(|segment| segment.first_lsn);
    Ok(listing)
}

/// Creates the segment for `first_lsn` with its header, durably (file and directory entry synced),
/// and returns it opened for appending. A half-created file is removed again.
pub(super) fn create(dir: &Path, first_lsn: u64, faults: Option<&dyn FaultInjector>) -> Result<File, WalError> {
    let path = dir.join(file_name(first_lsn));
    let result = create_durably(dir, &path, first_lsn, faults);
    if result.is_err() {
        let _ = std::fs::remove_file(&path);
    }
    result.map_err(|error| WalError::Write {
        path: path.display().to_string(),
        message: format!("cannot create a new segment: {error}; check that the disk has space and is writable"),
    })
}

fn create_durably(
    dir: &Path,
    path: &Path,
    first_lsn: u64,
    faults: Option<&dyn FaultInjector>,
) -> std::io::Result<File> {
    if let Some(faults) = faults {
        faults.before(WalIo::CreateSegment)?;
    }
    let mut file = File::options().read(true).append(true).create_new(true).open(path)?;
    file.write_all(&segment_header(first_lsn))?;
    file.sync_all()?;
    sync_dir(dir)?;
    Ok(file)
}

/// Makes the directory's entries (new and removed files) durable.
pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Deletes the segments that lie wholly at or below `lsn`, never the one starting at
/// `active_first_lsn` or later, and never the newest; returns how many it deleted.
pub(super) fn remove_through(dir: &Path, lsn: u64, active_first_lsn: u64) -> Result<usize, WalError> {
    let remove_error = |path: &Path, error: std::io::Error| WalError::Remove {
        path: path.display().to_string(),
        message: format!("{error}: check the directory's permissions"),
    };
    let listing = list(dir).map_err(|error| remove_error(dir, error))?;
    let mut removed = 0;
    // A segment holds the LSNs from its first up to the next segment's first, exclusive.
    for pair in listing.segments.windows(2) {
        let (segment, next) = (&pair[0], &pair[1]);
        if segment.first_lsn >= active_first_lsn || next.first_lsn - 1 > lsn {
            break;
        }
        match std::fs::remove_file(&segment.path) {
            Ok(()) => removed += 1,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(remove_error(&segment.path, error)),
        }
    }
    if removed > 0 {
        sync_dir(dir).map_err(|error| remove_error(dir, error))?;
        tracing::debug!(removed, through_lsn = lsn, "wal removed old segments");
    }
    Ok(removed)
}
