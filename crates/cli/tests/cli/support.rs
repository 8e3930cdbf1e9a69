//! What the CLI's tests share: the `sightline` binary with a clean environment, a
//! `sightline serve` on a free loopback port, and a raw HTTP/1.1 beacon post.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A desktop Chrome user agent: beacons from it are counted as real users.
pub const CHROME_UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// The binary under test, without any `SIGHTLINE_*` variable of the environment running the tests.
pub fn sightline() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sightline"));
    for (key, _) in std::env::vars().filter(|(key, _)| key.starts_with("SIGHTLINE_")) {
        command.env_remove(key);
    }
    command
}

/// Starts `sightline serve` on a free loopback port; returns it, its address and the
/// default project's ingest key.
pub fn start(data_dir: &Path) -> (Child, String, String) {
    let (child, address, _) = start_with_banner(data_dir);
    let key = std::fs::read_to_string(data_dir.join("default-ingest-key")).expect("the key file");
    (child, address, key.trim().to_owned())
}

/// Starts `sightline serve` on a free loopback port; returns it, its address and the two
/// lines of its banner (the address, then the default project and its key).
pub fn start_with_banner(data_dir: &Path) -> (Child, String, Vec<String>) {
    let mut child = sightline()
        .args(["serve", "--listen", "127.0.0.1:0", "--log-level", "warn", "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sightline");
    let stdout = child.stdout.take().expect("stdout");
    // Both banner lines are read: closing the pipe before the second would end the server.
    let banner: Vec<String> = BufReader::new(stdout).lines().take(2).map(|line| line.expect("a banner line")).collect();
    assert_eq!(banner.len(), 2, "a banner of two lines: {banner:?}");
    let address = banner[0].rsplit("http://").next().expect("an address in the banner").to_owned();
    (child, address, banner)
}

/// Stops a server as an operator does (SIGTERM) and checks that it exits cleanly.
pub fn stop(mut server: Child) {
    let status = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = server.wait().expect("waits");
    assert!(exit.success(), "a SIGTERM is a clean stop, got {exit:?}");
}

/// Posts a JSON beacon to `/ingest/v1/{key}` as Chrome on `host`; returns the raw answer.
pub fn post_beacon(address: &str, key: &str, host: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("a timeout");
    write!(
        stream,
        "POST /ingest/v1/{key} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         User-Agent: {CHROME_UA}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("sends");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer); // the server may close without reading all
    String::from_utf8_lossy(&answer).into_owned()
}
