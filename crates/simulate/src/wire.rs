//! The beacon's bytes as the browser agent writes them.

use serde_json::Value;

/// The beacon's bytes as the agent writes them: each event's `kind` first (the intake's
/// one-pass path), the rest in serde_json's (sorted) key order. The events are moved, not
/// copied, and written straight into the body.
pub fn agent_json(mut beacon: Value) -> Vec<u8> {
    let events = match beacon.as_object_mut().and_then(|b| b.remove("events")) {
        Some(Value::Array(events)) => events,
        _ => Vec::new(),
    };
    let mut json = serde_json::to_vec(&beacon).expect("a JSON value serializes");
    json.pop(); // the closing brace
    json.extend_from_slice(b",\"events\":[");
    for (index, mut event) in events.into_iter().enumerate() {
        if index > 0 {
            json.push(b',');
        }
        let kind = event.as_object_mut().and_then(|e| e.remove("kind")).unwrap_or_default();
        json.extend_from_slice(b"{\"kind\":");
        serde_json::to_writer(&mut json, &kind).expect("writing to memory cannot fail");
        let rest = json.len();
        serde_json::to_writer(&mut json, &event).expect("writing to memory cannot fail");
        if json.len() - rest > 2 {
            json[rest] = b','; // the rest's opening brace
        } else {
            json.truncate(rest);
            json.push(b'}');
        }
    }
    json.extend_from_slice(b"]}");
    json
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::agent_json;

    #[test]
    fn kind_comes_first_and_the_rest_follows_in_key_order() {
        let beacon = json!({ "v": 1, "context": { "b": 2, "a": 1 }, "events": [
            { "t": 1.5, "kind": "view", "id": "0" },
            { "kind": "custom" },
            { "name": "x\"y", "kind": "custom", "value": [1, 2] },
        ]});
        let text = String::from_utf8(agent_json(beacon)).expect("UTF-8");
        assert_eq!(
            text,
            r#"{"context":{"a":1,"b":2},"v":1,"events":[{"kind":"view","id":"0","t":1.5},{"kind":"custom"},{"kind":"custom","name":"x\"y","value":[1,2]}]}"#
        );
    }
}
