//! The few RFC 8941 structured fields the client-hint headers use: a list of strings with
//! parameters (`Sec-CH-UA`), a string (`Sec-CH-UA-Platform`) and a boolean (`Sec-CH-UA-Mobile`).
//!
//! The input is untrusted: work is capped by [`MAX_HEADER_BYTES`] and [`MAX_BRANDS`], nothing
//! is allocated unless a string has escapes, and a malformed field is ignored whole, as the
//! RFC asks.

use std::borrow::Cow;

/// Longest header value looked at; a longer one is ignored.
const MAX_HEADER_BYTES: usize = 1024;
/// Most brands a list may hold (browsers send three or four); past that the list is ignored.
pub(super) const MAX_BRANDS: usize = 16;

/// `Sec-CH-UA`: a list of strings with a `v` parameter, e.g.
/// `"Chromium";v="126", "Google Chrome";v="126", "Not/A)Brand";v="8"`.
/// `None` when malformed, longer than [`MAX_HEADER_BYTES`] or with more than [`MAX_BRANDS`] members.
pub(super) fn parse_brand_list(header: &str) -> Option<Vec<(Cow<'_, str>, Cow<'_, str>)>> {
    if header.len() > MAX_HEADER_BYTES {
        return None;
    }
    let mut reader = Reader::new(header);
    let mut brands = Vec::new();
    reader.skip_spaces();
    while !reader.is_done() {
        let name = reader.string()?;
        let version = reader.parameters()?.unwrap_or_default();
        brands.push((name, version));
        if brands.len() > MAX_BRANDS {
            return None;
        }
        reader.skip_whitespace();
        if reader.is_done() {
            break;
        }
        reader.expect(b',')?;
        reader.skip_whitespace();
        if reader.is_done() {
            return None; // a trailing comma is an error
        }
    }
    Some(brands)
}

/// A header holding one string, e.g. `Sec-CH-UA-Platform: "Android"`.
pub(super) fn parse_string(header: &str) -> Option<Cow<'_, str>> {
    if header.len() > MAX_HEADER_BYTES {
        return None;
    }
    let mut reader = Reader::new(header.trim_matches(' '));
    let value = reader.string()?;
    reader.is_done().then_some(value)
}

/// `Sec-CH-UA-Mobile`: `?1` or `?0`.
pub(super) fn parse_boolean(header: &str) -> Option<bool> {
    match header.trim_matches(' ') {
        "?1" => Some(true),
        "?0" => Some(false),
        _ => None,
    }
}

