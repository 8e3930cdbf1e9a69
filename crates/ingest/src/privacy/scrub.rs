//! PII scrubbing of free text: error messages, URLs, attribute values.
//!
//! Replaced, each by a fixed placeholder so that redacted messages still group together:
//!
//! | what | becomes | recognized as |
//! |------|---------|---------------|
//! | email address | `[email]` | a local part, `@` (or `%40`), then a domain with a dot followed by two letters |
//! | payment card number | `[card]` | 13–19 digits starting with 2–6, grouped by single spaces, dashes, `+` or `%20`, passing the Luhn check |
//! | bearer token | `Bearer [token]` | `Bearer` and spaces, then a base64 token of 8+ characters with a digit, or of 20+ |
//! | JSON Web Token | `[jwt]` | `eyJ…` `.` `eyJ…` `.` signature, wherever it is |
//! | secret value | `[redacted]` | the value in `key=value`, `key%3Dvalue` or `"key": "value"` when the key contains `passw` (password, passwd), `secret`, `token`, `apikey`, `sessionid`, `sessid`, `signature` or `credential`, or ends with `pwd`, `auth`, `authorization`, `session`, `sid` or `cookie` (case, `_`, `-` and `.` ignored) |
//!
//! Everything else is kept: scrubbing exists to drop what identifies a person or grants access,
//! not to make messages unreadable. Millisecond timestamps (starting with 1) are not cards;
//! `jane@localhost` and Unicode domains are not matched. The scan is one left-to-right pass over
//! the bytes with no regular expressions; text with nothing to replace comes back borrowed,
//! unallocated. Scrubbing is idempotent: placeholders never match a rule.

mod card;
mod email;
mod pairs;
mod secret;

use std::borrow::Cow;

pub(crate) use email::contains_email;

use crate::normalize::url::SanitizedUrl;

/// Removes PII from free text.
#[derive(Debug, Clone, Default)]
pub struct Scrubber {}

impl Scrubber {
    /// Builds the scrubber. It holds no state and compiles nothing: building one is free.
    pub fn new() -> Self {
        Self {}
    }

    /// `text` with every email, card number, token and secret value replaced by a placeholder;
    /// borrowed when there is nothing to replace.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let redactions = find_redactions(text.as_bytes());
        if redactions.is_empty() {
            return Cow::Borrowed(text);
        }
        Cow::Owned(apply(text, &redactions))
    }

    /// Whether values under `key` are secrets (passwords, tokens, session ids…), by the same
    /// rules as `key=value` pairs in free text.
    pub fn is_secret_key(&self, key: &str) -> bool {
        pairs::is_secret(key.as_bytes())
    }

    /// Scrubs a sanitized URL in place, its `url` and its `path`: emails in path segments
    /// (`/users/jane@example.com`), secret path parameters (`;jsessionid=…`) and secrets in the
    /// query parameters the allowlist kept. The host is left alone. Returns whether anything
    /// was replaced.
    ///
    /// Each path segment is scrubbed on its own, so that a value never runs over a `/`.
    pub fn scrub_url(&self, url: &mut SanitizedUrl) -> bool {
        let url_changed = self.scrub_url_text(&mut url.url);
        let path_changed = self.scrub_url_text(&mut url.path);
        url_changed || path_changed
    }

    /// Scrubs the `/`-separated pieces before `?` one by one and the query as a whole;
    /// returns whether anything changed.
    fn scrub_url_text(&self, url: &mut String) -> bool {
        let query_start = url.find('?').unwrap_or(url.len());
        let (path, query) = url.split_at(query_start);
        let clean = |piece: &str| matches!(self.scrub(piece), Cow::Borrowed(_));
        if path.split('/').all(clean) && clean(query) {
            return false;
        }
        let mut scrubbed = String::with_capacity(url.len());
        for (index, segment) in path.split('/').enumerate() {
            if index > 0 {
                scrubbed.push('/');
            }
            scrubbed.push_str(&self.scrub(segment));
        }
        scrubbed.push_str(&self.scrub(query));
        *url = scrubbed;
        true
    }
}

