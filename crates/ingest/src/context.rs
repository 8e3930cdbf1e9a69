//! The part of a beacon every event shares, cleaned and enriched once per beacon.

use std::net::IpAddr;
use std::sync::Arc;

use sightline_protocol::limits::{MAX_ID_LEN, MAX_LABEL_LEN, MAX_NAME_LEN, MAX_URL_LEN};
use sightline_protocol::{
    ClientInfo, Context, EventBody, EventRecord, GeoInfo, PageLocation, QualityFlags, RecordContext,
};

use crate::cardinality::OTHER;
use crate::enrich::network_info;
use crate::enrich::user_agent::HintHeaders;
use crate::error::Rejection;
use crate::normalize::time::BeaconClock;
use crate::normalize::url::{SanitizedUrl, sanitize_url};
use crate::outcome::Reason;
use crate::pipeline::Project;
use crate::validate::{Cleaner, MAX_URL_INPUT_LEN, trim_to};

/// Smallest sample rate believed; lower claims would give one view an absurd weight.
pub const MIN_SAMPLE_RATE: f64 = 0.0001;

/// What the server knows about the request itself.
#[derive(Debug, Clone, Copy)]
pub struct RequestMeta<'a> {
    /// Server receive time, epoch ms.
    pub received_at_ms: i64,
    /// The client's address (already resolved through trusted proxies). Used, never stored.
    pub client_ip: Option<IpAddr>,
    /// `User-Agent` header.
    pub user_agent: &'a str,
    /// Client-hint headers.
    pub hint_headers: HintHeaders<'a>,
    /// Location from trusted CDN headers, when configured.
    pub cdn_geo: Option<&'a GeoInfo>,
    /// The browser sent `DNT: 1` or `Sec-GPC: 1`.
    pub do_not_track: bool,
}

/// What an event brings to its record besides the shared context.
#[derive(Debug)]
pub(crate) struct EventParts {
    pub event_id: String,
    pub timestamp_ms: i64,
    /// The event's view, when not the context's.
    pub view_id: Option<String>,
    /// The event's page, when not the context's.
    pub page: Option<Arc<PageLocation>>,
    pub quality: QualityFlags,
    pub body: EventBody,
}

/// The cleaned, enriched fields every record of a beacon shares: built once per beacon,
/// shared by its records through `Arc`s.
#[derive(Debug, Clone)]
pub(crate) struct SharedContext {
    pub record: Arc<RecordContext>,
    pub view_id: String,
    pub page: Arc<PageLocation>,
    pub clock: BeaconClock,
    /// Flags from cleaning the context, carried by every record.
    pub flags: QualityFlags,
}

/// A context whose ids, page and host passed: what is checked before any policy decides
/// to drop the beacon, and before anything counts against the project's caps.
#[derive(Debug)]
pub(crate) struct CheckedContext {
    pub context: Context,
    pub session_id: String,
    pub view_id: String,
    pub page: SanitizedUrl,
}

impl CheckedContext {
    /// Refuses beacons without usable ids or page URL, or from foreign hosts.
    pub fn check(mut context: Context, project: &Project, cleaner: &mut Cleaner<'_>) -> Result<Self, Rejection> {
        let session_id = required_id(std::mem::take(&mut context.session_id), "session_id")?;
        let view_id = required_id(std::mem::take(&mut context.view_id), "view_id")?;
        let page = locate_page(project, &context.url, cleaner).ok_or_else(|| {
            Rejection::new(Reason::InvalidContext, "context.url must be an absolute http(s) URL of the page")
        })?;
        if !project.config.allows_host(&page.host) {
            return Err(Rejection::new(
                Reason::HostNotAllowed,
                "the page's host is not one of this project's allowed_hosts",
            ));
        }
        Ok(Self { context, session_id, view_id, page })
    }
}

impl SharedContext {
    /// Cleans and enriches a checked context. Only for beacons that are kept: this is where
    /// routes and attribute keys count against the project's caps.
    pub fn build(
        checked: CheckedContext,
        sent_at: Option<f64>,
        received_at_ms: i64,
        client: ClientInfo,
        geo: GeoInfo,
        project: &Project,
        cleaner: &mut Cleaner<'_>,
    ) -> Self {
        let CheckedContext { context, session_id, view_id, page } = checked;
        let page = route_page(project, page, context.view_name, cleaner);
        let mut release = context.release;
        let mut environment = context.environment;
        cleaner.opt_text(&mut release, MAX_LABEL_LEN);
        cleaner.opt_text(&mut environment, MAX_LABEL_LEN);
        let (mut user_id, mut user_attributes) = context.user.map(|u| (u.id, u.attributes)).unwrap_or_default();
        cleaner.opt_free_text(&mut user_id, MAX_NAME_LEN);
        let mut attributes = context.attributes;
        cleaner.attributes(&mut attributes);
        cleaner.attributes(&mut user_attributes);
        let sample_rate = believable_sample_rate(context.sample_rate, cleaner) * project.config.sample_rate;
        let device = context.device.unwrap_or_default();
        let mut agent = context.agent;
        cleaner.text(&mut agent.name, MAX_LABEL_LEN);
        cleaner.text(&mut agent.version, MAX_LABEL_LEN);
        let record = RecordContext {
            project: project.config.id.clone(),
            received_at_ms,
            session_id,
            referrer_host: context.referrer.as_deref().and_then(|r| referrer_host(r, project)),
            client,
            geo,
            network: network_info(context.connection.as_ref()),
            release: release.filter(|r| !r.is_empty()),
            environment: environment.filter(|e| !e.is_empty()),
            user_id: user_id.filter(|u| !u.is_empty()),
            user_attributes,
            attributes,
            consent: context.consent,
            sample_rate,
            sampling_reason: context.sampling_reason,
            viewport_width: context.viewport.map(|v| v.width),
            viewport_height: context.viewport.map(|v| v.height),
            device_memory_gb: device.memory_gb.filter(|m| m.is_finite() && (0.0..=1024.0).contains(m)),
            device_cores: device.cores.filter(|c| (1..=1024).contains(c)),
            agent_name: agent.name,
            agent_version: agent.version,
        };
        Self {
            record: Arc::new(record),
            view_id,
            page: Arc::new(page),
            clock: BeaconClock::new(received_at_ms, sent_at, context.time_origin),
            flags: cleaner.flags,
        }
    }

