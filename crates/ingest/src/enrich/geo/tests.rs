//! `GeoDatabase` over databases written by `MmdbWriter`: lookups, hostile records, bad files.

use std::io::Write;

use proptest::prelude::*;
use tempfile::NamedTempFile;

use super::*;

fn net(text: &str) -> ipnet::IpNet {
    text.parse().expect("test network")
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

fn geo(country: Option<&str>, region: Option<&str>, city: Option<&str>) -> GeoInfo {
    GeoInfo { country: country.map(str::to_owned), region: region.map(str::to_owned), city: city.map(str::to_owned) }
}

fn city_writer() -> MmdbWriter {
    let mut writer = MmdbWriter::new("GeoIP2-City");
    writer
        .insert(net("81.0.0.0/8"), CityRecord::country("GB"))
        .insert(net("81.2.69.0/24"), CityRecord::new("GB", "ENG", "London"))
        .insert(net("2001:4860::/32"), CityRecord::new("US", "CA", "Mountain View"))
        .insert(net("10.0.0.0/8"), CityRecord::new("FR", "IDF", "Paris"))
        .insert(net("fd00::/8"), CityRecord::new("FR", "IDF", "Paris"));
    writer
}

/// Writes `writer`'s database to a temporary file and opens it the way the server does.
fn open(writer: &MmdbWriter) -> GeoDatabase {
    let file = NamedTempFile::new().expect("temp file");
    writer.write_to(file.path()).expect("write database");
    GeoDatabase::open(file.path()).expect("open database")
}

/// The message of the error opening a file holding `bytes`, with the file's path.
fn open_error(bytes: &[u8]) -> (String, String) {
    let mut file = NamedTempFile::new().expect("temp file");
    file.write_all(bytes).expect("write");
    let error = GeoDatabase::open(file.path()).expect_err("the file must be refused");
    (error.to_string(), file.path().display().to_string())
}

#[test]
fn city_databases_give_country_region_and_city() {
    let db = open(&city_writer());
    assert_eq!(db.database_type(), "GeoIP2-City");
    assert_eq!(db.locate(ip("81.2.69.160")), geo(Some("GB"), Some("ENG"), Some("London")));
    assert_eq!(db.locate(ip("81.99.1.1")), geo(Some("GB"), None, None));
    assert_eq!(db.locate(ip("2001:4860::8888")), geo(Some("US"), Some("CA"), Some("Mountain View")));
    assert_eq!(db.locate(ip("::ffff:81.2.69.160")), geo(Some("GB"), Some("ENG"), Some("London")));
}

#[test]
fn unknown_addresses_have_no_location() {
    let db = open(&city_writer());
    for address in ["1.1.1.1", "2a00::1", "82.0.0.1"] {
        assert_eq!(db.locate(ip(address)), GeoInfo::default(), "{address}");
    }
}

#[test]
fn private_and_special_addresses_are_never_looked_up() {
    // The database has records for 10/8 and fd00::/8, as a careless custom file might.
    let db = open(&city_writer());
    for address in ["10.1.2.3", "::ffff:10.1.2.3", "fd12::1", "127.0.0.1", "::1", "0.0.0.0", "::"] {
        assert_eq!(db.locate(ip(address)), GeoInfo::default(), "{address}");
    }
}

#[test]
fn public_addresses_are_told_from_special_ones() {
    for address in ["8.8.8.8", "81.2.69.160", "100.128.0.1", "2001:4860::8888", "2a02:c7f::1"] {
        assert!(is_public(ip(address)), "{address} is public");
    }
    let special = [
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.1.1",
        "255.255.255.255",
        "192.0.2.1",
        "198.51.100.1",
        "203.0.113.1",
        "224.0.0.1",
        "0.1.2.3",
        "240.0.0.1",
        "100.64.0.1",
        "192.0.0.9",
        "198.18.0.1",
        "::",
        "::1",
        "::1.2.3.4",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "2001:db8::1",
    ];
    for address in special {
        assert!(!is_public(ip(address)), "{address} is not public");
    }
}

#[test]
fn country_databases_give_the_country_only() {
    let mut writer = MmdbWriter::new("GeoLite2-Country");
    writer.insert(net("81.2.69.0/24"), CityRecord::country("GB"));
    let db = open(&writer);
    assert_eq!(db.locate(ip("81.2.69.1")), geo(Some("GB"), None, None));
}

#[test]
fn ipv4_only_databases_answer_ipv4_and_mapped_addresses() {
    let mut writer = MmdbWriter::new("GeoLite2-Country").ipv4_only();
    writer.insert(net("81.2.69.0/24"), CityRecord::country("GB"));
    let db = open(&writer);
    assert_eq!(db.locate(ip("::ffff:81.2.69.1")), geo(Some("GB"), None, None));
    assert_eq!(db.locate(ip("2001:4860::8888")), GeoInfo::default());
}

#[test]
fn odd_records_lose_only_the_odd_fields() {
    let string = |text: &str| MmdbValue::from(text);
    let iso = |value: MmdbValue| MmdbValue::map([("iso_code", value)]);
    let city = |value: MmdbValue| MmdbValue::map([("names", MmdbValue::map([("en", value)]))]);
    let cases = [
        // Values of the wrong type.
        ("81.4.0.0/16", MmdbValue::map([("country", iso(MmdbValue::Uint32(826)))]), geo(None, None, None)),
        ("81.5.0.0/16", MmdbValue::from("GB"), geo(None, None, None)),
        ("81.6.0.0/16", MmdbValue::Array(vec![string("GB")]), geo(None, None, None)),
        (
            "81.0.0.0/16",
            MmdbValue::map([
                ("country", string("GB")),
                ("subdivisions", iso(string("ENG"))),
                ("city", city(MmdbValue::Bool(true))),
            ]),
            geo(None, None, None),
        ),
        // Values that fail validation.
        (
            "81.1.0.0/16",
            MmdbValue::map([
                ("country", iso(string("gb"))),
                ("subdivisions", MmdbValue::Array(vec![iso(string("ENGLAND"))])),
                ("city", city(string("Lon\ndon"))),
            ]),
            geo(Some("GB"), None, None),
        ),
        (
            "81.2.0.0/16",
            MmdbValue::map([("country", iso(string("XX"))), ("city", city(string(&"a".repeat(200))))]),
            geo(None, None, None),
        ),
        // An empty subdivision list and a duplicate key.
        (
            "81.3.0.0/16",
            MmdbValue::map([
                ("country", iso(string("GB"))),
                ("subdivisions", MmdbValue::Array(vec![])),
                ("city", city(string("Leeds"))),
            ]),
            geo(Some("GB"), None, Some("Leeds")),
        ),
    ];
    let mut writer = MmdbWriter::new("GeoIP2-City");
    for (network, value, _) in &cases {
        writer.insert_value(net(network), value.clone());
    }
    let db = open(&writer);
    for (network, _, expected) in cases {
        let address = net(network).hosts().next().expect("a host");
        assert_eq!(db.locate(address), expected, "{network}");
    }
}

#[test]
fn missing_empty_and_random_files_are_refused_with_a_fix() {
    let error = GeoDatabase::open(Path::new("/nonexistent/GeoLite2-City.mmdb")).expect_err("missing");
    let message = error.to_string();
    assert!(message.contains("cannot open geoip_db /nonexistent/GeoLite2-City.mmdb"), "{message}");
    assert!(message.contains("GeoLite2-City or GeoIP2-City .mmdb"), "{message}");
    for bytes in [&b""[..], b"<html>404 Not Found</html>", &[0xAB; 4096]] {
        let (message, path) = open_error(bytes);
        assert!(message.contains(&path) && message.contains("not a valid MaxMind database"), "{message}");
    }
}

#[test]
fn truncated_files_are_refused() {
    let bytes = city_writer().to_bytes();
    for keep in [bytes.len() / 2, bytes.len() - 1, bytes.len() - 20] {
        let (message, _) = open_error(&bytes[..keep]);
        assert!(message.contains("not a valid MaxMind database"), "{keep}: {message}");
    }
}

#[test]
fn archives_are_refused_with_a_hint_to_extract_them() {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(&city_writer().to_bytes()).expect("compress");
    let (message, _) = open_error(&gzip.finish().expect("compress"));
    assert!(message.contains("gzip (.tar.gz) archive — extract the .mmdb"), "{message}");

    let mut tar = vec![0; 512];
    tar[257..263].copy_from_slice(b"ustar\0");
    tar.extend_from_slice(&city_writer().to_bytes());
    let (message, _) = open_error(&tar);
    assert!(message.contains("tar archive"), "{message}");
}

#[test]
fn databases_without_locations_are_refused() {
    let mut writer = MmdbWriter::new("GeoLite2-ASN");
    writer.insert_value(net("81.2.69.0/24"), MmdbValue::map([("autonomous_system_number", MmdbValue::Uint32(1))]));
    let (message, _) = open_error(&writer.to_bytes());
    assert!(message.contains("\"GeoLite2-ASN\" database, which holds no locations"), "{message}");
}

#[test]
fn in_memory_databases_open_too() {
    let db = GeoDatabase::from_bytes(city_writer().build_epoch(42).to_bytes()).expect("valid");
    assert_eq!(db.build_epoch(), 42);
    let error = GeoDatabase::from_bytes(Vec::new()).expect_err("empty");
    assert!(error.to_string().starts_with("the geoip database is not a valid"), "{error}");
}

/// Addresses that walk every part of the tree of `city_writer`.
const PROBES: [&str; 6] = ["81.2.69.160", "81.99.1.1", "1.1.1.1", "2001:4860::8888", "2a00::1", "::ffff:81.2.69.1"];

#[test]
fn a_tree_pointing_past_the_data_finds_nothing_and_does_not_panic() {
    let mut bytes = city_writer().to_bytes();
    let metadata = Reader::from_source(bytes.as_slice()).expect("valid").metadata().clone();
    let tree_len = metadata.node_count as usize * usize::from(metadata.record_size) / 4;
    bytes[..tree_len].fill(0xFF);
    let db = GeoDatabase::from_bytes(bytes).expect("the metadata is intact");
    for address in PROBES {
        assert_eq!(db.locate(ip(address)), GeoInfo::default(), "{address}");
    }
}

proptest! {
    #[test]
    fn corrupted_databases_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16)) {
        let mut bytes = city_writer().build_epoch(0).to_bytes();
        let len = bytes.len();
        for (index, value) in flips {
            bytes[index.index(len)] = value;
        }
        if let Ok(db) = GeoDatabase::from_bytes(bytes) {
            for address in PROBES {
                let located = db.locate(ip(address));
                prop_assert!(located.country.as_ref().is_none_or(|c| c.len() == 2));
            }
        }
    }
}