/// Bytes `start..end` of the text are to be replaced by `replacement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Redaction {
    start: usize,
    end: usize,
    replacement: &'static str,
}

/// The state of one pass: the text, what was found so far, and the `floor` below which
/// nothing may be redacted again (the end of the last redaction).
#[derive(Debug)]
struct Scan<'a> {
    bytes: &'a [u8],
    redactions: Vec<Redaction>,
    floor: usize,
}

impl Scan<'_> {
    /// Records a redaction and returns where scanning resumes (its end).
    fn redact(&mut self, start: usize, end: usize, replacement: &'static str) -> usize {
        debug_assert!(self.floor <= start && start < end && end <= self.bytes.len());
        self.redactions.push(Redaction { start, end, replacement });
        self.floor = end;
        end
    }

    /// Whether a word starts at `at`: the byte before it is not `is_word`, or a redaction just
    /// ended there (so that a second pass, seeing the placeholder, decides the same).
    fn word_starts_at(&self, at: usize, is_word: impl Fn(u8) -> bool) -> bool {
        at == self.floor || !is_word(self.bytes[at - 1])
    }
}

/// Walks `bytes` once; each byte that can start or sit inside a match (a digit, `b`, `@`, `%`,
/// `=`, `:`, the `J` of `eyJ`) hands over to its detector, which looks around it and returns
/// where to resume, always further on.
fn find_redactions(bytes: &[u8]) -> Vec<Redaction> {
    let mut scan = Scan { bytes, redactions: Vec::new(), floor: 0 };
    let mut at = 0;
    while let Some(skipped) = bytes.get(at..).and_then(|rest| rest.iter().position(|&b| TRIGGERS[usize::from(b)])) {
        at += skipped;
        at = match bytes[at] {
            b'@' => email::at_sign(&mut scan, at, 1),
            b'%' => percent(&mut scan, at),
            b'0'..=b'9' => card::digit_run(&mut scan, at),
            b'b' | b'B' => secret::bearer(&mut scan, at),
            b'J' => secret::jwt(&mut scan, at),
            b'=' => pairs::after_equals(&mut scan, at, 1),
            b':' => pairs::after_colon(&mut scan, at),
            _ => at + 1,
        };
    }
    scan.redactions
}

/// The bytes [`find_redactions`] stops at; all others are skipped in a tight loop. A JWT is
/// recognized at the `J` of `eyJ`, which is far rarer in text than `e`.
const TRIGGERS: [bool; 256] = {
    let mut triggers = [false; 256];
    let bytes = b"@%0123456789bBJ=:";
    let mut i = 0;
    while i < bytes.len() {
        triggers[bytes[i] as usize] = true;
        i += 1;
    }
    triggers
};

/// A `%`: an encoded `@` (`%40`) or `=` (`%3D`) is handled like the character; any other
/// escape is stepped over whole, so its hex digits are not read as a number.
fn percent(scan: &mut Scan<'_>, at: usize) -> usize {
    match scan.bytes.get(at + 1..at + 3) {
        Some(b"40") => email::at_sign(scan, at, 3),
        Some(b"3D" | b"3d") => pairs::after_equals(scan, at, 3),
        Some([high, low]) if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => at + 3,
        _ => at + 1,
    }
}

/// `text` with the (sorted, disjoint) redactions applied.
fn apply(text: &str, redactions: &[Redaction]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for redaction in redactions {
        out.push_str(&text[copied..redaction.start]);
        out.push_str(redaction.replacement);
        copied = redaction.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// The byte a `%XX` escape at `at` stands for, if one starts there.
fn encoded_byte_at(bytes: &[u8], at: usize) -> Option<u8> {
    match bytes.get(at..at + 3)? {
        [b'%', high, low] => {
            let digit = |b: u8| char::from(b).to_digit(16);
            let value = digit(*high)? << 4 | digit(*low)?;
            u8::try_from(value).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