    /// A record of this beacon from an event's own parts.
    pub fn record(&self, event: EventParts) -> EventRecord {
        let EventParts { event_id, timestamp_ms, view_id, page, quality, body } = event;
        EventRecord {
            event_id,
            timestamp_ms,
            view_id: view_id.unwrap_or_else(|| self.view_id.clone()),
            page: page.unwrap_or_else(|| Arc::clone(&self.page)),
            quality: QualityFlags(quality.0 | self.flags.0),
            body,
            context: Arc::clone(&self.record),
        }
    }
}

/// `url` reduced to what is kept (sanitized, scrubbed, trimmed); `None` when it is not a
/// usable http(s) URL. Counts nothing against the project's caps.
pub(crate) fn locate_page(project: &Project, url: &str, cleaner: &mut Cleaner<'_>) -> Option<SanitizedUrl> {
    let mut url = std::borrow::Cow::Borrowed(url);
    let mut trimmed = false;
    if url.len() > MAX_URL_INPUT_LEN {
        let mut cut = url.into_owned();
        trimmed = trim_to(&mut cut, MAX_URL_INPUT_LEN);
        url = std::borrow::Cow::Owned(cut);
    }
    let mut sanitized = sanitize_url(&url, &project.allowlist)?;
    if cleaner.scrubber.scrub_url(&mut sanitized) {
        cleaner.flags.set(QualityFlags::SCRUBBED);
        cleaner.outcomes.add(Reason::PiiScrubbed, 1);
    }
    trimmed |= trim_to(&mut sanitized.url, MAX_URL_LEN);
    trimmed |= trim_to(&mut sanitized.path, MAX_URL_LEN);
    if trimmed {
        cleaner.flags.set(QualityFlags::TRIMMED);
        cleaner.outcomes.add(Reason::FieldTrimmed, 1);
    }
    Some(sanitized)
}

/// The page with its route: the view name when there is one, else the path's route,
/// folded into `(other)` over the project's cap of distinct routes.
pub(crate) fn route_page(
    project: &Project,
    page: SanitizedUrl,
    view_name: Option<String>,
    cleaner: &mut Cleaner<'_>,
) -> PageLocation {
    let route = match view_name.filter(|n| !n.trim().is_empty()) {
        Some(mut name) => {
            cleaner.free_text(&mut name, MAX_NAME_LEN);
            name
        }
        None => project.routes.route(&page.path),
    };
    let route = if project.guard.routes.admit(&route) {
        route
    } else {
        cleaner.flags.set(QualityFlags::CARDINALITY_FOLDED);
        cleaner.outcomes.add(Reason::RouteCardinality, 1);
        OTHER.to_owned()
    };
    PageLocation { url: page.url, host: page.host, path: page.path, route }
}

/// An id as the agent must send it: 1-64 bytes of printable ASCII. Ids are never trimmed:
/// two long ids sharing a prefix would merge.
pub(crate) fn valid_id(id: String) -> Option<String> {
    let usable = !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic());
    usable.then_some(id)
}

fn required_id(id: String, field: &str) -> Result<String, Rejection> {
    valid_id(id).ok_or_else(|| {
        Rejection::new(Reason::InvalidContext, format!("context.{field} must be 1-64 printable ASCII characters"))
    })
}

fn believable_sample_rate(rate: f64, cleaner: &mut Cleaner<'_>) -> f64 {
    if rate.is_finite() && (MIN_SAMPLE_RATE..=1.0).contains(&rate) {
        return rate;
    }
    cleaner.flags.set(QualityFlags::VALUE_REMOVED);
    cleaner.outcomes.add(Reason::NumberRemoved, 1);
    if rate.is_finite() && rate > 0.0 && rate < MIN_SAMPLE_RATE { MIN_SAMPLE_RATE } else { 1.0 }
}

fn referrer_host(referrer: &str, project: &Project) -> Option<String> {
    let parsed = sanitize_url(referrer, &project.allowlist)?;
    let mut host = parsed.host;
    trim_to(&mut host, MAX_NAME_LEN);
    Some(host)
}
