//! A small MaxMind DB writer, so tests build the databases they read.
//!
//! No database file is committed or downloaded: a test inserts a few networks with the
//! records it needs and gets the bytes of a valid `.mmdb` file, readable by
//! [`GeoDatabase`](super::GeoDatabase) and by any MaxMind DB reader. The file is laid out as
//! the format specifies: the search tree, 16 zero bytes, the data section, then the
//! metadata map after the `\xAB\xCD\xEFMaxMind.com` marker.
//!
//! By default the tree covers IPv6, with IPv4 networks stored under `::/96` and the
//! IPv4-mapped range `::ffff:0:0/96` aliased to them, as MaxMind's own databases do.
//! Data pointers (type 1) are never written: identical records are stored once instead.

mod tree;
mod value;

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use ipnet::IpNet;

use self::tree::{DATA_SECTION_SEPARATOR, SearchTree};
pub use self::value::MmdbValue;

/// Starts the metadata section; the last occurrence in the file counts.
const METADATA_MARKER: &[u8] = b"\xAB\xCD\xEFMaxMind.com";

/// `::ffff:0:0/96`, the IPv4-mapped IPv6 range, as the top 96 bits of an address.
const IPV4_MAPPED_PREFIX: u128 = 0xFFFF << 32;

/// Bits per search-tree record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordSize {
    /// 24-bit records: trees and data sections up to 16 MiB.
    Bits24,
    /// 28-bit records (the size GeoLite2-City uses).
    Bits28,
    /// 32-bit records.
    Bits32,
}

impl RecordSize {
    /// The record size in bits, as written in the metadata.
    pub fn bits(self) -> u16 {
        match self {
            Self::Bits24 => 24,
            Self::Bits28 => 28,
            Self::Bits32 => 32,
        }
    }

    /// Bytes per node (two records).
    fn node_bytes(self) -> usize {
        usize::from(self.bits()) / 4
    }

    /// The largest record value this size holds.
    fn max_value(self) -> u64 {
        (1_u64 << self.bits()) - 1
    }
}

/// The location part of a GeoIP2-City record; `None` fields are left out of the record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CityRecord {
    /// `country.iso_code`, e.g. `FR`.
    pub country_iso: Option<String>,
    /// `subdivisions[0].iso_code`, e.g. `IDF`.
    pub subdivision_iso: Option<String>,
    /// `city.names.en`, e.g. `Paris`.
    pub city_en: Option<String>,
}

impl CityRecord {
    /// A record with all three parts.
    pub fn new(country_iso: &str, subdivision_iso: &str, city_en: &str) -> Self {
        Self {
            country_iso: Some(country_iso.to_owned()),
            subdivision_iso: Some(subdivision_iso.to_owned()),
            city_en: Some(city_en.to_owned()),
        }
    }

    /// A record with a country only, as in a GeoIP2-Country database.
    pub fn country(country_iso: &str) -> Self {
        Self { country_iso: Some(country_iso.to_owned()), ..Self::default() }
    }

    /// The record laid out as GeoIP2 does.
    pub fn into_value(self) -> MmdbValue {
        let mut entries = Vec::new();
        if let Some(city) = self.city_en {
            let names = MmdbValue::map([("en", MmdbValue::String(city))]);
            entries.push(("city", MmdbValue::map([("names", names)])));
        }
        if let Some(country) = self.country_iso {
            entries.push(("country", MmdbValue::map([("iso_code", MmdbValue::String(country))])));
        }
        if let Some(subdivision) = self.subdivision_iso {
            let first = MmdbValue::map([("iso_code", MmdbValue::String(subdivision))]);
            entries.push(("subdivisions", MmdbValue::Array(vec![first])));
        }
        MmdbValue::map(entries)
    }
}

/// Builds a MaxMind DB file in memory: `MmdbWriter::new("GeoIP2-City")`, then
/// `insert(network, CityRecord::new("GB", "ENG", "London"))` per network, then
/// [`to_bytes`](Self::to_bytes) or [`write_to`](Self::write_to).
///
/// Lookups return the record of the most specific network containing the address,
/// whatever the insertion order; inserting the same network twice keeps the later record.
#[derive(Debug, Clone)]
pub struct MmdbWriter {
    database_type: String,
    ipv4_only: bool,
    min_record_size: RecordSize,
    build_epoch: u64,
    networks: Vec<(IpNet, MmdbValue)>,
}

impl MmdbWriter {
    /// A writer for an IPv6 database whose `database_type` metadata is `database_type`
    /// (e.g. `GeoIP2-City`, `GeoLite2-Country`), built now.
    pub fn new(database_type: &str) -> Self {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
        Self {
            database_type: database_type.to_owned(),
            ipv4_only: false,
            min_record_size: RecordSize::Bits24,
            build_epoch: now,
            networks: Vec::new(),
        }
    }

    /// Writes an IPv4-only database (`ip_version` 4) instead.
    #[must_use]
    pub fn ipv4_only(mut self) -> Self {
        self.ipv4_only = true;
        self
    }

    /// Uses records of at least this size; a larger one is chosen when needed.
    #[must_use]
    pub fn record_size(mut self, record_size: RecordSize) -> Self {
        self.min_record_size = record_size;
        self
    }

    /// Sets the `build_epoch` metadata (seconds since 1970), for byte-identical output.
    #[must_use]
    pub fn build_epoch(mut self, seconds: u64) -> Self {
        self.build_epoch = seconds;
        self
    }

