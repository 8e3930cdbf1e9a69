//! The `sightline` binary as a user runs it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use sightline_ingest::enrich::geo::{CityRecord, MmdbWriter};

use crate::support::{sightline, start_with_banner, stop};

fn get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

#[test]
fn serve_prints_the_default_key_serves_health_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (child, address, banner) = start_with_banner(dir.path());
    let key = std::fs::read_to_string(dir.path().join("default-ingest-key")).expect("key file");
    assert!(banner[1].contains(key.trim()), "banner shows the key: {banner:?}");
    assert!(get(&address, "/healthz").starts_with("HTTP/1.1 200"));
    assert!(get(&address, "/readyz").starts_with("HTTP/1.1 200"));
    stop(child); // SIGTERM: a graceful shutdown exits 0

    let (mut again, _, banner) = start_with_banner(dir.path());
    assert!(banner[1].contains(key.trim()), "the default key survives restarts");
    again.kill().expect("kill");
    let _ = again.wait();
}

#[test]
fn a_sigterm_as_soon_as_the_banner_is_out_stops_cleanly() {
    // The banner is what supervisors and scripts wait for: from then on a SIGTERM must be a
    // graceful shutdown (exit 0), not the default action that kills the process.
    for _ in 0..3 {
        let dir = tempfile::tempdir().expect("temp dir");
        let (child, _, _) = start_with_banner(dir.path());
        stop(child);
    }
}

#[test]
fn a_typo_in_the_config_file_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sightline.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:0\"\n[intake]\nmax_body = 10\n").expect("write config");
    let output = sightline().arg("check-config").arg("--config").arg(&path).output().expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("max_body") && stderr.contains("sightline.toml"), "{stderr}");
}

#[test]
fn an_unknown_environment_variable_is_named() {
    let output = sightline().arg("check-config").env("SIGHTLINE_LISTN", "x").output().expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("SIGHTLINE_LISTN"));
}

#[test]
fn flags_override_environment_which_overrides_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sightline.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:1111\"\nlog_level = \"debug\"\n").expect("write config");
    let output = sightline()
        .args(["check-config", "--listen", "127.0.0.1:3333"])
        .arg("--config")
        .arg(&path)
        .env("SIGHTLINE_LISTEN", "127.0.0.1:2222")
        .env("SIGHTLINE_LOG_LEVEL", "warn")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("127.0.0.1:3333"), "flag wins: {stdout}");
    assert!(stdout.contains("\"warn\""), "env wins over the file: {stdout}");
}

#[test]
fn the_configuration_doc_example_is_a_valid_config() {
    let docs = include_str!("../../../../docs/configuration.md");
    let example = docs.split("```toml\n").nth(1).and_then(|rest| rest.split("```").next()).expect("toml example");
    let dir = tempfile::tempdir().expect("temp dir");
    let geoip = dir.path().join("GeoLite2-City.mmdb");
    let mut writer = MmdbWriter::new("GeoLite2-City");
    writer.insert("81.2.69.0/24".parse().expect("network"), CityRecord::new("GB", "ENG", "London"));
    writer.write_to(&geoip).expect("write geo database");
    let example = example.replace("/var/lib/sightline/GeoLite2-City.mmdb", &geoip.display().to_string());
    let path = dir.path().join("example.toml");
    std::fs::File::create(&path).and_then(|mut f| f.write_all(example.as_bytes())).expect("write");
    let output = sightline().arg("check-config").arg("--config").arg(&path).output().expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn check_config_refuses_a_geoip_db_that_is_not_a_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bogus = dir.path().join("GeoLite2-City.tar.gz");
    std::fs::write(&bogus, b"not a database").expect("write");
    let output = sightline().arg("check-config").arg("--geoip-db").arg(&bogus).output().expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("geoip_db"));
}

#[test]
fn check_config_shows_the_project_settings_changed_in_the_dashboard() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    std::fs::create_dir(&data_dir).expect("data dir");
    let path = dir.path().join("sightline.toml");
    let config = format!(
        "data_dir = {:?}\n[[projects]]\nid = \"shop\"\ningest_key = \"pk_shop_0123456789\"\nretention_days = 30\n\
         [[projects]]\nid = \"blog\"\ningest_key = \"pk_blog_0123456789\"\n",
        data_dir.display().to_string()
    );
    std::fs::write(&path, config).expect("write config");
    let check = || {
        let output = sightline().arg("check-config").arg("--config").arg(&path).output().expect("run");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("utf-8")
    };
    assert!(check().contains("no project setting is changed in the dashboard"), "{}", check());

    // As the Setup page writes it: shop's retention and bots changed, blog's sample rate invalid.
    let changes = r#"{"version": 1, "projects": {
        "shop": {"settings": {"retention_days": 7, "drop_bots": false}, "updated_at": "2026-12-05T08:00:00Z", "updated_by": "ada"},
        "blog": {"settings": {"sample_rate": 5.0}, "updated_at": "2026-12-05T08:01:00Z", "updated_by": "ada"}}}"#;
    std::fs::write(data_dir.join("project-settings.json"), changes).expect("write settings");
    let stdout = check();
    assert!(stdout.contains("retention_days: 7,"), "the effective settings: {stdout}");
    assert!(stdout.contains("project \"shop\": changed in the dashboard by ada at 2026-12-05T08:00:00Z"), "{stdout}");
    assert!(stdout.contains("  retention_days = 7 (the configuration file says 30)"), "{stdout}");
    assert!(stdout.contains("  drop_bots = false (the configuration file says true)"), "{stdout}");
    assert!(stdout.contains("project \"blog\": the dashboard's changes in") && stdout.contains("left out"), "{stdout}");
    assert!(!stdout.contains("sample_rate: 5.0"), "{stdout}");
}
