//! The clean event record: what the intake hands to the store.
//!
//! Every string has been trimmed to its limit and scrubbed, URLs reduced to
//! scheme, host, path and allow-listed query, the route derived, the client
//! and location enriched. It never holds a raw IP address.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::attributes::Attributes;
use crate::beacon::{ConsentState, SamplingReason};
use crate::event::EventBody;

/// One clean, enriched, privacy-safe event.
///
/// What every event of a beacon shares (the session, client, location…) sits in one
/// [`RecordContext`] behind an `Arc`: the intake builds it once per beacon, and the store
/// can tell the records of one beacon apart by pointer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Agent-chosen event id, unique within its view: the dedup key is
    /// (project, [`Self::view_id`], event id).
    pub event_id: String,
    /// Event time, epoch ms, corrected for device clock drift and clamped.
    pub timestamp_ms: i64,
    /// View id: the context's, or the event's own when it names another view.
    pub view_id: String,
    /// The page the event happened on: the context's, or the event's own.
    pub page: Arc<PageLocation>,
    /// What the intake changed about this event (see [`QualityFlags`]).
    pub quality: QualityFlags,
    /// The cleaned kind-specific payload.
    pub body: EventBody,
    /// What the event shares with the other events of its beacon.
    pub context: Arc<RecordContext>,
}

/// The cleaned, enriched context of one beacon, shared by its records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordContext {
    /// The project the events belong to.
    pub project: String,
    /// When the server received the beacon, epoch ms.
    pub received_at_ms: i64,
    /// Session id.
    pub session_id: String,
    /// Host of the referrer, when there was one.
    pub referrer_host: Option<String>,
    /// Browser, OS and device class.
    pub client: ClientInfo,
    /// Location derived from the IP (which is then forgotten) or CDN headers.
    pub geo: GeoInfo,
    /// Network conditions reported by the browser.
    pub network: NetworkInfo,
    /// Application release.
    pub release: Option<String>,
    /// Deployment environment.
    pub environment: Option<String>,
    /// Application user id.
    pub user_id: Option<String>,
    /// User attributes.
    pub user_attributes: Attributes,
    /// Global context attributes.
    pub attributes: Attributes,
    /// Consent state.
    pub consent: Option<ConsentState>,
    /// The session sample rate in (0, 1].
    pub sample_rate: f64,
    /// Why the session was kept.
    pub sampling_reason: SamplingReason,
    /// Viewport width, CSS px.
    pub viewport_width: Option<u32>,
    /// Viewport height, CSS px.
    pub viewport_height: Option<u32>,
    /// Device memory, GiB.
    pub device_memory_gb: Option<f64>,
    /// Logical cores.
    pub device_cores: Option<u32>,
    /// Agent name.
    pub agent_name: String,
    /// Agent version.
    pub agent_version: String,
}

/// Where an event happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageLocation {
    /// Sanitized URL: scheme, host, path, allow-listed query. No fragment.
    pub url: String,
    /// Host (lower case, no port unless non-default).
    pub host: String,
    /// Path.
    pub path: String,
    /// Route: the path with ids collapsed (`/orders/:id`), or a route name.
    pub route: String,
}

/// Browser, OS and device derived from the user agent and client hints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    /// Browser family, e.g. `Chrome`, `Mobile Safari`.
    pub browser: String,
    /// Browser major version.
    pub browser_version: String,
    /// OS family, e.g. `Android`, `Mac OS X`.
    pub os: String,
    /// OS version, `major` or `major.minor`.
    pub os_version: String,
    /// Device class.
    pub device_class: DeviceClass,
    /// Device model when known (e.g. `iPhone`, `Pixel 8`).
    pub device_model: Option<String>,
}

/// Coarse device class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceClass {
    /// Desktop or laptop.
    Desktop,
    /// Phone.
    Mobile,
    /// Tablet.
    Tablet,
    /// A crawler, monitor or headless browser.
    Bot,
    /// Could not tell.
    #[default]
    Other,
}

impl DeviceClass {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Bot => "bot",
            Self::Other => "other",
        }
    }
}

/// Location. All parts optional: no database and no CDN header means unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeoInfo {
    /// ISO 3166-1 alpha-2 country code, upper case.
    pub country: Option<String>,
    /// Region (subdivision) ISO code, e.g. `CA` for California.
    pub region: Option<String>,
    /// City name (English).
    pub city: Option<String>,
}

/// Network conditions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkInfo {
    /// Effective connection type (`slow-2g`, `2g`, `3g`, `4g`), or `unknown`.
    pub effective_type: String,
    /// Physical connection type when reported (`wifi`, `cellular`…).
    pub connection_type: Option<String>,
    /// Round-trip time estimate, ms.
    pub rtt_ms: Option<f64>,
    /// Downlink estimate, Mbit/s.
    pub downlink_mbps: Option<f64>,
    /// Data saver on.
    pub save_data: Option<bool>,
}

/// What the intake had to change about an event, as bit flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QualityFlags(pub u32);

impl QualityFlags {
    /// A string was longer than its limit and was trimmed.
    pub const TRIMMED: u32 = 1;
    /// The event time was outside the accepted window and was set to the receive time.
    pub const TIMESTAMP_CLAMPED: u32 = 1 << 1;
    /// Attributes were dropped (over the cap or of an unsupported type).
    pub const ATTRIBUTES_DROPPED: u32 = 1 << 2;
    /// A value was folded into `(other)` by the cardinality guard.
    pub const CARDINALITY_FOLDED: u32 = 1 << 3;
    /// PII was scrubbed from a string.
    pub const SCRUBBED: u32 = 1 << 4;
    /// A numeric field was out of range and was removed.
    pub const VALUE_REMOVED: u32 = 1 << 5;
    /// The device clock was off by more than a minute and was corrected.
    pub const CLOCK_CORRECTED: u32 = 1 << 6;

    /// Every flag with its name, for display.
    pub const NAMES: [(u32, &'static str); 7] = [
        (Self::TRIMMED, "trimmed"),
        (Self::TIMESTAMP_CLAMPED, "timestamp_clamped"),
        (Self::ATTRIBUTES_DROPPED, "attributes_dropped"),
        (Self::CARDINALITY_FOLDED, "cardinality_folded"),
        (Self::SCRUBBED, "scrubbed"),
        (Self::VALUE_REMOVED, "value_removed"),
        (Self::CLOCK_CORRECTED, "clock_corrected"),
    ];

    /// Sets `flag`.
    pub fn set(&mut self, flag: u32) {
        self.0 |= flag;
    }

    /// True when `flag` is set.
    pub fn has(self, flag: u32) -> bool {
        self.0 & flag != 0
    }

    /// Names of the set flags.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES.iter().filter(|(bit, _)| self.has(*bit)).map(|(_, name)| *name).collect()
    }
}
