//! Email addresses, also with the `@` percent-encoded (`jane%40example.com`).
//!
//! An `@` (or `%40`) is an email when at least one local-part character comes right before it
//! and a domain right after it: an alphanumeric start, then letters, digits, dots and dashes
//! including a dot followed by two letters (`.com`, `.co.uk`; `jane@localhost` is not matched).
//! The local part stretches left over letters, digits, `._+-`, non-ASCII letters and
//! `%XX` escapes of those; the match ends with the domain, trailing dots and dashes left out.
//! International domain names in Unicode are not matched (their punycode form is).

use super::{Scan, encoded_byte_at};

/// Handles an `@` sign of `sign_len` bytes (1, or 3 for `%40`) at `at`.
pub(super) fn at_sign(scan: &mut Scan<'_>, at: usize, sign_len: usize) -> usize {
    match find(scan.bytes, at, sign_len, scan.floor) {
        Some((start, end)) => scan.redact(start, end, "[email]"),
        None => at + sign_len,
    }
}

/// Whether `bytes` contain an email address anywhere (plain or with `%40`).
///
/// Only looks at what is around each `@`, never at what follows the address: a prefix of the
/// text never contains an email that the whole text does not.
pub(crate) fn contains_email(bytes: &[u8]) -> bool {
    (0..bytes.len()).any(|at| {
        let sign_len = match bytes[at] {
            b'@' => 1,
            b'%' if bytes.get(at + 1..at + 3) == Some(b"40") => 3,
            _ => return false,
        };
        find(bytes, at, sign_len, 0).is_some()
    })
}

/// The span of the email whose sign is at `at`, starting no earlier than `floor`.
fn find(bytes: &[u8], at: usize, sign_len: usize, floor: usize) -> Option<(usize, usize)> {
    let start = local_part_start(bytes, at, floor);
    if start == at {
        return None;
    }
    let end = domain_end(bytes, at + sign_len)?;
    Some((start, end))
}

/// Where the local part ending at `at` begins (`at` itself when there is none).
fn local_part_start(bytes: &[u8], at: usize, floor: usize) -> usize {
    let mut start = at;
    while start > floor {
        let escape = if start >= floor + 3 { encoded_byte_at(bytes, start - 3) } else { None };
        match escape {
            Some(decoded) if is_local_byte(decoded) => start -= 3,
            Some(_) => break,
            None if is_local_byte(bytes[start - 1]) => start -= 1,
            None => break,
        }
    }
    start
}

/// Where the domain starting at `from` ends, if it is a domain.
fn domain_end(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    let run_len =
        rest.iter().position(|&b| !(b.is_ascii_alphanumeric() || b == b'.' || b == b'-')).unwrap_or(rest.len());
    let run = &rest[..run_len];
    if !run.first()?.is_ascii_alphanumeric() {
        return None;
    }
    let has_top_level =
        run.windows(3).any(|w| w[0] == b'.' && w[1].is_ascii_alphabetic() && w[2].is_ascii_alphabetic());
    if !has_top_level {
        return None;
    }
    let trimmed_len = run.iter().rposition(u8::is_ascii_alphanumeric)? + 1;
    Some(from + trimmed_len)
}

/// Letters, digits, `._+-`, and any byte of a non-ASCII character.
fn is_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-') || !b.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str) -> Option<&str> {
        let at = text.find('@')?;
        find(text.as_bytes(), at, 1, 0).map(|(start, end)| &text[start..end])
    }

    #[test]
    fn finds_the_whole_address() {
        assert_eq!(span("mail jane.doe+tag@mail.example.co.uk."), Some("jane.doe+tag@mail.example.co.uk"));
        assert_eq!(span("<jane@example.com>"), Some("jane@example.com"));
        assert_eq!(span("jöhn@example.com"), Some("jöhn@example.com"));
        assert_eq!(span("x=jane@example.com-"), Some("jane@example.com"));
    }

    #[test]
    fn needs_a_local_part_and_a_dotted_domain() {
        assert_eq!(span("@example.com"), None);
        assert_eq!(span("jane@localhost"), None);
        assert_eq!(span("jane@.com"), None);
        assert_eq!(span("jane@example.c"), None);
        assert_eq!(span("jane@"), None);
        assert_eq!(span("a@1.2.3.4"), None);
    }

    #[test]
    fn walks_over_escapes_of_local_characters_only() {
        let text = b"q=hello%20jane%2Bx%40example.com";
        let at = text.windows(3).position(|w| w == b"%40").expect("sign");
        let (start, end) = find(text, at, 3, 0).expect("email");
        assert_eq!(&text[start..end], b"jane%2Bx%40example.com");
    }

    #[test]
    fn contains_email_sees_both_forms() {
        assert!(contains_email(b"jane@example.com"));
        assert!(contains_email(b"jane%40example.com"));
        assert!(!contains_email(b"jane at example.com"));
        assert!(!contains_email(b"%40"));
        assert!(!contains_email(b"@"));
    }
}
