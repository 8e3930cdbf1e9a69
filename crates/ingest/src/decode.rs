//! Bytes → beacon envelope: capped decompression, UTF-8 check, JSON parse.
//!
//! Nothing here trusts the input: decompression stops one byte past the cap
//! (so a gzip bomb costs at most `cap` bytes of memory), invalid UTF-8 is
//! rejected (never repaired), and JSON nesting is bounded (32 levels) by a
//! pre-scan, since serde_json skips raw and ignored values without a limit.

use std::io::Read;

use flate2::read::{GzDecoder, ZlibDecoder};
use sightline_protocol::limits::MAX_JSON_DEPTH;
use sightline_protocol::{BeaconEnvelope, Context, PROTOCOL_VERSION, RawEvents};

use crate::error::Rejection;
use crate::outcome::Reason;

/// How a beacon body is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Not compressed.
    Identity,
    /// gzip (RFC 1952), as produced by `CompressionStream('gzip')`.
    Gzip,
    /// deflate: zlib-wrapped (RFC 1950) as HTTP and `CompressionStream('deflate')` use it.
    Deflate,
}

impl Encoding {
    /// Parses a `Content-Encoding` header value or the `encoding` query flag.
    /// Unknown encodings are refused with `unsupported_encoding`.
    pub fn parse(value: &str) -> Result<Self, Rejection> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => Ok(Self::Identity),
            "gzip" | "x-gzip" => Ok(Self::Gzip),
            "deflate" => Ok(Self::Deflate),
            _ => Err(Rejection::new(
                Reason::UnsupportedEncoding,
                format!(
                    "content encoding {:?} is not supported: send gzip, deflate or an uncompressed body",
                    excerpt(value)
                ),
            )),
        }
    }
}

/// Decompresses `body`, refusing output over `max_decompressed` bytes.
/// Identity bodies are checked against the same cap and borrowed as they are.
pub fn decompress(
    body: &[u8],
    encoding: Encoding,
    max_decompressed: usize,
) -> Result<std::borrow::Cow<'_, [u8]>, Rejection> {
    let too_large = || {
        Rejection::new(
            Reason::PayloadTooLarge,
            format!("the decompressed body is over {max_decompressed} bytes: send smaller batches"),
        )
    };
    let reader: Box<dyn Read + '_> = match encoding {
        Encoding::Identity if body.len() > max_decompressed => return Err(too_large()),
        Encoding::Identity => return Ok(std::borrow::Cow::Borrowed(body)),
        Encoding::Gzip => Box::new(GzDecoder::new(body)),
        Encoding::Deflate => Box::new(ZlibDecoder::new(body)),
    };
    // Beacon JSON compresses 4–8 times: room for 8 spares most regrowth copies.
    let mut output = Vec::with_capacity(body.len().saturating_mul(8).min(max_decompressed));
    let limit = u64::try_from(max_decompressed).unwrap_or(u64::MAX).saturating_add(1);
    reader.take(limit).read_to_end(&mut output).map_err(|error| {
        Rejection::new(
            Reason::InvalidCompression,
            format!("the {encoding:?} body could not be decompressed ({error}): send a complete, valid stream")
                .to_lowercase(),
        )
    })?;
    if output.len() > max_decompressed {
        return Err(too_large());
    }
    Ok(std::borrow::Cow::Owned(output))
}

/// A parsed beacon: the context, and the events still raw.
#[derive(Debug)]
pub struct ParsedBeacon<'a> {
    /// The shared context.
    pub context: Context,
    /// The events (capped), unparsed.
    pub events: RawEvents<'a>,
    /// Device send time, epoch ms.
    pub sent_at: Option<f64>,
}

