//! The bytes of a segment: its header and its records (the layout is in the `wal` module docs).

use super::recovery::DamageKind;

/// The first bytes of every segment.
pub(super) const MAGIC: [u8; 8] = *b"SIGHTWAL";
/// The format this code writes and reads.
pub(super) const FORMAT_VERSION: u32 = 1;
/// Bytes of a segment header.
pub(super) const SEGMENT_HEADER_BYTES: usize = 24;
/// Bytes of a record header (length, checksum, LSN).
pub(super) const RECORD_HEADER_BYTES: usize = 16;

/// A segment header for a segment whose first record is `first_lsn`.
pub(super) fn segment_header(first_lsn: u64) -> [u8; SEGMENT_HEADER_BYTES] {
    let mut header = [0u8; SEGMENT_HEADER_BYTES];
    header[0..8].copy_from_slice(&MAGIC);
    header[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    header[12..20].copy_from_slice(&first_lsn.to_le_bytes());
    let checksum = crc32c::crc32c(&header[0..20]);
    header[20..24].copy_from_slice(&checksum.to_le_bytes());
    header
}

/// Checks a segment header and returns the first LSN it names.
pub(super) fn parse_segment_header(header: &[u8; SEGMENT_HEADER_BYTES]) -> Result<u64, DamageKind> {
    let bad = |reason: &str| Err(DamageKind::BadHeader(reason.to_string()));
    if header[0..8] != MAGIC {
        return bad("the file does not start with the magic bytes SIGHTWAL");
    }
    if crc32c::crc32c(&header[0..20]) != read_u32(&header[20..24]) {
        return bad("the header's checksum does not match");
    }
    let version = read_u32(&header[8..12]);
    if version != FORMAT_VERSION {
        let reason = format!("format version {version} is not known here (this build reads {FORMAT_VERSION})");
        return bad(&reason);
    }
    Ok(read_u64(&header[12..20]))
}

/// Appends one record (header and payload) to `buffer`.
pub(super) fn encode_record(buffer: &mut Vec<u8>, lsn: u64, payload: &[u8]) {
    let len = u32::try_from(payload.len()).expect("payload lengths are capped far below 4 GiB by max_record_bytes");
    let mut header = [0u8; RECORD_HEADER_BYTES];
    header[0..4].copy_from_slice(&len.to_le_bytes());
    header[8..16].copy_from_slice(&lsn.to_le_bytes());
    let checksum = record_checksum(&header, payload);
    header[4..8].copy_from_slice(&checksum.to_le_bytes());
    buffer.extend_from_slice(&header);
    buffer.extend_from_slice(payload);
}

/// The fields of a record header, not yet checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RecordHeader {
    /// The payload's length.
    pub(super) len: u32,
    /// The stored checksum.
    pub(super) checksum: u32,
    /// The record's LSN.
    pub(super) lsn: u64,
}

impl RecordHeader {
    pub(super) fn parse(bytes: &[u8; RECORD_HEADER_BYTES]) -> Self {
        Self { len: read_u32(&bytes[0..4]), checksum: read_u32(&bytes[4..8]), lsn: read_u64(&bytes[8..16]) }
    }
}

/// The checksum of a record: over the length and LSN fields of its header, then its payload.
pub(super) fn record_checksum(header: &[u8; RECORD_HEADER_BYTES], payload: &[u8]) -> u32 {
    let checksum = crc32c::crc32c(&header[0..4]);
    let checksum = crc32c::crc32c_append(checksum, &header[8..16]);
    crc32c::crc32c_append(checksum, payload)
}

fn read_u32(bytes: &[u8]) -> u32 {
    let mut array = [0u8; 4];
    array.copy_from_slice(bytes);
    u32::from_le_bytes(array)
}

fn read_u64(bytes: &[u8]) -> u64 {
    let mut array = [0u8; 8];
    array.copy_from_slice(bytes);
    u64::from_le_bytes(array)
}
