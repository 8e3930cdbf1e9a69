//! Which path segments are identifiers, and the placeholder each becomes (the rules are
//! listed in the `route` module doc).
//!
//! The "holds … anywhere" rules look at windows, never at what surrounds them, so a segment
//! cut to the length cap never gains a placeholder it did not have uncut, and the whole-segment
//! rules never accept the `…` a cut segment ends with: that is what keeps routing idempotent.

use std::borrow::Cow;

use crate::privacy::scrub::contains_email;

/// Digits in a run (groups joined by single spaces or dashes) that make a segment an `:id`.
const LONG_DIGIT_RUN: usize = 13;
/// Shortest all-hex segment read as a hash.
const MIN_HASH_LEN: usize = 16;
/// Shortest segment read as a token.
const MIN_TOKEN_LEN: usize = 20;
/// Letter/digit or lower-to-upper switches within one piece that make it look random.
const RANDOM_TRANSITIONS: usize = 3;
/// Length of `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
const UUID_LEN: usize = 36;

/// The placeholder that replaces `raw`, if it is an identifier.
pub(super) fn placeholder(raw: &str) -> Option<&'static str> {
    let decoded = percent_decode(raw);
    let bytes: &[u8] = &decoded;
    let shape = Shape::of(bytes);
    if shape.digits == bytes.len() {
        Some(":id")
    } else if shape.dashes >= 4 && contains_uuid(bytes) {
        Some(":uuid")
    } else if shape.digits >= LONG_DIGIT_RUN && has_long_digit_run(bytes) {
        Some(":id")
    } else if bytes.len() >= MIN_HASH_LEN && shape.digits + shape.hex_letters == bytes.len() {
        Some(":hash")
    } else if is_iso_date(bytes) {
        Some(":date")
    } else if shape.has_at && contains_email(bytes) {
        Some(":email")
    } else if shape.is_token_candidate(bytes.len()) && max_piece_transitions(bytes) >= RANDOM_TRANSITIONS {
        Some(":token")
    } else {
        None
    }
}

/// Whether path segment `raw`, percent-decoded, is exactly `literal`.
pub(super) fn decoded_eq(raw: &str, literal: &str) -> bool {
    if raw.contains('%') { *percent_decode(raw) == *literal.as_bytes() } else { raw == literal }
}

