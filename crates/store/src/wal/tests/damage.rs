//! Damaged logs: each case damages a log of six records in three segments and checks what
//! recovery replays, reports and repairs, and that appends go on after it.

use std::mem::discriminant;

use super::*;

/// Segments 1 (LSNs 1-2), 3 (3-4) and 5 (5-6), 256 bytes each: a record takes 116 bytes, at
/// offsets 24 and 140.
async fn six_records(dir: &Path) {
    let (wal, _, _) = open(dir, &options(), Lsn(0));
    for lsn in 1..=6 {
        wal.append(payload(lsn, 100)).await.expect("append");
    }
    wal.close().await;
}

fn segment_path(dir: &Path, first_lsn: u64) -> PathBuf {
    dir.join(segment::file_name(first_lsn))
}

fn edit(dir: &Path, first_lsn: u64, change: impl FnOnce(&mut Vec<u8>)) {
    let path = segment_path(dir, first_lsn);
    let mut bytes = std::fs::read(&path).expect("read segment");
    change(&mut bytes);
    std::fs::write(&path, bytes).expect("write segment");
}

const SECOND_RECORD: usize = 140;

struct Case {
    name: &'static str,
    damage: fn(&Path),
    replayed: &'static [u64],
    /// `(segment, offset, kind, action)`; kinds are compared by variant.
    found: Option<(u64, u64, DamageKind, DamageAction)>,
    gaps: &'static [(u64, u64)],
}

