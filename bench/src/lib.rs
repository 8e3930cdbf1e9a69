//! Sightline's benchmarks: programs that build realistic input, warm up, time several
//! rounds and print what they measured, with ratios to a target and to a reference
//! measured in the same run. They are not timed tests: nothing here passes or fails on
//! a number, and no figure is ever written down in the code.
//!
//! - [`beacon`] builds the input: realistic beacons as the browser agent sends them
//!   (a shop page, 20 events of every kind, real-world user agents), plain and gzipped,
//!   with the project and request they are posted to.
//! - [`measure`] runs closures in interleaved rounds and summarizes them (median,
//!   min, max), and formats rates.
//! - [`population`] is the simulated shoppers of the `sightline-simulate` crate, re-exported:
//!   the load generator's and the store benchmarks' realistic traffic.
//! - [`bulk`] loads the population straight into a store directory's Parquet files (no
//!   server, no write-ahead log) with `sightline_simulate::load`, for the query benchmark.
//! - [`server_process`] runs the real `sightline serve` as a child process and samples
//!   its CPU time and memory, for the benchmarks that measure it over HTTP.
//!
//! The binaries in `src/bin/` are the benchmarks; `ingest-bench` is the pipeline
//! micro-benchmark (events/s per core), `ingest-server-bench` the store's ingest
//! benchmark (the real server over loopback HTTP, durable acknowledgements). Each takes
//! `--smoke` for a tiny run that only proves it still works (CI runs it in a debug build).

pub mod beacon;
pub mod bulk;
pub mod measure;
pub mod server_process;

pub use sightline_simulate::population;
