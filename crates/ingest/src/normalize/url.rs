//! URL sanitizing: scheme, host, path and allow-listed query parameters; no fragment.
//! (Being written.)

/// A URL reduced to what Sightline keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SanitizedUrl {
    /// `scheme://host[:port]/path[?allowed=query]`.
    pub url: String,
    /// Lower-case host.
    pub host: String,
    /// Path, always starting with `/`.
    pub path: String,
}

/// Query parameters to keep: exact names, or prefixes when the entry ends with `*` (e.g. `utm_*`).
#[derive(Debug, Clone, Default)]
pub struct QueryAllowlist {
    /// The configured entries.
    pub entries: Vec<String>,
}

/// Sanitizes an absolute http(s) URL. `None` when it is not a parseable http(s) URL.
pub fn sanitize_url(raw: &str, allowlist: &QueryAllowlist) -> Option<SanitizedUrl> {
    let _ = (raw, allowlist);
    None
}
