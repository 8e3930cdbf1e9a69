//! The server's integration tests, one test binary (one link of the server) for all:
//! the intake (happy path, parsing, transport, connections, abuse, privacy, storage,
//! load), the query API, the dashboard and the agent asset, each against the real
//! server on a loopback port (`support`).

mod support;

mod agent_asset;
mod api;
mod dashboard;
mod intake_abuse;
mod intake_connections;
mod intake_happy_path;
mod intake_load;
mod intake_parsing;
mod intake_privacy;
mod intake_storage;
mod intake_transport;
