//! Tests of the write-ahead log: the format and the life of a log here; damaged logs, injected
//! faults and the property test against a model in `tests/`.

mod damage;
mod faults;
mod model;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::format::{self, SEGMENT_HEADER_BYTES};
use super::*;

/// Tiny segments and no linger: tests rotate often and run fast.
fn options() -> WalOptions {
    WalOptions {
        segment_bytes: 256,
        max_record_bytes: 1024,
        linger: Duration::ZERO,
        queue_capacity: 64,
        fault_injector: None,
    }
}

type Replayed = Vec<(Lsn, Vec<u8>)>;

fn open(dir: &Path, options: &WalOptions, replay_after: Lsn) -> (Wal, Recovery, Replayed) {
    let mut replayed = Vec::new();
    let (wal, recovery) =
        Wal::open(dir, options, replay_after, |lsn, payload| replayed.push((lsn, payload.to_vec()))).expect("open");
    (wal, recovery, replayed)
}

/// A payload that differs for every LSN and length.
fn payload(lsn: u64, len: usize) -> Vec<u8> {
    (0..len).map(|i| (lsn.wrapping_mul(31).wrapping_add(i as u64 * 7) % 251) as u8).collect()
}

/// Queues every payload before awaiting any, so that they can share rounds.
async fn append_all(wal: &Wal, payloads: Vec<Vec<u8>>) -> Vec<Result<Lsn, WalError>> {
    let pending: Vec<_> = payloads.into_iter().map(|payload| wal.append(payload)).collect();
    let mut results = Vec::with_capacity(pending.len());
    for append in pending {
        results.push(append.await);
    }
    results
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    segment::list(dir).expect("list").segments.into_iter().map(|segment| segment.path).collect()
}

fn lsns(replayed: &Replayed) -> Vec<u64> {
    replayed.iter().map(|(lsn, _)| lsn.0).collect()
}

/// Counts the writer's I/O steps and makes the chosen occurrences fail like a full disk.
#[derive(Debug, Default)]
struct Faults {
    calls: Mutex<HashMap<WalIo, usize>>,
    /// `(step, n)`: the n-th call (from 1) of `step` fails.
    failing: Vec<(WalIo, usize)>,
}

impl Faults {
    fn failing(failing: &[(WalIo, usize)]) -> Arc<Self> {
        Arc::new(Self { calls: Mutex::default(), failing: failing.to_vec() })
    }

    fn calls(&self, step: WalIo) -> usize {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).get(&step).copied().unwrap_or(0)
    }
}

impl FaultInjector for Faults {
    fn before(&self, step: WalIo) -> std::io::Result<()> {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        let call = calls.entry(step).or_default();
        *call += 1;
        if self.failing.contains(&(step, *call)) {
            return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device (injected)"));
        }
        Ok(())
    }
}

#[test]
fn segment_names_hold_the_first_lsn_in_20_digits() {
    assert_eq!(segment::file_name(1), "00000000000000000001.wal");
    assert_eq!(segment::parse_file_name("00000000000000000001.wal"), Some(1));
    assert_eq!(segment::parse_file_name(&segment::file_name(u64::MAX)), Some(u64::MAX));
    for name in ["1.wal", "0000000000000000001.wal", "00000000000000000001.wal.tmp", "0000000000000000000x.wal", "LOCK"]
    {
        assert_eq!(segment::parse_file_name(name), None, "{name}");
    }
    // 20 digits above u64::MAX.
    assert_eq!(segment::parse_file_name("99999999999999999999.wal"), None);
}

#[test]
fn segment_headers_round_trip_and_reject_damage() {
    let header = format::segment_header(42);
    assert_eq!(&header[0..8], b"SIGHTWAL");
    assert_eq!(format::parse_segment_header(&header), Ok(42));
    for byte in 0..SEGMENT_HEADER_BYTES {
        let mut damaged = header;
        damaged[byte] ^= 0x10;
        assert!(format::parse_segment_header(&damaged).is_err(), "flipped byte {byte}");
    }
}

#[test]
fn records_are_encoded_as_documented() {
    let mut bytes = Vec::new();
    format::encode_record(&mut bytes, 7, b"abc");
    assert_eq!(bytes.len(), 16 + 3);
    assert_eq!(&bytes[0..4], &3u32.to_le_bytes());
    assert_eq!(&bytes[8..16], &7u64.to_le_bytes());
    assert_eq!(&bytes[16..], b"abc");
    let mut covered = bytes[0..4].to_vec();
    covered.extend_from_slice(&bytes[8..]);
    assert_eq!(&bytes[4..8], &crc32c::crc32c(&covered).to_le_bytes());
}

