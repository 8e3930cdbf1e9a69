//! Values of secret keys: `password=…`, `"token": "…"`, `{ apiKey: '…' }`.
//!
//! A key is letters, digits and `_.-` (at most 64). It is secret when, lower-cased with
//! `_.-` removed, it contains one of [`SECRET_ANYWHERE`] (`client_secret`, `x-api-key`,
//! `refresh_token`, `jsessionid`) or ends with one of [`SECRET_AT_END`] (`auth`, `x-auth`,
//! but not `author`). Two forms are read:
//!
//! - `key=value`, also URL-encoded (`key%3Dvalue`): the value runs to whitespace or one of
//!   `& ; , " ' < > ) }` (and `%26`, `%20`, `%22` when encoded), or is quoted;
//! - `"key": "value"` (JSON, also with `'` quotes, `\"` escaped quotes or a bare key as
//!   JavaScript prints objects): only string values are redacted; an unterminated one runs to
//!   the end of the text.
//!
//! The value, not the key, becomes `[redacted]`, so that messages stay readable.

use super::Scan;

/// Longest key considered, in bytes.
const MAX_KEY_LEN: usize = 64;
/// Key words that make a value secret wherever they appear in the key.
const SECRET_ANYWHERE: &[&[u8]] =
    &[b"passw", b"secret", b"token", b"apikey", b"sessionid", b"sessid", b"signature", b"credential"];
/// Key words that make a value secret when the key ends with them.
const SECRET_AT_END: &[&[u8]] = &[b"pwd", b"auth", b"authorization", b"session", b"sid", b"cookie"];
const REDACTED: &str = "[redacted]";

/// Handles a `=` (`sign_len` 1) or `%3D` (3) at `at`.
pub(super) fn after_equals(scan: &mut Scan<'_>, at: usize, sign_len: usize) -> usize {
    let bytes = scan.bytes;
    let next = at + sign_len;
    let secret_key = key_start(bytes, at, scan.floor).is_some_and(|start| is_secret(&bytes[start..at]));
    if !secret_key {
        return next;
    }
    let (start, end) = match bytes.get(next) {
        Some(&quote @ (b'"' | b'\'')) => quoted_value(bytes, next + 1, Quote::Plain(quote)),
        _ => (next, unquoted_value_end(bytes, next, sign_len == 3)),
    };
    redact_value(scan, start, end).unwrap_or(next)
}

/// Handles a `:` at `at`: the middle of `"key": "value"`?
pub(super) fn after_colon(scan: &mut Scan<'_>, at: usize) -> usize {
    let bytes = scan.bytes;
    let Some((key_start, key_end)) = json_key(bytes, at, scan.floor) else {
        return at + 1;
    };
    if !is_secret(&bytes[key_start..key_end]) {
        return at + 1;
    }
    let value_start = at + 1 + bytes[at + 1..].iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    let Some((quote, content_start)) = opening_quote(bytes, value_start) else {
        return at + 1;
    };
    let (start, end) = quoted_value(bytes, content_start, quote);
    redact_value(scan, start, end).unwrap_or(at + 1)
}

/// The quote around a JSON or JavaScript string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// `"` or `'`.
    Plain(u8),
    /// `\"`, inside JSON serialized into another JSON string.
    Escaped,
}

/// Redacts `start..end` unless it is empty or already redacted; returns where to resume.
fn redact_value(scan: &mut Scan<'_>, start: usize, end: usize) -> Option<usize> {
    let value = &scan.bytes[start..end];
    if value.is_empty() {
        return None;
    }
    if value == REDACTED.as_bytes() {
        return Some(end);
    }
    Some(scan.redact(start, end, REDACTED))
}

/// Where the key ending at `end` starts: a run of key bytes, at most [`MAX_KEY_LEN`], not
/// below `floor`. A leading `%XX` escape's hex digits (`%26password`) are not part of it.
fn key_start(bytes: &[u8], end: usize, floor: usize) -> Option<usize> {
    let lowest = floor.max(end.saturating_sub(MAX_KEY_LEN + 1));
    let mut start = end;
    while start > lowest && is_key_byte(bytes[start - 1]) {
        start -= 1;
    }
    if start == end || end - start > MAX_KEY_LEN {
        return None;
    }
    let after_escape = start > 0
        && bytes[start - 1] == b'%'
        && end - start > 2
        && bytes[start..start + 2].iter().all(u8::is_ascii_hexdigit);
    Some(if after_escape { start + 2 } else { start })
}

