//! Path → route: the low-cardinality name a page or request is grouped under.
//!
//! The project's own patterns (`/blog/:slug`, `/docs/*`) are tried first; the first that
//! matches gives the route, verbatim. Otherwise each segment that looks like an identifier
//! collapses into a placeholder and every other segment is kept, so `/orders/8812/items`
//! becomes `/orders/:id/items` while `/api/v2/2fa` stays as it is. The rules, tried in this
//! order on the percent-decoded segment:
//!
//! | placeholder | when the segment |
//! |-------------|------------------|
//! | `:id`    | is only digits (`8812`), or holds a run of 13+ digits, groups joined by single spaces or dashes (card numbers, millisecond timestamps) |
//! | `:uuid`  | holds `8-4-4-4-12` hex digits anywhere |
//! | `:hash`  | is 16+ hex digits |
//! | `:date`  | is `YYYY-MM-DD`, optionally followed by `T` and a time |
//! | `:email` | holds an email address anywhere |
//! | `:token` | is 20+ characters of `A–Z a–z 0–9 - _ . ~ + / =` with letters and digits, one of whose pieces (between `-_.`) switches between letters and digits, or lower to upper case, 3+ times: random, not words |
//!
//! Kept: words, slugs and short codes with digits (`v2`, `2fa`, `es-419`, `iphone-15-pro`).
//! A slug with an embedded number (`shoe-12345`) is kept too: replacing only the number would
//! not bound cardinality, as the words around it vary as much; a project pattern (`/p/:slug`)
//! is the tool for those, and the per-project cardinality cap folds the rest.
//!
//! Shape is normalized too: anything from `?` or `#` on is ignored, matrix parameters
//! (`;jsessionid=…`) are dropped, repeated slashes collapse, a trailing slash goes (except for
//! the root `/`), at most [`MAX_ROUTE_SEGMENTS`] segments are kept (then `/…`) and a segment is
//! cut to [`MAX_SEGMENT_BYTES`]. Routes are dashboard dimensions: bounded and PII-free beats
//! faithful. `route(route(p)) == route(p)` for every input.

mod pattern;
mod segment;

use pattern::Pattern;

use crate::IngestError;

/// Segments kept in a route; deeper paths end in `/…`.
pub const MAX_ROUTE_SEGMENTS: usize = 16;
/// Longest segment kept in a route, in bytes; longer ones are cut and end in `…`.
pub const MAX_SEGMENT_BYTES: usize = 64;
/// Most patterns a project may configure (each is tried on every event).
pub const MAX_ROUTE_PATTERNS: usize = 256;

/// What a route shows in place of the segments beyond [`MAX_ROUTE_SEGMENTS`].
const ELLIPSIS: &str = "…";

/// Turns URL paths into low-cardinality routes.
#[derive(Debug, Clone, Default)]
pub struct RouteNormalizer {
    patterns: Vec<Pattern>,
}

impl RouteNormalizer {
    /// A normalizer with the project's own patterns (e.g. `/blog/:slug`), tried first, in order.
    ///
    /// A pattern is `/` or `/`-separated segments: a literal (matched against the
    /// percent-decoded path segment), `:name` (any one segment) or, last only, `*` (the rest
    /// of the path, possibly nothing). Fails with [`IngestError::Config`] naming the first
    /// invalid pattern and why, or when there are more than [`MAX_ROUTE_PATTERNS`].
    pub fn new(patterns: &[String]) -> Result<Self, IngestError> {
        if patterns.len() > MAX_ROUTE_PATTERNS {
            return Err(IngestError::Config(format!(
                "{} route patterns configured, at most {MAX_ROUTE_PATTERNS} are allowed",
                patterns.len()
            )));
        }
        let patterns = patterns
            .iter()
            .map(|text| {
                Pattern::parse(text)
                    .map_err(|reason| IngestError::Config(format!("route pattern {text:?} is invalid: {reason}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { patterns })
    }

    /// The route of `path` (a URL path, not a full URL): the text of the first matching
    /// pattern, else the normalized path with identifiers replaced by placeholders.
    pub fn route(&self, path: &str) -> String {
        let segments = Segments::split(path);
        if let Some(pattern) = self.patterns.iter().find(|p| p.matches(&segments)) {
            return pattern.text().to_owned();
        }
        placeholder_route(&segments)
    }
}

/// The first [`MAX_ROUTE_SEGMENTS`] non-empty segments of a path, matrix parameters removed.
#[derive(Debug)]
struct Segments<'a> {
    items: [&'a str; MAX_ROUTE_SEGMENTS],
    len: usize,
    /// Whether the path had more segments than were kept.
    overflow: bool,
}

impl<'a> Segments<'a> {
    fn split(path: &'a str) -> Self {
        let path = path.find(['?', '#']).map_or(path, |end| &path[..end]);
        let mut segments = Segments { items: [""; MAX_ROUTE_SEGMENTS], len: 0, overflow: false };
        let non_empty =
            path.split('/').map(|raw| raw.split(';').next().unwrap_or_default()).filter(|segment| !segment.is_empty());
        for segment in non_empty {
            if segments.len == MAX_ROUTE_SEGMENTS {
                segments.overflow = true;
                break;
            }
            segments.items[segments.len] = segment;
            segments.len += 1;
        }
        segments
    }

    fn as_slice(&self) -> &[&'a str] {
        &self.items[..self.len]
    }
}

/// The path rebuilt segment by segment, identifiers replaced by placeholders.
fn placeholder_route(segments: &Segments<'_>) -> String {
    if segments.len == 0 {
        return "/".to_owned();
    }
    let estimate: usize = segments.as_slice().iter().map(|s| s.len() + 1).sum();
    let mut route = String::with_capacity(estimate.min(1024) + ELLIPSIS.len() + 1);
    for raw in segments.as_slice() {
        route.push('/');
        match segment::placeholder(raw) {
            Some(placeholder) => route.push_str(placeholder),
            None => push_capped(&mut route, raw),
        }
    }
    if segments.overflow {
        route.push('/');
        route.push_str(ELLIPSIS);
    }
    route
}

/// Appends `raw`, or when it is over [`MAX_SEGMENT_BYTES`] its head and `…` (within the cap).
/// The cut lands on a character boundary and never inside a `%XX` escape.
fn push_capped(route: &mut String, raw: &str) {
    if raw.len() <= MAX_SEGMENT_BYTES {
        route.push_str(raw);
        return;
    }
    let mut cut = MAX_SEGMENT_BYTES - ELLIPSIS.len();
    while !raw.is_char_boundary(cut) {
        cut -= 1;
    }
    let bytes = raw.as_bytes();
    if let Some(escape) = (cut.saturating_sub(2)..cut).find(|&i| bytes[i] == b'%') {
        cut = escape;
    }
    route.push_str(&raw[..cut]);
    route.push_str(ELLIPSIS);
}

#[cfg(test)]
mod tests;