#[tokio::test]
async fn appends_get_consecutive_lsns_and_are_replayed_in_order_after_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (wal, recovery, replayed) = open(dir.path(), &options(), Lsn(0));
    assert_eq!((recovery.segments, replayed.len(), wal.last_lsn()), (0, 0, Lsn(0)));
    for lsn in 1..=20 {
        assert_eq!(wal.append(payload(lsn, 10 + lsn as usize)).await, Ok(Lsn(lsn)));
    }
    assert_eq!(wal.last_lsn(), Lsn(20));
    wal.close().await;

    let (wal, recovery, replayed) = open(dir.path(), &options(), Lsn(0));
    let expected: Replayed = (1..=20).map(|lsn| (Lsn(lsn), payload(lsn, 10 + lsn as usize))).collect();
    assert_eq!(replayed, expected);
    assert_eq!(recovery.records_replayed, 20);
    assert_eq!(recovery.last_lsn, Lsn(20));
    assert!(recovery.damage.is_empty() && recovery.gaps.is_empty(), "{recovery:?}");
    assert_eq!(wal.append(payload(21, 5)).await, Ok(Lsn(21)));
    wal.close().await;
}

#[tokio::test]
async fn appends_queued_together_share_one_sync() {
    let dir = tempfile::tempdir().expect("temp dir");
    let faults = Faults::failing(&[]);
    let options = WalOptions {
        linger: Duration::from_millis(50),
        segment_bytes: 1 << 20,
        fault_injector: Some(faults.clone()),
        ..options()
    };
    let (wal, _, _) = open(dir.path(), &options, Lsn(0));
    let results = append_all(&wal, (1..=50).map(|lsn| payload(lsn, 20)).collect()).await;
    assert_eq!(results, (1..=50).map(|lsn| Ok(Lsn(lsn))).collect::<Vec<_>>());
    // The writer may take the first append before the others are queued; never more rounds.
    assert!(faults.calls(WalIo::Sync) <= 2, "{} syncs for 50 appends", faults.calls(WalIo::Sync));
    wal.close().await;
}

#[tokio::test]
async fn segments_rotate_once_full_and_are_named_by_their_first_lsn() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (wal, _, _) = open(dir.path(), &options(), Lsn(0));
    // Each record takes 116 bytes: a 256-byte segment is full after two.
    for lsn in 1..=7 {
        wal.append(payload(lsn, 100)).await.expect("append");
    }
    wal.close().await;
    let names: Vec<String> =
        segment_files(dir.path()).iter().map(|path| path.file_name().expect("name").to_string_lossy().into()).collect();
    let expected: Vec<String> = [1, 3, 5, 7].into_iter().map(segment::file_name).collect();
    assert_eq!(names, expected);
    for (path, first_lsn) in segment_files(dir.path()).iter().zip([1, 3, 5, 7]) {
        let bytes = std::fs::read(path).expect("read");
        let header: [u8; SEGMENT_HEADER_BYTES] = bytes[..SEGMENT_HEADER_BYTES].try_into().expect("header");
        assert_eq!(format::parse_segment_header(&header), Ok(first_lsn));
    }
}

#[tokio::test]
async fn replay_after_skips_stored_records_and_appends_continue_past_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (wal, _, _) = open(dir.path(), &options(), Lsn(0));
    append_all(&wal, (1..=5).map(|lsn| payload(lsn, 30)).collect()).await;
    wal.close().await;

    let (wal, recovery, replayed) = open(dir.path(), &options(), Lsn(3));
    assert_eq!((lsns(&replayed), recovery.records_skipped), (vec![4, 5], 3));
    wal.close().await;

    // Parquet holds more than the log (the log was lost, say): LSNs go on after what is stored.
    let (wal, recovery, replayed) = open(dir.path(), &options(), Lsn(10));
    assert!(replayed.is_empty());
    assert_eq!((recovery.last_lsn, wal.last_lsn()), (Lsn(5), Lsn(10)));
    assert_eq!(wal.append(payload(11, 30)).await, Ok(Lsn(11)));
    wal.close().await;

    let (wal, recovery, replayed) = open(dir.path(), &options(), Lsn(0));
    assert_eq!(lsns(&replayed), vec![1, 2, 3, 4, 5, 11]);
    assert_eq!(recovery.gaps, vec![LsnGap { first: Lsn(6), last: Lsn(10) }]);
    wal.close().await;
}

