//! Injected I/O failures: a failed round is answered with errors, the log says it is unwritable,
//! later rounds succeed again, and no failed record is ever replayed.

use proptest::prelude::*;

use super::*;

const FULL_DISK: &str = "no space left on device";

fn failing_options(faults: &Arc<Faults>) -> WalOptions {
    WalOptions { segment_bytes: 1 << 20, fault_injector: Some(faults.clone()), ..options() }
}

/// Opens the log again and returns what it replays.
async fn reopen(dir: &Path) -> (Replayed, Recovery) {
    let (wal, recovery, replayed) = open(dir, &options(), Lsn(0));
    wal.close().await;
    (replayed, recovery)
}

#[tokio::test]
async fn a_failed_sync_fails_its_round_and_the_next_round_writes_a_fresh_segment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let faults = Faults::failing(&[(WalIo::Sync, 2)]);
    // Lingering lets the two appends queued together share a round.
    let options = WalOptions { linger: Duration::from_millis(50), ..failing_options(&faults) };
    let (wal, _, _) = open(dir.path(), &options, Lsn(0));
    assert_eq!(wal.append(payload(1, 10)).await, Ok(Lsn(1)));

    let failed = append_all(&wal, vec![payload(2, 10), payload(3, 10)]).await;
    assert!(failed.iter().all(|result| matches!(result, Err(WalError::Write { .. }))), "{failed:?}");
    let health = wal.health();
    assert!(!health.writable);
    assert!(health.last_error.as_deref().is_some_and(|error| error.contains(FULL_DISK)), "{health:?}");
    assert_eq!(wal.last_lsn(), Lsn(1));

    // The failed LSNs are handed out again, in a new segment.
    assert_eq!(wal.append(payload(2, 20)).await, Ok(Lsn(2)));
    assert_eq!(wal.health(), StoreHealth { writable: true, last_error: None });
    wal.close().await;
    assert_eq!(segment_files(dir.path()).len(), 2);

    let (replayed, recovery) = reopen(dir.path()).await;
    assert_eq!(replayed, vec![(Lsn(1), payload(1, 10)), (Lsn(2), payload(2, 20))]);
    assert!(recovery.damage.is_empty() && recovery.gaps.is_empty(), "{recovery:?}");
}

#[tokio::test]
async fn a_failed_write_is_cut_back_and_the_segment_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let faults = Faults::failing(&[(WalIo::Write, 2)]);
    let (wal, _, _) = open(dir.path(), &failing_options(&faults), Lsn(0));
    assert_eq!(wal.append(payload(1, 10)).await, Ok(Lsn(1)));
    assert!(matches!(wal.append(payload(2, 10)).await, Err(WalError::Write { .. })));
    assert!(!wal.health().writable);
    assert_eq!(wal.append(payload(2, 30)).await, Ok(Lsn(2)));
    assert!(wal.health().writable);
    wal.close().await;
    assert_eq!(segment_files(dir.path()).len(), 1);
    let (replayed, _) = reopen(dir.path()).await;
    assert_eq!(replayed, vec![(Lsn(1), payload(1, 10)), (Lsn(2), payload(2, 30))]);
}

#[tokio::test]
async fn a_disk_full_for_several_rounds_stops_acks_until_it_has_space_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let faults = Faults::failing(&[(WalIo::Sync, 2), (WalIo::Sync, 3), (WalIo::Write, 3), (WalIo::Sync, 4)]);
    let (wal, _, _) = open(dir.path(), &failing_options(&faults), Lsn(0));
    assert_eq!(wal.append(payload(1, 10)).await, Ok(Lsn(1)));
    for attempt in 0..4 {
        assert!(wal.append(payload(2, attempt + 1)).await.is_err(), "attempt {attempt}");
        assert!(!wal.health().writable);
    }
    assert_eq!(wal.append(payload(2, 40)).await, Ok(Lsn(2)));
    assert_eq!(wal.append(payload(3, 40)).await, Ok(Lsn(3)));
    assert!(wal.health().writable);
    wal.close().await;
    let (replayed, recovery) = reopen(dir.path()).await;
    assert_eq!(lsns(&replayed), vec![1, 2, 3]);
    assert_eq!(replayed[1].1, payload(2, 40));
    assert!(recovery.damage.is_empty(), "{recovery:?}");
}

