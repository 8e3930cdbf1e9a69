//! Values derived from events' fields, the same wherever they are computed: by the query
//! engine's SQL functions (`sightline_endpoint`, `sightline_url_host`,
//! `sightline_json_first`) and by the store's rollups, which group requests by endpoint,
//! resources by host and long animation frames by script.

/// Where the host of an `http(s)://` URL starts, if it is one.
fn host_start(url: &str) -> Option<usize> {
    ["https://", "http://"].iter().find(|scheme| url.starts_with(**scheme)).map(|scheme| scheme.len())
}

/// The host (with any port) of an `http(s)://` URL, the URL as it is otherwise:
/// `https://cdn.test:8080/app.js` → `cdn.test:8080`.
pub fn url_host(url: &str) -> &str {
    match host_start(url) {
        Some(start) => url[start..].split('/').next().unwrap_or_default(),
        None => url,
    }
}

/// Whether a path segment is an id: digits, or at least eight hex digits and dashes.
fn is_id(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    !bytes.is_empty()
        && (bytes.iter().all(u8::is_ascii_digit)
            || (bytes.len() >= 8 && bytes.iter().all(|byte| byte.is_ascii_hexdigit() || *byte == b'-')))
}

/// Writes the endpoint of a request's URL to `out`: the URL with each path segment that is a
/// number, or eight or more hexadecimal digits and dashes (an id, a UUID), replaced by `:id`,
/// so that the requests of one API endpoint group together: `https://api.test/orders/1234/items`
/// → `https://api.test/orders/:id/items`. The scheme and host stay; the query and fragment too.
pub fn write_endpoint(url: &str, out: &mut String) {
    let path_start = host_start(url).map_or(0, |start| url[start..].find('/').map_or(url.len(), |at| start + at));
    let path_end = url[path_start..].find(['?', '#']).map_or(url.len(), |at| path_start + at);
    out.push_str(&url[..path_start]);
    for (i, segment) in url[path_start..path_end].split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(if is_id(segment) { ":id" } else { segment });
    }
    out.push_str(&url[path_end..]);
}

/// The text `field` of the first object of a JSON array (a long animation frame's `scripts`,
/// longest first), with its escapes undone; none when the text is not such an array or the
/// field is missing or not text. Reads past the first object without building the rest.
pub fn json_first(json: &str, field: &str) -> Option<String> {
    use serde::de::DeserializeSeed;
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let value = FirstObject(field).deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    value
}

/// The text `.0` of an array's first object.
struct FirstObject<'f>(&'f str);

impl<'de> serde::de::DeserializeSeed<'de> for FirstObject<'_> {
    type Value = Option<String>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FirstObject<'_> {
    type Value = Option<String>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("an array of objects")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let value = seq.next_element_seed(FieldOf(self.0))?.flatten();
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(value)
    }
}

/// The text `.0` of an object.
struct FieldOf<'f>(&'f str);

impl<'de> serde::de::DeserializeSeed<'de> for FieldOf<'_> {
    type Value = Option<String>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FieldOf<'_> {
    type Value = Option<String>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("an object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if found.is_none() && key == self.0 {
                found = match map.next_value::<serde_json::Value>()? {
                    serde_json::Value::String(text) => Some(text),
                    _ => None,
                };
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(function: fn(&str, &mut String), input: &str) -> String {
        let mut out = String::new();
        function(input, &mut out);
        out
    }

    #[test]
    fn endpoints_replace_the_ids_of_the_path() {
        let cases = [
            ("https://api.test/orders/1234/items", "https://api.test/orders/:id/items"),
            ("https://api.test/orders/1234/5678", "https://api.test/orders/:id/:id"),
            ("https://api.test/u/3f2a9c1e-0b4d-4e5f-8a6b-7c8d9e0f1a2b?x=12", "https://api.test/u/:id?x=12"),
            ("https://api.test/v2/cart", "https://api.test/v2/cart"),
            ("https://api.test/sku/abcdef", "https://api.test/sku/abcdef"),
            ("https://api.test/sku/abcdef12#7", "https://api.test/sku/:id#7"),
            ("https://12345678/a", "https://12345678/a"),
            ("https://api.test", "https://api.test"),
            ("/api/orders/42", "/api/orders/:id"),
            ("/api/orders/42/", "/api/orders/:id/"),
            ("", ""),
        ];
        for (url, expected) in cases {
            assert_eq!(applied(write_endpoint, url), expected, "{url}");
        }
    }

    #[test]
    fn the_first_objects_field_is_read_with_its_escapes_undone() {
        let scripts = r#"[{"source_url":"https://a.test/x.js","source_function_name":"on\"Click\"","duration":3},
            {"source_url":"https://b.test/y.js"}]"#;
        assert_eq!(json_first(scripts, "source_url").as_deref(), Some("https://a.test/x.js"));
        assert_eq!(json_first(scripts, "source_function_name").as_deref(), Some("on\"Click\""));
        // A key escaped in the JSON is the same key.
        assert_eq!(json_first(r#"[{"source\u005furl":"u"}]"#, "source_url").as_deref(), Some("u"));
        // Only the first object's: the field of a later one, or a value naming the field, is not taken.
        assert_eq!(json_first(r#"[{"duration":3},{"source_url":"later"}]"#, "source_url"), None);
        assert_eq!(json_first(r#"[{"invoker":"\"source_url\":\"no\""}]"#, "source_url"), None);
        for broken in
            ["", "[]", "{}", "[1]", r#"[{"source_url":3}]"#, r#"[{"source_url":"a"}"#, r#"[{"source_url":"a"}] x"#]
        {
            assert_eq!(json_first(broken, "source_url"), None, "{broken}");
        }
    }

    #[test]
    fn url_hosts_are_the_text_after_the_scheme() {
        let cases = [
            ("https://cdn.test/app.js", "cdn.test"),
            ("http://cdn.test:8080/a", "cdn.test:8080"),
            ("https://cdn.test", "cdn.test"),
            ("data:image/png;base64,xx", "data:image/png;base64,xx"),
            ("/relative/path", "/relative/path"),
        ];
        for (url, expected) in cases {
            assert_eq!(url_host(url), expected, "{url}");
        }
    }
}
