//! The fast path of [`parse_event`](super::parse_event): one pass when `kind` comes
//! before the kind's own fields, as the agent sends it.
//!
//! The common fields met before `kind` are read as they come; once `kind` is known,
//! the kind's derived deserializer reads the rest of the same object through
//! [`RestOfEvent`], which takes the common fields out of its way. Anything unusual (no
//! `kind`, another field before it, an unknown kind, a missing id, any error) gives up
//! with `None`, and the two-pass reader decides, so both paths always agree.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};

use crate::event::{
    ActionEvent, CustomEvent, ErrorEvent, Event, EventBody, EventKind, LongAnimationFrameEvent, RequestEvent,
    ResourceEvent, ViewEvent, VitalEvent,
};

/// Reads `raw` in one pass; `None` when the two-pass reader must decide.
pub(super) fn parse(raw: &str) -> Option<Event> {
    serde_json::from_str::<OnePass>(raw).ok().and_then(|one_pass| one_pass.0)
}

/// The event, or `None` when this path gives up.
struct OnePass(Option<Event>);

impl<'de> Deserialize<'de> for OnePass {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(OnePassVisitor)
    }
}

struct OnePassVisitor;

impl<'de> Visitor<'de> for OnePassVisitor {
    type Value = OnePass;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OnePass, A::Error> {
        let mut head = Head::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key {
                Key::Kind => return read_body(map, head).map(OnePass),
                Key::Other(_) => return Ok(OnePass(None)),
                common => head.read(common, &mut map)?,
            }
        }
        Ok(OnePass(None))
    }
}

/// Reads the kind and then the rest of the object as that kind's body.
fn read_body<'de, A: MapAccess<'de>>(mut map: A, mut head: Head) -> Result<Option<Event>, A::Error> {
    let kind: Cow<'de, str> = map.next_value::<BorrowedOrOwned<'de>>()?.0;
    let Some(kind) = EventKind::ALL.into_iter().find(|k| k.as_str() == kind) else {
        return Ok(None);
    };
    let rest = RestOfEvent { map: &mut map, head: &mut head };
    let body = match kind {
        EventKind::View => EventBody::View(ViewEvent::deserialize(rest)?),
        EventKind::Vital => EventBody::Vital(VitalEvent::deserialize(rest)?),
        EventKind::Error => EventBody::Error(ErrorEvent::deserialize(rest)?),
        EventKind::Request => EventBody::Request(RequestEvent::deserialize(rest)?),
        EventKind::Resource => EventBody::Resource(ResourceEvent::deserialize(rest)?),
        EventKind::LongAnimationFrame => EventBody::LongAnimationFrame(LongAnimationFrameEvent::deserialize(rest)?),
        EventKind::Action => EventBody::Action(ActionEvent::deserialize(rest)?),
        EventKind::Custom => EventBody::Custom(CustomEvent::deserialize(rest)?),
    };
    let Head { id, t, ts, view_id, view_url, view_name, .. } = head;
    Ok(id.map(|id| Event { id, t, ts, view_id, view_url, view_name, body }))
}

/// The common fields, each read at most once (a repeated one is an error, as in the
/// derived reader).
#[derive(Default)]
struct Head {
    id: Option<String>,
    t: Option<f64>,
    ts: Option<f64>,
    view_id: Option<String>,
    view_url: Option<String>,
    view_name: Option<String>,
    /// The fields read so far, by bit: present once, even as `null`.
    seen: u8,
}

impl Head {
    fn read<'de, A: MapAccess<'de>>(&mut self, key: Key<'de>, map: &mut A) -> Result<(), A::Error> {
        let (bit, name) = match key {
            Key::Id => (0, "id"),
            Key::T => (1, "t"),
            Key::Ts => (2, "ts"),
            Key::ViewId => (3, "view_id"),
            Key::ViewUrl => (4, "view_url"),
            Key::ViewName => (5, "view_name"),
            Key::Kind => return Err(A::Error::duplicate_field("kind")),
            Key::Other(name) => return Err(A::Error::unknown_field(&name, &[])),
        };
        if self.seen & (1 << bit) != 0 {
            return Err(A::Error::duplicate_field(name));
        }
        self.seen |= 1 << bit;
        match bit {
            0 => self.id = map.next_value()?,
            1 => self.t = map.next_value()?,
            2 => self.ts = map.next_value()?,
            3 => self.view_id = map.next_value()?,
            4 => self.view_url = map.next_value()?,
            _ => self.view_name = map.next_value()?,
        }
        Ok(())
    }
}

/// An event's key: a common field, `kind`, or one of the kind's own.
enum Key<'de> {
    Id,
    Kind,
    T,
    Ts,
    ViewId,
    ViewUrl,
    ViewName,
    Other(Cow<'de, str>),
}

impl<'de> Key<'de> {
    fn from_name(name: Cow<'de, str>) -> Self {
        match &*name {
            "id" => Self::Id,
            "kind" => Self::Kind,
            "t" => Self::T,
            "ts" => Self::Ts,
            "view_id" => Self::ViewId,
            "view_url" => Self::ViewUrl,
            "view_name" => Self::ViewName,
            _ => Self::Other(name),
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BorrowedOrOwned::deserialize(deserializer).map(|name| Key::from_name(name.0))
    }
}

/// A string borrowed from the input when it has no escapes (serde's `Cow` always copies).
struct BorrowedOrOwned<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for BorrowedOrOwned<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;

        impl<'de> Visitor<'de> for StrVisitor {
            type Value = BorrowedOrOwned<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(BorrowedOrOwned(Cow::Borrowed(text)))
            }

            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(BorrowedOrOwned(Cow::Owned(text.to_owned())))
            }
        }

        deserializer.deserialize_str(StrVisitor)
    }
}

/// The rest of an event object after `kind`, as a map without the common fields (which
/// go into the head), for the kind's derived deserializer.
struct RestOfEvent<'a, A> {
    map: &'a mut A,
    head: &'a mut Head,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for RestOfEvent<'_, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for RestOfEvent<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        while let Some(key) = self.map.next_key::<Key<'de>>()? {
            match key {
                Key::Other(Cow::Borrowed(name)) => {
                    return seed.deserialize(BorrowedStrDeserializer::new(name)).map(Some);
                }
                Key::Other(Cow::Owned(name)) => return seed.deserialize(StringDeserializer::new(name)).map(Some),
                common => self.head.read(common, self.map)?,
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}
