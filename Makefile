# Sightline developer commands. `make run` and `make test` are the two set-up
# commands of the README; both install what they need (npm packages) first.

CARGO ?= cargo
SIGHTLINE_DATA_DIR ?= sightline-data
DEMO_DATA_DIR ?= sightline-demo
# Every debug binary and example the tests run (sightline, loadgen, the benchmarks' smoke
# runs, the schema exporters), built for the whole workspace: a `-p` selection resolves
# features differently and would build DataFusion and link every binary once more.
DEBUG_BINARIES = $(CARGO) build --locked --workspace --bins
DEBUG_EXAMPLES = $(CARGO) build -q --locked --workspace --examples

.PHONY: run test deps build lint test-rust protocol protocol-check openapi openapi-check fuzz-smoke bench bench-store bench-server bench-query bench-smoke clean agent agent-test \
	agent-e2e chromium bench-agent bench-agent-size bench-agent-overhead bench-agent-smoke \
	bench-dashboard bench-dashboard-smoke web web-test web-e2e

## Build the release binary and run the demo (`sightline demo`): 30 days of generated
## history, live simulated traffic and the demo shop at /demo/, with its data in
## ./sightline-demo (reused on the next run; ARGS=--reset starts over). `make serve` runs
## an empty Sightline with its data in ./sightline-data.
run: build
	./target/release/sightline demo --data-dir $(DEMO_DATA_DIR) $(ARGS)

.PHONY: serve
serve: build
	./target/release/sightline serve --data-dir $(SIGHTLINE_DATA_DIR)

## Everything CI runs: formatting, lints, unit/property/snapshot/integration tests,
## protocol drift check, a short fuzz run and the benchmarks in smoke mode.
test: deps lint protocol-check openapi-check agent-test web-test test-rust fuzz-smoke bench-smoke agent-e2e web-e2e bench-agent-smoke \
	bench-dashboard-smoke

## npm packages (uap-core regexes for the user-agent parser, TypeScript tooling).
deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: deps
	$(CARGO) build --release -p sightline-cli

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test-rust: deps
	$(CARGO) nextest run --workspace --locked --no-fail-fast

## Regenerate the JSON Schema and the agent's TypeScript types from the Rust protocol types.
protocol: deps
	$(DEBUG_EXAMPLES)
	./target/debug/examples/export-schema > crates/protocol/beacon.schema.json
	npm run --silent protocol:generate

## Fail when the committed schema or TypeScript types drift from the Rust types.
protocol-check: deps
	$(DEBUG_EXAMPLES)
	./target/debug/examples/export-schema | cmp -s - crates/protocol/beacon.schema.json \
		|| (echo "crates/protocol/beacon.schema.json is stale: run 'make protocol' and commit the result" && exit 1)
	npm run --silent protocol:check

## Regenerate docs/openapi.json, the query API's OpenAPI document, from the Rust types.
openapi: deps
	$(DEBUG_EXAMPLES)
	./target/debug/examples/openapi > docs/openapi.json

## Fail when the committed OpenAPI document drifts from the one the server serves.
openapi-check: deps
	$(DEBUG_EXAMPLES)
	./target/debug/examples/openapi | cmp -s - docs/openapi.json \
		|| (echo "docs/openapi.json is stale: run 'make openapi' and commit the result" && exit 1)

## The browser agent: agent/dist/agent.js (what /agent.js serves) and the ESM package + types.
agent: deps
	npm run --silent agent:build

## The agent's type check, unit tests (vitest) and size budget (12 KiB gzip).
agent-test: deps
	npm run --silent agent:typecheck
	npm run --silent agent:test
	npm run --silent agent:size

## The dashboard: web/dist (index.html, app.js, app.css), which the server embeds.
web: deps
	npm run --silent web:build

## The dashboard's type check, unit tests (vitest) and size budget (150 KiB gzip of JavaScript).
web-test: deps
	npm run --silent web:typecheck
	npm run --silent web:test
	npm run --silent web:size

## The dashboard end to end: real Chromium against the real debug server (which embeds
## web/dist) filled by loadgen; screenshots in target/web-screenshots/ (web/e2e).
web-e2e: deps chromium
	$(DEBUG_BINARIES)
	npx vitest run --config web/e2e/vitest.config.ts