    /// Adds a network with a GeoIP2-City-shaped record.
    pub fn insert(&mut self, network: IpNet, record: CityRecord) -> &mut Self {
        self.insert_value(network, record.into_value())
    }

    /// Adds a network with any record, e.g. a malformed one a reader must survive.
    ///
    /// # Panics
    /// When the database is IPv4-only and `network` is an IPv6 network outside
    /// `::ffff:0:0/96`.
    pub fn insert_value(&mut self, network: IpNet, value: MmdbValue) -> &mut Self {
        let network = without_ipv4_mapping(network);
        assert!(
            !(self.ipv4_only && matches!(network, IpNet::V6(_))),
            "cannot insert the IPv6 network {network} into an IPv4-only database"
        );
        self.networks.push((network, value));
        self
    }

    /// The database file's bytes.
    ///
    /// # Panics
    /// When a value exceeds the format's size limits or the tree needs more than 32-bit
    /// records, neither of which a test database comes near.
    pub fn to_bytes(&self) -> Vec<u8> {
        let (data_section, data_offsets) = self.data_section();
        let tree = self.search_tree();
        let record_size = self.fitting_record_size(tree.node_count(), data_section.len());
        let mut out = tree.to_bytes(record_size, &data_offsets);
        out.extend_from_slice(&DATA_SECTION_SEPARATOR);
        out.extend_from_slice(&data_section);
        out.extend_from_slice(METADATA_MARKER);
        self.metadata(tree.node_count(), record_size).encode(&mut out);
        out
    }

    /// Writes the database to `path`.
    pub fn write_to(&self, path: &Path) -> io::Result<()> {
        std::fs::write(path, self.to_bytes())
    }

    /// Every distinct record encoded once, and each network's offset into the section.
    fn data_section(&self) -> (Vec<u8>, Vec<usize>) {
        let mut section = Vec::new();
        let mut offset_of = HashMap::new();
        let mut offsets = Vec::with_capacity(self.networks.len());
        for (_, value) in &self.networks {
            let mut encoded = Vec::new();
            value.encode(&mut encoded);
            let offset = *offset_of.entry(encoded).or_insert_with_key(|encoded| {
                section.extend_from_slice(encoded);
                section.len() - encoded.len()
            });
            offsets.push(offset);
        }
        (section, offsets)
    }

    /// The tree with every network inserted, shortest prefix first.
    fn search_tree(&self) -> SearchTree {
        let mut tree = SearchTree::new(if self.ipv4_only { 32 } else { 128 });
        let mut prefixes: Vec<(u128, u8, usize)> = self
            .networks
            .iter()
            .enumerate()
            .map(|(index, (network, _))| {
                let (bits, len) = self.tree_prefix(*network);
                (bits, len, index)
            })
            .collect();
        prefixes.sort_by_key(|&(_, len, _)| len);
        for (bits, len, index) in prefixes {
            tree.insert(bits, len, index);
        }
        if !self.ipv4_only {
            tree.alias(IPV4_MAPPED_PREFIX, 0, 96);
        }
        tree
    }

    /// A network as tree bits and prefix length; IPv4 sits under `::/96` in an IPv6 tree.
    fn tree_prefix(&self, network: IpNet) -> (u128, u8) {
        match network {
            IpNet::V4(v4) if self.ipv4_only => (u128::from(u32::from(v4.network())), v4.prefix_len()),
            IpNet::V4(v4) => (u128::from(u32::from(v4.network())), 96 + v4.prefix_len()),
            IpNet::V6(v6) => (u128::from(v6.network()), v6.prefix_len()),
        }
    }

    /// The smallest record size, at least the requested one, that holds every record value.
    fn fitting_record_size(&self, node_count: usize, data_len: usize) -> RecordSize {
        let largest_value = (node_count + DATA_SECTION_SEPARATOR.len() + data_len) as u64;
        [RecordSize::Bits24, RecordSize::Bits28, RecordSize::Bits32]
            .into_iter()
            .filter(|size| *size >= self.min_record_size)
            .find(|size| size.max_value() >= largest_value)
            .expect("a test database fits 32-bit records")
    }

    /// The metadata map with the keys the format requires.
    fn metadata(&self, node_count: usize, record_size: RecordSize) -> MmdbValue {
        let node_count = u32::try_from(node_count).expect("node count fits the record size");
        let description = MmdbValue::map([("en", MmdbValue::from("Sightline test database"))]);
        MmdbValue::map([
            ("binary_format_major_version", MmdbValue::Uint16(2)),
            ("binary_format_minor_version", MmdbValue::Uint16(0)),
            ("build_epoch", MmdbValue::Uint64(self.build_epoch)),
            ("database_type", MmdbValue::from(self.database_type.as_str())),
            ("description", description),
            ("ip_version", MmdbValue::Uint16(if self.ipv4_only { 4 } else { 6 })),
            ("languages", MmdbValue::Array(vec![MmdbValue::from("en")])),
            ("node_count", MmdbValue::Uint32(node_count)),
            ("record_size", MmdbValue::Uint16(record_size.bits())),
        ])
    }
}

/// `::ffff:a.b.c.d/n` (n ≥ 96) as `a.b.c.d/(n − 96)`: the mapped range is an alias.
fn without_ipv4_mapping(network: IpNet) -> IpNet {
    let IpNet::V6(v6) = network else {
        return network;
    };
    match v6.network().to_ipv4_mapped() {
        Some(v4) if v6.prefix_len() >= 96 => IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).unwrap_or(network),
        _ => network,
    }
}

#[cfg(test)]
mod tests;
