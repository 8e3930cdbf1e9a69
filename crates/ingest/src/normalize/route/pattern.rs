//! Project route patterns: `/blog/:slug`, `/docs/*`.
//!
//! Literals never start with `:`, contain `*`, `%` or `…`, and parameters never match a bare
//! `*` segment. Those rules are what keep normalization idempotent: a route produced by a
//! pattern, or by placeholders, can only match patterns its original path matched too.

use super::segment::decoded_eq;
use super::{ELLIPSIS, MAX_ROUTE_SEGMENTS, Segments};

/// Longest pattern accepted, in bytes.
const MAX_PATTERN_BYTES: usize = 1024;

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Matches a path segment whose percent-decoded text is exactly this.
    Literal(String),
    /// `:name`: matches any one segment.
    Param,
}

/// A validated project pattern.
#[derive(Debug, Clone)]
pub(super) struct Pattern {
    text: String,
    parts: Vec<Part>,
    /// Whether the pattern ends in `*`, matching any remaining segments.
    rest: bool,
}

impl Pattern {
    /// Parses and validates `text`; the error says what is wrong, for a config message.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        if text.len() > MAX_PATTERN_BYTES {
            return Err(format!("longer than {MAX_PATTERN_BYTES} bytes"));
        }
        let Some(body) = text.strip_prefix('/') else {
            return Err("it must start with `/`".to_owned());
        };
        let mut pattern = Pattern { text: text.to_owned(), parts: Vec::new(), rest: false };
        if body.is_empty() {
            return Ok(pattern);
        }
        let raw_parts: Vec<&str> = body.split('/').collect();
        let last = raw_parts.len() - 1;
        for (index, raw) in raw_parts.into_iter().enumerate() {
            if raw == "*" {
                if index != last {
                    return Err("`*` may only be the last segment".to_owned());
                }
                pattern.rest = true;
            } else {
                pattern.parts.push(parse_part(raw)?);
            }
        }
        if pattern.parts.len() > MAX_ROUTE_SEGMENTS {
            return Err(format!("more than {MAX_ROUTE_SEGMENTS} segments"));
        }
        Ok(pattern)
    }

    /// The route this pattern gives: its own text.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// Whether `segments` match, segment by segment (`*` takes any remainder, even none).
    pub(super) fn matches(&self, segments: &Segments<'_>) -> bool {
        let fits = if self.rest {
            segments.len >= self.parts.len()
        } else {
            segments.len == self.parts.len() && !segments.overflow
        };
        fits && self.parts.iter().zip(segments.as_slice()).all(|(part, segment)| match part {
            Part::Literal(literal) => decoded_eq(segment, literal),
            Part::Param => *segment != "*",
        })
    }
}

/// One `/`-separated piece of a pattern other than `*`.
fn parse_part(raw: &str) -> Result<Part, String> {
    if raw.is_empty() {
        return Err("empty segment (`//` or a trailing `/`)".to_owned());
    }
    if let Some(name) = raw.strip_prefix(':') {
        let valid_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid_name {
            return Err(format!("parameter {raw:?} needs a name of letters, digits or `_`"));
        }
        return Ok(Part::Param);
    }
    if let Some(bad) = raw.chars().find(|&c| is_forbidden_in_literal(c)) {
        return Err(format!("segment {raw:?} contains {bad:?}"));
    }
    if raw.contains(ELLIPSIS) {
        return Err(format!("segment {raw:?} contains `…`, which marks cut routes"));
    }
    Ok(Part::Literal(raw.to_owned()))
}

/// Characters a literal may not hold: wildcards, URL delimiters, escapes (write literals
/// decoded: `café`, not `caf%C3%A9`), whitespace and control characters.
fn is_forbidden_in_literal(c: char) -> bool {
    matches!(c, '*' | '?' | '#' | ';' | '%') || c.is_whitespace() || c.is_control()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Vec<Part> {
        Pattern::parse(text).expect("valid").parts
    }

    #[test]
    fn parses_literals_params_and_rest() {
        assert_eq!(parts("/"), []);
        assert_eq!(parts("/blog/:slug"), [Part::Literal("blog".into()), Part::Param]);
        let docs = Pattern::parse("/docs/*").expect("valid");
        assert!(docs.rest);
        assert_eq!(docs.parts, [Part::Literal("docs".into())]);
        assert_eq!(parts("/café/:id_2"), [Part::Literal("café".into()), Part::Param]);
    }

    #[test]
    fn explains_what_is_wrong() {
        let error = |text: &str| Pattern::parse(text).expect_err(text);
        assert!(error("").contains("start with `/`"));
        assert!(error("blog/:slug").contains("start with `/`"));
        assert!(error("/blog/").contains("empty segment"));
        assert!(error("/blog//x").contains("empty segment"));
        assert!(error("/*/x").contains("last segment"));
        assert!(error("/a/:").contains("needs a name"));
        assert!(error("/a/:b-c").contains("needs a name"));
        assert!(error("/a*b").contains("'*'"));
        assert!(error("/a?b").contains("'?'"));
        assert!(error("/caf%C3%A9").contains("'%'"));
        assert!(error("/a b").contains("' '"));
        assert!(error("/a\0").contains("'\\0'"));
        assert!(error("/a…").contains("cut routes"));
        assert!(error(&"/a".repeat(17)).contains("more than 16"));
        assert!(error(&format!("/{}", "a".repeat(1024))).contains("longer than"));
    }

    #[test]
    fn accepts_the_segment_cap_exactly() {
        assert!(Pattern::parse(&"/a".repeat(16)).is_ok());
        assert!(Pattern::parse(&format!("{}/*", "/a".repeat(16))).is_ok());
    }
}