fuzz-smoke: deps
	./fuzz/run.sh smoke

## Pipeline micro-benchmark (events/s per core), full size.
bench: deps
	$(CARGO) run --release --locked -p sightline-bench --bin ingest-bench

## The store's ingest benchmark: the real release server over loopback HTTP, durable
## acknowledgements (50 000 events/s for 30 s, then 100 000 events/s for 30 s). ARGS=... adds flags.
bench-server: deps
	$(CARGO) build --release --locked -p sightline-cli -p sightline-bench --bin sightline --bin ingest-server-bench
	./target/release/ingest-server-bench --binary target/release/sightline $(ARGS)

## The embedded store alone, in-process: CPU per event, memory, bytes on disk. ARGS=... adds flags.
bench-store: deps
	$(CARGO) run --release --locked -p sightline-bench --bin store-bench -- $(ARGS)

## The query benchmark: the dashboard's queries against the real release server over a
## bulk-loaded store, DuckDB (from PyPI, in target/query-bench-venv) over the same files.
## ARGS=... adds flags (--views 10000000, --runs 7, --data-dir DIR, --reuse).
bench-query: deps
	$(CARGO) build --release --locked -p sightline-cli -p sightline-bench --bin sightline --bin query-bench
	./target/release/query-bench --binary target/release/sightline $(ARGS)

bench-smoke: deps
	$(DEBUG_BINARIES)
	./target/debug/ingest-bench --smoke
	./target/debug/store-bench --smoke
	./target/debug/store-bench --recovery --smoke
	./target/debug/ingest-server-bench --smoke --binary target/debug/sightline

## The dashboard's page timings (headless Chromium, logged in) over a store that
## `make bench-query ARGS="--views 10000000 --all-kinds"` loaded: DATA_DIR=... names it.
bench-dashboard: deps chromium
	$(CARGO) build --release --locked -p sightline-cli --bin sightline
	node bench/dashboard-pages/run.mjs --binary target/release/sightline \
		--data-dir $(or $(DATA_DIR),/tmp/sightline-query-bench/10000000) $(ARGS)

## The query benchmark and the dashboard's page timings, small (the query benchmark's smoke
## run loads the data the page timings read; a debug server), to prove they still work.
DASHBOARD_SMOKE_DIR = target/bench-dashboard-smoke
bench-dashboard-smoke: deps chromium
	$(DEBUG_BINARIES)
	rm -rf $(DASHBOARD_SMOKE_DIR)
	./target/debug/query-bench --smoke --all-kinds --no-duckdb --binary target/debug/sightline \
		--data-dir $(DASHBOARD_SMOKE_DIR)
	node bench/dashboard-pages/run.mjs --smoke --binary target/debug/sightline --data-dir $(DASHBOARD_SMOKE_DIR)

## Debian's Chromium for the browser tests and benchmarks, installed when missing (needs root).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

## The browser agent end to end: real Chromium, real pages on loopback, the real debug
## server, read back with `sightline sql` (agent/e2e).
agent-e2e: deps chromium
	$(DEBUG_BINARIES)
	npx vitest run --config agent/e2e/vitest.config.ts

## The agent's size table (peers bundled alike; installs bench/agent-size's own packages)
## and its overhead in headless Chromium (no agent, Sightline, peers). RUNS=30 loads each.
bench-agent: bench-agent-size bench-agent-overhead

bench-agent-size: deps
	cd bench/agent-size && npm ci --no-audit --no-fund
	$(DEBUG_BINARIES)
	node bench/agent-size/run.mjs

bench-agent-overhead: deps chromium
	$(DEBUG_BINARIES)
	node bench/agent-overhead/run.mjs --runs $(or $(RUNS),30)

## Both agent benchmarks, small, to prove they still work (peers that are not installed are
## left out: web-vitals alone is always there).
bench-agent-smoke: deps chromium
	$(DEBUG_BINARIES)
	node bench/agent-size/run.mjs
	node bench/agent-overhead/run.mjs --smoke

clean:
	$(CARGO) clean
	rm -rf node_modules
