//! Prints the API's OpenAPI document (`make openapi` writes it to `docs/openapi.json`).

use std::io::Write as _;

fn main() -> std::io::Result<()> {
    std::io::stdout().lock().write_all(sightline_server::api::openapi::document_text().as_bytes())
}
