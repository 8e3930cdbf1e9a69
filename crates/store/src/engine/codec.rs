//! The WAL payload of one append: the records of a beacon, their shared context and
//! page written once.
//!
//! Layout: one version byte ([`CODEC_VERSION`]), then the object
//! `{"contexts": [RecordContext…], "pages": [PageLocation…], "events": [{"c": i, "p": j, …}]}`
//! where each event names its context and page by index, as MessagePack with field names
//! (version 2). Self-describing, because the event body is an internally tagged enum that
//! only such formats read back, and field names keep old records readable when types gain
//! fields. Version 1 was the same object as JSON: this build still reads it, so a log
//! written before an upgrade replays; JSON took 2–3 times the CPU to write, on every
//! acknowledged beacon. The WAL is short-lived, Parquet is the archive.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sightline_protocol::{EventBody, EventRecord, PageLocation, QualityFlags, RecordContext};

/// The first byte of every payload written now; a reader refuses versions it does not know.
pub const CODEC_VERSION: u8 = 2;

/// The first byte of a payload written as JSON by earlier builds.
const JSON_VERSION: u8 = 1;

/// Why a payload could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The payload is empty.
    #[error("empty payload")]
    Empty,
    /// Written by a newer (or unknown) codec.
    #[error("payload codec version {0} is unknown (this build reads version {CODEC_VERSION})")]
    Version(u8),
    /// The payload does not parse, or an index points nowhere.
    #[error("payload is damaged: {0}")]
    Damaged(String),
}

#[derive(Serialize)]
struct Encoded<'a> {
    contexts: Vec<&'a RecordContext>,
    pages: Vec<&'a PageLocation>,
    events: Vec<EncodedEvent<'a>>,
}

#[derive(Serialize)]
struct EncodedEvent<'a> {
    c: usize,
    p: usize,
    event_id: &'a str,
    timestamp_ms: i64,
    view_id: &'a str,
    quality: QualityFlags,
    body: &'a EventBody,
}

#[derive(Deserialize)]
struct Decoded {
    contexts: Vec<Arc<RecordContext>>,
    pages: Vec<Arc<PageLocation>>,
    events: Vec<DecodedEvent>,
}

#[derive(Deserialize)]
struct DecodedEvent {
    c: usize,
    p: usize,
    event_id: String,
    timestamp_ms: i64,
    view_id: String,
    quality: QualityFlags,
    body: EventBody,
}

/// Encodes `records`; records sharing a context or page `Arc` share its encoding.
pub fn encode(records: &[EventRecord]) -> Vec<u8> {
    let mut payload = vec![CODEC_VERSION];
    Encoded::of(records)
        .serialize(&mut rmp_serde::Serializer::new(&mut payload).with_struct_map())
        .expect("records serialize to MessagePack");
    payload
}

impl<'a> Encoded<'a> {
    /// The payload's object: each shared context and page once, events naming them by index.
    fn of(records: &'a [EventRecord]) -> Self {
        let mut contexts: Vec<&Arc<RecordContext>> = Vec::new();
        let mut pages: Vec<&Arc<PageLocation>> = Vec::new();
        let events = records
            .iter()
            .map(|record| EncodedEvent {
                c: index_of(&mut contexts, &record.context),
                p: index_of(&mut pages, &record.page),
                event_id: &record.event_id,
                timestamp_ms: record.timestamp_ms,
                view_id: &record.view_id,
                quality: record.quality,
                body: &record.body,
            })
            .collect();
        Self {
            contexts: contexts.into_iter().map(|context| &**context).collect(),
            pages: pages.into_iter().map(|page| &**page).collect(),
            events,
        }
    }
}

/// The index of `item` in `seen` by pointer, appending it when new. A beacon has one context
/// and a handful of pages, so a linear scan beats hashing.
fn index_of<'a, T>(seen: &mut Vec<&'a Arc<T>>, item: &'a Arc<T>) -> usize {
    match seen.iter().position(|known| Arc::ptr_eq(known, item)) {
        Some(index) => index,
        None => {
            seen.push(item);
            seen.len() - 1
        }
    }
}