/// Parses a decompressed body into the context and the raw events.
pub fn parse_envelope(body: &[u8]) -> Result<ParsedBeacon<'_>, Rejection> {
    let text = std::str::from_utf8(body).map_err(|error| {
        Rejection::new(
            Reason::InvalidUtf8,
            format!("the body is not valid UTF-8 (at byte {}): beacons must be UTF-8 JSON", error.valid_up_to()),
        )
    })?;
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\n', '\r']);
    if trimmed.trim_end().is_empty() {
        return Err(Rejection::new(Reason::EmptyBody, "the body is empty: send a beacon JSON object"));
    }
    if json_depth_exceeds(trimmed.as_bytes(), MAX_JSON_DEPTH) {
        return Err(Rejection::new(Reason::TooDeep, format!("the JSON is nested deeper than {MAX_JSON_DEPTH} levels")));
    }
    if !trimmed.starts_with('{') {
        return Err(Rejection::new(
            Reason::InvalidJson,
            "the body must be a JSON object with `context` and `events` (see docs/protocol.md)",
        ));
    }
    let envelope: BeaconEnvelope<'_> = serde_json::from_str(trimmed).map_err(|error| envelope_rejection(&error))?;
    if envelope.v != PROTOCOL_VERSION {
        return Err(Rejection::new(
            Reason::UnsupportedVersion,
            format!("protocol version {} is not supported: this server speaks version {PROTOCOL_VERSION}", envelope.v),
        ));
    }
    let context: Context = serde_json::from_str(envelope.context.get()).map_err(|error| {
        Rejection::new(
            Reason::InvalidContext,
            format!("the beacon's context is not valid: {}", excerpt(&error.to_string())),
        )
    })?;
    Ok(ParsedBeacon { context, events: envelope.events, sent_at: envelope.sent_at })
}

/// True when brackets outside strings nest deeper than `max`. One pass, no recursion:
/// serde_json skips raw values without a depth limit, so this runs before parsing.
/// Between strings a beacon has a few bytes of punctuation and numbers, read one by one;
/// strings, most of its bytes, are crossed with `memchr` when they are long.
fn json_depth_exceeds(bytes: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'"' => match string_end(bytes, at + 1) {
                Some(end) => at = end,
                None => return false,
            },
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    false
}

/// The index of the quote closing the string whose content starts at `from`.
fn string_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    /// Strings shorter than this are read byte by byte: cheaper than setting up `memchr`.
    const SHORT: usize = 24;
    loop {
        let rest = bytes.get(from..)?;
        let found = match rest.iter().take(SHORT).position(|&b| b == b'"' || b == b'\\') {
            Some(index) => from + index,
            None if rest.len() <= SHORT => return None,
            None => from + SHORT + memchr::memchr2(b'"', b'\\', &rest[SHORT..])?,
        };
        if bytes[found] == b'"' {
            return Some(found);
        }
        from = found + 2;
    }
}

fn envelope_rejection(error: &serde_json::Error) -> Rejection {
    let message = error.to_string();
    if message.contains("missing field `context`") {
        return Rejection::new(Reason::InvalidContext, "the beacon has no `context` object");
    }
    if message.contains("missing field `events`") {
        return Rejection::new(Reason::InvalidJson, "the beacon has no `events` array");
    }
    Rejection::new(Reason::InvalidJson, format!("the beacon is not valid: {}", excerpt(&message)))
}

