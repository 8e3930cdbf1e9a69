//! Reading a request body with a size cap and a deadline.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use sightline_ingest::{Reason, Rejection};

use crate::config::IntakeConfig;

/// Reads the whole body: at most `max_body_bytes`, within `body_timeout`.
/// A declared `Content-Length` over the cap is refused before reading a byte.
pub(super) async fn read_capped(body: Body, headers: &HeaderMap, config: &IntakeConfig) -> Result<Bytes, Rejection> {
    let max = config.max_body_bytes;
    let too_large =
        || Rejection::new(Reason::PayloadTooLarge, format!("the body is over {max} bytes: send smaller batches"));
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u128>().ok());
    if declared.is_some_and(|length| length > max as u128) {
        return Err(too_large());
    }
    let collected = tokio::time::timeout(config.body_timeout(), Limited::new(body, max).collect()).await;
    match collected {
        Err(_) => Err(Rejection::new(
            Reason::RequestTimeout,
            format!("the body did not arrive within {} s", config.body_timeout_secs),
        )),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(_)) => Err(Rejection::new(Reason::BodyReadFailed, "the request body could not be read")),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}
