//! JSON Schema export of the wire format.
//!
//! `sightline-protocol`'s `export-schema` example writes it to
//! `crates/protocol/beacon.schema.json`; the agent's TypeScript types are
//! generated from that file. A test fails when the committed file drifts.

use schemars::generate::SchemaSettings;

use crate::Beacon;

/// The JSON Schema (draft 2020-12) of a [`Beacon`], pretty-printed, ending in a newline.
pub fn beacon_schema_json() -> String {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<Beacon>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_schema_matches_the_rust_types() {
        let committed = include_str!("../beacon.schema.json");
        let current = beacon_schema_json();
        assert!(
            committed == current,
            "crates/protocol/beacon.schema.json is stale: run `make protocol` and commit the result"
        );
    }
}
