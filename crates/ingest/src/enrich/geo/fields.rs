//! Sanitizers for the three location fields.
//!
//! Both sources of a location (a database record and CDN request headers) pass every value
//! through these functions, so whatever reaches a [`GeoInfo`](sightline_protocol::GeoInfo)
//! has one shape: an upper-case ISO alpha-2 country, a short upper-case alphanumeric region
//! code, and a bounded, printable city name. Anything else becomes "unknown" (`None`).

/// Longest city name kept, in bytes of UTF-8.
pub(crate) const MAX_CITY_BYTES: usize = 128;

/// Longest region code kept: ISO 3166-2 subdivision codes have one to three characters.
const MAX_REGION_CHARS: usize = 3;

/// Country codes that CDNs and databases use to say "we don't know".
/// Cloudflare's `T1` (Tor) needs no entry: it is not two letters.
const UNKNOWN_COUNTRIES: [&str; 1] = ["XX"];

/// An ISO 3166-1 alpha-2 country code in upper case; `None` for anything that is not
/// exactly two ASCII letters and for the "unknown" placeholders (`XX`, `T1`).
pub(crate) fn country_code(raw: &str) -> Option<String> {
    let code = raw.trim();
    let is_two_letters = code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic());
    if !is_two_letters {
        return None;
    }
    let code = code.to_ascii_uppercase();
    (!UNKNOWN_COUNTRIES.contains(&code.as_str())).then_some(code)
}

/// A subdivision code (`CA`, `ENG`, `75`) in upper case; `None` unless it is one to three
/// ASCII letters or digits.
pub(crate) fn region_code(raw: &str) -> Option<String> {
    let code = raw.trim();
    let is_short_alphanumeric =
        (1..=MAX_REGION_CHARS).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
    is_short_alphanumeric.then(|| code.to_ascii_uppercase())
}

/// A city name fit for display: trimmed, non-empty, at most [`MAX_CITY_BYTES`], and free of
/// control characters and of the Unicode bidirectional controls that can make a name render
/// as something else.
pub(crate) fn city_name(raw: &str) -> Option<String> {
    let name = raw.trim();
    let is_clean =
        !name.is_empty() && name.len() <= MAX_CITY_BYTES && !name.chars().any(|c| c.is_control() || is_bidi_control(c));
    is_clean.then(|| name.to_owned())
}

/// Decodes `%XX` escapes (as in Vercel's `X-Vercel-IP-City: S%C3%A3o%20Paulo`).
/// `None` when an escape is malformed, the result is not UTF-8, or the input is so long that
/// the decoded name could not fit [`MAX_CITY_BYTES`] anyway (each escape shrinks 3 bytes to 1).
/// A `+` stays a `+`: the CDNs encode spaces as `%20`.
pub(crate) fn percent_decode(raw: &str) -> Option<String> {
    if raw.len() > 3 * MAX_CITY_BYTES {
        return None;
    }
    let mut decoded = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes();
    while let Some(byte) = bytes.next() {
        if byte != b'%' {
            decoded.push(byte);
            continue;
        }
        let high = hex_value(bytes.next()?)?;
        let low = hex_value(bytes.next()?)?;
        decoded.push(high << 4 | low);
    }
    String::from_utf8(decoded).ok()
}

/// The value of one hexadecimal digit.
fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|value| u8::try_from(value).ok())
}

/// Marks and overrides that reorder text when rendered (U+200E/F, U+202A–E, U+2066–9).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_two_letters_upper_cased() {
        assert_eq!(country_code("FR").as_deref(), Some("FR"));
        assert_eq!(country_code("us").as_deref(), Some("US"));
        assert_eq!(country_code(" de ").as_deref(), Some("DE"));
    }

    #[test]
    fn country_placeholders_and_garbage_are_unknown() {
        for raw in ["XX", "xx", "T1", "", "F", "FRA", "F1", "<s", "ÉÉ", "F\u{0}", "12"] {
            assert_eq!(country_code(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn region_codes_are_short_alphanumerics() {
        assert_eq!(region_code("CA").as_deref(), Some("CA"));
        assert_eq!(region_code("eng").as_deref(), Some("ENG"));
        assert_eq!(region_code("75").as_deref(), Some("75"));
        for raw in ["", "ABCD", "C-A", "<b>", "C\nA", "É"] {
            assert_eq!(region_code(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn city_names_are_bounded_and_printable() {
        assert_eq!(city_name(" São Paulo ").as_deref(), Some("São Paulo"));
        assert_eq!(city_name(&"a".repeat(MAX_CITY_BYTES)).map(|c| c.len()), Some(MAX_CITY_BYTES));
        assert_eq!(city_name(&"a".repeat(MAX_CITY_BYTES + 1)), None);
        assert_eq!(city_name(&"é".repeat(MAX_CITY_BYTES / 2 + 1)), None, "the cap counts bytes");
        for raw in ["", "   ", "Par\nis", "Par\u{0}is", "Paris\u{7f}", "\u{202E}siraP", "a\u{85}b"] {
            assert_eq!(city_name(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn html_in_a_city_name_is_kept_as_text() {
        // Escaping is the dashboard's job; the name itself is printable and short.
        assert_eq!(city_name("<img src=x>").as_deref(), Some("<img src=x>"));
    }

    #[test]
    fn percent_decoding_handles_utf8_and_rejects_broken_escapes() {
        assert_eq!(percent_decode("S%C3%A3o%20Paulo").as_deref(), Some("São Paulo"));
        assert_eq!(percent_decode("New+York").as_deref(), Some("New+York"));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("%e2%82%ac").as_deref(), Some("€"));
        for raw in ["%", "%4", "%zz", "abc%g1", "%C3", "%FF%FE"] {
            assert_eq!(percent_decode(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn percent_decoding_refuses_inputs_too_long_to_be_a_city() {
        assert!(percent_decode(&"%41".repeat(MAX_CITY_BYTES)).is_some());
        assert_eq!(percent_decode(&"a".repeat(1 << 20)), None);
    }

    #[test]
    fn decoded_control_characters_are_caught_by_the_city_check() {
        let decoded = percent_decode("Paris%0A%3Cscript%3E").expect("valid escapes");
        assert_eq!(city_name(&decoded), None);
    }
}
