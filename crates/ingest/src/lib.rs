//! Placeholder while the pipeline is written.
pub mod enrich {
    pub mod geo;
    pub mod user_agent;
}
pub mod normalize {
    pub mod route;
    pub mod url;
}
pub mod privacy {
    pub mod client_ip;
    pub mod scrub;
}
/// Errors.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Bad config.
    #[error("{0}")]
    Config(String),
}
