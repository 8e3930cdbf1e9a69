//! Sightline's wire format, version 1.
//!
//! A browser agent sends a [`Beacon`]: one shared [`Context`] (who, where, which
//! page, how it was sampled) and a list of [`Event`]s. These Rust types are the
//! single source of truth: `docs/protocol.md` describes them, [`schema`] exports
//! them as JSON Schema, and the agent's TypeScript types are generated from that
//! schema (a CI check fails when they drift).
//!
//! After the intake has validated, normalized, enriched and scrubbed a beacon,
//! each event becomes an [`EventRecord`]: the clean, privacy-safe shape that the
//! store keeps and the query engine reads.
//!
//! The format is forever: fields are only ever added (with `serde(default)`),
//! never renamed or reused with another meaning. Unknown fields are ignored so
//! that newer agents can talk to older servers.
//!
//! This crate does no I/O.

mod attributes;
mod beacon;
pub mod calendar;
pub mod derived;
mod event;
pub mod limits;
mod parse;
mod record;
pub mod schema;

pub use attributes::{AttributeValue, Attributes};
pub use beacon::{
    AgentInfo, Beacon, BeaconEnvelope, ClientHintBrand, ClientHints, ConnectionInfo, ConsentState, Context, DeviceInfo,
    EffectiveConnectionType, RawEvents, SamplingReason, Size, UserInfo,
};
pub use event::{
    ActionEvent, ActionType, CustomEvent, ErrorEvent, ErrorSource, Event, EventBody, EventKind,
    LongAnimationFrameEvent, NavigationTiming, NavigationType, Rating, RequestApi, RequestEvent, RequestFailure,
    ResourceEvent, ScriptAttribution, ServerTiming, ViewEvent, VitalAttribution, VitalEvent, VitalName,
};
pub use parse::{EventParseError, parse_event};
pub use record::{
    ClientInfo, DeviceClass, EventRecord, GeoInfo, NetworkInfo, PageLocation, QualityFlags, RecordContext,
};

/// The version of the wire protocol this crate describes (`v` in a beacon).
pub const PROTOCOL_VERSION: u32 = 1;