/// Decodes a payload written by [`encode`]; records of one context share one `Arc` again.
pub fn decode(payload: &[u8]) -> Result<Vec<EventRecord>, CodecError> {
    let (&version, body) = payload.split_first().ok_or(CodecError::Empty)?;
    let decoded: Decoded = match version {
        CODEC_VERSION => rmp_serde::from_slice(body).map_err(|error| CodecError::Damaged(error.to_string()))?,
        JSON_VERSION => serde_json::from_slice(body).map_err(|error| CodecError::Damaged(error.to_string()))?,
        unknown => return Err(CodecError::Version(unknown)),
    };
    decoded
        .events
        .into_iter()
        .map(|event| {
            let missing = || CodecError::Damaged(format!("event {} names a missing context or page", event.event_id));
            let context = decoded.contexts.get(event.c).ok_or_else(missing)?;
            let page = decoded.pages.get(event.p).ok_or_else(missing)?;
            Ok(EventRecord {
                event_id: event.event_id,
                timestamp_ms: event.timestamp_ms,
                view_id: event.view_id,
                page: Arc::clone(page),
                quality: event.quality,
                body: event.body,
                context: Arc::clone(context),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use sightline_protocol::EventKind;

    use super::*;
    use crate::columns::tests::fixtures::full;
    use crate::engine::test_records::{records_of_one_beacon, records_of_two_beacons};

    #[test]
    fn records_come_back_equal_with_their_sharing() {
        let records = records_of_two_beacons();
        let decoded = decode(&encode(&records)).expect("decodes");
        assert_eq!(decoded, records);
        assert!(Arc::ptr_eq(&decoded[0].context, &decoded[1].context), "one beacon shares one context");
        assert!(!Arc::ptr_eq(&decoded[0].context, &decoded[decoded.len() - 1].context));
    }

    #[test]
    fn the_context_is_written_once_per_beacon() {
        let one = encode(&records_of_one_beacon(1));
        let ten = encode(&records_of_one_beacon(10));
        let context_len = serde_json::to_vec(&*records_of_one_beacon(1)[0].context).expect("serializes").len();
        assert!(ten.len() < one.len() * 10 - context_len * 8, "{} vs {}", ten.len(), one.len());
    }

    #[test]
    fn unknown_versions_and_damage_are_errors() {
        let mut payload = encode(&records_of_one_beacon(2));
        assert!(matches!(decode(&[]), Err(CodecError::Empty)));
        payload[0] = 9;
        assert!(matches!(decode(&payload), Err(CodecError::Version(9))));
        payload[0] = CODEC_VERSION;
        payload.truncate(payload.len() / 2);
        assert!(matches!(decode(&payload), Err(CodecError::Damaged(_))));
        let dangling = br#"{"contexts":[],"pages":[],"events":[{"c":0,"p":0,"event_id":"e","timestamp_ms":1,"view_id":"v","quality":0,"body":{"kind":"custom","name":"x"}}]}"#;
        let mut payload = vec![JSON_VERSION];
        payload.extend_from_slice(dangling);
        assert!(matches!(decode(&payload), Err(CodecError::Damaged(message)) if message.contains("missing context")));
    }

    #[test]
    fn a_full_record_of_every_kind_comes_back_equal() {
        let records: Vec<EventRecord> = EventKind::ALL.into_iter().map(full).collect();
        assert_eq!(decode(&encode(&records)).expect("decodes"), records);
    }

    #[test]
    fn payloads_written_as_json_by_earlier_builds_are_still_read() {
        let records = records_of_two_beacons();
        let mut payload = vec![JSON_VERSION];
        serde_json::to_writer(&mut payload, &Encoded::of(&records)).expect("serializes");
        assert_eq!(decode(&payload).expect("decodes"), records);
    }
}
