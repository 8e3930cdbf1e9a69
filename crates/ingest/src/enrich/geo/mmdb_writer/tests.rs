//! The writer's output read back by the `maxminddb` crate, an independent reader.

use std::net::IpAddr;

use maxminddb::{Reader, geoip2};

use super::*;

fn net(text: &str) -> IpNet {
    text.parse().expect("test network")
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

/// Networks nested three deep in IPv4 and two deep in IPv6, plus a country-only record.
fn city_writer() -> MmdbWriter {
    let mut writer = MmdbWriter::new("GeoIP2-City");
    writer
        .insert(net("81.2.69.0/24"), CityRecord::new("GB", "ENG", "London"))
        .insert(net("81.0.0.0/8"), CityRecord::country("GB"))
        .insert(net("81.2.69.142/32"), CityRecord::new("GB", "SCT", "Edinburgh"))
        .insert(net("2a02:c7f::/32"), CityRecord::country("GB"))
        .insert(net("2a02:c7f:1234::/48"), CityRecord::new("GB", "WLS", "Cardiff"))
        .insert(net("2001:4860::/32"), CityRecord::new("US", "CA", "Mountain View"));
    writer
}

fn reader(writer: &MmdbWriter) -> Reader<Vec<u8>> {
    let reader = Reader::from_source(writer.to_bytes()).expect("the reader accepts the file");
    reader.verify().expect("the file passes the reader's full verification");
    reader
}

/// (country, subdivision, city, network) as `maxminddb` decodes them with its GeoIP2 schema.
fn lookup(reader: &Reader<Vec<u8>>, address: &str) -> Option<(String, String, String, String)> {
    let found = reader.lookup(ip(address)).expect("lookup");
    let network = found.network().expect("network").to_string();
    let city: geoip2::City<'_> = found.decode().expect("decodes as GeoIP2-City")?;
    let subdivision = city.subdivisions.first().and_then(|s| s.iso_code).unwrap_or("");
    Some((
        city.country.iso_code.unwrap_or("").to_owned(),
        subdivision.to_owned(),
        city.city.names.english.unwrap_or("").to_owned(),
        network,
    ))
}

fn expected(country: &str, subdivision: &str, city: &str, network: &str) -> Option<(String, String, String, String)> {
    Some((country.into(), subdivision.into(), city.into(), network.into()))
}

#[test]
fn every_record_size_reads_back_with_the_most_specific_network() {
    // The reader names the tree leaf holding the address: a /24 split by a /32 inside it
    // leaves 81.2.69.160/27 around .160, and the /8 split by the /24 leaves 81.128.0.0/9.
    for record_size in [RecordSize::Bits24, RecordSize::Bits28, RecordSize::Bits32] {
        let reader = reader(&city_writer().record_size(record_size));
        assert_eq!(reader.metadata().record_size, record_size.bits());
        assert_eq!(lookup(&reader, "81.2.69.160"), expected("GB", "ENG", "London", "81.2.69.160/27"));
        assert_eq!(lookup(&reader, "81.2.69.142"), expected("GB", "SCT", "Edinburgh", "81.2.69.142/32"));
        assert_eq!(lookup(&reader, "81.200.1.1"), expected("GB", "", "", "81.128.0.0/9"));
        assert_eq!(lookup(&reader, "2a02:c7f:1234::1"), expected("GB", "WLS", "Cardiff", "2a02:c7f:1234::/48"));
        assert_eq!(lookup(&reader, "2a02:c7f:ffff::1"), expected("GB", "", "", "2a02:c7f:8000::/33"));
        assert_eq!(lookup(&reader, "2001:4860::8888"), expected("US", "CA", "Mountain View", "2001:4860::/32"));
    }
}

#[test]
fn addresses_outside_every_network_miss() {
    let reader = reader(&city_writer());
    for address in ["1.1.1.1", "82.0.0.1", "80.255.255.255", "2a02:c80::1", "::1", "ffff::1"] {
        assert!(!reader.lookup(ip(address)).expect("lookup").has_data(), "{address}");
    }
}

#[test]
fn ipv4_mapped_addresses_reach_the_ipv4_records() {
    let reader = reader(&city_writer());
    assert_eq!(lookup(&reader, "::ffff:81.2.69.160").map(|found| found.2), Some("London".into()));
    assert_eq!(lookup(&reader, "::81.2.69.160").map(|found| found.2), Some("London".into()));
}

#[test]
fn ipv4_mapped_networks_are_stored_as_ipv4() {
    let mut writer = MmdbWriter::new("GeoIP2-City");
    writer.insert(net("::ffff:198.51.100.0/120"), CityRecord::country("NL"));
    let reader = reader(&writer);
    assert_eq!(lookup(&reader, "198.51.100.9"), expected("NL", "", "", "198.51.100.0/24"));
}

#[test]
fn insertion_order_does_not_matter_and_the_last_duplicate_wins() {
    let mut writer = MmdbWriter::new("GeoIP2-City");
    writer
        .insert(net("81.2.69.0/24"), CityRecord::country("FR"))
        .insert(net("81.2.69.0/24"), CityRecord::new("GB", "ENG", "London"))
        .insert(net("81.0.0.0/8"), CityRecord::country("GB"));
    let reader = reader(&writer);
    assert_eq!(lookup(&reader, "81.2.69.1").map(|found| found.2), Some("London".into()));
    assert_eq!(lookup(&reader, "81.3.0.1").map(|found| found.0), Some("GB".into()));
}

#[test]
fn the_whole_address_space_can_hold_one_record() {
    let mut writer = MmdbWriter::new("GeoIP2-Country");
    writer.insert(net("::/0"), CityRecord::country("AQ"));
    let reader = reader(&writer);
    assert_eq!(lookup(&reader, "2600::1").map(|found| found.0), Some("AQ".into()));
    assert_eq!(lookup(&reader, "8.8.8.8").map(|found| found.0), Some("AQ".into()));
}

#[test]
fn an_empty_database_is_valid_and_finds_nothing() {
    let reader = reader(&MmdbWriter::new("GeoIP2-City"));
    assert_eq!(reader.metadata().node_count, 1);
    assert!(!reader.lookup(ip("8.8.8.8")).expect("lookup").has_data());
}

#[test]
fn ipv4_only_databases_have_a_32_bit_tree() {
    let mut writer = MmdbWriter::new("GeoLite2-Country").ipv4_only();
    writer.insert(net("81.2.69.0/24"), CityRecord::country("GB"));
    let reader = reader(&writer);
    assert_eq!(reader.metadata().ip_version, 4);
    assert_eq!(reader.metadata().node_count, 24);
    assert_eq!(lookup(&reader, "81.2.69.7"), expected("GB", "", "", "81.2.69.0/24"));
    assert!(reader.lookup(ip("2001:db8::1")).is_err(), "IPv6 cannot be looked up in it");
}

#[test]
#[should_panic(expected = "IPv4-only")]
fn ipv6_networks_do_not_fit_an_ipv4_only_database() {
    MmdbWriter::new("GeoLite2-Country").ipv4_only().insert(net("2001:db8::/32"), CityRecord::country("GB"));
}

#[test]
fn metadata_carries_the_required_keys() {
    let reader = reader(&city_writer().build_epoch(1_700_000_000));
    let metadata = reader.metadata();
    assert_eq!(metadata.binary_format_major_version, 2);
    assert_eq!(metadata.binary_format_minor_version, 0);
    assert_eq!(metadata.build_epoch, 1_700_000_000);
    assert_eq!(metadata.database_type, "GeoIP2-City");
    assert_eq!(metadata.ip_version, 6);
    assert_eq!(metadata.languages, ["en"]);
    assert_eq!(metadata.description.get("en").map(String::as_str), Some("Sightline test database"));
    assert_eq!(metadata.record_size, 24);
}

#[test]
fn output_is_deterministic_and_identical_records_are_stored_once() {
    let writer = city_writer().build_epoch(1);
    assert_eq!(writer.to_bytes(), writer.to_bytes());
    let mut once = MmdbWriter::new("GeoIP2-City").build_epoch(1);
    once.insert(net("81.0.0.0/8"), CityRecord::country("GB"));
    let mut twice = once.clone();
    twice.insert(net("2a02:c7f::/32"), CityRecord::country("GB"));
    let mut different = once.clone();
    different.insert(net("2a02:c7f::/32"), CityRecord::country("FR"));
    let data_len = |writer: &MmdbWriter| writer.data_section().0.len();
    assert_eq!(data_len(&twice), data_len(&once));
    assert!(data_len(&different) > data_len(&once));
}

#[test]
fn every_value_type_decodes_to_what_was_written() {
    let value = MmdbValue::map([
        ("text", MmdbValue::from("São Paulo")),
        ("long_text", MmdbValue::String("x".repeat(70_000))),
        ("latitude", MmdbValue::Double(-23.5505)),
        ("u16", MmdbValue::Uint16(u16::MAX)),
        ("u32", MmdbValue::Uint32(0)),
        ("u64", MmdbValue::Uint64(u64::MAX)),
        ("flag", MmdbValue::Bool(true)),
        ("list", MmdbValue::Array(vec![MmdbValue::Uint16(1), MmdbValue::from("two")])),
        ("nested", MmdbValue::map([("empty", MmdbValue::map(Vec::<(String, MmdbValue)>::new()))])),
    ]);
    let mut writer = MmdbWriter::new("Sightline-Test");
    writer.insert_value(net("192.0.2.0/24"), value);
    let reader = reader(&writer);
    let decoded: serde_json::Value =
        reader.lookup(ip("192.0.2.1")).expect("lookup").decode().expect("decode").expect("found");
    let expected = serde_json::json!({
        "text": "São Paulo",
        "long_text": "x".repeat(70_000),
        "latitude": -23.5505,
        "u16": 65535,
        "u32": 0,
        "u64": u64::MAX,
        "flag": true,
        "list": [1, "two"],
        "nested": {"empty": {}},
    });
    assert_eq!(decoded, expected);
}

#[test]
fn a_data_section_past_16_mib_switches_to_28_bit_records() {
    let mut writer = MmdbWriter::new("GeoIP2-City");
    writer
        .insert_value(net("192.0.2.0/24"), MmdbValue::String("x".repeat(1 << 24)))
        .insert(net("198.51.100.0/24"), CityRecord::new("GB", "ENG", "London"));
    let reader = reader(&writer);
    assert_eq!(reader.metadata().record_size, 28);
    let found = reader.lookup(ip("198.51.100.1")).expect("lookup");
    assert!(found.offset().is_some_and(|offset| offset > 1 << 24), "the pointer needs the top nibble");
    assert_eq!(lookup(&reader, "198.51.100.1").map(|found| found.2), Some("London".into()));
}

#[test]
fn a_written_file_opens_from_disk() {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    city_writer().write_to(file.path()).expect("write");
    let reader = Reader::open_readfile(file.path()).expect("open");
    assert_eq!(lookup(&reader, "81.2.69.160").map(|found| found.2), Some("London".into()));
}
