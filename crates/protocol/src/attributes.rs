//! User-defined key/value attributes with a hard cap enforced while parsing.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::limits::MAX_ATTRIBUTES;

/// One attribute value: a string, a number or a boolean. Nothing nested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    /// A boolean flag.
    Bool(bool),
    /// A number (finite f64).
    Number(f64),
    /// A string, limited to [`crate::limits::MAX_VALUE_LEN`] bytes.
    String(String),
}

/// Attributes as they arrived, in order, at most [`MAX_ATTRIBUTES`] of them.
///
/// Parsing never builds more than the cap: extra keys are skipped and counted in
/// [`Attributes::dropped`], as are values that are not a string, number or
/// boolean (objects, arrays, null), so the intake can record an outcome for each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes {
    /// The kept entries, in arrival order.
    pub entries: Vec<(String, AttributeValue)>,
    /// Entries skipped while parsing: over the cap, or of an unsupported type.
    pub dropped: u32,
}

impl Attributes {
    /// True when there is nothing kept and nothing dropped.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.dropped == 0
    }

    /// The value stored under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&AttributeValue> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, value) in &self.entries {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(AttributesVisitor)
    }
}

struct AttributesVisitor;

impl<'de> Visitor<'de> for AttributesVisitor {
    type Value = Attributes;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of string, number or boolean attributes")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Attributes, E> {
        Ok(Attributes::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attributes, A::Error> {
        let mut attributes = Attributes::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if attributes.entries.len() >= MAX_ATTRIBUTES {
                map.next_value::<IgnoredAny>()?;
                attributes.dropped += 1;
                continue;
            }
            match map.next_value::<ScalarOrSkip>()?.0 {
                Some(value) => attributes.entries.push((key.into_owned(), value)),
                None => attributes.dropped += 1,
            }
        }
        Ok(attributes)
    }
}

/// A scalar attribute value, or `None` for anything else (consumed and skipped).
struct ScalarOrSkip(Option<AttributeValue>);

impl<'de> Deserialize<'de> for ScalarOrSkip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = ScalarOrSkip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_bool<E>(self, v: bool) -> Result<ScalarOrSkip, E> {
        Ok(ScalarOrSkip(Some(AttributeValue::Bool(v))))
    }
    fn visit_i64<E>(self, v: i64) -> Result<ScalarOrSkip, E> {
        Ok(ScalarOrSkip(Some(AttributeValue::Number(v as f64))))
    }
    fn visit_u64<E>(self, v: u64) -> Result<ScalarOrSkip, E> {
        Ok(ScalarOrSkip(Some(AttributeValue::Number(v as f64))))
    }
    fn visit_f64<E>(self, v: f64) -> Result<ScalarOrSkip, E> {
        Ok(ScalarOrSkip(v.is_finite().then_some(AttributeValue::Number(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<ScalarOrSkip, E> {
        Ok(ScalarOrSkip(Some(AttributeValue::String(v.to_owned()))))
    }
    fn visit_string<E>(self, v: String) -> Result<ScalarOrSkip, E> {
        Ok(ScalarOrSkip(Some(AttributeValue::String(v))))
    }
    fn visit_unit<E>(self) -> Result<ScalarOrSkip, E> {
        Ok(ScalarOrSkip(None))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<ScalarOrSkip, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(ScalarOrSkip(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ScalarOrSkip, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(ScalarOrSkip(None))
    }
}

impl JsonSchema for Attributes {
    fn schema_name() -> Cow<'static, str> {
        "Attributes".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Key/value attributes. Values are strings, numbers or booleans; anything else is dropped and counted. At most 64 entries are kept; keys are trimmed to 256 bytes, string values to 1024.",
            "type": "object",
            "additionalProperties": { "type": ["string", "number", "boolean"] }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_scalars_and_counts_everything_else() {
        let parsed: Attributes =
            serde_json::from_str(r#"{"a":"x","b":2,"c":true,"d":{"x":1},"e":[1],"f":null}"#).expect("valid attributes");
        assert_eq!(parsed.entries.len(), 3);
        assert_eq!(parsed.dropped, 3);
        assert_eq!(parsed.get("b"), Some(&AttributeValue::Number(2.0)));
    }

    #[test]
    fn stops_keeping_at_the_cap() {
        let body: Vec<String> = (0..1000).map(|i| format!("\"k{i}\":{i}")).collect();
        let json = format!("{{{}}}", body.join(","));
        let parsed: Attributes = serde_json::from_str(&json).expect("valid attributes");
        assert_eq!(parsed.entries.len(), MAX_ATTRIBUTES);
        assert_eq!(parsed.dropped as usize, 1000 - MAX_ATTRIBUTES);
    }

    #[test]
    fn round_trips_as_a_json_object() {
        let parsed: Attributes = serde_json::from_str(r#"{"plan":"pro","seats":3}"#).expect("valid");
        assert_eq!(serde_json::to_string(&parsed).expect("serializes"), r#"{"plan":"pro","seats":3.0}"#);
    }
}
