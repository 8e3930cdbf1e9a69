#!/usr/bin/env bash
# Runs Sightline's cargo-fuzz targets (fuzz/fuzz_targets/, one per parser of untrusted bytes).
#
#   fuzz/run.sh smoke              every target for 40 s: CI (`make fuzz-smoke`)
#   fuzz/run.sh SECONDS [TARGET]   every target, or one, for SECONDS each (default 600)
#
# Environment: FUZZ_SANITIZER=address|none (default: none for smoke, address otherwise),
# FUZZ_JOBS=N (default 1; N > 1 runs libFuzzer's -fork=N), FUZZ_MAX_LEN (default 65536 bytes).
#
# Works on a fresh machine with the stable toolchain only:
# - cargo-fuzz is installed from crates.io with `cargo install cargo-fuzz --locked` when
#   `cargo fuzz` is missing (about a minute);
# - RUSTC_BOOTSTRAP=1 makes stable rustc and cargo accept the nightly-only flags cargo-fuzz
#   passes (-Zsanitizer=…, the sancov passes);
# - AddressSanitizer works on stable this way (the stable rust-std component ships the ASan
#   runtime, librustc-stable_rt.asan.a): long runs use it by default. Our crates forbid
#   unsafe code, so ASan only watches the dependencies' unsafe code (inflate, regex,
#   hashbrown…), and it is costly: measured on a 2-core machine, a cold build took ~4.5 min
#   with ASan against ~2 min without, and ran ~1,200 against ~4,500 executions/s. The smoke
#   run therefore builds with `--sanitizer none` (panics and broken invariants still stop
#   it) and spends its time on inputs rather than on the build;
# - the build is `--dev`: opt-level 1 (fuzz/Cargo.toml), debug assertions and overflow
#   checks on. cargo-fuzz's default (release, one codegen unit per crate) builds several
#   times slower on CI's two cores, and the cold build is most of a smoke run.
#
# Before each run, make_corpus.py (re)writes the seeds into fuzz/corpus/TARGET — JSON seeds
# from fuzz/seeds/TARGET/ and beacons it makes, plain, gzip and zlib — and a dictionary of
# the protocol's field names. The corpus grows across runs (ignored by git). A crash stops the
# run, is saved in fuzz/artifacts/TARGET/ and replays with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --dev --sanitizer none decode fuzz/artifacts/decode/crash-…
set -euo pipefail

cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1

mode=${1:-600}
if [[ $mode == smoke ]]; then
    seconds=40
    sanitizer=${FUZZ_SANITIZER:-none}
else
    seconds=$mode
    sanitizer=${FUZZ_SANITIZER:-address}
fi
if ! [[ $seconds =~ ^[0-9]+$ ]]; then
    echo "usage: fuzz/run.sh smoke | fuzz/run.sh SECONDS [TARGET]" >&2
    exit 2
fi
jobs=${FUZZ_JOBS:-1}
max_len=${FUZZ_MAX_LEN:-65536}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked
fi
# The ingest crate's build script reads the uap-core regexes that `npm ci` installs.
if [[ -z ${SIGHTLINE_UAP_REGEXES:-} && ! -f node_modules/uap-core/regexes.yaml ]]; then
    echo "fuzz: installing npm packages (uap-core regexes)"
    npm ci --no-audit --no-fund
fi

if [[ -n ${2:-} ]]; then
    targets=("$2")
else
    mapfile -t targets < <(cargo fuzz list)
fi

for target in "${targets[@]}"; do
    corpus=fuzz/corpus/$target
    dict=fuzz/corpus/$target.dict
    python3 fuzz/make_corpus.py "$target" "$corpus" "$dict"

    started=$SECONDS
    cargo fuzz build --dev --sanitizer "$sanitizer" "$target"
    echo "fuzz: built $target in $((SECONDS - started)) s (sanitizer: $sanitizer)"

    fork=()
    if ((jobs > 1)); then
        fork=("-fork=$jobs")
    fi
    started=$SECONDS
    if ! cargo fuzz run --dev --sanitizer "$sanitizer" "$target" "$corpus" -- \
        -max_total_time="$seconds" -max_len="$max_len" -dict="$dict" -timeout=30 \
        -print_final_stats=1 "${fork[@]}"; then
        echo "fuzz: $target FAILED; the input is in fuzz/artifacts/$target/ (replay command: see fuzz/run.sh)" >&2
        exit 1
    fi
    echo "fuzz: $target ran $((SECONDS - started)) s without a crash"
done
