//! Bearer tokens and JSON Web Tokens.
//!
//! `Bearer` (any case, as a word) followed by spaces (or `+`, `%20`) and a token keeps the word
//! and becomes `Bearer [token]`. The token is the run of base64/base64url characters after it,
//! when it looks like a credential: 8+ characters with a digit, or 20+ characters (so "the
//! bearer of bad news" stays). A JWT is `eyJ…` `.` `eyJ…` `.` signature (the signature may be
//! empty; JWE's two extra parts are taken too) and becomes `[jwt]` wherever it is.

use super::Scan;

const BEARER: &[u8] = b"bearer";
const JWT_START: &[u8] = b"eyJ";
/// Shortest token read as a credential when it has a digit.
const MIN_TOKEN_WITH_DIGIT: usize = 8;
/// Shortest token read as a credential without a digit.
const MIN_TOKEN: usize = 20;

/// Handles a `b`/`B` at `at`: the start of `Bearer <token>`?
pub(super) fn bearer(scan: &mut Scan<'_>, at: usize) -> usize {
    let bytes = scan.bytes;
    let is_word = bytes.get(at..at + BEARER.len()).is_some_and(|word| word.eq_ignore_ascii_case(BEARER))
        && scan.word_starts_at(at, |b| b.is_ascii_alphanumeric());
    if !is_word {
        return at + 1;
    }
    let token_start = skip_spaces(bytes, at + BEARER.len());
    if token_start == at + BEARER.len() {
        return at + 1;
    }
    let token_end = token_end(bytes, token_start);
    if !looks_like_credential(&bytes[token_start..token_end]) {
        return at + 1;
    }
    scan.redact(token_start, token_end, "[token]")
}

/// Handles a `J` at `at`: the end of `eyJ` starting a JWT?
pub(super) fn jwt(scan: &mut Scan<'_>, at: usize) -> usize {
    let bytes = scan.bytes;
    let start = at
        .checked_sub(2)
        .filter(|&start| start >= scan.floor && bytes[start..].starts_with(JWT_START))
        .filter(|&start| scan.word_starts_at(start, is_base64url));
    let Some(start) = start else {
        return at + 1;
    };
    let header_end = base64url_end(bytes, start);
    let Some(payload_start) = dot_then(bytes, header_end, JWT_START) else {
        return at + 1;
    };
    let payload_end = base64url_end(bytes, payload_start);
    if bytes.get(payload_end) != Some(&b'.') {
        return at + 1;
    }
    let mut end = base64url_end(bytes, payload_end + 1);
    for _ in 0..2 {
        match dot_then(bytes, end, b"") {
            Some(next) if bytes.get(next).is_some_and(|&b| is_base64url(b)) => {
                end = base64url_end(bytes, next);
            }
            _ => break,
        }
    }
    scan.redact(start, end, "[jwt]")
}

/// The index after the spaces, tabs, `+` and `%20` at `from`.
fn skip_spaces(bytes: &[u8], mut from: usize) -> usize {
    loop {
        match bytes.get(from) {
            Some(b' ' | b'\t' | b'+') => from += 1,
            Some(b'%') if bytes.get(from + 1..from + 3) == Some(b"20") => from += 3,
            _ => return from,
        }
    }
}

/// The end of the base64 / base64url token (with `=` padding) starting at `from`.
fn token_end(bytes: &[u8], from: usize) -> usize {
    let body = from
        + bytes[from..]
            .iter()
            .position(|&b| !(is_base64url(b) || matches!(b, b'.' | b'~' | b'+' | b'/')))
            .unwrap_or(bytes.len() - from);
    body + bytes[body..].iter().take_while(|&&b| b == b'=').count()
}

fn looks_like_credential(token: &[u8]) -> bool {
    token.len() >= MIN_TOKEN || (token.len() >= MIN_TOKEN_WITH_DIGIT && token.iter().any(u8::is_ascii_digit))
}

/// The end of the run of base64url characters starting at `from`.
fn base64url_end(bytes: &[u8], from: usize) -> usize {
    from + bytes[from..].iter().position(|&b| !is_base64url(b)).unwrap_or(bytes.len() - from)
}

/// When `bytes[at]` is `.` and `prefix` follows it, the index after the dot.
fn dot_then(bytes: &[u8], at: usize, prefix: &[u8]) -> Option<usize> {
    let next = at + 1;
    (bytes.get(at) == Some(&b'.') && bytes[next..].starts_with(prefix)).then_some(next)
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_runs_include_padding_and_stop_at_delimiters() {
        assert_eq!(token_end(b"abc+/.~-_==,x", 0), 11);
        assert_eq!(token_end(b"abc\"", 0), 3);
        assert_eq!(token_end(b"", 0), 0);
    }

    #[test]
    fn credentials_are_long_or_have_digits() {
        assert!(looks_like_credential(b"a1b2c3d4"));
        assert!(looks_like_credential(b"abcdefghijklmnopqrst"));
        assert!(!looks_like_credential(b"a1b2c3d"));
        assert!(!looks_like_credential(b"authentication"));
    }

    #[test]
    fn spaces_may_be_encoded() {
        assert_eq!(skip_spaces(b" \t+%20x", 0), 6);
        assert_eq!(skip_spaces(b"%2", 0), 0);
    }
}
