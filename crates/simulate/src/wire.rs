//! The beacon's bytes as the browser agent writes them.

use serde_json::Value;

/// The beacon's bytes as the agent writes them: each event's `kind` first (the intake's
/// one-pass path), the rest in serde_json's (sorted) key order.
pub fn agent_json(mut beacon: Value) -> Vec<u8> {
    let events = beacon.as_object_mut().and_then(|b| b.remove("events")).unwrap_or_default();
    let mut json = serde_json::to_vec(&beacon).expect("a JSON value serializes");
    json.pop(); // the closing brace
    json.extend_from_slice(b",\"events\":[");
    for (index, mut event) in events.as_array().cloned().unwrap_or_default().into_iter().enumerate() {
        if index > 0 {
            json.push(b',');
        }
        let kind = event.as_object_mut().and_then(|e| e.remove("kind")).unwrap_or_default();
        let rest = serde_json::to_vec(&event).expect("a JSON value serializes");
        json.extend_from_slice(format!("{{\"kind\":{kind}").as_bytes());
        if rest.len() > 2 {
            json.push(b',');
        }
        json.extend_from_slice(&rest[1..]);
    }
    json.extend_from_slice(b"]}");
    json
}
