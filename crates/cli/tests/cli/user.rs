//! The first dashboard user and `sightline user` with the real binary: the password printed
//! once at the first start (or taken from `SIGHTLINE_ADMIN_PASSWORD`), never again, and
//! logins with the passwords the CLI sets.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::support::sightline;

/// A running `sightline serve` whose standard error is collected until it stops.
struct Serve {
    child: Child,
    address: String,
    stderr: std::thread::JoinHandle<String>,
}

fn start(data_dir: &Path, env: &[(&str, &str)]) -> Serve {
    let mut command = sightline();
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--log-level", "warn", "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start sightline");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let banner = lines.next().expect("a banner").expect("a banner line");
    // Read to the end: a closed pipe would fail the server's next write to it.
    std::thread::spawn(move || lines.for_each(drop));
    let address = banner.rsplit("http://").next().expect("an address").to_owned();
    let mut stderr = child.stderr.take().expect("stderr");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // Answering means serving, and so listening for SIGTERM too.
    let mut health = TcpStream::connect(&address).expect("connects");
    write!(health, "GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").expect("sends");
    let mut answer = String::new();
    let _ = health.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    Serve { child, address, stderr }
}

/// Stops the server (SIGTERM) and returns what it wrote on standard error.
fn stop(mut serve: Serve) -> String {
    let status = Command::new("kill").args(["-TERM", &serve.child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = serve.child.wait().expect("waits");
    let stderr = serve.stderr.join().expect("stderr reader");
    assert!(exit.success(), "{exit:?}: {stderr}");
    stderr
}

/// `POST /api/v1/session`; returns the status line.
fn login(address: &str, user: &str, password: &str) -> String {
    let body = format!(r#"{{"user":"{user}","password":"{password}"}}"#);
    let mut stream = TcpStream::connect(address).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("a timeout");
    write!(
        stream,
        "POST /api/v1/session HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         X-Sightline-CSRF: 1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("sends");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

fn user(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = sightline()
        .arg("user")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("writes stdin");
    }
    drop(input);
    child.wait_with_output().expect("finishes")
}

fn ok(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_first_admin_password_is_printed_once_and_never_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = start(dir.path(), &[]);
    let address = first.address.clone();
    let stderr = stop(first);
    let line = stderr.lines().find(|line| line.contains("created the dashboard user")).expect(&stderr);
    let password = line.split("password ").nth(1).and_then(|rest| rest.split_whitespace().next()).expect(line);
    assert_eq!(password.len(), 20, "{line}");
    assert!(stderr.contains(&format!("http://{address}/")), "the login URL: {stderr}");

    let again = start(dir.path(), &[("SIGHTLINE_ADMIN_PASSWORD", "ignored now")]);
    let status = login(&again.address, "admin", password);
    assert!(status.contains(" 200 "), "the printed password logs in: {status} {password}");
    assert!(login(&again.address, "admin", "ignored now").contains(" 401 "));
    let stderr = stop(again);
    assert!(!stderr.contains(password) && !stderr.contains("created the dashboard user"), "{stderr}");
    let stored = std::fs::read_to_string(dir.path().join("users.json")).expect("users.json");
    assert!(!stored.contains(password) && stored.contains("$argon2id$"), "{stored}");
}

#[test]
fn the_admin_password_may_come_from_the_environment_and_the_cli_manages_users() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = start(dir.path(), &[("SIGHTLINE_ADMIN_PASSWORD", "from the environment")]);
    assert!(login(&serve.address, "admin", "from the environment").contains(" 200 "));

    let made_up = ok(&user(dir.path(), &["create", "alice"], None)).trim().to_owned();
    assert_eq!(made_up.len(), 20, "{made_up}");
    ok(&user(dir.path(), &["create", "bob", "--password-stdin"], Some("bobs password\n")));
    let short = user(dir.path(), &["create", "carol", "--password-stdin"], Some("short\n"));
    assert!(!short.status.success() && String::from_utf8_lossy(&short.stderr).contains("at least 8"));
    let list = ok(&user(dir.path(), &["list"], None));
    assert!(list.starts_with("NAME") && list.contains("alice") && list.contains("bob"), "{list}");
    assert!(!list.contains("argon2"), "{list}");

    // A running server sees the file change within about a second.
    std::thread::sleep(Duration::from_millis(1100));
    assert!(login(&serve.address, "alice", &made_up).contains(" 200 "));
    assert!(login(&serve.address, "bob", "bobs password").contains(" 200 "));
    ok(&user(dir.path(), &["set-password", "bob", "--password-stdin"], Some("a new password\n")));
    ok(&user(dir.path(), &["delete", "alice"], None));
    std::thread::sleep(Duration::from_millis(1100));
    assert!(login(&serve.address, "bob", "a new password").contains(" 200 "));
    assert!(login(&serve.address, "alice", &made_up).contains(" 401 "));
    let missing = user(dir.path(), &["delete", "alice"], None);
    assert!(!missing.status.success() && String::from_utf8_lossy(&missing.stderr).contains("no user named"));
    let stderr = stop(serve);
    assert!(!stderr.contains("from the environment"), "the password itself is never printed: {stderr}");
}
