//! Privacy: the client address is resolved (trusting only configured proxies)
//! and used for geo and rate limiting, never stored; PII is scrubbed from
//! every free-text field.

pub mod client_ip;
pub mod scrub;
