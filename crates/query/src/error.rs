//! The crate's one error type.

/// Why a query could not be answered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// The query asks for something the model does not allow (an HTTP 400): `field`
    /// names the offending part, as a JSON path (`tiles[1].statistic`), and the message
    /// says what is wrong in words a client can act on.
    #[error("{field}: {message}")]
    Invalid {
        /// Where in the query, e.g. `range.to` or `filters[0].value`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The engine failed to plan or run the query (an HTTP 500). The detail is for the
    /// log, not for the client.
    #[error("query failed: {0}")]
    Engine(String),
    /// The query needed more memory than the session's memory pool had left (its
    /// runtime's limit, shared by the queries running at once). The detail names the
    /// operators that held the most.
    #[error("query out of memory: {0}")]
    OutOfMemory(String),
}

impl QueryError {
    /// An [`QueryError::Invalid`] for `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into() }
    }

    /// The stable machine-readable code of the error, for the API's error object.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid_query",
            Self::Engine(_) => "query_failed",
            Self::OutOfMemory(_) => "query_out_of_memory",
        }
    }
}

impl From<datafusion::error::DataFusionError> for QueryError {
    fn from(error: datafusion::error::DataFusionError) -> Self {
        match error.find_root() {
            datafusion::error::DataFusionError::ResourcesExhausted(detail) => Self::OutOfMemory(detail.clone()),
            _ => Self::Engine(error.to_string()),
        }
    }
}

impl From<datafusion::arrow::error::ArrowError> for QueryError {
    fn from(error: datafusion::arrow::error::ArrowError) -> Self {
        Self::Engine(error.to_string())
    }
}
