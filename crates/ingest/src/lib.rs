//! From untrusted beacon bytes to clean, enriched, privacy-safe events.
//!
//! The path of one beacon through this crate (the server calls each step):
//!
//! 1. [`decode::Encoding::parse`] and [`decode::decompress`]: the body is
//!    decompressed through a capped reader (a gzip bomb costs at most the cap).
//! 2. [`Pipeline::process`] parses it ([`decode::parse_envelope`]): UTF-8 checked,
//!    nesting bounded, events kept raw and capped at 500.
//! 3. The context is cleaned and enriched once ([`context`]): ids checked, page URL
//!    sanitized and routed ([`normalize`]), user agent → browser/OS/device and
//!    IP → location ([`enrich`]), the IP then forgotten ([`privacy`]).
//! 4. Whole-beacon policies: consent denied, Do-Not-Track, bots, server-side sampling.
//! 5. Each event is parsed on its own, validated and trimmed ([`validate`]), its
//!    time corrected for device clock drift ([`normalize::time`]), PII scrubbed,
//!    values over the per-project caps folded ([`cardinality`]).
//! 6. Out come [`sightline_protocol::EventRecord`]s for the store, and
//!    [`outcome::Outcomes`]: one reason for everything dropped, trimmed or folded.
//!
//! Every stage is a pure function of its input and the project's settings; no I/O
//! happens here except opening the geo database at start-up.

pub mod cardinality;
mod context;
pub mod decode;
pub mod enrich;
mod error;
pub mod normalize;
pub mod outcome;
mod pipeline;
pub mod privacy;
pub mod project;
#[cfg(test)]
mod test_util;
mod validate;

pub use context::{MIN_SAMPLE_RATE, RequestMeta};
pub use error::{IngestError, Rejection};
pub use outcome::{OutcomeCategory, Outcomes, Reason};
pub use pipeline::{Pipeline, ProcessedBatch, Project};
pub use project::ProjectConfig;
