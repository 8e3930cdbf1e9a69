//! Normalization: URLs reduced to what Sightline keeps, paths turned into
//! routes, device times turned into server times.

pub mod route;
pub mod time;
pub mod url;
