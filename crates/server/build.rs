//! Builds the browser agent (`agent/`) into `$OUT_DIR` so the binary embeds it at `/agent.js`,
//! and the dashboard (`web/`, see `build/dashboard.rs`) so it embeds every file of `web/dist/`.
//!
//! Runs `node agent/scripts/build.mjs --iife-only --out-dir $OUT_DIR` (esbuild, from the
//! repository's `node_modules`, installed by `npm ci`), then writes next to it the gzip copy
//! served to browsers that accept it and a strong ETag of the bytes.
//!
//! `SIGHTLINE_AGENT_JS` names a prebuilt agent file instead (a relative path is resolved against
//! the workspace root): for builds without Node.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{self, Command};
use std::{env, fs};

use flate2::Compression;
use flate2::write::GzEncoder;

#[path = "build/dashboard.rs"]
mod dashboard;

/// Environment variable naming a prebuilt `agent.js`.
const PREBUILT_ENV: &str = "SIGHTLINE_AGENT_JS";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.ancestors().nth(2).expect("the crate lives in <workspace>/crates/server");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo::rerun-if-env-changed={PREBUILT_ENV}");

    let script = match env::var_os(PREBUILT_ENV) {
        Some(prebuilt) if !prebuilt.is_empty() => {
            let path = root.join(prebuilt);
            println!("cargo::rerun-if-changed={}", path.display());
            fs::read(&path).unwrap_or_else(|err| fail(&format!("cannot read {}: {err}", path.display())))
        }
        _ => build_agent(root, &out_dir),
    };

    let mut gzip = GzEncoder::new(Vec::new(), Compression::best());
    gzip.write_all(&script).unwrap_or_else(|err| fail(&format!("cannot gzip the agent: {err}")));
    let gzipped = gzip.finish().unwrap_or_else(|err| fail(&format!("cannot gzip the agent: {err}")));
    let etag = format!("\"{:016x}\"", fnv1a(&script));
    for (name, bytes) in [("agent.js", &script[..]), ("agent.js.gz", &gzipped[..]), ("agent.etag", etag.as_bytes())] {
        let path = out_dir.join(name);
        fs::write(&path, bytes).unwrap_or_else(|err| fail(&format!("cannot write {}: {err}", path.display())));
    }
    dashboard::build(root, &out_dir);
}

/// Runs the agent's esbuild script into `out_dir` and returns the bundle.
fn build_agent(root: &Path, out_dir: &Path) -> Vec<u8> {
    for input in ["agent/src", "agent/scripts/build.mjs", "agent/package.json", "package-lock.json"] {
        println!("cargo::rerun-if-changed={}", root.join(input).display());
    }
    if let Some(missing) =
        ["esbuild", "terser", "web-vitals"].iter().find(|name| !root.join("node_modules").join(name).is_dir())
    {
        fail(&format!(
            "the browser agent cannot be built: {} has no {missing}. Run `npm ci` at the repository root \
             (`make` does this for you), or set {PREBUILT_ENV} to a prebuilt agent.js",
            root.join("node_modules").display()
        ));
    }
    let node = env::var_os("NODE").unwrap_or_else(|| "node".into());
    let output = Command::new(&node)
        .arg(root.join("agent/scripts/build.mjs"))
        .args(["--iife-only", "--out-dir"])
        .arg(out_dir)
        .current_dir(root)
        .output()
        .unwrap_or_else(|err| fail(&format!("cannot run node ({err}): install Node.js 20 or newer, then `npm ci`")));
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        fail(&format!("building the browser agent failed: {}", stderr.trim().replace('\n', " | ")));
    }
    let path = out_dir.join("agent.js");
    fs::read(&path).unwrap_or_else(|err| fail(&format!("cannot read {}: {err}", path.display())))
}

/// 64-bit FNV-1a: a stable fingerprint of the bundle for its ETag.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// Reports `message` as a build error and stops the build.
fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    process::exit(1);
}