/// At most 200 characters of `text`, for error messages that quote the client.
pub(crate) fn excerpt(text: &str) -> &str {
    match text.char_indices().nth(200) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::{GzEncoder, ZlibEncoder};

    use super::*;

    const MINIMAL: &str = r#"{"context":{"agent":{"name":"t","version":"1"},"session_id":"s","view_id":"v","url":"https://shop.test/"},"events":[]}"#;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(data).expect("write to memory");
        encoder.finish().expect("finish")
    }

    fn reason_of<T: std::fmt::Debug>(result: Result<T, Rejection>) -> Reason {
        result.expect_err("should be rejected").reason
    }

    #[test]
    fn parses_identity_gzip_and_deflate() {
        let plain = decompress(MINIMAL.as_bytes(), Encoding::Identity, 1 << 20).expect("identity");
        assert!(parse_envelope(&plain).is_ok());
        let zipped = gzip(MINIMAL.as_bytes());
        let unzipped = decompress(&zipped, Encoding::Gzip, 1 << 20).expect("gzip");
        assert_eq!(&*unzipped, MINIMAL.as_bytes());
        let mut zlib = ZlibEncoder::new(Vec::new(), Compression::fast());
        zlib.write_all(MINIMAL.as_bytes()).expect("write");
        let zlib = zlib.finish().expect("finish");
        let deflated = decompress(&zlib, Encoding::Deflate, 1 << 20).expect("deflate");
        assert_eq!(&*deflated, MINIMAL.as_bytes());
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_cap() {
        let bomb = gzip(&vec![0u8; 50 << 20]);
        assert!(bomb.len() < 1_000_000, "the bomb should be small, got {}", bomb.len());
        assert_eq!(reason_of(decompress(&bomb, Encoding::Gzip, 4 << 20)), Reason::PayloadTooLarge);
    }

    #[test]
    fn corrupt_or_truncated_streams_are_invalid_compression() {
        let zipped = gzip(MINIMAL.as_bytes());
        assert_eq!(
            reason_of(decompress(&zipped[..zipped.len() / 2], Encoding::Gzip, 1 << 20)),
            Reason::InvalidCompression
        );
        assert_eq!(reason_of(decompress(b"not gzip at all", Encoding::Gzip, 1 << 20)), Reason::InvalidCompression);
        assert_eq!(reason_of(decompress(b"not zlib", Encoding::Deflate, 1 << 20)), Reason::InvalidCompression);
    }

    #[test]
    fn unknown_encodings_are_refused() {
        assert_eq!(reason_of(Encoding::parse("br")), Reason::UnsupportedEncoding);
        assert_eq!(Encoding::parse(" GZIP ").expect("gzip"), Encoding::Gzip);
    }

    #[test]
    fn empty_and_non_object_bodies_are_refused_with_reasons() {
        assert_eq!(reason_of(parse_envelope(b"")), Reason::EmptyBody);
        assert_eq!(reason_of(parse_envelope(b"  \n")), Reason::EmptyBody);
        assert_eq!(reason_of(parse_envelope(b"{}")), Reason::InvalidContext);
        assert_eq!(reason_of(parse_envelope(b"[]")), Reason::InvalidJson);
        assert_eq!(reason_of(parse_envelope(b"null")), Reason::InvalidJson);
        assert_eq!(reason_of(parse_envelope(b"{\"context\":")), Reason::InvalidJson);
    }

    #[test]
    fn invalid_utf8_is_rejected_not_repaired() {
        let mut body = MINIMAL.as_bytes().to_vec();
        body[60] = 0xff;
        assert_eq!(reason_of(parse_envelope(&body)), Reason::InvalidUtf8);
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let depth = 100_000;
        let deep_events = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let body = MINIMAL.replace("\"events\":[]", &format!("\"events\":[{deep_events}]"));
        assert_eq!(reason_of(parse_envelope(body.as_bytes())), Reason::TooDeep);
        let deep_unknown_field = MINIMAL.replace("{\"context\"", &format!("{{\"x\":{deep_events},\"context\""));
        assert_eq!(reason_of(parse_envelope(deep_unknown_field.as_bytes())), Reason::TooDeep);
    }

    /// The byte-by-byte scan the `memchr` one must agree with.
    fn naive_depth_exceeds(bytes: &[u8], max: usize) -> bool {
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        for &byte in bytes {
            if in_string {
                (escaped, in_string) = (!escaped && byte == b'\\', escaped || byte != b'"');
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth > max {
                return true;
            }
        }
        false
    }

    proptest::proptest! {
        #[test]
        fn the_depth_scan_agrees_with_a_byte_by_byte_scan(
            text in "[\\[\\]{}\"\\\\a ]{0,64}",
            max in 0usize..6,
        ) {
            proptest::prop_assert_eq!(json_depth_exceeds(text.as_bytes(), max), naive_depth_exceeds(text.as_bytes(), max));
        }
    }

    #[test]
    fn depth_is_counted_outside_strings_only() {
        assert!(!json_depth_exceeds(br#"{"a":"[[[[[[[[\"[[[[[["}"#, 2));
        assert!(json_depth_exceeds(b"[[[]]]", 2));
        assert!(!json_depth_exceeds(b"[[]][[]]", 2));
        let nested_attribute =
            MINIMAL.replace("\"events\":[]", &format!("\"events\":[{}{}]", "[".repeat(40), "]".repeat(40)));
        assert_eq!(reason_of(parse_envelope(nested_attribute.as_bytes())), Reason::TooDeep);
    }

    #[test]
    fn any_problem_in_the_context_is_a_context_problem() {
        for (from, to) in [
            ("\"session_id\":\"s\",", ""),
            ("\"url\":\"https://shop.test/\"", "\"url\":5"),
            (
                "\"agent\":{\"name\":\"t\",\"version\":\"1\"}",
                "\"agent\":\"x\",\"viewport\":{\"width\":1.5,\"height\":2}",
            ),
        ] {
            let body = MINIMAL.replace(from, to);
            assert_ne!(body, MINIMAL, "the replacement applies");
            assert_eq!(reason_of(parse_envelope(body.as_bytes())), Reason::InvalidContext, "{body}");
        }
    }

    #[test]
    fn other_protocol_versions_are_refused() {
        let body = MINIMAL.replacen('{', "{\"v\":2,", 1);
        assert_eq!(reason_of(parse_envelope(body.as_bytes())), Reason::UnsupportedVersion);
    }
}