#[tokio::test]
async fn a_failed_cut_refuses_every_write_until_the_log_is_reopened() {
    let dir = tempfile::tempdir().expect("temp dir");
    let faults = Faults::failing(&[(WalIo::Sync, 2), (WalIo::Cut, 1)]);
    let (wal, _, _) = open(dir.path(), &failing_options(&faults), Lsn(0));
    assert_eq!(wal.append(payload(1, 10)).await, Ok(Lsn(1)));
    assert!(wal.append(payload(2, 10)).await.is_err());
    // The disk works again, but the segment may end in garbage: still refused.
    let refused = wal.append(payload(2, 10)).await;
    assert!(matches!(&refused, Err(WalError::Write { message, .. }) if message.contains("restarted")), "{refused:?}");
    assert_eq!(faults.calls(WalIo::Write), 2, "a broken log writes nothing more");
    assert!(!wal.health().writable);
    wal.close().await;

    // The failed record reached the file (only its sync "failed"): an error means "not known
    // to be stored", so it may come back; the log takes writes again after it.
    let (wal, _, replayed) = open(dir.path(), &options(), Lsn(0));
    assert_eq!(lsns(&replayed), vec![1, 2]);
    assert_eq!(wal.append(payload(3, 10)).await, Ok(Lsn(3)));
    wal.close().await;
}

#[tokio::test]
async fn a_failed_rotation_fails_its_round_and_is_tried_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let faults = Faults::failing(&[(WalIo::CreateSegment, 1)]);
    let options = WalOptions { segment_bytes: 100, ..failing_options(&faults) };
    let (wal, _, _) = open(dir.path(), &options, Lsn(0));
    assert_eq!(wal.append(payload(1, 100)).await, Ok(Lsn(1)));
    assert!(wal.append(payload(2, 10)).await.is_err(), "the full segment must rotate first");
    assert!(!wal.health().writable);
    assert_eq!(wal.append(payload(2, 20)).await, Ok(Lsn(2)));
    assert!(wal.health().writable);
    wal.close().await;
    assert_eq!(segment_files(dir.path()).len(), 2);
    let (replayed, _) = reopen(dir.path()).await;
    assert_eq!(replayed, vec![(Lsn(1), payload(1, 100)), (Lsn(2), payload(2, 20))]);
}

/// Groups of appends (payload lengths), each queued at once, while the chosen write, sync and create steps fail.
fn failure_plan() -> impl Strategy<Value = (Vec<Vec<usize>>, Vec<(WalIo, usize)>)> {
    let round = prop::collection::vec(1usize..150, 1..4);
    let step = prop_oneof![Just(WalIo::Write), Just(WalIo::Sync), Just(WalIo::CreateSegment)];
    let failures = prop::collection::vec((step, 1usize..12), 0..6);
    (prop::collection::vec(round, 1..12), failures)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever fails, the log after reopening holds exactly the acknowledged records.
    #[test]
    fn after_any_failures_exactly_the_acknowledged_records_are_replayed((rounds, failures) in failure_plan()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let dir = tempfile::tempdir().expect("temp dir");
            let faults = Faults::failing(&failures);
            let options = WalOptions { segment_bytes: 300, ..failing_options(&faults) };
            let (wal, _, _) = open(dir.path(), &options, Lsn(0));
            let mut acknowledged: Replayed = Vec::new();
            for round in rounds {
                let next_lsn = acknowledged.len() as u64 + 1;
                let payloads: Vec<Vec<u8>> = round.iter().map(|&len| payload(next_lsn, len)).collect();
                let results = append_all(&wal, payloads.clone()).await;
                let last_succeeded = results.last().is_some_and(Result::is_ok);
                prop_assert_eq!(wal.health().writable, last_succeeded, "health follows the last round");
                for (result, payload) in results.into_iter().zip(payloads) {
                    let Ok(lsn) = result else { continue };
                    prop_assert_eq!(lsn, Lsn(acknowledged.len() as u64 + 1));
                    acknowledged.push((lsn, payload));
                }
            }
            wal.close().await;
            let (replayed, recovery) = reopen(dir.path()).await;
            prop_assert_eq!(replayed, acknowledged);
            prop_assert!(recovery.gaps.is_empty(), "{:?}", recovery);
            Ok::<(), TestCaseError>(())
        })?;
    }
}
