//! The ingest crate's errors.

use crate::outcome::Reason;

/// Why a whole beacon was refused. The server maps [`Rejection::reason`] to an
/// HTTP status in one place; `detail` is safe to show to the client (it never
/// echoes more than a short, bounded excerpt of what was sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", reason.as_str())]
pub struct Rejection {
    /// The outcome reason (also the machine-readable error code).
    pub reason: Reason,
    /// A human explanation of what was wrong and what to do.
    pub detail: String,
}

impl Rejection {
    /// A rejection for `reason` with a human explanation.
    pub fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Self { reason, detail: detail.into() }
    }
}

/// Errors building the pipeline from configuration.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A configuration value is invalid; the message says which and how to fix it.
    #[error("{0}")]
    Config(String),
}
