//! The `sightline` binary end to end, one test binary for all: `serve` and its banner,
//! crash recovery, the demo, `erase`, `query`/`token`, `sql` and `user`, each running
//! the real binary on a loopback port (`support`).

mod support;

mod binary;
mod crash;
mod demo;
mod erase;
mod query;
mod sql;
mod user;
