//! URL sanitizing: what Sightline keeps of a page, request or resource URL.
//!
//! Kept: the scheme (http or https only), the host (lower-case and IDNA-mapped, as the `url`
//! crate does), a non-default port, the path as the `url` crate normalizes it (dot segments
//! resolved, unsafe bytes percent-encoded), and the query parameters the project's
//! [`QueryAllowlist`] names, in their original order and encoding.
//!
//! Dropped: credentials (`user:pass@`), the fragment and every other query parameter, because
//! that is where tokens, emails and session ids hide. Any other scheme (`javascript:`, `data:`,
//! `file:`, `blob:` …) and anything unparsable yields `None`, so a sanitized URL is always safe
//! to render as a link. Inputs over [`MAX_URL_BYTES`] are refused before parsing.
//!
//! The path may still hold PII (`/users/jane@example.com`, `;jsessionid=…`): pass the result
//! through [`Scrubber::scrub_url`](crate::privacy::scrub::Scrubber::scrub_url) before storing it.

use std::borrow::Cow;

use ::url::{Position, Url, form_urlencoded};

/// Longest raw URL (and base URL) accepted, in bytes; longer input is refused unparsed.
pub const MAX_URL_BYTES: usize = 8 * 1024;

/// A URL reduced to what Sightline keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SanitizedUrl {
    /// `scheme://host[:port]/path[?allowed=query]`.
    pub url: String,
    /// Lower-case host (punycode for international names, IPv6 in brackets).
    pub host: String,
    /// Path, always starting with `/`.
    pub path: String,
}

/// Query parameters to keep: exact names, or prefixes when the entry ends with `*` (e.g. `utm_*`).
///
/// Names are compared case-sensitively, after percent-decoding (`utm%5Fsource` is `utm_source`).
/// A lone `*` keeps every parameter. The [`Default`] keeps only `utm_*` campaign parameters.
#[derive(Debug, Clone)]
pub struct QueryAllowlist {
    /// The configured entries.
    pub entries: Vec<String>,
}

impl QueryAllowlist {
    /// An allowlist of the given entries (`"page"`, `"utm_*"` …).
    pub fn new<I>(entries: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Self { entries: entries.into_iter().map(Into::into).collect() }
    }

    /// Whether the (decoded) parameter `name` is kept. Empty names never are.
    pub fn allows(&self, name: &str) -> bool {
        !name.is_empty()
            && self.entries.iter().any(|entry| match entry.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => entry == name,
            })
    }
}

impl Default for QueryAllowlist {
    /// Keeps the `utm_*` campaign parameters and nothing else.
    fn default() -> Self {
        Self::new(["utm_*"])
    }
}

/// Sanitizes an absolute http(s) URL. `None` when it is not a parseable http(s) URL, or is
/// longer than [`MAX_URL_BYTES`].
pub fn sanitize_url(raw: &str, allowlist: &QueryAllowlist) -> Option<SanitizedUrl> {
    if raw.len() > MAX_URL_BYTES {
        return None;
    }
    sanitize_parsed(Url::parse(raw).ok()?, allowlist)
}

/// Sanitizes a request or resource URL that may be relative to `base` (the page URL), resolving
/// it as a browser would: `/api/x`, `../img.png`, `//cdn.example.com/a.js` and `?page=2` all
/// work, and an absolute `raw` ignores `base`. An empty `raw` resolves to `base` itself.
///
/// `None` when the result is not http(s) (`javascript:` stays refused whatever the base), when
/// `raw` is relative and `base` does not parse, or when either is longer than [`MAX_URL_BYTES`].
pub fn sanitize_url_with_base(raw: &str, base: &str, allowlist: &QueryAllowlist) -> Option<SanitizedUrl> {
    if raw.len() > MAX_URL_BYTES || base.len() > MAX_URL_BYTES {
        return None;
    }
    // Most resource URLs are absolute already: skip parsing the base for them.
    if has_http_scheme_prefix(raw) {
        return sanitize_url(raw, allowlist);
    }
    let base = Url::parse(base).ok()?;
    sanitize_parsed(base.join(raw).ok()?, allowlist)
}

/// Whether `raw` starts with `http://` or `https://` (any case, after the leading spaces and
/// control characters the URL parser ignores), so that it cannot be relative to any base.
fn has_http_scheme_prefix(raw: &str) -> bool {
    let trimmed = raw.trim_start_matches(|c: char| c <= ' ').as_bytes();
    let starts_with = |prefix: &[u8]| trimmed.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix));
    starts_with(b"http://") || starts_with(b"https://")
}

/// Reduces `parsed` to the parts Sightline keeps, editing its serialization in place.
fn sanitize_parsed(parsed: Url, allowlist: &QueryAllowlist) -> Option<SanitizedUrl> {
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let host = parsed.host_str().filter(|host| is_plausible_host(host))?.to_owned();
    let path = parsed.path().to_owned();
    let offset = |position| parsed[..position].len();
    let userinfo = offset(Position::BeforeUsername)..offset(Position::BeforeHost);
    let (path_end, query_end) = (offset(Position::AfterPath), offset(Position::AfterQuery));
    let filtered_query = parsed.query().and_then(|query| filter_query(query, allowlist));

    let mut url = String::from(parsed);
    url.truncate(query_end);
    if let Some(kept) = filtered_query {
        url.truncate(path_end);
        if !kept.is_empty() {
            url.push('?');
            url.push_str(&kept);
        }
    }
    url.replace_range(userinfo, "");
    Some(SanitizedUrl { url, host, path })
}

/// Longest DNS name (RFC 1035); IPv6 literals are far shorter.
const MAX_HOST_LEN: usize = 253;
/// Longest DNS label.
const MAX_LABEL_LEN: usize = 63;

/// Whether `host` can be a real host name: no longer than DNS allows, labels included.
/// Anything longer is not a page anyone visited, and would be stored on every record.
fn is_plausible_host(host: &str) -> bool {
    host.len() <= MAX_HOST_LEN && host.split('.').all(|label| label.len() <= MAX_LABEL_LEN)
}

/// The allowed `name=value` pairs of `query`, verbatim, in order, joined by `&`; `None` when
/// every pair is allowed and the query can stay as it is.
fn filter_query(query: &str, allowlist: &QueryAllowlist) -> Option<String> {
    let allowed = |pair: &&str| {
        let raw_name = pair.split_once('=').map_or(*pair, |(name, _)| name);
        allowlist.allows(&decode_query_name(raw_name))
    };
    if query.split('&').all(|pair| allowed(&pair)) {
        return None;
    }
    let mut kept = String::new();
    for pair in query.split('&').filter(allowed) {
        if !kept.is_empty() {
            kept.push('&');
        }
        kept.push_str(pair);
    }
    Some(kept)
}

/// `raw` with `+` and `%XX` decoded as browsers encode form names; borrowed when unchanged.
fn decode_query_name(raw: &str) -> Cow<'_, str> {
    if !raw.contains(['%', '+']) {
        return Cow::Borrowed(raw);
    }
    form_urlencoded::parse(raw.as_bytes()).next().map_or(Cow::Borrowed(""), |(name, _)| name)
}

#[cfg(test)]
mod tests;
