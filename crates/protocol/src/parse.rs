//! Reading one event from raw JSON without serde's `flatten` buffering.
//!
//! The derived `Deserialize` of [`Event`] (a flattened, internally tagged enum)
//! first copies the whole event into an intermediate tree, so a few megabytes
//! of `[0,0,0,…]` under an unknown key cost a hundred megabytes of memory. The
//! intake reads events in two passes over the same bytes instead: the common
//! fields and the `kind` (everything else skipped without allocating), then the
//! kind's own struct, which ignores the common fields. When `kind` comes first, as the
//! agent sends it, one pass does (see [`one_pass`]).

mod one_pass;

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny, SeqAccess, Visitor};

use crate::event::{
    ActionEvent, CustomEvent, ErrorEvent, Event, EventBody, EventKind, LongAnimationFrameEvent, RequestEvent,
    ResourceEvent, ViewEvent, VitalEvent,
};

/// Why a raw event could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventParseError {
    /// Not a JSON object, or a field of the wrong type.
    Invalid,
    /// No `id`.
    MissingId,
    /// A `kind` this version does not know (e.g. a future mobile kind).
    UnknownKind,
}

/// The fields every event shares, plus its kind.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
    t: Option<f64>,
    ts: Option<f64>,
    view_id: Option<String>,
    view_url: Option<String>,
    view_name: Option<String>,
}

/// Parses one event from its raw JSON object.
pub fn parse_event(raw: &str) -> Result<Event, EventParseError> {
    if !raw.trim_start().starts_with('{') {
        return Err(EventParseError::Invalid);
    }
    one_pass::parse(raw).map_or_else(|| parse_in_two_passes(raw), Ok)
}

/// The general reader: the common fields and the kind first, then the kind's body.
fn parse_in_two_passes(raw: &str) -> Result<Event, EventParseError> {
    let head: Head<'_> = serde_json::from_str(raw).map_err(|_| EventParseError::Invalid)?;
    let kind = head.kind.as_deref().ok_or(EventParseError::Invalid)?;
    let kind = EventKind::ALL.into_iter().find(|k| k.as_str() == kind).ok_or(EventParseError::UnknownKind)?;
    let id = head.id.ok_or(EventParseError::MissingId)?.into_owned();
    let body = match kind {
        EventKind::View => EventBody::View(body::<ViewEvent>(raw)?),
        EventKind::Vital => EventBody::Vital(body::<VitalEvent>(raw)?),
        EventKind::Error => EventBody::Error(body::<ErrorEvent>(raw)?),
        EventKind::Request => EventBody::Request(body::<RequestEvent>(raw)?),
        EventKind::Resource => EventBody::Resource(body::<ResourceEvent>(raw)?),
        EventKind::LongAnimationFrame => EventBody::LongAnimationFrame(body::<LongAnimationFrameEvent>(raw)?),
        EventKind::Action => EventBody::Action(body::<ActionEvent>(raw)?),
        EventKind::Custom => EventBody::Custom(body::<CustomEvent>(raw)?),
    };
    Ok(Event {
        id,
        t: head.t,
        ts: head.ts,
        view_id: head.view_id,
        view_url: head.view_url,
        view_name: head.view_name,
        body,
    })
}

fn body<T: DeserializeOwned>(raw: &str) -> Result<T, EventParseError> {
    serde_json::from_str(raw).map_err(|_| EventParseError::Invalid)
}

