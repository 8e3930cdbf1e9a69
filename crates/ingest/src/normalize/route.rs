//! Path → route: ids, UUIDs, hashes and long tokens collapse into placeholders.
//! (Being written.)

/// Turns URL paths into low-cardinality routes.
#[derive(Debug, Clone, Default)]
pub struct RouteNormalizer {}

impl RouteNormalizer {
    /// A normalizer with the project's own patterns (e.g. `/blog/:slug`), tried first.
    pub fn new(patterns: &[String]) -> Result<Self, crate::IngestError> {
        let _ = patterns;
        Ok(Self {})
    }

    /// The route of `path`.
    pub fn route(&self, path: &str) -> String {
        path.to_owned()
    }
}