fn cases() -> Vec<Case> {
    use DamageKind::{ChecksumMismatch, Torn};
    let bad_header = || DamageKind::BadHeader(String::new());
    vec![
        Case {
            name: "torn tail",
            damage: |dir| edit(dir, 5, |bytes| bytes.truncate(250)),
            replayed: &[1, 2, 3, 4, 5],
            found: Some((5, 140, Torn, DamageAction::Truncated)),
            gaps: &[],
        },
        Case {
            name: "torn record header",
            damage: |dir| edit(dir, 5, |bytes| bytes.truncate(SECOND_RECORD + 9)),
            replayed: &[1, 2, 3, 4, 5],
            found: Some((5, 140, Torn, DamageAction::Truncated)),
            gaps: &[],
        },
        Case {
            name: "garbage after the last record",
            damage: |dir| edit(dir, 5, |bytes| bytes.extend_from_slice(&[0xab; 30])),
            replayed: &[1, 2, 3, 4, 5, 6],
            found: Some((5, 256, DamageKind::TooLong { len: 0xabab_abab, max: 1024 }, DamageAction::Truncated)),
            gaps: &[],
        },
        Case {
            name: "zero-filled tail",
            damage: |dir| edit(dir, 5, |bytes| bytes.extend_from_slice(&[0; 4096])),
            replayed: &[1, 2, 3, 4, 5, 6],
            found: Some((5, 256, DamageKind::ZeroLength, DamageAction::Truncated)),
            gaps: &[],
        },
        Case {
            name: "flipped bit in a payload",
            damage: |dir| edit(dir, 5, |bytes| bytes[SECOND_RECORD + 16 + 50] ^= 0x04),
            replayed: &[1, 2, 3, 4, 5],
            found: Some((5, 140, ChecksumMismatch, DamageAction::Truncated)),
            gaps: &[],
        },
        Case {
            name: "flipped bit in a checksum",
            damage: |dir| edit(dir, 5, |bytes| bytes[SECOND_RECORD + 5] ^= 0x80),
            replayed: &[1, 2, 3, 4, 5],
            found: Some((5, 140, ChecksumMismatch, DamageAction::Truncated)),
            gaps: &[],
        },
        Case {
            name: "flipped bit in an LSN",
            damage: |dir| edit(dir, 5, |bytes| bytes[SECOND_RECORD + 8] ^= 0x01),
            replayed: &[1, 2, 3, 4, 5],
            found: Some((5, 140, ChecksumMismatch, DamageAction::Truncated)),
            gaps: &[],
        },
        Case {
            name: "length made shorter",
            damage: |dir| edit(dir, 5, |bytes| bytes[SECOND_RECORD] ^= 0x04),
            replayed: &[1, 2, 3, 4, 5],
            found: Some((5, 140, ChecksumMismatch, DamageAction::Truncated)),
            gaps: &[],
        },
        Case {
            name: "length made longer than the file",
            damage: |dir| edit(dir, 5, |bytes| bytes[SECOND_RECORD] ^= 0x08),
            replayed: &[1, 2, 3, 4, 5],
            found: Some((5, 140, Torn, DamageAction::Truncated)),
            gaps: &[],
        },
        Case {
            name: "length over the maximum",
            damage: |dir| edit(dir, 5, |bytes| bytes[SECOND_RECORD + 3] ^= 0x01),
            replayed: &[1, 2, 3, 4, 5],
            found: Some((5, 140, DamageKind::TooLong { len: 0, max: 0 }, DamageAction::Truncated)),
            gaps: &[],
        },
        Case {
            name: "zeroed length prefix",
            damage: |dir| edit(dir, 5, |bytes| bytes[SECOND_RECORD..SECOND_RECORD + 4].fill(0)),
            replayed: &[1, 2, 3, 4, 5],
            found: Some((5, 140, DamageKind::ZeroLength, DamageAction::Truncated)),
            gaps: &[],
        },
        Case {
            name: "a valid record with the wrong LSN",
            damage: |dir| {
                edit(dir, 5, |bytes| {
                    bytes.truncate(SECOND_RECORD);
                    format::encode_record(bytes, 7, &payload(6, 100));
                });
            },
            replayed: &[1, 2, 3, 4, 5],
            found: Some((
                5,
                140,
                DamageKind::UnexpectedLsn { expected: Lsn(6), found: Lsn(7) },
                DamageAction::Truncated,
            )),
            gaps: &[],
        },
        Case {
            name: "truncated segment header",
            damage: |dir| edit(dir, 5, |bytes| bytes.truncate(10)),
            replayed: &[1, 2, 3, 4],
            found: Some((5, 0, bad_header(), DamageAction::Removed)),
            gaps: &[],
        },
        Case {
            name: "zeroed segment header",
            damage: |dir| edit(dir, 5, |bytes| bytes[..SEGMENT_HEADER_BYTES].fill(0)),
            replayed: &[1, 2, 3, 4],
            found: Some((5, 0, bad_header(), DamageAction::Removed)),
            gaps: &[],
        },
        Case {
            name: "empty newest segment file",
            damage: |dir| std::fs::write(segment_path(dir, 7), b"").expect("write"),
            replayed: &[1, 2, 3, 4, 5, 6],
            found: Some((7, 0, bad_header(), DamageAction::Removed)),
            gaps: &[],
        },
        Case {
            name: "segment header naming another LSN",
            damage: |dir| {
                std::fs::rename(segment_path(dir, 5), segment_path(dir, 6)).expect("rename");
            },
            replayed: &[1, 2, 3, 4],
            found: Some((6, 0, bad_header(), DamageAction::Removed)),
            gaps: &[],
        },
        Case {
            name: "corrupt record in an older segment",
            damage: |dir| edit(dir, 1, |bytes| bytes[SECOND_RECORD + 20] ^= 0x01),
            replayed: &[1, 3, 4, 5, 6],
            found: Some((1, 140, ChecksumMismatch, DamageAction::Skipped)),
            gaps: &[(2, 2)],
        },
        Case {
            name: "torn older segment",
            damage: |dir| edit(dir, 3, |bytes| bytes.truncate(200)),
            replayed: &[1, 2, 3, 5, 6],
            found: Some((3, 140, Torn, DamageAction::Skipped)),
            gaps: &[(4, 4)],
        },
        Case {
            name: "bad header in an older segment",
            damage: |dir| edit(dir, 3, |bytes| bytes[0] = b'X'),
            replayed: &[1, 2, 5, 6],
            found: Some((3, 0, bad_header(), DamageAction::Skipped)),
            gaps: &[(3, 4)],
        },
        Case {
            name: "segment missing in the middle",
            damage: |dir| std::fs::remove_file(segment_path(dir, 3)).expect("remove"),
            replayed: &[1, 2, 5, 6],
            found: None,
            gaps: &[(3, 4)],
        },
        Case {
            name: "stale records reaching into the next segment",
            damage: |dir| edit(dir, 1, |bytes| format::encode_record(bytes, 3, b"stale")),
            replayed: &[1, 2, 3, 4, 5, 6],
            found: Some((1, 256, DamageKind::Overlap { next_segment: Lsn(3) }, DamageAction::Skipped)),
            gaps: &[],
        },
    ]
}

