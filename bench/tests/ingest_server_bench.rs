//! `ingest-server-bench --smoke` against the debug `sightline` binary: proves the store's
//! ingest benchmark still runs end to end (start, two load phases, metrics, graceful stop,
//! manifest), in a few seconds. It checks that the program works, never a figure.
//!
//! How it finds `sightline`: `BENCH_SIGHTLINE_BINARY` when set, otherwise `sightline` next
//! to this test's own profile directory (`<target>/debug/sightline`, found from the test
//! executable, so `CARGO_TARGET_DIR` is respected). Cargo only builds another package's
//! binary when asked: `cargo test --workspace` (and `make test`) build it, as
//! `sightline-cli` has integration tests; `cargo test -p sightline-bench` alone may not,
//! and then this test is skipped with a message saying how to build it.

use std::path::PathBuf;
use std::process::Command;

fn sightline_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BENCH_SIGHTLINE_BINARY") {
        return Some(PathBuf::from(path));
    }
    // <target>/<profile>/deps/ingest_server_bench-<hash>
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe.parent()?.parent()?;
    let binary = profile_dir.join(format!("sightline{}", std::env::consts::EXE_SUFFIX));
    binary.is_file().then_some(binary)
}

#[test]
fn smoke_run_against_the_real_server_prints_every_figure() {
    let Some(binary) = sightline_binary() else {
        eprintln!(
            "skipped: no debug sightline binary next to this test; build it with `cargo build -p sightline-cli` \
             (or set BENCH_SIGHTLINE_BINARY)"
        );
        return;
    };
    let output = Command::new(env!("CARGO_BIN_EXE_ingest-server-bench"))
        .arg("--smoke")
        .arg("--binary")
        .arg(&binary)
        .output()
        .expect("run ingest-server-bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", output.status);
    for expected in [
        "sustained: 2 000 events/s",
        "half rate: 1 000 events/s",
        "answered 202 (all)",
        "ack ",
        "cores",
        "rss ",
        "flushes",
        "all on disk",
        "  vital ",
        "bytes per vital event",
    ] {
        assert!(stdout.contains(expected), "{expected:?} missing from the report:\n{stdout}\nstderr:\n{stderr}");
    }
}