/// The key before the `:` at `colon`: quoted (`"key"`, `'key'`, `\"key\"`) or bare.
fn json_key(bytes: &[u8], colon: usize, floor: usize) -> Option<(usize, usize)> {
    let mut end = colon;
    while end > floor && matches!(bytes[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    let quote = bytes[..end].last().copied().filter(|&b| end > floor && (b == b'"' || b == b'\''));
    let Some(quote) = quote else {
        return key_start(bytes, end, floor).map(|start| (start, end));
    };
    let mut key_end = end - 1;
    if quote == b'"' && key_end > floor && bytes[key_end - 1] == b'\\' {
        key_end -= 1;
    }
    let start = key_start(bytes, key_end, floor)?;
    (start > floor && bytes[start - 1] == quote).then_some((start, key_end))
}

/// The quote opening a string value at `at`, and where its content starts.
fn opening_quote(bytes: &[u8], at: usize) -> Option<(Quote, usize)> {
    match bytes.get(at..)? {
        [b'\\', b'"', ..] => Some((Quote::Escaped, at + 2)),
        [quote @ (b'"' | b'\''), ..] => Some((Quote::Plain(*quote), at + 1)),
        _ => None,
    }
}

/// The content of a string starting at `from`, up to its closing quote (or the end of the
/// text when it is not closed). Backslash escapes are stepped over in plain strings.
fn quoted_value(bytes: &[u8], from: usize, quote: Quote) -> (usize, usize) {
    let mut i = from;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (Quote::Escaped, b'\\') if bytes.get(i + 1) == Some(&b'"') => return (from, i),
            (Quote::Plain(_), b'\\') => i += 2,
            (Quote::Plain(q), b) if b == q => return (from, i),
            _ => i += 1,
        }
    }
    (from, bytes.len())
}

/// The end of an unquoted value starting at `from`; `encoded` adds `%26`, `%20`, `%22`.
fn unquoted_value_end(bytes: &[u8], from: usize, encoded: bool) -> usize {
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        let ends = b.is_ascii_whitespace()
            || matches!(b, b'&' | b';' | b',' | b'"' | b'\'' | b'<' | b'>' | b')' | b'}')
            || (encoded && matches!(bytes.get(i..i + 3), Some(b"%26" | b"%20" | b"%22")));
        if ends {
            break;
        }
        i += 1;
    }
    i
}

/// Whether `key` names a secret (see the module doc).
pub(super) fn is_secret(key: &[u8]) -> bool {
    let mut folded = [0u8; MAX_KEY_LEN];
    let mut len = 0;
    for &b in key.iter().filter(|&&b| !matches!(b, b'_' | b'-' | b'.')).take(MAX_KEY_LEN) {
        folded[len] = b.to_ascii_lowercase();
        len += 1;
    }
    let folded = &folded[..len];
    SECRET_ANYWHERE.iter().any(|word| folded.windows(word.len()).any(|w| w == *word))
        || SECRET_AT_END.iter().any(|word| folded.ends_with(word))
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        for key in [
            "password",
            "Password",
            "new_password",
            "passwd",
            "pwd",
            "old-pwd",
            "secret",
            "client_secret",
            "token",
            "access_token",
            "refreshToken",
            "api_key",
            "apikey",
            "X-Api-Key",
            "auth",
            "x-auth",
            "oauth",
            "Authorization",
            "session",
            "sessionId",
            "JSESSIONID",
            "PHPSESSID",
            "connect.sid",
            "X-Amz-Signature",
            "cookie",
        ] {
            assert!(is_secret(key.as_bytes()), "{key}");
        }
    }

    #[test]
    fn ordinary_keys() {
        for key in ["author", "email", "page", "q", "sessions", "authority", "id", "key", "user"] {
            assert!(!is_secret(key.as_bytes()), "{key}");
        }
    }

    #[test]
    fn keys_stop_at_delimiters_escapes_and_the_length_cap() {
        assert_eq!(key_start(b"?a=1&token", 10, 0), Some(5));
        assert_eq!(key_start(b"%26token", 8, 0), Some(3));
        assert_eq!(key_start(b"x", 0, 0), None);
        let long = [b'a'; 65];
        assert_eq!(key_start(&long, 65, 0), None);
        assert_eq!(key_start(&long, 64, 0), Some(0));
        assert_eq!(key_start(b"token", 5, 2), Some(2));
    }

    #[test]
    fn json_keys_quoted_escaped_or_bare() {
        assert_eq!(json_key(br#"{"token": "#, 8, 0), Some((2, 7)));
        assert_eq!(json_key(br#"{\"token\":"#, 10, 0), Some((3, 8)));
        assert_eq!(json_key(b"{ token:", 7, 0), Some((2, 7)));
        assert_eq!(json_key(br#"{token":"#, 7, 0), None);
    }

    #[test]
    fn values_end_at_their_quote_or_delimiter() {
        assert_eq!(quoted_value(br#"a\"b"c"#, 0, Quote::Plain(b'"')), (0, 4));
        assert_eq!(quoted_value(br#"ab\"c"#, 0, Quote::Escaped), (0, 2));
        assert_eq!(quoted_value(b"abc", 0, Quote::Plain(b'\'')), (0, 3));
        assert_eq!(unquoted_value_end(b"abc&d", 0, false), 3);
        assert_eq!(unquoted_value_end(b"a%26b", 0, false), 5);
        assert_eq!(unquoted_value_end(b"a%26b", 0, true), 1);
        assert_eq!(unquoted_value_end(b"[redacted]]", 0, false), 11);
    }
}
