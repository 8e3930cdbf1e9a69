//! IP → country / region / city, from a MaxMind-format database or from CDN headers.
//!
//! Two sources give the same [`GeoInfo`]: [`GeoDatabase`] reads a GeoLite2/GeoIP2 City or
//! Country `.mmdb` file into memory at startup and answers lookups for public addresses;
//! [`CdnGeoHeaders`] reads the location a CDN already computed, when the operator trusts
//! the CDN. Every value from either source goes through the same sanitizers, so a location
//! is always an upper-case alpha-2 country, a short alphanumeric region code and a bounded,
//! printable city name, or unknown. The client address itself comes from
//! [`client_ip`](crate::privacy::client_ip::client_ip). No database is shipped; tests build
//! their own with [`MmdbWriter`], which is public (and always compiled, small) so that one
//! build of the crate serves the binary and every crate's tests.

mod cdn;
mod fields;
mod mmdb_writer;

use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use maxminddb::{LookupResult, PathElement, Reader};
use sightline_protocol::GeoInfo;

pub use self::cdn::CdnGeoHeaders;
pub use self::mmdb_writer::{CityRecord, MmdbValue, MmdbWriter, RecordSize};
use crate::IngestError;

/// Where the GeoIP2 schema keeps each field.
const COUNTRY_PATH: [PathElement<'static>; 2] = [PathElement::Key("country"), PathElement::Key("iso_code")];
const REGION_PATH: [PathElement<'static>; 3] =
    [PathElement::Key("subdivisions"), PathElement::Index(0), PathElement::Key("iso_code")];
const CITY_PATH: [PathElement<'static>; 3] =
    [PathElement::Key("city"), PathElement::Key("names"), PathElement::Key("en")];

/// What to tell an operator whose `geoip_db` cannot be used.
const FIX_HINT: &str = "point geoip_db at a GeoLite2-City or GeoIP2-City .mmdb file";

/// Looks up locations in a MaxMind DB (GeoLite2/GeoIP2 City or Country format).
///
/// The whole file is read into memory (GeoLite2-City is about 60 MB); lookups take no lock
/// and the value can be shared between threads behind an `Arc`.
#[derive(Debug)]
pub struct GeoDatabase {
    reader: Reader<Vec<u8>>,
}

impl GeoDatabase {
    /// Opens the database at `path`.
    ///
    /// Fails with [`IngestError::Config`], naming the file and what to do, when the file
    /// cannot be read, is not a MaxMind DB (truncated, corrupt, still in its `.tar.gz`), or
    /// holds no locations (an ASN or anonymous-IP database, for instance).
    pub fn open(path: &Path) -> Result<Self, IngestError> {
        let source = format!("geoip_db {}", path.display());
        let bytes = fs::read(path)
            .map_err(|error| IngestError::Config(format!("cannot open {source}: {error} — {FIX_HINT}")))?;
        Self::load(bytes, &source)
    }

    /// Uses a database already in memory; fails like [`open`](Self::open).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, IngestError> {
        Self::load(bytes, "the geoip database")
    }

    /// Parses and checks the database; `source` names it in errors.
    fn load(bytes: Vec<u8>, source: &str) -> Result<Self, IngestError> {
        let archive_error = |archive: &str| {
            IngestError::Config(format!(
                "{source} is a {archive} archive — extract the .mmdb file from it and {FIX_HINT}"
            ))
        };
        if is_tar(&bytes) {
            return Err(archive_error("tar"));
        }
        let is_gzip = bytes.starts_with(&GZIP_MAGIC);
        let reader = Reader::from_source(bytes).map_err(|error| {
            if is_gzip {
                return archive_error("gzip (.tar.gz)");
            }
            IngestError::Config(format!("{source} is not a valid MaxMind database ({error}) — {FIX_HINT}"))
        })?;
        let database_type = &reader.metadata().database_type;
        if !has_locations(database_type) {
            return Err(IngestError::Config(format!(
                "{source} is a {database_type:?} database, which holds no locations — {FIX_HINT} \
                 (a Country database also works)"
            )));
        }
        Ok(Self { reader })
    }

    /// The database's type, e.g. `GeoLite2-City`, for the startup log.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// When the database was built, in seconds since 1970, to warn about stale files.
    pub fn build_epoch(&self) -> u64 {
        self.reader.metadata().build_epoch
    }

    /// The location of `ip`; all fields `None` when the address is not in the database.
    ///
    /// Private, loopback, link-local, documentation and other non-public addresses are
    /// never looked up. IPv4-mapped IPv6 addresses are looked up as IPv4. A record that does
    /// not follow the GeoIP2 schema, or holds values that fail validation, yields `None`
    /// for the fields concerned; nothing here panics on a malformed file.
    pub fn locate(&self, ip: IpAddr) -> GeoInfo {
        let ip = ip.to_canonical();
        let ipv6_in_ipv4_database = ip.is_ipv6() && self.reader.metadata().ip_version == 4;
        if !is_public(ip) || ipv6_in_ipv4_database {
            return GeoInfo::default();
        }
        let Ok(found) = self.reader.lookup(ip) else {
            return GeoInfo::default();
        };
        GeoInfo {
            country: string_at(&found, &COUNTRY_PATH).and_then(fields::country_code),
            region: string_at(&found, &REGION_PATH).and_then(fields::region_code),
            city: string_at(&found, &CITY_PATH).and_then(fields::city_name),
        }
    }
}

/// The string at `path` in the record found, if there is one and it is a string.
fn string_at<'a>(found: &LookupResult<'a, Vec<u8>>, path: &[PathElement<'_>]) -> Option<&'a str> {
    found.decode_path(path).ok().flatten()
}

/// Database types with GeoIP2 location records: City, Country, Enterprise, and the
/// compatible DB-IP Lite files.
fn has_locations(database_type: &str) -> bool {
    let database_type = database_type.to_ascii_lowercase();
    ["city", "country", "enterprise"].iter().any(|kind| database_type.contains(kind))
}

/// The first bytes of a gzip stream, as in MaxMind's `.tar.gz` downloads.
const GZIP_MAGIC: [u8; 2] = [0x1F, 0x8B];

/// Whether `bytes` is a tar archive (a `.tar.gz` that was only gunzipped): the POSIX
/// header's magic sits at offset 257.
fn is_tar(bytes: &[u8]) -> bool {
    bytes.get(257..262) == Some(b"ustar".as_slice())
}

/// Whether `ip` (already canonical) can belong to a visitor somewhere in the world.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [first, second, third, _] = ip.octets();
    let is_special = ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || first == 0 // "this network"
        || first >= 240 // reserved
        || (first == 100 && (64..128).contains(&second)) // carrier-grade NAT
        || (first == 192 && second == 0 && third == 0) // IETF protocol assignments
        || (first == 198 && (18..20).contains(&second)); // benchmarking
    !is_special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let is_special = ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || segments[..6] == [0; 6] // ::/96: unspecified, loopback, IPv4-compatible
        || (segments[0] == 0x2001 && segments[1] == 0x0db8); // documentation
    !is_special
}

#[cfg(test)]
mod tests;