#[tokio::test]
async fn payloads_that_are_empty_or_too_large_are_refused_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (wal, _, _) = open(dir.path(), &options(), Lsn(0));
    assert_eq!(wal.append(Vec::new()).await, Err(WalError::RecordSize { len: 0, max: 1024 }));
    assert_eq!(wal.append(vec![1; 1025]).await, Err(WalError::RecordSize { len: 1025, max: 1024 }));
    assert_eq!(wal.append(vec![1; 1024]).await, Ok(Lsn(1)));
    wal.close().await;
}

#[tokio::test]
async fn a_full_queue_refuses_appends_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = WalOptions { queue_capacity: 1, linger: Duration::from_millis(200), ..options() };
    let (wal, _, _) = open(dir.path(), &options, Lsn(0));
    // The writer holds at most one append while it lingers and the queue one more.
    let pending: Vec<_> = (1..=3).map(|lsn| wal.append(payload(lsn, 10))).collect();
    let mut results = Vec::new();
    for append in pending {
        results.push(append.await);
    }
    assert!(results.contains(&Err(WalError::QueueFull)), "{results:?}");
    assert!(wal.health().writable, "a full queue is not a failure of the disk");
    wal.close().await;
}

#[tokio::test]
async fn appends_after_close_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (wal, _, _) = open(dir.path(), &options(), Lsn(0));
    wal.close().await;
    assert_eq!(wal.append(payload(1, 10)).await, Err(WalError::Closed));
}

#[tokio::test]
async fn a_second_open_of_the_same_directory_is_refused_until_the_first_is_closed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (wal, _, _) = open(dir.path(), &options(), Lsn(0));
    let second = Wal::open(dir.path(), &options(), Lsn(0), |_, _| {});
    assert!(matches!(second, Err(WalError::Open { .. })), "{second:?}");
    wal.close().await;
    let (wal, _, _) = open(dir.path(), &options(), Lsn(0));
    wal.close().await;
}

#[tokio::test]
async fn remove_through_deletes_only_segments_whose_records_are_all_stored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (wal, _, _) = open(dir.path(), &options(), Lsn(0));
    for lsn in 1..=10 {
        wal.append(payload(lsn, 100)).await.expect("append");
    }
    // Segments 1 (LSNs 1-2), 3, 5, 7 and the active 9 (9-10).
    assert_eq!(segment_files(dir.path()).len(), 5);
    assert_eq!(wal.remove_through(Lsn(3)), Ok(1), "segment 3 still holds LSN 4");
    assert_eq!(wal.remove_through(Lsn(4)), Ok(1));
    assert_eq!(wal.remove_through(Lsn(100)), Ok(2), "the active segment stays");
    assert_eq!(segment_files(dir.path()), vec![dir.path().join(segment::file_name(9))]);
    wal.close().await;

    let (wal, recovery, replayed) = open(dir.path(), &options(), Lsn(8));
    assert_eq!(lsns(&replayed), vec![9, 10]);
    assert!(recovery.gaps.is_empty() && recovery.damage.is_empty(), "{recovery:?}");
    wal.close().await;
    let (wal, recovery, _) = open(dir.path(), &options(), Lsn(4));
    assert_eq!(recovery.gaps, vec![LsnGap { first: Lsn(5), last: Lsn(8) }], "missing records are reported");
    wal.close().await;
}

#[tokio::test]
async fn files_that_are_not_segments_are_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("notes.txt"), "hello").expect("write");
    std::fs::write(dir.path().join("1.wal"), "short name").expect("write");
    let (wal, recovery, _) = open(dir.path(), &options(), Lsn(0));
    assert_eq!(recovery.ignored_files.len(), 2);
    assert_eq!(wal.append(payload(1, 10)).await, Ok(Lsn(1)));
    wal.close().await;
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).expect("read"), "hello");
}

#[test]
fn invalid_options_are_explained() {
    let invalid = [
        WalOptions { segment_bytes: 0, ..options() },
        WalOptions { max_record_bytes: 0, ..options() },
        WalOptions { max_record_bytes: MAX_RECORD_BYTES_LIMIT + 1, ..options() },
        WalOptions { queue_capacity: 0, ..options() },
        WalOptions { linger: Duration::from_secs(2), ..options() },
    ];
    for options in invalid {
        assert!(matches!(options.validate(), Err(WalError::Options(_))), "{options:?}");
    }
    assert_eq!(WalOptions::default().validate(), Ok(()));
}
