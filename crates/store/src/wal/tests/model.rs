//! The log against a model: sessions of appends (rotating often), removals and crashes. A crash
//! leaves the acknowledged bytes and mangles what comes after them: a prefix of records that were
//! written but not synced, garbage or zeros, or a half-created next segment. After every reopen
//! the replayed log must hold every acknowledged record, in order, followed by a prefix of the
//! unsynced ones, and appends must go on right after it.

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
struct Session {
    /// Groups of appends (payload lengths), each group queued at once.
    groups: Vec<Vec<usize>>,
    /// Removes the segments through this percentage of the last LSN before the crash.
    remove_through_percent: Option<u64>,
    crash: Crash,
}

#[derive(Debug, Clone)]
enum Crash {
    /// The log was closed cleanly.
    None,
    /// Records after the last acknowledged one were written but not synced: the file ends in a
    /// prefix of them (`kept` chooses its length), then `garbage`.
    UnsyncedRecords { lengths: Vec<usize>, kept: prop::sample::Index, garbage: Vec<u8> },
    /// The next segment was being created: it holds the first `bytes` bytes of its header.
    HalfCreatedSegment { bytes: usize },
}

fn crash() -> impl Strategy<Value = Crash> {
    let garbage =
        prop_oneof![prop::collection::vec(any::<u8>(), 0..40), (0usize..64).prop_map(|zeros| vec![0; zeros]),];
    prop_oneof![
        Just(Crash::None),
        (prop::collection::vec(1usize..120, 1..4), any::<prop::sample::Index>(), garbage)
            .prop_map(|(lengths, kept, garbage)| Crash::UnsyncedRecords { lengths, kept, garbage }),
        (0..=SEGMENT_HEADER_BYTES).prop_map(|bytes| Crash::HalfCreatedSegment { bytes }),
    ]
}

fn session() -> impl Strategy<Value = Session> {
    let group = prop::collection::vec(1usize..120, 1..5);
    (prop::collection::vec(group, 0..6), prop::option::of(0u64..=100), crash())
        .prop_map(|(groups, remove_through_percent, crash)| Session { groups, remove_through_percent, crash })
}

/// What the log must hold.
#[derive(Debug, Default)]
struct Model {
    /// Every record the log holds for sure, oldest first.
    records: Replayed,
    /// Records after them that a crash may have kept (a prefix of them) or not.
    unsynced: Replayed,
    /// Records through this LSN are stored elsewhere: reopen with it as `replay_after`.
    stored_through: u64,
}

impl Model {
    fn last_lsn(&self) -> u64 {
        self.records.last().map_or(0, |(lsn, _)| lsn.0)
    }

    /// Checks a replay against the model and takes the unsynced records that survived.
    fn check_replay(&mut self, replayed: &Replayed, recovery: &Recovery) -> Result<(), TestCaseError> {
        let stored_through = Lsn(self.stored_through);
        let expected: Replayed = self.records.iter().filter(|(lsn, _)| *lsn > stored_through).cloned().collect();
        prop_assert!(replayed.len() >= expected.len(), "acknowledged records are missing: {replayed:?}");
        prop_assert_eq!(&replayed[..expected.len()], &expected[..]);
        let survivors = &replayed[expected.len()..];
        prop_assert!(survivors.len() <= self.unsynced.len(), "records nobody wrote: {survivors:?}");
        prop_assert_eq!(survivors, &self.unsynced[..survivors.len()]);
        prop_assert!(recovery.gaps.is_empty(), "{:?}", recovery.gaps);
        prop_assert!(recovery.damage.iter().all(|damage| damage.action != DamageAction::Skipped), "{recovery:?}");
        self.records.extend_from_slice(survivors);
        self.unsynced.clear();
        Ok(())
    }
}

async fn run_session(dir: &Path, session: &Session, model: &mut Model) -> Result<(), TestCaseError> {
    let (wal, recovery, replayed) = open(dir, &options(), Lsn(model.stored_through));
    model.check_replay(&replayed, &recovery)?;
    prop_assert_eq!(wal.last_lsn(), Lsn(model.last_lsn()));
    for group in &session.groups {
        let first_lsn = model.last_lsn() + 1;
        let payloads: Vec<Vec<u8>> = (first_lsn..).zip(group).map(|(lsn, &len)| payload(lsn, len)).collect();
        let results = append_all(&wal, payloads.clone()).await;
        for ((result, payload), lsn) in results.into_iter().zip(payloads).zip(first_lsn..) {
            prop_assert_eq!(result, Ok(Lsn(lsn)));
            model.records.push((Lsn(lsn), payload));
        }
    }
    if let Some(percent) = session.remove_through_percent {
        let through = model.last_lsn() * percent / 100;
        wal.remove_through(Lsn(through)).expect("remove_through");
        model.stored_through = model.stored_through.max(through);
    }
    wal.close().await;
    mangle_after_crash(dir, &session.crash, model);
    Ok(())
}

/// Mangles what lies after the acknowledged bytes, as a crash could have left it.
fn mangle_after_crash(dir: &Path, crash: &Crash, model: &mut Model) {
    let next_lsn = model.last_lsn() + 1;
    match crash {
        Crash::None => {}
        Crash::UnsyncedRecords { lengths, kept, garbage } => {
            let mut bytes = Vec::new();
            for (lsn, &len) in (next_lsn..).zip(lengths) {
                format::encode_record(&mut bytes, lsn, &payload(lsn, len));
                model.unsynced.push((Lsn(lsn), payload(lsn, len)));
            }
            bytes.truncate(kept.index(bytes.len() + 1));
            bytes.extend_from_slice(garbage);
            let last = segment_files(dir).pop().expect("a segment");
            let mut file = File::options().append(true).open(last).expect("open the last segment");
            std::io::Write::write_all(&mut file, &bytes).expect("write the unsynced tail");
        }
        Crash::HalfCreatedSegment { bytes } => {
            let path = dir.join(segment::file_name(next_lsn));
            if !path.exists() {
                std::fs::write(path, &format::segment_header(next_lsn)[..*bytes]).expect("write");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_log_survives_crashes_with_every_acknowledged_record(sessions in prop::collection::vec(session(), 1..4)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let dir = tempfile::tempdir().expect("temp dir");
            let mut model = Model::default();
            for session in &sessions {
                run_session(dir.path(), session, &mut model).await?;
            }
            let last = Session { groups: vec![vec![7]], remove_through_percent: None, crash: Crash::None };
            run_session(dir.path(), &last, &mut model).await?;
            let (wal, recovery, replayed) = open(dir.path(), &options(), Lsn(model.stored_through));
            model.check_replay(&replayed, &recovery)?;
            wal.close().await;
            Ok::<(), TestCaseError>(())
        })?;
    }
}