/// `raw` with valid `%XX` escapes decoded (others left as they are); borrowed when unchanged.
pub(super) fn percent_decode(raw: &str) -> Cow<'_, [u8]> {
    let bytes = raw.as_bytes();
    if !bytes.contains(&b'%') {
        return Cow::Borrowed(bytes);
    }
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| Some((hex_value(*bytes.get(i + 1)?)?, hex_value(*bytes.get(i + 2)?)?)))
            .flatten();
        match escaped {
            Some((high, low)) => {
                decoded.push(high << 4 | low);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    Cow::Owned(decoded)
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Byte-class counts of a segment, gathered in one pass so most rules need no scan of their own.
#[derive(Debug, Default)]
struct Shape {
    digits: usize,
    hex_letters: usize,
    letters: usize,
    dashes: usize,
    has_at: bool,
    /// Whether every byte is in the token alphabet.
    token_alphabet: bool,
}

impl Shape {
    fn of(bytes: &[u8]) -> Self {
        let mut shape = Shape { token_alphabet: true, ..Shape::default() };
        for &b in bytes {
            match b {
                b'0'..=b'9' => shape.digits += 1,
                b'a'..=b'f' | b'A'..=b'F' => {
                    shape.hex_letters += 1;
                    shape.letters += 1;
                }
                b'g'..=b'z' | b'G'..=b'Z' => shape.letters += 1,
                b'-' => shape.dashes += 1,
                b'_' | b'.' | b'~' | b'+' | b'/' | b'=' => {}
                b'@' => {
                    shape.has_at = true;
                    shape.token_alphabet = false;
                }
                _ => shape.token_alphabet = false,
            }
        }
        shape
    }

    fn is_token_candidate(&self, len: usize) -> bool {
        len >= MIN_TOKEN_LEN && self.token_alphabet && self.letters > 0 && self.digits > 0
    }
}

/// Whether some 36-byte window is a UUID (any case, any version).
fn contains_uuid(bytes: &[u8]) -> bool {
    bytes.windows(UUID_LEN).any(|window| {
        window.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
    })
}

/// Whether some run of digit groups, joined by single spaces or dashes, has 13+ digits.
fn has_long_digit_run(bytes: &[u8]) -> bool {
    let mut digits_in_run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b.is_ascii_digit() {
            digits_in_run += 1;
            if digits_in_run >= LONG_DIGIT_RUN {
                return true;
            }
            continue;
        }
        let joins_groups = matches!(b, b' ' | b'-')
            && i > 0
            && bytes[i - 1].is_ascii_digit()
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        if !joins_groups {
            digits_in_run = 0;
        }
    }
    false
}

/// `YYYY-MM-DD` with a plausible month and day, alone or followed by `T` and a time.
fn is_iso_date(bytes: &[u8]) -> bool {
    let Some((date, time)) = bytes.split_at_checked(10) else {
        return false;
    };
    let number = |range: std::ops::Range<usize>| {
        date[range].iter().try_fold(0u32, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
    };
    let shape_ok = date[4] == b'-' && date[7] == b'-' && number(0..4).is_some();
    let month_ok = number(5..7).is_some_and(|m| (1..=12).contains(&m));
    let day_ok = number(8..10).is_some_and(|d| (1..=31).contains(&d));
    let time_ok = time.is_empty()
        || (time[0] == b'T'
            && time[1..].iter().all(|b| b.is_ascii_digit() || matches!(b, b':' | b'.' | b'Z' | b'+' | b'-')));
    shape_ok && month_ok && day_ok && time_ok
}

/// The most letter↔digit or lower→upper switches inside one piece (pieces are split by any
/// non-alphanumeric byte). Words and slugs have few; random strings have many.
fn max_piece_transitions(bytes: &[u8]) -> usize {
    #[derive(Clone, Copy, PartialEq)]
    enum Class {
        Lower,
        Upper,
        Digit,
    }
    let mut most = 0;
    let mut in_piece = 0;
    let mut previous = None;
    for &b in bytes {
        let class = match b {
            b'a'..=b'z' => Class::Lower,
            b'A'..=b'Z' => Class::Upper,
            b'0'..=b'9' => Class::Digit,
            _ => {
                previous = None;
                in_piece = 0;
                continue;
            }
        };
        if let Some(previous) = previous {
            let switched = (previous == Class::Digit) != (class == Class::Digit)
                || (previous == Class::Lower && class == Class::Upper);
            if switched {
                in_piece += 1;
                most = usize::max(most, in_piece);
            }
        }
        previous = Some(class);
    }
    most
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(raw: &str) -> Option<&'static str> {
        placeholder(raw)
    }

    #[test]
    fn digits_are_ids() {
        assert_eq!(p("8812"), Some(":id"));
        assert_eq!(p("0"), Some(":id"));
        assert_eq!(p(&"9".repeat(500)), Some(":id"));
        assert_eq!(p("%31%32"), Some(":id"));
        assert_eq!(p("4111-1111-1111-1111"), Some(":id"));
        assert_eq!(p("card%204111%201111%201111%201111"), Some(":id"));
        assert_eq!(p("order-1700000000000"), Some(":id"));
    }

    #[test]
    fn uuids_anywhere_in_the_segment() {
        assert_eq!(p("550e8400-e29b-41d4-a716-446655440000"), Some(":uuid"));
        assert_eq!(p("550E8400-E29B-41D4-A716-446655440000"), Some(":uuid"));
        assert_eq!(p("invoice-550e8400-e29b-41d4-a716-446655440000.pdf"), Some(":uuid"));
        assert_eq!(p("12345678-1234-1234-1234-123456789012"), Some(":uuid"));
        assert_eq!(p("550e8400-e29b-41d4-a716-ab665544000"), None);
        // One hex digit short of a UUID, but `716-44665544000` is a 14-digit run.
        assert_eq!(p("550e8400-e29b-41d4-a716-44665544000"), Some(":id"));
    }

    #[test]
    fn long_hex_is_a_hash() {
        assert_eq!(p("d41d8cd98f00b204e9800998ecf8427e"), Some(":hash"));
        assert_eq!(p("DEADBEEFCAFEBABE"), Some(":hash"));
        assert_eq!(p("deadbeefcafebab"), None);
        assert_eq!(p("deadbeef"), None);
    }

    #[test]
    fn iso_dates() {
        assert_eq!(p("2024-01-15"), Some(":date"));
        assert_eq!(p("2024-01-15T10:30:00Z"), Some(":date"));
        assert_eq!(p("2024-01-15T10:30:00.123+02:00"), Some(":date"));
        assert_eq!(p("2024-13-01"), None);
        assert_eq!(p("2024-01-32"), None);
        assert_eq!(p("2024-01-15-recap"), None);
    }

    #[test]
    fn emails_anywhere_in_the_segment() {
        assert_eq!(p("jane.doe@example.com"), Some(":email"));
        assert_eq!(p("jane.doe%40example.com"), Some(":email"));
        assert_eq!(p("u:jane@example.co.uk,more"), Some(":email"));
        assert_eq!(p("@username"), None);
        assert_eq!(p("a@b"), None);
    }

    #[test]
    fn random_looking_long_strings_are_tokens() {
        for token in [
            "aZ3kQ9xP2mW7vB4nR8tY1c",
            "cs_test_a1B2c3D4e5F6g7H8i9J0kLmN",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
            "main.a1b2c3d4e5f6g7h8.chunk.js",
            "ABCD1234EFGH5678IJKL",
        ] {
            assert_eq!(p(token), Some(":token"), "{token}");
        }
    }

    #[test]
    fn words_slugs_and_short_codes_stay() {
        for kept in [
            "v2",
            "2fa",
            "es-419",
            "api",
            "iphone-15-pro-max-256gb",
            "how-to-use-react-18-hooks",
            "covid19-vaccine-updates-2021",
            "bootstrap-5.3.2.bundle.min.js",
            "shoe-12345",
            "dQw4w9WgXcQ",
            "Main_Page",
            "abcdefghijklmnopqrstuvwxyz",
            "café",
            "😀",
            ":id",
            "*",
            "…",
        ] {
            assert_eq!(p(kept), None, "{kept}");
        }
    }

    #[test]
    fn placeholders_are_stable() {
        for placeholder in [":id", ":uuid", ":hash", ":date", ":email", ":token"] {
            assert_eq!(p(placeholder), None);
        }
    }

    #[test]
    fn percent_decoding_leaves_invalid_escapes() {
        assert_eq!(&*percent_decode("a%zz%4"), b"a%zz%4");
        assert_eq!(&*percent_decode("caf%C3%A9"), "café".as_bytes());
        assert_eq!(&*percent_decode("%"), b"%");
        assert!(matches!(percent_decode("plain"), Cow::Borrowed(_)));
        assert!(decoded_eq("caf%C3%A9", "café"));
        assert!(!decoded_eq("caf%C3%A9", "caf"));
    }
}
