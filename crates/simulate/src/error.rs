//! What can go wrong when simulating.

/// Errors of the simulation's loaders.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The population's options are not valid.
    #[error("population: {0}")]
    Options(String),
    /// The project the beacons are processed for is not valid.
    #[error("project: {0}")]
    Project(#[from] sightline_ingest::IngestError),
    /// The store could not be written.
    #[error("store: {0}")]
    Store(#[from] sightline_store::StoreError),
    /// A generator thread panicked.
    #[error("a generator thread panicked")]
    GeneratorPanicked,
}