/// Deserializes a list keeping at most `N + 1` items and skipping the rest unparsed, so a
/// huge list costs no memory; validation sees `N + 1` and records that the list was cut.
pub(crate) fn capped<'de, D, T, const N: usize>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct CappedVisitor<T, const N: usize>(std::marker::PhantomData<T>);

    impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for CappedVisitor<T, N> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a list (at most {N} items are kept)")
        }

        fn visit_unit<E>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut items = Vec::new();
            while items.len() <= N {
                match seq.next_element()? {
                    Some(item) => items.push(item),
                    None => return Ok(items),
                }
            }
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(items)
        }
    }

    deserializer.deserialize_any(CappedVisitor::<T, N>(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_common_fields_and_the_kind_body() {
        let event = parse_event(
            r#"{"id":"e1","kind":"vital","t":12.5,"name":"lcp","value":2100,"view_url":"https://x.test/a"}"#,
        )
        .expect("valid vital");
        assert_eq!(event.id, "e1");
        assert_eq!(event.t, Some(12.5));
        assert_eq!(event.view_url.as_deref(), Some("https://x.test/a"));
        assert!(matches!(event.body, EventBody::Vital(VitalEvent { value, .. }) if value == 2100.0));
    }

    #[test]
    fn request_urls_are_not_taken_for_the_view_url() {
        let event = parse_event(r#"{"id":"r","kind":"request","method":"GET","url":"/api","duration":5}"#)
            .expect("valid request");
        let EventBody::Request(request) = event.body else { panic!("a request") };
        assert_eq!(request.url, "/api");
        assert_eq!(event.view_url, None);
    }

    #[test]
    fn tells_unknown_kinds_missing_ids_and_garbage_apart() {
        assert_eq!(parse_event(r#"{"id":"a","kind":"app_start"}"#), Err(EventParseError::UnknownKind));
        assert_eq!(parse_event(r#"{"kind":"custom","name":"x"}"#), Err(EventParseError::MissingId));
        assert_eq!(parse_event(r#"["app_start","x"]"#), Err(EventParseError::Invalid));
        assert_eq!(parse_event(r#"{"id":"a"}"#), Err(EventParseError::Invalid));
        assert_eq!(parse_event(r#"{"id":"a","kind":"vital","name":"lcp"}"#), Err(EventParseError::Invalid));
        assert_eq!(parse_event(r#"{"id":5,"kind":"custom","name":"x"}"#), Err(EventParseError::Invalid));
    }

    #[test]
    fn huge_lists_are_cut_while_parsing() {
        let timings: Vec<String> = (0..100_000).map(|i| format!(r#"{{"name":"n{i}"}}"#)).collect();
        let raw = format!(r#"{{"id":"v","kind":"view","server_timing":[{}]}}"#, timings.join(","));
        let event = parse_event(&raw).expect("valid view");
        let EventBody::View(view) = event.body else { panic!("a view") };
        assert_eq!(view.server_timing.len(), crate::limits::MAX_SERVER_TIMINGS + 1);
    }

    /// The docs example's events with their keys in every rotation, so that `kind` comes
    /// first, last and in between, and with common fields repeated or `null`.
    fn reordered_events() -> Vec<String> {
        let beacon: serde_json::Value =
            serde_json::from_str(include_str!("../tests/example_beacon.json")).expect("example parses");
        let mut events = Vec::new();
        for event in beacon["events"].as_array().expect("events") {
            let pairs: Vec<String> = event
                .as_object()
                .expect("an object")
                .iter()
                .map(|(key, value)| format!("{}:{value}", serde_json::Value::from(key.as_str())))
                .collect();
            for start in 0..pairs.len() {
                let rotated: Vec<&str> = pairs[start..].iter().chain(&pairs[..start]).map(String::as_str).collect();
                let object = format!("{{{}}}", rotated.join(","));
                events.push(object.replacen('{', r#"{"t":null,"#, 1));
                events.push(object.replacen('{', r#"{"kind":"custom","view_id":"a","view_id":"b","#, 1));
                events.push(object);
            }
        }
        events
    }

    #[test]
    fn one_pass_and_two_passes_agree_whatever_the_key_order() {
        let events = reordered_events();
        assert!(events.len() > 100, "{} variants", events.len());
        for raw in &events {
            let two_passes = parse_in_two_passes(raw);
            assert_eq!(parse_event(raw), two_passes, "{raw}");
            if let Some(event) = one_pass::parse(raw) {
                assert_eq!(Ok(event), two_passes, "{raw}");
            }
        }
        let one_pass = events.iter().filter(|raw| one_pass::parse(raw).is_some()).count();
        assert!(one_pass >= 10, "the one-pass path is taken when `kind` comes first ({one_pass} times)");
    }

    #[test]
    fn agrees_with_the_derived_deserializer_on_the_docs_example() {
        let beacon: serde_json::Value =
            serde_json::from_str(include_str!("../tests/example_beacon.json")).expect("example parses");
        for raw in beacon["events"].as_array().expect("events") {
            let text = raw.to_string();
            let derived: Event = serde_json::from_str(&text).expect("derived parse");
            assert_eq!(parse_event(&text).expect("two-pass parse"), derived);
        }
    }
}
