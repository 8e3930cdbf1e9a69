//! The dashboard half of `build.rs`: runs `npm run --silent web:build` (which writes
//! `web/dist/`), then copies every file of `web/dist/` into `$OUT_DIR/dashboard/` with a
//! gzip copy and a strong ETag, and writes `$OUT_DIR/dashboard_assets.rs`: the table of
//! assets that `src/dashboard.rs` includes.
//!
//! Until the repository has a `web:build` script, a small built-in page is embedded that
//! says how to build the dashboard. Once it has one, a failing build fails this build.
//! `SIGHTLINE_WEB_DIST` names a prebuilt `dist` folder instead (for builds without Node).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::{fail, fnv1a};

/// Environment variable naming a prebuilt dashboard folder (`web/dist`).
const PREBUILT_ENV: &str = "SIGHTLINE_WEB_DIST";

/// The page served when the dashboard was not built (no `web:build` script yet).
const NOT_BUILT_PAGE: &str = "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
<title>Sightline</title></head>\n<body>\n<h1>Sightline</h1>\n<p>This binary was built without the \
dashboard: the repository had no <code>web:build</code> npm script.</p>\n<p>Build it with \
<code>npm ci</code> and then <code>cargo build -p sightline-cli</code> (or <code>make build</code>) \
in a checkout that has <code>web/</code>. The API under <code>/api/v1</code> works without it.</p>\n\
</body>\n</html>\n";

/// Builds the dashboard (or takes the prebuilt or built-in one) and writes the asset table.
pub fn build(root: &Path, out_dir: &Path) {
    println!("cargo::rerun-if-env-changed={PREBUILT_ENV}");
    let assets_dir = out_dir.join("dashboard");
    let _ = fs::remove_dir_all(&assets_dir);
    fs::create_dir_all(&assets_dir)
        .unwrap_or_else(|err| fail(&format!("cannot create {}: {err}", assets_dir.display())));
    let mut built = true;
    let files = match env::var_os(PREBUILT_ENV) {
        Some(prebuilt) if !prebuilt.is_empty() => read_dist(&root.join(prebuilt)),
        _ if has_web_build_script(root) => {
            run_web_build(root);
            read_dist(&root.join("web/dist"))
        }
        _ => {
            println!(
                "cargo::warning=the dashboard is not built (no `web:build` script in package.json): \
                 `/` serves a page that says so"
            );
            built = false;
            vec![("index.html".to_owned(), NOT_BUILT_PAGE.as_bytes().to_vec())]
        }
    };
    if !files.iter().any(|(name, _)| name == "index.html") {
        fail("the dashboard build has no index.html in web/dist: check the `web:build` script");
    }
    write_table(&assets_dir, out_dir, &files);
    write(&out_dir.join("dashboard_built.rs"), built.to_string().as_bytes());
}

/// Whether the root `package.json` declares the dashboard's build script.
fn has_web_build_script(root: &Path) -> bool {
    let manifest = root.join("package.json");
    println!("cargo::rerun-if-changed={}", manifest.display());
    fs::read_to_string(&manifest).is_ok_and(|text| text.contains("\"web:build\""))
}

/// Runs `npm run --silent web:build` at the repository root; its failure fails the build.
fn run_web_build(root: &Path) {
    watch_sources(root);
    if !root.join("node_modules").is_dir() {
        fail(&format!(
            "the dashboard cannot be built: {} is missing. Run `npm ci` at the repository root \
             (`make` does this for you), or set {PREBUILT_ENV} to a prebuilt web/dist folder",
            root.join("node_modules").display()
        ));
    }
    let npm = env::var_os("NPM").unwrap_or_else(|| "npm".into());
    let output = Command::new(&npm)
        .args(["run", "--silent", "web:build"])
        .current_dir(root)
        .output()
        .unwrap_or_else(|err| fail(&format!("cannot run npm ({err}): install Node.js 20 or newer, then `npm ci`")));
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let said = format!("{} {}", stderr.trim(), stdout.trim()).trim().replace('\n', " | ");
        fail(&format!("building the dashboard (`npm run web:build`) failed: {said}"));
    }
}

/// Re-runs the build when anything in `web/` but its output changes (watching `web/dist`
/// would re-run every build, since the build itself writes it).
fn watch_sources(root: &Path) {
    println!("cargo::rerun-if-changed={}", root.join("package-lock.json").display());
    let web = root.join("web");
    let Ok(entries) = fs::read_dir(&web) else {
        println!("cargo::rerun-if-changed={}", web.display());
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name != "dist" && name != "node_modules" {
            println!("cargo::rerun-if-changed={}", entry.path().display());
        }
    }
}

/// Every file under `dist`, by path relative to it (with `/`), sorted.
fn read_dist(dist: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    collect(dist, dist, &mut files);
    if files.is_empty() {
        fail(&format!("{} holds no files: the dashboard build wrote nothing", dist.display()));
    }
    files.sort();
    files
}

fn collect(dist: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|err| fail(&format!("cannot read {}: {err}", dir.display())));
    for entry in entries {
        let path = entry.unwrap_or_else(|err| fail(&format!("cannot read {}: {err}", dir.display()))).path();
        if path.is_dir() {
            collect(dist, &path, files);
            continue;
        }
        let relative = path.strip_prefix(dist).unwrap_or(&path);
        let name = relative.components().map(|part| part.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        let bytes = fs::read(&path).unwrap_or_else(|err| fail(&format!("cannot read {}: {err}", path.display())));
        files.push((name, bytes));
    }
}

/// Writes each file, its gzip copy when that is smaller, and the table of assets.
fn write_table(assets_dir: &Path, out_dir: &Path, files: &[(String, Vec<u8>)]) {
    let mut table = String::from("&[\n");
    for (index, (name, bytes)) in files.iter().enumerate() {
        let plain = assets_dir.join(format!("{index}.bin"));
        write(&plain, bytes);
        let gzipped = gzip(bytes);
        let gzip_expr = if gzipped.len() + 64 < bytes.len() {
            let path = assets_dir.join(format!("{index}.bin.gz"));
            write(&path, &gzipped);
            format!("Some(include_bytes!({}))", rust_string(&path))
        } else {
            "None".to_owned()
        };
        table.push_str(&format!(
            "    Asset {{ path: {}, body: include_bytes!({}), gzip: {gzip_expr}, etag: {} }},\n",
            rust_string(Path::new(&format!("/{name}"))),
            rust_string(&plain),
            rust_string(Path::new(&format!("\"{:016x}\"", fnv1a(bytes)))),
        ));
    }
    table.push_str("]\n");
    write(&out_dir.join("dashboard_assets.rs"), table.as_bytes());
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).unwrap_or_else(|err| fail(&format!("cannot gzip a dashboard file: {err}")));
    encoder.finish().unwrap_or_else(|err| fail(&format!("cannot gzip a dashboard file: {err}")))
}

fn write(path: &PathBuf, bytes: &[u8]) {
    fs::write(path, bytes).unwrap_or_else(|err| fail(&format!("cannot write {}: {err}", path.display())));
}

/// A Rust string literal of `path` (Debug escapes quotes, backslashes and control characters).
fn rust_string(path: &Path) -> String {
    format!("{:?}", path.to_string_lossy())
}
