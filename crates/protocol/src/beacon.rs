//! The beacon: one batch of events with the context they share.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::attributes::Attributes;
use crate::event::Event;
use crate::limits::MAX_EVENTS_PER_BATCH;

/// One batch sent by the agent: the context shared by its events, the events, and
/// when it was sent (for clock-drift correction).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Beacon {
    /// Protocol version; `1` for this format.
    #[serde(default = "protocol_version")]
    pub v: u32,
    /// What all events of this batch share: agent, session, view, page, device, sampling.
    pub context: Context,
    /// The events, at most 500 per batch (the rest are dropped and counted).
    pub events: Vec<Event>,
    /// When the agent sent this batch, epoch milliseconds by the device's clock.
    /// The server compares it with its own receive time to correct device clock drift.
    #[serde(default)]
    pub sent_at: Option<f64>,
}

fn protocol_version() -> u32 {
    crate::PROTOCOL_VERSION
}

/// The parse-time shape of a [`Beacon`]: the context is parsed at once, the
/// events are kept as raw JSON slices so that each one is parsed (and can fail)
/// on its own, and no more than [`MAX_EVENTS_PER_BATCH`] are kept.
#[derive(Debug, Deserialize)]
pub struct BeaconEnvelope<'a> {
    /// Protocol version; `1` when absent.
    #[serde(default = "protocol_version")]
    pub v: u32,
    /// The shared context, unparsed: it is parsed on its own so that any problem in it
    /// is reported as a context problem.
    #[serde(borrow)]
    pub context: &'a RawValue,
    /// The raw events, capped.
    #[serde(borrow)]
    pub events: RawEvents<'a>,
    /// Device send time, epoch ms.
    #[serde(default)]
    pub sent_at: Option<f64>,
}

/// The events of a beacon as raw JSON, at most [`MAX_EVENTS_PER_BATCH`] kept.
#[derive(Debug, Default)]
pub struct RawEvents<'a> {
    /// The kept events, unparsed.
    pub kept: Vec<&'a RawValue>,
    /// Events skipped because the batch was over the cap.
    pub over_cap: u32,
}

impl<'de: 'a, 'a> Deserialize<'de> for RawEvents<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(RawEventsVisitor(std::marker::PhantomData))
    }
}

struct RawEventsVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for RawEventsVisitor<'a> {
    type Value = RawEvents<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawEvents<'a>, A::Error> {
        let mut events = RawEvents::default();
        loop {
            if events.kept.len() < MAX_EVENTS_PER_BATCH {
                match seq.next_element::<&'de RawValue>()? {
                    Some(event) => events.kept.push(event),
                    None => return Ok(events),
                }
            } else {
                match seq.next_element::<IgnoredAny>()? {
                    Some(_) => events.over_cap += 1,
                    None => return Ok(events),
                }
            }
        }
    }
}

/// What every event of a beacon shares.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Context {
    /// The agent that sent the beacon.
    pub agent: AgentInfo,
    /// Session id chosen by the agent (random, at most 64 characters).
    pub session_id: String,
    /// Id of the view (page load or SPA route) current when the batch was sent, unique
    /// within the session (at most 64 characters). The Sightline agent derives it from the
    /// session id: `<session id>.<random page id>.<number of the view in the page>` (`0`, `1`, …).
    pub view_id: String,
    /// Full URL of the current page. The server keeps only scheme, host, path and
    /// allow-listed query parameters; fragments are dropped.
    pub url: String,
    /// Name of the current view set by the application (`startView(name)`), e.g. `checkout`.
    /// When present it is the route of every event of the view, instead of the URL-derived route.
    #[serde(default)]
    pub view_name: Option<String>,
    /// `document.referrer`; only its host is kept.
    #[serde(default)]
    pub referrer: Option<String>,
    /// Viewport size in CSS pixels.
    #[serde(default)]
    pub viewport: Option<Size>,
    /// Screen size in CSS pixels.
    #[serde(default)]
    pub screen: Option<Size>,
    /// Device capabilities reported by the browser.
    #[serde(default)]
    pub device: Option<DeviceInfo>,
    /// Network Information API values.
    #[serde(default)]
    pub connection: Option<ConnectionInfo>,
    /// User-Agent Client Hints (`navigator.userAgentData`), when the browser has them.
    #[serde(default)]
    pub client_hints: Option<ClientHints>,
    /// The application's release or version (e.g. `2.14.0` or a commit sha).
    #[serde(default)]
    pub release: Option<String>,
    /// Deployment environment, e.g. `production`, `staging`.
    #[serde(default)]
    pub environment: Option<String>,
    /// The signed-in user, when the application set one.
    #[serde(default)]
    pub user: Option<UserInfo>,
    /// Global attributes set by the application (`setAttributes`).
    #[serde(default)]
    pub attributes: Attributes,
    /// Tracking consent as last set by the application.
    #[serde(default)]
    pub consent: Option<ConsentState>,
    /// Share of sessions the agent keeps, in (0, 1]; percentiles weight each view by its inverse.
    #[serde(default = "full_sample_rate")]
    pub sample_rate: f64,
    /// Why this session's events are being sent.
    #[serde(default)]
    pub sampling_reason: SamplingReason,
    /// `performance.timeOrigin` of the current view's document: epoch ms by the device clock.
    /// Event times relative to navigation start (`t`) are added to it.
    #[serde(default)]
    pub time_origin: Option<f64>,
}

fn full_sample_rate() -> f64 {
    1.0
}