/// A cursor over a structured field value. It only ever splits the text next to ASCII
/// delimiters, so every slice it returns is on a char boundary.
struct Reader<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, position: 0 }
    }

    fn is_done(&self) -> bool {
        self.position >= self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.position).copied()
    }

    fn next_byte(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.position += 1;
        Some(byte)
    }

    fn eat(&mut self, wanted: u8) -> bool {
        let found = self.peek() == Some(wanted);
        self.position += usize::from(found);
        found
    }

    fn expect(&mut self, wanted: u8) -> Option<()> {
        self.eat(wanted).then_some(())
    }

    fn skip_spaces(&mut self) {
        while self.eat(b' ') {}
    }

    fn skip_whitespace(&mut self) {
        while self.eat(b' ') || self.eat(b'\t') {}
    }

    /// An `sf-string`: printable ASCII in double quotes, `\"` and `\\` escaped. Borrowed
    /// unless it has escapes.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.expect(b'"')?;
        let start = self.position;
        let mut unescaped: Option<String> = None;
        loop {
            match self.next_byte()? {
                b'"' => {
                    let raw = &self.text[start..self.position - 1];
                    return Some(unescaped.map_or(Cow::Borrowed(raw), Cow::Owned));
                }
                b'\\' => {
                    let escaped = self.next_byte().filter(|b| matches!(b, b'"' | b'\\'))?;
                    let text = self.text;
                    let before = self.position - 2;
                    unescaped.get_or_insert_with(|| text[start..before].to_owned()).push(char::from(escaped));
                }
                byte @ 0x20..=0x7e => {
                    if let Some(unescaped) = unescaped.as_mut() {
                        unescaped.push(char::from(byte));
                    }
                }
                _ => return None,
            }
        }
    }

    /// `;key=value` parameters after an item; returns the `v` parameter's value if any.
    fn parameters(&mut self) -> Option<Option<Cow<'a, str>>> {
        let mut version = None;
        while self.eat(b';') {
            self.skip_spaces();
            let key = self.key()?;
            let value = if self.eat(b'=') { Some(self.bare_item()?) } else { None };
            if key == "v" {
                version = value;
            }
        }
        Some(version)
    }

    /// A parameter key: a lower-case letter or `*`, then lower-case letters, digits, `_-.*`.
    fn key(&mut self) -> Option<&'a str> {
        let start = self.position;
        if !self.peek().is_some_and(|b| b.is_ascii_lowercase() || b == b'*') {
            return None;
        }
        while self.peek().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.*".contains(&b)) {
            self.position += 1;
        }
        Some(&self.text[start..self.position])
    }

    /// A parameter value: a string, or the raw text of a token, number or boolean.
    fn bare_item(&mut self) -> Option<Cow<'a, str>> {
        if self.peek() == Some(b'"') {
            return self.string();
        }
        let start = self.position;
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/?".contains(&b)) {
            self.position += 1;
        }
        (self.position > start).then(|| Cow::Borrowed(&self.text[start..self.position]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand_list(header: &str) -> Option<Vec<(String, String)>> {
        let brands = parse_brand_list(header)?;
        Some(brands.into_iter().map(|(name, version)| (name.into_owned(), version.into_owned())).collect())
    }

    fn pair(name: &str, version: &str) -> (String, String) {
        (name.to_owned(), version.to_owned())
    }

    #[test]
    fn reads_brand_lists() {
        assert_eq!(
            brand_list(r#" "Chromium";v="126",	"Google Chrome";v="126" , "Not/A)Brand";v="8""#),
            Some(vec![pair("Chromium", "126"), pair("Google Chrome", "126"), pair("Not/A)Brand", "8")])
        );
        assert_eq!(brand_list(""), Some(vec![]));
    }

    #[test]
    fn reads_escapes_and_other_parameters() {
        assert_eq!(brand_list(r#""A \"quoted\" \\ brand""#), Some(vec![pair(r#"A "quoted" \ brand"#, "")]));
        assert_eq!(brand_list(r#""Brave";x;y=?1; v=126;z="1""#), Some(vec![pair("Brave", "126")]));
    }

    #[test]
    fn borrows_unless_unescaping() {
        let brands = parse_brand_list(r#""Plain";v="1", "Esc\\aped";v="2""#).expect("valid");
        assert!(matches!(brands[0].0, Cow::Borrowed("Plain")));
        assert!(matches!(&brands[1].0, Cow::Owned(name) if name == r"Esc\aped"));
    }

    #[test]
    fn rejects_malformed_lists_whole() {
        for header in [
            r#""Brave";v="126", Chromium"#,
            r#""Brave";v="126","#,
            r#""Brave";v="126" "Chromium""#,
            r#""Brave"#,
            r#""Bra\ve""#,
            r#"("Brave")"#,
            r#""Brave";V="1""#,
            r#""Brave";v="#,
            "\"Br\u{e9}ve\"",
            "\"Brave\t\"",
        ] {
            assert_eq!(brand_list(header), None, "{header:?}");
        }
    }

    #[test]
    fn reads_single_values() {
        assert_eq!(parse_string(r#" "Android" "#).as_deref(), Some("Android"));
        assert_eq!(parse_string("Android"), None);
        assert_eq!(parse_string(r#""Android";x"#), None);
        assert_eq!(parse_boolean(" ?1"), Some(true));
        assert_eq!(parse_boolean("?0"), Some(false));
        assert_eq!(parse_boolean("1"), None);
    }
}
