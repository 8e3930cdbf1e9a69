//! Simulated shoppers: realistic load and the demo's data, without a browser.
//!
//! - [`population`] is a seeded population of sessions from twenty countries, on real
//!   [`browsers`] and networks, browsing a shop page by page and reported as the browser
//!   agent would (the same seed gives the same bytes); its [`stories`](population::stories)
//!   plant the incidents of `sightline demo`, and [`post`](population::post) posts the
//!   beacons to a server over HTTP at a target rate.
//! - [`load`] runs a population through the intake's pipeline straight into a store
//!   directory's Parquet files (no server, no write-ahead log): the demo's history and the
//!   query benchmark's data.
//!
//! Used by `sightline demo` (history and live traffic) and by the benchmarks (`bench/`);
//! `docs/load-generator.md` tells the story the population's numbers make.

mod error;
pub mod load;
pub mod population;
mod wire;

pub mod browsers;

pub use self::error::Error;
pub use self::wire::agent_json;