#[tokio::test]
async fn damaged_logs_recover_what_is_valid_and_report_the_rest() {
    for case in cases() {
        let dir = tempfile::tempdir().expect("temp dir");
        six_records(dir.path()).await;
        (case.damage)(dir.path());
        let (wal, recovery, replayed) = open(dir.path(), &options(), Lsn(0));
        let name = case.name;
        assert_eq!(lsns(&replayed), case.replayed, "{name}: replayed");
        for (lsn, payload_read) in &replayed {
            assert_eq!(payload_read, &payload(lsn.0, 100), "{name}: payload of {lsn}");
        }
        check_damage(name, dir.path(), &recovery, case.found.as_ref());
        let gaps: Vec<(u64, u64)> = recovery.gaps.iter().map(|gap| (gap.first.0, gap.last.0)).collect();
        assert_eq!(gaps, case.gaps, "{name}: gaps");

        let next_lsn = case.replayed.last().copied().unwrap_or(0) + 1;
        assert_eq!(wal.append(payload(next_lsn, 100)).await, Ok(Lsn(next_lsn)), "{name}: next append");
        wal.close().await;
        check_repair_is_durable(name, dir.path(), &recovery, next_lsn);
    }
}

fn check_damage(name: &str, dir: &Path, recovery: &Recovery, found: Option<&(u64, u64, DamageKind, DamageAction)>) {
    let Some((segment, offset, kind, action)) = found else {
        assert!(recovery.damage.is_empty(), "{name}: {:?}", recovery.damage);
        return;
    };
    let [damage] = recovery.damage.as_slice() else {
        panic!("{name}: expected one damage, found {:?}", recovery.damage);
    };
    assert_eq!(damage.segment, segment_path(dir, *segment), "{name}: segment");
    assert_eq!((damage.offset, damage.action), (*offset, *action), "{name}: {damage:?}");
    assert_eq!(discriminant(&damage.kind), discriminant(kind), "{name}: {damage:?}");
    if !matches!(kind, DamageKind::BadHeader(_) | DamageKind::TooLong { max: 0, .. }) {
        assert_eq!(&damage.kind, kind, "{name}");
    }
}

/// A second recovery finds the repaired last segment clean; older segments are never changed,
/// so their damage is found again.
fn check_repair_is_durable(name: &str, dir: &Path, first: &Recovery, last_lsn: u64) {
    let (_, second, replayed) = {
        let mut replayed = Vec::new();
        let (wal, recovery) = Wal::open(dir, &options(), Lsn(0), |lsn, _| replayed.push(lsn.0)).expect("second open");
        (wal, recovery, replayed)
    };
    let skipped: Vec<&Damage> = first.damage.iter().filter(|d| d.action == DamageAction::Skipped).collect();
    assert_eq!(second.damage.iter().collect::<Vec<_>>(), skipped, "{name}: second recovery");
    assert_eq!(replayed.last().copied(), Some(last_lsn), "{name}: second replay");
}