/// Name and version of the agent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct AgentInfo {
    /// e.g. `sightline-browser`.
    pub name: String,
    /// Semantic version of the agent.
    pub version: String,
}

/// A width and height in CSS pixels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Size {
    /// Width, CSS px.
    pub width: u32,
    /// Height, CSS px.
    pub height: u32,
}

/// Device capabilities.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceInfo {
    /// `navigator.deviceMemory`, GiB (coarse: 0.25 … 8).
    #[serde(default)]
    pub memory_gb: Option<f64>,
    /// `navigator.hardwareConcurrency`.
    #[serde(default)]
    pub cores: Option<u32>,
}

/// Network Information API (`navigator.connection`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectionInfo {
    /// Effective connection type.
    #[serde(default)]
    pub effective_type: Option<EffectiveConnectionType>,
    /// Estimated round-trip time, ms.
    #[serde(default)]
    pub rtt_ms: Option<f64>,
    /// Estimated downlink, Mbit/s.
    #[serde(default)]
    pub downlink_mbps: Option<f64>,
    /// The user asked for reduced data usage.
    #[serde(default)]
    pub save_data: Option<bool>,
    /// Physical connection type when known: `wifi`, `cellular`, `ethernet`, …
    #[serde(default)]
    pub connection_type: Option<String>,
}

/// `navigator.connection.effectiveType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EffectiveConnectionType {
    /// slow-2g
    #[serde(rename = "slow-2g")]
    Slow2g,
    /// 2g
    #[serde(rename = "2g")]
    Cellular2g,
    /// 3g
    #[serde(rename = "3g")]
    Cellular3g,
    /// 4g (or better)
    #[serde(rename = "4g")]
    Cellular4g,
    /// A value this server does not know yet (e.g. a future `5g`).
    #[serde(other)]
    Unknown,
}

impl EffectiveConnectionType {
    /// The wire name, e.g. `4g`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slow2g => "slow-2g",
            Self::Cellular2g => "2g",
            Self::Cellular3g => "3g",
            Self::Cellular4g => "4g",
            Self::Unknown => "unknown",
        }
    }
}

/// User-Agent Client Hints as exposed by `navigator.userAgentData` (+ high-entropy values).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClientHints {
    /// Brand list, e.g. `[{"brand":"Google Chrome","version":"126"}]`.
    #[serde(default, deserialize_with = "crate::parse::capped::<_, _, { crate::limits::MAX_CLIENT_HINT_BRANDS }>")]
    pub brands: Vec<ClientHintBrand>,
    /// True on mobile devices.
    #[serde(default)]
    pub mobile: Option<bool>,
    /// e.g. `Android`, `Windows`, `macOS`.
    #[serde(default)]
    pub platform: Option<String>,
    /// High-entropy platform version, e.g. `15.0.0`.
    #[serde(default)]
    pub platform_version: Option<String>,
    /// High-entropy device model, e.g. `Pixel 8`.
    #[serde(default)]
    pub model: Option<String>,
}

/// One entry of a client-hints brand list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClientHintBrand {
    /// Brand name.
    pub brand: String,
    /// Major (or full) version.
    pub version: String,
}

/// The signed-in user (`setUser`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UserInfo {
    /// The application's id for the user. Never an email: emails are scrubbed.
    #[serde(default)]
    pub id: Option<String>,
    /// Attributes of the user, e.g. plan or role.
    #[serde(default)]
    pub attributes: Attributes,
}

/// Tracking consent state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    /// The user agreed.
    Granted,
    /// The user declined: the server drops the batch (`consent_denied`).
    Denied,
    /// Not decided yet.
    Pending,
    /// A state this server does not know yet; treated like `pending`.
    #[serde(other)]
    Unknown,
}

/// Why a session's events are sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SamplingReason {
    /// The session was drawn by `sessionSampleRate`: it represents the population.
    #[default]
    Sampled,
    /// Not sampled, kept because an error happened: diagnostics only, excluded from percentiles.
    KeptForError,
    /// Not sampled, kept because a vital was poor: diagnostics only, excluded from percentiles.
    KeptForPoorVital,
    /// A reason this server does not know yet: diagnostics only, excluded from percentiles.
    #[serde(other)]
    Other,
}

impl SamplingReason {
    /// True when the session represents the population (counts in percentiles).
    pub fn is_representative(self) -> bool {
        self == Self::Sampled
    }
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sampled => "sampled",
            Self::KeptForError => "kept_for_error",
            Self::KeptForPoorVital => "kept_for_poor_vital",
            Self::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_caps_events_while_parsing() {
        let events: Vec<String> = (0..MAX_EVENTS_PER_BATCH + 7).map(|i| format!("{{\"id\":\"{i}\"}}")).collect();
        let json = format!(
            r#"{{"context":{{"agent":{{"name":"a","version":"1"}},"session_id":"s","view_id":"v","url":"https://x.test/"}},"events":[{}]}}"#,
            events.join(",")
        );
        let envelope: BeaconEnvelope<'_> = serde_json::from_str(&json).expect("valid envelope");
        assert_eq!(envelope.events.kept.len(), MAX_EVENTS_PER_BATCH);
        assert_eq!(envelope.events.over_cap, 7);
        assert_eq!(envelope.v, 1);
        let context: Context = serde_json::from_str(envelope.context.get()).expect("valid context");
        assert!((context.sample_rate - 1.0).abs() < f64::EPSILON);
    }
}
