//! IP → country / region / city from a MaxMind-format database, or from CDN headers.
//! (Being written: see the module contract in `enrich.rs`.)

use std::net::IpAddr;
use std::path::Path;

use sightline_protocol::GeoInfo;

/// Looks up locations in a MaxMind DB (GeoLite2/GeoIP2 City or Country format).
#[derive(Debug)]
pub struct GeoDatabase {}

impl GeoDatabase {
    /// Opens the database at `path`.
    pub fn open(path: &Path) -> Result<Self, crate::IngestError> {
        let _ = path;
        Ok(Self {})
    }

    /// The location of `ip`; all fields `None` when the address is not in the database.
    pub fn locate(&self, ip: IpAddr) -> GeoInfo {
        let _ = ip;
        GeoInfo::default()
    }
}
